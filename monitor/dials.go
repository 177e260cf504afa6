package monitor

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// maxDials bounds the dials in flight at once. A node that starts with
// thousands of instances (1000 masters with 3 replicas: 4000 instances,
// each with a probe and a command link) would otherwise dial them all at
// the same moment, and on a small machine the dials, handshakes and first
// INFOs would outlast their timeouts and feed on themselves through
// reconnects.
const maxDials = 64

// dialLimiter is limitDials with the count of dials waiting for a slot.
type dialLimiter struct {
	slots   chan struct{}
	waiting atomic.Int32
	dial    dialFunc
}

// behind reports whether at least as many dials wait as may run at once: a
// connection dropped now would queue behind them (pinger_linux.go keeps a
// slow probe connection instead).
func (l *dialLimiter) behind() bool { return int(l.waiting.Load()) >= cap(l.slots) }

// limitDials lets at most n dials of dial run at once; the others wait
// their turn. A dial whose context is cancelled (its link stopped) while
// it waits is not made. Waiting is not the target's fault, so a dial whose
// timeout (its context's deadline) passes in the queue keeps its place
// and gets the whole timeout from its turn; such a wait is bounded by the
// dials ahead of it, each of which holds its slot for at most its own
// timeout.
func limitDials(dial dialFunc, n int) dialFunc { return newDialLimiter(dial, n).Dial }

func newDialLimiter(dial dialFunc, n int) *dialLimiter {
	return &dialLimiter{slots: make(chan struct{}, n), dial: dial}
}

// Dial is the limited dialFunc.
func (l *dialLimiter) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.waiting.Add(1)
		timeout := time.Duration(-1)
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				l.waiting.Add(-1)
				return nil, ctx.Err()
			}
			l.slots <- struct{}{} // the queue's fault, not the target's: wait on
		}
		l.waiting.Add(-1)
		if ctx.Err() != nil && timeout >= 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
		}
	}
	defer func() { <-l.slots }()
	if started, ok := ctx.Value(dialStartKey{}).(func()); ok {
		started()
	}
	return l.dial(ctx, network, addr)
}

// dialStartKey is a context key: a func() in a dial's context is called
// when the dial gets its slot (the pinger: probe.firstDialStarted).
type dialStartKey struct{}
