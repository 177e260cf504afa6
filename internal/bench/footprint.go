package bench

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// FootprintResult is one idle cluster watching Masters masters.
type FootprintResult struct {
	Masters  int           // master names
	Replicas int           // replicas per master
	Servers  int           // real redis-servers behind the names
	Ready    time.Duration // start of the monitors -> all report all masters ok
	ReadyOK  bool
	RSS      []int64   // bytes per node, after the idle window
	CPU      []float64 // % of one core per node over the idle window
	Err      string
}

// MeanCPU is the per-node average.
func (r *FootprintResult) MeanCPU() float64 {
	s := 0.0
	for _, c := range r.CPU {
		s += c
	}
	return s / float64(max(len(r.CPU), 1))
}

// MaxRSS is the largest node's RSS.
func (r *FootprintResult) MaxRSS() int64 {
	var m int64
	for _, v := range r.RSS {
		m = max(m, v)
	}
	return m
}

// allOK reports whether every node's INFO sentinel lists want masters, each
// with status=ok, its replicas and sentinels=<nodes> (every monitor knows
// the others, so a failover could start).
func allOK(c *cluster, want, replicas int) bool {
	suffix := fmt.Sprintf(",slaves=%d,sentinels=%d", replicas, len(c.nodes))
	for _, n := range c.nodes {
		s, err := n.Do("INFO", "sentinel")
		if err != nil {
			return false
		}
		info := harness.ParseInfo(s)
		if info["sentinel_masters"] != strconv.Itoa(want) {
			return false
		}
		ok := 0
		for k, v := range info {
			if strings.HasPrefix(k, "master") && strings.Contains(v, ",status=ok,") && strings.HasSuffix(v, suffix) {
				ok++
			}
		}
		if ok != want {
			return false
		}
	}
	return true
}

// startSets starts n master+replicas sets, a few at a time.
func startSets(dir string, n, replicas int) ([]*redisSet, error) {
	sets := make([]*redisSet, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range sets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sets[i], errs[i] = startSet(filepath.Join(dir, fmt.Sprintf("set%d", i+1)), hosts(1+replicas, "127.0.0.1"))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, s := range sets {
			if s != nil {
				s.close()
			}
		}
		return nil, err
	}
	return sets, nil
}

// footprint starts master+replicas sets (at most MaxServers redis-servers
// in all), names masters masters over them round-robin, starts 3 monitors
// and measures readiness, then idle RSS and CPU.
func (b *Bench) footprint(sys System, masters, replicas int, dir string) (*FootprintResult, error) {
	nsets := max(min(masters, b.cfg.MaxServers/(1+replicas)), 1)
	r := &FootprintResult{Masters: masters, Replicas: replicas, Servers: nsets * (1 + replicas)}
	if err := freshDir(dir); err != nil {
		return nil, err
	}
	sets, err := startSets(dir, nsets, replicas)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range sets {
			s.close()
		}
	}()
	var specs []masterSpec
	for i := 0; i < masters; i++ {
		m := sets[i%nsets].master
		specs = append(specs, masterSpec{fmt.Sprintf("master%d", i+1), m.Host, m.Port})
	}
	t0 := time.Now()
	c, err := b.startMonitors(sys, filepath.Join(dir, "monitors"), hosts(3, "127.0.0.1"), specs)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if waitUntil(b.cfg.ReadyTimeout, func() bool { return allOK(c, masters, replicas) }) == nil {
		r.Ready, r.ReadyOK = time.Since(t0), true
	}
	time.Sleep(b.cfg.Settle)
	cpu0 := make([]time.Duration, len(c.nodes))
	for i, n := range c.nodes {
		if cpu0[i], err = cpuTime(n.PID()); err != nil {
			return nil, err
		}
	}
	w0 := time.Now()
	time.Sleep(b.cfg.IdleWindow)
	wall := time.Since(w0)
	for i, n := range c.nodes {
		cpu1, err := cpuTime(n.PID())
		if err != nil {
			return nil, err
		}
		rss, err := rssBytes(n.PID())
		if err != nil {
			return nil, err
		}
		r.CPU = append(r.CPU, 100*(cpu1-cpu0[i]).Seconds()/wall.Seconds())
		r.RSS = append(r.RSS, rss)
	}
	return r, nil
}

// footprintCase is one master count with a replica count.
type footprintCase struct{ masters, replicas int }

func (b *Bench) footprintCases() []footprintCase {
	var out []footprintCase
	for _, m := range b.cfg.Masters {
		out = append(out, footprintCase{m, 0})
	}
	if b.cfg.ReplicatedMasters > 0 {
		out = append(out, footprintCase{b.cfg.ReplicatedMasters, 2})
	}
	return out
}

// runFootprint measures every case for every system; master counts above
// SentinelMaxMasters are measured for raftinel only.
func (b *Bench) runFootprint() map[System][]*FootprintResult {
	out := map[System][]*FootprintResult{}
	for _, fc := range b.footprintCases() {
		for _, sys := range b.cfg.Systems {
			if sys == Sentinel && b.cfg.SentinelMaxMasters > 0 && fc.masters > b.cfg.SentinelMaxMasters {
				continue
			}
			dir := filepath.Join(b.cfg.WorkDir, fmt.Sprintf("footprint-%s-%dx%d", sys, fc.masters, fc.replicas))
			r, err := b.footprint(sys, fc.masters, fc.replicas, dir)
			if err != nil {
				b.logf("footprint %d masters x %d replicas %s: %v", fc.masters, fc.replicas, sys, err)
				r = &FootprintResult{Masters: fc.masters, Replicas: fc.replicas, Err: err.Error()}
			} else {
				b.logf("footprint %d masters x %d replicas (%d servers) %s: ready %s, RSS max %.1f MB, CPU mean %.2f%% %.2f",
					fc.masters, fc.replicas, r.Servers, sys, opt(r.Ready, r.ReadyOK), float64(r.MaxRSS())/(1<<20), r.MeanCPU(), r.CPU)
			}
			out[sys] = append(out[sys], r)
		}
	}
	return out
}
