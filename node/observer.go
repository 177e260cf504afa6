package node

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/policy"
	"go.uber.org/zap"
)

// observer carries this node's SDOWN opinion of each master into the log:
// every 50 ms, or when poked, it proposes what policy.Observations says
// (the difference between the opinions and what is committed, a "down"
// held back for one down-after after the node regains contact with the
// leader).
type observer struct {
	myID  string
	store *consensus.Store
	log   *zap.Logger
	wake  chan struct{}

	mu      sync.Mutex
	desired map[string]policy.Opinion
	contact policy.Contact // since when the node has been in contact with a leader
}

func newObserver(myID string, store *consensus.Store, log *zap.Logger) *observer {
	return &observer{myID: myID, store: store, log: log, wake: make(chan struct{}, 1), desired: map[string]policy.Opinion{}}
}

// set records this node's opinion of master, whose address is addr.
func (o *observer) set(master, addr string, down bool) {
	o.mu.Lock()
	o.desired[master] = policy.Opinion{Down: down, Addr: addr}
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

// observeAtOnce bounds the observations proposed at the same time. One
// after the other, each a Raft round trip (forwarded by a follower), a
// node starting 4000 instances queued its SDOWN opinions for minutes, and a
// real master's death reached the log behind them. Each opinion is of
// another instance, so their order does not matter; the leader writes
// concurrent proposals as one batch (consensus: BatchApplyCh).
const observeAtOnce = 16

// sync proposes what differs between the opinions and the committed
// observations (observeAtOnce at a time); it returns when to look again.
func (o *observer) sync(ctx context.Context) time.Duration {
	fresh := o.store.Fresh() == nil
	o.mu.Lock()
	freshFor := o.contact.Update(fresh, time.Now())
	want := maps.Clone(o.desired)
	o.mu.Unlock()
	if !fresh {
		return observerRetry
	}
	var todo []policy.Observation
	var recheck time.Duration
	o.store.Read(func(s *model.State) { todo, recheck = policy.Observations(s, o.myID, want, freshFor) })
	next := observerIdleCheck
	if recheck > 0 {
		next = min(next, recheck)
	}
	var mu sync.Mutex
	forEachPaced(ctx, len(todo), observeAtOnce, 1, 0, func(i int) {
		c := todo[i]
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := o.store.Apply(cctx, &model.Observe{Header: model.Header{Node: o.myID, AtMs: time.Now().UnixMilli()}, Master: c.Master, Addr: c.Addr, Down: c.Down})
		cancel()
		if err != nil {
			o.log.Debug("observation not committed yet", zap.String("master", c.Master), zap.Error(err))
			mu.Lock()
			next = observerRetry
			mu.Unlock()
		}
	})
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
