package failover

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// Config holds the engine's settings; every timer is a setting.
type Config struct {
	MyID           string
	IdleTick       time.Duration // evaluation period when nothing is happening (100 ms)
	BusyTick       time.Duration // period while a master is suspected or failing over (10 ms)
	ReplicaWitness bool          // design rule 9
	PauseTimeout   time.Duration // CLIENT PAUSE bound of a coordinated SENTINEL FAILOVER
	DemoteDelay    time.Duration // how long a stray master is seen before it is demoted
	// FenceMinReplicas >= 0 keeps min-replicas-to-write (and
	// min-replicas-max-lag = FenceMaxLag seconds) on every instance (see
	// fence.go); < 0 leaves the Redis settings alone.
	FenceMinReplicas int
	FenceMaxLag      int
	Logger           *zap.Logger
	// Simulate returns SENTINEL SIMULATE-FAILURE flags; Crash is called
	// (Sentinel exits with 99) at the simulated crash points. Tests use them
	// to kill a leader in the middle of a failover.
	Simulate func() int64
	Crash    func(point string)
	// TiltHolds reports TILT for a master (monitor/tilt.go): right after a
	// stall of this process its views of the master's instances are not
	// re-confirmed yet, so the leader starts no failover of it and makes
	// no corrections; nil = never.
	TiltHolds func(master string) bool
}

// SIMULATE-FAILURE flags, as Sentinel numbers them.
const (
	SimCrashAfterElection  = 1 << 0
	SimCrashAfterPromotion = 1 << 1
)

// simulate calls Crash when flag is set.
func (e *Engine) simulate(flag int64, point string) {
	if e.cfg.Simulate != nil && e.cfg.Crash != nil && e.cfg.Simulate()&flag != 0 {
		e.log.Warn("simulated failure", zap.String("point", point))
		e.cfg.Crash(point)
	}
}

// Engine is the leader's failover loop.
type Engine struct {
	cfg  Config
	c    Cluster
	r    Redis
	log  *zap.Logger
	wake chan struct{}

	starts starter // failover starts, committed in batches (starts.go)

	mu sync.Mutex // guards the leader-local memory below (Manual runs concurrently)
	// Leader-local memory, forgotten when leadership is lost: everything
	// needed to resume is in the log; this only rate-limits and remembers
	// what was observed.
	leading  bool
	term     uint64                          // Raft term leading began in (guard.go)
	samples  map[string][]Sample             // replica addr -> recent witness samples, oldest first
	sampled  map[string]time.Time            // master -> last witness sampling
	vetoed   map[string]string               // master -> why the last ODOWN evaluation was vetoed (logged once per change)
	strayAt  map[string]map[string]time.Time // master -> addr -> first seen as a stray master
	misconf  map[string]map[string]time.Time // master -> addr -> first seen following another master
	acted    map[string]time.Time            // action key -> last time (rate limit)
	paused   map[string]uint64               // master -> epoch whose old master we paused
	unpaused map[string]uint64               // master -> epoch whose old master we unpaused
	delayLog map[string]int64                // master -> next-start time already logged
	fenced   map[string]string               // addr -> run id whose fence settings were applied
	quorumAt map[string]time.Time            // master -> since when a quorum says it is down

	// Owned by the goroutine that ticks (Run, or a test's step): the
	// copies of the masters read at state version copiesAt, reused while
	// the version stays. keys holds the host:port strings of their
	// addresses (the monitor's keys), rendered once per version (see
	// copies, key); evaluations read it while the next tick may replace it.
	copied   []*model.Master
	copiesAt uint64
	keys     atomic.Pointer[map[model.Addr]string]

	queue    evalQueue           // masters waiting for or under evaluation (evalqueue.go)
	busy     atomic.Bool         // an evaluation since the last tick said something is in motion
	busyCh   chan struct{}       // ... and pokes Run, so the next tick comes after BusyTick
	panicked atomic.Pointer[any] // a panic of an evaluation, re-raised by Run
	correct  atomic.Bool         // the next tick runs the corrections (WakeCorrections)
	alone    time.Duration       // evaluateAlone (tests lengthen it)
	helpers  atomic.Int64        // evaluation helpers started so far (read by tests)
	// holdPromotion: an automatic start's evaluation does not go on to
	// the promotion (driveStarted); the next tick sends it. Tests of what
	// happens between the two set it.
	holdPromotion bool
}

