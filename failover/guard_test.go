//go:build e2e

package failover

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

func addrOf(s *redistest.Server) model.Addr { return model.Addr{Host: s.Host, Port: s.Port} }
func role(t *testing.T, s *redistest.Server) string {
	t.Helper()
	info, err := s.Info("replication")
	if err != nil {
		t.Fatal(err)
	}
	return info["role"]
}

// guardEnv: a master and a replica, monitored, and a state in which a
// failover of epoch 5 must promote the replica (optionally a forced one,
// which pauses the old master first).
func guardEnv(t *testing.T, forced bool) (*Engine, *fakeLog, *redistest.Set) {
	t.Helper()
	set := redistest.StartSet(t, 1)
	m, r := addrOf(set.Master), addrOf(set.Replicas[0])
	st := model.NewState()
	st.CurrentEpoch = 5
	st.Masters["mymaster"] = &model.Master{
		Name: "mymaster", Addr: m, Settings: model.DefaultSettings(1), ConfigEpoch: 4, Replicas: []model.Addr{r},
		Failover: &model.Failover{Epoch: 5, State: model.StateSendSlaveofNoOne, Forced: forced,
			OldMaster: m, Candidate: r, StartMs: time.Now().UnixMilli(), StateChangeMs: time.Now().UnixMilli()},
	}
	cl := newFakeLog(st)
	cl.term = 7
	mon := monitor.New(monitor.Config{MyID: "0123456789abcdef0123456789abcdef01234567"}, nil, zap.NewNop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = mon.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	mon.SetTargets([]view.Target{
		{Master: "mymaster", Addr: m.String(), IsMaster: true, DownAfter: 5 * time.Second},
		{Master: "mymaster", Addr: r.String(), DownAfter: 5 * time.Second},
	})
	redistest.WaitFor(t, 10*time.Second, "both instances connected", func() bool {
		a, okA := mon.Instance("mymaster", m.String())
		b, okB := mon.Instance("mymaster", r.String())
		return okA && okB && a.Connected && b.Connected && a.RunID != "" && b.RunID != ""
	})
	e := New(Config{MyID: "0123456789abcdef0123456789abcdef01234567", PauseTimeout: 3 * time.Second}, cl, mon)
	return e, cl, set
}

// A deposed leader (VerifyLeader fails) neither pauses the old master nor
// promotes the candidate; confirmed again, the same engine does both.
func TestDeposedLeaderNeverTouchesRedis(t *testing.T) {
	e, cl, set := guardEnv(t, true)
	cl.do(func(c *fakeLog) { c.verifyErr = model.ErrNotLeader })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		e.step(ctx)
		e.mu.Lock()
		e.acted = map[string]time.Time{} // no rate limit between the tries
		e.mu.Unlock()
	}
	if got := role(t, set.Replicas[0]); got != "slave" {
		t.Fatalf("a deposed leader promoted the candidate: role %s", got)
	}
	// Not paused: a write on the old master is answered at once.
	if !writeAnswered(t, set.Master) {
		t.Fatal("a deposed leader paused the old master's writes")
	}
	if p := cl.ops(); len(p) != 0 {
		t.Fatalf("proposals after skipped actions: %v", p)
	}

	cl.do(func(c *fakeLog) { c.verifyErr = nil })
	redistest.WaitFor(t, 10*time.Second, "the confirmed leader promotes", func() bool {
		e.step(ctx)
		return role(t, set.Replicas[0]) == "master"
	})
}

// The checks themselves: leadership, the term leading began in, and the
// epoch fence (address, config epoch, failover epoch).
func TestGuardChecks(t *testing.T) {
	e, cl, _ := guardEnv(t, false)
	var m *model.Master
	cl.Read(func(s *model.State) { m = s.Masters["mymaster"].Clone() })
	b := basisOf(m)
	if err := e.check(b); !errors.Is(err, model.ErrNotLeader) {
		t.Fatalf("before the engine leads: %v", err)
	}
	e.step(context.Background()) // leads in term 7 (and promotes, records it and may switch)
	// back to the state b was read from: the checks below change one thing each
	cl.do(func(c *fakeLog) { c.st.Masters["mymaster"] = m.Clone() })
	if err := e.check(b); err != nil {
		t.Fatalf("leading, same state: %v", err)
	}
	for name, change := range map[string]func(c *fakeLog){
		"verify fails":   func(c *fakeLog) { c.verifyErr = errors.New("leadership lost") },
		"new term":       func(c *fakeLog) { c.term = 8 },
		"failover ended": func(c *fakeLog) { c.st.Masters["mymaster"].Failover = nil },
		"newer failover": func(c *fakeLog) { c.st.Masters["mymaster"].Failover.Epoch = 6 },
		"switched":       func(c *fakeLog) { c.st.Masters["mymaster"].Addr = b.addr; c.st.Masters["mymaster"].ConfigEpoch = 5 },
		"master moved":   func(c *fakeLog) { c.st.Masters["mymaster"].Addr = model.Addr{Host: "127.0.0.1", Port: 1} },
		"master removed": func(c *fakeLog) { delete(c.st.Masters, "mymaster") },
	} {
		saved := m.Clone()
		cl.do(change)
		if err := e.check(b); err == nil {
			t.Errorf("%s: the action would go ahead", name)
		}
		cl.do(func(c *fakeLog) { c.verifyErr, c.term, c.st.Masters["mymaster"] = nil, 7, saved })
	}
}

// A leader that takes over a coordinated failover lifts the pause a
// previous leader of the same failover set on the old master (it is not in
// the log): the old master's writes are answered at once, not when the
// pause ends by itself.
func TestNewLeaderLiftsPredecessorsPause(t *testing.T) {
	e, cl, set := guardEnv(t, true)
	ctx := context.Background()
	// this engine leads, but touches no instance yet
	cl.do(func(c *fakeLog) { c.verifyErr = model.ErrNotLeader })
	e.step(ctx)
	cl.do(func(c *fakeLog) { c.verifyErr = nil })
	// the predecessor's pause
	if _, err := set.Master.Do("CLIENT", "PAUSE", "3000", "WRITE"); err != nil {
		t.Fatal(err)
	}
	var m *model.Master
	cl.Read(func(s *model.State) { m = s.Masters["mymaster"].Clone() })
	e.unpause(ctx, basisOf(m), m.Failover)
	if !writeAnswered(t, set.Master) {
		t.Fatal("the old master's writes stayed paused")
	}
}

// writeAnswered reports whether a write on r is answered within 2 s (the
// tests' pauses last 3 s).
func writeAnswered(t *testing.T, r *redistest.Server) bool {
	t.Helper()
	errc := make(chan error, 1)
	go func() { _, err := r.Do("SET", "k", "v"); errc <- err }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
		return true
	case <-time.After(2 * time.Second):
		return false
	}
}
