//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// Replica discovery: the leader adds a replica it finds in the master's INFO
// at once; a follower adds one only if the cluster still does not know it a
// while after the follower saw it (policy.FollowerDiscoveryDelay).
// Here the leader is cut off from the master before a new replica attaches,
// so only the followers can see it, and it must still be added.
func TestReplicaSeenOnlyByFollowers(t *testing.T) {
	set := redistest.StartSet(t, 1)
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", set.Master, 2, 1000)...)
	c := startInProc(t, lines...)
	numSlaves := func(addr string) string {
		s, err := harness.Do(addr, "SENTINEL", "MASTER", "mymaster")
		if err != nil {
			return ""
		}
		return harness.FlatMap(s)["num-slaves"]
	}
	redistest.WaitFor(t, 10*time.Second, "every node knows the first replica", func() bool {
		for _, a := range c.addrs {
			if numSlaves(a) != "1" {
				return false
			}
		}
		return true
	})
	leader := -1
	redistest.WaitFor(t, 5*time.Second, "a leader", func() bool {
		for i, n := range c.nodes {
			if n.Store().IsLeader() {
				leader = i
				return true
			}
		}
		return false
	})
	c.dialers[leader].Cut(set.Master.Addr())
	r2 := redistest.Start(t, redistest.ReplicaOf(set.Master))
	redistest.WaitFor(t, 10*time.Second, "the master lists the new replica", func() bool {
		info, err := set.Master.Info("replication")
		return err == nil && info["connected_slaves"] == "2"
	})
	added := time.Now()
	redistest.WaitFor(t, 15*time.Second, "every node knows the new replica", func() bool {
		for _, a := range c.addrs {
			if numSlaves(a) != "2" {
				return false
			}
		}
		return true
	})
	t.Logf("replica %s added %v after the master listed it (leader cut off from the master)",
		r2.Addr(), time.Since(added).Round(time.Millisecond))
	if !c.logsContain(strings.ReplaceAll(`"+slave", "payload": "slave ADDR`, "ADDR", r2.Addr())) {
		t.Fatal("no +slave event for the new replica")
	}
}
