package failover

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/model"
)

// evaluateAtOnce bounds the masters evaluated at the same time. One after
// the other, every master waiting on a round trip (a witness sample, a
// candidate's INFO, a proposal) delayed all the masters after it: with
// 1000 masters, a few dozen of them suspected after a start kept a killed
// master's failover waiting for seconds. Each master's evaluation touches
// only its own entries (the engine's maps are under mu), and failover
// starts, which share the epoch counter, are committed in batches
// (starts.go).
const evaluateAtOnce = 16

// evalQueue holds the masters waiting for an evaluation and knows those
// being evaluated. Workers (at most evaluateAtOnce) take masters in the
// order they were queued and end when the queue is empty; there is no
// goroutine while nothing is queued.
//
// Why a queue and not a round that waits for all its masters: Run used to
// evaluate every master and wait for the slowest before the next tick. A
// master whose evaluation waited on a round trip (a witness sample bounded
// by 200 ms, a proposal, a promotion) held up every other master's next
// step: with ten masters killed at once, each of the five steps of every
// failover (ODOWN, start, promotion, its record, switch) waited for the
// slowest evaluation of the whole tick, and ticks of 0.3-1.3 s put the
// last +switch-master of the ten 0.5 s past down-after + 500 ms. Now a
// tick queues the masters that are not queued or being evaluated, and
// each master's next evaluation only waits for its own previous one.
type evalQueue struct {
	mu     sync.Mutex
	jobs   []evalJob
	head   int             // jobs[head:] wait
	queued map[string]bool // master -> queued or being evaluated
	// endedAt is the state version each master's last evaluation ended
	// at. A tick's copies can be older: taken while the master's previous
	// evaluation was still committing (a start), queued after it ended.
	// Evaluated as they were, they showed no failover and started it
	// again (refused by the log, after a witness sample and a commit: half
	// a second of a failover's path during ten at once). Such a master is
	// read again from the state before its evaluation.
	endedAt map[string]uint64
	workers int
	join    *time.Timer    // adds helpers when jobs wait longer than evaluateAlone
	armed   bool           // join is set
	running sync.WaitGroup // workers; Run waits for them when it ends
}

// evaluateAlone: one worker evaluates the queued masters, and up to
// evaluateAtOnce-1 helpers join it only when masters have been waiting
// longer than this (a master waiting on a round trip: a witness sample, a
// candidate's INFO, a proposal). An idle tick of 100 healthy masters takes
// well under a millisecond; starting 16 goroutines for it ten times a
// second woke the leader's other threads for nothing.
const evaluateAlone = 2 * time.Millisecond

// evalJob is one evaluation of m, part of round. full: the tick is one
// of the IdleTick cadence, which also runs the corrections (see evaluate).
type evalJob struct {
	ctx    context.Context
	m      *model.Master
	ver    uint64 // the state version m was copied at
	voters map[string]bool
	round  *evalRound
	full   bool
	stale  bool   // m is older than the end of its previous evaluation
	ended  uint64 // the state version when its evaluation ended
}

// evalRound is what one dispatch queued: step waits for it (tests); Run
// does not.
type evalRound struct {
	wg       sync.WaitGroup
	busy     atomic.Bool
	panicked atomic.Pointer[any]
}

// dispatch queues every master that is neither queued nor being evaluated
// and starts the workers needed; it returns the round of the masters it
// queued.
func (e *Engine) dispatch(ctx context.Context, masters []*model.Master, voters map[string]bool, full bool) *evalRound {
	r := &evalRound{}
	q := &e.queue
	q.mu.Lock()
	if q.queued == nil {
		q.queued, q.endedAt = map[string]bool{}, map[string]uint64{}
	}
	if len(q.endedAt) > 2*len(masters)+16 {
		clear(q.endedAt) // names of removed masters; the others are re-read once at most
	}
	for _, m := range masters {
		if q.queued[m.Name] {
			continue
		}
		q.queued[m.Name] = true
		r.wg.Add(1)
		q.jobs = append(q.jobs, evalJob{ctx: ctx, m: m, ver: e.copiesAt, voters: voters, round: r, full: full})
	}
	start := 0
	if q.workers == 0 && q.head < len(q.jobs) {
		start = 1
	}
	q.workers += start
	if q.head < len(q.jobs) && !q.armed {
		q.armed = true
		if q.join == nil {
			q.join = time.AfterFunc(e.alone, e.addHelpers)
		} else {
			q.join.Reset(e.alone)
		}
	}
	q.running.Add(start)
	q.mu.Unlock()
	if start > 0 {
		go e.work()
	}
	return r
}

// addHelpers starts workers, up to evaluateAtOnce in all, for masters
// still waiting evaluateAlone after they were queued.
func (e *Engine) addHelpers() {
	q := &e.queue
	q.mu.Lock()
	q.armed = false
	n := max(min(evaluateAtOnce-q.workers, len(q.jobs)-q.head), 0)
	q.workers += n
	q.running.Add(n)
	q.mu.Unlock()
	e.helpers.Add(int64(n))
	for range n {
		go e.work()
	}
}

// work evaluates queued masters until the queue is empty. A master is
// un-queued, then its round told, under the same lock that takes the next
// one: a round that waits (step) is over only when its masters can be
// queued again.
func (e *Engine) work() {
	q := &e.queue
	var done evalJob // the job just evaluated; round nil = none
	for {
		q.mu.Lock()
		if done.round != nil {
			delete(q.queued, done.m.Name)
			q.endedAt[done.m.Name] = done.ended
		}
		var j evalJob
		more := q.head < len(q.jobs)
		if more {
			j = q.jobs[q.head]
			q.jobs[q.head] = evalJob{}
			q.head++
			j.stale = q.endedAt[j.m.Name] > j.ver
		} else {
			q.jobs, q.head = q.jobs[:0], 0 // the backing array is reused
			q.workers--
			if q.workers == 0 && q.armed && q.join.Stop() {
				q.armed = false // nothing waits: no helper needed
			}
		}
		q.mu.Unlock()
		if done.round != nil {
			done.round.wg.Done()
		}
		if !more {
			q.running.Done()
			return
		}
		e.run(j)
		j.ended = e.c.StateVersion()
		done = j
	}
}

// run evaluates one queued master. A panic (Config.Crash may panic in
// tests) is kept for the round and for Run, which re-raise it on the
// engine's goroutine.
func (e *Engine) run(j evalJob) {
	defer func() {
		if r := recover(); r != nil {
			p := new(any) // only when there is a panic: &r would put r on the heap every time
			*p = r
			j.round.panicked.CompareAndSwap(nil, p)
			e.panicked.CompareAndSwap(nil, p)
		}
	}()
	if j.ctx.Err() != nil {
		return
	}
	if j.stale {
		if j.m = e.reread(j.m.Name); j.m == nil {
			return // removed meanwhile
		}
	}
	if e.evaluate(j.ctx, j.m, j.voters, j.full) {
		j.round.busy.Store(true)
		e.busy.Store(true)
		poke(e.busyCh)
	}
}

// poke sends on a channel of capacity 1 without waiting (a wake-up already
// pending is enough).
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// reread returns a copy of master name as the state holds it now, or nil.
func (e *Engine) reread(name string) *model.Master {
	var m *model.Master
	e.c.Read(func(s *model.State) {
		if mm := s.Masters[name]; mm != nil {
			m = mm.Clone()
		}
	})
	return m
}
