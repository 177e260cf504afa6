package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/load"
)

// Fault is how the master fails in a failover trial.
type Fault string

const (
	FaultKill Fault = "kill" // kill -9; the old master is restarted afterwards
	FaultStop Fault = "stop" // SIGSTOP; SIGCONT afterwards
)

// Trial is one failover trial's figures, each measured from the fault (the
// return from the old master's comeback); ok flags say whether it happened
// within the trial's bound.
type Trial struct {
	ODown, Switch, AllAnswer, FirstWrite, Rejoin           time.Duration
	ODownOK, SwitchOK, AllAnswerOK, FirstWriteOK, RejoinOK bool
}

// FailoverResult aggregates the trials of one system and fault.
type FailoverResult struct {
	Trials                                       []Trial
	ODown, Switch, AllAnswer, FirstWrite, Rejoin Summary
	Errors                                       []string // trials that could not run
}

func summarizeTrials(ts []Trial) FailoverResult {
	r := FailoverResult{Trials: ts}
	pick := func(get func(Trial) (time.Duration, bool)) Summary {
		var s []time.Duration
		failed := 0
		for _, t := range ts {
			if d, ok := get(t); ok {
				s = append(s, d)
			} else {
				failed++
			}
		}
		return Summarize(s, failed)
	}
	r.ODown = pick(func(t Trial) (time.Duration, bool) { return t.ODown, t.ODownOK })
	r.Switch = pick(func(t Trial) (time.Duration, bool) { return t.Switch, t.SwitchOK })
	r.AllAnswer = pick(func(t Trial) (time.Duration, bool) { return t.AllAnswer, t.AllAnswerOK })
	r.FirstWrite = pick(func(t Trial) (time.Duration, bool) { return t.FirstWrite, t.FirstWriteOK })
	r.Rejoin = pick(func(t Trial) (time.Duration, bool) { return t.Rejoin, t.RejoinOK })
	return r
}

// failoverEnv is a master + replicas set watched by a cluster of monitors,
// ready for a failover: every monitor knows every replica and every other
// monitor, and the writer's writes are acknowledged.
type failoverEnv struct {
	set *redisSet
	c   *cluster
}

func (b *Bench) startFailoverEnv(sys System, dir string, redisHosts, monHosts []string) (*failoverEnv, error) {
	if err := freshDir(dir); err != nil {
		return nil, err
	}
	set, err := startSet(filepath.Join(dir, "redis"), redisHosts)
	if err != nil {
		return nil, err
	}
	m := set.master
	c, err := b.startMonitors(sys, filepath.Join(dir, "monitors"), monHosts, []masterSpec{{name: "mymaster", host: m.Host, port: m.Port}})
	if err != nil {
		set.close()
		return nil, err
	}
	e := &failoverEnv{set: set, c: c}
	ctx := context.Background()
	if err := waitUntil(30*time.Second, func() bool { return c.knowsSet(ctx, "mymaster", len(set.replicas)) }); err != nil {
		e.close()
		return nil, fmt.Errorf("%s: monitors know the replicas and each other: %w", sys, err)
	}
	return e, nil
}

func (e *failoverEnv) close() {
	e.c.close()
	e.set.close()
}

// newMaster is the replica every monitor answers as the master, or nil.
func (e *failoverEnv) newMaster() *harness.Redis {
	a := e.c.agreedMaster(context.Background(), "mymaster")
	if a == "" || a == e.set.master.Addr() {
		return nil
	}
	return e.set.byAddr(a)
}

// failoverTrial runs one trial on a fresh set and cluster.
func (b *Bench) failoverTrial(sys System, fault Fault, dir string) (Trial, error) {
	var t Trial
	e, err := b.startFailoverEnv(sys, dir, hosts(3, "127.0.0.1"), hosts(3, "127.0.0.1"))
	if err != nil {
		return t, err
	}
	defer e.close()
	ev, err := watch(e.c, "+odown", "+switch-master")
	if err != nil {
		return t, err
	}
	defer ev.close()
	w := load.Start(load.Options{Sentinels: e.c.addrs(), Period: 10 * time.Millisecond, Timeout: 500 * time.Millisecond, KeyPrefix: "bench:"})
	defer w.Stop()
	if err := waitUntil(10*time.Second, func() bool { return w.AckCount() > 0 }); err != nil {
		return t, fmt.Errorf("writes through the failover client: %w", err)
	}
	time.Sleep(b.cfg.Settle) // pings and INFO settle into their periods
	old := e.set.master
	t0 := time.Now()
	if fault == FaultKill {
		old.Kill()
	} else {
		old.Stop()
		defer old.Resume() // a stopped process would not die on close
	}
	// Writes sent from now on cannot reach the old master: an
	// acknowledgement of one comes from the new master.
	inEffect := time.Now()
	var nm *harness.Redis
	deadline := t0.Add(b.cfg.TrialTimeout)
	for time.Now().Before(deadline) {
		if !t.AllAnswerOK {
			if nm = e.newMaster(); nm != nil {
				t.AllAnswer, t.AllAnswerOK = time.Since(t0), true
			}
		}
		t.Switch, t.SwitchOK = ev.first("+switch-master", t0)
		t.FirstWrite, t.FirstWriteOK = w.FirstAckAfter(t0, inEffect)
		if t.AllAnswerOK && t.SwitchOK && t.FirstWriteOK {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.ODown, t.ODownOK = ev.first("+odown", t0)
	if !b.cfg.Rejoin || nm == nil {
		return t, nil
	}
	t1 := time.Now()
	if fault == FaultKill {
		if err := old.Restart(); err != nil {
			return t, fmt.Errorf("restarting the old master: %w", err)
		}
	} else {
		old.Resume()
	}
	if waitUntil(b.cfg.TrialTimeout, func() bool { return isReplicaOf(old, nm) }) == nil {
		t.Rejoin, t.RejoinOK = time.Since(t1), true
	}
	return t, nil
}

// runFailover runs cfg.Trials trials of fault, alternating the systems.
func (b *Bench) runFailover(fault Fault) map[System]*FailoverResult {
	trials := map[System][]Trial{}
	errs := map[System][]string{}
	for i := 0; i < b.cfg.Trials; i++ {
		for _, sys := range b.cfg.Systems {
			dir := filepath.Join(b.cfg.WorkDir, fmt.Sprintf("%s-%s-%d", fault, sys, i+1))
			t, err := b.failoverTrial(sys, fault, dir)
			if err != nil {
				b.logf("%s trial %d/%d %s: %v", fault, i+1, b.cfg.Trials, sys, err)
				errs[sys] = append(errs[sys], err.Error())
				continue
			}
			trials[sys] = append(trials[sys], t)
			b.logf("%s trial %d/%d %s: odown %s switch %s all %s write %s rejoin %s", fault, i+1, b.cfg.Trials, sys,
				opt(t.ODown, t.ODownOK), opt(t.Switch, t.SwitchOK), opt(t.AllAnswer, t.AllAnswerOK),
				opt(t.FirstWrite, t.FirstWriteOK), opt(t.Rejoin, t.RejoinOK))
		}
	}
	out := map[System]*FailoverResult{}
	for _, sys := range b.cfg.Systems {
		r := summarizeTrials(trials[sys])
		r.Errors = errs[sys]
		out[sys] = &r
	}
	return out
}

func opt(d time.Duration, ok bool) string {
	if !ok {
		return "-"
	}
	return ms(d) + "ms"
}
