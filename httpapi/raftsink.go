package httpapi

import (
	"sync"

	metrics "github.com/hashicorp/go-metrics/compat"
)

// hashicorp/raft reports its timings to the process-wide go-metrics sink.
// raftSink keeps two of them as Prometheus histograms: the leader's commit
// time of an entry (raft.commitTime) and the FSM apply time (raft.fsm.apply).
// The sink is process-wide, like go-metrics itself.
type raftSink struct {
	commit, apply *histogram
}

var (
	raftSinkOnce sync.Once
	raftTimings  = &raftSink{
		commit: newHistogram(latencyBuckets),
		apply:  newHistogram(latencyBuckets),
	}
	descRaftCommit = desc{"raftinel_raft_commit_seconds",
		"Leader: time from dispatching a log entry to its commit (hashicorp/raft raft.commitTime)."}
	descRaftApply = desc{"raftinel_raft_fsm_apply_seconds",
		"Time to apply one committed entry to the state (hashicorp/raft raft.fsm.apply)."}
	latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
)

// installRaftSink routes hashicorp/raft's timings to raftTimings, once per
// process. Runtime metrics and hostname prefixes are off: only the two
// samples above are kept, everything else is dropped.
func installRaftSink() {
	raftSinkOnce.Do(func() {
		conf := metrics.DefaultConfig("")
		conf.EnableHostname = false
		conf.EnableHostnameLabel = false
		conf.EnableRuntimeMetrics = false
		_, _ = metrics.NewGlobal(conf, raftTimings)
	})
}

func (s *raftSink) AddSample(key []string, val float32) { s.AddSampleWithLabels(key, val, nil) }

// AddSampleWithLabels receives timings in milliseconds (go-metrics' default
// TimerGranularity).
func (s *raftSink) AddSampleWithLabels(key []string, val float32, _ []metrics.Label) {
	var h *histogram
	switch {
	case hasSuffix(key, "raft", "commitTime"):
		h = s.commit
	case hasSuffix(key, "raft", "fsm", "apply"):
		h = s.apply
	default:
		return
	}
	h.Observe(float64(val) / 1000)
}

func (s *raftSink) write(e *exposition) {
	e.histogram(descRaftCommit, s.commit)
	e.histogram(descRaftApply, s.apply)
}

func (*raftSink) SetGauge([]string, float32)                               {}
func (*raftSink) SetGaugeWithLabels([]string, float32, []metrics.Label)    {}
func (*raftSink) EmitKey([]string, float32)                                {}
func (*raftSink) IncrCounter([]string, float32)                            {}
func (*raftSink) IncrCounterWithLabels([]string, float32, []metrics.Label) {}

func hasSuffix(key []string, suffix ...string) bool {
	if len(key) < len(suffix) {
		return false
	}
	off := len(key) - len(suffix)
	for i, s := range suffix {
		if key[off+i] != s {
			return false
		}
	}
	return true
}
