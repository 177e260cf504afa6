package failover

import (
	"context"
	"sync"
	"time"

	"github.com/raftinel/raftinel/model"
)

// fakeLog is an in-memory Cluster for the engine's scenario tests: a
// leader whose log applies the entries the engine proposes to a
// model.State with the real state machine (model.Apply: the epoch fence
// and every refusal included). There is one log: an entry proposed while the node does not lead
// is committed as if forwarded to the leader, as consensus.Store.Apply
// does. Leadership (IsLeader, VerifyLeader, Term) is set by the test,
// also from inside a fakeRedis hook to depose the leader mid-step.
type fakeLog struct {
	mu        sync.Mutex
	st        *model.State
	leader    bool
	verifyErr error
	term      uint64
	voters    []string
	applied   []model.Entry // committed entries, in order
	refused   []model.Entry // entries the fake log refused
	batches   [][]model.Entry
	// beforeBatch, when set, runs at the start of every ApplyBatch
	// (without the log's lock held).
	beforeBatch func(es []model.Entry)
	version     uint64 // StateVersion: bumped by every change of st
	members     int    // calls of Members: one per tick of the engine
}

func newFakeLog(st *model.State, voters ...string) *fakeLog {
	return &fakeLog{st: st, leader: true, term: 1, voters: voters}
}

func (l *fakeLog) Read(fn func(*model.State)) { l.mu.Lock(); defer l.mu.Unlock(); fn(l.st) }
func (l *fakeLog) StateVersion() uint64       { l.mu.Lock(); defer l.mu.Unlock(); return l.version }
func (l *fakeLog) Apply(_ context.Context, cmd model.Entry) (model.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++ // a refused entry changes nothing, but a spare bump is harmless
	// On a follower consensus.Store.Apply forwards to the leader: the
	// entry is committed all the same.
	if err := fakeApply(l.st, cmd); err != nil {
		l.refused = append(l.refused, cmd)
		return model.Result{}, err
	}
	l.applied = append(l.applied, cmd)
	return model.Result{Index: uint64(len(l.applied))}, nil
}

// ApplyBatch applies es in order, each on its own, as consensus.Store's
// does on the leader.
func (l *fakeLog) ApplyBatch(ctx context.Context, es []model.Entry) ([]model.Result, []error) {
	if l.beforeBatch != nil {
		l.beforeBatch(es)
	}
	l.mu.Lock()
	l.batches = append(l.batches, es)
	l.mu.Unlock()
	res, errs := make([]model.Result, len(es)), make([]error, len(es))
	for i, e := range es {
		res[i], errs[i] = l.Apply(ctx, e)
	}
	return res, errs
}
func (l *fakeLog) IsLeader() bool { l.mu.Lock(); defer l.mu.Unlock(); return l.leader }
func (l *fakeLog) VerifyLeader() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.leader {
		return model.ErrNotLeader
	}
	return l.verifyErr
}
func (l *fakeLog) Term() uint64                { l.mu.Lock(); defer l.mu.Unlock(); return l.term }
func (l *fakeLog) Barrier(time.Duration) error { return nil }
func (l *fakeLog) Members() []model.Member {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.members++
	var out []model.Member
	for _, id := range l.voters {
		out = append(out, model.Member{ID: id, Voter: true})
	}
	return out
}

// do changes the log's state or leadership under its lock.
func (l *fakeLog) do(fn func(l *fakeLog)) { l.mu.Lock(); defer l.mu.Unlock(); l.version++; fn(l) }

// ops lists the committed entries' operations.
func (l *fakeLog) ops() []model.Op {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]model.Op, len(l.applied))
	for i, c := range l.applied {
		out[i] = c.Op()
	}
	return out
}

// master returns a copy of the named master's committed state.
func (l *fakeLog) master(name string) *model.Master {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := l.st.Masters[name]; m != nil {
		return m.Clone()
	}
	return nil
}

// age moves every committed timestamp of master back by d, as if d had
// passed since: failover-timeout and the reconf timeout then run out
// without the test sleeping.
func (l *fakeLog) age(name string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	m, ms := l.st.Masters[name], d.Milliseconds()
	if m.LastFailoverStartMs != 0 {
		m.LastFailoverStartMs -= ms
	}
	if m.ODownSinceMs != 0 {
		m.ODownSinceMs -= ms
	}
	if f := m.Failover; f != nil {
		f.StartMs -= ms
		f.StateChangeMs -= ms
		for k := range f.ReconfSentMs {
			f.ReconfSentMs[k] -= ms
		}
	}
}

// fakeApply is the real state machine (model.Apply); events are not
// published.
func fakeApply(st *model.State, e model.Entry) error {
	_, _, err := model.Apply(st, e)
	return err
}
