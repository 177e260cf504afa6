package model

import (
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
)

// Addr is an instance address as configured or as reported by Redis.
// A hostname stays a hostname: it is resolved when dialing, never replaced
// by an IP in replicated state.
type Addr struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

// String renders host:port ([v6]:port for IPv6 literals).
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// IsZero reports an unset address.
func (a Addr) IsZero() bool { return a.Host == "" && a.Port == 0 }

// ParseAddr parses host:port.
func ParseAddr(s string) (Addr, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return Addr{}, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return Addr{}, ErrInvalidPort
	}
	return Addr{Host: h, Port: port}, nil
}

// Settings are the per-master options of `sentinel monitor` / `SENTINEL SET`.
// Durations are milliseconds, as Sentinel shows them.
type Settings struct {
	Quorum                        int               `json:"quorum"`
	DownAfterMs                   int64             `json:"down_after_ms"`
	FailoverTimeoutMs             int64             `json:"failover_timeout_ms"`
	ParallelSyncs                 int               `json:"parallel_syncs"`
	AuthPass                      string            `json:"auth_pass,omitempty"`
	AuthUser                      string            `json:"auth_user,omitempty"`
	NotificationScript            string            `json:"notification_script,omitempty"`
	ClientReconfigScript          string            `json:"client_reconfig_script,omitempty"`
	RenameCommands                map[string]string `json:"rename_commands,omitempty"` // lower-case name -> new name
	MasterRebootDownAfterPeriodMs int64             `json:"master_reboot_down_after_period_ms,omitempty"`
}

// Observation is one node's latest committed opinion about a master.
type Observation struct {
	Down bool  `json:"down"`
	AtMs int64 `json:"at_ms"` // the observing node's wall clock, for display only
}

// Failover states, named as Sentinel names them in `failover-state`.
const (
	StateWaitStart        = "wait_start"
	StateSelectSlave      = "select_slave"
	StateSendSlaveofNoOne = "send_slaveof_noone"
	StateWaitPromotion    = "wait_promotion"
	StateReconfSlaves     = "reconf_slaves"
	StateUpdateConfig     = "update_config"
)

// Reconfiguration phases of one replica during reconf_slaves.
const (
	ReconfSent   = "sent"
	ReconfInprog = "inprog"
	ReconfDone   = "done"
)

// Failover is the committed progress of one failover. Every field changes
// only through log entries, so a new leader resumes from exactly here.
type Failover struct {
	Epoch         uint64            `json:"epoch"`
	State         string            `json:"state"`
	Forced        bool              `json:"forced,omitempty"`
	Leader        string            `json:"leader"` // myid of the node running it
	OldMaster     Addr              `json:"old_master"`
	Candidate     Addr              `json:"candidate"`
	CandidateRun  string            `json:"candidate_runid,omitempty"`
	StartMs       int64             `json:"start_ms"`
	StateChangeMs int64             `json:"state_change_ms"`
	Switched      bool              `json:"switched,omitempty"` // switch-master committed
	Reconf        map[string]string `json:"reconf,omitempty"`   // replica addr -> phase
	ReconfSentMs  map[string]int64  `json:"reconf_sent_ms,omitempty"`
}

// Promotion is the history of one completed promotion (design rule 10).
type Promotion struct {
	Epoch  uint64 `json:"epoch"`
	Addr   Addr   `json:"addr"`
	RunID  string `json:"runid,omitempty"`
	ReplID string `json:"replid,omitempty"`
	Offset int64  `json:"offset"`
	AtMs   int64  `json:"at_ms"`
}

// Master is one monitored master as the cluster agreed it.
type Master struct {
	Name string `json:"name"`
	Addr Addr   `json:"addr"` // the current master
	Settings
	// Created is the log index of the entry that started monitoring it
	// (MONITOR or the config-file seed): a master removed and monitored
	// again under the same name is another one (node-local link settings
	// name it by this).
	Created     uint64 `json:"created,omitempty"`
	ConfigEpoch uint64 `json:"config_epoch"`
	LeaderEpoch uint64 `json:"leader_epoch"`
	Leader      string `json:"leader,omitempty"` // node that ran the last failover
	// Replicas are the known replicas (never the master itself), sorted.
	Replicas []Addr `json:"replicas,omitempty"`
	// Observations by node myid; only the latest per node is kept.
	Observations map[string]Observation `json:"observations,omitempty"`
	ODown        bool                   `json:"odown,omitempty"`
	ODownSinceMs int64                  `json:"odown_since_ms,omitempty"`
	Failover     *Failover              `json:"failover,omitempty"`
	// LastFailoverStartMs is when the last failover started (2x timeout rule).
	LastFailoverStartMs int64 `json:"last_failover_start_ms,omitempty"`
	// LastAbort is the reason of the last refused/aborted failover, for INFO.
	LastAbort string      `json:"last_abort,omitempty"`
	History   []Promotion `json:"history,omitempty"`
}

// HasReplica reports whether a is a known replica.
func (m *Master) HasReplica(a Addr) bool {
	for _, r := range m.Replicas {
		if r == a {
			return true
		}
	}
	return false
}

// State is the whole replicated state. It is only mutated by the FSM.
type State struct {
	// Seeded is set by the first seed entry: config-file masters are applied
	// once per cluster; afterwards the replicated state wins.
	Seeded       bool               `json:"seeded"`
	CurrentEpoch uint64             `json:"current_epoch"`
	Masters      map[string]*Master `json:"masters"`
	// Nodes maps a Raft server ID (the node's announced address) to the
	// node's identity, registered by each node through the log.
	Nodes map[string]NodeInfo `json:"nodes,omitempty"`
	// Config holds the cluster-wide SENTINEL CONFIG values set through
	// the log (apply_config.go); a parameter absent here takes each
	// node's config-file value.
	Config map[string]string `json:"config,omitempty"`
}

// NodeInfo is a raftinel node's identity as it registered itself.
type NodeInfo struct {
	MyID string `json:"myid"`
	Addr string `json:"addr"`
	// LogVersion is the highest log entry version the node reads (0: a
	// node from before versions, which reads 1).
	LogVersion int `json:"log_version,omitempty"`
}

// NodeByID finds a registered node by myid.
func (s *State) NodeByID(myid string) (NodeInfo, bool) {
	for _, n := range s.Nodes {
		if n.MyID == myid {
			return n, true
		}
	}
	return NodeInfo{}, false
}

// NewState returns an empty state.
func NewState() *State { return &State{Masters: map[string]*Master{}, Nodes: map[string]NodeInfo{}} }

// MasterNames returns the master names in the order MASTERS lists them
// (sorted; Sentinel uses its dict order, which is unspecified).
func (s *State) MasterNames() []string {
	names := make([]string, 0, len(s.Masters))
	for n := range s.Masters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MasterByAddr finds a master by its current address.
func (s *State) MasterByAddr(a Addr) *Master {
	for _, n := range s.MasterNames() {
		if m := s.Masters[n]; m.Addr == a {
			return m
		}
	}
	return nil
}

// Clone returns a deep copy, for readers that act on a master after
// releasing the state lock.
func (m *Master) Clone() *Master {
	c := *m
	c.Replicas = slices.Clone(m.Replicas)
	c.History = slices.Clone(m.History)
	c.RenameCommands = maps.Clone(m.RenameCommands)
	c.Observations = maps.Clone(m.Observations)
	if m.Failover != nil {
		f := *m.Failover
		f.Reconf = maps.Clone(m.Failover.Reconf)
		f.ReconfSentMs = maps.Clone(m.Failover.ReconfSentMs)
		c.Failover = &f
	}
	return &c
}
