package model

import "errors"

// Named errors: the vocabulary every writer of the replicated state shares.
// Each is defined once, here, and wrapped with %w where it is returned; the
// protocol layer maps them to Redis-style replies in one place
// (sentinelproto/errors.go).

// Refusals of Apply and of its inputs.
var (
	ErrNoSuchMaster       = errors.New("no such master with that name")
	ErrDuplicateMaster    = errors.New("duplicate master name")
	ErrInvalidPort        = errors.New("invalid port number")
	ErrInvalidQuorum      = errors.New("quorum must be 1 or greater")
	ErrInvalidSetting     = errors.New("invalid argument for SENTINEL SET")
	ErrUnknownSetting     = errors.New("unknown option or number of arguments for SENTINEL SET")
	ErrFailoverInProgress = errors.New("failover already in progress")
	// ErrEpochMismatch: a failover entry names an epoch that is not the
	// running failover's (the fence of a deposed leader's late proposal).
	ErrEpochMismatch = errors.New("failover epoch does not match")
	// ErrNotAReplica: a failover names a candidate the master does not have.
	ErrNotAReplica = errors.New("candidate is not a replica of the master")
	// ErrStepOutOfOrder: a failover step the running failover cannot take
	// now (a re-pointing before the switch, an abort after it, ...).
	ErrStepOutOfOrder = errors.New("failover step out of order")
	// ErrSetConflict: a conditional SENTINEL SET (SetIf) found a setting
	// changed since the proposer saw it, or the master monitored anew; it
	// changed nothing.
	ErrSetConflict    = errors.New("setting changed meanwhile")
	ErrUnknownCommand = errors.New("unknown log command")
	ErrUnknownEntry   = errors.New("log entry this node cannot apply")
)

// Refusals of a change proposed to the log (consensus): what a writer gets
// back besides Apply's own refusals.
var (
	ErrNotLeader = errors.New("not the raft leader")
	ErrNoLeader  = errors.New("no raft leader")
	ErrStale     = errors.New("no contact with a raft leader")
	ErrTimeout   = errors.New("timed out waiting for the log")
	// ErrRefused: the leader's own configuration refuses a forwarded change
	// (consensus/admit.go); ErrNoPerm: its ACL does. Both come as an *Error
	// whose Msg is the reply text.
	ErrRefused = errors.New("refused by the leader's configuration")
	ErrNoPerm  = errors.New("refused by the leader's ACL")
	// ErrLogVersion: an entry of a version some member does not read yet
	// (docs/operations.md, "Rolling upgrades").
	ErrLogVersion = errors.New("not every raft member reads this log entry version yet")
)

// Refusals of the failover engine.
var (
	// ErrNoGoodSlave: no replica passes the selection rules (spec §6.8).
	ErrNoGoodSlave = errors.New("no suitable replica to promote")
)
