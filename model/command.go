package model

// LogVersion is the version of the log entry format this build writes, and
// the highest it reads. Every entry carries the version it was written in
// (Header.V). A node that meets an entry of a later version, an Op it does
// not know, or a field it cannot decode stops applying there (fsm.go)
// instead of skipping it: skipping would leave it with a different state
// from the nodes that applied it. Rolling upgrades (docs/operations.md): a
// release that introduces version N+1 writes it only once every member has
// registered that it reads N+1 (NodeInfo.LogVersion, ClusterLogVersion).
//
// Version 2 adds SetIf (OpSetIf, with the fields Expect and Created). An entry is
// written in the lowest version that has its op and fields (Version), so
// every other entry stays readable by version-1 nodes; the leader commits
// a version-2 entry only once every member reads it (Store.applyLocal).
const LogVersion = 2

// snapshotVersion is the version of the snapshot format (the State), which
// version 2 did not change: snapshots stay readable by version-1 nodes.
const SnapshotVersion = 1

// Op names one kind of log entry, as written in the log. Every change of
// replicated state is one of these, each its own Entry type below; Apply
// is the only code that interprets them.
type Op string

// Log entry kinds.
const (
	OpSeed          Op = "seed"           // SeedConfig
	OpMonitor       Op = "monitor"        // Monitor
	OpRemove        Op = "remove"         // Remove
	OpSet           Op = "set"            // Set
	OpSetIf         Op = "set-if"         // SetIf (version 2)
	OpReset         Op = "reset"          // Reset
	OpObserve       Op = "observe"        // Observe
	OpODown         Op = "odown"          // ODown
	OpAddReplica    Op = "add-replica"    // AddReplica
	OpFailoverStart Op = "failover-start" // FailoverStart
	OpFailoverState Op = "failover-state" // FailoverState
	OpSwitchMaster  Op = "switch-master"  // SwitchMaster
	OpReconf        Op = "reconf"         // Reconf
	OpFailoverEnd   Op = "failover-end"   // FailoverEnd
	OpFailoverAbort Op = "failover-abort" // FailoverAbort
	OpAnnounce      Op = "announce"       // Announce
	OpNode          Op = "node"           // RegisterNode
	OpConfig        Op = "config"         // ConfigSet
)

// Entry is one log entry: a pointer to one of the operation types below
// (the set is closed: the unexported method is theirs alone). Proposers
// build one, consensus encodes it (Encode) and Apply takes it back.
type Entry interface {
	// Op is the entry's kind, as written in the log.
	Op() Op
	// Head is the part every entry has.
	Head() *Header
	// fields is the entry in its log encoding (wire.go), Op and header
	// left to Encode.
	fields() wire
}

// Header is what every entry carries besides its operation.
type Header struct {
	Node string // proposing node's myid
	AtMs int64  // proposer's wall clock; Apply never reads a clock
	// V is the entry format version: 0 for an entry built by this node
	// (Encode writes Version), else the version it was written in (0 is
	// also an entry written before versions existed, read as 1).
	V int
	// Index is the entry's log index, set by the FSM before apply (never
	// encoded): the same on every node, so it may name things.
	Index uint64
}

// Head returns h; every entry type embeds a Header.
func (h *Header) Head() *Header { return h }

// SeedConfig is the config file's masters, applied once per cluster.
type SeedConfig struct {
	Header
	Seed *Seed
}

// Monitor is SENTINEL MONITOR. Pairs are the proposing node's defaults for
// a new master (option, value, ...; SENTINEL DEBUG default-*).
type Monitor struct {
	Header
	Master string
	Addr   Addr
	Quorum int
	Pairs  []string
}

// Remove is SENTINEL REMOVE.
type Remove struct {
	Header
	Master string
}

// Set is SENTINEL SET: option, value(s), ... applied left to right.
type Set struct {
	Header
	Master string
	Pairs  []string
}

// SetIf is a pending SENTINEL SET, a compare-and-set (entry version 2,
// apply_setif.go): Expect has Pairs' shape with the values the proposer
// last saw committed; Created is the master incarnation (Master.Created)
// the change was made for.
type SetIf struct {
	Header
	Master  string
	Pairs   []string
	Expect  []string
	Created uint64
}

// Reset is SENTINEL RESET <pattern>.
type Reset struct {
	Header
	Pattern string
}

// Observe is a node's (Header.Node) SDOWN transition for a master at Addr
// (zero: whatever address the master has).
type Observe struct {
	Header
	Master string
	Addr   Addr
	Down   bool
}

// ODown is the leader's ODOWN verdict; Agreeing is how many nodes agreed.
type ODown struct {
	Header
	Master   string
	Down     bool
	Agreeing int
}

// AddReplica is a replica learned from INFO.
type AddReplica struct {
	Header
	Master string
	Addr   Addr
}

// FailoverStart raises the epoch and records the candidate (its run id);
// a zero Candidate records an attempt that found none, Reason says why.
// Forced is SENTINEL FAILOVER.
type FailoverStart struct {
	Header
	Master    string
	Epoch     uint64
	Forced    bool
	Candidate Addr
	RunID     string
	Reason    string
}

// FailoverState is a step of the failover state machine.
type FailoverState struct {
	Header
	Master string
	Epoch  uint64
	State  string
}

// SwitchMaster is the candidate confirmed master: the new address.
type SwitchMaster struct {
	Header
	Master    string
	Epoch     uint64
	Addr      Addr
	Promotion *Promotion
}

// Reconf is one replica's re-pointing phase.
type Reconf struct {
	Header
	Master string
	Epoch  uint64
	Addr   Addr
	Phase  string
}

// FailoverEnd is a failover finished (or timed out).
type FailoverEnd struct {
	Header
	Master  string
	Epoch   uint64
	Timeout bool
}

// FailoverAbort is a failover aborted before the switch.
type FailoverAbort struct {
	Header
	Master string
	Epoch  uint64
	Reason string
}

// Announce is an event every node publishes; no state change.
type Announce struct {
	Header
	Master  string
	Channel string
	Payload string
}

// RegisterNode registers a node's myid (Header.Node) for its Raft address
// and the highest entry version it reads.
type RegisterNode struct {
	Header
	Addr       Addr
	LogVersion int
}

// ConfigSet is SENTINEL CONFIG SET of cluster-wide parameters (apply_config.go).
type ConfigSet struct {
	Header
	Pairs []string
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

// Version is the lowest entry version that has e's op and fields: 2 for
// SetIf, 1 for everything else.
func Version(e Entry) int {
	if _, ok := e.(*SetIf); ok {
		return 2
	}
	return 1
}

// MasterOf is the master an entry is about ("" for SeedConfig, Reset,
// RegisterNode, ConfigSet), for logs.
func MasterOf(e Entry) string { return e.fields().Master }

// EpochOf is the failover epoch a failover entry names (0 for the
// others), for logs.
func EpochOf(e Entry) uint64 { return e.fields().Epoch }
