package node

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every index runs once, never more than workers at a time, slice after
// slice in order.
func TestForEachPacedBoundsAndCovers(t *testing.T) {
	const n, workers, slices = 1000, 8, 10
	var inFlight, peak atomic.Int32
	var mu sync.Mutex
	seen := make([]int, n)
	sliceStarted := make([]time.Time, slices)
	forEachPaced(context.Background(), n, workers, slices, 20*time.Millisecond, func(i int) {
		c := inFlight.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		mu.Lock()
		seen[i]++
		if s := i * slices / n; sliceStarted[s].IsZero() {
			sliceStarted[s] = time.Now()
		}
		mu.Unlock()
		time.Sleep(10 * time.Microsecond)
		inFlight.Add(-1)
	})
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("index %d ran %d times", i, c)
		}
	}
	if p := peak.Load(); p > workers {
		t.Fatalf("%d calls in flight, want at most %d", p, workers)
	}
	for s := 1; s < slices; s++ {
		if sliceStarted[s].Before(sliceStarted[s-1]) {
			t.Fatalf("slice %d started before slice %d", s, s-1)
		}
	}
}

// A cancelled round starts nothing more and returns.
func TestForEachPacedStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	forEachPaced(ctx, 100, 4, 10, time.Hour, func(int) {
		ran.Add(1)
		cancel()
	})
	if r := ran.Load(); r == 0 || r > 10 {
		t.Fatalf("%d calls ran; want the first slice at most (the next waits an hour)", r)
	}
}

// A hello round is spread only when it is large: a slice carries at least
// helloSliceMin publishes.
func TestHelloSlicesFor(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{0, 1}, {100, 1}, {300, 1}, {499, 1}, {500, 2}, {1000, 4}, {2500, 10}, {4000, 10},
	} {
		if got := helloSlicesFor(c.n); got != c.want {
			t.Errorf("helloSlicesFor(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// runSpaced folds wake-ups that come sooner than spacing after a call into
// one call, and a wake-up after a quiet spell calls again.
func TestRunSpacedFoldsWakeUps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := make(chan struct{}, 1)
	calls := make(chan time.Time, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSpaced(ctx, 500*time.Millisecond, wake, nil, func() { calls <- time.Now() })
	}()
	first := <-calls
	for range 20 { // 20 wake-ups within ~20 ms of the first call
		select {
		case wake <- struct{}{}:
		default:
		}
		time.Sleep(time.Millisecond)
	}
	second := <-calls // the folded wake-ups: one call, not sooner than spacing
	if gap := second.Sub(first); gap < 500*time.Millisecond {
		t.Fatalf("second call %v after the first, want at least the spacing", gap)
	}
	cancel()
	<-done
	if n := len(calls); n != 0 {
		t.Fatalf("%d more calls for wake-ups folded into one", n)
	}
}
