package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/redislog"
)

// Scenario names accepted by Config.Scenarios.
const (
	ScenarioKill          = "kill"
	ScenarioStop          = "stop"
	ScenarioLossCrash     = "loss-crash"
	ScenarioLossManual    = "loss-manual"
	ScenarioLossPartition = "loss-partition"
	ScenarioThroughput    = "throughput"
	ScenarioFootprint     = "footprint"
	ScenarioBootstrap     = "bootstrap"
	ScenarioScale         = "scale"
)

// AllScenarios in the order they run.
var AllScenarios = []string{ScenarioKill, ScenarioStop, ScenarioLossCrash, ScenarioLossManual,
	ScenarioThroughput, ScenarioFootprint, ScenarioBootstrap, ScenarioScale, ScenarioLossPartition}

// ErrConfig is a bad Config.
var ErrConfig = errors.New("bench: bad configuration")

// Config is one benchmark run. Zero durations and counts take Defaults'.
type Config struct {
	RaftinelBin  string   // raftinel binary
	SentinelBin  string   // redis-sentinel, or redis-server with SentinelArgs ["--sentinel"]
	SentinelArgs []string // after the config path
	BenchmarkBin string   // redis-benchmark
	WorkDir      string   // data dirs and logs of every process
	Systems      []System
	Scenarios    []string

	Trials          int           // failover trials per system and fault
	DownAfter       time.Duration // down-after-milliseconds
	FailoverTimeout time.Duration // failover-timeout
	Quorum          int
	Settle          time.Duration // quiet time before a fault or a measurement
	TrialTimeout    time.Duration // bound of every wait inside a trial
	Rejoin          bool          // measure the old master's return

	WritePeriod  time.Duration // loss runs: pause between writes
	LossRun      time.Duration // crash and manual runs (the fault at a quarter)
	PartitionRun time.Duration
	PartitionAt  time.Duration // from the first acknowledged write
	PartitionCut time.Duration

	Requests int // redis-benchmark -n (GET-MASTER-ADDR-BY-NAME; REPLICAS half, INFO a quarter)
	Clients  int // redis-benchmark -c
	Runs     int // repetitions of every throughput, footprint, bootstrap and scale figure

	Masters            []int         // footprint: master counts, replica-less
	ReplicatedMasters  int           // footprint: one more case with 2 replicas per master (0 = none)
	MaxServers         int           // footprint: real redis-servers at most
	SentinelMaxMasters int           // footprint: counts above run raftinel only (0 = none)
	EqualPing          time.Duration // footprint: also run raftinel with this ping-period (Sentinel's 1 s; 0 = not)
	EqualHeartbeat     time.Duration // footprint: and with that ping-period and this raft-heartbeat-timeout (hashicorp/raft's default 1 s; 0 = not)
	IdleWindow         time.Duration
	ReadyTimeout       time.Duration

	ScaleMasters   int           // scale: masters (3 replicas each)
	ScaleRealSets  int           // scale: of them, real redis-server sets (the rest simulated)
	ScalePing      time.Duration // scale: raftinel's ping-period
	ScaleDownAfter time.Duration // scale: down-after-milliseconds

	RaftinelLines []string  // extra raftinel-only config lines
	Progress      io.Writer // one line per trial; nil = quiet
}

// Defaults are the settings of the published figures.
func Defaults() Config {
	return Config{
		Systems: []System{Raftinel, Sentinel}, Scenarios: AllScenarios,
		Trials: 10, DownAfter: time.Second, FailoverTimeout: 10 * time.Second, Quorum: 2,
		Settle: 2 * time.Second, TrialTimeout: 30 * time.Second, Rejoin: true,
		WritePeriod: time.Millisecond, LossRun: 20 * time.Second,
		PartitionRun: 60 * time.Second, PartitionAt: 10 * time.Second, PartitionCut: 10 * time.Second,
		Requests: 200000, Clients: 50, Runs: 3,
		Masters: []int{1, 100}, ReplicatedMasters: 100, MaxServers: 300, EqualPing: time.Second, EqualHeartbeat: time.Second,
		IdleWindow: 15 * time.Second, ReadyTimeout: 60 * time.Second,
		ScaleMasters: 1000, ScaleRealSets: 33, ScalePing: time.Second, ScaleDownAfter: 3 * time.Second,
	}
}

