package failover

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// Witness sampling periods (design rule 9): while a quorum says the master
// is down and the ODOWN verdict is not committed yet, replicas are sampled
// every witnessPeriod; while it is only suspected (see Suspected), and
// once ODOWN is committed, every suspectPeriod: a sample taken after the
// fault exists to compare with by the time the quorum forms, and the
// evaluation that starts the failover right after the ODOWN commit uses
// the sampling that confirmed it (taken after the quorum formed; a new
// round there cost a round trip on every failover's path).
const (
	witnessPeriod = 50 * time.Millisecond
	suspectPeriod = 250 * time.Millisecond
)

// sample refreshes INFO of the master's replicas if the last sampling is
// at least period old, and adds each replica's reading to its history
// (Remember). A sampling older than the quorum of "down" is always renewed.
func (e *Engine) sample(ctx context.Context, m *model.Master, period time.Duration) {
	e.mu.Lock()
	last, since := e.sampled[m.Name], e.quorumAt[m.Name]
	e.mu.Unlock()
	if time.Since(last) < period && !last.Before(since) {
		return
	}
	e.refresh(ctx, m, m.Replicas, 200*time.Millisecond)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sampled[m.Name] = time.Now()
	for _, r := range m.Replicas {
		if v, ok := e.r.Instance(m.Name, r.String()); ok {
			e.samples[r.String()] = Remember(e.samples[r.String()], SampleOf(v))
		}
	}
}

// witness samples the master's replicas (at most every witnessPeriod) and
// reports whether one of them vouches for the master or its vote is still
// unknown (design rule 9).
func (e *Engine) witness(ctx context.Context, m *model.Master) bool {
	period := witnessPeriod
	if m.ODown {
		period = suspectPeriod
	}
	e.sample(ctx, m, period)
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	since := e.quorumAt[m.Name]
	for _, r := range m.Replicas {
		prev, cur := Pair(e.samples[r.String()])
		reason := ""
		if Vouches(m.Addr, prev, cur, now) {
			reason = "odown vetoed by replica witness"
		} else if v, ok := e.r.Instance(m.Name, r.String()); ok &&
			Undecided(m.Addr, !v.SDown && !v.LastOKPing.IsZero(), prev, cur, since, now,
				time.Duration(m.DownAfterMs)*time.Millisecond) {
			// Reachable means "answers PING", not "command link up": a
			// refresh cut short by its deadline drops the command link,
			// and that is no evidence about the replica.
			reason = "odown held: waiting for a fresh replica sample"
		}
		if reason != "" {
			if e.vetoed[m.Name] != reason {
				e.log.Info(reason, zap.String("master", m.Name), zap.String("replica", r.String()))
			}
			e.vetoed[m.Name] = reason
			return true
		}
	}
	if !m.ODown {
		// the verdict is about to become ODOWN: say on what evidence
		e.log.Info("odown confirmed: no replica vouches", zap.String("master", m.Name),
			zap.Duration("since_quorum", now.Sub(since)), zap.String("samples", e.describeSamples(m, now)))
	}
	delete(e.vetoed, m.Name)
	return false
}

// describeSamples renders the witness pair of every replica of m, for the
// log line of an ODOWN verdict. Caller holds e.mu.
func (e *Engine) describeSamples(m *model.Master, now time.Time) string {
	var b strings.Builder
	for i, r := range m.Replicas {
		if i > 0 {
			b.WriteString("; ")
		}
		prev, cur := Pair(e.samples[r.String()])
		fmt.Fprintf(&b, "%s prev=%s cur=%s", r, prev.describe(now), cur.describe(now))
	}
	return b.String()
}

