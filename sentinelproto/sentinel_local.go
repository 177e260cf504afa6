package sentinelproto

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/model"
)

// Node-local SENTINEL subcommands: CONFIG, DEBUG, SIMULATE-FAILURE and
// IS-MASTER-DOWN-BY-ADDR. Their state lives in this process only, as in
// Sentinel, and is not written back to the config file (raftinel never
// rewrites it): a restart returns to the file's values.

// globalConfig are the SENTINEL CONFIG parameters.
type globalConfig struct {
	resolveHostnames, announceHostnames bool
	announceIP                          string
	announcePort                        int
	sentinelUser, sentinelPass          string
	logLevel                            string // debug|verbose|notice|warning|nothing
}

// vote is this node's IS-MASTER-DOWN-BY-ADDR answer for one master.
type vote struct {
	leader string
	epoch  uint64
}

type localState struct {
	mu         sync.Mutex
	cfg        globalConfig
	debug      []debugParam
	votes      map[string]vote // by master name
	seenEpoch  uint64          // highest epoch announced by +new-epoch for a vote request
	simFailure atomic.Int64    // SIMULATE-FAILURE flags, INFO sentinel_simulate_failure_flags
}

// debugParam is one SENTINEL DEBUG timer (ms).
type debugParam struct {
	name  string // lower case, as set
	value int64
}

func newLocalState(c *config.Config) *localState {
	l := &localState{votes: map[string]vote{}}
	l.cfg = globalConfig{
		resolveHostnames: c.ResolveHostnames, announceHostnames: c.AnnounceHostnames,
		announceIP: c.AnnounceIP, announcePort: c.AnnouncePort,
		sentinelUser: c.SentinelUser, sentinelPass: c.SentinelPass, logLevel: strings.ToLower(c.LogLevel),
	}
	if l.cfg.logLevel == "" {
		l.cfg.logLevel = "notice"
	}
	info, ping := int64(10000), int64(1000)
	if c.Monitor.InfoPeriod > 0 {
		info = c.Monitor.InfoPeriod.Milliseconds()
	}
	if c.Monitor.PingPeriod > 0 {
		ping = c.Monitor.PingPeriod.Milliseconds()
	}
	l.debug = []debugParam{
		{"info-period", info}, {"ping-period", ping}, {"ask-period", 1000}, {"publish-period", 2000},
		{"default-down-after", 30000}, {"default-failover-timeout", 180000}, {"tilt-trigger", 2000},
		{"tilt-period", 30000}, {"slave-reconf-timeout", 10000}, {"min-link-reconnect-period", 15000},
		{"election-timeout", 10000}, {"script-max-runtime", 60000}, {"script-retry-delay", 30000},
	}
	return l
}

func (l *localState) get() globalConfig {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

// monitorDefaults are the settings a master created by SENTINEL MONITOR on
// this node starts with when SENTINEL DEBUG default-down-after or
// default-failover-timeout changed them (Sentinel creates masters with its
// own defaults); nil with the built-in defaults.
func (l *localState) monitorDefaults() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var pairs []string
	def := model.DefaultSettings(1)
	for _, p := range l.debug {
		switch {
		case p.name == "default-down-after" && p.value != def.DownAfterMs:
			pairs = append(pairs, "down-after-milliseconds", strconv.FormatInt(p.value, 10))
		case p.name == "default-failover-timeout" && p.value != def.FailoverTimeoutMs:
			pairs = append(pairs, "failover-timeout", strconv.FormatInt(p.value, 10))
		}
	}
	return pairs
}

// SENTINEL DEBUG [<param> <value> ...]: shows or sets the timers. Values
// are kept and shown; Options.OnDebug applies those raftinel has
// (docs/divergence.md lists which).
func cmdSentinelDebug(x *cmdCtx) {
	l := x.s.local
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(x.args) == 2 {
		x.r.mapLen(len(l.debug))
		for _, p := range l.debug {
			x.r.bulk(strings.ToUpper(p.name))
			x.r.bulkInt(p.value)
		}
		return
	}
	for j := 2; j < len(x.args); j++ {
		opt := x.arg(j)
		idx := -1
		for i, p := range l.debug {
			if strings.EqualFold(p.name, opt) {
				idx = i
			}
		}
		if idx < 0 || j+1 >= len(x.args) {
			x.r.err("ERR Unknown option or number of arguments for SENTINEL DEBUG '" + opt + "'")
			return
		}
		j++
		n, ok := parseLong(x.args[j])
		if !ok || n <= 0 {
			x.r.err("ERR Invalid argument '" + x.arg(j) + "' for SENTINEL DEBUG '" + opt + "'")
			return
		}
		l.debug[idx].value = n
		if x.s.o.OnDebug != nil {
			x.s.o.OnDebug(l.debug[idx].name, n)
		}
	}
	x.r.ok()
}

