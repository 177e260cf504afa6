package monitor

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// instKey identifies a link: the same address watched under two master
// names has two links.
type instKey struct{ master, addr string }

// instance is one monitored Redis instance: a probe (PING only) and a
// command link (INFO, Do, Transaction). The pinger (or a goroutine of its
// own) drives the probe; the INFO scheduler sends its periodic INFO.
type instance struct {
	m     *Monitor
	key   instKey
	probe *probe
	cmd   cmdLink

	fast    atomic.Bool // SetFastInfo for this master
	suspect atomic.Bool // the probe lost the target: check the command link now
	back    atomic.Bool // the probe regained the target: INFO now
	queued  atomic.Bool // in the SDOWN scheduler's dirty list
	sdown   atomic.Bool // mirror of v.SDown for changed()
	cancel  context.CancelFunc
	info    infoState // the INFO scheduler's, under its lock (infosched.go)

	mu        sync.Mutex
	t         view.Target
	v         view.Instance // INFO-derived fields and SDOWN state
	created   time.Time     // when the links started; zero before Run
	stopped   bool
	authErr   string // last AUTH failure, "" after a success
	cmdErr    string // last command-link failure, "" after a good INFO
	lastRunID string // last non-empty run_id seen

	// Owned by the SDOWN scheduler goroutine.
	nextCheck time.Time // SDownDeadline at the last evaluation, zero = none
	heapIdx   int       // index in the scheduler's deadline heap, -1 = not in it
}

func newInstance(m *Monitor, t view.Target) *instance {
	in := &instance{
		m:       m,
		key:     instKey{t.Master, t.Addr},
		t:       t,
		heapIdx: -1,
		info:    infoState{idx: -1},
	}
	in.v = view.Instance{Addr: t.Addr, MasterLastIOSec: -1, SlavePriority: 100, ReplicaAnnounced: true}
	s := m.targetSettings(t)
	in.probe = newProbe(s, m.cfg.Dial, in)
	in.cmd.set.Store(s)
	return in
}

func (in *instance) settings() *linkSettings { return in.cmd.set.Load() }

// start starts the probe under ctx and queues the first INFO.
func (in *instance) start(ctx context.Context, wg *sync.WaitGroup) {
	ctx, in.cancel = context.WithCancel(ctx)
	in.mu.Lock()
	in.created = time.Now()
	in.mu.Unlock()
	in.changedNow()
	in.wakeInfo()
	if pg := in.m.pinger; pg != nil {
		pg.add(in.probe) // the pinger drives the probe: no goroutine of its own
		return
	}
	wg.Add(1)
	go func() { defer wg.Done(); in.probe.run(ctx) }()
}

// wakeInfo re-plans the next INFO: the command link reconnected, the
// period or the probe's state changed.
func (in *instance) wakeInfo() { in.m.info.wake(in) }

// stop ends both links; it does not wait (see done).
func (in *instance) stop() {
	in.mu.Lock()
	in.stopped = true
	in.mu.Unlock()
	in.changedNow() // the scheduler drops it
	in.m.info.remove(in)
	if in.cancel != nil {
		in.cancel()
	}
	in.probe.stop()
	in.cmd.conn.stop()
}

// update applies new settings of a kept target. A change of auth, rename
// map or address reconnects both links.
func (in *instance) update(t view.Target) {
	in.mu.Lock()
	if t.AuthPass == "" {
		in.authErr = "" // no AUTH will be sent any more, so no reply would clear an old refusal
	}
	in.t = t
	in.mu.Unlock()
	in.changedNow()
	s := in.m.targetSettings(t)
	in.probe.update(s)
	if old := in.cmd.set.Swap(s); old.connKey != s.connKey {
		in.cmd.conn.kick()
	}
	in.wakeInfo()
}

func (in *instance) target() view.Target {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.t
}

// view assembles this node's view of the instance.
func (in *instance) view() view.Instance {
	ps := in.probe.state()
	in.mu.Lock()
	v := in.v
	authErr, cmdErr := in.authErr, in.cmdErr
	in.mu.Unlock()
	v.PingPendingSince = ps.pendingSince
	v.LastOKPing = ps.lastOK
	v.LastPingReply = ps.lastReply
	// A link refused by the server (wrong password, missing password, an
	// ACL without PING or INFO) is no usable link: shown disconnected, with
	// the reason in LastError, so it is never taken for healthy. A refused
	// AUTH alone is not that: when PING and INFO still work (a password
	// sent to a server without one, or an unknown user while the default
	// user is open) the link is usable, as Sentinel, which ignores AUTH's
	// reply, uses it; LastError still names the AUTH failure.
	refused := refusedReply(ps.err) || refusedReply(cmdErr)
	v.Connected = ps.connected && in.cmd.up.Load() && !refused
	v.PendingCommands = int(in.cmd.pending.Load())
	if ps.inflight {
		v.PendingCommands++
	}
	switch {
	case authErr != "":
		v.LastError = "AUTH: " + authErr
	case ps.err != "":
		v.LastError = ps.err
	default:
		v.LastError = cmdErr
	}
	return v
}

