// Package view holds what a node observes and does not replicate: its own
// view of each Redis instance and of each peer node (design rule 3), and
// the vocabulary of observing: what the monitor is asked to watch (Target,
// PeerTarget) and Sentinel's hello messages (targets.go). The monitor
// writes the views; the protocol layer, the failover engine and policy read
// them through the small interfaces they declare. It imports nothing of
// raftinel, so readers never depend on the package that writes.
package view

import (
	"net"
	"strconv"
	"time"
)

// Instance is this node's own, fast-changing view of one Redis instance
// (design rule 3): it is never replicated and is shown in SENTINEL MASTER /
// REPLICAS as this node's view, as Sentinel does.
type Instance struct {
	Addr string // host:port as stored in the replicated state

	// Links.
	Connected       bool // probe and command link both up
	PendingCommands int  // commands awaiting a reply on the command link
	LastError       string

	// Liveness (spec §6.3/§6.4). Zero time = never.
	PingPendingSince time.Time // oldest unanswered PING, zero if none
	LastOKPing       time.Time // last valid reply (PONG, LOADING, MASTERDOWN)
	LastPingReply    time.Time // last reply of any kind
	SDown            bool
	SDownSince       time.Time
	// Reboot is Sentinel's master_reboot flag: the run id changed (with
	// master-reboot-down-after-period set) and no PONG came since.
	Reboot      bool
	RebootSince time.Time
	// PrevReplIDs are the master_replids a master reported before its
	// last run id changes (restarts), newest first. A Redis master that
	// restarts without persistence starts a new replication id, and its
	// replicas hold the history it had until they resync, which can take
	// seconds (repl-diskless-sync-delay): that history is still this
	// master's. Kept until later restarts push them out; replica selection
	// bounds their use through its link-down rule.
	PrevReplIDs ReplIDs

	// From the last INFO.
	InfoRefresh time.Time // when the last INFO arrived, zero = never
	InfoText    string
	RunID       string
	Role        string // "master" or "slave", "" before the first INFO
	RoleChanged time.Time
	ReplID      string // master_replid
	ReplOffset  int64  // master_repl_offset
	// Replica side of INFO replication.
	MasterHost             string // "" = unknown ("?" in replies)
	MasterPort             int
	MasterLinkUp           bool
	MasterLinkDownSinceSec int64 // master_link_down_since_seconds, 0 if up
	MasterLastIOSec        int64 // master_last_io_seconds_ago, -1 if unknown
	SlavePriority          int   // default 100
	SlaveReplOffset        int64
	ReplicaAnnounced       bool // default true
	// Master side: replicas listed in INFO (slaveN lines).
	ConnectedReplicas []ReplicaLine
}

// ReplicaLine is one `slaveN:ip=..,port=..,state=..,offset=..,lag=..` line.
type ReplicaLine struct {
	Host   string
	Port   int
	State  string
	Offset int64
	Lag    int64
}

// Addr renders the replica's address as host:port ([v6]:port).
func (r ReplicaLine) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// Peer is this node's view of another raftinel node, probed with PING on
// its Sentinel port like Sentinel probes its peers.
type Peer struct {
	ID               string
	Addr             string
	Connected        bool
	PingPendingSince time.Time
	LastOKPing       time.Time
	LastPingReply    time.Time
}

// ReplIDs are the earlier replication ids of a master, newest first
// (Instance.PrevReplIDs): enough for a master that restarted a few times
// in a row while its replicas were still waiting for their resync.
type ReplIDs [3]string

// Push records id as the newest earlier replication id, unless it is
// empty or already kept; the oldest falls out.
func (r *ReplIDs) Push(id string) {
	if id == "" || r.Has(id) {
		return
	}
	copy(r[1:], r[:len(r)-1])
	r[0] = id
}

// Has reports whether id is one of the kept replication ids.
func (r *ReplIDs) Has(id string) bool {
	for _, p := range r {
		if p != "" && p == id {
			return true
		}
	}
	return false
}
