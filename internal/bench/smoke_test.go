//go:build e2e

package bench

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// TestSmoke runs the bench command's code paths on real processes with the
// smallest sizes (one kill -9 trial per system, short redis-benchmark runs)
// so that the benchmark cannot rot. The figures mean nothing here (CI,
// -race); only that every one was produced.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	if _, err := harness.RedisBinary(); err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	var err error
	// A relative work dir, as `-work w` gives: the binary, the data dirs
	// and the logs must land under it, wherever each program runs.
	t.Chdir(t.TempDir())
	dir := "work"
	if cfg.RaftinelBin, err = BuildRaftinel(dir, raceEnabled); err != nil {
		t.Fatal(err)
	}
	if cfg.SentinelBin, cfg.SentinelArgs, err = FindSentinel(); err != nil {
		t.Fatal(err)
	}
	if cfg.BenchmarkBin, err = FindBenchmark(); err != nil {
		t.Fatal(err)
	}
	cfg.WorkDir = dir
	cfg.Scenarios = []string{ScenarioKill, ScenarioThroughput}
	cfg.Trials, cfg.Rejoin = 1, false
	cfg.Settle, cfg.TrialTimeout = 300*time.Millisecond, 20*time.Second
	cfg.Requests = 2000
	cfg.Runs = 1
	var progress bytes.Buffer
	cfg.Progress = &progress
	start := time.Now()
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("smoke run took %v", time.Since(start).Round(time.Millisecond))
	defer func() {
		if t.Failed() {
			t.Logf("progress:\n%s", progress.String())
		}
	}()
	for _, sys := range cfg.Systems {
		f := res.Failover[FaultKill][sys]
		if f == nil || len(f.Errors) > 0 || f.Switch.N != 1 || f.AllAnswer.N != 1 || f.FirstWrite.N != 1 || f.ODown.N != 1 {
			t.Fatalf("%s kill trial: %+v", sys, f)
		}
		if f.Switch.Median < cfg.DownAfter/2 || f.Switch.Median > cfg.TrialTimeout {
			t.Fatalf("%s: +switch-master %v after kill -9 with down-after %v", sys, f.Switch.Median, cfg.DownAfter)
		}
	}
	b := &Bench{cfg: cfg}
	if len(res.Throughput) != len(b.queries())*len(throughputTargets(cfg.Systems)) {
		t.Fatalf("throughput: %d results", len(res.Throughput))
	}
	for _, tr := range res.Throughput {
		if len(tr.Runs) != cfg.Runs || tr.RPS().N != cfg.Runs || tr.RPS().Median <= 0 {
			t.Fatalf("%s %s: %+v", tr.Target, tr.Query, tr.Runs)
		}
	}
	var out bytes.Buffer
	if err := res.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "first +switch-master") || !strings.Contains(out.String(), "get-master-addr-by-name -P 16, follower") {
		t.Fatalf("report:\n%s", out.String())
	}
	if os.Getenv("RAFTINEL_BENCH_VERBOSE") != "" {
		t.Logf("\n%s", out.String())
	}
}
