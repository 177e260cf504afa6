package failover

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/wait"
	"github.com/raftinel/raftinel/model"
)

// Scenario tests of the engine with fakes of the log (fakelog_test.go) and
// of Redis (fakeredis_test.go): no processes, no sleeps. Each test steps
// the engine (Engine.step, one evaluation) and ages the committed
// timestamps instead of waiting for a timer.

const (
	scMaster = "mymaster"
	scOld    = "127.0.0.1:7000" // the master, unreachable
	scR1     = "127.0.0.1:7001" // the best replica (largest offset)
	scR2     = "127.0.0.1:7002"
	scR3     = "127.0.0.1:7003"
	scTO     = time.Minute // failover-timeout
)

func scAddr(s string) model.Addr { a, _ := model.ParseAddr(s); return a }

type scenario struct {
	t   *testing.T
	log *fakeLog
	r   *fakeRedis
	e   *Engine
	cfg Config
}

// newScenario: a master that two of three voters see down, its replicas
// following it; the engine on voter n1 leads.
func newScenario(t *testing.T) *scenario {
	st := model.NewState()
	set := model.DefaultSettings(2)
	set.FailoverTimeoutMs, set.DownAfterMs = scTO.Milliseconds(), 5000
	st.Masters[scMaster] = &model.Master{Name: scMaster, Addr: scAddr(scOld), Settings: set,
		Replicas:     []model.Addr{scAddr(scR1), scAddr(scR2), scAddr(scR3)},
		Observations: map[string]model.Observation{"n1": {Down: true}, "n2": {Down: true}}}
	r := newFakeRedis()
	r.add(scOld, &fakeInstance{role: "master", down: true})
	for i, a := range []string{scR1, scR2, scR3} {
		r.add(a, &fakeInstance{role: "slave", masterHost: "127.0.0.1", masterPort: 7000, offset: int64(300 - 100*i)})
	}
	s := &scenario{t: t, log: newFakeLog(st, "n1", "n2", "n3"), r: r,
		cfg: Config{MyID: "n1", FenceMinReplicas: -1, DemoteDelay: time.Hour}}
	s.e = New(s.cfg, s.log, s.r)
	return s
}

// step runs one evaluation without the resend rate limits in between
// (they are wall-clock; the scenarios decide when a tick happens).
func (s *scenario) step() {
	s.e.step(context.Background())
	s.e.mu.Lock()
	s.e.acted = map[string]time.Time{}
	s.e.mu.Unlock()
}

// waitFor waits (bounded polling, internal/wait) for cond while the engine
// runs on its own (runEngine).
func (s *scenario) waitFor(what string, cond func() bool) {
	s.t.Helper()
	if err := wait.Until(context.Background(), 5*time.Second, what, cond); err != nil {
		s.t.Fatalf("%v; committed %v; sent %v", err, s.log.ops(), s.r.calls)
	}
}

// runEngine runs e.Run until stop is called or the test ends.
func runEngine(t *testing.T, e *Engine) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// until steps until cond holds, at most n times.
func (s *scenario) until(what string, n int, cond func() bool) {
	s.t.Helper()
	for i := 0; i < n; i++ {
		if cond() {
			return
		}
		s.step()
	}
	if !cond() {
		s.t.Fatalf("%s: not after %d steps; committed %v; sent %v", what, n, s.log.ops(), s.r.calls)
	}
}

func (s *scenario) failover() *model.Failover { return s.log.master(scMaster).Failover }

// startedOnly is started with the promotion held back
// (Engine.holdPromotion): the failover is committed, nothing is sent yet.
func (s *scenario) startedOnly() {
	s.t.Helper()
	s.e.holdPromotion = true
	s.started()
	s.e.holdPromotion = false
}

