package monitor

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// infoAtOnce bounds the INFO round trips in flight at once. A goroutine
// and a timer per instance, each sending its own INFO, made 4000 parked
// goroutines on a node watching 1000 masters with 3 replicas, and after
// a start or a stall thousands of them runnable at once: the Raft
// heartbeats queued behind them until the leader lost its lease. One
// scheduler with at most this many exchanges keeps the bursts bounded;
// an exchange that hangs (a blackholed instance) holds a slot for at most
// its dial and command timeouts.
const infoAtOnce = 64

// infoSched sends the periodic INFO of every instance: one goroutine with
// a heap of due times (infoState.due) and at most cap(slots) round trips
// at a time, each on a goroutine of its own that ends with it. The rules
// are infoPlan's. It replaced a goroutine and a timer per instance.
//
// INFOs due within a tenth of their wait (infoEarly) of the one being sent
// go out with it, as PINGs do (pinger.due): instances sent together are
// due together next time, so a node's periodic INFOs fall into a few
// rounds per period instead of one wake-up per instance (100 masters at
// Sentinel's 10 s: one a second instead of ten).
type infoSched struct {
	send  func(*instance) error // one INFO exchange: sendInfo (tests: a fake)
	slots chan struct{}         // one per exchange in flight
	kick  chan struct{}         // a plan changed or a slot came free

	mu      sync.Mutex
	due     infoHeap  // instances waiting for their next INFO
	planned time.Time // the scheduler's next wake-up, zero while it looks
	starved bool      // the scheduler waits for a slot: a finishing exchange kicks
	wg      sync.WaitGroup
}

// infoState is an instance's INFO bookkeeping, guarded by infoSched.mu.
type infoState struct {
	due        time.Time     // next INFO; meaningful while idx >= 0
	early      time.Duration // how much before due it may go with others (infoEarly)
	idx        int           // index in the heap, -1 = not in it
	busy       bool          // an exchange is running
	stopped    bool          // the instance stopped: never queued again
	last       time.Time     // start of the last INFO, zero = none yet
	seen       uint64        // command link dials counted at the last INFO's end
	linkFailed bool          // the last INFO failed on the link (not a Redis error)
}

// infoInputs is what decides when an instance's next INFO is due.
type infoInputs struct {
	last           time.Time // start of the last INFO, zero = none yet
	reconnected    bool      // the command link was (re)dialed since the last INFO
	back, suspect  bool      // the probe regained / lost the target since
	linkFailed     bool      // the last INFO failed on the link
	period, redial time.Duration
}

// infoPlan is when the next INFO is due (zero: at once): at once for the
// first INFO, after a (re)connect of the command link, when the probe
// regained the target, and when the probe lost the target while the link
// is believed up (to find out whether it is dead); after a link failure at
// the reconnect interval (or the period, if shorter); else every period.
func infoPlan(in infoInputs) time.Time {
	if in.last.IsZero() || in.reconnected || in.back || (in.suspect && !in.linkFailed) {
		return time.Time{}
	}
	return in.last.Add(infoWait(in))
}

// infoWait is the time between two INFOs of an instance in steady state.
func infoWait(in infoInputs) time.Duration {
	if in.linkFailed {
		return min(in.period, in.redial)
	}
	return in.period
}

// infoEarly is how long before its due time an INFO may be sent with
// another one being dispatched: a tenth of the wait.
func infoEarly(in infoInputs) time.Duration { return infoWait(in) / 10 }

func newInfoSched(atOnce int) *infoSched {
	return &infoSched{send: sendInfo, slots: make(chan struct{}, atOnce), kick: make(chan struct{}, 1)}
}

// sendInfo is the real exchange. The context has no end: a stopped
// instance's link is closed under the exchange (instance.stop), which
// ends it, and without one roundTrip needs no goroutine of its own.
func sendInfo(in *instance) error {
	_, err := in.refresh(context.Background())
	return err
}

