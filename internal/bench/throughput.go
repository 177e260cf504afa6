package bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Query is one redis-benchmark workload.
type Query struct {
	Name     string   // row label
	Args     []string // the command
	Pipeline int      // -P
	Requests int      // -n (scaled from Config.Requests: slow commands get fewer)
	Goal     float64  // target ratio raftinel / redis-sentinel, 0 = none
}

// queries are the workloads, each run against every target.
func (b *Bench) queries() []Query {
	n := b.cfg.Requests
	addr := []string{"SENTINEL", "get-master-addr-by-name", "mymaster"}
	reps := []string{"SENTINEL", "replicas", "mymaster"}
	info := []string{"INFO"}
	return []Query{
		{"get-master-addr-by-name", addr, 1, n, 1.5},
		{"get-master-addr-by-name -P 16", addr, 16, n, 1},
		{"SENTINEL REPLICAS", reps, 1, n / 2, 1.5},
		{"SENTINEL REPLICAS -P 16", reps, 16, n / 2, 1},
		{"INFO", info, 1, n / 4, 1.5},
		{"INFO -P 16", info, 16, n / 4, 1},
	}
}

// Target is the node a workload runs against: redis-sentinel (any node) or
// a raftinel leader or follower.
type Target string

const (
	TargetSentinel Target = "redis-sentinel"
	TargetLeader   Target = "raftinel leader"
	TargetFollower Target = "raftinel follower"
)

// ThroughputResult is one redis-benchmark run against one node.
type ThroughputResult struct {
	Query     string
	RPS       float64 // requests per second
	P50       float64 // ms, as redis-benchmark reports it
	ServerUS  float64 // server CPU per request, µs
	ClientCPU float64 // redis-benchmark's CPU use, % of one core
	ServerCPU float64 // the node's CPU use, % of one core
	Err       string
}

// ThroughputRuns are the repeated runs of one query against one target.
type ThroughputRuns struct {
	Query  string
	Target Target
	Runs   []ThroughputResult
}

// RPS summarizes the successful runs' requests per second.
func (t *ThroughputRuns) RPS() Spread {
	return t.spread(func(r ThroughputResult) float64 { return r.RPS })
}

// ServerUS summarizes the server CPU per request.
func (t *ThroughputRuns) ServerUS() Spread {
	return t.spread(func(r ThroughputResult) float64 { return r.ServerUS })
}

func (t *ThroughputRuns) spread(f func(ThroughputResult) float64) Spread {
	var xs []float64
	for _, r := range t.Runs {
		if r.Err == "" {
			xs = append(xs, f(r))
		}
	}
	return spreadOf(xs)
}

// Errors are the failed runs' errors.
func (t *ThroughputRuns) Errors() []string {
	var out []string
	for _, r := range t.Runs {
		if r.Err != "" {
			out = append(out, r.Err)
		}
	}
	return out
}

// benchLine is redis-benchmark -q's final line.
var benchLine = regexp.MustCompile(`([0-9.]+) requests per second, p50=([0-9.]+) msec`)

// parseBenchmark reads the last result line of redis-benchmark -q output
// (progress lines are separated by carriage returns).
func parseBenchmark(out string) (rps, p50 float64, err error) {
	m := benchLine.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return 0, 0, fmt.Errorf("no result in redis-benchmark output %q", lastText(out, 200))
	}
	last := m[len(m)-1]
	rps, err1 := strconv.ParseFloat(last[1], 64)
	p50, err2 := strconv.ParseFloat(last[2], 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad redis-benchmark line %q", last[0])
	}
	return rps, p50, nil
}

