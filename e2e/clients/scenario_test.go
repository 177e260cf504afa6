//go:build e2e

package clients

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// client is one row of the table.
type client struct {
	name  string // row label and subtest name
	needs string // "node", "python" or "" (setupErr key)
	auth  string // how it authenticates (from spec/clients.md)
	d     driver
}

var clientList = []client{
	{"redis-cli", "", "AUTH", redisCLI},
	{"go-redis FailoverClient", "", "HELLO 3 AUTH", goRedisFailover},
	{"go-redis FailoverClusterClient", "", "HELLO 3 AUTH", goRedisFailoverCluster},
	{"rueidis", "", "HELLO 3 AUTH", rueidisDriver},
	{"redis-py", "python", "AUTH", scriptDriver{python, "redispy_driver.py"}},
	{"ioredis", "node", "HELLO 3 AUTH", scriptDriver{nodeBin(), "ioredis_driver.js"}},
	{"node-redis", "node", "HELLO 3 AUTH", scriptDriver{nodeBin(), "noderedis_driver.js"}},
}

// Generous bounds on recovery: the figures themselves are reported in the
// table, not asserted (speed targets belong in benchmarks).
const recoveryBound = 5 * time.Second

// TestClients runs every client through every scenario and prints the
// client × scenario table (docs/clients.md with RAFTINEL_WRITE_DOCS=1).
func TestClients(t *testing.T) {
	began := time.Now()
	for _, c := range clientList {
		t.Run(strings.ReplaceAll(c.name, " ", "-"), func(t *testing.T) {
			if err := setupErr[c.needs]; c.needs != "" && err != nil {
				results.set(c.name, colBasic, "FAIL", false)
				t.Fatal(err)
			}
			runClient(t, c)
		})
	}
	took := time.Since(began)
	t.Logf("client × scenario table (suite %v, race=%v):\n%s", took.Round(time.Second), raceEnabled, results.markdown())
	if os.Getenv("RAFTINEL_WRITE_DOCS") == "1" {
		if err := writeDocs("../../docs/clients.md", results.markdown(), took); err != nil {
			t.Fatal(err)
		}
	}
}

func runClient(t *testing.T, c client) {
	prefix := strings.ReplaceAll(c.name, " ", "-") + ":"
	e := newEnv(t, false)
	var first *session
	m := e.master()
	scenario(t, c, colBasic, func(t *testing.T) string {
		first = runBasic(t, c, e.config(prefix))
		checkMaster(t, first, m)
		return "ok"
	})
	scenario(t, c, colReplica, func(t *testing.T) string {
		if first == nil {
			t.Fatal("the client did not run")
		}
		checkReplica(t, first, m)
		return "ok"
	})
	scenario(t, c, colFirstDown, func(t *testing.T) string {
		m := e.master()
		first := e.nodes[0]
		first.Kill()
		defer func() {
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			redistest.WaitFor(t, 10*time.Second, "the restarted node answers the master again", func() bool { return e.answer() == m.Addr() })
		}()
		s := basic(t, c, e.config(prefix+"firstdown:"), m)
		// from the client's start to its first write acknowledged
		return "ok, " + ms(s.took("start", "master"))
	})
	var pubsubFailover, pubsubKill bool
	scenario(t, c, colFailover, func(t *testing.T) string {
		r := failover(t, c, e, prefix+"failover:", func(*harness.Redis) {
			if s, err := e.nodes[1].Do("SENTINEL", "FAILOVER", masterName); err != nil || s != "OK" {
				t.Fatalf("SENTINEL FAILOVER: %q %v", s, err)
			}
		})
		pubsubFailover = r.gotSwitch
		if r.lost > 0 {
			t.Errorf("%d acknowledged writes lost in a SENTINEL FAILOVER", r.lost)
		}
		return r.String()
	})
	scenario(t, c, colKill, func(t *testing.T) string {
		// a fresh environment: like Sentinel, raftinel starts no second
		// failover of a master within 2 × failover-timeout of the last one
		ek := newEnv(t, false)
		r := failover(t, c, ek, prefix+"kill:", func(m *harness.Redis) { m.Kill() })
		pubsubKill = r.gotSwitch
		return r.String()
	})
	scenario(t, c, colPubSub, func(t *testing.T) string {
		if !pubsubFailover || !pubsubKill {
			t.Fatalf("+switch-master received: after SENTINEL FAILOVER %v, after kill -9 %v", pubsubFailover, pubsubKill)
		}
		return "ok"
	})
	scenario(t, c, colAuth, func(t *testing.T) string {
		ea := newEnv(t, true)
		basic(t, c, ea.config(prefix+"auth:"), ea.master())
		r := failover(t, c, ea, prefix+"auth:failover:", func(*harness.Redis) {
			if s, err := ea.nodes[2].Do("SENTINEL", "FAILOVER", masterName); err != nil || s != "OK" {
				t.Fatalf("SENTINEL FAILOVER: %q %v", s, err)
			}
		})
		if !r.gotSwitch {
			t.Fatal("no +switch-master through the authenticated subscription")
		}
		return "ok (" + c.auth + ")"
	})
}

