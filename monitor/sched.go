package monitor

import (
	"container/heap"
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// sdownSched drives SDOWN evaluation from one goroutine (Run's). Instead of
// scanning every instance on a fixed tick, it evaluates an instance when its
// inputs changed (the instance queues itself with markDirty) or when its
// SDownDeadline comes (a min-heap), and sleeps in between: an idle fixed
// 10 ms ticker alone costs more CPU than all the PINGs of 300 instances.
// Evaluation passes are at least Config.SDownCheckPeriod apart, so a verdict
// lands within about that of its deadline (usually well under a
// millisecond after it), as with a ticker of that period.
type sdownSched struct {
	epoch time.Time
	step  time.Duration // minimum spacing of passes

	mu    sync.Mutex
	dirty []*instance // guarded by mu
	spare []*instance // scheduler-owned; swapped with dirty on each pass
	due   deadlineHeap

	planned atomic.Int64  // ns since epoch of the next pass; MaxInt64 while a pass runs
	kick    chan struct{} // wakes the scheduler for a change due before planned
}

func newSched(step time.Duration) *sdownSched {
	s := &sdownSched{epoch: time.Now(), step: step, kick: make(chan struct{}, 1)}
	s.planned.Store(math.MaxInt64)
	return s
}

const never = math.MaxInt64

func (s *sdownSched) ns(t time.Time) int64 { return int64(t.Sub(s.epoch)) }

// markDirty queues in for the next pass and wakes the scheduler if hint (ns
// since epoch) comes before the pass it has planned. Allocation-free once
// the queue has grown.
func (s *sdownSched) markDirty(in *instance, hint int64) {
	if !in.queued.Swap(true) {
		s.mu.Lock()
		s.dirty = append(s.dirty, in)
		s.mu.Unlock()
	}
	if hint < s.planned.Load() {
		poke(s.kick)
	}
}

// run is the scheduler loop; it returns when ctx ends.
func (s *sdownSched) run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	var last time.Time
	for {
		// Any change from here on pokes (planned = never) until the new
		// plan is published, so none can slip between this pass and the
		// next sleep.
		s.planned.Store(never)
		now := time.Now()
		s.pass(now)
		last = now
		var wake time.Time
		if len(s.due) > 0 {
			wake = s.due[0].nextCheck
			s.planned.Store(s.ns(wake))
		}
		if !s.sleep(ctx, t, wake) {
			return
		}
		// Batch: never two passes closer than step.
		if next := last.Add(s.step); time.Now().Before(next) {
			if !sleepUntil(ctx, t, next, nil) {
				return
			}
		}
	}
}

// sleep waits until wake (zero = no deadline) or a kick.
func (s *sdownSched) sleep(ctx context.Context, t *time.Timer, wake time.Time) bool {
	if wake.IsZero() {
		select {
		case <-ctx.Done():
			return false
		case <-s.kick:
			return true
		}
	}
	return sleepUntil(ctx, t, wake, s.kick)
}

// pass evaluates the queued instances and those whose deadline passed.
func (s *sdownSched) pass(now time.Time) {
	s.mu.Lock()
	s.dirty, s.spare = s.spare[:0], s.dirty
	s.mu.Unlock()
	for i, in := range s.spare {
		in.queued.Store(false) // before evaluating: a change from now on queues it again
		s.eval(in, now)
		s.spare[i] = nil
	}
	for len(s.due) > 0 && now.After(s.due[0].nextCheck) {
		s.eval(s.due[0], now)
	}
}

// eval evaluates in and files it by its new deadline.
func (s *sdownSched) eval(in *instance, now time.Time) {
	in.checkSDown(now) // sets in.nextCheck (zero when stopped or no deadline)
	switch {
	case in.nextCheck.IsZero() && in.heapIdx >= 0:
		heap.Remove(&s.due, in.heapIdx)
	case in.nextCheck.IsZero():
	case in.heapIdx >= 0:
		heap.Fix(&s.due, in.heapIdx)
	default:
		heap.Push(&s.due, in)
	}
}

// deadlineHeap orders instances by nextCheck; each knows its index.
type deadlineHeap []*instance

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].nextCheck.Before(h[j].nextCheck) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *deadlineHeap) Push(x any) {
	in := x.(*instance)
	in.heapIdx = len(*h)
	*h = append(*h, in)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	in := old[len(old)-1]
	old[len(old)-1] = nil
	in.heapIdx = -1
	*h = old[:len(old)-1]
	return in
}
