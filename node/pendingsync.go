package node

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// pendingRetry is how often a node holding pending settings (pending.go)
// checks whether it is back in contact with a leader and proposes them.
const pendingRetry = 200 * time.Millisecond

// pendingApplyTimeout bounds one proposal of pending settings; a proposal
// that times out is tried again.
const pendingApplyTimeout = 5 * time.Second

// SetPending implements sentinelproto.PendingSettings: a SENTINEL SET
// accepted without a Raft leader (raft-serve-stale yes). m is the master
// as committed on this node.
func (n *Node) SetPending(m *model.Master, user string, pairs []string) error {
	if err := n.sets.add(m.Name, m.Created, m.Settings, user, pairs); err != nil {
		return err
	}
	n.log.Warn("settings change pending: no raft leader; proposed once in contact with one",
		zap.String("master", m.Name), zap.Strings("settings", settingNames(pairs)))
	return nil
}

// Overlay implements sentinelproto.PendingSettings.
func (n *Node) Overlay(m *model.Master) { n.sets.overlay(m) }

// Committed implements sentinelproto.PendingSettings: a SET this node
// committed through the log replaces its pending changes of those settings.
func (n *Node) Committed(master string, created uint64, pairs []string) {
	if err := n.sets.superseded(master, created, pairs); err != nil {
		n.log.Warn("saving pending settings failed", zap.Error(err))
	}
}

// PendingCount implements sentinelproto.PendingSettings.
func (n *Node) PendingCount() int { return n.sets.count() }

// pendingLoop proposes pending settings whenever this node is in contact
// with a leader and caught up with its log.
func (n *Node) pendingLoop(ctx context.Context) {
	t := time.NewTicker(pendingRetry)
	defer t.Stop()
	warned := "" // the last reason logged for keeping them, logged once
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.sets.count() == 0 || n.store.UpToDate() != nil {
			continue
		}
		for _, b := range n.sets.batches() {
			err := n.proposePending(ctx, b)
			if err == nil || pendingDropped(err) {
				if derr := n.sets.done(b); derr != nil {
					n.log.Warn("saving pending settings failed", zap.Error(derr))
				}
				continue
			}
			if reason := err.Error(); errors.Is(err, model.ErrLogVersion) && reason != warned {
				n.log.Warn("pending settings kept: not every raft member reads the entry yet (upgrade every node)", zap.String("master", b.Master), zap.Error(err))
				warned = reason
			}
		}
	}
}

// proposePending commits one batch as a conditional entry and logs the
// outcome; the error tells whether to try again (pendingDropped).
func (n *Node) proposePending(ctx context.Context, b pendingBatch) error {
	ctx, cancel := context.WithTimeout(ctx, pendingApplyTimeout)
	defer cancel()
	cmd := &model.SetIf{Header: model.Header{Node: n.myID, AtMs: time.Now().UnixMilli()},
		Master: b.Master, Created: b.Created, Pairs: b.Pairs, Expect: b.Expect}
	// Made for a client: the leader checks its own ACL and script rules
	// (consensus admission), as for any SET forwarded to it.
	_, err := n.store.Apply(model.WithClient(ctx, b.User), cmd)
	switch {
	case err == nil:
		n.log.Info("pending settings committed", zap.String("master", b.Master), zap.Strings("settings", settingNames(b.Pairs)))
	case errors.Is(err, model.ErrSetConflict):
		n.logConflicts(b, err)
	case pendingDropped(err):
		n.log.Warn("pending settings dropped: refused", zap.String("master", b.Master),
			zap.Strings("settings", settingNames(b.Pairs)), zap.Error(err))
	default:
		n.log.Debug("pending settings not committed yet", zap.String("master", b.Master), zap.Error(err))
	}
	return err
}

// pendingDropped reports a refusal that trying again cannot change: the
// compare-and-set failed, the master is gone, or the leader's checks
// (scripts, ACL) or validation refuse it.
func pendingDropped(err error) bool {
	for _, e := range []error{model.ErrSetConflict, model.ErrNoSuchMaster, model.ErrRefused,
		model.ErrNoPerm, model.ErrInvalidSetting, model.ErrUnknownSetting} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// logConflicts names, for a dropped batch, each setting changed through
// the majority meanwhile: expected (what this node saw committed when the
// change was made) and found (the value now committed).
func (n *Node) logConflicts(b pendingBatch, err error) {
	var m *model.Master
	n.store.Read(func(s *model.State) {
		if cur := s.Masters[b.Master]; cur != nil {
			m = cur.Clone()
		}
	})
	if m == nil || m.Created != b.Created {
		n.log.Warn("pending settings dropped: the master was removed since the change was made",
			zap.String("master", b.Master), zap.Strings("settings", settingNames(b.Pairs)), zap.Error(err))
		return
	}
	logged := false
	ps, _ := model.SplitSet(b.Pairs)
	es, _ := model.SplitSet(b.Expect)
	for i := 0; i < len(ps) && i < len(es) && len(b.Pairs) == len(b.Expect); i++ {
		p, e := ps[i], es[i]
		found, _ := model.SettingValue(m.Settings, p.Option, p.Vals)
		if !slices.Equal(found, e.Vals) {
			n.log.Warn("pending setting dropped: changed through the majority meanwhile",
				zap.String("master", b.Master), zap.String("setting", p.Option),
				zap.String("expected", model.SettingEventValue(p.Option, e.Vals)),
				zap.String("found", model.SettingEventValue(p.Option, found)),
				zap.String("pending", model.SettingEventValue(p.Option, p.Vals)))
			logged = true
		}
	}
	if !logged { // changed again since the entry applied
		n.log.Warn("pending settings dropped: changed through the majority meanwhile", zap.String("master", b.Master), zap.Error(err))
	}
}

// settingNames lists the options of SET pairs (values may be secrets).
func settingNames(pairs []string) []string {
	args, _ := model.SplitSet(pairs)
	var out []string
	for _, a := range args {
		out = append(out, strings.ToLower(a.Option))
	}
	return out
}
