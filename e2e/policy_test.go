//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// makeLeader moves leadership to n (RAFT TRANSFER-LEADERSHIP until the
// election lands on it).
func makeLeader(t *testing.T, c *harness.Cluster, n *harness.Node) {
	t.Helper()
	redistest.WaitFor(t, 30*time.Second, n.Addr()+" leading", func() bool {
		l, err := c.WaitLeader(5 * time.Second)
		if err != nil {
			return false
		}
		if l == n {
			return true
		}
		_, _ = l.Do("RAFT", "TRANSFER-LEADERSHIP")
		return false
	})
}

// readFile returns the file's text ("" when it does not exist).
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// Issue 14: every node applies its own rules to a change, whatever node or
// stream it came through. Three nodes whose configs differ:
//
//	node 0: deny-scripts-reconfig no,  user ops may SENTINEL SET
//	node 1: deny-scripts-reconfig yes, user ops may not SENTINEL SET
//	node 2: deny-scripts-reconfig no,  user ops may SENTINEL SET
//
// With node 1 leading, a script set through node 0 and a SET by ops
// through node 0 are refused by the leader's own config and ACL. With node
// 0 leading the script is set, and runs on nodes 0 and 2 but never on node
// 1, which logs its refusal; SENTINEL REMOVE runs it with -monitor.
func TestEachNodeEnforcesItsOwnScriptAndACLRules(t *testing.T) {
	m := redistest.Start(t)
	script := filepath.Join(t.TempDir(), "notify.sh")
	// Scripts run in the node's dir: each node writes its own log.
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> notify.log\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := harness.StartCluster(harness.ClusterOptions{Bin: bin, Size: 3, Dir: t.TempDir(),
		Lines: append(monitorLines("mymaster", m, 2, 5000), fastLines...),
		NodeLines: func(i int) []string {
			if i == 1 {
				return []string{"sentinel deny-scripts-reconfig yes", "user default on nopass ~* &* +@all", "user ops on >pw +@all -sentinel|set"}
			}
			return []string{"sentinel deny-scripts-reconfig no", "user default on nopass ~* &* +@all", "user ops on >pw +@all"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	harness.DumpOnFailure(t, c.Nodes...)
	n0, n1, n2 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	logOf := func(n *harness.Node) string { return readFile(filepath.Join(n.Dir, "data", "notify.log")) }
	ops := redis.NewClient(&redis.Options{Addr: n0.Addr(), Username: "ops", Password: "pw", MaxRetries: -1})
	defer ops.Close()
	ctx := context.Background()

	// The config file's master is seeded once the cluster has a leader: wait
	// for it, or the first SET may find no master.
	redistest.WaitFor(t, 10*time.Second, "the seeded master on every node", func() bool {
		for _, n := range c.Nodes {
			if masterAddr(n, "mymaster") != m.Addr() {
				return false
			}
		}
		return true
	})
	makeLeader(t, c, n1)
	_, err = n0.Do("SENTINEL", "SET", "mymaster", "notification-script", script)
	if err == nil || !strings.HasPrefix(err.Error(), "ERR Reconfiguration of scripts path is denied") {
		t.Fatalf("script set through node 0, node 1 leading: %v", err)
	}
	if !strings.Contains(readFile(n1.Log), "forwarded change refused") {
		t.Fatal("the leader did not log the refusal")
	}
	err = ops.Do(ctx, "SENTINEL", "SET", "mymaster", "quorum", "1").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "NOPERM this user has no permissions to run the 'sentinel|set' command (the raft leader's ACL)") {
		t.Fatalf("ops through node 0, node 1 leading: %v", err)
	}
	if err := ops.Do(ctx, "SENTINEL", "SET", "mymaster", "down-after-milliseconds", "5001").Err(); err == nil {
		t.Fatal("a second forbidden SET went through")
	}
	if s := mustDo(t, n1, "ACL", "LOG"); !strings.Contains(s, "forwarded by another node") {
		t.Fatalf("leader's ACL LOG: %q", s)
	}

	makeLeader(t, c, n0)
	if err := ops.Do(ctx, "SENTINEL", "SET", "mymaster", "notification-script", script).Err(); err != nil {
		t.Fatalf("script set on node 0 leading: %v", err)
	}
	mustDo(t, n2, "SENTINEL", "SET", "mymaster", "quorum", "2") // another +set, through node 2
	redistest.WaitFor(t, 10*time.Second, "node 1 refusing the script", func() bool {
		return strings.Contains(readFile(n1.Log), "script refused by this node's config")
	})
	redistest.WaitFor(t, 10*time.Second, "the script on nodes 0 and 2", func() bool {
		for _, n := range []*harness.Node{n0, n2} {
			if !strings.Contains(logOf(n), "+set master mymaster") {
				return false
			}
		}
		return true
	})
	mustDo(t, n2, "SENTINEL", "REMOVE", "mymaster")
	redistest.WaitFor(t, 10*time.Second, "the script run for -monitor", func() bool {
		for _, n := range []*harness.Node{n0, n2} {
			if !strings.Contains(logOf(n), "-monitor master mymaster "+m.Host+" "+itoa(m.Port)) {
				return false
			}
		}
		return true
	})
	if s := logOf(n1); s != "" {
		t.Fatalf("node 1 (deny-scripts-reconfig yes) ran the script:\n%s", s)
	}
}
