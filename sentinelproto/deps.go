package sentinelproto

import (
	"context"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/userscript"
	"github.com/raftinel/raftinel/view"
)

// Cluster is what the protocol layer needs from consensus. It reads the
// replicated state and sends every change through the log; it never decides.
type Cluster interface {
	// Read runs f with the replicated state under a read lock. f must not
	// keep s or anything reachable from it after returning.
	Read(f func(s *model.State))
	// AwaitFresh returns nil when this node may answer address queries
	// (design rule 8), else an error wrapping consensus.ErrStale. While the
	// node is still catching up after a start or a stale period it waits,
	// at most raft-stale-after.
	AwaitFresh(ctx context.Context) error
	// Members returns the Raft configuration as this node knows it.
	Members() []model.Member
	// Apply commits a command through the log (forwarded to the leader when
	// this node is a follower) and returns once this node has applied it.
	Apply(ctx context.Context, e model.Entry) (model.Result, error)
	// Sync waits until this node has applied everything the leader had
	// applied when Sync was called (a read barrier before validating a
	// write against the state).
	Sync(ctx context.Context) error
	// Admin runs a RAFT subcommand: add <addr>, remove <addr|myid>,
	// snapshot, transfer-leadership.
	Admin(ctx context.Context, op, arg string) error
	// RaftInfo returns the fields of INFO's "# Raft" section, in order.
	RaftInfo() [][2]string
}

// Monitor is this node's local view of Redis instances and peers.
type Monitor interface {
	// Instance returns the view of addr monitored under master name.
	Instance(master, addr string) (view.Instance, bool)
	// Peer returns the view of another node by myid.
	Peer(id string) (view.Peer, bool)
}

// Scripts is the node's script runner (notification-script,
// client-reconfig-script), for PENDING-SCRIPTS and INFO.
type Scripts interface {
	Pending() []userscript.Job
	Counts() (running, queued int)
}

// LinkSettings keeps how this node talks to a master's instances: SENTINEL
// SET auth-user / auth-pass / rename-command change them on this node only,
// as in Sentinel, instead of going through the log.
type LinkSettings interface {
	// SetLinkSettings records validated option pairs (consensus.IsLinkSetting)
	// for the master incarnation created (consensus.Master.Created).
	SetLinkSettings(master string, created uint64, pairs []string) error
}

// PendingSettings keeps the SENTINEL SET changes of per-master settings
// that a node accepts while it has no contact with a Raft leader, with
// raft-serve-stale yes (node/pending.go): shown in this node's replies on
// top of the committed state, proposed as a conditional entry once the
// node is back in contact with a leader.
type PendingSettings interface {
	// SetPending records validated option pairs made by the ACL user for
	// m's incarnation; m is the master as committed on this node.
	SetPending(m *model.Master, user string, pairs []string) error
	// Overlay applies this node's pending changes of m's incarnation to m
	// (a copy).
	Overlay(m *model.Master)
	// Committed tells that this node committed pairs through the log for
	// the incarnation created: pending changes of those settings are
	// replaced.
	Committed(master string, created uint64, pairs []string)
	// PendingCount is the number of masters with pending changes.
	PendingCount() int
}

// Failover is the leader-side failover engine, reached through the cluster
// (SENTINEL FAILOVER is forwarded to the leader).
type Failover interface {
	// Manual starts a SENTINEL FAILOVER. Errors: consensus.ErrNoSuchMaster,
	// consensus.ErrFailoverInProgress, consensus.ErrNoGoodSlave.
	Manual(ctx context.Context, master string) error
}
