// Package wait is the one way raftinel's tests, benchmark and demo wait for
// a condition: bounded polling, never a fixed sleep. Tests use it through
// redistest.WaitFor, which fails the test on timeout.
package wait

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Every is the polling period.
const Every = 10 * time.Millisecond

// ErrTimeout is returned by Until when the condition did not hold in time.
var ErrTimeout = errors.New("timed out")

// Until polls cond every Every until it holds (nil), ctx ends (ctx.Err())
// or timeout passes (ErrTimeout, naming what was awaited).
func Until(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(Every)
	defer t.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return ctx.Err()
			}
			if cond() { // a last look at the deadline
				return nil
			}
			return fmt.Errorf("%w after %v waiting for %s", ErrTimeout, timeout, what)
		case <-t.C:
		}
	}
}