// started steps until the failover of epoch 1 is committed.
func (s *scenario) started() {
	s.t.Helper()
	s.until("failover started", 5, func() bool { return s.failover() != nil })
	if f := s.failover(); f.Epoch != 1 || f.Candidate != scAddr(scR1) {
		s.t.Fatalf("failover %+v, want epoch 1 promoting %s", f, scR1)
	}
}

func (s *scenario) committed(op model.Op) int {
	n := 0
	for _, o := range s.log.ops() {
		if o == op {
			n++
		}
	}
	return n
}

// The whole failover: ODOWN, start, promotion, switch, each replica
// re-pointed one at a time (parallel-syncs 1), end.
func TestEngineFailoverRunsToTheEnd(t *testing.T) {
	s := newScenario(t)
	s.started()
	s.until("failover ended", 20, func() bool { return s.committed(model.OpFailoverEnd) == 1 })
	m := s.log.master(scMaster)
	if m.Addr != scAddr(scR1) || m.ConfigEpoch != 1 {
		t.Fatalf("master %s epoch %d, want %s epoch 1", m.Addr, m.ConfigEpoch, scR1)
	}
	want := []model.Op{model.OpODown, model.OpFailoverStart, model.OpFailoverState, model.OpSwitchMaster}
	if got := s.log.ops(); !slices.Equal(got[:4], want) {
		t.Fatalf("committed %v, want it to begin with %v", got, want)
	}
	for _, a := range []string{scR2, scR3} {
		if got := s.r.sentTo(a); !slices.Equal(got, []string{"SLAVEOF 127.0.0.1 7001"}) {
			t.Errorf("%s was sent %v", a, got)
		}
	}
	if s.r.promotions() != 1 {
		t.Fatalf("%d promotions", s.r.promotions())
	}
	// parallel-syncs 1: the second replica is sent SLAVEOF only after the
	// first is done.
	var order []string
	for _, c := range s.log.applied {
		if c, ok := c.(*model.Reconf); ok {
			order = append(order, c.Addr.String()+" "+c.Phase)
		}
	}
	wantOrder := []string{scR2 + " sent", scR2 + " inprog", scR2 + " done", scR3 + " sent", scR3 + " inprog", scR3 + " done"}
	if !slices.Equal(order, wantOrder) {
		t.Fatalf("reconf %v, want %v", order, wantOrder)
	}
}

// A leader that loses leadership in the middle of a failover stops touching
// Redis: it never sends SLAVEOF NO ONE (nor re-points a replica) once
// deposed, whether it learns it before a step (IsLeader false, a new term)
// or only when it checks right before the action (VerifyLeader fails, or
// the term moves between the decision and the action).
func TestEngineDeposedLeaderStopsTouchingRedis(t *testing.T) {
	depose := map[string]func(l *fakeLog){
		"not leader":    func(l *fakeLog) { l.leader = false },
		"verify fails":  func(l *fakeLog) { l.verifyErr = model.ErrNotLeader },
		"term moved":    func(l *fakeLog) { l.term++ },
		"term and lost": func(l *fakeLog) { l.term++; l.verifyErr = model.ErrNotLeader },
	}
	for name, fn := range depose {
		for _, when := range []string{"between steps", "after the decision"} {
			t.Run(name+"/"+when+"/before promotion", func(t *testing.T) {
				s := newScenario(t)
				s.startedOnly()
				if when == "between steps" {
					s.log.do(fn)
				} else {
					s.r.before = func(kind, addr string) {
						if kind == "fastinfo" {
							s.log.do(fn) // the engine has read the state; it acts next
						}
					}
				}
				s.step()
				if name != "term moved" || when != "between steps" {
					s.step() // a moved term alone: the next step re-reads the log and may lead
				}
				if n := s.r.ncalls(); n != 0 {
					t.Fatalf("a deposed leader sent %v", s.r.calls)
				}
				if f := s.failover(); f.State != model.StateSendSlaveofNoOne {
					t.Fatalf("a deposed leader moved the failover: %+v", f)
				}
			})
			t.Run(name+"/"+when+"/re-pointing replicas", func(t *testing.T) {
				s := newScenario(t)
				s.started()
				s.until("switched", 5, func() bool { return s.failover().Switched })
				before := s.r.ncalls()
				if when == "between steps" {
					s.log.do(fn)
				} else {
					s.r.before = func(kind, addr string) {
						if kind == "view" {
							s.log.do(fn) // the engine reads its views, then acts
						}
					}
				}
				s.step()
				if got := s.r.ncalls(); got != before {
					t.Fatalf("a deposed leader sent %v", s.r.calls[before:])
				}
			})
		}
	}
}