// maybeStart starts an automatic failover of an ODOWN master and reports
// whether it proposed the start (committed or not). With odown, the entry
// that records the master's ODOWN, m is not ODOWN in the log yet: the
// start is decided as if it were, and odown goes first in the start's
// batch. One Raft round trip fewer on every failover's path; during ten
// failovers at once on a loaded machine a commit took 40-120 ms. The
// log still reads +odown, then +try-failover; if the batch fails, neither
// or only the ODOWN is committed and the next evaluation decides again.
func (e *Engine) maybeStart(ctx context.Context, m *model.Master, odown *model.ODown) bool {
	nowMs := time.Now().UnixMilli()
	if odown != nil {
		c := *m
		c.ODown, c.ODownSinceMs = true, nowMs
		m = &c
	}
	ok, next := CanStart(m, nowMs)
	if !ok {
		if next != 0 && odown == nil {
			e.mu.Lock()
			logged := e.delayLog[m.Name] == next
			e.delayLog[m.Name] = next
			e.mu.Unlock()
			if !logged {
				e.log.Info("next failover delay: I will not start a failover before",
					zap.String("master", m.Name), zap.Time("at", time.UnixMilli(next)))
			}
		}
		return false
	}
	cand, refusals := e.selectCandidate(ctx, m)
	cmd := &model.FailoverStart{Master: m.Name}
	if cand != nil {
		cmd.Candidate = cand.Addr
		cmd.RunID = cand.View.RunID
	} else {
		cmd.Reason = RefusalText(refusals)
		e.log.Warn("failover refused: no good replica", zap.String("master", m.Name), zap.String("reasons", cmd.Reason))
	}
	var pre model.Entry
	if odown != nil {
		pre = odown // not a typed nil
	}
	if err := e.commitStart(ctx, cmd, pre); err != nil {
		e.proposalFailed(cmd, err)
		return true
	}
	if cand != nil {
		e.log.Info("failover started", zap.String("master", m.Name), zap.Uint64("epoch", cmd.Epoch), zap.String("candidate", cand.Addr.String()))
		e.simulate(SimCrashAfterElection, "crash-after-election")
		e.Wake()
		e.driveStarted(ctx, m.Name, cmd.Epoch)
	}
	return true
}

// driveStarted takes the failover of epoch that this evaluation has just
// started on to its promotion at once. Left to the next tick, the
// promotion waited for it, for a copy of every master and for its turn
// behind them in the queue: up to a third of a second during ten
// failovers at once on a loaded machine.
func (e *Engine) driveStarted(ctx context.Context, master string, epoch uint64) {
	if e.holdPromotion {
		return
	}
	if m := e.reread(master); m != nil && m.Failover != nil && m.Failover.Epoch == epoch {
		e.r.SetFastInfo(master, true)
		e.drive(ctx, m)
	}
}

// selectCandidate runs Select on views of the replicas taken since the
// quorum said "down": the replica witness's sampling already holds them
// (no offset can have moved since the master went silent), so only a
// replica without one is asked for INFO again. A second INFO round to
// every replica, right behind the witness's, was a good part of the time
// from ODOWN to a start when many masters failed at once. Without a quorum
// time (a start on a node that did not see the quorum form) every replica
// is asked.
func (e *Engine) selectCandidate(ctx context.Context, m *model.Master) (*Candidate, []Refusal) {
	e.mu.Lock()
	since := e.quorumAt[m.Name]
	e.mu.Unlock()
	views := e.views(m, m.Replicas...)
	var stale []model.Addr
	for _, r := range m.Replicas {
		if v, ok := views[r.String()]; !ok || since.IsZero() || v.InfoRefresh.Before(since) {
			stale = append(stale, r)
		}
	}
	if len(stale) > 0 {
		maps.Copy(views, e.refresh(ctx, m, stale, 300*time.Millisecond))
	}
	in := SelectInput{Now: time.Now(), DownAfter: time.Duration(m.DownAfterMs) * time.Millisecond}
	if mv, ok := e.r.Instance(m.Name, m.Addr.String()); ok {
		in.MasterReplID, in.MasterPrevReplIDs = mv.ReplID, mv.PrevReplIDs
		if mv.SDown {
			in.MasterDown = time.Since(mv.SDownSince)
		}
	}
	if m.ODown && in.MasterDown == 0 {
		in.MasterDown = time.Duration(time.Now().UnixMilli()-m.ODownSinceMs) * time.Millisecond
	}
	for _, r := range m.Replicas {
		v, ok := views[r.String()]
		in.Candidates = append(in.Candidates, Candidate{Addr: r, View: v, Seen: ok})
	}
	addr, ok, refusals := Select(in)
	if !ok {
		return nil, refusals
	}
	for _, c := range in.Candidates {
		if c.Addr == addr {
			c := c
			return &c, refusals
		}
	}
	return nil, refusals
}

