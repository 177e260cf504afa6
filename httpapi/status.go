package httpapi

// Status is what /v1/status returns: this node's view of the cluster and of
// every monitored master. The replicated parts (addresses, replicas, epochs,
// ODOWN, failover progress) are the same on every node; the rest (SDOWN,
// links, offsets) is this node's own view, as in Sentinel's replies.
type Status struct {
	Node    NodeStatus     `json:"node"`
	Raft    RaftStatus     `json:"raft"`
	Masters []MasterStatus `json:"masters"`
}

// NodeStatus identifies the node that answers.
type NodeStatus struct {
	MyID    string `json:"myid"`
	Addr    string `json:"addr"`
	Version string `json:"version"`
}

// RaftStatus is the node's Raft state.
type RaftStatus struct {
	State         string   `json:"state"` // leader|follower|candidate|shutdown
	Leader        string   `json:"leader"`
	Term          uint64   `json:"term"`
	AppliedIndex  uint64   `json:"applied_index"`
	CommitIndex   uint64   `json:"commit_index"`
	LastContactMs int64    `json:"last_contact_ms"` // 0 on the leader, -1 never
	Fresh         bool     `json:"fresh"`
	Members       []Member `json:"members"`
}

// Member is one Raft voter or non-voter.
type Member struct {
	ID     string `json:"id"`
	Addr   string `json:"addr"`
	Voter  bool   `json:"voter"`
	Leader bool   `json:"leader"`
	Self   bool   `json:"self"`
}

// Master statuses, worst first.
const (
	MasterOK    = "ok"
	MasterSDown = "sdown" // this node sees it down
	MasterODown = "odown" // the cluster agreed it is down
)

// MasterStatus is one monitored master.
type MasterStatus struct {
	Name        string           `json:"name"`
	Addr        string           `json:"addr"`
	Status      string           `json:"status"` // ok|sdown|odown
	Flags       []string         `json:"flags"`
	Quorum      int              `json:"quorum"`
	ConfigEpoch uint64           `json:"config_epoch"`
	Instance    InstanceStatus   `json:"instance"`
	Replicas    []InstanceStatus `json:"replicas"`
	Failover    *FailoverStatus  `json:"failover,omitempty"`
	LastAbort   string           `json:"last_abort,omitempty"`
}

// InstanceStatus is this node's view of one Redis instance.
type InstanceStatus struct {
	Addr       string   `json:"addr"`
	Flags      []string `json:"flags"`
	Role       string   `json:"role,omitempty"` // from the last INFO
	ReplOffset int64    `json:"repl_offset"`
	LastOKMs   int64    `json:"last_ok_ping_ms"` // -1 never
	LastError  string   `json:"last_error,omitempty"`
}

// FailoverStatus is the committed progress of a running failover.
type FailoverStatus struct {
	Epoch     uint64 `json:"epoch"`
	State     string `json:"state"`
	Candidate string `json:"candidate"`
	Forced    bool   `json:"forced,omitempty"`
	StartMs   int64  `json:"start_ms"`
	Switched  bool   `json:"switched"`
}
