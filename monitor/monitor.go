package monitor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// Errors.
var (
	ErrUnknownInstance = errors.New("monitor: unknown instance")
	ErrStopped         = errors.New("monitor: stopped")
)

// Monitor owns this node's links to every monitored instance and peer.
type Monitor struct {
	cfg Config
	// infoPeriod overrides cfg.InfoPeriod at run time (SENTINEL DEBUG
	// info-period); 0 = the configured one.
	infoPeriod atomic.Int64
	// pingCap bounds every target's ping period at run time (SENTINEL
	// DEBUG ping-period, Sentinel's min(down-after, ping-period)); 0 = none.
	pingCap atomic.Int64
	rep     Reporter
	log     *zap.Logger

	mu     sync.Mutex
	insts  map[instKey]*instance
	peers  map[string]*peer
	fast   map[string]bool // SetFastInfo per master name
	runCtx context.Context // nil before Run
	closed bool            // Run has returned
	wg     sync.WaitGroup  // link goroutines
	sched  *sdownSched
	info   *infoSched   // every instance's periodic INFO (infosched.go)
	pinger *pinger      // drives every probe when the monitor owns its sockets (pinger_linux.go)
	dials  *dialLimiter // every dial of the monitor's links (dials.go)
	tilt   tiltState    // stall detector and TILT mode (tilt.go)
}

// New returns a monitor; nothing runs before Run. rep and log may be nil.
func New(cfg Config, rep Reporter, log *zap.Logger) *Monitor {
	if rep == nil {
		rep = nopReporter{}
	}
	if log == nil {
		log = zap.NewNop()
	}
	m := &Monitor{
		cfg:   cfg.withDefaults(),
		rep:   rep,
		log:   log,
		insts: map[instKey]*instance{},
		peers: map[string]*peer{},
		fast:  map[string]bool{},
	}
	m.sched = newSched(m.cfg.SDownCheckPeriod)
	m.info = newInfoSched(infoAtOnce)
	m.tilt.base = time.Now()
	m.dials = newDialLimiter(m.cfg.Dial, maxDials)
	m.cfg.Dial = m.dials.Dial
	return m
}

// Run starts every link (targets and peers set before Run included) and the
// SDOWN scheduler, runs until ctx is done, then closes every link, waits for
// all of the monitor's goroutines and returns nil.
func (m *Monitor) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.runCtx != nil {
		m.mu.Unlock()
		return errors.New("monitor: Run called twice")
	}
	m.runCtx = ctx
	if m.cfg.ExclusiveDial {
		if pg, err := newPinger(m, ctx); err == nil {
			m.pinger = pg
			go pg.run()
		} else {
			m.log.Info("probes run on goroutines of their own", zap.Error(err))
		}
	}
	for _, in := range m.insts {
		in.start(ctx, &m.wg)
	}
	for _, p := range m.peers {
		p.start(ctx, &m.wg)
	}
	m.wg.Add(2)
	go func() { defer m.wg.Done(); m.runTilt(ctx) }()
	go func() { defer m.wg.Done(); m.info.run(ctx) }()
	m.mu.Unlock()

	m.sched.run(ctx)
	m.mu.Lock()
	m.closed = true
	for _, in := range m.insts {
		in.stop()
	}
	for _, p := range m.peers {
		p.stop()
	}
	if m.pinger != nil {
		m.pinger.stop()
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// running reports whether links should be started now (caller holds mu).
func (m *Monitor) running() bool { return m.runCtx != nil && !m.closed }

// SetTargets reconciles the monitored instances with ts: links of new
// targets start, links of targets no longer listed stop, kept ones take the
// new settings (a changed password or rename map reconnects them). A
// DownAfter of 0 means Sentinel's default, 30 s. Idempotent.
func (m *Monitor) SetTargets(ts []view.Target) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := make(map[instKey]view.Target, len(ts))
	for _, t := range ts {
		if t.DownAfter <= 0 {
			t.DownAfter = 30 * time.Second
		}
		want[instKey{t.Master, t.Addr}] = t
	}
	for k, in := range m.insts {
		if _, ok := want[k]; !ok {
			in.stop()
			delete(m.insts, k)
		}
	}
	for k, t := range want {
		if in, ok := m.insts[k]; ok {
			if !in.target().Same(t) {
				in.update(t)
			}
			continue
		}
		in := newInstance(m, t)
		in.fast.Store(m.fast[t.Master])
		m.insts[k] = in
		if m.running() {
			in.start(m.runCtx, &m.wg)
		}
	}
}

