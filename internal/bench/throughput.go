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
}

// queries are the workloads, each run for both systems.
func queries() []Query {
	addr := []string{"SENTINEL", "get-master-addr-by-name", "mymaster"}
	return []Query{
		{"get-master-addr-by-name", addr, 1},
		{"get-master-addr-by-name -P 16", addr, 16},
		{"PING", []string{"PING"}, 1},
		{"PING -P 16", []string{"PING"}, 16},
	}
}

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
		"-n", strconv.Itoa(b.cfg.Requests), "-q"}
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
	r.ServerUS = float64(server.Microseconds()) / float64(b.cfg.Requests)
	r.ServerCPU = 100 * server.Seconds() / wall.Seconds()
	r.ClientCPU = 100 * client.Seconds() / wall.Seconds()
	return r
}

// runThroughput starts a 3-monitor cluster per system over one master with
// two replicas and runs every query against its first node.
func (b *Bench) runThroughput() map[System][]ThroughputResult {
	out := map[System][]ThroughputResult{}
	envs := map[System]*failoverEnv{}
	for _, sys := range b.cfg.Systems {
		e, err := b.startFailoverEnv(sys, filepath.Join(b.cfg.WorkDir, "throughput-"+string(sys)),
			hosts(3, "127.0.0.1"), hosts(3, "127.0.0.1"))
		if err != nil {
			b.logf("throughput %s: %v", sys, err)
			for _, q := range queries() {
				out[sys] = append(out[sys], ThroughputResult{Query: q.Name, Err: err.Error()})
			}
			continue
		}
		defer e.close()
		envs[sys] = e
	}
	time.Sleep(b.cfg.Settle)
	for _, q := range queries() {
		for _, sys := range b.cfg.Systems {
			e := envs[sys]
			if e == nil {
				continue
			}
			n := e.c.nodes[0]
			r := b.benchmark(n.Host, n.Port, n.PID(), q)
			if r.Err != "" {
				b.logf("throughput %s %s: %s", q.Name, sys, r.Err)
			} else {
				b.logf("throughput %s %s: %.0f req/s p50 %.3f ms, server %.2f µs/req (%.0f%% CPU), client %.0f%% CPU",
					q.Name, sys, r.RPS, r.P50, r.ServerUS, r.ServerCPU, r.ClientCPU)
			}
			out[sys] = append(out[sys], r)
		}
	}
	return out
}
