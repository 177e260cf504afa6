package failover

import "errors"

// Named refusals of the failover engine; sentinelproto maps them to replies.
var (
	// ErrNoGoodSlave: no replica passes the selection rules (spec §6.8).
	ErrNoGoodSlave = errors.New("no suitable replica to promote")
	// ErrNotLeader: the engine only runs on the Raft leader.
	ErrNotLeader = errors.New("failover engine runs on the raft leader only")
	// ErrFenced: the state an action on Redis was decided on has changed
	// (guard.go).
	ErrFenced = errors.New("the recorded state changed since the action was decided")
)
