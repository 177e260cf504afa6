//go:build e2e

package monitor

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// SENTINEL DEBUG ping-period bounds the ping period of every instance, the
// ones already monitored and those added later, like Sentinel's
// min(down-after, ping-period); a bound above an instance's own period does
// not slow it down, and 0 removes it. A real redis-server counts the PINGs.
func TestSetPingPeriod(t *testing.T) {
	r := redistest.Start(t)
	m := New(Config{MyID: testID}, nil, nil)
	m.SetTargets([]view.Target{{Master: "m", Addr: r.Addr(), IsMaster: true, DownAfter: 30 * time.Second}})
	run(t, m)
	waitHealthy(t, m, "m", r.Addr())
	period := func(master, addr string) time.Duration {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.insts[instKey{master, addr}].probe.set.Load().period
	}
	if p := period("m", r.Addr()); p != time.Second {
		t.Fatalf("period before: %v", p)
	}
	m.SetPingPeriod(50 * time.Millisecond)
	if p := period("m", r.Addr()); p != 50*time.Millisecond {
		t.Fatalf("period after SetPingPeriod: %v", p)
	}
	// The PINGs really go out at the new pace: 20 more within 10 s (at the
	// old 1 s period that would take 20 s).
	pings := func() int {
		info, err := r.Do("INFO", "commandstats")
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(info, "cmdstat_ping:calls=")
		if i < 0 {
			return 0
		}
		n, _ := strconv.Atoi(strings.SplitN(info[i+len("cmdstat_ping:calls="):], ",", 2)[0])
		return n
	}
	start := pings()
	redistest.WaitFor(t, 10*time.Second, "20 PINGs at the new period", func() bool { return pings() >= start+20 })

	m.SetTargets([]view.Target{{Master: "m", Addr: r.Addr(), IsMaster: true, DownAfter: 30 * time.Second},
		{Master: "m2", Addr: r.Addr(), IsMaster: true, DownAfter: 500 * time.Millisecond}})
	if p := period("m2", r.Addr()); p != 50*time.Millisecond {
		t.Fatalf("target added later: %v", p)
	}
	m.SetPingPeriod(5 * time.Second)
	if p, p2 := period("m", r.Addr()), period("m2", r.Addr()); p != time.Second || p2 != 100*time.Millisecond {
		t.Fatalf("a bound above the own period: %v %v", p, p2)
	}
	m.SetPingPeriod(0)
	if p := period("m", r.Addr()); p != time.Second {
		t.Fatalf("bound removed: %v", p)
	}
}
