package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/load"
)

// LossKind is what happens to the master while the writer writes.
type LossKind string

const (
	LossCrash     LossKind = "crash"     // kill -9, restarted once the failover is done
	LossManual    LossKind = "manual"    // SENTINEL FAILOVER mymaster
	LossPartition LossKind = "partition" // master cut from monitors and replicas, not from the writer
)

// ErrBlocked says a scenario cannot run on this machine.
var ErrBlocked = errors.New("blocked")

// LossResult is one run of a writer through a failure.
type LossResult struct {
	Run        time.Duration // how long the writer wrote
	Acked      int           // acknowledged writes
	Lost       int           // acknowledged writes missing from the final master
	Failed     int           // writes that got an error (not acknowledged)
	Switched   bool          // the monitors moved to another master
	Rejoined   bool          // the old master replicates from the final master at the end
	FinalIsOld bool          // the final master is the one the run started with
	Err        string        // why the run could not be made
}

// LostPct is Lost as a percentage of Acked.
func (r *LossResult) LostPct() float64 {
	if r == nil || r.Acked == 0 {
		return 0
	}
	return 100 * float64(r.Lost) / float64(r.Acked)
}

// lossPlan is the timing of one loss run.
type lossPlan struct {
	run     time.Duration // total writer time
	faultAt time.Duration // from the first acknowledged write
	cut     time.Duration // partition only
}

func (b *Bench) lossPlan(k LossKind) lossPlan {
	if k == LossPartition {
		return lossPlan{run: b.cfg.PartitionRun, faultAt: b.cfg.PartitionAt, cut: b.cfg.PartitionCut}
	}
	return lossPlan{run: b.cfg.LossRun, faultAt: b.cfg.LossRun / 4}
}

// lossRun runs the writer through one failure of kind k.
func (b *Bench) lossRun(sys System, k LossKind, dir string) (*LossResult, error) {
	plan := b.lossPlan(k)
	redisHosts, monHosts := hosts(3, "127.0.0.1"), hosts(3, "127.0.0.1")
	writerHost := ""
	var part *partition
	if k == LossPartition {
		p, err := openPartition()
		if err != nil {
			return nil, err
		}
		defer p.close()
		part = p
		redisHosts, monHosts, writerHost = p.addrs(3), p.addrs(3), p.addr()
	}
	e, err := b.startFailoverEnv(sys, dir, redisHosts, monHosts)
	if err != nil {
		return nil, err
	}
	defer e.close()
	old := e.set.master
	w := load.Start(load.Options{Sentinels: e.c.addrs(), Period: b.cfg.WritePeriod, Timeout: 500 * time.Millisecond, Source: writerHost, KeyPrefix: "bench:"})
	defer w.Stop()
	if err := waitUntil(10*time.Second, func() bool { return w.AckCount() > 0 }); err != nil {
		return nil, fmt.Errorf("writes through the failover client: %w", err)
	}
	start := time.Now()
	time.Sleep(plan.faultAt)
	switch k {
	case LossCrash:
		old.Kill()
		if err := waitUntil(b.cfg.TrialTimeout, func() bool { return e.newMaster() != nil }); err != nil {
			return nil, fmt.Errorf("failover after the crash: %w", err)
		}
		if err := old.Restart(); err != nil {
			return nil, fmt.Errorf("restarting the old master: %w", err)
		}
	case LossManual:
		if _, err := e.c.nodes[0].Do("SENTINEL", "FAILOVER", "mymaster"); err != nil {
			return nil, fmt.Errorf("SENTINEL FAILOVER: %w", err)
		}
	case LossPartition:
		if err := part.isolate(sys, old, e); err != nil {
			return nil, err
		}
		time.Sleep(plan.cut)
		if err := part.heal(); err != nil {
			return nil, err
		}
	}
	if rest := plan.run - time.Since(start); rest > 0 {
		time.Sleep(rest)
	}
	stopped := w.Stop()
	keys, failed := stopped.Keys(), len(stopped.Failures)
	res := &LossResult{Run: time.Since(start), Acked: len(keys), Failed: failed}
	// The final master: every monitor agrees on it and the others follow it.
	var final *harness.Redis
	err = waitUntil(b.cfg.TrialTimeout, func() bool {
		a := e.c.agreedMaster(context.Background(), "mymaster")
		final = e.set.byAddr(a)
		if final == nil {
			return false
		}
		for _, r := range e.set.all() {
			if r != final && !isReplicaOf(r, final) {
				return false
			}
		}
		return true
	})
	if final == nil {
		return nil, fmt.Errorf("no agreed master after the run: %w", err)
	}
	res.Switched, res.FinalIsOld = final != old, final == old
	res.Rejoined = final == old || isReplicaOf(old, final)
	lost, err := load.Missing(final.Addr(), keys)
	if err != nil {
		return nil, err
	}
	res.Lost = len(lost)
	return res, nil
}

// runLoss runs each kind once per system.
func (b *Bench) runLoss(kinds []LossKind) map[System]map[LossKind]*LossResult {
	out := map[System]map[LossKind]*LossResult{}
	for _, sys := range b.cfg.Systems {
		out[sys] = map[LossKind]*LossResult{}
	}
	for _, k := range kinds {
		for _, sys := range b.cfg.Systems {
			dir := filepath.Join(b.cfg.WorkDir, fmt.Sprintf("loss-%s-%s", k, sys))
			r, err := b.lossRun(sys, k, dir)
			if err != nil {
				b.logf("loss %s %s: %v", k, sys, err)
				r = &LossResult{Err: err.Error()}
			} else {
				b.logf("loss %s %s: acked %d lost %d (%.2f%%) failed %d switched %v rejoined %v",
					k, sys, r.Acked, r.Lost, r.LostPct(), r.Failed, r.Switched, r.Rejoined)
			}
			out[sys][k] = r
		}
	}
	return out
}
