package consensus

import (
	"encoding/json"
	"fmt"
)

// Op names one kind of log entry. Every change of replicated state is one of
// these; Apply (fsm.go) is the only code that interprets them.
type Op string

// Log entry kinds.
const (
	OpSeed          Op = "seed"           // config-file masters, applied once per cluster
	OpMonitor       Op = "monitor"        // SENTINEL MONITOR
	OpRemove        Op = "remove"         // SENTINEL REMOVE
	OpSet           Op = "set"            // SENTINEL SET (pairs, left to right)
	OpReset         Op = "reset"          // SENTINEL RESET <pattern>
	OpObserve       Op = "observe"        // a node's SDOWN transition for a master
	OpODown         Op = "odown"          // the leader's ODOWN verdict
	OpAddReplica    Op = "add-replica"    // a replica learned from INFO
	OpFailoverStart Op = "failover-start" // epoch raised, candidate chosen
	OpFailoverState Op = "failover-state" // a step of the failover state machine
	OpSwitchMaster  Op = "switch-master"  // candidate confirmed master: the new address
	OpReconf        Op = "reconf"         // one replica's re-pointing phase
	OpFailoverEnd   Op = "failover-end"   // failover finished (or timed out)
	OpFailoverAbort Op = "failover-abort" // failover aborted before the switch
	OpAnnounce      Op = "announce"       // an event every node publishes, no state change
	OpNode          Op = "node"           // a node registers its myid for its Raft address
)

// Command is one log entry. Only the fields of its Op are set.
type Command struct {
	Op     Op     `json:"op"`
	AtMs   int64  `json:"at,omitempty"`   // proposer's wall clock; Apply never reads a clock
	Node   string `json:"node,omitempty"` // proposing node's myid
	Master string `json:"master,omitempty"`

	Addr     Addr     `json:"addr,omitempty"`     // monitor / add-replica / switch-master / reconf
	Quorum   int      `json:"quorum,omitempty"`   // monitor
	Pairs    []string `json:"pairs,omitempty"`    // set, config: option, value, ...; monitor: initial settings
	Pattern  string   `json:"pattern,omitempty"`  // reset
	Down     bool     `json:"down,omitempty"`     // observe / odown
	Agreeing int      `json:"agreeing,omitempty"` // odown: nodes agreeing

	Epoch     uint64     `json:"epoch,omitempty"`     // failover-*: the failover epoch
	State     string     `json:"state,omitempty"`     // failover-state
	Forced    bool       `json:"forced,omitempty"`    // failover-start (SENTINEL FAILOVER)
	Candidate Addr       `json:"candidate,omitempty"` // failover-start
	RunID     string     `json:"runid,omitempty"`     // failover-start / switch-master
	Promotion *Promotion `json:"promotion,omitempty"` // switch-master
	Phase     string     `json:"phase,omitempty"`     // reconf
	Timeout   bool       `json:"timeout,omitempty"`   // failover-end
	Reason    string     `json:"reason,omitempty"`    // failover-abort
	Channel   string     `json:"channel,omitempty"`   // announce
	Payload   string     `json:"payload,omitempty"`   // announce

	Seed *Seed `json:"seed,omitempty"`
}

// Seed is the config file's view of the world, applied once per cluster.
type Seed struct {
	CurrentEpoch uint64       `json:"current_epoch"`
	Masters      []SeedMaster `json:"masters"`
}

// SeedMaster is one `sentinel monitor` block of the config file.
type SeedMaster struct {
	Name string `json:"name"`
	Addr Addr   `json:"addr"`
	Settings
	ConfigEpoch uint64 `json:"config_epoch,omitempty"`
	Replicas    []Addr `json:"replicas,omitempty"`
}

// Result is what Apply returns for a committed entry.
type Result struct {
	Index uint64 // log index of the entry
	Value int64  // op specific: RESET count
}

// Encode serialises a command for the log.
func (c *Command) Encode() ([]byte, error) { return json.Marshal(c) }

// DecodeCommand parses a log entry.
func DecodeCommand(b []byte) (*Command, error) {
	var c Command
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode log entry: %w", err)
	}
	return &c, nil
}
