//go:build e2e

package e2e

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/load"
	"github.com/raftinel/raftinel/internal/redistest"
)

// TestPartitionRandom injects faults in a random, seeded order for
// RAFTINEL_FAULT_DURATION (default 60s): kill -9 / SIGSTOP / restart of
// nodes and Redis instances and partitions of random groups, one at a
// time, each healed after 1-6 s; after each heal every node and every
// Redis must agree on one master. Across the run: at most one promotion per
// epoch and all nodes agree on it, no address from a node cut off longer
// than the freshness bound, no READONLY error after a switch, the time two
// masters took writes after a switch bounded by the fence.
// RAFTINEL_FAULT_SEED=<n> replays a run (the seed is printed).
func TestPartitionRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: randomized fault run")
	}
	seed := time.Now().UnixNano()
	if s := envOr("RAFTINEL_FAULT_SEED", ""); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("RAFTINEL_FAULT_SEED: %v", err)
		}
		seed = v
	}
	dur, err := time.ParseDuration(envOr("RAFTINEL_FAULT_DURATION", "60s"))
	if err != nil {
		t.Fatalf("RAFTINEL_FAULT_DURATION: %v", err)
	}
	t.Logf("RAFTINEL_FAULT_SEED=%d RAFTINEL_FAULT_DURATION=%v", seed, dur)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with RAFTINEL_FAULT_SEED=%d RAFTINEL_FAULT_DURATION=%v", seed, dur)
		}
	})
	rng := rand.New(rand.NewSource(seed))

	e := newPartitionEnv(t)
	rec := startRecorder(e)
	w := load.Start(load.Options{Source: e.writer, Sentinels: sentinelAddrs(e.nodes...), Period: 20 * time.Millisecond})
	redistest.WaitFor(t, 10*time.Second, "writes flowing", func() bool { return !w.LastAck().IsZero() })
	start := time.Now()
	var faults []string
	var worstConverge time.Duration
	for time.Since(start) < dur {
		hold := time.Duration(1000+rng.Intn(5000)) * time.Millisecond
		at := time.Since(start).Round(time.Millisecond)
		desc := e.injectFault(rng, hold)
		_, conv := e.waitConverged(20 * time.Second)
		worstConverge = max(worstConverge, conv)
		faults = append(faults, fmt.Sprintf("%8v %-60s converged %v", at, desc, conv.Round(time.Millisecond)))
		time.Sleep(time.Duration(300+rng.Intn(1200)) * time.Millisecond)
	}
	final, _ := e.waitConverged(20 * time.Second)
	time.Sleep(500 * time.Millisecond)
	res := w.Stop()
	acked, werrs := res.AckedAt(), res.Failures
	rec.halt()
	samples, evs := rec.snapshot()

	f := figures{name: fmt.Sprintf("random seed %d", seed), acked: len(acked), converge: worstConverge}
	perEpoch, problems := switches(evs, len(e.nodes))
	for _, p := range problems {
		t.Error(p)
	}
	f.promotions = len(perEpoch)
	first := rec.firstSwitch(start)
	var detail []string
	f.staleAddrs, f.staleErrs, detail = staleAnswers(samples)
	for _, d := range detail[:min(len(detail), 10)] {
		t.Errorf("stale answer: %s", d)
	}
	f.errs, f.readonly = errCounts(werrs, first)
	if !first.IsZero() {
		f.splitBrain = splitBrain(samples, first)
		f.switchAfter = first.Sub(start)
	}
	f.lost = len(e.lostWrites(final, acked))
	t.Logf("faults (seed %d):\n%s", seed, strings.Join(faults, "\n"))
	t.Logf("random fault run:%s", table([]figures{f}))
	if f.staleAddrs > 0 {
		t.Errorf("%d stale addresses answered", f.staleAddrs)
	}
	if f.readonly > 0 {
		t.Errorf("%d READONLY errors reached the writer after a switch", f.readonly)
	}
	if bound := time.Duration(max(f.promotions, 1)) * fenceBound; f.splitBrain > bound {
		t.Errorf("two masters took writes for %v in all, more than %v (%d promotions x fence bound)", f.splitBrain, bound, f.promotions)
	}
	if len(faults) < 3 {
		t.Errorf("only %d faults injected", len(faults))
	}
}

// injectFault applies one random fault, holds it, heals it and returns
// what it did.
func (e *penv) injectFault(rng *rand.Rand, hold time.Duration) string {
	e.t.Helper()
	r := rng.Intn(len(e.redis))
	n := rng.Intn(len(e.nodes))
	master := e.currentMaster()
	kind := rng.Intn(7)
	var desc string
	switch kind {
	case 0: // kill -9 and restart a node
		desc = fmt.Sprintf("kill -9 node %d for %v", n, hold)
		e.setNodeDown(n, true)
		e.nodes[n].Kill()
		time.Sleep(hold)
		if err := e.nodes[n].Start(); err != nil {
			e.t.Fatalf("restart node %d: %v", n, err)
		}
		e.setNodeDown(n, false)
	case 1: // SIGSTOP a node
		desc = fmt.Sprintf("SIGSTOP node %d for %v", n, hold)
		e.setNodeDown(n, true)
		e.nodes[n].Stop()
		time.Sleep(hold)
		e.nodes[n].Resume()
		e.setNodeDown(n, false)
	case 2: // kill -9 and restart a Redis (the master half of the time)
		if rng.Intn(2) == 0 && master >= 0 {
			r = master
		}
		desc = fmt.Sprintf("kill -9 redis %d%s for %v", r, tag(r == master), hold)
		e.redis[r].Kill()
		time.Sleep(hold)
		e.redis[r].Restart()
	case 3: // SIGSTOP a Redis
		if rng.Intn(2) == 0 && master >= 0 {
			r = master
		}
		desc = fmt.Sprintf("SIGSTOP redis %d%s for %v", r, tag(r == master), hold)
		e.redis[r].Stop()
		time.Sleep(hold)
		e.redis[r].Resume()
	case 4: // the master cut from nodes (and maybe replicas)
		if master < 0 {
			master = 0
		}
		var others []string
		for i := range e.redis {
			if i != master && rng.Intn(2) == 0 {
				others = append(others, e.ip(i))
			}
		}
		desc = fmt.Sprintf("cut master %d from nodes and replicas %v for %v", master, others, hold)
		e.cut([]string{e.ip(master)}, append(e.nodeIPs(0, 1, 2), others...))
		time.Sleep(hold)
		e.healAll()
	default: // a random group cut from the rest
		all := e.all()
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		k := 1 + rng.Intn(3)
		desc = fmt.Sprintf("cut %s from the rest for %v", e.names(all[:k]), hold)
		e.cut(all[:k], all[k:])
		time.Sleep(hold)
		e.healAll()
	}
	return desc
}

func tag(master bool) string {
	if master {
		return " (master)"
	}
	return ""
}

// currentMaster is the Redis that says master and that the nodes name, or
// -1.
func (e *penv) currentMaster() int { return e.converged() }

// names renders addresses as M0/R1/N2/W for the fault log.
func (e *penv) names(addrs []string) string {
	var out []string
	for _, a := range addrs {
		name := a
		for i := range e.redis {
			if e.ip(i) == a {
				name = "redis" + strconv.Itoa(i)
			}
		}
		for i := range e.nodes {
			if e.nodeIP(i) == a {
				name = "node" + strconv.Itoa(i)
			}
		}
		if a == e.writer {
			name = "writer"
		}
		out = append(out, name)
	}
	return "{" + strings.Join(out, ",") + "}"
}
