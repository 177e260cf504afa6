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

// footprintCase is one idle cluster configuration: master count, replicas
// per master, and raftinel's ping period (0: its default; redis-sentinel
// always pings every second, so a case with a ping period is run for
// raftinel only and compared with the default case's redis-sentinel).
//
// heartbeat, when set (with ping), is raftinel's raft-heartbeat-timeout
// (election timeout the same, lease half of it): hashicorp/raft sends a
// heartbeat every tenth of it, and at the default 300 ms those are a good
// part of an idle node's wake-ups. Sentinel pings its peers once a second.
type footprintCase struct {
	masters, replicas int
	ping              time.Duration
	heartbeat         time.Duration
}

func (fc footprintCase) label() string {
	s := fmt.Sprintf("%d masters, %d replicas each", fc.masters, fc.replicas)
	if fc.ping > 0 {
		s += fmt.Sprintf(", raftinel ping-period %d", fc.ping.Milliseconds())
	}
	if fc.heartbeat > 0 {
		s += fmt.Sprintf(" and raft-heartbeat-timeout %d", fc.heartbeat.Milliseconds())
	}
	return s
}

// raftinelLines are the case's extra raftinel directives.
func (fc footprintCase) raftinelLines() []string {
	var out []string
	if fc.ping > 0 {
		out = append(out, fmt.Sprintf("ping-period %d", fc.ping.Milliseconds()))
	}
	if hb := fc.heartbeat.Milliseconds(); hb > 0 {
		out = append(out, fmt.Sprintf("raft-heartbeat-timeout %d", hb), fmt.Sprintf("raft-election-timeout %d", hb),
			fmt.Sprintf("raft-leader-lease-timeout %d", hb/2))
	}
	return out
}

// FootprintResult is one system's runs of one case.
type FootprintResult struct {
	Masters, Replicas int
	Ping              time.Duration // raftinel's ping-period, 0 = default
	Heartbeat         time.Duration // raftinel's raft-heartbeat-timeout, 0 = default
	Servers           int           // real redis-servers behind the names
	Ready             []time.Duration
	RSS, Anon         []int64   // bytes, largest node, per run
	CPU               []float64 // % of one core, mean of the nodes, per run
	Failed            int       // runs that never got ready
	Err               string
}

func (r *FootprintResult) cpu() Spread { return spreadOf(r.CPU) }

func (r *FootprintResult) rss() Spread { return spreadOf(mbs(r.RSS)) }

func (r *FootprintResult) anon() Spread { return spreadOf(mbs(r.Anon)) }

func (r *FootprintResult) ready() Spread { return spreadOf(durationsMs(r.Ready)) }

func mbs(bs []int64) []float64 {
	out := make([]float64, len(bs))
	for i, b := range bs {
		out[i] = float64(b) / (1 << 20)
	}
	return out
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

// idleRun starts the monitors of sys over specs, measures readiness, then
// idle RSS and CPU, and stops them.
func (b *Bench) idleRun(sys System, fc footprintCase, specs []masterSpec, dir string, r *FootprintResult) error {
	var extra []string
	if sys == Raftinel {
		extra = fc.raftinelLines()
	}
	t0 := time.Now()
	c, err := b.startMonitorsWith(sys, dir, hosts(3, "127.0.0.1"), specs, extra)
	if err != nil {
		return err
	}
	defer c.close()
	if waitUntil(b.cfg.ReadyTimeout, func() bool { return allOK(c, fc.masters, fc.replicas) }) == nil {
		r.Ready = append(r.Ready, time.Since(t0))
	} else {
		r.Failed++
	}
	time.Sleep(b.cfg.Settle)
	cpu, per, m, err := idleFigures(c, b.cfg.IdleWindow)
	if err != nil {
		return err
	}
	r.CPU = append(r.CPU, cpu)
	r.RSS = append(r.RSS, m.rss)
	r.Anon = append(r.Anon, m.anon)
	rss, anon := m.rss, m.anon
	b.logf("footprint %s %s: ready %s, RSS max %.1f MB (anonymous %.1f MB), CPU per node %s",
		fc.label(), sys, optLast(r.Ready, len(r.Ready)+r.Failed), float64(rss)/(1<<20), float64(anon)/(1<<20), fmt.Sprintf("%.2f", per))
	return nil
}

func optLast(ds []time.Duration, runs int) string {
	if len(ds) < runs {
		return "never"
	}
	return ms(ds[len(ds)-1]) + "ms"
}

func (b *Bench) footprintCases() []footprintCase {
	var out []footprintCase
	equal := func(masters, replicas int) {
		if b.cfg.EqualPing > 0 {
			out = append(out, footprintCase{masters: masters, replicas: replicas, ping: b.cfg.EqualPing})
			if b.cfg.EqualHeartbeat > 0 {
				out = append(out, footprintCase{masters: masters, replicas: replicas, ping: b.cfg.EqualPing, heartbeat: b.cfg.EqualHeartbeat})
			}
		}
	}
	for _, m := range b.cfg.Masters {
		out = append(out, footprintCase{masters: m})
		if m >= 100 {
			equal(m, 0)
		}
	}
	if b.cfg.ReplicatedMasters > 0 {
		out = append(out, footprintCase{masters: b.cfg.ReplicatedMasters, replicas: 2})
		equal(b.cfg.ReplicatedMasters, 2)
	}
	return out
}

// runFootprint measures every case: the redis-servers of a case are
// started once (at most MaxServers, master names shared round-robin) and
// each system's monitors are started Runs times over them, alternating.
func (b *Bench) runFootprint() map[System][]*FootprintResult {
	out := map[System][]*FootprintResult{}
	for ci, fc := range b.footprintCases() {
		systems := b.cfg.Systems
		if fc.ping > 0 {
			systems = []System{Raftinel}
		}
		nsets := max(min(fc.masters, b.cfg.MaxServers/(1+fc.replicas)), 1)
		results := map[System]*FootprintResult{}
		for _, sys := range systems {
			results[sys] = &FootprintResult{Masters: fc.masters, Replicas: fc.replicas, Ping: fc.ping, Heartbeat: fc.heartbeat, Servers: nsets * (1 + fc.replicas)}
			out[sys] = append(out[sys], results[sys])
		}
		dir := filepath.Join(b.cfg.WorkDir, fmt.Sprintf("footprint-%d", ci+1))
		if err := freshDir(dir); err != nil {
			b.logf("footprint %s: %v", fc.label(), err)
			continue
		}
		sets, err := startSets(filepath.Join(dir, "redis"), nsets, fc.replicas)
		if err != nil {
			b.logf("footprint %s: %v", fc.label(), err)
			for _, r := range results {
				r.Err = err.Error()
			}
			continue
		}
		var specs []masterSpec
		for i := 0; i < fc.masters; i++ {
			m := sets[i%nsets].master
			specs = append(specs, masterSpec{name: fmt.Sprintf("master%d", i+1), host: m.Host, port: m.Port})
		}
		for run := 0; run < b.cfg.Runs; run++ {
			for _, sys := range systems {
				r := results[sys]
				mdir := filepath.Join(dir, fmt.Sprintf("%s-%d", sys, run+1))
				if err := b.idleRun(sys, fc, specs, mdir, r); err != nil {
					b.logf("footprint %s %s: %v", fc.label(), sys, err)
					r.Err = err.Error()
				}
			}
		}
		for _, s := range sets {
			s.close()
		}
	}
	return out
}
