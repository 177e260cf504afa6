package monitor

import (
	"time"

	"go.uber.org/zap"
)

// RoleSlaveGrace is added to down-after before a master that reports
// role:slave is SDOWN (Sentinel: 2 × its 10 s INFO period).
const RoleSlaveGrace = 20 * time.Second

// SDOWN reasons, as logged with +sdown.
const (
	ReasonNoReply   = "no-valid-reply"
	ReasonRoleSlave = "master-reports-slave"
	ReasonReboot    = "master-reboot"
)

// SDownInput is everything the SDOWN rule (spec §6.4) looks at.
type SDownInput struct {
	PingPendingSince time.Time // oldest unanswered PING, zero if none
	LastOKPing       time.Time // last valid PING reply, zero if never
	LinkCreated      time.Time // stands in for LastOKPing before any valid reply
	ProbeConnected   bool
	DownAfter        time.Duration

	IsMaster    bool      // the target is a master
	Role        string    // role from the last INFO
	RoleChanged time.Time // when Role last changed

	RebootDownAfter time.Duration // master-reboot-down-after-period, 0 = off
	Reboot          bool          // run id changed (and not PONG-ed since)
	RebootSince     time.Time     // when the run id change was seen
	LastPong        time.Time     // last +PONG (LOADING/MASTERDOWN do not count)

	// Down is the current verdict. NotBefore is the end of the last stall
	// of this process (tilt.go): an instance not SDOWN yet enters SDOWN
	// only on evidence from after it, so a stall is never taken for the
	// instance's silence.
	Down      bool
	NotBefore time.Time
}

// evidenceFrom is t, or NotBefore when t is earlier and the instance is
// not SDOWN yet.
func (in *SDownInput) evidenceFrom(t time.Time) time.Time {
	if !in.Down && !t.IsZero() && t.Before(in.NotBefore) {
		return in.NotBefore
	}
	return t
}

// SDownElapsed is how long the instance has been without a valid reply.
// While the probe is connected it is measured as Sentinel does, since the
// oldest unanswered PING (0 if none). Once the probe is disconnected (the
// connection was reset, refused, or timed out) it is measured since the
// last valid reply: nothing has answered since then, and waiting for the
// pending PING's own deadline would add up to a ping period to detecting a
// crashed instance. With no valid reply ever, the earlier of the link
// creation and the pending PING counts.
func SDownElapsed(now time.Time, in *SDownInput) time.Duration {
	since := sdownSince(in)
	if since.IsZero() {
		return 0
	}
	return now.Sub(since)
}

// sdownSince is the moment SDownElapsed counts from (zero: not counting).
func sdownSince(in *SDownInput) time.Time {
	if in.ProbeConnected {
		return in.evidenceFrom(in.PingPendingSince)
	}
	since := in.LastOKPing
	if since.IsZero() {
		since = in.LinkCreated
		if p := in.PingPendingSince; !p.IsZero() && (since.IsZero() || p.Before(since)) {
			since = p
		}
	}
	return in.evidenceFrom(since)
}

// IsSDown applies the SDOWN rule and returns why ("" when not down).
func IsSDown(now time.Time, in *SDownInput) (bool, string) {
	if in.DownAfter > 0 && SDownElapsed(now, in) > in.DownAfter {
		return true, ReasonNoReply
	}
	if in.IsMaster && in.Role == "slave" && !in.RoleChanged.IsZero() &&
		now.Sub(in.evidenceFrom(in.RoleChanged)) > in.DownAfter+RoleSlaveGrace {
		return true, ReasonRoleSlave
	}
	if in.IsMaster && in.RebootDownAfter > 0 && in.Reboot &&
		!in.LastPong.After(in.RebootSince) && now.Sub(in.evidenceFrom(in.RebootSince)) > in.RebootDownAfter {
		return true, ReasonReboot
	}
	return false, ""
}

