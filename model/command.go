package model

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// LogVersion is the version of the log entry format this build writes, and
// the highest it reads. Every entry carries the version it was written in
// (Command.V). A node that meets an entry of a later version, an Op it does
// not know, or a field it cannot decode stops applying there (fsm.go)
// instead of skipping it: skipping would leave it with a different state
// from the nodes that applied it. Rolling upgrades (docs/operations.md): a
// release that introduces version N+1 writes it only once every member has
// registered that it reads N+1 (NodeInfo.LogVersion, ClusterLogVersion).
//
// Version 2 adds OpSetIf (with the fields Expect and Created). An entry is
// written in the lowest version that has its op and fields (version), so
// every other entry stays readable by version-1 nodes; the leader commits
// a version-2 entry only once every member reads it (Store.applyLocal).
const LogVersion = 2

// snapshotVersion is the version of the snapshot format (the State), which
// version 2 did not change: snapshots stay readable by version-1 nodes.
const SnapshotVersion = 1

// knownOps are the Ops this build applies.
var knownOps = map[Op]bool{
	OpSeed: true, OpMonitor: true, OpRemove: true, OpSet: true, OpReset: true,
	OpObserve: true, OpODown: true, OpAddReplica: true, OpFailoverStart: true,
	OpFailoverState: true, OpSwitchMaster: true, OpReconf: true, OpFailoverEnd: true,
	OpFailoverAbort: true, OpAnnounce: true, OpNode: true, OpConfig: true, OpSetIf: true,
}

// Op names one kind of log entry. Every change of replicated state is one of
// these; Apply (fsm.go) is the only code that interprets them.
type Op string

// Log entry kinds.
const (
	OpSeed          Op = "seed"           // config-file masters, applied once per cluster
	OpMonitor       Op = "monitor"        // SENTINEL MONITOR
	OpRemove        Op = "remove"         // SENTINEL REMOVE
	OpSet           Op = "set"            // SENTINEL SET (pairs, left to right)
	OpSetIf         Op = "set-if"         // a pending SENTINEL SET: compare-and-set (version 2, apply_setif.go)
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
	// V is the entry format version (LogVersion when written by this
	// build); 0 is an entry written before versions existed, read as 1.
	V      int    `json:"v,omitempty"`
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

	LogVersion int `json:"log_version,omitempty"` // node: the highest entry version the node reads

	// set-if (version 2): Expect has Pairs' shape (option, values ...) with
	// the values the proposer last saw committed; Created is the master
	// incarnation (Master.Created) the change was made for.
	Expect  []string `json:"expect,omitempty"`
	Created uint64   `json:"created,omitempty"`

	// Index is the entry's log index, set by the FSM before apply (never
	// encoded): the same on every node, so it may name things.
	Index uint64 `json:"-"`
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

// Encode serialises a command for the log, stamped with the version of its
// format (Version) unless it already carries one.
func (c *Command) Encode() ([]byte, error) {
	cc := *c
	if cc.V == 0 {
		cc.V = cc.Version()
	}
	return json.Marshal(&cc)
}

// Version is the lowest entry version that has c's op and fields: 2 for
// OpSetIf, 1 for everything else.
func (c *Command) Version() int {
	if c.Op == OpSetIf || len(c.Expect) > 0 || c.Created != 0 {
		return 2
	}
	return 1
}

// DecodeCommand parses a log entry. An entry this build cannot apply
// exactly as written (malformed, a later version, an unknown Op or an
// unknown field) is an error wrapping ErrUnknownEntry.
func DecodeCommand(b []byte) (*Command, error) {
	var c Command
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: cannot decode it (%v)", ErrUnknownEntry, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the entry", ErrUnknownEntry)
	}
	if c.V > LogVersion {
		return nil, fmt.Errorf("%w: entry version %d, this build reads up to %d", ErrUnknownEntry, c.V, LogVersion)
	}
	if !knownOps[c.Op] {
		return nil, fmt.Errorf("%w: unknown op %q", ErrUnknownEntry, c.Op)
	}
	return &c, nil
}
