package monitor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// TILT (spec §6.11). Sentinel enters TILT when its 100 ms timer sees the
// wall clock go backwards or more than 2 s pass between two ticks, and then
// for 30 s evaluates no SDOWN/ODOWN, makes no failover progress and answers
// IS-MASTER-DOWN-BY-ADDR with down=0. In CPU-throttled containers that
// fired every minute and then hid a real master death (lessons.md). raftinel
// keeps the trigger and replaces the rest:
//
//   - Only a stall of this process counts: more than tilt-trigger (2 s) of
//     the monotonic clock between two ticks of a 100 ms ticker (or between
//     the last tick and an SDOWN evaluation, whichever runs first after the
//     stall). Every duration raftinel measures uses the monotonic clock, so
//     a wall-clock step (NTP, date -s) changes nothing and is only logged.
//   - After a stall, silence measured before it is no evidence: an
//     instance that was not SDOWN enters SDOWN only after down-after of
//     silence counted from the end of the stall (SDownInput.NotBefore). A
//     PING that waited through the stall may well have its reply sitting
//     unread in the socket. This holds back this node's down opinions by at
//     most one down-after, the time fresh probes need to re-confirm them.
//   - TILT (INFO sentinel_tilt:1, +tilt/-tilt, IS-MASTER-DOWN-BY-ADDR
//     answers down=0) lasts until every monitored instance is re-confirmed
//     by probes after the stall -- a reply received after it, or
//     down-after of silence after it, or already SDOWN -- and at most
//     tilt-period (30 s, SENTINEL DEBUG tilt-period). Usually that is one
//     PING round trip. The leader starts no failover and makes no
//     correction for a master until that master's instances are
//     re-confirmed (TiltHolds): never longer than its down-after.

// TILT defaults (Sentinel's SENTINEL DEBUG values).
const (
	// TiltTick is the period of the stall detector's ticker (Sentinel's
	// timer runs at 10 Hz).
	TiltTick           = 100 * time.Millisecond
	DefaultTiltTrigger = 2 * time.Second
	DefaultTiltPeriod  = 30 * time.Second
)

// TiltEvent tells the node about TILT transitions.
type TiltEvent struct {
	On    bool          // entered (true) or left
	Stall time.Duration // the stall that caused the entry
	Since time.Time     // when TILT began
}

// tiltState is the monitor's stall detector and TILT mode.
type tiltState struct {
	trigger atomic.Int64 // ns, 0 = DefaultTiltTrigger
	period  atomic.Int64 // ns, 0 = DefaultTiltPeriod
	lastNs  atomic.Int64 // last tick, ns since base; 0 = ticker not running
	base    time.Time    // monotonic origin of lastNs
	on      atomic.Bool
	// stallEnd is the end of the last stall, ns since base; 0 = none.
	stallEnd atomic.Int64

	mu    sync.Mutex
	since time.Time // TILT start, zero when off
	hook  func(TiltEvent)
}

// lastStall is the end of the last stall (zero = none).
func (t *tiltState) lastStall() time.Time {
	if ns := t.stallEnd.Load(); ns != 0 {
		return t.base.Add(time.Duration(ns))
	}
	return time.Time{}
}

func (t *tiltState) triggerDur() time.Duration {
	if d := time.Duration(t.trigger.Load()); d > 0 {
		return d
	}
	return DefaultTiltTrigger
}

func (t *tiltState) periodDur() time.Duration {
	if d := time.Duration(t.period.Load()); d > 0 {
		return d
	}
	return DefaultTiltPeriod
}

// SetTiltTimers changes tilt-trigger and tilt-period at run time (SENTINEL
// DEBUG); 0 leaves one unchanged.
func (m *Monitor) SetTiltTimers(trigger, period time.Duration) {
	if trigger > 0 {
		m.tilt.trigger.Store(int64(trigger))
	}
	if period > 0 {
		m.tilt.period.Store(int64(period))
	}
}

// SetTiltHook installs the function told about TILT transitions (the node
// publishes +tilt/-tilt). It is called from the detector's goroutine or
// the SDOWN scheduler's, with no monitor lock held, and must not block.
func (m *Monitor) SetTiltHook(f func(TiltEvent)) {
	m.tilt.mu.Lock()
	m.tilt.hook = f
	m.tilt.mu.Unlock()
}

// Tilt reports whether the node is in TILT, and since when.
func (m *Monitor) Tilt() (bool, time.Time) {
	if !m.tilt.on.Load() {
		return false, time.Time{}
	}
	m.tilt.mu.Lock()
	defer m.tilt.mu.Unlock()
	return !m.tilt.since.IsZero(), m.tilt.since
}