// A leader re-elected in a new term re-reads the log and resumes the same
// failover: the same candidate, the same epoch, never a second one.
func TestEngineResumesAfterTermChange(t *testing.T) {
	s := newScenario(t)
	s.startedOnly()
	s.log.do(func(l *fakeLog) { l.term = 5 })
	s.step() // stands by: the term it led in is over
	if s.r.ncalls() != 0 {
		t.Fatalf("sent in the step that noticed the new term: %v", s.r.calls)
	}
	s.until("switched", 5, func() bool { return s.failover().Switched })
	if f := s.failover(); f.Epoch != 1 || s.committed(model.OpFailoverStart) != 1 || s.r.promotions() != 1 {
		t.Fatalf("epoch %d, %d starts, %d promotions", f.Epoch, s.committed(model.OpFailoverStart), s.r.promotions())
	}
	if got := s.r.sentTo(scR1); got[0] != "SLAVEOF NO ONE" {
		t.Fatalf("sent to the candidate: %v", got)
	}
}

// The candidate never reports role:master: the promotion is re-sent to it
// (only to it) until failover-timeout, then the failover is aborted
// (-failover-abort-slave-timeout), and the next attempt waits for twice
// failover-timeout after the previous start, as in Sentinel.
func TestEngineFailoverTimeoutAbortsAndRetriesLater(t *testing.T) {
	s := newScenario(t)
	s.r.set(scR1, func(in *fakeInstance) { in.ignoreSlaveOf = true })
	s.startedOnly()
	for i := 0; i < 3; i++ {
		s.step()
	}
	if f := s.failover(); f == nil || f.Switched || f.State != model.StateWaitPromotion {
		t.Fatalf("failover %+v, want waiting for the promotion", f)
	}
	if got := s.r.sentTo(scR1); len(got) != 3 || s.r.promotions() != 3 {
		t.Fatalf("promotions %v (%d in all), want 3 to the candidate only", got, s.r.promotions())
	}
	s.log.age(scMaster, scTO-time.Second)
	s.step()
	if s.failover() == nil {
		t.Fatal("aborted before failover-timeout")
	}
	s.log.age(scMaster, 2*time.Second)
	s.step()
	m := s.log.master(scMaster)
	if m.Failover != nil || m.LastAbort != "slave-timeout" {
		t.Fatalf("after failover-timeout: failover %+v, last abort %q", m.Failover, m.LastAbort)
	}
	promoted := s.r.promotions()
	for i := 0; i < 3; i++ {
		s.step()
	}
	if n := s.committed(model.OpFailoverStart); n != 1 || s.r.promotions() != promoted {
		t.Fatalf("a new attempt before 2 x failover-timeout: %d starts", n)
	}
	s.log.age(scMaster, scTO+time.Second) // 2 x failover-timeout since the start
	s.until("second attempt", 3, func() bool { return s.committed(model.OpFailoverStart) == 2 })
	if f := s.failover(); f == nil || f.Epoch != 2 {
		t.Fatalf("second attempt %+v, want epoch 2", f)
	}
}

