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

// stallFor stops a raftinel process (SIGSTOP) for d, then resumes it.
func stallFor(n *harness.Node, d time.Duration) time.Time {
	n.Stop()
	time.Sleep(d) // the stall is the input here, not a wait for a condition
	n.Resume()
	return time.Now()
}

// A raftinel process stopped for 3 s (SIGSTOP) enters TILT when it runs
// again and leaves it once fresh probes re-confirm its views: +tilt and
// -tilt on its own channels, a log line with the stall, and no SDOWN, no
// failover, no change of master. Here it is the leader.
func TestTiltAfterStallCausesNoFailover(t *testing.T) {
	e := newFailoverEnv(t, 1000)
	orig := e.set.Master.Addr()
	leader, err := e.cluster.WaitLeader(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tilt := watchChannel(t, leader, "+tilt")
	untilt := watchChannel(t, leader, "-tilt")
	sdown := watchChannel(t, leader, "+sdown")
	switches := watchSwitches(t, e.nodes)
	resumed := stallFor(leader, 3*time.Second)
	redistest.WaitFor(t, 10*time.Second, "+tilt and -tilt on the stalled node", func() bool { return tilt.count() == 1 && untilt.count() == 1 })
	t.Logf("TILT entered and left within %v of the resume", time.Since(resumed).Round(time.Millisecond))
	log, _ := os.ReadFile(leader.Log)
	if !strings.Contains(string(log), "+tilt: this process was stalled") {
		t.Fatal("no +tilt log line")
	}
	// Long enough for a false SDOWN (down-after 1 s) to have turned into a failover.
	time.Sleep(3 * time.Second)
	if sdown.count() != 0 || switches.count() != 0 {
		t.Fatalf("the stall caused %d +sdown on the stalled node and %d +switch-master", sdown.count(), switches.count())
	}
	for _, n := range e.nodes {
		if got := masterAddr(n, "mymaster"); got != orig {
			t.Fatalf("%s answers %s after the stall, want %s", n.Addr(), got, orig)
		}
	}
	if info, _ := leader.Info("sentinel"); info["sentinel_tilt"] != "0" || info["sentinel_tilt_since_seconds"] != "-1" {
		t.Fatalf("INFO after TILT: %v", info)
	}
}

// TILT never hides a real failure for long: the master dies while a node
// whose opinion the quorum needs (quorum 3 of 3) is stopped; once it runs
// again its own SDOWN comes down-after after the stall (not 30 s later, as
// Sentinel's TILT would have it) and the master is failed over.
func TestTiltDoesNotHideARealFailure(t *testing.T) {
	e := newFailoverEnv(t, 1000)
	if _, err := e.nodes[0].Do("SENTINEL", "SET", "mymaster", "quorum", "3"); err != nil {
		t.Fatal(err)
	}
	leader, err := e.cluster.WaitLeader(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	x := followers(e.cluster, leader)[0]
	tilt := watchChannel(t, x, "+tilt")
	x.Stop()
	e.set.Master.Kill()
	time.Sleep(3 * time.Second) // the stall
	x.Resume()
	resumed := time.Now()
	nm := e.waitNewMaster(t) // bounded at 15 s, half of Sentinel's 30 s TILT
	t.Logf("new master %s answered by every node %v after the stalled node resumed (down-after 1 s)", nm.Addr(), time.Since(resumed).Round(time.Millisecond))
	if tilt.count() != 1 {
		t.Fatalf("+tilt published %d times on the stalled node", tilt.count())
	}
}

// INFO shows TILT while an instance is not re-confirmed (a replica that
// stopped answering is, once it has been silent for down-after after the
// stall), and SENTINEL DEBUG tilt-trigger takes effect: a stall shorter
// than it is no TILT.
func TestTiltInInfoAndDebugTrigger(t *testing.T) {
	set := redistest.StartSet(t, 1)
	n := startNode(t, append(append([]string{}, fastLines...), monitorLines("mymaster", set.Master, 1, 2000)...)...)
	waitReplicasKnown(t, []*harness.Node{n}, 1)
	tilt := watchChannel(t, n, "+tilt")
	untilt := watchChannel(t, n, "-tilt")
	set.Replicas[0].Stop()
	t.Cleanup(set.Replicas[0].Resume)
	stallFor(n, 3*time.Second)
	redistest.WaitFor(t, 5*time.Second, "INFO sentinel_tilt:1", func() bool {
		info, err := n.Info("sentinel")
		return err == nil && info["sentinel_tilt"] == "1" && info["sentinel_tilt_since_seconds"] != "-1"
	})
	if untilt.count() != 0 {
		t.Fatal("-tilt before the silent replica was re-confirmed")
	}
	redistest.WaitFor(t, 10*time.Second, "-tilt once the replica is SDOWN", func() bool { return untilt.count() == 1 })
	if info, _ := n.Info("sentinel"); info["sentinel_tilt"] != "0" {
		t.Fatalf("INFO after -tilt: %v", info)
	}
	set.Replicas[0].Resume()

	mustDo(t, n, "SENTINEL", "DEBUG", "tilt-trigger", "10000")
	stallFor(n, 3*time.Second)
	time.Sleep(time.Second) // the detector ticks every 100 ms
	if tilt.count() != 1 {
		t.Fatalf("+tilt after a 3 s stall with tilt-trigger 10000 (%d in all)", tilt.count())
	}
}
