//go:build e2e

package monitor

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// A hello published by the monitor to a real Redis is heard by a
// HelloLink subscribed there, with the link's local IP, whether it rides
// on the pinger's PINGs (the monitor's own dialer) or goes on the command
// link (a dialer of someone else's: probes on goroutines); the link's own
// publications come back to it; garbage on the channel is ignored.
func TestHelloOverRealRedis(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		cfg    Config
		pinger bool
	}{
		{"on PINGs", Config{MyID: testID}, true},
		{"on the command link", Config{MyID: testID, Dial: (&net.Dialer{}).DialContext}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			helloOverRealRedis(t, c.cfg, c.pinger)
		})
	}
}

func helloOverRealRedis(t *testing.T, cfg Config, pinger bool) {
	set := redistest.StartSet(t, 1)
	log, _ := testLogger(t)
	m := New(cfg, nil, log)
	m.SetTargets(setTargets(set, "mymaster", 5*time.Second))
	run(t, m)
	waitHealthy(t, m, "mymaster", set.Master.Addr())
	if got := m.pinger != nil; got != pinger || m.HellosQueued() != pinger {
		t.Fatalf("pinger running: %v, hellos queued: %v, want %v", got, m.HellosQueued(), pinger)
	}

	sink := &helloSink{}
	other := New(Config{MyID: strings.Repeat("b", 40)}, nil, log)
	l := other.NewHelloLink(view.Target{Master: "mymaster", Addr: set.Master.Addr(), DownAfter: 5 * time.Second}, sink.add)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	if _, err := set.Master.Do("PUBLISH", view.HelloChannel, "not,a,hello"); err != nil {
		t.Fatal(err)
	}
	build := func(ip string) string {
		return view.Hello{IP: ip, Port: 26379, MyID: testID, CurrentEpoch: 3, Master: "mymaster",
			MasterIP: set.Master.Host, MasterPort: set.Master.Port, ConfigEpoch: 2}.String()
	}
	redistest.WaitFor(t, 5*time.Second, "the monitor's hello heard", func() bool {
		if err := m.PublishHello(context.Background(), "mymaster", set.Master.Addr(), build); err != nil {
			t.Logf("publish: %v", err)
		}
		return sink.find(func(h view.Hello) bool { return h.MyID == testID && h.IP == "127.0.0.1" && h.CurrentEpoch == 3 })
	})
	redistest.WaitFor(t, 5*time.Second, "the link's own hello heard", func() bool {
		if err := l.Publish(context.Background(), func(ip string) string {
			return view.Hello{IP: ip, Port: 1, MyID: "own", Master: "mymaster", MasterIP: "127.0.0.1", MasterPort: 2}.String()
		}); err != nil {
			t.Logf("link publish: %v", err)
		}
		return sink.find(func(h view.Hello) bool { return h.MyID == "own" })
	})
	if sink.find(func(h view.Hello) bool { return h.Master == "" }) {
		t.Fatal("a malformed message was delivered")
	}
	if err := m.PublishHello(context.Background(), "mymaster", "127.0.0.1:1", build); !errors.Is(err, ErrUnknownInstance) {
		t.Fatalf("PublishHello to an unmonitored address: %v", err)
	}
	list, _ := set.Master.Do("CLIENT", "LIST")
	if !strings.Contains(list, "name=sentinel-bbbbbbbb-pubsub") {
		t.Errorf("the subscription did not name itself like Sentinel's Pub/Sub link:\n%s", list)
	}
}

// Hellos on PINGs: PUBLISH goes through the rename map like every other
// command; a PUBLISH the ACL refuses is reported by the next PublishHello
// (the reply comes with the PING's) while the PINGs behind it still count
// as valid replies, and once PUBLISH is allowed the reports clear.
func TestHelloOnPingsRenamedAndRefused(t *testing.T) {
	t.Parallel()
	const pass = "adm1n"
	addr := startRaw(t, "PONG2", "rename-command PING PONG2", "rename-command PUBLISH PUB2",
		"user admin on >"+pass+" +@all ~* &*")
	rename := map[string]string{"ping": "PONG2", "publish": "PUB2"}
	target := view.Target{Master: "m", Addr: addr, IsMaster: true, DownAfter: time.Second, Rename: rename}
	rec := newRecorder()
	log, _ := testLogger(t)
	m := New(Config{MyID: testID, PingPeriod: 100 * time.Millisecond}, rec, log)
	m.SetTargets([]view.Target{target})
	run(t, m)
	waitHealthy(t, m, "m", addr)
	if runtime.GOOS != "linux" {
		t.Skip("hellos ride on PINGs only where the pinger runs (Linux)")
	}
	if m.pinger == nil {
		t.Fatal("no pinger with the monitor's own dialer")
	}

	sink := &helloSink{}
	other := New(Config{MyID: strings.Repeat("b", 40)}, nil, log)
	l := other.NewHelloLink(target, sink.add)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	build := func(epoch uint64) func(string) string {
		return func(ip string) string {
			return view.Hello{IP: ip, Port: 26379, MyID: testID, CurrentEpoch: epoch, Master: "m",
				MasterIP: "127.0.0.1", MasterPort: 6379}.String()
		}
	}
	redistest.WaitFor(t, 5*time.Second, "a hello published through the renamed PUBLISH", func() bool {
		if err := m.PublishHello(context.Background(), "m", addr, build(1)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return sink.find(func(h view.Hello) bool { return h.MyID == testID && h.CurrentEpoch == 1 })
	})

	acl := func(rule string) {
		t.Helper()
		if _, err := harness.DoSeq(addr, "", []string{"AUTH", "admin", pass}, []string{"ACL", "SETUSER", "default", rule}); err != nil {
			t.Fatal(err)
		}
	}
	acl("-publish")
	redistest.WaitFor(t, 5*time.Second, "the refusal reported", func() bool {
		err := m.PublishHello(context.Background(), "m", addr, build(2))
		var re RedisError
		return errors.As(err, &re) && strings.Contains(string(re), "NOPERM")
	})
	v, _ := m.Instance("m", addr)
	if !v.Connected || v.LastError != "" || time.Since(v.LastOKPing) > time.Second {
		t.Fatalf("the PINGs behind refused hellos: connected %v, LastError %q, last valid PING %v ago",
			v.Connected, v.LastError, time.Since(v.LastOKPing))
	}
	if ev := rec.transitions(instKey{"m", addr}); len(ev) != 0 {
		t.Fatalf("SDOWN transitions while hellos were refused: %+v", ev)
	}
	acl("+publish")
	redistest.WaitFor(t, 5*time.Second, "hellos accepted again", func() bool {
		return m.PublishHello(context.Background(), "m", addr, build(3)) == nil &&
			sink.find(func(h view.Hello) bool { return h.MyID == testID && h.CurrentEpoch == 3 })
	})
}

// QueryPeer asks one command on a fresh connection and closes it.
func TestQueryPeer(t *testing.T) {
	t.Parallel()
	addr := startRaw(t, "PING", "requirepass s3cret")
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, nil, log)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := m.QueryPeer(ctx, view.PeerTarget{Addr: addr, AuthPass: "s3cret"}, "INFO", "server")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v.(string); !strings.Contains(s, "redis_version:") {
		t.Fatalf("INFO server = %q", v)
	}
	if _, err := m.QueryPeer(ctx, view.PeerTarget{Addr: addr, AuthPass: "wrong"}, "INFO", "server"); err == nil {
		t.Fatal("INFO with a wrong password succeeded")
	}
}