// Between a failover's start and its promotion the candidate's INFO is not
// asked again: before the promotion is recorded the next action is the
// promotion whatever the candidate says (Next), and with 1000 masters that
// round trip, queued behind others, delayed every promotion. Right after
// the promotion a fresh INFO saying master confirms it, and the switch is
// recorded in one batch with the promotion's record, after it.
func TestEngineNoCandidateInfoBeforeThePromotion(t *testing.T) {
	s := newScenario(t)
	s.startedOnly()
	var mu sync.Mutex
	var seen []string
	s.r.before = func(kind, addr string) {
		if addr == scR1 && kind != "view" {
			mu.Lock()
			seen = append(seen, kind)
			mu.Unlock()
		}
	}
	s.until("switched", 3, func() bool { return s.failover() == nil || s.failover().Switched })
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != "transaction" || seen[1] != "info" {
		t.Fatalf("calls on the candidate from the start to the switch: %v, want the promotion, then a fresh INFO", seen)
	}
	var last []model.Op
	for _, b := range s.log.batches {
		last = last[:0]
		for _, e := range b {
			last = append(last, e.Op())
		}
		if slices.Contains(last, model.OpSwitchMaster) {
			break
		}
	}
	if want := []model.Op{model.OpFailoverState, model.OpSwitchMaster}; !slices.Equal(last, want) {
		t.Fatalf("the switch was committed in a batch of %v, want %v", last, want)
	}
}

// The candidate is chosen from the replicas' views taken since the quorum
// said "down" (the witness's sampling): only a replica without such a view
// is asked for INFO before the start.
func TestEngineSelectionAsksOnlyReplicasWithoutAFreshView(t *testing.T) {
	s := newScenario(t)
	s.r.set(scR2, func(in *fakeInstance) { in.infoAt = time.Now().Add(-time.Hour) })
	var mu sync.Mutex
	asked := map[string]int{}
	s.r.before = func(kind, addr string) {
		if kind == "info" {
			mu.Lock()
			asked[addr]++
			mu.Unlock()
		}
	}
	s.startedOnly()
	mu.Lock()
	defer mu.Unlock()
	if want := map[string]int{scR2: 1}; !maps.Equal(asked, want) {
		t.Fatalf("INFO asked before the start: %v, want %v", asked, want)
	}
}

// Once ODOWN is committed the witness samples every suspectPeriod, not
// witnessPeriod: the evaluation that starts the failover uses the sampling
// that confirmed ODOWN (taken after the quorum formed) instead of asking
// every replica again on the failover's path.
//
// A start normally rides in the ODOWN's own batch
// (TestEngineODownAndStartCommitTogether); here TILT holds it back until
// the ODOWN is committed, the path of a start that could not go with it.
func TestEngineStartUsesTheSamplingThatConfirmedODown(t *testing.T) {
	s := newScenario(t)
	s.cfg.ReplicaWitness = true
	var tilted atomic.Bool
	tilted.Store(true)
	s.cfg.TiltHolds = func(string) bool { return tilted.Load() }
	s.e = New(s.cfg, s.log, s.r)
	s.until("ODOWN committed", 3, func() bool { return s.log.master(scMaster).ODown })
	if s.failover() != nil {
		t.Fatal("started under TILT")
	}
	tilted.Store(false)
	s.e.holdPromotion = true // the INFOs counted are those before the start
	// The ODOWN commit took a while: the sampling is 100 ms old, and
	// still after the quorum formed.
	now := time.Now()
	s.e.mu.Lock()
	s.e.quorumAt[scMaster], s.e.sampled[scMaster] = now.Add(-200*time.Millisecond), now.Add(-100*time.Millisecond)
	s.e.mu.Unlock()
	var mu sync.Mutex
	asked := 0
	s.r.before = func(kind, addr string) {
		if kind == "info" {
			mu.Lock()
			asked++
			mu.Unlock()
		}
	}
	s.step()
	if s.failover() == nil {
		t.Fatalf("no start in the evaluation after the ODOWN commit; committed %v", s.log.ops())
	}
	mu.Lock()
	defer mu.Unlock()
	if asked != 0 {
		t.Fatalf("%d INFO asked between the ODOWN commit and the start, want 0", asked)
	}
}