// refusedReply reports a link error that is an authentication or
// permission refusal ("PING: NOAUTH ...", "INFO: NOPERM ...").
func refusedReply(e string) bool {
	_, msg, ok := strings.Cut(e, ": ")
	return ok && (strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOPERM"))
}

// authResult implements authSink for both links: a failure is kept for
// LastError and logged once per change, never once per attempt.
func (in *instance) authResult(ok bool, msg []byte) {
	in.mu.Lock()
	var logFail, logOK bool
	switch {
	case ok && in.authErr != "":
		in.authErr = ""
		logOK = true
	case !ok && in.authErr != string(msg):
		in.authErr = string(msg)
		logFail = true
	}
	t, e := in.t, in.authErr
	in.mu.Unlock()
	if logFail {
		in.m.log.Warn("redis auth failed", zap.String("master", t.Master), zap.String("addr", t.Addr), zap.String("err", e))
	} else if logOK {
		in.m.log.Info("redis auth ok", zap.String("master", t.Master), zap.String("addr", t.Addr))
	}
}

// changed queues the instance for SDOWN evaluation (probeOwner). hint is
// when the change can first move the verdict; zero means "at once if SDOWN
// now, else no hurry" (a cleared pending PING cannot make a healthy
// instance SDOWN).
func (in *instance) changed(hint time.Time) {
	s := in.m.sched
	h := int64(never)
	switch {
	case !hint.IsZero():
		h = s.ns(hint)
	case in.sdown.Load():
		h = 0
	}
	s.markDirty(in, h)
}

// changedNow queues the instance for evaluation at the next pass.
func (in *instance) changedNow() { in.m.sched.markDirty(in, 0) }

// probeLost implements probeOwner: the command link is probably dead too;
// the INFO scheduler checks it now (marking the instance disconnected) instead of
// at the next INFO period.
func (in *instance) probeLost() {
	in.suspect.Store(true)
	in.wakeInfo()
}

// probeRecovered implements probeOwner: the target answers again, maybe
// after a restart; INFO now, so a new run id or role is seen at once.
func (in *instance) probeRecovered() {
	in.back.Store(true)
	in.wakeInfo()
}

// setCmdErr records a command-link failure ("" clears it), logged once per
// change.
func (in *instance) setCmdErr(e string) {
	in.mu.Lock()
	changed := in.cmdErr != e
	in.cmdErr = e
	t := in.t
	in.mu.Unlock()
	if changed && e != "" {
		in.m.log.Warn("redis command link error", zap.String("master", t.Master), zap.String("addr", t.Addr), zap.String("err", e))
	}
}

// applyInfo parses an INFO reply into the view and reports it.
func (in *instance) applyInfo(text string, now time.Time) view.Instance {
	in.mu.Lock()
	oldRole, oldLink, oldReplID := in.v.Role, in.v.MasterLinkUp, in.v.ReplID
	ParseInfo(text, &in.v)
	in.v.InfoRefresh = now
	if in.v.Role != oldRole {
		in.v.RoleChanged = now
	}
	var rebooted bool
	if in.v.RunID != "" {
		if in.lastRunID != "" && in.lastRunID != in.v.RunID {
			rebooted = true
			if in.t.IsMaster && oldReplID != in.v.ReplID {
				in.v.PrevReplIDs.Push(oldReplID)
			}
			if in.t.IsMaster && in.t.RebootDownAfter > 0 {
				in.v.Reboot = true
				in.v.RebootSince = now
			}
		}
		in.lastRunID = in.v.RunID
	}
	t := in.t
	replicas := in.v.ConnectedReplicas
	urgent := in.v.Role != oldRole || rebooted
	periodChanged := urgent || in.v.MasterLinkUp != oldLink
	in.mu.Unlock()
	if periodChanged {
		in.wakeInfo() // the INFO scheduler recomputes its period
	}
	if urgent {
		in.changedNow()
	} else {
		in.changed(time.Time{})
	}
	if rebooted {
		in.m.log.Info("+reboot", zap.String("master", t.Master), zap.String("addr", t.Addr))
	}
	v := in.view()
	if t.IsMaster {
		for _, r := range replicas {
			in.m.rep.ReplicaSeen(t.Master, r.Addr())
		}
	}
	in.m.rep.Info(t, v)
	return v
}

// infoPeriod is the current INFO period of this instance (spec §6.2): fast
// when its master is in fast mode, when no INFO was ever received, or when
// it is a replica reporting its master link down.
func (in *instance) infoPeriod() time.Duration {
	if in.fast.Load() {
		return in.m.cfg.FastInfoPeriod
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.v.InfoRefresh.IsZero() || (!in.t.IsMaster && in.v.Role == "slave" && !in.v.MasterLinkUp) {
		return in.m.cfg.FastInfoPeriod
	}
	if p := in.m.infoPeriod.Load(); p > 0 {
		return time.Duration(p)
	}
	return in.m.cfg.InfoPeriod
}