// notBefore is SDownInput.NotBefore for an evaluation at now: the end of
// the last stall. An evaluation that finds the ticker silent for more than
// tilt-trigger is itself right after a stall (the scheduler can run before
// the ticker does): it records the stall, ending now.
func (t *tiltState) notBefore(now time.Time) time.Time {
	if last := t.lastNs.Load(); last != 0 {
		if gap := now.Sub(t.base) - time.Duration(last); gap > t.triggerDur() {
			t.stall(now, gap)
		}
	}
	return t.lastStall()
}

// stall records a stall of gap that ended at now and enters TILT.
func (t *tiltState) stall(now time.Time, gap time.Duration) {
	ns := int64(max(now.Sub(t.base), 1))
	for {
		old := t.stallEnd.Load()
		if old >= ns || t.stallEnd.CompareAndSwap(old, ns) {
			break
		}
	}
	t.mu.Lock()
	entered := t.since.IsZero()
	if entered {
		t.since = now
		t.on.Store(true)
	}
	ev, hook := TiltEvent{On: true, Stall: gap, Since: t.since}, t.hook
	t.mu.Unlock()
	if entered && hook != nil {
		hook(ev)
	}
}

// exit leaves TILT.
func (t *tiltState) exit() {
	t.mu.Lock()
	if t.since.IsZero() {
		t.mu.Unlock()
		return
	}
	ev, hook := TiltEvent{On: false, Since: t.since}, t.hook
	t.since = time.Time{}
	t.on.Store(false)
	t.mu.Unlock()
	if hook != nil {
		hook(ev)
	}
}

// runTilt is the stall detector: a ticker whose ticks are compared on the
// monotonic clock. It runs for the monitor's lifetime.
func (m *Monitor) runTilt(ctx context.Context) {
	t := &m.tilt
	tk := time.NewTicker(TiltTick)
	defer tk.Stop()
	prev := time.Now()
	t.lastNs.Store(int64(max(prev.Sub(t.base), 1)))
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		now := time.Now() // not the tick's own time: that is when it was due, not when it ran
		gap := now.Sub(t.base) - time.Duration(t.lastNs.Load())
		if gap > t.triggerDur() {
			m.log.Warn("+tilt: this process was stalled", zap.Duration("stall", gap))
			t.stall(now, gap)
		} else if wall, mono := now.Round(0).Sub(prev.Round(0)), now.Sub(prev); wall-mono > t.triggerDur() || mono-wall > t.triggerDur() {
			m.log.Info("wall clock stepped; durations are measured on the monotonic clock: no TILT",
				zap.Duration("step", wall-mono))
		}
		prev = now
		t.lastNs.Store(int64(max(now.Sub(t.base), 1)))
		if t.on.Load() {
			m.checkTiltExit(now)
		}
	}
}

// checkTiltExit leaves TILT once every instance is re-confirmed after the
// last stall, or tilt-period after it.
func (m *Monitor) checkTiltExit(now time.Time) {
	t := &m.tilt
	end := t.lastStall()
	if now.Sub(end) >= t.periodDur() || m.reconfirmed(end, now, "") {
		m.log.Info("-tilt", zap.Duration("after", now.Sub(end)))
		t.exit()
	}
}

// TiltHolds reports whether decisions about master must still wait: the
// node is in TILT and some instance of master is not re-confirmed since
// the stall. A master whose instances all answered again is not held by
// another's slower re-confirmation.
func (m *Monitor) TiltHolds(master string) bool {
	if !m.tilt.on.Load() {
		return false
	}
	now, end := time.Now(), m.tilt.lastStall()
	return now.Sub(end) < m.tilt.periodDur() && !m.reconfirmed(end, now, master)
}

// reconfirmed reports whether every monitored instance (of master, or all
// with "") has a verdict that rests on evidence from after end: a reply
// received after it, down-after of silence after it, or SDOWN already
// (kept through the stall).
func (m *Monitor) reconfirmed(end, now time.Time, master string) bool {
	m.mu.Lock()
	insts := make([]*instance, 0, len(m.insts))
	for k, in := range m.insts {
		if master == "" || k.master == master {
			insts = append(insts, in)
		}
	}
	m.mu.Unlock()
	for _, in := range insts {
		ps := in.probe.state()
		in.mu.Lock()
		down, d := in.v.SDown, in.t.DownAfter
		in.mu.Unlock()
		if !down && !ps.lastReply.After(end) && now.Sub(end) < d {
			return false
		}
	}
	return true
}
