package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// ScaleResult is the scale scenario: ScaleMasters masters with
// ScaleReplicas replicas each on one 3-node raftinel cluster. RealSets of
// them are real redis-server sets (every failover figure comes from
// those); the others are simulated instances (simtarget.go), labelled as
// such in the report.
type ScaleResult struct {
	Masters, Replicas, RealSets int
	Ping, DownAfter             time.Duration
	Ready                       []time.Duration // start of the monitors -> all nodes report all masters ok
	NotReady                    int
	OneKill                     []time.Duration // kill -9 of one master -> its first +switch-master
	TenKill                     []time.Duration // kill -9 of 10 masters at once -> the last of their first +switch-master
	Snapshot                    []time.Duration // RAFT SNAPSHOT on a follower
	SnapshotBytes               int64
	Restart                     []time.Duration // a follower restarted (kill -9) -> serving every master fresh again
	CPU                         []float64       // idle, % of one core per node (mean)
	RSS, Anon                   []int64         // idle, largest node
	Errors                      []string
}

// runScale runs the scale scenario (raftinel only: redis-sentinel takes
// minutes to discover 1000 masters and their replicas through hello
// messages).
func (b *Bench) runScale() *ScaleResult {
	c := b.cfg
	r := &ScaleResult{Masters: c.ScaleMasters, Replicas: 3, RealSets: min(c.ScaleRealSets, c.ScaleMasters), Ping: c.ScalePing, DownAfter: c.ScaleDownAfter}
	fail := func(format string, a ...any) *ScaleResult {
		msg := fmt.Sprintf(format, a...)
		b.logf("scale: %s", msg)
		r.Errors = append(r.Errors, msg)
		return r
	}
	dir := filepath.Join(c.WorkDir, "scale")
	if err := freshDir(dir); err != nil {
		return fail("%v", err)
	}
	b.logf("scale: starting %d real sets of 1+%d redis-servers", r.RealSets, r.Replicas)
	sets, err := startSets(filepath.Join(dir, "redis"), r.RealSets, r.Replicas)
	if err != nil {
		return fail("real sets: %v", err)
	}
	defer func() {
		for _, s := range sets {
			s.close()
		}
	}()
	sim, simSets, err := startSimTargets(r.Masters-r.RealSets, r.Replicas, simSetsPerProc)
	if err != nil {
		return fail("simulated instances: %v", err)
	}
	defer func() {
		if err := sim.close(); err != nil {
			r.Errors = append(r.Errors, err.Error())
		}
	}()
	b.logf("scale: %d real sets, %d simulated sets", len(sets), len(simSets))
	var specs []masterSpec
	for i, s := range sets {
		spec := masterSpec{name: fmt.Sprintf("real%d", i+1), host: s.master.Host, port: s.master.Port}
		for _, rr := range s.replicas {
			spec.replicas = append(spec.replicas, rr.Addr())
		}
		specs = append(specs, spec)
	}
	for i, s := range simSets {
		h, p, _ := splitHostPort(s.master)
		specs = append(specs, masterSpec{name: fmt.Sprintf("sim%d", i+1), host: h, port: p, replicas: s.replicas})
	}
	extra := []string{fmt.Sprintf("ping-period %d", r.Ping.Milliseconds())}
	sb := *b // the scale scenario's own down-after
	sb.cfg.DownAfter = c.ScaleDownAfter
	var cl *cluster
	for run := 0; run < c.Runs; run++ {
		if cl != nil {
			cl.close()
		}
		t0 := time.Now()
		cl, err = sb.startMonitorsWith(Raftinel, filepath.Join(dir, "monitors"), hosts(3, "127.0.0.1"), specs, extra)
		if err != nil {
			return fail("monitors: %v", err)
		}
		if waitUntil(c.ReadyTimeout, func() bool { return allOK(cl, r.Masters, r.Replicas) }) == nil {
			r.Ready = append(r.Ready, time.Since(t0))
			b.logf("scale: run %d: all nodes report all %d masters ok after %s", run+1, r.Masters, ms(time.Since(t0)))
		} else {
			r.NotReady++
			b.logf("scale: run %d: not all masters ok within %s", run+1, c.ReadyTimeout)
		}
	}
	defer cl.close()
	time.Sleep(c.Settle)
	if cpu, _, m, err := idleFigures(cl, c.IdleWindow); err == nil {
		r.CPU, r.RSS, r.Anon = append(r.CPU, cpu), append(r.RSS, m.rss), append(r.Anon, m.anon)
		b.logf("scale: idle CPU %.2f%% per node, RSS %.1f MB", cpu, float64(m.rss)/(1<<20))
	}
	// A node busy with 8000 links may not confirm a subscription within
	// watch's 2 s on a loaded machine; that is no failover figure.
	var ev *events
	for try := 0; ; try++ {
		if ev, err = watch(cl, "+switch-master"); err == nil || try == scaleSubscribeTries-1 {
			break
		}
		b.logf("scale: %v (try %d of %d)", err, try+1, scaleSubscribeTries)
	}
	if err != nil {
		return fail("subscribe: %v", err)
	}
	defer ev.close()
	next := 0
	take := func(n int) []int {
		if next+n > len(sets) {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = next + i
		}
		next += n
		return out
	}
	kill := func(idx []int) (time.Duration, bool) {
		t0 := time.Now()
		for _, i := range idx {
			sets[i].master.Kill()
		}
		var worst time.Duration
		for _, i := range idx {
			var d time.Duration
			ok := waitUntil(c.TrialTimeout, func() bool {
				var got bool
				d, got = ev.firstWith("+switch-master", specs[i].name+" ", t0)
				return got
			}) == nil
			if !ok {
				return 0, false
			}
			worst = max(worst, d)
		}
		return worst, true
	}
	for _, k := range []struct {
		n    int
		into *[]time.Duration
	}{{1, &r.OneKill}, {10, &r.TenKill}} {
		for run := 0; run < c.Runs; run++ {
			idx := take(k.n)
			if idx == nil {
				r.Errors = append(r.Errors, fmt.Sprintf("not enough real sets for every kill of %d", k.n))
				break
			}
			time.Sleep(c.Settle)
			d, ok := kill(idx)
			if !ok {
				r.Errors = append(r.Errors, fmt.Sprintf("one of %d killed masters was not failed over", k.n))
				continue
			}
			*k.into = append(*k.into, d)
			b.logf("scale: kill -9 of %d master(s): all switched after %s", k.n, ms(d))
		}
	}
	_, follower := raftRoles(cl)
	if follower == nil {
		return fail("no follower")
	}
	for run := 0; run < c.Runs; run++ {
		t0 := time.Now()
		if _, err := follower.Do("RAFT", "SNAPSHOT"); err != nil {
			r.Errors = append(r.Errors, "RAFT SNAPSHOT: "+err.Error())
			break
		}
		r.Snapshot = append(r.Snapshot, time.Since(t0))
	}
	r.SnapshotBytes = snapshotSize(follower.Dir)
	b.logf("scale: RAFT SNAPSHOT %v, %d bytes", r.Snapshot, r.SnapshotBytes)
	for run := 0; run < c.Runs; run++ {
		follower.Kill()
		t0 := time.Now()
		if err := follower.Start(); err != nil {
			r.Errors = append(r.Errors, "restart: "+err.Error())
			break
		}
		if waitUntil(c.ReadyTimeout, func() bool { return servesAll(follower, specs) }) == nil {
			r.Restart = append(r.Restart, time.Since(t0))
			b.logf("scale: follower restart: serving again after %s", ms(time.Since(t0)))
		} else {
			r.Errors = append(r.Errors, "a restarted follower did not serve again")
		}
	}
	return r
}