// New returns an engine; Run drives it.
func New(cfg Config, c Cluster, r Redis) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.IdleTick == 0 {
		cfg.IdleTick = 100 * time.Millisecond
	}
	if cfg.BusyTick == 0 {
		cfg.BusyTick = 10 * time.Millisecond
	}
	if cfg.PauseTimeout == 0 {
		cfg.PauseTimeout = 5 * time.Second
	}
	e := &Engine{cfg: cfg, c: c, r: r, log: cfg.Logger, wake: make(chan struct{}, 1), busyCh: make(chan struct{}, 1), alone: evaluateAlone}
	e.reset()
	return e
}

func (e *Engine) reset() {
	e.samples = map[string][]Sample{}
	e.sampled = map[string]time.Time{}
	e.vetoed = map[string]string{}
	e.strayAt = map[string]map[string]time.Time{}
	e.misconf = map[string]map[string]time.Time{}
	e.acted = map[string]time.Time{}
	e.paused = map[string]uint64{}
	e.unpaused = map[string]uint64{}
	e.delayLog = map[string]int64{}
	e.fenced = map[string]string{}
	e.quorumAt = map[string]time.Time{}
}

// Wake makes the engine evaluate now (an entry was applied, an INFO arrived).
func (e *Engine) Wake() { poke(e.wake) }

// WakeCorrections makes the engine evaluate now with the corrections,
// which otherwise run on the IdleTick cadence only (an INFO says a replica
// is a master: an old master back, to demote at once).
func (e *Engine) WakeCorrections() {
	e.correct.Store(true)
	poke(e.wake)
}

// Run evaluates until ctx is done. Only the leader acts. Every tick
// queues the masters not already queued or being evaluated (evalqueue.go);
// it does not wait for their evaluations. The next tick comes after
// BusyTick when an evaluation since the last tick said something is in
// motion (or one says so before the idle tick is due), else after IdleTick.
func (e *Engine) Run(ctx context.Context) {
	defer e.queue.running.Wait() // evaluations in flight see ctx end and return
	t := time.NewTimer(e.cfg.IdleTick)
	defer t.Stop()
	next := time.Now().Add(e.cfg.IdleTick)
	var last, lastFull time.Time // the last tick, the last full one
	reset := func(d time.Duration) {
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(d)
		next = time.Now().Add(d)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.busyCh:
			if time.Until(next) > e.cfg.BusyTick {
				reset(e.cfg.BusyTick)
			}
			continue
		case <-t.C:
		case <-e.wake:
			// Every applied entry wakes the engine: at most one tick per
			// BusyTick, or a burst of entries would queue every master
			// hundreds of times a second.
			if wait := e.cfg.BusyTick - time.Since(last); wait > 0 {
				if time.Until(next) > wait {
					reset(wait)
				}
				continue
			}
		}
		last = time.Now()
		if r := e.panicked.Load(); r != nil {
			panic(*r) // on the engine's goroutine (Config.Crash may panic)
		}
		busy := e.busy.Swap(false)
		if masters, voters, retry := e.prepare(ctx); masters != nil {
			full := e.correct.Swap(false) || time.Since(lastFull) >= e.cfg.IdleTick
			if full {
				lastFull = last
			}
			e.dispatch(ctx, masters, voters, full)
		} else if retry {
			busy = true
		}
		if busy {
			reset(e.cfg.BusyTick)
		} else {
			reset(e.cfg.IdleTick)
		}
	}
}

// step runs one evaluation of every master and waits for it; it reports
// whether anything is in motion. Tests step the engine with it.
func (e *Engine) step(ctx context.Context) bool {
	masters, voters, retry := e.prepare(ctx)
	if masters == nil {
		return retry
	}
	r := e.dispatch(ctx, masters, voters, true)
	r.wg.Wait()
	if p := r.panicked.Load(); p != nil {
		panic(*p) // on the caller's goroutine, as before (Config.Crash may panic)
	}
	return r.busy.Load() && ctx.Err() == nil
}

