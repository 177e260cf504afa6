package consensus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/model"
)

// Read runs fn with the replicated state under a read lock.
func (s *Store) Read(fn func(*model.State)) { s.fsm.read(fn) }

// StateVersion changes whenever the replicated state does (it counts
// applied entries and restored snapshots); what was derived from the state
// at one version is still valid while it stays the same.
func (s *Store) StateVersion() uint64 { return s.fsm.version.Load() }

// IsLeader reports whether this node is the Raft leader.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// LeaderAddr returns the current leader's address ("" if none known).
func (s *Store) LeaderAddr() string {
	addr, _ := s.raft.LeaderWithID()
	return string(addr)
}

// Apply commits e through the log, forwarding it to the leader when this
// node is a follower, and returns once this node has applied it.
func (s *Store) Apply(ctx context.Context, e model.Entry) (model.Result, error) {
	data, err := model.Encode(e)
	if err != nil {
		return model.Result{}, err
	}
	resp, err := s.toLeader(ctx, &rpcRequest{Kind: rpcApply, Data: data, Client: model.ClientOf(ctx)}, func() (*rpcResponse, error) {
		res, err := s.applyLocal(e)
		r := &rpcResponse{Index: res.Index, Value: res.Value}
		encodeError(err, r)
		return r, nil
	})
	if err != nil {
		return model.Result{}, err
	}
	res := model.Result{Index: resp.Index, Value: resp.Value}
	if werr := s.WaitApplied(ctx, resp.Index); werr != nil {
		return res, werr
	}
	return res, decodeError(resp)
}

// Call runs a registered leader-side handler (HandleRPC) on the leader.
func (s *Store) Call(ctx context.Context, kind string, data []byte) ([]byte, error) {
	req := &rpcRequest{Kind: kind, Data: data, Client: model.ClientOf(ctx)}
	resp, err := s.toLeader(ctx, req, func() (*rpcResponse, error) {
		return s.handleRPC(req, ""), nil
	})
	if err != nil {
		return nil, err
	}
	if werr := s.WaitApplied(ctx, resp.Index); werr != nil {
		return nil, werr
	}
	return resp.Data, decodeError(resp)
}

// HandleRPC registers a leader-side handler for kind (e.g. "failover").
func (s *Store) HandleRPC(kind string, h Handler) {
	s.mu.Lock()
	s.handlers[kind] = h
	s.mu.Unlock()
}