// scenario runs one cell as a subtest and records its outcome.
func scenario(t *testing.T, c client, col string, fn func(t *testing.T) string) {
	t.Run(strings.ReplaceAll(col, " ", "-"), func(t *testing.T) {
		text := "FAIL"
		defer func() {
			if t.Failed() {
				text = "FAIL"
			}
			results.set(c.name, col, text, !t.Failed())
		}()
		text = fn(t)
	})
}

func is(ev string) func(event) bool { return func(e event) bool { return e.Ev == ev } }

// took is the time between the first events named from and to.
func (s *session) took(from, to string) time.Duration {
	a, _ := s.find(is(from))
	b, _ := s.find(is(to))
	return time.Duration(b.T-a.T) * time.Millisecond
}

// basic runs the driver's basic mode and checks that it wrote and read on
// the master m and read from a replica that says it is one.
func basic(t *testing.T, c client, cfg config, m *harness.Redis) *session {
	t.Helper()
	s := runBasic(t, c, cfg)
	checkMaster(t, s, m)
	checkReplica(t, s, m)
	return s
}

// runBasic runs the driver's basic mode to its end (checkReplica, the last
// check, fails when it did not end cleanly).
func runBasic(t *testing.T, c client, cfg config) *session {
	t.Helper()
	s, err := c.d.start("basic", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.wait(60 * time.Second); err != nil {
		s.stop()
		t.Logf("%s basic: %v", c.name, err)
	}
	return s
}

// checkMaster: the key was written and read on the master m, which says
// it is one.
func checkMaster(t *testing.T, s *session, m *harness.Redis) {
	t.Helper()
	me, ok := s.find(is("master"))
	if !ok || me.Port != m.Port || me.Value != "hello" || me.Role != "master" {
		t.Fatalf("master step: want port %d, value hello, role master\n%s", m.Port, s.report())
	}
}

// checkReplica: the key was read from a replica (not m) that says it is one.
func checkReplica(t *testing.T, s *session, m *harness.Redis) {
	t.Helper()
	re, ok := s.find(is("replica"))
	if !ok || re.Port == m.Port || re.Value != "hello" || re.Role != "slave" {
		t.Fatalf("replica step: want a replica (not %d) answering hello, role slave\n%s", m.Port, s.report())
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("the client ended with %v\n%s", s.err, s.report())
		}
	default:
		t.Fatalf("the client did not end\n%s", s.report())
	}
}

// outcome of a switch under writes.
type outcome struct {
	recovery  time.Duration // trigger -> first write acknowledged by the new master
	switched  time.Duration // trigger -> +switch-master received by the client
	errors    int           // writes that failed
	lost      int           // acknowledged writes missing on the new master
	gotSwitch bool          // +switch-master received through the client's pub/sub API
}

func (o outcome) String() string {
	return fmt.Sprintf("%s (switch %s), %d err, %d lost", ms(o.recovery), ms(o.switched), o.errors, o.lost)
}

