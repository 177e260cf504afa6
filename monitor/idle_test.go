//go:build e2e

package monitor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// TestIdleCost compares the idle CPU of this monitor with Redis Sentinel's,
// both watching 100 masters × 3 instances (100 names over one real master
// and its 2 replicas, default timers). Slow (about a minute), so it runs
// only with RAFTINEL_IDLE_BENCH=1, without -race:
//
//	RAFTINEL_IDLE_BENCH=1 go test -run IdleCost -v ./monitor/
func TestIdleCost(t *testing.T) {
	if os.Getenv("RAFTINEL_IDLE_BENCH") == "" {
		t.Skip("set RAFTINEL_IDLE_BENCH=1 to measure idle CPU against redis-sentinel")
	}
	const masters, warm, window = 100, 5 * time.Second, 20 * time.Second
	set := redistest.StartSet(t, 2)

	var sentinelCPU time.Duration
	if os.Getenv("RAFTINEL_IDLE_BENCH") != "self" {
		sentinelCPU = measureSentinel(t, set, masters, warm, window)
	}

	// This monitor.
	sdcp, _ := time.ParseDuration(os.Getenv("RAFTINEL_IDLE_SDCP"))
	m := New(Config{MyID: testID, SDownCheckPeriod: sdcp}, nil, nil)

	var ts []view.Target
	for i := 0; i < masters; i++ {
		ts = append(ts, setTargets(set, "m"+strconv.Itoa(i), 30*time.Second)...)
	}
	m.SetTargets(ts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	time.Sleep(warm)
	for _, tg := range ts {
		if v, _ := m.Instance(tg.Master, tg.Addr); !v.Connected || v.InfoRefresh.IsZero() {
			t.Fatalf("%s %s not healthy", tg.Master, tg.Addr)
		}
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	if path := os.Getenv("RAFTINEL_IDLE_PROF"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.SetCPUProfileRate(1000)
		_ = pprof.StartCPUProfile(f)
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	r0 := selfCPU(t)
	time.Sleep(window)
	ownCPU := selfCPU(t) - r0
	runtime.ReadMemStats(&ms1)
	cancel()
	<-done
	pings := float64(len(ts)) * window.Seconds() // one per second per instance
	t.Logf("idle CPU over %v, %d instances: redis-sentinel %v (%.2f%%), raftinel monitor %v (%.2f%%)",
		window, len(ts), sentinelCPU, 100*sentinelCPU.Seconds()/window.Seconds(), ownCPU, 100*ownCPU.Seconds()/window.Seconds())
	t.Logf("monitor allocations: %.1f per ping (INFO included), %.0f bytes per ping",
		float64(ms1.Mallocs-ms0.Mallocs)/pings, float64(ms1.TotalAlloc-ms0.TotalAlloc)/pings)
	if sentinelCPU > 0 && ownCPU > sentinelCPU {
		t.Errorf("monitor used more CPU than redis-sentinel")
	}
}

func selfCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads utime+stime of pid from /proc (clock ticks of 10 ms).
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// measureSentinel runs redis-server --sentinel watching masters names on
// set's master and returns its CPU over window after warm.
func measureSentinel(t *testing.T, set *redistest.Set, masters int, warm, window time.Duration) time.Duration {
	dir := t.TempDir()
	port := redistest.FreePort(t, "127.0.0.1")
	var conf strings.Builder
	fmt.Fprintf(&conf, "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n", port, dir, filepath.Join(dir, "s.log"))
	for i := 0; i < masters; i++ {
		fmt.Fprintf(&conf, "sentinel monitor m%d %s %d 1\n", i, set.Master.Host, set.Master.Port)
	}
	cf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(cf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(redistest.Binary(t), cf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(warm)
	sAddr := "127.0.0.1:" + strconv.Itoa(port)
	rs, err := redistest.Do(sAddr, "SENTINEL", "REPLICAS", "m99")
	if err != nil || strings.Count(rs, "name\n") != 2 {
		t.Fatalf("sentinel did not discover the replicas of m99: %v\n%s", err, rs)
	}
	c0 := procCPU(t, cmd.Process.Pid)
	time.Sleep(window)
	cpu := procCPU(t, cmd.Process.Pid) - c0
	_ = cmd.Process.Kill()

	return cpu
}
