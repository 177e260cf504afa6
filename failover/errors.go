package failover

import "errors"

// Named refusals of the failover engine; sentinelproto maps them to replies.
var (
	// ErrNoGoodSlave: no replica passes the selection rules (spec §6.8).
	ErrNoGoodSlave = errors.New("no suitable replica to promote")
	// ErrNotLeader: the engine only runs on the Raft leader.
	ErrNotLeader = errors.New("failover engine runs on the raft leader only")
)