func lastText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// benchmark runs redis-benchmark against one node and measures both sides'
// CPU.
func (b *Bench) benchmark(host string, port, pid int, q Query) ThroughputResult {
	r := ThroughputResult{Query: q.Name}
	args := []string{"-h", host, "-p", strconv.Itoa(port), "-c", strconv.Itoa(b.cfg.Clients),
		"-n", strconv.Itoa(q.Requests), "-q"}
	if q.Pipeline > 1 {
		args = append(args, "-P", strconv.Itoa(q.Pipeline))
	}
	args = append(args, q.Args...)
	cmd := exec.Command(b.cfg.BenchmarkBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cpu0, err := cpuTime(pid)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		r.Err = fmt.Sprintf("redis-benchmark: %v: %s", err, lastText(out.String(), 200))
		return r
	}
	wall := time.Since(t0)
	cpu1, err := cpuTime(pid)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	if r.RPS, r.P50, err = parseBenchmark(out.String()); err != nil {
		r.Err = err.Error()
		return r
	}
	server := cpu1 - cpu0
	client := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.ServerUS = float64(server.Microseconds()) / float64(q.Requests)
	r.ServerCPU = 100 * server.Seconds() / wall.Seconds()
	r.ClientCPU = 100 * client.Seconds() / wall.Seconds()
	return r
}

// throughputTargets are the nodes measured: redis-sentinel's first node,
// raftinel's leader and a follower.
func throughputTargets(systems []System) []Target {
	var out []Target
	for _, s := range systems {
		switch s {
		case Sentinel:
			out = append(out, TargetSentinel)
		case Raftinel:
			out = append(out, TargetLeader, TargetFollower)
		}
	}
	return out
}

// runThroughput starts a 3-monitor cluster per system over one master with
// two replicas and runs every query against every target, Config.Runs
// times, alternating the targets run by run.
func (b *Bench) runThroughput() []*ThroughputRuns {
	nodes := map[Target]*nodeRef{}
	failed := map[Target]string{}
	for _, sys := range b.cfg.Systems {
		e, err := b.startFailoverEnv(sys, filepath.Join(b.cfg.WorkDir, "throughput-"+string(sys)),
			hosts(3, "127.0.0.1"), hosts(3, "127.0.0.1"))
		if err != nil {
			b.logf("throughput %s: %v", sys, err)
			for _, t := range throughputTargets([]System{sys}) {
				failed[t] = err.Error()
			}
			continue
		}
		defer e.close()
		switch sys {
		case Sentinel:
			nodes[TargetSentinel] = &nodeRef{host: e.c.nodes[0].Host, port: e.c.nodes[0].Port, pid: e.c.nodes[0].PID}
		case Raftinel:
			l, f := raftRoles(e.c)
			if l == nil || f == nil {
				for _, t := range []Target{TargetLeader, TargetFollower} {
					failed[t] = "no agreed leader"
				}
				continue
			}
			nodes[TargetLeader] = &nodeRef{host: l.Host, port: l.Port, pid: l.PID}
			nodes[TargetFollower] = &nodeRef{host: f.Host, port: f.Port, pid: f.PID}
		}
	}
	time.Sleep(b.cfg.Settle)
	targets := throughputTargets(b.cfg.Systems)
	var out []*ThroughputRuns
	for _, q := range b.queries() {
		byTarget := map[Target]*ThroughputRuns{}
		for _, t := range targets {
			tr := &ThroughputRuns{Query: q.Name, Target: t}
			byTarget[t] = tr
			out = append(out, tr)
		}
		for run := 0; run < b.cfg.Runs; run++ {
			for _, t := range targets {
				tr := byTarget[t]
				n := nodes[t]
				if n == nil {
					tr.Runs = append(tr.Runs, ThroughputResult{Query: q.Name, Err: failed[t]})
					continue
				}
				r := b.benchmark(n.host, n.port, n.pid(), q)
				if r.Err != "" {
					b.logf("throughput %s %s run %d: %s", q.Name, t, run+1, r.Err)
				} else {
					b.logf("throughput %s %s run %d: %.0f req/s p50 %.3f ms, server %.2f µs/req (%.0f%% CPU), client %.0f%% CPU",
						q.Name, t, run+1, r.RPS, r.P50, r.ServerUS, r.ServerCPU, r.ClientCPU)
				}
				tr.Runs = append(tr.Runs, r)
			}
		}
	}
	return out
}

// nodeRef is a node a workload runs against.
type nodeRef struct {
	host string
	port int
	pid  func() int
}
