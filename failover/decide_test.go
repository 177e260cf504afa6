package failover

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

func TestCountDownOnlyCountsCurrentVoters(t *testing.T) {
	obs := map[string]model.Observation{
		"a": {Down: true}, "b": {Down: true}, "c": {Down: false}, "gone": {Down: true},
	}
	voters := map[string]bool{"a": true, "b": true, "c": true}
	if got := CountDown(obs, voters); got != 2 {
		t.Fatalf("CountDown = %d, want 2", got)
	}
	cases := []struct {
		quorum, agreeing int
		vouched, want    bool
	}{
		{2, 2, false, true},
		{2, 3, false, true},
		{2, 1, false, false},
		{2, 2, true, false}, // a replica vouches: no ODOWN
		{0, 3, false, false},
	}
	for _, c := range cases {
		if got := ODown(c.quorum, c.agreeing, c.vouched); got != c.want {
			t.Errorf("ODown(%d,%d,%v) = %v", c.quorum, c.agreeing, c.vouched, got)
		}
	}
}

func TestVouches(t *testing.T) {
	now := time.Now()
	master := model.Addr{Host: "127.0.0.1", Port: 6379}
	live := Sample{At: now.Add(-10 * time.Millisecond), Role: "slave", MasterHost: "127.0.0.1", MasterPort: 6379, LinkUp: true, LastIOSec: 3, Offset: 200}
	prev := live
	prev.At = now.Add(-200 * time.Millisecond)
	prev.Offset = 100
	cases := []struct {
		name      string
		prev, cur Sample
		want      bool
	}{
		{"offset advanced", prev, live, true},
		{"offset still", Sample{At: prev.At, Role: "slave", MasterHost: "127.0.0.1", MasterPort: 6379, LinkUp: true, Offset: 200}, live, false},
		{"heard within a second", Sample{}, func() Sample { s := live; s.LastIOSec = 0; return s }(), true},
		{"silent replica", Sample{}, live, false},
		{"link down", prev, func() Sample { s := live; s.LinkUp = false; s.LastIOSec = 0; return s }(), false},
		{"follows another master", prev, func() Sample { s := live; s.MasterPort = 7000; return s }(), false},
		{"stale sample", prev, func() Sample { s := live; s.At = now.Add(-3 * time.Second); s.LastIOSec = 0; return s }(), false},
		{"never sampled", Sample{}, Sample{}, false},
		{"samples too close", func() Sample { s := prev; s.At = live.At.Add(-10 * time.Millisecond); return s }(), live, false},
		{"is a master", prev, func() Sample { s := live; s.Role = "master"; s.LastIOSec = 0; return s }(), false},
	}
	for _, c := range cases {
		if got := Vouches(master, c.prev, c.cur, now); got != c.want {
			t.Errorf("%s: Vouches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCanStartTwiceFailoverTimeoutRule(t *testing.T) {
	m := &model.Master{ODown: true, Settings: model.Settings{FailoverTimeoutMs: 1000}}
	if ok, _ := CanStart(m, 5000); !ok {
		t.Fatal("first failover must start")
	}
	m.LastFailoverStartMs = 4000
	if ok, next := CanStart(m, 5000); ok || next != 6000 {
		t.Fatalf("within 2x timeout: ok=%v next=%d", ok, next)
	}
	if ok, _ := CanStart(m, 6000); !ok {
		t.Fatal("after 2x timeout it must start")
	}
	m.ODown = false
	if ok, _ := CanStart(m, 9000); ok {
		t.Fatal("not ODOWN: no start")
	}
	m.ODown, m.Failover = true, &model.Failover{}
	if ok, _ := CanStart(m, 9000); ok {
		t.Fatal("running failover: no start")
	}
}

func addr(p int) model.Addr { return model.Addr{Host: "127.0.0.1", Port: p} }

func TestNextBeforeSwitch(t *testing.T) {
	m := &model.Master{Name: "m", Addr: addr(1), Settings: model.Settings{FailoverTimeoutMs: 1000, ParallelSyncs: 1},
		Replicas: []model.Addr{addr(2), addr(3)}}
	m.Failover = &model.Failover{Epoch: 1, State: model.StateSendSlaveofNoOne, Candidate: addr(2), OldMaster: addr(1), StartMs: 1000}
	slave := map[string]view.Instance{addr(2).String(): {Role: "slave"}}
	master := map[string]view.Instance{addr(2).String(): {Role: "master"}}
	cases := []struct {
		name  string
		state string
		views map[string]view.Instance
		now   int64
		want  ActionKind
	}{
		{"send promotion", model.StateSendSlaveofNoOne, slave, 1100, ActPromote},
		{"resume: candidate already master but step not recorded", model.StateSendSlaveofNoOne, master, 1100, ActPromote},
		{"wait, resend", model.StateWaitPromotion, slave, 1500, ActPromote},
		{"confirmed", model.StateWaitPromotion, master, 1500, ActSwitch},
		{"confirmed even late", model.StateWaitPromotion, master, 9000, ActSwitch},
		{"timeout", model.StateWaitPromotion, slave, 2001, ActAbort},
		{"timeout before sending", model.StateSendSlaveofNoOne, nil, 2001, ActAbort},
	}
	for _, c := range cases {
		m.Failover.State = c.state
		acts := Next(m, c.views, c.now)
		if len(acts) != 1 || acts[0].Kind != c.want {
			t.Errorf("%s: got %+v, want kind %d", c.name, acts, c.want)
		}
	}
}

func TestNextReconfRespectsParallelSyncsAndEnds(t *testing.T) {
	newM := addr(2)
	m := &model.Master{Name: "m", Addr: newM, Settings: model.Settings{FailoverTimeoutMs: 60000, ParallelSyncs: 1},
		Replicas: []model.Addr{addr(1), addr(3), addr(4), addr(5)}}
	m.Failover = &model.Failover{Epoch: 1, Switched: true, State: model.StateReconfSlaves, Candidate: newM,
		OldMaster: addr(1), StateChangeMs: 1000, Reconf: map[string]string{}, ReconfSentMs: map[string]int64{}}
	healthy := func(mp int) view.Instance {
		return view.Instance{Role: "slave", Connected: true, MasterHost: "127.0.0.1", MasterPort: mp, MasterLinkUp: true}
	}
	views := map[string]view.Instance{
		addr(3).String(): healthy(1),
		addr(4).String(): healthy(1),
		addr(5).String(): {Connected: false, SDown: true},
	}
	acts := Next(m, views, 1100)
	if len(acts) != 1 || acts[0].Kind != ActReconfSend || acts[0].Addr != addr(3) {
		t.Fatalf("parallel-syncs 1: %+v", acts)
	}
	// one in flight: nothing else is sent; it follows the new master -> inprog
	m.Failover.Reconf[addr(3).String()] = model.ReconfSent
	m.Failover.ReconfSentMs[addr(3).String()] = 1100
	views[addr(3).String()] = healthy(2)
	acts = Next(m, views, 1200)
	if len(acts) != 1 || acts[0].Kind != ActReconfPhase || acts[0].Phase != model.ReconfInprog {
		t.Fatalf("inprog: %+v", acts)
	}
	m.Failover.Reconf[addr(3).String()] = model.ReconfDone
	acts = Next(m, views, 1300)
	if len(acts) != 1 || acts[0].Kind != ActReconfSend || acts[0].Addr != addr(4) {
		t.Fatalf("next replica: %+v", acts)
	}
	// a replica that already follows the new master is simply marked done
	views[addr(4).String()] = healthy(2)
	acts = Next(m, views, 1300)
	if len(acts) != 1 || acts[0].Kind != ActReconfPhase || acts[0].Phase != model.ReconfDone {
		t.Fatalf("already following: %+v", acts)
	}
	m.Failover.Reconf[addr(4).String()] = model.ReconfDone
	// the SDOWN replica and the old master do not hold the end
	acts = Next(m, views, 1400)
	if len(acts) != 1 || acts[0].Kind != ActEnd || acts[0].Timeout {
		t.Fatalf("end: %+v", acts)
	}
}

func TestNextReconfTimeouts(t *testing.T) {
	m := &model.Master{Name: "m", Addr: addr(2), Settings: model.Settings{FailoverTimeoutMs: 60000, ParallelSyncs: 5},
		Replicas: []model.Addr{addr(3), addr(4)}}
	m.Failover = &model.Failover{Epoch: 1, Switched: true, Candidate: addr(2), OldMaster: addr(1), StateChangeMs: 0,
		Reconf: map[string]string{addr(3).String(): model.ReconfSent}, ReconfSentMs: map[string]int64{addr(3).String(): 0}}
	views := map[string]view.Instance{
		addr(3).String(): {Role: "slave", Connected: true, MasterHost: "127.0.0.1", MasterPort: 1},
		addr(4).String(): {Role: "slave", Connected: true, MasterHost: "127.0.0.1", MasterPort: 1},
	}
	acts := Next(m, views, 10001)
	var sawTimeout, sawSend bool
	for _, a := range acts {
		if a.Kind == ActReconfPhase && a.Phase == "timeout" && a.Addr == addr(3) {
			sawTimeout = true
		}
		if a.Kind == ActReconfSend && a.Addr == addr(4) {
			sawSend = true
		}
	}
	if !sawTimeout || !sawSend {
		t.Fatalf("slave reconf timeout: %+v", acts)
	}
	// failover-timeout in reconf_slaves: best effort to the rest, end for timeout
	acts = Next(m, views, 60001)
	last := acts[len(acts)-1]
	if last.Kind != ActEnd || !last.Timeout {
		t.Fatalf("end for timeout: %+v", acts)
	}
	found := false
	for _, a := range acts {
		if a.Kind == ActBestEffort && a.Addr == addr(4) {
			found = true
		}
	}
	if !found {
		t.Fatalf("best effort missing: %+v", acts)
	}
}

func TestStrayAndMisconfigured(t *testing.T) {
	m := &model.Master{Name: "m", Addr: addr(2), Replicas: []model.Addr{addr(1), addr(3), addr(4)}}
	views := map[string]view.Instance{
		addr(1).String(): {Role: "master", Connected: true},                                        // old master back
		addr(3).String(): {Role: "slave", Connected: true, MasterHost: "127.0.0.1", MasterPort: 9}, // follows someone else
		addr(4).String(): {Role: "master", Connected: false},                                       // unreachable: not yet
	}
	viewOf := func(a model.Addr) (view.Instance, bool) { v, ok := views[a.String()]; return v, ok }
	s, mc := Corrections(m, viewOf)
	if len(s) != 1 || s[0] != addr(1) {
		t.Fatalf("strays = %v", s)
	}
	if len(mc) != 1 || mc[0] != addr(3) {
		t.Fatalf("misconfigured = %v", mc)
	}
	// the candidate of a running failover is not a stray, and nothing is
	// re-pointed during a failover
	m.Failover = &model.Failover{Candidate: addr(1)}
	if s, mc := Corrections(m, viewOf); len(s) != 0 || mc != nil {
		t.Fatalf("during a failover: strays %v (the candidate is none), misconfigured %v", s, mc)
	}
	// once switched, a replica reporting role:master is a stray again
	m.Failover.Switched = true
	if s, _ := Corrections(m, viewOf); len(s) != 1 || s[0] != addr(1) {
		t.Fatalf("switched failover: strays = %v", s)
	}
}

func TestUndecided(t *testing.T) {
	now := time.Now()
	master := model.Addr{Host: "127.0.0.1", Port: 6379}
	since := now.Add(-300 * time.Millisecond)
	fresh := Sample{At: now.Add(-100 * time.Millisecond)}
	old := Sample{At: now.Add(-time.Second)}
	// one reading since the quorum: following the master, link up, quiet
	quiet := Sample{At: now.Add(-20 * time.Millisecond), Role: "slave", MasterHost: "127.0.0.1", MasterPort: 6379, LinkUp: true, LastIOSec: 1, Offset: 500}
	before := quiet
	before.At = quiet.At.Add(-200 * time.Millisecond)
	close := quiet
	close.At = quiet.At.Add(-30 * time.Millisecond)
	linkDown := quiet
	linkDown.LinkUp = false
	cases := []struct {
		name      string
		reachable bool
		prev, cur Sample
		since     time.Time
		downAfter time.Duration
		want      bool
	}{
		{"reachable, not sampled since the quorum", true, Sample{}, old, since, time.Second, true},
		{"never sampled", true, Sample{}, Sample{}, since, time.Second, true},
		{"sampled since, not following", true, Sample{}, fresh, since, time.Second, false},
		{"unreachable replica is no vote", false, Sample{}, old, since, time.Second, false},
		{"waited a whole down-after", true, Sample{}, old, now.Add(-2 * time.Second), time.Second, false},
		{"no quorum", true, Sample{}, old, time.Time{}, time.Second, false},
		{"one quiet reading: wait for a second", true, Sample{}, quiet, since, time.Second, true},
		{"second reading too close to compare", true, close, quiet, since, time.Second, true},
		{"two readings apart, offset still: decided", true, before, quiet, since, time.Second, false},
		{"link down is decided at once", true, Sample{}, linkDown, since, time.Second, false},
		{"one quiet reading, unreachable", false, Sample{}, quiet, since, time.Second, false},
		{"one quiet reading, hold over", true, Sample{}, quiet, now.Add(-2 * time.Second), time.Second, false},
	}
	for _, c := range cases {
		if got := Undecided(master, c.reachable, c.prev, c.cur, c.since, now, c.downAfter); got != c.want {
			t.Errorf("%s: Undecided = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRememberAndPair(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) Sample {
		return Sample{At: t0.Add(time.Duration(ms) * time.Millisecond), Offset: int64(ms)}
	}
	var h []Sample
	if p, c := Pair(h); !p.At.IsZero() || !c.At.IsZero() {
		t.Fatalf("empty history: %v %v", p, c)
	}
	h = Remember(h, at(0))
	h = Remember(h, at(0))    // the same reading again: kept once
	h = Remember(h, Sample{}) // no reading: ignored
	if p, c := Pair(h); len(h) != 1 || !p.At.IsZero() || c.Offset != 0 {
		t.Fatalf("one sample: len %d prev %v cur %v", len(h), p, c)
	}
	for _, ms := range []int{50, 100, 150, 200} {
		h = Remember(h, at(ms))
	}
	// newest at least witnessMinGap (100 ms) older than the latest
	if p, c := Pair(h); c.Offset != 200 || p.Offset != 100 {
		t.Fatalf("pair = %d, %d; want 100, 200", p.Offset, c.Offset)
	}
	// none far enough apart: nothing to compare with
	if p, c := Pair([]Sample{at(0), at(30), at(60)}); c.Offset != 60 || !p.At.IsZero() {
		t.Fatalf("close pair = %v, %d; want none, 60", p.At, c.Offset)
	}
	for ms := 250; ms < 250+50*2*witnessHistory; ms += 50 {
		h = Remember(h, at(ms))
	}
	if len(h) != witnessHistory || h[len(h)-1].Offset != 250+50*(2*witnessHistory-1) {
		t.Fatalf("history bounded: len %d last %v", len(h), h[len(h)-1].Offset)
	}
}

func TestSuspected(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name     string
		agreeing int
		silent   time.Time
		want     bool
	}{
		{"a node says down", 1, time.Time{}, true},
		{"silent for half a down-after", 0, now.Add(-500 * time.Millisecond), true},
		{"silent for less", 0, now.Add(-400 * time.Millisecond), false},
		{"nothing outstanding", 0, time.Time{}, false},
	}
	for _, c := range cases {
		if got := Suspected(c.agreeing, c.silent, now, time.Second); got != c.want {
			t.Errorf("%s: Suspected = %v, want %v", c.name, got, c.want)
		}
	}
}
