package failover

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// idleRedis is a Redis of healthy instances whose views are built once:
// reading them costs a map lookup, so a benchmark of the engine measures
// the engine and not the fake.
type idleRedis struct {
	mu    sync.RWMutex
	views map[string]view.Instance
}

func (r *idleRedis) Instance(_, addr string) (view.Instance, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.views[addr]
	return v, ok
}
func (r *idleRedis) SilentSince(_, addr string) (time.Time, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.views[addr]
	return time.Time{}, ok
}
func (r *idleRedis) RefreshInfo(_ context.Context, master, addr string) (view.Instance, error) {
	if v, ok := r.Instance(master, addr); ok {
		return v, nil
	}
	return view.Instance{}, errUnreachable
}
func (r *idleRedis) Transaction(context.Context, string, string, ...[]string) error { return nil }
func (r *idleRedis) Do(context.Context, string, string, ...string) (any, error)     { return "OK", nil }
func (r *idleRedis) SetFastInfo(string, bool)                                       {}

// idleCluster is n healthy masters with two replicas each, watched by
// three voters none of which sees any of them down: the engine's idle tick.
func idleCluster(n int) (*fakeLog, *idleRedis) {
	st := model.NewState()
	r := &idleRedis{views: map[string]view.Instance{}}
	now := time.Now()
	for i := range n {
		name := fmt.Sprintf("master-%03d", i)
		port := 10000 + 3*i
		m := &model.Master{Name: name, Addr: model.Addr{Host: "127.0.0.1", Port: port}, Settings: model.DefaultSettings(2),
			Observations: map[string]model.Observation{"n1": {}, "n2": {}, "n3": {}}}
		r.views[m.Addr.String()] = view.Instance{Addr: m.Addr.String(), Connected: true, LastOKPing: now, Role: "master",
			InfoRefresh: now, RunID: fmt.Sprintf("%040d", port), InfoText: "# Replication\r\nrole:master\r\n"}
		for j := 1; j <= 2; j++ {
			a := model.Addr{Host: "127.0.0.1", Port: port + j}
			m.Replicas = append(m.Replicas, a)
			r.views[a.String()] = view.Instance{Addr: a.String(), Connected: true, LastOKPing: now, Role: "slave",
				InfoRefresh: now, RunID: fmt.Sprintf("%040d", a.Port), MasterHost: "127.0.0.1", MasterPort: port,
				MasterLinkUp: true, MasterLastIOSec: 0, SlavePriority: 100}
		}
		st.Masters[name] = m
	}
	return newFakeLog(st, "n1", "n2", "n3"), r
}

