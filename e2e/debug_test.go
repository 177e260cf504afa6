//go:build e2e

package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// SENTINEL DEBUG timers that raftinel has take effect on a running node:
// ping-period bounds the PING period of the monitored instances (counted
// by the Redis that receives them), default-down-after and
// default-failover-timeout are the settings of a master SENTINEL MONITOR
// creates afterwards.
func TestDebugTimersTakeEffect(t *testing.T) {
	m := redistest.Start(t)
	n := startNode(t, monitorLines("mymaster", m, 1, 30000)...)
	redistest.WaitFor(t, 5*time.Second, "first INFO", func() bool {
		s, err := n.Do("SENTINEL", "MASTER", "mymaster")
		return err == nil && harness.FlatMap(s)["info-refresh"] != "0"
	})
	pings := func() int {
		info, err := m.Do("INFO", "commandstats")
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(info, "cmdstat_ping:calls=")
		if !ok {
			return 0
		}
		v, _, _ := strings.Cut(rest, ",")
		c, _ := strconv.Atoi(v)
		return c
	}
	if s := mustDo(t, n, "SENTINEL", "DEBUG", "ping-period", "50", "default-down-after", "1000",
		"default-failover-timeout", "5000"); s != "OK" {
		t.Fatalf("DEBUG: %q", s)
	}
	// 30 PINGs in at most 10 s: at the 1 s period of down-after 30 s that
	// would take 30 s.
	start := pings()
	redistest.WaitFor(t, 10*time.Second, "PINGs every 50 ms", func() bool { return pings() >= start+30 })

	other := redistest.Start(t)
	host, port, _ := strings.Cut(other.Addr(), ":")
	if s := mustDo(t, n, "SENTINEL", "MONITOR", "second", host, port, "1"); s != "OK" {
		t.Fatalf("MONITOR: %q", s)
	}
	mm := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "second"))
	if mm["down-after-milliseconds"] != "1000" || mm["failover-timeout"] != "5000" {
		t.Fatalf("new master's settings: %v", mm)
	}
	if mm := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster")); mm["down-after-milliseconds"] != "30000" {
		t.Fatalf("existing master changed: %v", mm)
	}
}

// The conformance suite's init, and the way Sentinel deployments are
// scripted: REMOVE on every node (errors ignored), then the same MONITOR
// on every node. The nodes share one state, so the repeats must answer OK
// (docs/divergence.md); a MONITOR of the name with another address or
// quorum is still refused as by Sentinel.
func TestMonitorOnEveryNode(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, monitorLines("mymaster", m, 2, 5000)...)
	if _, err := c.WaitLeader(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(m.Addr(), ":")
	for _, n := range c.Nodes {
		_, _ = doWrite(t, n, "SENTINEL", "REMOVE", "mymaster")
	}
	for _, n := range c.Nodes {
		if s, err := doWrite(t, n, "SENTINEL", "MONITOR", "mymaster", host, port, "2"); err != nil || s != "OK" {
			t.Fatalf("MONITOR on %s: %q %v", n.Addr(), s, err)
		}
	}
	for _, n := range c.Nodes {
		redistest.WaitFor(t, 5*time.Second, "mymaster on "+n.Addr(), func() bool { return masterAddr(n, "mymaster") == m.Addr() })
	}
	if _, err := doWrite(t, c.Nodes[1], "SENTINEL", "MONITOR", "mymaster", host, port, "3"); err == nil || err.Error() != "ERR Duplicate master name." {
		t.Fatalf("other quorum: %v", err)
	}
	if _, err := doWrite(t, c.Nodes[2], "SENTINEL", "MONITOR", "mymaster", host, "1", "2"); err == nil || err.Error() != "ERR Duplicate master name." {
		t.Fatalf("other address: %v", err)
	}
}
