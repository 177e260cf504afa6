package node

import (
	"sync"
	"sync/atomic"

	"github.com/raftinel/raftinel/model"
)

// earlyEvents holds the events of entries applied while New still builds
// the node (Raft starts applying as soon as the store opens: a node that
// rejoins may receive new entries before its server, scripts and metrics
// exist). Replays of entries already in the log at start publish nothing
// (consensus), so what waits here is new and must not be lost: a
// +switch-master that arrives during start-up still reaches subscribers,
// scripts and the log, in order, once the node is ready.
type earlyEvents struct {
	mu     sync.Mutex // orders early events before any later one
	events []model.Event
}

// publish delivers e, or keeps it while ready is false.
func (q *earlyEvents) publish(e model.Event, ready *atomic.Bool, deliver func(model.Event)) {
	if ready.Load() {
		deliver(e)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if ready.Load() { // became ready while waiting for the lock: kept ones are out
		deliver(e)
		return
	}
	q.events = append(q.events, e)
}

// release delivers the kept events in order and marks ready, so that every
// later event is delivered at once and after them.
func (q *earlyEvents) release(ready *atomic.Bool, deliver func(model.Event)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range q.events {
		deliver(e)
	}
	q.events = nil
	ready.Store(true)
}