// Bench runs scenarios with one Config.
type Bench struct {
	cfg    Config
	secret string // raft-secret of every raftinel cluster of the run
}

// Results holds every figure of a run.
type Results struct {
	Meta       Meta
	Scenarios  []string
	Failover   map[Fault]map[System]*FailoverResult
	Loss       map[System]map[LossKind]*LossResult
	Throughput []*ThroughputRuns
	Footprint  map[System][]*FootprintResult
	Bootstrap  *BootstrapResult
	Scale      *ScaleResult
	Config     Config
}

// Meta describes the machine and the versions.
type Meta struct {
	Start    time.Time
	Took     time.Duration
	CPUs     int
	CPUModel string
	Versions []string  // "raftinel ...", "redis-sentinel ...", "go ..."
	LoadAvg  [2]string // /proc/loadavg at the start and at the end
}

// Run runs the configured scenarios.
func Run(cfg Config) (*Results, error) {
	if cfg.RaftinelBin == "" || cfg.SentinelBin == "" || cfg.WorkDir == "" {
		return nil, fmt.Errorf("%w: RaftinelBin, SentinelBin and WorkDir are required", ErrConfig)
	}
	for _, s := range cfg.Scenarios {
		if !contains(AllScenarios, s) {
			return nil, fmt.Errorf("%w: unknown scenario %q (known: %s)", ErrConfig, s, strings.Join(AllScenarios, ", "))
		}
	}
	if contains(cfg.Scenarios, ScenarioThroughput) && cfg.BenchmarkBin == "" {
		return nil, fmt.Errorf("%w: the throughput scenario needs redis-benchmark", ErrConfig)
	}
	redislog.Silence()
	b := &Bench{cfg: cfg, secret: randomHex(16)}
	res := &Results{Meta: b.meta(), Scenarios: cfg.Scenarios, Config: cfg,
		Failover: map[Fault]map[System]*FailoverResult{}}
	var kinds []LossKind
	for _, s := range AllScenarios { // fixed order
		if !contains(cfg.Scenarios, s) {
			continue
		}
		switch s {
		case ScenarioKill:
			res.Failover[FaultKill] = b.runFailover(FaultKill)
		case ScenarioStop:
			res.Failover[FaultStop] = b.runFailover(FaultStop)
		case ScenarioLossCrash:
			kinds = append(kinds, LossCrash)
		case ScenarioLossManual:
			kinds = append(kinds, LossManual)
		case ScenarioLossPartition:
			kinds = append(kinds, LossPartition)
		case ScenarioThroughput:
			res.Throughput = b.runThroughput()
		case ScenarioFootprint:
			res.Footprint = b.runFootprint()
		case ScenarioBootstrap:
			if contains(cfg.Systems, Raftinel) {
				res.Bootstrap = b.runBootstrap()
			}
		case ScenarioScale:
			if contains(cfg.Systems, Raftinel) {
				res.Scale = b.runScale()
			}
		}
	}
	if len(kinds) > 0 {
		res.Loss = b.runLoss(kinds)
	}
	res.Meta.Took = time.Since(res.Meta.Start)
	res.Meta.LoadAvg[1] = loadAvg()
	return res, nil
}

func (b *Bench) logf(format string, args ...any) {
	if b.cfg.Progress != nil {
		fmt.Fprintf(b.cfg.Progress, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
}

func (b *Bench) meta() Meta {
	m := Meta{Start: time.Now(), CPUs: runtime.NumCPU(), CPUModel: cpuModel(), LoadAvg: [2]string{loadAvg()}}
	version := func(bin string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, args...).Output()
		if err != nil {
			return bin + ": " + err.Error()
		}
		return strings.TrimSpace(string(out))
	}
	m.Versions = []string{
		version(b.cfg.RaftinelBin, "--version"),
		"redis-sentinel: " + version(b.cfg.SentinelBin, "--version"),
		runtime.Version() + " (bench)",
	}
	return m
}

// loadAvg is the 1, 5 and 15 minute load averages: other work on the
// machine during a run shows here.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
