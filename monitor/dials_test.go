package monitor

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// At most n dials run at once; a waiting dial whose link stops is not
// made; one whose timeout passed while it waited still gets a whole
// timeout from its turn.
func TestLimitDials(t *testing.T) {
	var inFlight, peak, made atomic.Int32
	release := make(chan struct{})
	var deadlines sync.Map // addr -> time left at the dial
	dial := limitDials(func(ctx context.Context, _, addr string) (net.Conn, error) {
		made.Add(1)
		if dl, ok := ctx.Deadline(); ok {
			deadlines.Store(addr, time.Until(dl))
		}
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		return nil, errors.New("refused")
	}, 2)

	var wg sync.WaitGroup
	for _, a := range []string{"a", "b"} { // take both slots
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = dial(context.Background(), "tcp", a) }()
	}
	redistest.WaitFor(t, 5*time.Second, "both slots taken", func() bool { return inFlight.Load() == 2 })

	// A queued dial whose link stops returns without dialing.
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { _, err := dial(ctx, "tcp", "stopped"); stopped <- err }()
	// A queued dial whose short timeout passes while it waits.
	tctx, tcancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer tcancel()
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = dial(tctx, "tcp", "late") }()

	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	<-tctx.Done() // its deadline passes in the queue
	close(release)
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak dials in flight %d, want 2", p)
	}
	if m := made.Load(); m != 3 {
		t.Fatalf("%d dials made, want 3 (a, b, late; not the stopped one)", m)
	}
	left, ok := deadlines.Load("late")
	if !ok || left.(time.Duration) <= 0 {
		t.Fatalf("the late dial had %v of its timeout left at its turn", left)
	}
}
