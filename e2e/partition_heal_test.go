//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// A node back from a minority must not answer the pre-failover master
// between the leader's first heartbeat (which makes its contact fresh) and
// applying the entries it missed: it answers -STALE until it has caught up
// (consensus/catchup.go). Without that, a node cut off ~3 s answered the
// old master for hundreds of milliseconds after the heal.
func TestPartitionHealNoStaleAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: partition")
	}
	for round := 0; round < 2; round++ {
		e := newPartitionEnv(t)
		old := e.redis[0].Addr()
		e.cut([]string{e.ip(0), e.nodeIP(0)}, append(e.nodeIPs(1, 2), e.redisIPs(1, 2)...))
		redistest.WaitFor(t, 10*time.Second, "the majority switched", func() bool {
			a := masterAddr(e.nodes[1], "mymaster")
			return a != "" && a != old
		})
		time.Sleep(2 * time.Second)
		watch := e.healWatch([]int{0}, 1500*time.Millisecond)
		e.healAll()
		bad := watch()
		for _, b := range bad[:min(len(bad), 5)] {
			t.Errorf("round %d: %s", round, b)
		}
		if len(bad) > 0 {
			t.Fatalf("round %d: %d stale answers after the heal", round, len(bad))
		}
		e.waitConverged(15 * time.Second)
	}
}