// prepare checks leadership and returns what a tick evaluates: the
// masters (nil when this node does not lead, or not yet) and the current
// voters. retry reports a leader that could not catch up with the log yet
// (Barrier): the next tick should come soon.
func (e *Engine) prepare(ctx context.Context) (masters []*model.Master, voters map[string]bool, retry bool) {
	if !e.c.IsLeader() || (e.isLeading() && e.c.Term() != e.leadingTerm()) {
		e.mu.Lock()
		if e.leading {
			e.leading = false
			e.reset()
			e.copied = nil
			e.keys.Store(nil)
			e.log.Info("failover engine standing by")
		}
		e.mu.Unlock()
		return nil, nil, false
	}
	e.mu.Lock()
	leading := e.leading
	e.mu.Unlock()
	if !leading {
		// A new leader first applies everything its predecessor committed.
		term := e.c.Term()
		if err := e.c.Barrier(2 * time.Second); err != nil {
			return nil, nil, true
		}
		e.mu.Lock()
		e.leading, e.term = true, term
		e.mu.Unlock()
		e.log.Info("failover engine leading")
	}
	voters = map[string]bool{}
	for _, m := range e.c.Members() {
		if m.Voter {
			voters[m.ID] = true
		}
	}
	return e.copies(), voters, false
}

// copies returns copies of the replicated masters, sorted by name. They are
// taken again only when the state version moved since the last ones: an
// idle tick (nothing applied in between) reuses them instead of cloning
// every master ten times a second. Evaluation never modifies a master it
// is given (it proposes entries; the next tick sees their effect through
// a new version), so the copies stay equal to the state they were read at.
func (e *Engine) copies() []*model.Master {
	// The version is read before the state: a change in between only makes
	// the next tick read again.
	ver := e.c.StateVersion()
	if e.copied != nil && e.copiesAt == ver {
		return e.copied
	}
	masters := []*model.Master{}
	e.c.Read(func(s *model.State) {
		for _, n := range s.MasterNames() {
			masters = append(masters, s.Masters[n].Clone())
		}
	})
	var n int
	if old := e.keys.Load(); old != nil {
		n = len(*old)
	}
	keys := make(map[model.Addr]string, n)
	for _, m := range masters {
		keys[m.Addr] = m.Addr.String()
		for _, r := range m.Replicas {
			keys[r] = r.String()
		}
	}
	e.copied, e.copiesAt = masters, ver
	e.keys.Store(&keys)
	return masters
}

// key is a's host:port, the monitor's key: rendered once per state version
// for the addresses of the copies.
func (e *Engine) key(a model.Addr) string {
	if keys := e.keys.Load(); keys != nil {
		if k, ok := (*keys)[a]; ok {
			return k
		}
	}
	return a.String()
}

// evaluate handles one master; true when it needs the fast tick. The
// corrections run in full evaluations only (every tick of the IdleTick
// cadence, every step): their own hold times are far longer than a tick,
// and while some master is busy the ticks come every BusyTick, so each of
// the other 999 of 1000 masters read its replicas' views a hundred times a
// second (10 % of the nodes' CPU during ten failovers at once).
func (e *Engine) evaluate(ctx context.Context, m *model.Master, voters map[string]bool, full bool) bool {
	if m.Failover != nil {
		e.r.SetFastInfo(m.Name, true)
		e.drive(ctx, m)
		return true
	}
	agreeing := CountDown(m.Observations, voters)
	suspect := agreeing > 0 || m.ODown
	e.mu.Lock()
	if agreeing < m.Quorum {
		delete(e.quorumAt, m.Name)
	} else if _, ok := e.quorumAt[m.Name]; !ok {
		e.quorumAt[m.Name] = time.Now()
	}
	e.mu.Unlock()
	if e.cfg.ReplicaWitness && agreeing < m.Quorum {
		if since, ok := e.r.SilentSince(m.Name, e.key(m.Addr)); ok &&
			Suspected(agreeing, since, time.Now(), time.Duration(m.DownAfterMs)*time.Millisecond) {
			e.sample(ctx, m, suspectPeriod)
		}
	}
	if agreeing >= m.Quorum || m.ODown {
		vouched := false
		if agreeing >= m.Quorum && e.cfg.ReplicaWitness {
			vouched = e.witness(ctx, m)
		}
		down := ODown(m.Quorum, agreeing, vouched)
		if down != m.ODown {
			od := &model.ODown{Master: m.Name, Down: down, Agreeing: agreeing}
			// A master going ODOWN starts its failover in the same batch
			// (maybeStart), unless it may not start yet.
			if !down || e.tilted(m.Name) || !e.maybeStart(ctx, m, od) {
				e.propose(ctx, od)
			}
			return true
		}
		if down && !e.tilted(m.Name) {
			e.maybeStart(ctx, m, nil)
		}
	}
	if full && !e.tilted(m.Name) {
		e.corrections(ctx, m)
	}
	e.fence(ctx, m)
	return suspect
}

