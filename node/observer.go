package node

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/policy"
	"go.uber.org/zap"
)

// observer carries this node's SDOWN opinion of each master into the log:
// when poked (an opinion changed, an entry was applied, a proposal ended)
// it proposes what policy.Observations says (the difference between the
// opinions and what is committed, a "down" held back for one down-after
// after the node regains contact with the leader), one proposal per
// master at a time.
type observer struct {
	myID  string
	store observerLog
	log   *zap.Logger
	wake  chan struct{}

	mu       sync.Mutex
	desired  map[string]policy.Opinion
	contact  policy.Contact  // since when the node has been in contact with a leader
	inflight map[string]bool // master -> a proposal of it is on its way
	slots    chan struct{}   // one per proposal in flight (observeAtOnce)
	running  sync.WaitGroup  // proposals in flight; run waits for them when it ends
}

// observerLog is what the observer needs of the replicated log
// (consensus.Store).
type observerLog interface {
	Fresh() error
	Read(func(*model.State))
	Apply(context.Context, model.Entry) (model.Result, error)
}

func newObserver(myID string, store observerLog, log *zap.Logger) *observer {
	return &observer{myID: myID, store: store, log: log, wake: make(chan struct{}, 1), desired: map[string]policy.Opinion{},
		inflight: map[string]bool{}, slots: make(chan struct{}, observeAtOnce)}
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
	defer o.running.Wait()
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
// observations, except for masters whose proposal is still on its way; it
// returns when to look again. It does not wait for the proposals: it used
// to wait for a whole round of them, and an opinion that changed
// meanwhile (ten masters killed at once go SDOWN over a ping period)
// waited for the slowest proposal of the round before it was even sent.
// A proposal's commit pokes the observer (the node pokes it for every
// applied entry); a failed one pokes it again after observerRetry.
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
	for _, c := range todo {
		o.mu.Lock()
		busy := o.inflight[c.Master]
		o.inflight[c.Master] = true
		o.mu.Unlock()
		if busy {
			continue // its commit pokes the observer, which looks again
		}
		o.running.Add(1)
		go o.propose(ctx, c)
	}
	return next
}

// propose commits one observation (observeAtOnce at a time).
func (o *observer) propose(ctx context.Context, c policy.Observation) {
	defer o.running.Done()
	var err error
	select {
	case o.slots <- struct{}{}:
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = o.store.Apply(cctx, &model.Observe{Header: model.Header{Node: o.myID, AtMs: time.Now().UnixMilli()}, Master: c.Master, Addr: c.Addr, Down: c.Down})
		cancel()
		<-o.slots
	case <-ctx.Done():
		err = ctx.Err()
	}
	o.mu.Lock()
	delete(o.inflight, c.Master)
	o.mu.Unlock()
	switch {
	case ctx.Err() != nil:
	case err != nil:
		o.log.Debug("observation not committed yet", zap.String("master", c.Master), zap.Error(err))
		time.AfterFunc(observerRetry, o.poke)
	default:
		o.poke() // the opinion may have changed while this one was on its way
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