// The evaluation that finds a master ODOWN commits the ODOWN and the
// failover's start in one batch, ODOWN first (one Raft round trip fewer
// on the failover's path); when the master may not start yet (here the 2x
// failover-timeout rule) the ODOWN is committed alone.
func TestEngineODownAndStartCommitTogether(t *testing.T) {
	s := newScenario(t)
	s.e.holdPromotion = true
	s.step()
	want := []model.Op{model.OpODown, model.OpFailoverStart}
	if len(s.log.batches) != 1 || !slices.Equal(opsOf(s.log.batches[0]), want) {
		t.Fatalf("committed in batches %v, want one batch of %v", batchOps(s.log.batches), want)
	}
	if m := s.log.master(scMaster); !m.ODown || m.Failover == nil {
		t.Fatalf("after the batch: ODOWN %v, failover %+v", m.ODown, m.Failover)
	}

	s = newScenario(t)
	s.log.do(func(l *fakeLog) { l.st.Masters[scMaster].LastFailoverStartMs = time.Now().UnixMilli() })
	s.step()
	if got := s.log.ops(); len(s.log.batches) != 0 || !slices.Equal(got, []model.Op{model.OpODown}) {
		t.Fatalf("a master that may not start yet: committed %v (batches %v), want the ODOWN alone", got, batchOps(s.log.batches))
	}
}

func opsOf(b []model.Entry) []model.Op {
	var ops []model.Op
	for _, e := range b {
		ops = append(ops, e.Op())
	}
	return ops
}

func batchOps(bs [][]model.Entry) [][]model.Op {
	var out [][]model.Op
	for _, b := range bs {
		out = append(out, opsOf(b))
	}
	return out
}

// A tick's copy of a master can be older than the end of the master's
// previous evaluation (copied while that evaluation was committing the
// start, queued once it ended). The master is read again before it is
// evaluated: from the old copy the engine would start the running
// failover again.
func TestEngineStaleCopyIsReadAgain(t *testing.T) {
	s := newScenario(t)
	oldVer := s.log.StateVersion()
	old := s.log.master(scMaster)
	s.step()
	if s.failover() == nil {
		t.Fatalf("no start; committed %v", s.log.ops())
	}
	s.e.copiesAt = oldVer // what a tick that copied the master before the start would pass on
	r := s.e.dispatch(context.Background(), []*model.Master{old}, map[string]bool{"n1": true, "n2": true, "n3": true}, true)
	r.wg.Wait()
	if n := s.committed(model.OpFailoverStart); n != 1 || len(s.log.refused) != 0 {
		t.Fatalf("after an evaluation of the copy from before the start: %d starts committed, refused %v", n, s.log.refused)
	}
}

// The evaluation that starts an automatic failover goes on to its
// promotion (driveStarted): one step commits the ODOWN and the start,
// promotes the candidate, and records the promotion with the switch. With
// the promotion held, the next step sends it.
func TestEnginePromotesInTheStartsEvaluation(t *testing.T) {
	s := newScenario(t)
	s.step()
	want := [][]model.Op{{model.OpODown, model.OpFailoverStart}, {model.OpFailoverState, model.OpSwitchMaster}}
	if got := batchOps(s.log.batches); !reflect.DeepEqual(got, want) || s.r.promotions() != 1 {
		t.Fatalf("one step: batches %v, %d promotions; want %v and 1", got, s.r.promotions(), want)
	}

	s = newScenario(t)
	s.e.holdPromotion = true
	s.step()
	if s.failover() == nil || s.r.promotions() != 0 {
		t.Fatalf("held: failover %+v, %d promotions; want started, none", s.failover(), s.r.promotions())
	}
	s.e.holdPromotion = false
	s.step()
	if s.r.promotions() != 1 {
		t.Fatalf("%d promotions in the next step, want 1", s.r.promotions())
	}
}