// corrections demotes stray masters and re-points misconfigured replicas
// (design rule 7, spec §6.10). Demotion is destructive: guard.go checks
// leadership and the epoch fence first.
func (e *Engine) corrections(ctx context.Context, m *model.Master) {
	// Each replica's view is read once, straight from the monitor: every
	// master is corrected on every tick, and a map of whole views cost an
	// allocation per replica (large map values are stored out of line).
	strays, misconf := Corrections(m, func(a model.Addr) (view.Instance, bool) { return e.r.Instance(m.Name, e.key(a)) })
	now := time.Now()
	e.mu.Lock()
	demote := heldFor(e.strayAt, m.Name, strays, now, e.cfg.DemoteDelay)
	fix := heldFor(e.misconf, m.Name, misconf, now, time.Duration(m.FailoverTimeoutMs)*time.Millisecond)
	e.mu.Unlock()
	if len(demote)+len(fix) == 0 {
		return
	}
	if e.guard(basisOf(m), "correct instances") != nil {
		return
	}
	for _, r := range demote {
		e.repoint(ctx, m, r, "+convert-to-slave")
	}
	for _, r := range fix {
		e.repoint(ctx, m, r, "+fix-slave-config")
	}
}

// heldFor returns the addresses of master that have been in addrs for at
// least d, recording when each was first seen there in first (master ->
// addr -> time) and forgetting the master's addresses no longer in addrs.
// Keyed by master: a clean evaluation of another master must not restart
// the clock (a replica following the wrong master was never fixed while a
// second master was monitored).
func heldFor(first map[string]map[string]time.Time, master string, addrs []model.Addr, now time.Time, d time.Duration) []model.Addr {
	if len(addrs) == 0 { // the common case: nothing to hold, nothing allocated
		delete(first, master)
		return nil
	}
	prev := first[master]
	cur := make(map[string]time.Time, len(addrs))
	var out []model.Addr
	for _, a := range addrs {
		k := a.String()
		at, ok := prev[k]
		if !ok {
			at = now
		}
		cur[k] = at
		if now.Sub(at) >= d {
			out = append(out, a)
		}
	}
	if len(cur) == 0 {
		delete(first, master)
	} else {
		first[master] = cur
	}
	return out
}

func (e *Engine) repoint(ctx context.Context, m *model.Master, r model.Addr, event string) {
	if e.rateLimited("repoint/"+r.String(), time.Second) {
		return
	}
	if err := e.r.Transaction(ctx, m.Name, r.String(), reconfigure(&m.Addr)...); err != nil {
		e.log.Warn("re-pointing failed", zap.String("master", m.Name), zap.String("addr", r.String()), zap.String("event", event), zap.Error(err))
		return
	}
	e.log.Info("re-pointed instance", zap.String("master", m.Name), zap.String("addr", r.String()), zap.String("event", event))
	e.announce(ctx, m.Name, event, r, m.Addr)
}

// Manual starts a SENTINEL FAILOVER (leader only; followers reach it through
// consensus.Store.Call). Like Sentinel, the replica is selected
// synchronously so that -NOGOODSLAVE is the reply; the failover itself then
// proceeds in the background, coordinated (see pauseOldMaster).
func (e *Engine) Manual(ctx context.Context, name string) error {
	if !e.c.IsLeader() {
		return model.ErrNotLeader
	}
	var m *model.Master
	e.c.Read(func(s *model.State) {
		if mm := s.Masters[name]; mm != nil {
			m = mm.Clone()
		}
	})
	if m == nil {
		return model.ErrNoSuchMaster
	}
	if m.Failover != nil {
		return model.ErrFailoverInProgress
	}
	cand, refusals := e.selectCandidate(ctx, m)
	if cand == nil {
		e.log.Warn("manual failover refused: no good replica", zap.String("master", name), zap.String("reasons", RefusalText(refusals)))
		return model.ErrNoGoodSlave
	}
	cmd := &model.FailoverStart{Master: name, Forced: true, Candidate: cand.Addr, RunID: cand.View.RunID}
	if err := e.commitStart(ctx, cmd, nil); err != nil {
		return err
	}
	e.log.Info("manual failover started", zap.String("master", name), zap.Uint64("epoch", cmd.Epoch), zap.String("candidate", cand.Addr.String()))
	e.simulate(SimCrashAfterElection, "crash-after-election")
	e.Wake()
	return nil
}
