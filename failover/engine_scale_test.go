package failover

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

// addSlowMaster adds master "aaa-slow" (it sorts first: evaluated one
// after the other, it went first), down for a quorum, with one replica
// whose INFO is old, so that choosing a candidate asks for a new one; it
// returns that replica's address, where a test makes the INFO wait.
func (s *scenario) addSlowMaster() string {
	const slowOld, slowR = "127.0.0.1:7100", "127.0.0.1:7101"
	s.log.do(func(l *fakeLog) {
		set := model.DefaultSettings(2)
		set.FailoverTimeoutMs, set.DownAfterMs = scTO.Milliseconds(), 5000
		l.st.Masters["aaa-slow"] = &model.Master{Name: "aaa-slow", Addr: scAddr(slowOld), Settings: set,
			Replicas:     []model.Addr{scAddr(slowR)},
			Observations: map[string]model.Observation{"n1": {Down: true}, "n2": {Down: true}}}
	})
	s.r.add(slowOld, &fakeInstance{role: "master", down: true})
	s.r.add(slowR, &fakeInstance{role: "slave", masterHost: "127.0.0.1", masterPort: 7100, infoAt: time.Now().Add(-time.Hour)})
	return slowR
}

// A master whose replicas answer slowly (the candidate's INFO waiting on
// its round trip) does not hold up the other masters of the same
// evaluation: masters are evaluated side by side, so the other master's
// failover starts while the slow one's INFO is still waiting.
func TestEngineSlowMasterHoldsNoOther(t *testing.T) {
	s := newScenario(t)
	slowR := s.addSlowMaster()
	var timedOut atomic.Bool
	s.r.before = func(kind, addr string) {
		if kind != "info" || addr != slowR {
			return
		}
		// The INFO waits until the other master's failover is committed
		// (bounded: a refresh has a timeout too).
		deadline := time.Now().Add(2 * time.Second)
		for s.failover() == nil {
			if time.Now().After(deadline) {
				timedOut.Store(true)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	s.until("mymaster's failover started", 4, func() bool { return s.failover() != nil })
	if timedOut.Load() {
		t.Fatal("mymaster's failover waited for the slow master's INFO")
	}
	if s.e.helpers.Load() == 0 {
		t.Fatal("no helper joined the worker held up by the slow master")
	}
}

// Run does not wait for the slowest evaluation before the next tick: while
// one master's evaluation waits on a round trip, another master goes
// through all the steps of its failover (ODOWN, start, promotion, its
// record, switch), each step on its own next tick.
func TestEngineRunDoesNotWaitForTheSlowestMaster(t *testing.T) {
	s := newScenario(t)
	slowR := s.addSlowMaster()
	release := make(chan struct{})
	var held atomic.Bool
	s.r.before = func(kind, addr string) {
		if kind == "info" && addr == slowR && held.CompareAndSwap(false, true) {
			<-release // the slow master's evaluation waits here
		}
	}
	cfg := s.cfg
	cfg.IdleTick, cfg.BusyTick = time.Millisecond, time.Millisecond
	runEngine(t, New(cfg, s.log, s.r))
	defer close(release) // before the cleanup's stop: Run waits for the held evaluation
	s.waitFor("mymaster switched while aaa-slow's evaluation waits", func() bool {
		return held.Load() && s.failover() != nil && s.failover().Switched
	})
}

// Every applied entry wakes the engine; a burst of wake-ups makes at most
// one tick per BusyTick (each tick queues every master).
func TestEngineWakeBurstTicksOncePerBusyTick(t *testing.T) {
	s := newScenario(t)
	cfg := s.cfg
	cfg.IdleTick, cfg.BusyTick = time.Hour, time.Hour
	e := New(cfg, s.log, s.r)
	stop := runEngine(t, e)
	ticks := func() int { s.log.mu.Lock(); defer s.log.mu.Unlock(); return s.log.members }
	e.Wake()
	s.waitFor("a tick after a wake-up", func() bool { return ticks() > 0 })
	for range 200 {
		e.Wake()
		time.Sleep(100 * time.Microsecond)
	}
	stop()
	if n := ticks(); n != 1 {
		t.Fatalf("%d ticks for a burst of wake-ups within one BusyTick, want 1", n)
	}
}

// Run ends only after the evaluations it queued: a node closing its store
// and monitor behind the engine finds no evaluation still using them.
func TestEngineRunWaitsForItsEvaluations(t *testing.T) {
	s := newScenario(t)
	slowR := s.addSlowMaster()
	held, release := make(chan struct{}), make(chan struct{})
	var ended, asked atomic.Bool
	s.r.before = func(kind, addr string) {
		if kind == "info" && addr == slowR && asked.CompareAndSwap(false, true) {
			close(held)
			<-release
			ended.Store(true)
		}
	}
	e := New(s.cfg, s.log, s.r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	e.Wake()
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow master's INFO was never asked")
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while an evaluation was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-done
	if !ended.Load() {
		t.Fatal("Run returned before the evaluation ended")
	}
}

// The end of a failover hands the old master to the corrections at once:
// back and still claiming to be master, it is demoted on the next tick,
// not on the next tick of the IdleTick cadence.
func TestEngineOldMasterDemotedRightAfterTheEnd(t *testing.T) {
	s := newScenario(t)
	cfg := s.cfg
	cfg.DemoteDelay, cfg.IdleTick, cfg.BusyTick = 0, time.Hour, time.Millisecond
	e := New(cfg, s.log, s.r)
	s.log.beforeBatch = func(es []model.Entry) {
		for _, c := range es {
			if c.Op() == model.OpSwitchMaster {
				s.r.set(scOld, func(in *fakeInstance) { in.down = false }) // back, still a master
			}
		}
	}
	runEngine(t, e)
	e.Wake()
	s.waitFor("failover ended", func() bool { return s.committed(model.OpFailoverEnd) == 1 })
	s.waitFor("old master demoted", func() bool { return len(s.r.sentTo(scOld)) > 0 })
}