// failover starts the driver's writer (one write per 50 ms), waits until
// writes land on the master, calls trigger(master) and measures the time
// until a write is acknowledged by the new master. It then checks the
// +switch-master message and which acknowledged writes the new master has.
func failover(t *testing.T, c client, e *env, prefix string, trigger func(*harness.Redis)) outcome {
	t.Helper()
	old := e.master()
	s, err := c.d.start("writer", e.config(prefix))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	var t0 time.Time
	defer func() {
		if !stopped {
			s.stop()
		}
		if t.Failed() || os.Getenv("RAFTINEL_CLIENT_EVENTS") == "1" {
			t.Logf("%s writer events (trigger at %d):\n%s", c.name, t0.UnixMilli(), s.report())
		}
	}()
	onPort := func(port int, after int64) func() bool {
		return func() bool {
			_, ok := s.find(func(ev event) bool { return ev.Ev == "write" && ev.Port == port && ev.T >= after })
			return ok
		}
	}
	// steady state first: five writes on the master
	redistest.WaitFor(t, 30*time.Second, "the writer's writes land on the master", func() bool {
		n := 0
		for _, ev := range s.all() {
			if ev.Ev == "write" && ev.Port == old.Port {
				n++
			}
			if ev.Ev == "fail" {
				return true
			}
		}
		return n >= 5
	})
	if f, ok := s.find(is("fail")); ok {
		t.Fatalf("writer failed: %s: %s", f.Step, f.Err)
	}
	t0 = time.Now()
	trigger(old)
	var nm *harness.Redis
	redistest.WaitFor(t, 15*time.Second, "every node answers a new master", func() bool {
		nm = e.byAddr(e.answer())
		return nm != nil && nm != old
	})
	redistest.WaitFor(t, 15*time.Second, "a write lands on the new master", onPort(nm.Port, t0.UnixMilli()))
	first, _ := s.find(func(ev event) bool { return ev.Ev == "write" && ev.Port == nm.Port && ev.T >= t0.UnixMilli() })
	out := outcome{recovery: time.UnixMilli(first.T).Sub(t0)}
	payload := fmt.Sprintf("%s %s %d %s %d", masterName, old.Host, old.Port, nm.Host, nm.Port)
	redistest.WaitFor(t, 10*time.Second, "+switch-master through the client's pub/sub API", func() bool {
		_, ok := s.find(func(ev event) bool { return ev.Ev == "switch" && ev.Payload == payload })
		return ok
	})
	sw, _ := s.find(func(ev event) bool { return ev.Ev == "switch" && ev.Payload == payload })
	out.gotSwitch, out.switched = true, time.UnixMilli(sw.T).Sub(t0)
	// a few more writes on the new master, then stop
	redistest.WaitFor(t, 10*time.Second, "writes go on on the new master", onPort(nm.Port, first.T+200))
	stopped = true
	if err := s.stop(); err != nil {
		t.Fatalf("writer: %v\n%s", err, s.report())
	}
	var acked []string
	for _, ev := range s.all() {
		if ev.Ev == "write" {
			acked = append(acked, fmt.Sprintf("%s%d", prefix, ev.I))
		}
		if ev.Ev == "write" && ev.Port != old.Port && ev.Port != nm.Port {
			t.Errorf("write %d acknowledged by a third server %d", ev.I, ev.Port)
		}
	}
	lost := e.missing(nm, acked)
	out.lost, out.errors = len(lost), count(s, "error")
	t.Logf("%s: recovery %v, +switch-master after %v, %d writes acknowledged, %d lost, %d errors", c.name, out.recovery.Round(time.Millisecond), out.switched.Round(time.Millisecond), len(acked), out.lost, out.errors)
	if out.lost > 0 {
		t.Logf("lost: %v", lost[:min(len(lost), 10)])
	}
	if out.recovery > recoveryBound {
		t.Errorf("recovery %v, bound %v", out.recovery, recoveryBound)
	}
	return out
}

func count(s *session, ev string) int {
	n := 0
	for _, e := range s.all() {
		if e.Ev == ev {
			n++
		}
	}
	return n
}

func ms(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
