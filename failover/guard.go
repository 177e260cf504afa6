package failover

import (
	"fmt"

	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// Every action on Redis (promotion, demotion and re-pointing, CLIENT PAUSE
// and UNPAUSE, the fence's CONFIG SET) is decided from a copy of the state
// taken at the start of a tick, and a leader can be deposed at any moment
// in between: a lease and a rate limit do not stop a deposed leader that
// still believes it leads. So right before it touches Redis the engine
// checks:
//
//   - leadership: a quorum confirms this node still leads (VerifyLeader),
//     in the Raft term it began leading in (a node that lost leadership
//     and won it back has not re-read the log since: step runs the Barrier
//     again first);
//   - the epoch fence: the master's recorded address, config epoch and
//     running failover epoch are still those the action was computed
//     from. A newer failover, a switch, or an abort committed meanwhile
//     makes the action stale.
//
// A failed check skips the action; the next tick decides again from the
// log. A deposed leader never touches Redis.

// basis is the part of a master's recorded state an action depends on.
type basis struct {
	master        string
	addr          model.Addr
	configEpoch   uint64
	failoverEpoch uint64 // 0: no failover running
}

// basisOf is m's basis as the engine read it.
func basisOf(m *model.Master) basis {
	f := basis{master: m.Name, addr: m.Addr, configEpoch: m.ConfigEpoch}
	if m.Failover != nil {
		f.failoverEpoch = m.Failover.Epoch
	}
	return f
}

// guard runs both checks; nil means the action may go ahead.
func (e *Engine) guard(f basis, action string) error {
	err := e.check(f)
	if err != nil {
		e.log.Warn("action on redis skipped", zap.String("master", f.master), zap.String("action", action),
			zap.Uint64("epoch", f.failoverEpoch), zap.Error(err))
	}
	return err
}

func (e *Engine) check(f basis) error {
	if err := e.c.VerifyLeader(); err != nil {
		return err
	}
	e.mu.Lock()
	term, leading := e.term, e.leading
	e.mu.Unlock()
	if now := e.c.Term(); !leading || now != term {
		return fmt.Errorf("%w: leading since term %d, now term %d", model.ErrNotLeader, term, now)
	}
	var cur basis
	found := false
	e.c.Read(func(s *model.State) {
		if m := s.Masters[f.master]; m != nil {
			cur, found = basisOf(m), true
		}
	})
	if !found || cur != f {
		return fmt.Errorf("%w: %s is now %+v, the action was decided on %+v", ErrFenced, f.master, cur, f)
	}
	return nil
}
