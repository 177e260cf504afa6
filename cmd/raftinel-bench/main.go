// Command raftinel-bench measures raftinel against redis-sentinel on this
// machine, side by side, and prints both figures and their ratio: failover
// latency (kill -9, SIGSTOP), acknowledged-write loss (crash, manual
// failover, partition), query throughput (leader and follower), idle
// footprint, Raft bootstrap, and raftinel at 1000 masters. The method is
// described in docs/benchmarks.md; the logic lives in internal/bench. This
// file is wiring only: flags, binaries, output.
//
//	go run ./cmd/raftinel-bench                       # everything, 10 trials
//	go run ./cmd/raftinel-bench -scenarios kill -trials 3
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/raftinel/raftinel/internal/bench"
)

func main() { os.Exit(run(os.Args[1:])) }

type lines []string

func (l *lines) String() string     { return strings.Join(*l, "; ") }
func (l *lines) Set(v string) error { *l = append(*l, v); return nil }

func run(args []string) int {
	d := bench.Defaults()
	fs := flag.NewFlagSet("raftinel-bench", flag.ContinueOnError)
	raftinel := fs.String("raftinel", "", "raftinel binary (default: build ./cmd/raftinel)")
	sentinel := fs.String("sentinel", "", "redis-sentinel binary (default: redis-sentinel, else redis-server --sentinel)")
	work := fs.String("work", "", "work directory (default: a new temporary directory, removed unless -keep)")
	keep := fs.Bool("keep", false, "keep the work directory (process logs)")
	md := fs.String("markdown", "", "also write the results as Markdown tables to this file")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	scenarios := fs.String("scenarios", strings.Join(d.Scenarios, ","), "comma-separated: "+strings.Join(bench.AllScenarios, ","))
	systems := fs.String("systems", "raftinel,redis-sentinel", "systems to measure")
	masters := fs.String("masters", "1,100", "footprint: master counts")
	var extra lines
	fs.Var(&extra, "raftinel-line", "extra raftinel config line (repeatable)")
	fs.IntVar(&d.Trials, "trials", d.Trials, "failover trials per system and fault")
	fs.DurationVar(&d.DownAfter, "down-after", d.DownAfter, "down-after-milliseconds")
	fs.DurationVar(&d.FailoverTimeout, "failover-timeout", d.FailoverTimeout, "failover-timeout")
	fs.DurationVar(&d.Settle, "settle", d.Settle, "quiet time before a fault or a measurement")
	fs.DurationVar(&d.TrialTimeout, "trial-timeout", d.TrialTimeout, "bound of every wait inside a trial")
	fs.BoolVar(&d.Rejoin, "rejoin", d.Rejoin, "measure the old master's return")
	fs.DurationVar(&d.WritePeriod, "write-period", d.WritePeriod, "loss runs: pause between writes")
	fs.DurationVar(&d.LossRun, "loss-run", d.LossRun, "crash and manual-failover runs")
	fs.DurationVar(&d.PartitionRun, "partition-run", d.PartitionRun, "partition run")
	fs.DurationVar(&d.PartitionAt, "partition-at", d.PartitionAt, "partition start, from the first write")
	fs.DurationVar(&d.PartitionCut, "partition-cut", d.PartitionCut, "partition length")
	fs.IntVar(&d.Requests, "requests", d.Requests, "redis-benchmark -n")
	fs.IntVar(&d.Clients, "clients", d.Clients, "redis-benchmark -c")
	fs.IntVar(&d.Runs, "runs", d.Runs, "repetitions of every throughput, footprint, bootstrap and scale figure (median and range)")
	fs.DurationVar(&d.EqualPing, "equal-ping", d.EqualPing, "footprint: also run raftinel with this ping-period (redis-sentinel's 1s; 0 = not)")
	fs.DurationVar(&d.EqualHeartbeat, "equal-heartbeat", d.EqualHeartbeat, "footprint: and with that ping-period and this raft-heartbeat-timeout (hashicorp/raft's default 1s; 0 = not)")
	fs.IntVar(&d.ScaleMasters, "scale-masters", d.ScaleMasters, "scale: masters of 3 replicas each")
	fs.IntVar(&d.ScaleRealSets, "scale-real-sets", d.ScaleRealSets, "scale: real redis-server sets among them (the rest simulated; 3 single and 3x10 kills need 33)")
	fs.DurationVar(&d.ScalePing, "scale-ping", d.ScalePing, "scale: raftinel's ping-period")
	fs.DurationVar(&d.ScaleDownAfter, "scale-down-after", d.ScaleDownAfter, "scale: down-after-milliseconds")
	fs.IntVar(&d.ReplicatedMasters, "replicated-masters", d.ReplicatedMasters, "footprint: one more case with this many masters of 2 replicas each (0 = none)")
	fs.IntVar(&d.MaxServers, "max-servers", d.MaxServers, "footprint: real redis-servers at most (master names share them round-robin)")
	fs.IntVar(&d.SentinelMaxMasters, "sentinel-max-masters", d.SentinelMaxMasters, "footprint: larger counts run raftinel only (0 = no limit)")
	fs.DurationVar(&d.IdleWindow, "idle", d.IdleWindow, "footprint: CPU measurement window")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d.Scenarios = split(*scenarios)
	d.Systems = nil
	for _, s := range split(*systems) {
		d.Systems = append(d.Systems, bench.System(s))
	}
	d.Masters = nil
	for _, s := range split(*masters) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "raftinel-bench: bad -masters value %q\n", s)
			return 2
		}
		d.Masters = append(d.Masters, n)
	}
	d.RaftinelLines = extra
	if !*quiet {
		d.Progress = os.Stderr
	}
	var err error
	if d.WorkDir = *work; d.WorkDir == "" {
		if d.WorkDir, err = os.MkdirTemp("", "raftinel-bench-"); err != nil {
			fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
			return 1
		}
		if !*keep {
			defer os.RemoveAll(d.WorkDir)
		}
	}
	if d.RaftinelBin = *raftinel; d.RaftinelBin == "" { // built as the Dockerfile builds it
		if d.RaftinelBin, err = bench.BuildRaftinel(d.WorkDir, false); err != nil {
			fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
			return 1
		}
	}
	if d.SentinelBin = *sentinel; d.SentinelBin == "" {
		if d.SentinelBin, d.SentinelArgs, err = bench.FindSentinel(); err != nil {
			fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
			return 1
		}
	}
	if d.BenchmarkBin, err = bench.FindBenchmark(); err != nil && contains(d.Scenarios, bench.ScenarioThroughput) {
		fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
		return 1
	}
	res, err := bench.Run(d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
		return 1
	}
	if err := res.WriteText(os.Stdout); err != nil {
		return 1
	}
	if *md != "" {
		f, err := os.Create(*md)
		if err != nil {
			fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
			return 1
		}
		defer f.Close()
		if err := res.WriteMarkdown(f); err != nil {
			fmt.Fprintln(os.Stderr, "raftinel-bench:", err)
			return 1
		}
	}
	return 0
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
