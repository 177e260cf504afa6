//go:build e2e

package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap/zaptest/observer"
)

const downAfter = 500 * time.Millisecond

func detectMonitor(t *testing.T, cfg Config, addr string) (*Monitor, *recorder, instKey) {
	m, rec, k, _ := detectMonitorLogs(t, cfg, addr)
	return m, rec, k
}

func detectMonitorLogs(t *testing.T, cfg Config, addr string) (*Monitor, *recorder, instKey, *observer.ObservedLogs) {
	t.Helper()
	rec := newRecorder()
	log, logs := testLogger(t)
	cfg.MyID = testID
	m := New(cfg, rec, log)
	m.SetTargets([]view.Target{{Master: "mymaster", Addr: addr, IsMaster: true, DownAfter: downAfter}})
	run(t, m)
	waitHealthy(t, m, "mymaster", addr)
	return m, rec, instKey{"mymaster", addr}, logs
}

// kill -9: SDOWN, never before down-after of silence; after a restart,
// -sdown and the new run id. (How soon after down-after the verdict comes
// is a figure of BenchmarkSDownOnKill, not an assertion.)
func TestSDownOnKill(t *testing.T) {
	srv := redistest.Start(t)
	m, rec, k, logs := detectMonitorLogs(t, Config{}, srv.Addr())
	for round := 0; round < 3; round++ {
		time.Sleep(time.Duration(round) * 37 * time.Millisecond) // vary the phase against the ping period
		before, _ := m.Instance(k.master, k.addr)
		if before.ReplID == "" {
			t.Fatalf("round %d: no master_replid in the view before the kill", round)
		}
		t0 := time.Now()
		srv.Kill()
		at := rec.waitSDown(t, k, true, t0, 3*time.Second)
		d := at.Sub(t0)
		t.Logf("round %d: kill -9 -> +sdown after %v", round, d)
		v, _ := m.Instance(k.master, k.addr)
		// A crashed instance is measured from its last valid reply (the
		// probe is disconnected), never less than down-after of silence.
		if silent := at.Sub(v.LastOKPing); silent < downAfter {
			t.Errorf("SDOWN after %v of silence, before down-after", silent)
		}
		if !v.SDown || v.SDownSince.IsZero() || v.Connected {
			t.Errorf("view while down: SDown=%v since=%v connected=%v", v.SDown, v.SDownSince, v.Connected)
		}
		// How late the verdict came after its deadline (oldest unanswered
		// PING + down-after): the scheduler's own latency.
		t.Logf("round %d: last valid reply %v before the kill; verdict %v after its deadline",
			round, t0.Sub(v.LastOKPing), v.SDownSince.Sub(v.LastOKPing.Add(downAfter)))
		t1 := time.Now()
		srv.Restart()
		at = rec.waitSDown(t, k, false, t1, 3*time.Second)
		t.Logf("round %d: restart -> -sdown after %v (restart itself included)", round, at.Sub(t1))
		waitHealthy(t, m, k.master, k.addr)
		// INFO follows the probe's recovery at once, not at the 10 s period:
		// the new run id is known right after the restart.
		redistest.WaitFor(t, time.Second, "+reboot logged", func() bool {
			return logs.FilterMessage("+reboot").Len() == round+1
		})
		t.Logf("round %d: restart -> new run id seen after %v", round, time.Since(t1))
		// the restarted master (no persistence) has a new replication id;
		// the one before is kept, whatever master-reboot-down-after-period
		// says (replica selection accepts replicas still on it)
		after, _ := m.Instance(k.master, k.addr)
		if after.ReplID == "" || after.ReplID == before.ReplID || !after.PrevReplIDs.Has(before.ReplID) {
			t.Errorf("round %d: replid %q before, %q after, kept %v", round, before.ReplID, after.ReplID, after.PrevReplIDs)
		}
	}
	for _, msg := range []string{"+sdown", "-sdown"} {
		for _, e := range logs.FilterMessage(msg).All() {
			if f := e.ContextMap(); f["master"] != "mymaster" || f["addr"] != k.addr {
				t.Errorf("%s logged with fields %v", msg, f)
			}
		}
	}
}

