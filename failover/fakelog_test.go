package failover

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/raftinel/raftinel/model"
)

// fakeLog is an in-memory Cluster for the engine's scenario tests: a
// leader whose log applies the failover entries to a real consensus.State.
// consensus does not export its pure apply function yet, so fakeApply
// below models the entries the engine proposes with the same refusals
// (the epoch fence of apply_failover.go); any other entry fails the test
// loudly. There is one log: an entry proposed while the node does not lead
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
}

func newFakeLog(st *model.State, voters ...string) *fakeLog {
	return &fakeLog{st: st, leader: true, term: 1, voters: voters}
}

func (l *fakeLog) Read(fn func(*model.State)) { l.mu.Lock(); defer l.mu.Unlock(); fn(l.st) }
func (l *fakeLog) Apply(_ context.Context, cmd model.Entry) (model.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// On a follower consensus.Store.Apply forwards to the leader: the
	// entry is committed all the same.
	if err := fakeApply(l.st, cmd); err != nil {
		l.refused = append(l.refused, cmd)
		return model.Result{}, err
	}
	l.applied = append(l.applied, cmd)
	return model.Result{Index: uint64(len(l.applied))}, nil
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
	var out []model.Member
	for _, id := range l.voters {
		out = append(out, model.Member{ID: id, Voter: true})
	}
	return out
}

// do changes the log's state or leadership under its lock.
func (l *fakeLog) do(fn func(l *fakeLog)) { l.mu.Lock(); defer l.mu.Unlock(); fn(l) }

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

func stale(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{model.ErrEpochMismatch}, args...)...)
}

// fakeApply models model/apply_failover.go for the entries the engine
// proposes (state changes and the epoch fence; no events).
func fakeApply(st *model.State, e model.Entry) error {
	if _, ok := e.(*model.Announce); ok {
		return nil
	}
	m := st.Masters[model.MasterOf(e)]
	if m == nil {
		return model.ErrNoSuchMaster
	}
	f := m.Failover
	switch c := e.(type) {
	case *model.ODown:
		m.ODown = c.Down
		m.ODownSinceMs = 0
		if c.Down {
			m.ODownSinceMs = c.AtMs
		}
		return nil
	case *model.FailoverStart:
		if f != nil {
			return model.ErrFailoverInProgress
		}
		if c.Epoch != st.CurrentEpoch+1 {
			return stale("epoch %d, current %d", c.Epoch, st.CurrentEpoch)
		}
		if !c.Candidate.IsZero() && !m.HasReplica(c.Candidate) {
			return stale("candidate %s is not a replica", c.Candidate)
		}
		st.CurrentEpoch, m.LastFailoverStartMs, m.Leader = c.Epoch, c.AtMs, c.Node
		if c.Candidate.IsZero() {
			m.LastAbort = "no-good-slave"
			return nil
		}
		m.Failover = &model.Failover{Epoch: c.Epoch, State: model.StateSendSlaveofNoOne, Forced: c.Forced,
			Leader: c.Node, OldMaster: m.Addr, Candidate: c.Candidate, CandidateRun: c.RunID, StartMs: c.AtMs, StateChangeMs: c.AtMs}
		return nil
	case *model.FailoverState, *model.SwitchMaster, *model.Reconf, *model.FailoverEnd, *model.FailoverAbort:
	default:
		return fmt.Errorf("fake log: %s is not modelled", e.Op())
	}
	if epoch := model.EpochOf(e); f == nil || f.Epoch != epoch {
		return stale("no failover in epoch %d", epoch)
	}
	switch c := e.(type) {
	case *model.FailoverState:
		if f.Switched || c.State != model.StateWaitPromotion {
			return stale("cannot enter %s", c.State)
		}
		if f.State != c.State {
			f.State, f.StateChangeMs = c.State, c.AtMs
		}
	case *model.SwitchMaster:
		if f.Switched {
			return nil
		}
		if c.Addr != f.Candidate {
			return stale("switch to %s, candidate %s", c.Addr, f.Candidate)
		}
		replicas := []model.Addr{m.Addr}
		for _, r := range m.Replicas {
			if r != c.Addr {
				replicas = append(replicas, r)
			}
		}
		m.Addr, m.Replicas, m.ConfigEpoch = c.Addr, replicas, f.Epoch
		m.ODown, m.ODownSinceMs, m.Observations = false, 0, nil
		f.Switched, f.State, f.StateChangeMs = true, model.StateReconfSlaves, c.AtMs
	case *model.Reconf:
		if !f.Switched {
			return stale("not switched")
		}
		if f.Reconf == nil {
			f.Reconf, f.ReconfSentMs = map[string]string{}, map[string]int64{}
		}
		key := c.Addr.String()
		switch {
		case f.Reconf[key] == model.ReconfDone:
		case c.Phase == model.ReconfSent:
			f.Reconf[key], f.ReconfSentMs[key] = model.ReconfSent, c.AtMs
		case c.Phase == model.ReconfInprog:
			f.Reconf[key] = model.ReconfInprog
		default: // done, timeout, sent-be
			f.Reconf[key] = model.ReconfDone
		}
	case *model.FailoverEnd:
		if !f.Switched {
			return stale("not switched")
		}
		m.Failover = nil
	case *model.FailoverAbort:
		if f.Switched {
			return stale("already switched")
		}
		m.Failover, m.LastAbort = nil, c.Reason
	}
	return nil
}
