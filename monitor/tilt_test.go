package monitor

import (
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// After a stall of this process, silence measured before the stall's end
// is no evidence: an instance not yet SDOWN needs down-after of silence
// after it; one already SDOWN stays SDOWN.
func TestSDownIgnoresSilenceBeforeAStall(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	const D = 500 * time.Millisecond
	tests := []struct {
		name     string
		now      time.Duration
		in       SDownInput
		down     bool
		deadline time.Time
	}{
		{"pending across a stall: counted from its end", 3000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(0), NotBefore: at(2800 * ms), DownAfter: D}, false, at(3300 * ms)},
		{"pending across a stall, down-after after its end", 3301 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(0), NotBefore: at(2800 * ms), DownAfter: D}, true, time.Time{}},
		{"already SDOWN: kept", 3000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(0), NotBefore: at(2800 * ms), DownAfter: D, Down: true}, true, time.Time{}},
		{"disconnected across a stall", 3000 * ms,
			SDownInput{LastOKPing: at(0), NotBefore: at(2900 * ms), DownAfter: D}, false, at(3400 * ms)},
		{"a stall long before the silence changes nothing", 3000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(2000 * ms), NotBefore: at(100 * ms), DownAfter: D}, true, time.Time{}},
		{"role slave across a stall", 21 * time.Second,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, Role: "slave", RoleChanged: at(0), NotBefore: at(20 * time.Second)},
			false, at(40*time.Second + D)},
	}
	for _, tc := range tests {
		now := at(tc.now)
		if down, _ := IsSDown(now, &tc.in); down != tc.down {
			t.Errorf("%s: IsSDown = %v, want %v", tc.name, down, tc.down)
		}
		if got := SDownDeadline(now, &tc.in); !tc.down && !got.Equal(tc.deadline) {
			t.Errorf("%s: SDownDeadline = %v, want %v", tc.name, got, tc.deadline)
		}
	}
}

// tiltLog records TILT transitions.
type tiltLog struct {
	mu  sync.Mutex
	evs []TiltEvent
}

func (l *tiltLog) add(e TiltEvent) { l.mu.Lock(); l.evs = append(l.evs, e); l.mu.Unlock() }
func (l *tiltLog) get() []TiltEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]TiltEvent(nil), l.evs...)
}

// injectStall makes the detector believe the process was stopped for d:
// its last tick moves d into the past.
func injectStall(m *Monitor, d time.Duration) {
	m.tilt.lastNs.Store(int64(time.Since(m.tilt.base) - d))
}

// tiltEnv runs a monitor of a set of replicas replicas (down-after d) whose
// TILT transitions are recorded, tilt-period p (0 = default).
func tiltEnv(t *testing.T, replicas int, d, p time.Duration) (*Monitor, *redistest.Set, *tiltLog) {
	set := redistest.StartSet(t, replicas)
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, nil, log)
	tl := &tiltLog{}
	m.SetTiltHook(tl.add)
	m.SetTiltTimers(0, p)
	m.SetTargets(setTargets(set, "mymaster", d))
	run(t, m)
	waitHealthy(t, m, "mymaster", set.Master.Addr())
	return m, set, tl
}

// A detected stall enters TILT and leaves it as soon as fresh probes have
// re-confirmed every instance (here: at once, the instance answers).
func TestTiltEntersAndLeavesOnReconfirmation(t *testing.T) {
	t.Parallel()
	m, set, tl := tiltEnv(t, 1, 5*time.Second, 0)
	if on, _ := m.Tilt(); on {
		t.Fatal("TILT without a stall")
	}
	injectStall(m, 3*time.Second)
	redistest.WaitFor(t, 5*time.Second, "+tilt and -tilt", func() bool { return len(tl.get()) >= 2 })
	evs := tl.get()
	if !evs[0].On || evs[0].Stall < 3*time.Second || evs[1].On {
		t.Fatalf("events %+v, want +tilt (stall >= 3s) then -tilt", evs)
	}
	if on, _ := m.Tilt(); on {
		t.Fatal("still in TILT after -tilt")
	}
	v, _ := m.Instance("mymaster", set.Master.Addr())
	if v.SDown {
		t.Fatal("the stall made a healthy master SDOWN")
	}
}

