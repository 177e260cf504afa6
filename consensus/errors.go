package consensus

import "errors"

// Named errors. sentinelproto maps them to Redis-style replies in one place
// (sentinelproto/errors.go); everything else wraps them with %w.
var (
	ErrNotLeader          = errors.New("not the raft leader")
	ErrNoLeader           = errors.New("no raft leader")
	ErrStale              = errors.New("no contact with a raft leader")
	ErrNoSuchMaster       = errors.New("no such master with that name")
	ErrDuplicateMaster    = errors.New("duplicate master name")
	ErrInvalidPort        = errors.New("invalid port number")
	ErrInvalidQuorum      = errors.New("quorum must be 1 or greater")
	ErrInvalidSetting     = errors.New("invalid argument for SENTINEL SET")
	ErrUnknownSetting     = errors.New("unknown option or number of arguments for SENTINEL SET")
	ErrFailoverInProgress = errors.New("failover already in progress")
	ErrEpochMismatch      = errors.New("failover epoch does not match")
	ErrUnknownCommand     = errors.New("unknown log command")
	ErrUnknownEntry       = errors.New("log entry this node cannot apply")
	ErrAuth               = errors.New("peer authentication failed")
	ErrNoSecret           = errors.New("raft-secret is not set")
	// ErrRefused: the leader's own configuration refuses a forwarded
	// change (admit.go); ErrNoPerm: its ACL does. Both come as an *Error
	// whose Msg is the reply text.
	ErrRefused = errors.New("refused by the leader's configuration")
	ErrNoPerm  = errors.New("refused by the leader's ACL")
	ErrTimeout = errors.New("timed out waiting for the log")
	// ErrSetConflict: a conditional SENTINEL SET (OpSetIf) found a setting
	// changed since the proposer saw it, or the master monitored anew; it
	// changed nothing.
	ErrSetConflict = errors.New("setting changed meanwhile")
	// ErrLogVersion: an entry of a version some member does not read yet
	// (docs/operations.md, "Rolling upgrades").
	ErrLogVersion = errors.New("not every raft member reads this log entry version yet")
	ErrShutdown   = errors.New("node is shutting down")
)
