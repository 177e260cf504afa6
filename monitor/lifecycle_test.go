//go:build e2e

package monitor

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// Links stop when their target is removed and everything stops when Run's
// context ends: the goroutine count returns to where it was.
func TestNoGoroutineLeak(t *testing.T) {
	set := redistest.StartSet(t, 2)
	peerAddr := redistest.Start(t).Addr()
	base := runtime.NumGoroutine()
	m := New(Config{MyID: testID}, nil, nil)
	ts := setTargets(set, "a", time.Second)
	m.SetTargets(append(ts, setTargets(set, "b", time.Second)...)) // two names, one address each: separate links
	m.SetPeers([]view.PeerTarget{{ID: "p1", Addr: peerAddr}, {ID: testID, Addr: "127.0.0.1:1"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for _, tg := range ts {
		waitHealthy(t, m, "a", tg.Addr)
		waitHealthy(t, m, "b", tg.Addr)
	}
	if _, ok := m.Peer(testID); ok {
		t.Fatal("own id probed as a peer")
	}
	full := runtime.NumGoroutine()
	t.Logf("goroutines: %d before, %d with 6 instances and 1 peer", base, full)
	// Per instance, without the pinger, a probe goroutine (INFO has one
	// scheduler for all); per peer, a probe goroutine without the pinger;
	// Run, TILT, INFO scheduler; slack.
	perInst, fixed := 1, 1+1+1+2
	if m.pinger != nil {
		perInst = 0
	}
	if full-base > 6*perInst+fixed {
		t.Fatalf("%d goroutines for 6 instances and a peer", full-base)
	}
	m.mu.Lock()
	var gone []*instance
	for k, in := range m.insts {
		if k.master == "b" {
			gone = append(gone, in)
		}
	}
	m.mu.Unlock()
	m.SetTargets(ts) // drop master name "b"
	redistest.WaitFor(t, 3*time.Second, "links of b stopped", func() bool {
		m.info.mu.Lock()
		defer m.info.mu.Unlock()
		for _, in := range gone {
			if !in.info.stopped || in.info.idx >= 0 || in.info.busy {
				return false
			}
		}
		return runtime.NumGoroutine() <= full-3*perInst
	})
	if _, ok := m.Instance("b", ts[0].Addr); ok {
		t.Fatal("removed instance still visible")
	}
	if err := m.Run(ctx); err == nil {
		t.Fatal("second Run accepted")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return")
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines not back to base:\n%s", buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := m.Do(context.Background(), "a", ts[0].Addr, "PING"); err != ErrStopped {
		t.Fatalf("Do after Run: %v", err)
	}
}

// SetFastInfo switches INFO to FastInfoPeriod and back.
func TestFastInfo(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rec := newRecorder()
	m := New(Config{MyID: testID, InfoPeriod: 5 * time.Second, FastInfoPeriod: 100 * time.Millisecond}, rec, nil)
	m.SetTargets([]view.Target{{Master: "m", Addr: srv.Addr(), IsMaster: true, DownAfter: time.Second}})
	run(t, m)
	k := instKey{"m", srv.Addr()}
	waitHealthy(t, m, "m", srv.Addr())
	n0 := rec.infoCount(k)
	m.SetFastInfo("m", true)
	redistest.WaitFor(t, 2*time.Second, "fast INFO", func() bool { return rec.infoCount(k) >= n0+5 })
	m.SetFastInfo("m", false)
	time.Sleep(150 * time.Millisecond) // an INFO may be in flight (not an assertion)
	n1 := rec.infoCount(k)
	time.Sleep(time.Second)
	if n := rec.infoCount(k); n > n1+1 {
		t.Fatalf("%d INFOs in 1 s after fast mode was switched off", n-n1)
	}
}

// Peers are probed with PING; a peer answering -NOAUTH counts as replying
// but not as a valid reply, until its password is set.
func TestPeers(t *testing.T) {
	t.Parallel()
	open := redistest.Start(t).Addr()
	locked := startRaw(t, "PING", "requirepass secret")
	m := New(Config{MyID: testID}, nil, nil)
	m.SetPeers([]view.PeerTarget{{ID: "open", Addr: open}, {ID: "locked", Addr: locked}, {ID: "gone", Addr: "127.0.0.1:1"}})
	run(t, m)
	redistest.WaitFor(t, 3*time.Second, "peer views", func() bool {
		o, _ := m.Peer("open")
		l, _ := m.Peer("locked")
		return o.Connected && !o.LastOKPing.IsZero() && o.PingPendingSince.IsZero() &&
			l.Connected && !l.LastPingReply.IsZero() && l.LastOKPing.IsZero() && !l.PingPendingSince.IsZero()
	})
	if g, ok := m.Peer("gone"); !ok || g.Connected || !g.LastOKPing.IsZero() || g.ID != "gone" || g.Addr != "127.0.0.1:1" {
		t.Fatalf("unreachable peer view %+v", g)
	}
	m.SetPeers([]view.PeerTarget{{ID: "open", Addr: open}, {ID: "locked", Addr: locked, AuthPass: "secret"}})
	redistest.WaitFor(t, 4*time.Second, "locked peer answers after AUTH", func() bool {
		l, _ := m.Peer("locked")
		return !l.LastOKPing.IsZero() && l.PingPendingSince.IsZero()
	})
	if _, ok := m.Peer("gone"); ok {
		t.Fatal("removed peer still visible")
	}
}

// A kept target takes new settings: a replica promoted to master keeps its
// links (no reconnect), and role:slave on a master is SDOWN only after
// down-after + 20 s (checked by the pure rule; here: not at once).
func TestSetTargetsUpdate(t *testing.T) {
	t.Parallel()
	set := redistest.StartSet(t, 1)
	rec := newRecorder()
	fd := newFaultDialer()
	m := New(Config{MyID: testID, Dial: fd.Dial}, rec, nil)
	ts := setTargets(set, "m", downAfter)
	m.SetTargets(ts)
	run(t, m)
	r := set.Replicas[0].Addr()
	waitHealthy(t, m, "m", r)
	dials := fd.dialCount(r)
	ts[1].IsMaster = true
	m.SetTargets(ts)
	m.SetTargets(ts)          // idempotent
	time.Sleep(3 * downAfter) // not an assertion: room for a wrong reconnect or SDOWN
	if fd.dialCount(r) != dials {
		t.Fatalf("IsMaster change reconnected: %d -> %d dials", dials, fd.dialCount(r))
	}
	if ev := rec.transitions(instKey{"m", r}); len(ev) != 0 {
		t.Fatalf("SDOWN transitions: %+v", ev)
	}
	if _, err := m.Do(context.Background(), "m", "127.0.0.1:1", "PING"); err != ErrUnknownInstance {
		t.Fatalf("Do on an unknown instance: %v", err)
	}
}

// A replica whose master died: its INFO goes to the fast period (it reports
// its master link down), and with replica-serve-stale-data no its PING
// answers -MASTERDOWN, a valid reply: not SDOWN.
func TestReplicaOfDeadMaster(t *testing.T) {
	t.Parallel()
	set := redistest.StartSet(t, 1)
	r := set.Replicas[0]
	if _, err := r.Do("CONFIG", "SET", "replica-serve-stale-data", "no"); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	m := New(Config{MyID: testID, InfoPeriod: 5 * time.Second, FastInfoPeriod: 100 * time.Millisecond}, rec, nil)
	m.SetTargets(setTargets(set, "m", downAfter))
	run(t, m)
	k := instKey{"m", r.Addr()}
	waitHealthy(t, m, "m", r.Addr())
	set.Master.Kill()
	redistest.WaitFor(t, 3*time.Second, "replica reports its master link down", func() bool {
		v, err := m.RefreshInfo(context.Background(), "m", r.Addr())
		return err == nil && !v.MasterLinkUp && v.Role == "slave"
	})
	n0 := rec.infoCount(k)
	redistest.WaitFor(t, 2*time.Second, "fast INFO of the replica", func() bool { return rec.infoCount(k) >= n0+5 })
	if reply, err := r.Do("PING"); err == nil || !strings.HasPrefix(err.Error(), "MASTERDOWN") {
		t.Fatalf("PING on the stale replica: %q %v", reply, err)
	}
	time.Sleep(2 * downAfter) // not an assertion: room for a false SDOWN
	v, _ := m.Instance("m", r.Addr())
	// A PING may be on the wire at this instant (sent a few microseconds
	// ago); one unanswered for longer would mean MASTERDOWN is not taken
	// as a reply.
	if v.SDown || (!v.PingPendingSince.IsZero() && time.Since(v.PingPendingSince) > 100*time.Millisecond) ||
		time.Since(v.LastOKPing) > time.Second {
		t.Fatalf("replica answering MASTERDOWN: SDown=%v pending=%v lastOK=%v", v.SDown, v.PingPendingSince, v.LastOKPing)
	}
	if ev := rec.transitions(k); len(ev) != 0 {
		t.Fatalf("SDOWN transitions of the replica: %+v", ev)
	}
	rec.waitSDown(t, instKey{"m", set.Master.Addr()}, true, time.Time{}, 3*time.Second)
}