// An instance silent across the stall keeps TILT on until it is
// re-confirmed -- here never within the test -- but tilt-period bounds it.
func TestTiltPeriodBoundsTilt(t *testing.T) {
	t.Parallel()
	m, set, tl := tiltEnv(t, 0, time.Minute, 700*time.Millisecond)
	set.Master.Stop()
	t.Cleanup(set.Master.Resume)
	time.Sleep(300 * time.Millisecond) // a PING is pending now
	injectStall(m, 3*time.Second)
	redistest.WaitFor(t, 2*time.Second, "+tilt", func() bool { return len(tl.get()) >= 1 })
	on, since := m.Tilt()
	if !on || since.IsZero() {
		t.Fatalf("Tilt() = %v %v during TILT", on, since)
	}
	redistest.WaitFor(t, 5*time.Second, "-tilt by tilt-period", func() bool { return len(tl.get()) >= 2 })
	if held := time.Since(since); held < 700*time.Millisecond {
		t.Fatalf("TILT ended after %v, before tilt-period although the master was not re-confirmed", held)
	}
}

// Real silence across a stall is still detected: SDOWN comes down-after
// after the end of the stall -- not earlier (the stall is not the
// instance's silence), and not never.
func TestSilenceAcrossAStallStillDetected(t *testing.T) {
	t.Parallel()
	set := redistest.StartSet(t, 0)
	rec := newRecorder()
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, rec, log)
	const D = 2 * time.Second
	m.SetTargets(setTargets(set, "mymaster", D))
	run(t, m)
	waitHealthy(t, m, "mymaster", set.Master.Addr())
	k := instKey{"mymaster", set.Master.Addr()}

	// The instance answers again before down-after has passed since the
	// stall: no SDOWN, although it was silent for longer than down-after.
	set.Master.Stop()
	stopped := time.Now()
	time.Sleep(D / 2)
	injectStall(m, 3*time.Second)
	redistest.WaitFor(t, time.Second, "the stall seen", func() bool { return !m.tilt.lastStall().IsZero() })
	time.Sleep(time.Until(stopped.Add(D * 5 / 4)))
	set.Master.Resume()
	redistest.WaitFor(t, 5*time.Second, "answers again", func() bool {
		v, _ := m.Instance("mymaster", set.Master.Addr())
		return v.PingPendingSince.IsZero() && v.LastOKPing.After(stopped)
	})
	if tr := rec.transitions(k); len(tr) != 0 {
		t.Fatalf("SDOWN transitions %+v: silence before the stall counted", tr)
	}

	// Silent across a stall and after it: SDOWN, down-after after the stall.
	set.Master.Stop()
	t.Cleanup(set.Master.Resume)
	time.Sleep(D / 2)
	injectStall(m, 3*time.Second)
	redistest.WaitFor(t, time.Second, "a second stall seen", func() bool { return time.Since(m.tilt.lastStall()) < D/2 })
	stallEnd := m.tilt.lastStall()
	at := rec.waitSDown(t, k, true, stallEnd, 10*time.Second)
	if at.Before(stallEnd.Add(D)) {
		t.Fatalf("SDOWN %v after the stall, before down-after", at.Sub(stallEnd))
	}
	t.Logf("SDOWN %v after the end of the stall (down-after %v)", at.Sub(stallEnd).Round(time.Millisecond), D)
}

// The leader's hold is per master: one whose instances answered again is
// not held by another master's instance that stays silent.
func TestTiltHoldsPerMaster(t *testing.T) {
	t.Parallel()
	a, b := redistest.StartSet(t, 0), redistest.StartSet(t, 0)
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, nil, log)
	m.SetTargets(append(setTargets(a, "a", 5*time.Second), setTargets(b, "b", time.Minute)...))
	run(t, m)
	waitHealthy(t, m, "a", a.Master.Addr())
	waitHealthy(t, m, "b", b.Master.Addr())
	if m.TiltHolds("a") || m.TiltHolds("b") {
		t.Fatal("held without a stall")
	}
	b.Master.Stop()
	t.Cleanup(b.Master.Resume)
	time.Sleep(300 * time.Millisecond) // b's PING is pending
	injectStall(m, 3*time.Second)
	redistest.WaitFor(t, 2*time.Second, "TILT", func() bool { on, _ := m.Tilt(); return on })
	redistest.WaitFor(t, 5*time.Second, "a re-confirmed", func() bool { return !m.TiltHolds("a") })
	if !m.TiltHolds("b") {
		t.Fatal("b released although its master is silent and not SDOWN")
	}
	if on, _ := m.Tilt(); !on {
		t.Fatal("TILT over while b is not re-confirmed")
	}
}
