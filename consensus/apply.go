package consensus

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/model"
)

// applyLocal commits e on this node, the leader, and returns once it is
// applied here.
func (s *Store) applyLocal(e model.Entry) (model.Result, error) {
	f, err := s.enqueue(e)
	if err != nil {
		return model.Result{}, err
	}
	return s.settle(f)
}

// ApplyBatch commits es on this node, which must be the leader, in their
// order: they are handed to Raft one after the other without waiting in
// between, so they share disk writes and replication round trips (Raft's
// group commit) and land in the log in es's order, which entries that
// name consecutive values of one counter need (failover starts and the
// epoch). Each entry succeeds or is refused on its own; a follower gets
// ErrNotLeader for all of them (it has no order to offer: forwarded
// entries travel one at a time).
func (s *Store) ApplyBatch(ctx context.Context, es []model.Entry) ([]model.Result, []error) {
	res, errs := make([]model.Result, len(es)), make([]error, len(es))
	if !s.IsLeader() {
		for i := range errs {
			errs[i] = model.ErrNotLeader
		}
		return res, errs
	}
	futures := make([]raft.ApplyFuture, len(es))
	for i, e := range es {
		futures[i], errs[i] = s.enqueue(e)
	}
	var last uint64
	for i, f := range futures {
		if f == nil {
			continue
		}
		res[i], errs[i] = s.settle(f)
		last = max(last, res[i].Index)
	}
	if last != 0 {
		if err := s.WaitApplied(ctx, last); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	return res, errs
}

// enqueue hands e to Raft and returns without waiting for its commit.
func (s *Store) enqueue(e model.Entry) (raft.ApplyFuture, error) {
	// An entry of a later version than some member reads would stop that
	// member (docs/operations.md): the leader, whose state is the latest
	// committed, does not commit it yet.
	if v := max(e.Head().V, model.Version(e)); v > 1 {
		// A leader just elected may not have applied every committed entry
		// yet (a member's registration among them): read the members'
		// versions only after a barrier.
		if err := s.raft.Barrier(s.applyTimeout).Error(); err != nil {
			return nil, raftError(err)
		}
		if cv := s.ClusterLogVersion(); v > cv {
			return nil, fmt.Errorf("%w: entry version %d, the cluster reads up to %d", model.ErrLogVersion, v, cv)
		}
	}
	data, err := model.Encode(e)
	if err != nil {
		return nil, err
	}
	return s.raft.Apply(data, s.applyTimeout), nil
}

// settle waits until f is committed and applied here, and returns the
// state machine's answer.
func (s *Store) settle(f raft.ApplyFuture) (model.Result, error) {
	if err := f.Error(); err != nil {
		return model.Result{}, raftError(err)
	}
	s.pushCommit()
	r, _ := f.Response().(*applyResponse)
	if r == nil {
		return model.Result{Index: f.Index()}, nil
	}
	return r.res, r.err
}

// raftError names a failed Raft future's error: a lost leadership is
// ErrNotLeader, anything else (a timeout, a shutdown) ErrTimeout.
func raftError(err error) error {
	if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
		return model.ErrNotLeader
	}
	return fmt.Errorf("%w: %v", model.ErrTimeout, err)
}
