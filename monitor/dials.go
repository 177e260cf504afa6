package monitor

import (
	"context"
	"errors"
	"net"
	"time"
)

// maxDials bounds the dials in flight at once. A node that starts with
// thousands of instances (1000 masters with 3 replicas: 4000 instances,
// each with a probe and a command link) would otherwise dial them all at
// the same moment, and on a small machine the dials, handshakes and first
// INFOs would outlast their timeouts and feed on themselves through
// reconnects.
const maxDials = 64

// limitDials lets at most n dials of dial run at once; the others wait
// their turn. A dial whose context is cancelled (its link stopped) while
// it waits is not made. Waiting is not the target's fault, so a dial whose
// timeout (its context's deadline) passes in the queue keeps its place
// and gets the whole timeout from its turn; such a wait is bounded by the
// dials ahead of it, each of which holds its slot for at most its own
// timeout.
func limitDials(dial dialFunc, n int) dialFunc {
	slots := make(chan struct{}, n)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case slots <- struct{}{}:
		default:
			timeout := time.Duration(-1)
			if dl, ok := ctx.Deadline(); ok {
				timeout = time.Until(dl)
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
					return nil, ctx.Err()
				}
				slots <- struct{}{} // the queue's fault, not the target's: wait on
			}
			if ctx.Err() != nil && timeout >= 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), timeout)
				defer cancel()
			}
		}
		defer func() { <-slots }()
		return dial(ctx, network, addr)
	}
}
