//go:build e2e

package monitor

import (
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// PingRTT receives the round trips of steady-state PINGs to Redis
// instances, and nothing for peers.
func TestPingRTTHook(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	peer := redistest.Start(t) // any RESP server answers PING like a peer
	var mu sync.Mutex
	var rtts []time.Duration
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(rtts) }
	log, _ := testLogger(t)
	m := New(Config{MyID: testID, PingPeriod: 100 * time.Millisecond, PingRTT: func(d time.Duration) {
		mu.Lock()
		rtts = append(rtts, d)
		mu.Unlock()
	}}, newRecorder(), log)
	m.SetTargets([]view.Target{{Master: "mymaster", Addr: r.Addr(), IsMaster: true, DownAfter: time.Second}})
	run(t, m)
	redistest.WaitFor(t, 5*time.Second, "three round trips", func() bool { return count() >= 3 })
	mu.Lock()
	for _, d := range rtts {
		if d <= 0 || d > time.Second {
			t.Errorf("round trip %v out of range", d)
		}
	}
	mu.Unlock()

	// Without targets, peer PINGs (once a second) add no sample.
	m.SetTargets(nil)
	m.SetPeers([]view.PeerTarget{{ID: "peer", Addr: peer.Addr()}})
	var first time.Time
	redistest.WaitFor(t, 5*time.Second, "a peer PING answered", func() bool {
		v, ok := m.Peer("peer")
		first = v.LastOKPing
		return ok && !first.IsZero()
	})
	before := count()
	redistest.WaitFor(t, 5*time.Second, "a second peer PING answered", func() bool {
		v, _ := m.Peer("peer")
		return v.LastOKPing.After(first)
	})
	if got := count(); got != before {
		t.Fatalf("peer PINGs were counted: %d samples, then %d", before, got)
	}
}
