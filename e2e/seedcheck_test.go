//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// A stale config file (its master has become a replica since it was
// written, as in a redis-sentinel file copied before a failover) does not
// seed the old master: the seeding node follows role:slave to the
// instance that reports role:master, and the real master keeps its role
// and its writes.
func TestSeedFollowsTheReportedMaster(t *testing.T) {
	set := redistest.StartSet(t, 1)
	old, real := set.Master, set.Replicas[0]
	if _, err := real.Do("REPLICAOF", "NO", "ONE"); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Do("REPLICAOF", real.Host, itoa(real.Port)); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 10*time.Second, "the old master replicates from the new one", func() bool {
		info, err := old.Info("replication")
		return err == nil && info["role"] == "slave" && info["master_link_status"] == "up"
	})
	if _, err := real.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", old, 1, 1000)...)
	lines = append(lines, "sentinel known-replica mymaster "+real.Host+" "+itoa(real.Port))
	n := startNode(t, lines...)
	redistest.WaitFor(t, 5*time.Second, "the node answers the reported master", func() bool { return masterAddr(n, "mymaster") == real.Addr() })
	log, _ := os.ReadFile(n.Log)
	if !strings.Contains(string(log), "seed check") || !strings.Contains(string(log), "is a replica") {
		t.Fatalf("no seed check in the log:\n%s", log)
	}
	redistest.WaitFor(t, 10*time.Second, "the old master is a known replica", func() bool {
		s, err := n.Do("SENTINEL", "REPLICAS", "mymaster")
		return err == nil && strings.Contains(s, old.Addr())
	})
	// Past down-after and the demote delay: nothing is demoted or failed
	// over.
	time.Sleep(3 * time.Second)
	if real.Role() != "master" || old.Role() != "slave" || masterAddr(n, "mymaster") != real.Addr() {
		t.Fatalf("roles now %s (real) %s (old), answered %s", real.Role(), old.Role(), masterAddr(n, "mymaster"))
	}
	if v, err := real.Do("GET", "k"); err != nil || v != "v" {
		t.Fatalf("the real master lost its write: %q %v", v, err)
	}
}

// Only the leader runs the seed check (one INFO per configured master):
// at 1000 masters, three nodes checking at once tripled the start-up
// load. The followers, seeded by the leader, never check.
func TestOnlyTheLeaderChecksTheSeed(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, monitorLines("mymaster", m, 2, 5000)...)
	for _, n := range c.Nodes {
		redistest.WaitFor(t, 10*time.Second, "every node answers the seeded master", func() bool { return masterAddr(n, "mymaster") == m.Addr() })
	}
	checked := 0
	for _, n := range c.Nodes {
		log, err := os.ReadFile(n.Log)
		if err != nil {
			t.Fatal(err)
		}
		checked += strings.Count(string(log), "seed checked")
	}
	if checked != 1 {
		t.Fatalf("%d seed checks in the 3 nodes' logs, want 1 (the leader's)", checked)
	}
}