// SDownDeadline returns the earliest time after now at which IsSDown's
// verdict can change while the inputs stay as they are (zero = never). The
// SDOWN ticker re-evaluates an instance only when its inputs changed or this
// deadline passed (see sdownSched).
func SDownDeadline(now time.Time, in *SDownInput) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && !t.Before(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if since := sdownSince(in); !since.IsZero() {
		consider(since.Add(in.DownAfter))
	}
	if in.IsMaster && in.Role == "slave" && !in.RoleChanged.IsZero() {
		consider(in.evidenceFrom(in.RoleChanged).Add(in.DownAfter + RoleSlaveGrace))
	}
	if in.IsMaster && in.RebootDownAfter > 0 && in.Reboot && !in.LastPong.After(in.RebootSince) {
		consider(in.evidenceFrom(in.RebootSince).Add(in.RebootDownAfter))
	}
	return next
}

// notBefore is the NotBefore of the instance's SDOWN input: the end of the
// last stall of this process, or, for a target never heard from, when its
// first dial started (now while that dial still waits for a slot): a
// target never asked is not silent.
func (in *instance) notBefore(now time.Time, ps probeState) time.Time {
	notBefore := in.m.tilt.notBefore(now)
	if ps.lastReply.IsZero() { // never heard from: not asked before the first dial started
		switch {
		case ps.firstDialQueued:
			notBefore = now
		case ps.firstDialAt.After(notBefore):
			notBefore = ps.firstDialAt
		}
	}
	return notBefore
}

// sdownInput is what the SDOWN rule reads of the instance. Caller holds
// in.mu.
func (in *instance) sdownInput(ps probeState, notBefore time.Time) SDownInput {
	return SDownInput{
		PingPendingSince: ps.pendingSince,
		LastOKPing:       ps.lastOK,
		LinkCreated:      in.created,
		ProbeConnected:   ps.connected,
		DownAfter:        in.t.DownAfter,
		IsMaster:         in.t.IsMaster,
		Role:             in.v.Role,
		RoleChanged:      in.v.RoleChanged,
		RebootDownAfter:  in.t.RebootDownAfter,
		Reboot:           in.v.Reboot,
		RebootSince:      in.v.RebootSince,
		LastPong:         ps.lastPong,
		Down:             in.v.SDown,
		NotBefore:        notBefore,
	}
}

// silentSince is the moment the SDOWN clock counts the instance's silence
// from (sdownSince), zero when it is not counting. It reads the probe and
// the SDOWN state only: no view is assembled.
func (in *instance) silentSince(now time.Time) time.Time {
	ps := in.probe.state()
	notBefore := in.notBefore(now, ps)
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped || in.created.IsZero() {
		return time.Time{}
	}
	x := in.sdownInput(ps, notBefore)
	return sdownSince(&x)
}

// checkSDown evaluates one instance; called by the single SDOWN ticker. It
// allocates nothing unless the state changes.
func (in *instance) checkSDown(now time.Time) {
	ps := in.probe.state()
	notBefore := in.notBefore(now, ps)
	in.mu.Lock()
	if in.stopped || in.created.IsZero() {
		in.mu.Unlock()
		in.nextCheck = time.Time{}
		return
	}
	if in.v.Reboot && ps.lastPong.After(in.v.RebootSince) {
		in.v.Reboot = false
	}
	x := in.sdownInput(ps, notBefore)
	down, reason := IsSDown(now, &x)
	in.nextCheck = SDownDeadline(now, &x)
	changed := down != in.v.SDown
	if changed {
		in.sdown.Store(down)
		in.v.SDown = down
		if down {
			in.v.SDownSince = now
		} else {
			in.v.SDownSince = time.Time{}
		}
	}
	t := in.t
	in.mu.Unlock()
	if !changed {
		return
	}
	if down {
		in.m.log.Info("+sdown", zap.String("master", t.Master), zap.String("addr", t.Addr),
			zap.String("reason", reason), zap.Duration("elapsed", SDownElapsed(now, &x)))
	} else {
		in.m.log.Info("-sdown", zap.String("master", t.Master), zap.String("addr", t.Addr))
	}
	in.m.rep.SDown(t, down)
}
