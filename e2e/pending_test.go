//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// Suite 06-ckquorum "CKQUORUM detects failover authorization cannot be
// reached": with three of five nodes down, SENTINEL SET mymaster quorum on
// a survivor. With raft-serve-stale yes (Sentinel's answer-anyway mode) the
// node accepts it as a pending change: +OK, shown in its own replies,
// kept in dir across its restart, and committed on every node once the
// node is back in contact with a leader. A pending change whose setting
// the majority changed meanwhile is dropped: the majority's value stays
// everywhere. Without a leader REMOVE, MONITOR, FAILOVER, RESET and CONFIG
// SET still answer -TRYAGAIN.
func TestPendingSetWithoutLeader(t *testing.T) {
	m := redistest.Start(t)
	lines := append(append([]string{}, fastLines...), "raft-serve-stale yes",
		"sentinel monitor mymaster "+m.Host+" "+itoa(m.Port)+" 3", "sentinel down-after-milliseconds mymaster 1000")
	c := startCluster(t, 5, lines...)
	leader, err := c.WaitLeader(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 5*time.Second, "seeded", func() bool { return masterAddr(leader, "mymaster") == m.Addr() })
	a, b, down := c.Nodes[0], c.Nodes[1], c.Nodes[2:]
	quorumOn := func(n *harness.Node) string {
		s, err := n.Do("SENTINEL", "MASTER", "mymaster")
		if err != nil {
			return err.Error()
		}
		return harness.FlatMap(s)["quorum"]
	}
	pendingOn := func(n *harness.Node) string {
		info, err := n.Info("raft")
		if err != nil {
			return err.Error()
		}
		return info["raft_pending_settings"]
	}
	everyNode := func(want string) {
		t.Helper()
		redistest.WaitFor(t, 15*time.Second, "quorum "+want+" on every node, nothing pending", func() bool {
			for _, n := range c.Nodes {
				if quorumOn(n) != want || pendingOn(n) != "0" {
					return false
				}
			}
			return true
		})
	}
	cutOff := func() {
		t.Helper()
		for _, n := range down {
			n.Kill()
		}
		waitNoLeader(t, a, b)
	}
	restart := func(nodes ...*harness.Node) {
		t.Helper()
		for _, n := range nodes {
			if err := n.Start(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The suite's step: quorum 1 committed, three nodes down, quorum 3 set
	// on a survivor.
	mustDo(t, leader, "SENTINEL", "SET", "mymaster", "quorum", "1")
	everyNode("1")
	cutOff()
	if s, err := a.Do("SENTINEL", "SET", "mymaster", "quorum", "3"); err != nil || s != "OK" {
		t.Fatalf("SET quorum without a leader: %q %v", s, err)
	}
	if q := quorumOn(a); q != "3" {
		t.Fatalf("the node asked shows quorum %s, want its pending 3", q)
	}
	if q := quorumOn(b); q != "1" {
		t.Fatalf("another node shows quorum %s, want the committed 1", q)
	}
	redistest.WaitFor(t, 10*time.Second, "CKQUORUM judging the pending quorum 3 out of reach of the 2 usable nodes", func() bool {
		_, err := a.Do("SENTINEL", "CKQUORUM", "mymaster")
		return err != nil && strings.HasPrefix(err.Error(), "NOQUORUM 2 usable Sentinels. Not enough available Sentinels to reach the specified quorum")
	})
	if p := pendingOn(a); p != "1" {
		t.Fatalf("INFO raft_pending_settings: %s", p)
	}
	for _, cmd := range [][]string{
		{"SENTINEL", "REMOVE", "mymaster"},
		{"SENTINEL", "MONITOR", "other", m.Host, itoa(m.Port), "2"},
		{"SENTINEL", "FAILOVER", "mymaster"},
		{"SENTINEL", "RESET", "mymaster"},
		{"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes"},
	} {
		if _, err := a.Do(cmd...); err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN") {
			t.Fatalf("%v without a leader: %v, want TRYAGAIN", cmd, err)
		}
	}
	// The only holder of the change restarts before the others are back:
	// it keeps the change in dir.
	a.Kill()
	restart(a)
	restart(down...)
	everyNode("3")

	// Conflict: a change pending on a (expecting quorum 3) while the
	// majority sets quorum 4 without it.
	cutOff()
	mustDo(t, a, "SENTINEL", "SET", "mymaster", "quorum", "5")
	a.Kill()
	restart(down...)
	if _, err := c.WaitLeader(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	mustDo(t, b, "SENTINEL", "SET", "mymaster", "quorum", "4")
	restart(a)
	everyNode("4")
	log, err := os.ReadFile(a.Log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "pending setting dropped") || !strings.Contains(string(log), `"expected": "3"`) ||
		!strings.Contains(string(log), `"found": "4"`) {
		t.Fatalf("no warning naming the dropped setting in %s", a.Log)
	}
}

// By default (raft-serve-stale no) a SET of a replicated setting on a node
// without a leader answers -TRYAGAIN and changes nothing.
func TestSetWithoutLeaderTryAgainByDefault(t *testing.T) {
	n := aloneWithoutLeader(t)
	if _, err := n.Do("SENTINEL", "SET", "mymaster", "quorum", "1"); err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN") {
		t.Fatalf("SET without a leader: %v, want TRYAGAIN", err)
	}
	if info, err := n.Info("raft"); err != nil || info["raft_pending_settings"] != "0" {
		t.Fatalf("pending after a refused SET: %v %v", info, err)
	}
}

// aloneWithoutLeader starts a failover env of three nodes (with extra
// config lines), kills two, and returns the third once it has no leader.
func aloneWithoutLeader(t *testing.T, extra ...string) *harness.Node {
	t.Helper()
	e := newFailoverEnv(t, 1000, extra...)
	for _, o := range e.nodes[1:] {
		o.Kill()
	}
	waitNoLeader(t, e.nodes[0])
	return e.nodes[0]
}

// waitNoLeader waits until none of nodes leads or knows a leader.
func waitNoLeader(t *testing.T, nodes ...*harness.Node) {
	t.Helper()
	redistest.WaitFor(t, 10*time.Second, "no leader left", func() bool {
		for _, n := range nodes {
			info, err := n.Info("raft")
			if err != nil || info["raft_state"] == "leader" || info["raft_leader"] != "" {
				return false
			}
		}
		return true
	})
}