// BenchmarkEngineIdleStep is one idle evaluation of 100 healthy masters by
// the leader (issue 16: idle CPU), with the default settings (replica
// witness on, no fence).
func BenchmarkEngineIdleStep(b *testing.B) {
	l, r := idleCluster(100)
	e := New(Config{MyID: "n1", ReplicaWitness: true, FenceMinReplicas: -1}, l, r)
	ctx := context.Background()
	if e.step(ctx) {
		b.Fatal("idle masters reported busy")
	}
	if n := len(l.applied); n != 0 {
		b.Fatalf("idle step proposed %d entries", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.step(ctx)
	}
}

// An idle tick reuses the copies of the masters while the state version
// stays, and reads the state again as soon as it moves: a change committed
// between two ticks (here a quorum calling a master down) is acted on by
// the next tick, not hidden behind the previous tick's copies.
func TestEngineIdleCopiesFollowTheState(t *testing.T) {
	l, r := idleCluster(3)
	e := New(Config{MyID: "n1", FenceMinReplicas: -1}, l, r) // no witness: a quorum is ODOWN at once
	e.holdPromotion = true                                   // the tick that commits the ODOWN is the subject
	ctx := context.Background()
	e.step(ctx)
	first := e.copied
	e.step(ctx)
	if len(first) != 3 || e.copied[0] != first[0] {
		t.Fatal("an idle tick with the state unchanged copied the masters again")
	}
	// The copies are never modified by evaluation: they still equal the
	// state they were read at, which did not move.
	e.step(ctx)
	l.Read(func(s *model.State) {
		for _, c := range e.copied {
			if !reflect.DeepEqual(c, s.Masters[c.Name]) {
				t.Errorf("copy of %s differs from the state: %+v vs %+v", c.Name, c, s.Masters[c.Name])
			}
		}
	})
	l.do(func(l *fakeLog) {
		l.st.Masters["master-001"].Observations = map[string]model.Observation{"n1": {Down: true}, "n2": {Down: true}, "n3": {}}
	})
	e.step(ctx)
	if got := l.ops(); !slices.Equal(got, []model.Op{model.OpODown, model.OpFailoverStart}) {
		t.Fatalf("after a quorum said down between two ticks, the next tick committed %v, want %s and %s", got, model.OpODown, model.OpFailoverStart)
	}
	if m := l.master("master-001"); !m.ODown || m.Failover == nil {
		t.Fatal("master-001 not ODOWN and failing over")
	}
}

// One worker evaluates the queued masters and starts no helper while the
// queue drains quickly (evaluateAlone); a master waiting on a round trip
// brings the helpers in (TestEngineSlowMasterHoldsNoOther).
func TestEngineQuickTickStartsNoHelpers(t *testing.T) {
	l, r := idleCluster(100)
	e := New(Config{MyID: "n1", FenceMinReplicas: -1}, l, r) // no witness: a quorum is ODOWN at once
	e.alone = time.Hour                                      // quick, however loaded the machine
	e.holdPromotion = true                                   // no promotion round trip in the tick
	l.do(func(l *fakeLog) {
		l.st.Masters["master-077"].Observations = map[string]model.Observation{"n1": {Down: true}, "n2": {Down: true}, "n3": {}}
	})
	e.step(context.Background())
	if got := l.ops(); !slices.Equal(got, []model.Op{model.OpODown, model.OpFailoverStart}) {
		t.Fatalf("the tick committed %v, want %s and %s", got, model.OpODown, model.OpFailoverStart)
	}
	if n := e.helpers.Load(); n != 0 {
		t.Fatalf("a quick tick started %d helpers", n)
	}
}

// countingRedis counts the view reads of each address.
type countingRedis struct {
	*idleRedis
	mu    sync.Mutex
	reads map[string]int
}

func (r *countingRedis) Instance(master, addr string) (view.Instance, bool) {
	r.mu.Lock()
	r.reads[addr]++
	r.mu.Unlock()
	return r.idleRedis.Instance(master, addr)
}

// While a master keeps the ticks at BusyTick, the other masters' corrections
// (which read every replica's view) run only on the ticks of the IdleTick
// cadence: here IdleTick never comes again after the first tick, so an
// idle master's replicas are read once however many busy ticks pass.
func TestEngineBusyTicksSkipTheCorrections(t *testing.T) {
	l, ir := idleCluster(3)
	r := &countingRedis{idleRedis: ir, reads: map[string]int{}}
	l.do(func(l *fakeLog) { // one voter sees master-000 down: suspected, busy
		l.st.Masters["master-000"].Observations["n1"] = model.Observation{Down: true}
	})
	e := New(Config{MyID: "n1", FenceMinReplicas: -1, IdleTick: time.Hour, BusyTick: time.Millisecond}, l, r)
	runEngine(t, e)
	e.Wake()
	ticks := func() int { l.mu.Lock(); defer l.mu.Unlock(); return l.members }
	redistest.WaitFor(t, 10*time.Second, "20 ticks at a 1 ms BusyTick", func() bool { return ticks() >= 20 })
	idle := l.master("master-001")
	reads := func() int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.reads[idle.Replicas[0].String()]
	}
	if n := reads(); n != 1 {
		t.Errorf("a replica of an idle master read %d times in %d ticks, want once (the first, full, tick)", n, ticks())
	}
	// An INFO saying a replica is a master (an old master back) brings the
	// corrections in at once.
	e.WakeCorrections()
	redistest.WaitFor(t, 10*time.Second, "corrections after WakeCorrections", func() bool { return reads() >= 2 })
}
