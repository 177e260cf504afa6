//go:build e2e

package monitor

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

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
	// The stall is measured from the detecting evaluation's clock reading,
	// which can be taken just before injectStall runs (CI saw 2.999995949s).
	if !evs[0].On || evs[0].Stall < 3*time.Second-500*time.Millisecond || evs[1].On {
		t.Fatalf("events %+v, want +tilt (stall >= 2.5s) then -tilt", evs)
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
