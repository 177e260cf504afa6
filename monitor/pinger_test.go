//go:build e2e

package monitor

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// With the monitor's own dialer, one goroutine drives every probe on
// Linux; removing targets closes their sockets (the server sees its
// clients go), and stopping the monitor closes the rest.
func TestPingerOwnsProbeSockets(t *testing.T) {
	srv := redistest.Start(t)
	clients := func() int {
		s, err := redistest.Do(srv.Addr(), "INFO", "clients")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(s, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "connected_clients:"); ok {
				n, _ := strconv.Atoi(v)
				return n - 1 // this query's own connection
			}
		}
		t.Fatal("no connected_clients")
		return 0
	}
	m := New(Config{MyID: testID, PingPeriod: 20 * time.Millisecond}, nil, nil)
	both := []view.Target{{Master: "a", Addr: srv.Addr(), IsMaster: true, DownAfter: time.Second},
		{Master: "b", Addr: srv.Addr(), IsMaster: true, DownAfter: time.Second}}
	m.SetTargets(both)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	waitHealthy(t, m, "a", srv.Addr())
	waitHealthy(t, m, "b", srv.Addr())
	if runtime.GOOS == "linux" && m.pinger == nil {
		t.Fatal("no pinger with the monitor's own dialer")
	}
	redistest.WaitFor(t, 5*time.Second, "4 links", func() bool { return clients() == 4 })
	v1, _ := m.Instance("a", srv.Addr())
	time.Sleep(100 * time.Millisecond)
	v2, _ := m.Instance("a", srv.Addr())
	if !v2.LastOKPing.After(v1.LastOKPing) {
		t.Fatalf("no PING reply in 100 ms at a 20 ms period: %v then %v", v1.LastOKPing, v2.LastOKPing)
	}
	m.SetTargets(both[:1])
	redistest.WaitFor(t, 5*time.Second, "b's links closed", func() bool { return clients() == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 5*time.Second, "every link closed", func() bool { return clients() == 0 })
}