// tilted reports TILT for master (Config.TiltHolds).
func (e *Engine) tilted(master string) bool { return e.cfg.TiltHolds != nil && e.cfg.TiltHolds(master) }

func (e *Engine) isLeading() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

func (e *Engine) leadingTerm() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.term
}

// propose commits an entry, stamped with this node's id and wall clock,
// logging refusals; it reports success.
func (e *Engine) propose(ctx context.Context, cmd model.Entry) bool {
	e.stamp(cmd)
	cctx, cancel := context.WithTimeout(ctx, proposeTimeout)
	defer cancel()
	if _, err := e.c.Apply(cctx, cmd); err != nil {
		e.proposalFailed(cmd, err)
		return false
	}
	return true
}

// proposeBatch commits entries in their order in one Raft round trip
// (ApplyBatch), each stamped, waiting at most proposeTimeout; it returns
// each entry's error (the caller logs them: a batch's refusals mean
// different things to its callers).
func (e *Engine) proposeBatch(ctx context.Context, es []model.Entry) []error {
	for _, c := range es {
		e.stamp(c)
	}
	cctx, cancel := context.WithTimeout(ctx, proposeTimeout)
	defer cancel()
	_, errs := e.c.ApplyBatch(cctx, es)
	return errs
}

// stamp marks cmd as this node's, proposed now.
func (e *Engine) stamp(cmd model.Entry) {
	h := cmd.Head()
	h.Node, h.AtMs = e.cfg.MyID, time.Now().UnixMilli()
}

// proposeTimeout bounds the wait for one of the engine's proposals (or one
// batch of failover starts) to commit.
const proposeTimeout = 3 * time.Second

// proposalFailed logs a proposal the log did not commit.
func (e *Engine) proposalFailed(cmd model.Entry, err error) {
	if errors.Is(err, model.ErrEpochMismatch) {
		// The fence did its job: a proposal of an earlier epoch (this
		// engine's own retry racing a newer failover) changes nothing.
		e.log.Debug("proposal fenced", zap.String("master", model.MasterOf(cmd)), zap.String("op", string(cmd.Op())), zap.Uint64("epoch", model.EpochOf(cmd)), zap.Error(err))
		return
	}
	e.log.Warn("proposal failed", zap.String("master", model.MasterOf(cmd)), zap.String("op", string(cmd.Op())), zap.Uint64("epoch", model.EpochOf(cmd)), zap.Error(err))
}

// rateLimited reports whether key acted within d, and records now if not.
func (e *Engine) rateLimited(key string, d time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.acted[key]; ok && time.Since(t) < d {
		return true
	}
	e.acted[key] = time.Now()
	return false
}

// views returns this node's views of the given addresses of master m.
func (e *Engine) views(m *model.Master, addrs ...model.Addr) map[string]view.Instance {
	out := make(map[string]view.Instance, len(addrs))
	for _, a := range addrs {
		k := a.String()
		if v, ok := e.r.Instance(m.Name, k); ok {
			out[k] = v
		}
	}
	return out
}

// refresh asks for INFO of every address in parallel (bounded) and returns
// the freshest views it has.
func (e *Engine) refresh(ctx context.Context, m *model.Master, addrs []model.Addr, timeout time.Duration) map[string]view.Instance {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Add(1)
		go func(a model.Addr) {
			defer wg.Done()
			_, _ = e.r.RefreshInfo(cctx, m.Name, a.String())
		}(a)
	}
	wg.Wait()
	return e.views(m, addrs...)
}
