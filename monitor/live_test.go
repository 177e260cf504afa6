//go:build e2e

package monitor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// A real master and two replicas: the first INFO (sent right after the
// command link connects) fills the views and reports both replicas.
func TestViewsOfRealSet(t *testing.T) {
	t.Parallel()
	set := redistest.StartSet(t, 2)
	if _, err := set.Replicas[1].Do("CONFIG", "SET", "replica-priority", "7"); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Master.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	for _, r := range set.Replicas {
		redistest.WaitFor(t, 5*time.Second, "write replicated", func() bool {
			v, err := r.Do("GET", "k")
			return err == nil && v == "v"
		})
	}
	rec := newRecorder()
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, rec, log) // default 10 s INFO period
	m.SetTargets(setTargets(set, "mymaster", 5*time.Second))
	start := time.Now()
	run(t, m)
	mk := instKey{"mymaster", set.Master.Addr()}
	redistest.WaitFor(t, 3*time.Second, "first INFO of every target", func() bool {
		for _, tg := range setTargets(set, "mymaster", 0) {
			if rec.infoCount(instKey{tg.Master, tg.Addr}) == 0 {
				return false
			}
		}
		return true
	})
	rec.mu.Lock()
	first, seenAtFirst := rec.firstInfo[mk].Sub(start), rec.seenAtFirstInfo[mk]
	seen := rec.seen["mymaster"]
	rec.mu.Unlock()
	t.Logf("first master INFO %v after Run", first)
	if seenAtFirst != 2 || !seen[set.Replicas[0].Addr()] || !seen[set.Replicas[1].Addr()] {
		t.Fatalf("replicas reported before the first Info: %d, seen %v", seenAtFirst, seen)
	}
	if rec.infoCount(mk) != 1 {
		t.Fatalf("more than one INFO within the first seconds: %d", rec.infoCount(mk))
	}

	mv, _ := m.Instance("mymaster", set.Master.Addr())
	if mv.Role != "master" || len(mv.RunID) != 40 || mv.ReplID == "" || len(mv.ConnectedReplicas) != 2 || mv.RoleChanged.IsZero() {
		t.Fatalf("master view: role %q runid %q replid %q replicas %+v", mv.Role, mv.RunID, mv.ReplID, mv.ConnectedReplicas)
	}
	if !strings.Contains(mv.InfoText, "# Replication") {
		t.Fatalf("InfoText not cached")
	}
	for _, r := range mv.ConnectedReplicas {
		if r.State != "online" || r.Offset < 0 {
			t.Errorf("replica line %+v", r)
		}
	}
	for i, r := range set.Replicas {
		v := waitHealthy(t, m, "mymaster", r.Addr())
		if v.Role != "slave" || !v.MasterLinkUp || v.MasterHost != set.Master.Host || v.MasterPort != set.Master.Port ||
			v.MasterLastIOSec < 0 || len(v.RunID) != 40 || v.RunID == mv.RunID || !v.ReplicaAnnounced {
			t.Errorf("replica %d view: %+v", i, v)
		}
		if want := []int{100, 7}[i]; v.SlavePriority != want {
			t.Errorf("replica %d priority %d, want %d", i, v.SlavePriority, want)
		}
		if v.SlaveReplOffset <= 0 || v.LastError != "" {
			t.Errorf("replica %d offset %d lasterror %q", i, v.SlaveReplOffset, v.LastError)
		}
	}
	// Our links are named as Sentinel names them: probe + command link.
	list, err := set.Master.Do("CLIENT", "LIST")
	if err != nil || countNamed(list) != 2 {
		t.Fatalf("CLIENT LIST: %d named links (%v)\n%s", countNamed(list), err, list)
	}
	// RefreshInfo is synchronous and reports like a periodic INFO.
	before := rec.infoCount(mk)
	v, err := m.RefreshInfo(context.Background(), "mymaster", set.Master.Addr())
	if err != nil || !v.InfoRefresh.After(mv.InfoRefresh) || rec.infoCount(mk) != before+1 {
		t.Fatalf("RefreshInfo: %v, refresh %v -> %v", err, mv.InfoRefresh, v.InfoRefresh)
	}
	if _, err := m.RefreshInfo(context.Background(), "nosuch", set.Master.Addr()); err != ErrUnknownInstance {
		t.Fatalf("unknown instance: %v", err)
	}
}

