package failover

import (
	"context"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// Cluster is what the engine needs from consensus.
type Cluster interface {
	Read(fn func(*model.State))
	// StateVersion changes whenever the replicated state does: the idle
	// tick reuses its copies of the masters while it stays the same.
	StateVersion() uint64
	Apply(ctx context.Context, e model.Entry) (model.Result, error)
	// ApplyBatch commits entries in their order, each accepted or refused
	// on its own (leader only; starts.go).
	ApplyBatch(ctx context.Context, es []model.Entry) ([]model.Result, []error)
	IsLeader() bool
	VerifyLeader() error
	// Term is the current Raft term (guard.go: an action belongs to the
	// term its leader began leading in).
	Term() uint64
	Barrier(timeout time.Duration) error
	Members() []model.Member
}

// Redis is what the engine needs from the monitor: this node's view of
// instances and the links to act on them.
type Redis interface {
	Instance(master, addr string) (view.Instance, bool)
	// SilentSince is when this node's silence from an instance began, as
	// its SDOWN rule counts it (zero: nothing outstanding); the idle
	// evaluation reads only this of the master (Suspected).
	SilentSince(master, addr string) (time.Time, bool)
	RefreshInfo(ctx context.Context, master, addr string) (view.Instance, error)
	Transaction(ctx context.Context, master, addr string, cmds ...[]string) error
	Do(ctx context.Context, master, addr string, args ...string) (any, error)
	SetFastInfo(master string, on bool)
}
