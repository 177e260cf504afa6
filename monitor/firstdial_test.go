//go:build linux && e2e

package monitor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// An instance whose first dial waits for a slot behind other dials (a node
// starting thousands of links) was never asked: it is not SDOWN however
// long the wait, and its down-after counts from when its dial started.
func TestQueuedFirstDialIsNoSilence(t *testing.T) {
	srv := redistest.Start(t)
	const blocker = "127.0.0.1:1" // its dial holds the only slot until released
	release := make(chan struct{})
	holding := make(chan struct{}, 1)
	rec := newRecorder()
	m := New(Config{MyID: testID}, rec, nil)
	m.dials = newDialLimiter(func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == blocker {
			select { // the blocker is dialed again (probe, command link, re-dials): tell once, never wait
			case holding <- struct{}{}:
			default:
			}
			<-release
			return nil, context.DeadlineExceeded
		}
		return dialQuiet(ctx, network, addr)
	}, 1)
	m.cfg.Dial = m.dials.Dial
	d := 300 * time.Millisecond
	run(t, m)
	m.SetTargets([]view.Target{{Master: "b", Addr: blocker, IsMaster: true, DownAfter: time.Hour}})
	<-holding
	start := time.Now()
	m.SetTargets([]view.Target{{Master: "b", Addr: blocker, IsMaster: true, DownAfter: time.Hour},
		{Master: "m", Addr: srv.Addr(), IsMaster: true, DownAfter: d}})
	redistest.WaitFor(t, 5*time.Second, "the healthy probe's dial queued", func() bool { return m.dials.waiting.Load() >= 1 })
	// Queued for well over down-after (a wait on the clock, no assertion
	// on it): the SDOWN scheduler looks at it meanwhile.
	redistest.WaitFor(t, 5*time.Second, "3 x down-after", func() bool { return time.Since(start) > 3*d })
	close(release)
	k := instKey{"m", srv.Addr()}
	waitHealthy(t, m, "m", srv.Addr())
	for _, e := range rec.transitions(k) {
		if e.down {
			t.Fatalf("SDOWN while its first dial waited for a slot: %+v", rec.transitions(k))
		}
	}
}
