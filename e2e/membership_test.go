//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

func members(n *harness.Node) []map[string]string {
	s, err := n.Do("RAFT", "MEMBERS")
	if err != nil {
		return nil
	}
	return splitMaps(s, 5)
}

func hasMember(n *harness.Node, addr string) bool {
	for _, m := range members(n) {
		if m["addr"] == addr {
			return true
		}
	}
	return false
}

// Issue 3, acceptance 6: a snapshot then a restart gives an identical state;
// RAFT ADD / RAFT REMOVE change the membership.
func TestSnapshotRestartAndMembership(t *testing.T) {
	set := redistest.StartSet(t, 1)
	lines := append(append([]string{"raft-snapshot-threshold 16", "raft-trailing-logs 4"}, fastLines...),
		monitorLines("mymaster", set.Master, 2, 5000)...)
	c := startCluster(t, 3, lines...)
	leader, _ := c.WaitLeader(5 * time.Second)
	redistest.WaitFor(t, 5*time.Second, "seeded", func() bool { return masterAddr(leader, "mymaster") == set.Master.Addr() })
	mustDoRetried(t, leader, "SENTINEL", "SET", "mymaster", "parallel-syncs", "3", "auth-user", "u1", "rename-command", "CONFIG", "CFG")
	for i := 0; i < 20; i++ { // enough entries to pass the threshold
		mustDoRetried(t, leader, "SENTINEL", "SET", "mymaster", "failover-timeout", itoa(10000+i))
	}
	for _, n := range c.Nodes {
		n := n
		redistest.WaitFor(t, 5*time.Second, "the last write everywhere", func() bool {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			return err == nil && harness.FlatMap(s)["failover-timeout"] == "10019"
		})
	}
	before := map[string]string{}
	for _, n := range c.Nodes {
		if s := mustDo(t, n, "RAFT", "SNAPSHOT"); s != "OK" {
			t.Fatalf("RAFT SNAPSHOT: %q", s)
		}
		before[n.Addr()] = stableMaster(mustDoRetried(t, n, "SENTINEL", "MASTER", "mymaster"))
	}
	for _, n := range c.Nodes {
		n.Kill()
	}
	for _, n := range c.Nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WaitLeader(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		n := n
		var got string
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			got = fmt.Sprint(err, stableMaster(s))
			if err == nil && stableMaster(s) == before[n.Addr()] {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got != "<nil>"+before[n.Addr()] {
			t.Fatalf("after restart %s\nbefore        %s", got, before[n.Addr()])
		}
	}
	if !strings.Contains(before[c.Nodes[0].Addr()], "failover-timeout=10019") {
		t.Fatalf("state before: %s", before[c.Nodes[0].Addr()])
	}

	// RAFT ADD: a fourth node waits to be added (its raft-join target is
	// closed), an operator adds it through a follower.
	leader, _ = c.WaitLeader(5 * time.Second)
	closed := "127.0.0.1:" + itoa(redistest.FreePort(t, "127.0.0.1"))
	n4 := startNode(t, append([]string{"raft-join " + closed, "raft-secret " + c.Secret}, fastLines...)...)
	f := followers(c, leader)[0]
	if s := mustDoRetried(t, f, "RAFT", "ADD", n4.Addr()); s != "OK" {
		t.Fatalf("RAFT ADD: %q", s)
	}
	redistest.WaitFor(t, 5*time.Second, "four members everywhere, the new one has the state", func() bool {
		for _, n := range append(append([]*harness.Node{}, c.Nodes...), n4) {
			if len(members(n)) != 4 {
				return false
			}
		}
		return masterAddr(n4, "mymaster") == set.Master.Addr()
	})
	id4 := mustDo(t, n4, "SENTINEL", "MYID")
	if s := mustDo(t, f, "RAFT", "REMOVE", id4); s != "OK" {
		t.Fatalf("RAFT REMOVE by myid: %q", s)
	}
	redistest.WaitFor(t, 5*time.Second, "three members again", func() bool {
		for _, n := range c.Nodes {
			if len(members(n)) != 3 || hasMember(n, n4.Addr()) {
				return false
			}
		}
		return true
	})
	if _, err := f.Do("RAFT", "REMOVE", "nosuch:1"); err == nil {
		t.Fatal("removing an unknown member must fail")
	}
	if _, err := f.Do("RAFT", "FOO"); err == nil || !strings.Contains(err.Error(), "unknown subcommand") {
		t.Fatalf("RAFT FOO: %v", err)
	}
}

// stableMaster keeps the replicated fields of a SENTINEL MASTER reply.
func stableMaster(s string) string {
	m := harness.FlatMap(s)
	var out []string
	for _, k := range []string{"name", "ip", "port", "quorum", "failover-timeout", "parallel-syncs", "down-after-milliseconds", "config-epoch", "num-slaves"} {
		out = append(out, k+"="+m[k])
	}
	return strings.Join(out, ",")
}