// Failure simulation flags, as Sentinel numbers them.
const (
	simCrashAfterElection  = 1 << 0
	simCrashAfterPromotion = 1 << 1
)

// SENTINEL SIMULATE-FAILURE <flag> ...: flags are kept (INFO shows them);
// acting on them is the failover engine's business.
func cmdSentinelSimulateFailure(x *cmdCtx) {
	flags := int64(0)
	defer func() { x.s.local.simFailure.Store(flags) }()
	for j := 2; j < len(x.args); j++ {
		switch {
		case x.argIs(j, "crash-after-election"):
			flags |= simCrashAfterElection
		case x.argIs(j, "crash-after-promotion"):
			flags |= simCrashAfterPromotion
		case x.argIs(j, "help"):
			x.r.bulks([]string{"crash-after-election", "crash-after-promotion"})
			return
		default:
			x.r.err("ERR Unknown failure simulation specified")
			return
		}
	}
	x.r.ok()
}

// SENTINEL IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid|*>
//
// down is this node's SDOWN view of the master found by address. With a run
// id the caller asks for a vote: this node remembers one vote per master,
// replaced only by a request for a higher epoch that is not below the
// replicated current epoch, and answers the vote it holds (Sentinel's rule,
// kept in memory only: raftinel's own failovers are decided by Raft).
func cmdSentinelIsMasterDown(x *cmdCtx) {
	port, ok1 := parseLong(x.args[3])
	epoch, ok2 := parseLong(x.args[4])
	if !ok1 || !ok2 {
		x.r.err(errTextNotInteger)
		return
	}
	var m *model.Master
	var current uint64
	x.s.o.Cluster.Read(func(st *model.State) {
		current = st.CurrentEpoch
		if port >= 0 && port <= 65535 {
			if mm := st.MasterByAddr(model.Addr{Host: x.arg(2), Port: int(port)}); mm != nil {
				m = copyMaster(mm)
			}
		}
	})
	down, leader, leaderEpoch := int64(0), "*", uint64(0)
	if m != nil {
		if v, ok := x.s.view(m.Name, m.Addr); ok && v.SDown {
			if tilted, _ := x.s.tilt(); !tilted { // Sentinel answers 0 in TILT
				down = 1
			}
		}
		if x.arg(5) != "*" {
			req := uint64(epoch) // Sentinel casts the same way
			l := x.s.local
			l.mu.Lock()
			var events [][2]string
			if req > current && req > l.seenEpoch {
				l.seenEpoch = req
				events = append(events, [2]string{"+new-epoch", strconv.FormatUint(req, 10)})
			}
			v := l.votes[m.Name]
			if v.epoch < req && current <= req {
				v = vote{leader: x.arg(5), epoch: req}
				l.votes[m.Name] = v
				events = append(events, [2]string{"+vote-for-leader", v.leader + " " + strconv.FormatUint(req, 10)})
			}
			l.mu.Unlock()
			for _, e := range events { // this node's own, like the vote (docs/divergence.md)
				x.s.Publish(e[0], e[1])
			}
			if v.leader != "" {
				leader = v.leader
			}
			leaderEpoch = v.epoch
		}
	}
	x.r.array(3)
	x.r.int(down)
	x.r.bulk(leader)
	x.r.int(int64(leaderEpoch))
}

// SimulateFailureFlags returns the SENTINEL SIMULATE-FAILURE flags
// (1 = crash-after-election, 2 = crash-after-promotion) for the failover
// engine, which acts on them.
func (s *Server) SimulateFailureFlags() int64 { return s.local.simFailure.Load() }
