//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// Issue 4, acceptance 4: the Raft leader dies in the middle of a failover
// (right after "started", or right after the promotion was sent, before
// "switch-master"); the failover completes under the next leader with one
// promotion: one epoch, one +switch-master per node, the same candidate.
func TestFailoverResumesAfterLeaderCrash(t *testing.T) {
	for _, point := range []string{"crash-after-election", "crash-after-promotion"} {
		t.Run(point, func(t *testing.T) {
			e := newFailoverEnv(t, 1000)
			if _, err := e.cluster.WaitLeader(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			// Every node is armed: leadership may move between arming and
			// the failover (it did under load), and whichever node leads
			// the failover crashes at the point. Once one has crashed, the
			// survivors are disarmed (HELP resets the flags, as in
			// Sentinel) before a new leader can reach the point: it needs
			// an election first.
			for _, n := range e.nodes {
				if s := mustDo(t, n, "SENTINEL", "SIMULATE-FAILURE", point); s != "OK" {
					t.Fatalf("SIMULATE-FAILURE: %q", s)
				}
			}
			w := watchSwitches(t, e.nodes)
			old := e.set.Master
			old.Kill()
			var crashed *harness.Node
			redistest.WaitFor(t, 10*time.Second, "a leader exits at "+point, func() bool {
				for _, n := range e.nodes {
					if !n.Running() {
						crashed = n
						return true
					}
				}
				return false
			})
			var rest []*harness.Node
			for _, n := range e.nodes {
				if n != crashed {
					rest = append(rest, n)
					if _, err := n.Do("SENTINEL", "SIMULATE-FAILURE", "help"); err != nil {
						t.Fatalf("disarm %s: %v", n.Addr(), err)
					}
				}
			}
			var newMaster *redistest.Server
			redistest.WaitFor(t, 15*time.Second, "the survivors finish the failover", func() bool {
				for _, r := range e.set.Replicas {
					if e.allAnswer(r.Addr()) {
						newMaster = r
						return true
					}
				}
				return false
			})
			payload := fmt.Sprintf("mymaster %s %d %s %d", old.Host, old.Port, newMaster.Host, newMaster.Port)
			redistest.WaitFor(t, 5*time.Second, "+switch-master on the survivors", func() bool { return w.all(rest, payload) })
			roles := 0
			for _, r := range e.set.Replicas {
				if r.Role() == "master" {
					roles++
				}
			}
			if roles != 1 {
				t.Fatalf("%d replicas are masters, want exactly one promotion", roles)
			}
			for _, n := range rest {
				m := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))
				if m["config-epoch"] != "1" {
					t.Fatalf("config-epoch %s on %s: the failover must finish in the epoch it started", m["config-epoch"], n.Addr())
				}
			}
			for _, n := range rest {
				if !n.Running() {
					t.Fatalf("%s crashed too: the failover must finish under the next leader", n.Addr())
				}
			}
			if w.count() != len(rest) {
				t.Fatalf("%d +switch-master messages for %d nodes", w.count(), len(rest))
			}
		})
	}
}

// Issue 4, acceptance 5: replica-priority 0 is never promoted; with no
// eligible replica SENTINEL FAILOVER answers -NOGOODSLAVE, and the automatic
// failover is refused and retried after 2 x failover-timeout.
func TestFailoverReplicaPriority(t *testing.T) {
	e := newFailoverEnv(t, 1000, "sentinel failover-timeout mymaster 1500")
	r0, r1 := e.set.Replicas[0], e.set.Replicas[1]
	for _, r := range []*redistest.Server{r0, r1} {
		if _, err := r.Do("CONFIG", "SET", "replica-priority", "0"); err != nil {
			t.Fatal(err)
		}
	}
	n := e.nodes[0]
	redistest.WaitFor(t, 5*time.Second, "-NOGOODSLAVE from SENTINEL FAILOVER", func() bool {
		_, err := n.Do("SENTINEL", "FAILOVER", "mymaster")
		return err != nil && err.Error() == "NOGOODSLAVE No suitable replica to promote"
	})
	// automatic: refused while both are priority 0
	sub := watchChannel(t, n, "-failover-abort-no-good-slave")
	old := e.set.Master
	old.Kill()
	redistest.WaitFor(t, 10*time.Second, "a refused failover", func() bool { return sub.count() >= 1 })
	first := time.Now()
	time.Sleep(500 * time.Millisecond)
	if sub.count() != 1 {
		t.Fatalf("retried before 2 x failover-timeout: %d refusals", sub.count())
	}
	if e.allAnswer(r0.Addr()) || e.allAnswer(r1.Addr()) {
		t.Fatal("a priority-0 replica was promoted")
	}
	// make one eligible: the retry after 2 x 1500 ms promotes it, never r0
	if _, err := r1.Do("CONFIG", "SET", "replica-priority", "50"); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 10*time.Second, "the retry promotes the eligible replica", func() bool { return e.allAnswer(r1.Addr()) })
	if since := time.Since(first); since < 2500*time.Millisecond {
		t.Fatalf("retried %v after the refusal, before 2 x failover-timeout", since)
	}
	if r0.Role() != "slave" {
		t.Fatal("the priority-0 replica is not a replica")
	}
}

// channelWatcher counts messages of one channel on one node.
type channelWatcher struct{ w *switchWatcher }

func (c channelWatcher) count() int { return c.w.count() }

func watchChannel(t *testing.T, n *harness.Node, channel string) channelWatcher {
	t.Helper()
	w := &switchWatcher{got: map[string][]string{}}
	sub := subscribe(t, n, channel)
	go func() {
		for msg := range sub.Channel() {
			w.mu.Lock()
			w.got[n.Addr()] = append(w.got[n.Addr()], msg.Payload)
			w.mu.Unlock()
		}
	}()
	return channelWatcher{w}
}
