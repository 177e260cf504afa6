//go:build e2e

package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// A hello published on the monitor's command link of a real Redis is heard
// by a HelloLink subscribed there, with the link's local IP; the link's own
// publications come back to it; garbage on the channel is ignored.
func TestHelloOverRealRedis(t *testing.T) {
	t.Parallel()
	set := redistest.StartSet(t, 1)
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, nil, log)
	m.SetTargets(setTargets(set, "mymaster", 5*time.Second))
	run(t, m)
	waitHealthy(t, m, "mymaster", set.Master.Addr())

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
