package node

import (
	"context"
	"sync"
	"time"
)

// forEachPaced calls do(i) for every i in [0, n) on at most workers
// goroutines. With spread > 0 the calls start in slices: slice s (of
// slices) no earlier than spread*s/slices after the start, so that a
// round over thousands of instances is a steady trickle instead of one
// burst (hello rounds: publishHellos; seed checks run unspread). It returns when every
// started call has returned; calls not started when ctx ends are skipped.
func forEachPaced(ctx context.Context, n, workers, slices int, spread time.Duration, do func(i int)) {
	if n <= 0 {
		return
	}
	workers = max(1, min(workers, n))
	slices = max(1, min(slices, n))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				do(i)
			}
		}()
	}
	defer func() { close(jobs); wg.Wait() }()
	start := time.Now()
	var t *time.Timer
	for s := range slices {
		if at := start.Add(spread * time.Duration(s) / time.Duration(slices)); s > 0 && spread > 0 {
			if t == nil {
				t = time.NewTimer(time.Until(at))
				defer t.Stop()
			} else {
				t.Reset(time.Until(at))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		for i := s * n / slices; i < (s+1)*n/slices; i++ {
			select {
			case <-ctx.Done():
				return
			case jobs <- i:
			}
		}
	}
}