// SIGSTOP: SDOWN while a PING is pending; the probe redials meanwhile, so
// SIGCONT clears it through a fresh probe connection.
func TestSDownOnStop(t *testing.T) {
	srv := redistest.Start(t)
	fd := newFaultDialer()
	m, rec, k := detectMonitor(t, Config{Dial: fd.Dial}, srv.Addr())
	for round := 0; round < 3; round++ {
		time.Sleep(time.Duration(round) * 37 * time.Millisecond)
		t0 := time.Now()
		srv.Stop()
		at := rec.waitSDown(t, k, true, t0, 3*time.Second)
		d := at.Sub(t0)
		t.Logf("round %d: SIGSTOP -> +sdown after %v", round, d)
		v, _ := m.Instance(k.master, k.addr)
		if silent := at.Sub(v.LastOKPing); silent < downAfter {
			t.Errorf("SDOWN after %v of silence, before down-after", silent)
		}
		if v.PingPendingSince.IsZero() {
			t.Errorf("no pending ping while stopped: %+v", v)
		}
		dials := fd.dialCount(k.addr)
		time.Sleep(300 * time.Millisecond) // not an assertion: let the ping timeout cycle a few times
		if fd.dialCount(k.addr) <= dials {
			t.Errorf("probe did not redial while the server was stopped")
		}
		t1 := time.Now()
		srv.Resume()
		at = rec.waitSDown(t, k, false, t1, 3*time.Second)
		t.Logf("round %d: SIGCONT -> -sdown after %v", round, at.Sub(t1))
		waitHealthy(t, m, k.master, k.addr)
	}
}

// The Dial hook cuts this node off from the master: new dials hang, and
// established connections go silent. SDOWN follows; healing clears it
// through fresh connections even though the old ones stay dead.
func TestSDownOnPartition(t *testing.T) {
	srv := redistest.Start(t)
	fd := newFaultDialer()
	m, rec, k := detectMonitor(t, Config{Dial: fd.Dial}, srv.Addr())
	t0 := time.Now()
	fd.setBlocked(k.addr, true)
	at := rec.waitSDown(t, k, true, t0, 3*time.Second)
	t.Logf("cut -> +sdown after %v", at.Sub(t0))
	if v, _ := m.Instance(k.master, k.addr); at.Sub(v.LastOKPing) < downAfter {
		t.Errorf("SDOWN after %v of silence, before down-after", at.Sub(v.LastOKPing))
	}
	time.Sleep(time.Second) // stay cut for a while (not an assertion)
	if v, _ := m.Instance(k.master, k.addr); !v.SDown || v.LastError == "" {
		t.Errorf("view during the cut: SDown=%v LastError=%q", v.SDown, v.LastError)
	}
	t1 := time.Now()
	fd.setBlocked(k.addr, false)
	at = rec.waitSDown(t, k, false, t1, 3*time.Second)
	t.Logf("heal -> -sdown after %v", at.Sub(t1))
	waitHealthy(t, m, k.master, k.addr)
}

// A PING never waits behind the command link: while BLPOP blocks it for 2 s,
// valid PING replies keep arriving.
func TestPingNotBlockedByCommand(t *testing.T) {
	srv := redistest.Start(t)
	m, rec, k := detectMonitor(t, Config{}, srv.Addr())
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		r, err := m.Do(context.Background(), k.master, k.addr, "BLPOP", "nokey", "2")
		if err == nil && r != nil {
			t.Errorf("BLPOP returned %v", r)
		}
		done <- err
	}()
	redistest.WaitFor(t, time.Second, "BLPOP pending", func() bool {
		v, _ := m.Instance(k.master, k.addr)
		return v.PendingCommands > 0
	})
	var oks []time.Time
	last := time.Time{}
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("BLPOP: %v", err)
			}
			blocked := time.Since(start)
			t.Logf("BLPOP held the command link %v; LastOKPing advanced %d times meanwhile", blocked, len(oks))
			if blocked < 1900*time.Millisecond {
				t.Fatalf("BLPOP returned after %v", blocked)
			}
			if len(oks) < 10 {
				t.Fatalf("LastOKPing advanced only %d times during a 2 s command", len(oks))
			}
			if ev := rec.transitions(k); len(ev) != 0 {
				t.Fatalf("SDOWN transitions: %+v", ev)
			}
			return
		case <-time.After(20 * time.Millisecond):
			v, _ := m.Instance(k.master, k.addr)
			if v.LastOKPing.After(last) {
				if !last.IsZero() && v.LastOKPing.After(start) {
					oks = append(oks, v.LastOKPing)
				}
				last = v.LastOKPing
			}
		}
	}
}