// SetPeers reconciles the probed peers with ps, like SetTargets. A peer with
// this node's own id is ignored.
func (m *Monitor) SetPeers(ps []view.PeerTarget) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := make(map[string]view.PeerTarget, len(ps))
	for _, p := range ps {
		if p.ID != "" && p.ID != m.cfg.MyID {
			want[p.ID] = p
		}
	}
	for id, pr := range m.peers {
		if _, ok := want[id]; !ok {
			pr.stop()
			delete(m.peers, id)
		}
	}
	for id, p := range want {
		if pr, ok := m.peers[id]; ok {
			pr.mu.Lock()
			same := pr.p == p
			pr.mu.Unlock()
			if !same {
				pr.update(p)
			}
			continue
		}
		pr := newPeer(m, p)
		m.peers[id] = pr
		if m.running() {
			pr.start(m.runCtx, &m.wg)
		}
	}
}

func (m *Monitor) instance(master, addr string) (*instance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrStopped
	}
	in, ok := m.insts[instKey{master, addr}]
	if !ok {
		return nil, ErrUnknownInstance
	}
	return in, nil
}

// Instance returns this node's view of addr monitored under master.
func (m *Monitor) Instance(master, addr string) (view.Instance, bool) {
	m.mu.Lock()
	in, ok := m.insts[instKey{master, addr}]
	m.mu.Unlock()
	if !ok {
		return view.Instance{}, false
	}
	return in.view(), true
}

// SilentSince is when this node's silence from addr, monitored under
// master, began as the SDOWN rule counts it (zero: nothing outstanding);
// false for an unknown instance (or a stopped monitor). It is the one reading of that rule the
// failover engine's idle evaluation needs (failover.Suspected), without
// copying the whole view as Instance does.
func (m *Monitor) SilentSince(master, addr string) (time.Time, bool) {
	in, err := m.instance(master, addr)
	if err != nil {
		return time.Time{}, false
	}
	return in.silentSince(time.Now()), true
}

// Peer returns this node's view of the peer with myid id.
func (m *Monitor) Peer(id string) (view.Peer, bool) {
	m.mu.Lock()
	pr, ok := m.peers[id]
	m.mu.Unlock()
	if !ok {
		return view.Peer{}, false
	}
	return pr.view(), true
}

// Do sends one command on the instance's command link (the command name is
// renamed as configured) and returns its reply: string (simple or bulk),
// int64, []any, nil, or a RedisError as err. It waits until ctx's deadline,
// or DefaultCommandTimeout without one; the link is dialed first if down.
func (m *Monitor) Do(ctx context.Context, master, addr string, args ...string) (any, error) {
	in, err := m.instance(master, addr)
	if err != nil {
		return nil, err
	}
	return in.do(ctx, args)
}

// Transaction sends MULTI, cmds..., EXEC pipelined in one write on the
// command link (every command name renamed) and reads all replies. It fails
// if the link fails, MULTI is refused, or EXEC fails or is aborted; replies
// of the queued commands are not checked (as Sentinel, spec §6.9).
func (m *Monitor) Transaction(ctx context.Context, master, addr string, cmds ...[]string) error {
	in, err := m.instance(master, addr)
	if err != nil {
		return err
	}
	return in.transaction(ctx, cmds)
}

// RefreshInfo sends INFO now, synchronously, updates the view (and tells the
// Reporter, as a periodic INFO would) and returns it.
func (m *Monitor) RefreshInfo(ctx context.Context, master, addr string) (view.Instance, error) {
	in, err := m.instance(master, addr)
	if err != nil {
		return view.Instance{}, err
	}
	return in.refresh(ctx)
}

// SetInfoPeriod changes the normal INFO period at run time (SENTINEL DEBUG
// info-period).
func (m *Monitor) SetInfoPeriod(d time.Duration) {
	m.infoPeriod.Store(int64(d))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, in := range m.insts {
		in.wakeInfo() // re-plan the next INFO with the new period
	}
}

// SetPingPeriod bounds the ping period of every monitored instance at run
// time (SENTINEL DEBUG ping-period): an instance is pinged at least every d,
// or more often when its own period (ping-period, down-after/10) is
// shorter. 0 removes the bound.
func (m *Monitor) SetPingPeriod(d time.Duration) {
	m.pingCap.Store(int64(d))
	m.mu.Lock() // serialized with SetTargets, which also replaces settings
	defer m.mu.Unlock()
	for _, in := range m.insts {
		in.probe.update(m.targetSettings(in.target()))
	}
}

// targetSettings is targetSettings(m.cfg, t) under the run-time ping bound.
func (m *Monitor) targetSettings(t view.Target) *linkSettings {
	s := targetSettings(m.cfg, t)
	if c := time.Duration(m.pingCap.Load()); c > 0 && c < s.period {
		s.period = c
	}
	return s
}

// SetFastInfo switches INFO of every target of master to FastInfoPeriod
// (failover in progress, master down) or back. It persists across
// SetTargets for targets added later.
func (m *Monitor) SetFastInfo(master string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if on {
		m.fast[master] = true
	} else {
		delete(m.fast, master)
	}
	for k, in := range m.insts {
		if k.master == master && in.fast.Swap(on) != on {
			in.wakeInfo()
		}
	}
}