// toLeader runs local on the leader, or sends req to the leader, retrying
// while leadership moves, within ctx (default ApplyTimeout).
func (s *Store) toLeader(ctx context.Context, req *rpcRequest, local func() (*rpcResponse, error)) (*rpcResponse, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.applyTimeout)
		defer cancel()
	}
	var lastErr error = model.ErrNoLeader
	for {
		select {
		case <-s.done:
			return nil, ErrShutdown
		default:
		}
		var resp *rpcResponse
		var err error
		leader := s.LeaderAddr()
		switch {
		case s.IsLeader():
			resp, err = local()
		case leader != "":
			resp, err = s.rpc.call(ctx, leader, req)
		default:
			err = model.ErrNoLeader
			// No leader and none heard of within the freshness bound: an
			// election is not merely in progress, so fail fast rather than
			// holding the client for the whole apply timeout.
			if s.leaderlessFor() > s.o.StaleAfter && s.o.StaleAfter > 0 {
				return nil, fmt.Errorf("%w: no contact with a raft leader", model.ErrNoLeader)
			}
		}
		if err == nil && resp.ErrKind != "not-leader" {
			return resp, nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if errors.Is(lastErr, ErrAuth) {
				return nil, lastErr
			}
			return nil, fmt.Errorf("%w: %v", model.ErrNoLeader, lastErr)
		case <-s.done:
			return nil, ErrShutdown
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pushCommit makes followers learn the new commit index now. hashicorp/raft
// tells followers the commit index only with the next AppendEntries, which
// an idle leader sends every raft-commit-timeout; a short commit timeout
// keeps followers current but costs CPU all the time (idle RPCs every few
// ms). Instead the timeout is long (50 ms) and every committed command is
// followed by a Barrier, whose AppendEntries carries the commit index.
// Bursts coalesce into one Barrier.
func (s *Store) pushCommit() {
	select {
	case s.push <- struct{}{}:
	default:
	}
}

func (s *Store) commitPusher() {
	for {
		select {
		case <-s.done:
			return
		case <-s.push:
		}
		if s.IsLeader() {
			_ = s.raft.Barrier(s.applyTimeout).Error()
		}
	}
}

// AppliedIndex is the index of the last entry the FSM has applied.
func (s *Store) AppliedIndex() uint64 {
	i, _ := s.fsm.appliedIndex()
	return i
}

// WaitApplied blocks until this node has applied index.
func (s *Store) WaitApplied(ctx context.Context, index uint64) error {
	for {
		cur, ch := s.fsm.appliedIndex()
		// Only the FSM's own index counts: hashicorp/raft's AppliedIndex
		// advances when entries are handed to the FSM, before they are
		// applied (answering then showed a pre-failover state).
		if cur >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: index %d not applied", model.ErrTimeout, index)
		case <-s.done:
			return ErrShutdown
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Sync waits until this node has applied everything the leader had
// applied when Sync was called: the leader runs a Barrier and answers its
// applied index; a follower waits for it.
func (s *Store) Sync(ctx context.Context) error {
	_, err := s.Call(ctx, rpcSync, nil)
	return err
}

// Barrier waits until every entry committed before it is applied here
// (used by a new leader before it acts on the state).
func (s *Store) Barrier(timeout time.Duration) error {
	return s.raft.Barrier(timeout).Error()
}

// Fresh implements design rule 8: a leader (which steps down when it loses
// its quorum for LeaderLeaseTimeout) is fresh; a follower is fresh while it
// heard from a leader within StaleAfter and, after start or a stale
// period, once it has caught up with the leader (catchup.go).
func (s *Store) Fresh() error {
	if s.o.ServeStale {
		return nil
	}
	return s.upToDate()
}

// UpToDate is Fresh whatever raft-serve-stale says: nil once this node is
// in contact with a leader and caught up with its log.
func (s *Store) UpToDate() error { return s.upToDate() }

// upToDate is Fresh without raft-serve-stale. A follower found fresh with
// its last leader contact at lc is fresh by this rule until lc +
// raft-stale-after at least: until then the recorded verdict answers
// (catchUp.freshAt), one monotonic clock read instead of raft's lock, a
// mutex and two clock reads per query.
func (s *Store) upToDate() error {
	if s.IsLeader() {
		return nil
	}
	now := time.Since(s.started)
	if s.cu.freshAt(now) {
		return nil
	}
	lc := s.raft.LastContact()
	if lc.IsZero() {
		s.cu.stale()
		return fmt.Errorf("%w since start %d ms ago", model.ErrStale, now.Milliseconds())
	}
	contact := lc.Sub(s.started)
	if age := now - contact; age > s.o.StaleAfter {
		s.cu.stale()
		return fmt.Errorf("%w for %d ms", model.ErrStale, age.Milliseconds())
	}
	ok, gen := s.cu.upToDate()
	if !ok {
		s.startCatchUp()
		return fmt.Errorf("%w: catching up with the leader", model.ErrStale)
	}
	s.cu.freshUntil(gen, contact+s.o.StaleAfter)
	return nil
}

// freshPoll is how often AwaitFresh checks whether the node caught up.
const freshPoll = 10 * time.Millisecond

// AwaitFresh is Fresh for a client's address query. While this node is
// still confirming that it is up to date (it started, or regained contact
// with a leader, less than raft-stale-after ago and is catching up) it
// waits for that instead of answering -STALE at once: Sentinel's clients
// (and its test suite) ask a restarted node right away, and the answer is
// only a few milliseconds off. A node without leader contact for longer
// than raft-stale-after answers the error at once, and no query waits
// longer than raft-stale-after; design rule 8 holds: nothing is answered
// before the node has caught up. With raft-serve-stale the same wait
// happens (a node just restarted has not replayed its log yet: it would
// answer from an empty state), then the answer is given anyway.
func (s *Store) AwaitFresh(ctx context.Context) error {
	err := s.upToDate()
	if err == nil {
		return nil // every query asks: no clock read for a deadline
	}
	deadline := time.Now().Add(s.o.StaleAfter)
	for {
		if err == nil || s.leaderlessFor() > s.o.StaleAfter || time.Now().After(deadline) {
			if s.o.ServeStale {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return s.Fresh()
		case <-s.done:
			return s.Fresh()
		case <-time.After(freshPoll):
		}
		err = s.upToDate()
	}
}

// leaderlessFor is how long this node has been without a leader, counting
// its start as the last contact (an election right after start is normal).
func (s *Store) leaderlessFor() time.Duration {
	if s.IsLeader() {
		return 0
	}
	lc := s.raft.LastContact()
	if lc.IsZero() || lc.Before(s.started) {
		lc = s.started
	}
	return time.Since(lc)
}

// Term is the current Raft term.
func (s *Store) Term() uint64 { return s.raft.CurrentTerm() }

// VerifyLeader confirms with a quorum that this node is still the leader,
// right now. The failover engine calls it before destructive actions on
// Redis, so a deposed leader acting on a stale state is caught.
func (s *Store) VerifyLeader() error {
	if err := s.raft.VerifyLeader().Error(); err != nil {
		return fmt.Errorf("%w: %v", model.ErrNotLeader, err)
	}
	return nil
}
