package node

import (
	"context"
	"sync"
	"time"

	"github.com/raftinel/raftinel/consensus"
	"go.uber.org/zap"
)

// observer carries this node's SDOWN opinion of each master into the log.
// Only the latest opinion matters, so it compares what it wants with what
// is committed and proposes the difference (a lost proposal is simply sent
// again). A "down" opinion is held back for one down-after after the node regains
// contact with the leader: it may have been formed while this node was cut
// off from everything, and must be re-confirmed by fresh probes first
// (lessons: two isolated sentinels combined stale "down" views into ODOWN
// right after the heal).
type observer struct {
	myID  string
	store *consensus.Store
	log   *zap.Logger
	wake  chan struct{}

	mu         sync.Mutex
	desired    map[string]opinion
	freshSince time.Time // when the node (re)gained contact with a leader
	wasFresh   bool
}

func newObserver(myID string, store *consensus.Store, log *zap.Logger) *observer {
	return &observer{myID: myID, store: store, log: log, wake: make(chan struct{}, 1), desired: map[string]opinion{}}
}

// opinion is this node's SDOWN verdict on the instance at addr, monitored
// as master. An opinion about an address that is no longer the master's
// (a failover switched it) is stale: it is never proposed, or it would
// count against the new master.
type opinion struct {
	down bool
	addr string
}

// set records this node's opinion of master, whose address is addr.
func (o *observer) set(master, addr string, down bool) {
	o.mu.Lock()
	o.desired[master] = opinion{down: down, addr: addr}
	o.mu.Unlock()
	o.poke()
}

func (o *observer) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Observer timings: while something is left to do (a proposal not yet
// committed, this node out of contact with the leader), it looks again
// every observerRetry; otherwise it waits to be poked (an opinion changed,
// an entry was applied), or for the moment a held-back "down" may be
// proposed, with observerIdleCheck as a safety net. It used to look every
// 50 ms whatever happened: 20 wake-ups a second per node for nothing.
const (
	observerRetry     = 50 * time.Millisecond
	observerIdleCheck = time.Second
)

func (o *observer) run(ctx context.Context) {
	t := time.NewTimer(observerIdleCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-t.C:
		}
		next := o.sync(ctx)
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(next)
	}
}

// sync proposes what differs between the opinions and the committed
// observations; it returns when to look again.
func (o *observer) sync(ctx context.Context) time.Duration {
	fresh := o.store.Fresh() == nil
	now := time.Now()
	o.mu.Lock()
	if fresh && !o.wasFresh {
		o.freshSince = now
	}
	o.wasFresh = fresh
	freshFor := now.Sub(o.freshSince)
	want := make(map[string]opinion, len(o.desired))
	for k, v := range o.desired {
		want[k] = v
	}
	o.mu.Unlock()
	if !fresh {
		return observerRetry
	}
	next := observerIdleCheck
	type change struct {
		master string
		addr   consensus.Addr
		down   bool
	}
	var todo []change
	o.store.Read(func(s *consensus.State) {
		for name, op := range want {
			m := s.Masters[name]
			if m == nil || op.addr != m.Addr.String() {
				continue
			}
			down := op.down
			if hold := time.Duration(m.DownAfterMs)*time.Millisecond - freshFor; down && hold > 0 {
				next = min(next, hold)
				continue // re-confirm after regaining contact
			}
			if m.Observations[o.myID].Down != down {
				todo = append(todo, change{name, m.Addr, down})
			}
		}
	})
	for _, c := range todo {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := o.store.Apply(cctx, &consensus.Command{Op: consensus.OpObserve, Master: c.master, Addr: c.addr, Node: o.myID, Down: c.down, AtMs: time.Now().UnixMilli()})
		cancel()
		if err != nil {
			o.log.Debug("observation not committed yet", zap.String("master", c.master), zap.Error(err))
			next = observerRetry
		}
	}
	return next
}

// forget drops opinions of masters that are no longer monitored.
func (o *observer) forget(keep map[string]bool) {
	o.mu.Lock()
	for k := range o.desired {
		if !keep[k] {
			delete(o.desired, k)
		}
	}
	o.mu.Unlock()
}
