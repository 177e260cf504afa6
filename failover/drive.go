package failover

import (
	"context"
	"strconv"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// promoteResend: how often an unconfirmed promotion is sent again (a new
// leader resuming, or a transaction lost with a dropped link).
const promoteResend = 500 * time.Millisecond

// drive executes the next actions of m's running failover.
func (e *Engine) drive(ctx context.Context, m *model.Master) {
	f := m.Failover
	addrs := append([]model.Addr{f.Candidate}, m.Replicas...)
	var views map[string]view.Instance
	if !f.Switched {
		// A recorded promotion is confirmed by a fresh INFO of the
		// candidate. Before it is recorded the next action is the
		// promotion whatever the candidate says (Next), so no INFO round
		// trip stands between a failover's start and its promotion.
		if f.State == model.StateWaitPromotion {
			views = e.refresh(ctx, m, []model.Addr{f.Candidate}, 300*time.Millisecond)
		}
	} else {
		var inflight []model.Addr
		for _, r := range m.Replicas {
			if p := f.Reconf[r.String()]; p == model.ReconfSent || p == model.ReconfInprog {
				inflight = append(inflight, r)
			}
		}
		if len(inflight) > 0 && !e.rateLimited("refresh/"+m.Name, 50*time.Millisecond) {
			e.refresh(ctx, m, inflight, 300*time.Millisecond)
		}
		views = e.views(m, addrs...)
	}
	for _, a := range Next(m, views, time.Now().UnixMilli()) {
		if !e.execute(ctx, m, a, views) {
			return // the state moved or an action failed: re-evaluate next tick
		}
	}
}

func (e *Engine) execute(ctx context.Context, m *model.Master, a Action, views map[string]view.Instance) bool {
	f := m.Failover
	log := e.log.With(zap.String("master", m.Name), zap.Uint64("epoch", f.Epoch))
	step := func(cmd model.Entry) bool { return e.propose(ctx, cmd) }
	switch a.Kind {
	case ActPromote:
		if e.rateLimited("promote/"+m.Name+"/"+strconv.FormatUint(f.Epoch, 10), promoteResend) {
			return false
		}
		if f.Forced {
			e.pauseOldMaster(ctx, m)
		}
		if e.guard(basisOf(m), "promote") != nil {
			return false
		}
		sent := time.Now()
		if err := e.r.Transaction(ctx, m.Name, f.Candidate.String(), reconfigure(nil)...); err != nil {
			log.Warn("promotion failed", zap.String("addr", f.Candidate.String()), zap.Error(err))
			return false
		}
		log.Info("promotion sent", zap.String("addr", f.Candidate.String()))
		e.simulate(SimCrashAfterPromotion, "crash-after-promotion")
		if f.State != model.StateWaitPromotion {
			rec := &model.FailoverState{Master: m.Name, Epoch: f.Epoch, State: model.StateWaitPromotion}
			if e.recordWithSwitch(ctx, m, rec, sent, log) {
				return false
			}
			if !step(rec) {
				return false
			}
		}
		e.Wake()
		return false
	case ActSwitch:
		sw := switchEntry(m, views[f.Candidate.String()])
		if !step(sw) {
			return false
		}
		e.switched(ctx, m, sw, log)
		return false
	case ActAbort:
		log.Warn("failover aborted", zap.String("reason", a.Reason))
		e.unpause(ctx, basisOf(m), f)
		return step(&model.FailoverAbort{Master: m.Name, Epoch: f.Epoch, Reason: a.Reason})
	case ActReconfSend, ActBestEffort:
		if e.rateLimited("reconf/"+a.Addr.String(), promoteResend) {
			return true
		}
		if e.guard(basisOf(m), "re-point replica") != nil {
			return false
		}
		if err := e.r.Transaction(ctx, m.Name, a.Addr.String(), reconfigure(&m.Addr)...); err != nil {
			log.Warn("re-pointing replica failed", zap.String("addr", a.Addr.String()), zap.Error(err))
			return true
		}
		phase := model.ReconfSent
		if a.Kind == ActBestEffort {
			phase = "sent-be"
		}
		return step(&model.Reconf{Master: m.Name, Epoch: f.Epoch, Addr: a.Addr, Phase: phase})
	case ActReconfPhase:
		return step(&model.Reconf{Master: m.Name, Epoch: f.Epoch, Addr: a.Addr, Phase: a.Phase})
	case ActEnd:
		e.unpause(ctx, basisOf(m), f)
		if step(&model.FailoverEnd{Master: m.Name, Epoch: f.Epoch, Timeout: a.Timeout}) {
			e.r.SetFastInfo(m.Name, false)
			log.Info("failover finished", zap.Bool("timeout", a.Timeout))
			// The corrections take the old master over (demoted as soon as
			// it answers): the next tick runs them, not the next IdleTick.
			e.WakeCorrections()
		}
		return false
	}
	return true
}

// pauseOldMaster is the coordinated part of SENTINEL FAILOVER (lessons:
// lost writes on planned switchover): writes on the old master are paused,
// then the candidate must have received everything before it is promoted.
func (e *Engine) pauseOldMaster(ctx context.Context, m *model.Master) {
	f := m.Failover
	e.mu.Lock()
	done := e.paused[m.Name] == f.Epoch
	e.paused[m.Name] = f.Epoch
	e.mu.Unlock()
	if done {
		return
	}
	old := f.OldMaster.String()
	if v, ok := e.r.Instance(m.Name, old); !ok || !v.Connected || v.SDown {
		return // a dead master takes no writes
	}
	if e.guard(basisOf(m), "pause old master") != nil {
		e.mu.Lock()
		delete(e.paused, m.Name) // not paused: the next attempt tries again
		e.mu.Unlock()
		return
	}
	log := e.log.With(zap.String("master", m.Name), zap.Uint64("epoch", f.Epoch))
	ms := strconv.FormatInt(e.cfg.PauseTimeout.Milliseconds(), 10)
	if _, err := e.r.Do(ctx, m.Name, old, "CLIENT", "PAUSE", ms, "WRITE"); err != nil {
		log.Warn("pausing writes on old master failed", zap.String("addr", old), zap.Error(err))
		return
	}
	mv, err := e.r.RefreshInfo(ctx, m.Name, old)
	if err != nil {
		log.Warn("reading old master offset failed", zap.String("addr", old), zap.Error(err))
		return
	}
	target := mv.ReplOffset
	deadline := time.Now().Add(e.cfg.PauseTimeout / 2)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		cv, err := e.r.RefreshInfo(ctx, m.Name, f.Candidate.String())
		if err == nil && cv.SlaveReplOffset >= target {
			log.Info("candidate caught up", zap.Int64("offset", target))
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	log.Warn("candidate did not catch up before the pause bound", zap.Int64("offset", target))
}

// demoteOldMaster re-points the old master of a coordinated failover at
// once (it is alive and paused), then lifts the pause. fc is the state
// after the switch: the candidate is the master.
func (e *Engine) demoteOldMaster(ctx context.Context, fc basis, f *model.Failover) {
	name, old, to := fc.master, f.OldMaster.String(), fc.addr
	if v, ok := e.r.Instance(name, old); ok && v.Connected && !v.SDown && e.guard(fc, "demote old master") == nil {
		if err := e.r.Transaction(ctx, name, old, reconfigure(&to)...); err != nil {
			e.log.Warn("demoting old master failed", zap.String("master", name), zap.String("addr", old), zap.Error(err))
		} else {
			e.announce(ctx, name, "+convert-to-slave", f.OldMaster, to)
		}
	}
	e.unpause(ctx, fc, f)
}

// unpause lifts the pause on the old master of a coordinated failover:
// the one this leader set, or one a previous leader of the same failover
// may have set before leadership moved (it is not in the log; without
// this the old master, demoted meanwhile, stayed paused until
// PauseTimeout). Once per leader and epoch. Skipped when the guard fails: the pause then ends by itself
// (PauseTimeout).
func (e *Engine) unpause(ctx context.Context, fc basis, f *model.Failover) {
	e.mu.Lock()
	was := e.paused[fc.master] == f.Epoch
	delete(e.paused, fc.master)
	lifted := e.unpaused[fc.master] == f.Epoch
	e.mu.Unlock()
	if !was && (!f.Forced || lifted) {
		return
	}
	if e.guard(fc, "unpause old master") != nil {
		return
	}
	if _, err := e.r.Do(ctx, fc.master, f.OldMaster.String(), "CLIENT", "UNPAUSE"); err == nil {
		e.mu.Lock()
		e.unpaused[fc.master] = f.Epoch
		e.mu.Unlock()
	}
}

// announce publishes an event on every node through the log.
func (e *Engine) announce(ctx context.Context, name, channel string, r, master model.Addr) {
	e.propose(ctx, &model.Announce{Master: name, Channel: channel, Payload: model.ReplicaPayload(r, name, master)})
}

// recordWithSwitch records a promotion just sent (rec) together with the
// switch, in one batch, when a fresh INFO of the candidate already says
// master: REPLICAOF NO ONE has taken effect when its EXEC answers. The
// record still comes first in the log (design rule 6), but the switch no
// longer waits for the record's own round trip and the next tick. It
// reports whether the promotion was recorded (the switch is then either
// recorded too or left to the next tick); false leaves both to the caller.
func (e *Engine) recordWithSwitch(ctx context.Context, m *model.Master, rec *model.FailoverState, sent time.Time, log *zap.Logger) bool {
	f := m.Failover
	v, ok := e.refresh(ctx, m, []model.Addr{f.Candidate}, 300*time.Millisecond)[f.Candidate.String()]
	if !ok || v.Role != "master" || v.InfoRefresh.Before(sent) {
		return false
	}
	sw := switchEntry(m, v)
	errs := e.proposeBatch(ctx, []model.Entry{rec, sw})
	if errs[0] != nil {
		e.proposalFailed(rec, errs[0])
		return true // refused or not committed: the next tick decides again
	}
	if errs[1] != nil {
		e.proposalFailed(sw, errs[1])
		e.Wake()
		return true
	}
	e.switched(ctx, m, sw, log)
	return true
}

// switchEntry is the switch to m's candidate, whose INFO is v.
func switchEntry(m *model.Master, v view.Instance) *model.SwitchMaster {
	f := m.Failover
	return &model.SwitchMaster{Master: m.Name, Epoch: f.Epoch, Addr: f.Candidate,
		Promotion: &model.Promotion{RunID: v.RunID, ReplID: v.ReplID, Offset: v.ReplOffset}}
}

// switched follows a committed switch: the log line, and for a coordinated
// failover the old master's demotion.
func (e *Engine) switched(ctx context.Context, m *model.Master, sw *model.SwitchMaster, log *zap.Logger) {
	f := m.Failover
	p := sw.Promotion
	log.Info("switched master", zap.String("from", f.OldMaster.String()), zap.String("to", f.Candidate.String()),
		zap.String("replid", p.ReplID), zap.Int64("offset", p.Offset))
	if f.Forced {
		// Switched: the master is now the candidate, in this epoch.
		e.demoteOldMaster(ctx, basis{master: m.Name, addr: f.Candidate, configEpoch: f.Epoch, failoverEpoch: f.Epoch}, f)
	}
}