// scaleSubscribeTries bounds the attempts to subscribe to +switch-master.
const scaleSubscribeTries = 5

// servesAll reports whether n answers every master's address fresh (no
// -STALE) and lists all of them.
func servesAll(n *harness.Node, specs []masterSpec) bool {
	info, err := n.Info("sentinel")
	if err != nil || info["sentinel_masters"] != fmt.Sprint(len(specs)) {
		return false
	}
	for _, i := range []int{0, len(specs) / 2, len(specs) - 1} {
		if s, err := n.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", specs[i].name); err != nil || s == "" {
			return false
		}
	}
	return true
}

// idleFigures measures c's nodes over window: mean CPU per node (and each
// node's), and the largest node's memory.
func idleFigures(c *cluster, window time.Duration) (float64, []float64, mem, error) {
	cpu0 := make([]time.Duration, len(c.nodes))
	for i, n := range c.nodes {
		var err error
		if cpu0[i], err = cpuTime(n.PID()); err != nil {
			return 0, nil, mem{}, err
		}
	}
	w0 := time.Now()
	time.Sleep(window)
	wall := time.Since(w0)
	var sum float64
	var per []float64
	var top mem
	for i, n := range c.nodes {
		cpu1, err := cpuTime(n.PID())
		if err != nil {
			return 0, nil, mem{}, err
		}
		m, err := memory(n.PID())
		if err != nil {
			return 0, nil, mem{}, err
		}
		pct := 100 * (cpu1 - cpu0[i]).Seconds() / wall.Seconds()
		sum += pct
		per = append(per, pct)
		top.rss, top.anon = max(top.rss, m.rss), max(top.anon, m.anon)
	}
	return sum / float64(len(c.nodes)), per, top, nil
}

// snapshotSize is the size of the newest snapshot under a node's dir.
func snapshotSize(dir string) int64 {
	var best int64
	var newest time.Time
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, "state.bin") && fi.ModTime().After(newest) {
			newest, best = fi.ModTime(), fi.Size()
		}
		return nil
	})
	return best
}

func splitHostPort(addr string) (string, int, error) {
	var port int
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr, 0, fmt.Errorf("no port in %q", addr)
	}
	_, err := fmt.Sscanf(addr[i+1:], "%d", &port)
	return addr[:i], port, err
}