// Sentinel's failover transaction on a replica promotes it; CLIENT KILL TYPE
// normal kills our probe (a normal client), not the command link sending it
// (SKIPME); the probe reconnects and no SDOWN is reported.
func TestTransactionPromotes(t *testing.T) {
	t.Parallel()
	set := redistest.StartSet(t, 1)
	rec := newRecorder()
	log, _ := testLogger(t)
	fd := newFaultDialer()
	m := New(Config{MyID: testID, Dial: fd.Dial}, rec, log)
	m.SetTargets(setTargets(set, "mymaster", time.Second))
	run(t, m)
	r := set.Replicas[0].Addr()
	v0 := waitHealthy(t, m, "mymaster", r)
	dials := fd.dialCount(r)
	m.mu.Lock()
	in := m.insts[instKey{"mymaster", r}]
	m.mu.Unlock()
	cmdDials := in.cmd.seq.Load()
	err := m.Transaction(context.Background(), "mymaster", r,
		[]string{"SLAVEOF", "NO", "ONE"},
		[]string{"CONFIG", "REWRITE"},
		[]string{"CLIENT", "KILL", "TYPE", "normal"},
		[]string{"CLIENT", "KILL", "TYPE", "pubsub"})
	if err != nil {
		t.Fatalf("Transaction: %v", err)
	}
	if role := set.Replicas[0].Role(); role != "master" {
		t.Fatalf("role after transaction %q", role)
	}
	role, err := m.Do(context.Background(), "mymaster", r, "ROLE")
	if arr, ok := role.([]any); err != nil || !ok || arr[0] != "master" {
		t.Fatalf("ROLE on the command link after the transaction: %v %v", role, err)
	}
	redistest.WaitFor(t, 3*time.Second, "role master in view", func() bool {
		v, err := m.RefreshInfo(context.Background(), "mymaster", r)
		return err == nil && v.Role == "master" && v.RoleChanged.After(v0.RoleChanged)
	})
	redistest.WaitFor(t, 3*time.Second, "probe reconnected and answering", func() bool {
		v, _ := m.Instance("mymaster", r)
		return fd.dialCount(r) > dials && v.Connected && v.LastOKPing.After(v0.LastOKPing) && v.PingPendingSince.IsZero()
	})
	time.Sleep(1200 * time.Millisecond) // longer than down-after: would expose a false SDOWN
	t.Logf("dials to the replica: %d before the transaction, %d after; command link dials %d -> %d",
		dials, fd.dialCount(r), cmdDials, in.cmd.seq.Load())
	if in.cmd.seq.Load() != cmdDials {
		t.Errorf("the command link that sent CLIENT KILL was killed too")
	}
	if ev := rec.transitions(instKey{"mymaster", r}); len(ev) != 0 {
		t.Fatalf("SDOWN transitions after the transaction: %+v", ev)
	}
	if err := m.Transaction(context.Background(), "mymaster", r, []string{"NOSUCHCMD"}); err == nil ||
		!strings.Contains(err.Error(), "EXEC") {
		t.Fatalf("failing EXEC: %v", err)
	}
	if _, err := m.Do(context.Background(), "mymaster", r, "NOSUCHCMD"); err == nil {
		t.Fatal("Redis error reply not returned")
	} else if _, ok := err.(RedisError); !ok {
		t.Fatalf("error type %T", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := m.Do(ctx, "mymaster", r, "BLPOP", "nokey", "0"); err != context.DeadlineExceeded {
		t.Fatalf("Do past its context: %v", err)
	}
	if v, err := m.Do(context.Background(), "mymaster", r, "ECHO", "still works"); err != nil || v != "still works" {
		t.Fatalf("command link after a cancelled command: %v %v", v, err)
	}
}

// rename-command applies to every command sent: PING, INFO and CLIENT.
func TestRenamedCommands(t *testing.T) {
	t.Parallel()
	addr := startRaw(t, "PONG2", "rename-command PING PONG2", "rename-command INFO INFO2", "rename-command CLIENT CLIENT2")
	rec := newRecorder()
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, rec, log)
	rename := map[string]string{"ping": "PONG2", "info": "INFO2", "client": "CLIENT2"}
	m.SetTargets([]view.Target{{Master: "m", Addr: addr, IsMaster: true, DownAfter: downAfter, Rename: rename}})
	run(t, m)
	v := waitHealthy(t, m, "m", addr)
	if v.Role != "master" || v.LastError != "" {
		t.Fatalf("view %+v", v)
	}
	list, err := m.Do(context.Background(), "m", addr, "client", "list")
	if err != nil || countNamed(list.(string)) != 2 {
		t.Fatalf("CLIENT LIST through rename: %v %v", list, err)
	}
	time.Sleep(2 * downAfter) // not an assertion: time for a false SDOWN to show
	if ev := rec.transitions(instKey{"m", addr}); len(ev) != 0 {
		t.Fatalf("SDOWN transitions: %+v", ev)
	}
	// Without the map, PING is refused and the instance goes SDOWN.
	m.SetTargets([]view.Target{{Master: "m", Addr: addr, IsMaster: true, DownAfter: downAfter}})
	rec.waitSDown(t, instKey{"m", addr}, true, time.Time{}, 3*time.Second)
	redistest.WaitFor(t, 3*time.Second, "unknown command in LastError", func() bool {
		v, _ = m.Instance("m", addr)
		return strings.Contains(v.LastError, "unknown command")
	})
	m.SetTargets([]view.Target{{Master: "m", Addr: addr, IsMaster: true, DownAfter: downAfter, Rename: rename}})
	rec.waitSDown(t, instKey{"m", addr}, false, time.Time{}, 3*time.Second)
}

// AUTH: the right password gives a healthy view; a wrong one is shown in
// LastError, logged once, and (PING answering -NOAUTH is not a valid reply)
// makes the instance SDOWN. Fixing the password through SetTargets
// reconnects and clears both.
func TestAuth(t *testing.T) {
	t.Parallel()
	addr := startRaw(t, "PING", "requirepass pw")
	rec := newRecorder()
	log, logs := testLogger(t)
	m := New(Config{MyID: testID}, rec, log)
	rec.m = m
	good := view.Target{Master: "good", Addr: addr, IsMaster: true, DownAfter: downAfter, AuthPass: "pw"}
	bad := view.Target{Master: "bad", Addr: addr, IsMaster: true, DownAfter: downAfter, AuthPass: "wrong"}
	user := view.Target{Master: "user", Addr: addr, IsMaster: true, DownAfter: downAfter, AuthUser: "default", AuthPass: "pw"}
	m.SetTargets([]view.Target{good, bad, user})
	run(t, m)
	for _, n := range []string{"good", "user"} {
		if v := waitHealthy(t, m, n, addr); v.Role != "master" || v.LastError != "" {
			t.Fatalf("%s: %+v", n, v)
		}
	}
	bk := instKey{"bad", addr}
	rec.waitSDown(t, bk, true, time.Time{}, 3*time.Second)
	v, _ := m.Instance("bad", addr)
	if !strings.Contains(v.LastError, "WRONGPASS") || v.LastPingReply.IsZero() || !v.LastOKPing.IsZero() || v.Connected {
		t.Fatalf("bad view: LastError %q lastReply %v lastOK %v", v.LastError, v.LastPingReply, v.LastOKPing)
	}
	t.Logf("wrong password: LastError %q", v.LastError)
	time.Sleep(500 * time.Millisecond) // not an assertion: several more failing pings
	fails := logs.FilterMessage("redis auth failed").All()
	if len(fails) != 1 || fails[0].ContextMap()["master"] != "bad" || fails[0].ContextMap()["addr"] != addr {
		t.Fatalf("auth failure logged %d times: %+v", len(fails), fails)
	}
	bad.AuthPass = "pw"
	m.SetTargets([]view.Target{good, bad, user})
	rec.waitSDown(t, bk, false, time.Time{}, 3*time.Second)
	v = waitHealthy(t, m, "bad", addr)
	if v.LastError != "" {
		t.Fatalf("LastError after fixing the password: %q", v.LastError)
	}
	if n := logs.FilterMessage("redis auth ok").Len(); n != 1 {
		t.Fatalf("auth recovery logged %d times", n)
	}
	for _, n := range []string{"good", "user"} {
		if ev := rec.transitions(instKey{n, addr}); len(ev) != 0 {
			t.Fatalf("%s: SDOWN transitions %+v (now %v)", n, ev, time.Now())
		}
	}
	// A password sent to a server that has none is refused, but PING and
	// INFO work as the default user: the link is usable (connected, as in
	// Sentinel), the refusal is named in LastError; removing the password
	// from the target clears it (no AUTH is sent any more, so no AUTH
	// reply can clear it).
	open := startRaw(t, "PING")
	m.SetTargets([]view.Target{good, {Master: "open", Addr: open, IsMaster: true, DownAfter: downAfter, AuthPass: "x"}})
	redistest.WaitFor(t, 3*time.Second, "AUTH refused by a server without password, link usable", func() bool {
		v, _ := m.Instance("open", open)
		return strings.Contains(v.LastError, "AUTH") && v.Connected && v.Role == "master" && !v.LastOKPing.IsZero()
	})
	if ev := rec.transitions(instKey{"open", open}); len(ev) != 0 {
		t.Fatalf("open: SDOWN transitions %+v", ev)
	}
	m.SetTargets([]view.Target{good, {Master: "open", Addr: open, IsMaster: true, DownAfter: downAfter}})
	if v := waitHealthy(t, m, "open", open); v.LastError != "" {
		t.Fatalf("after removing the password: %q", v.LastError)
	}
	// No password at all: PING answers -NOAUTH.
	m.SetTargets([]view.Target{{Master: "none", Addr: addr, IsMaster: true, DownAfter: downAfter}})
	redistest.WaitFor(t, 3*time.Second, "NOAUTH in LastError", func() bool {
		v, _ := m.Instance("none", addr)
		return strings.Contains(v.LastError, "NOAUTH") && !v.LastPingReply.IsZero() && !v.Connected
	})
}
