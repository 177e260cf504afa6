package node

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/raftinel/raftinel/consensus"
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

// observerPeriod: how often the observer compares its opinions with the
// log when nothing pokes it (a lost proposal is sent again this often).
const observerPeriod = 50 * time.Millisecond

func (o *observer) run(ctx context.Context) {
	t := time.NewTicker(observerPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-t.C:
		}
		o.sync(ctx)
	}
}

func (o *observer) sync(ctx context.Context) {
	fresh := o.store.Fresh() == nil
	o.mu.Lock()
	freshFor := o.contact.Update(fresh, time.Now())
	want := maps.Clone(o.desired)
	o.mu.Unlock()
	if !fresh {
		return
	}
	var todo []policy.Observation
	o.store.Read(func(s *consensus.State) { todo = policy.Observations(s, o.myID, want, freshFor) })
	for _, c := range todo {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := o.store.Apply(cctx, &consensus.Command{Op: consensus.OpObserve, Master: c.Master, Addr: c.Addr, Node: o.myID, Down: c.Down, AtMs: time.Now().UnixMilli()})
		cancel()
		if err != nil {
			o.log.Debug("observation not committed yet", zap.String("master", c.Master), zap.Error(err))
		}
	}
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