// plan (re)computes in's due time and files it (caller holds s.mu). The
// probe's hints are consumed here.
func (s *infoSched) plan(in *instance) {
	st := &in.info
	if st.stopped || st.busy {
		return // an exchange's end plans again
	}
	inputs := infoInputs{
		last:        st.last,
		reconnected: in.cmd.seq.Load() != st.seen,
		back:        in.back.Swap(false),
		suspect:     in.suspect.Swap(false),
		linkFailed:  st.linkFailed,
		period:      in.infoPeriod(),
		redial:      in.settings().reconnect,
	}
	due := infoPlan(inputs)
	st.due, st.early = due, infoEarly(inputs)
	if st.idx >= 0 {
		heap.Fix(&s.due, st.idx)
	} else {
		heap.Push(&s.due, in)
	}
	if !s.planned.IsZero() && due.Before(s.planned) {
		poke(s.kick)
	}
}

// wake re-plans in: something its next INFO depends on changed.
func (s *infoSched) wake(in *instance) {
	s.mu.Lock()
	s.plan(in)
	s.mu.Unlock()
}

// remove stops scheduling in; an exchange in flight ends on its own.
func (s *infoSched) remove(in *instance) {
	s.mu.Lock()
	in.info.stopped = true
	if in.info.idx >= 0 {
		heap.Remove(&s.due, in.info.idx)
	}
	s.mu.Unlock()
}

// run dispatches due INFOs until ctx ends, then waits for the exchanges in
// flight.
func (s *infoSched) run(ctx context.Context) {
	defer s.wg.Wait()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		s.mu.Lock()
		s.planned = time.Time{}
		now := time.Now()
		var wake time.Time
		for len(s.due) > 0 {
			in := s.due[0]
			if in.info.due.After(now.Add(in.info.early)) {
				wake = in.info.due
				break
			}
			select {
			case s.slots <- struct{}{}:
			default: // all slots busy: a finishing exchange kicks
				wake = time.Time{}
				s.starved = true
				goto sleep
			}
			heap.Pop(&s.due)
			in.info.busy, in.info.last = true, now
			s.wg.Add(1)
			go s.exchange(in)
		}
	sleep:
		s.planned = wake
		if wake.IsZero() {
			s.planned = now.Add(time.Hour) // any plan is earlier: kick
		}
		s.mu.Unlock()
		if wake.IsZero() {
			select {
			case <-ctx.Done():
				return
			case <-s.kick:
			}
			continue
		}
		if !sleepUntil(ctx, t, wake, s.kick) {
			return
		}
	}
}

// exchange sends one INFO and plans the next.
func (s *infoSched) exchange(in *instance) {
	defer s.wg.Done()
	err := s.send(in)
	var re RedisError
	failed := err != nil && !errors.As(err, &re)
	seen := in.cmd.seq.Load()
	<-s.slots
	s.mu.Lock()
	in.info.busy = false
	in.info.seen, in.info.linkFailed = seen, failed
	stopped := in.info.stopped
	s.plan(in) // kicks the scheduler if the next INFO is due before its plan
	starved := s.starved
	s.starved = false
	s.mu.Unlock()
	if starved {
		poke(s.kick)
	}
	if stopped {
		in.cmd.mu.Lock()
		in.cmd.drop()
		in.cmd.mu.Unlock()
	}
}

// infoHeap orders instances by their next INFO.
type infoHeap []*instance

func (h infoHeap) Len() int           { return len(h) }
func (h infoHeap) Less(i, j int) bool { return h[i].info.due.Before(h[j].info.due) }
func (h infoHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].info.idx = i
	h[j].info.idx = j
}
func (h *infoHeap) Push(x any) {
	in := x.(*instance)
	in.info.idx = len(*h)
	*h = append(*h, in)
}
func (h *infoHeap) Pop() any {
	old := *h
	in := old[len(old)-1]
	old[len(old)-1] = nil
	in.info.idx = -1
	*h = old[:len(old)-1]
	return in
}
