package sentinelproto

import (
	"context"
	"errors"

	"github.com/raftinel/raftinel/model"
)

// Error replies. Those marked raftinel are not Sentinel's: they exist because
// raftinel answers through a replicated log (design rule 8) and are meant to
// make a client try another node.
const (
	// ErrTextStale (raftinel) answers address queries on a node that lost
	// contact with the Raft leader for longer than raft-stale-after.
	ErrTextStale = "STALE no contact with a raft leader, ask another sentinel"
	// errTextTryAgainPrefix (raftinel) is followed by the error text when a
	// change could not be committed for now (no leader, timeout).
	errTextTryAgainPrefix = "TRYAGAIN "

	errTextNoSuchMaster = "ERR No such master with that name"
	errTextInProgress   = "INPROG Failover already in progress"
	errTextNoGoodSlave  = "NOGOODSLAVE No suitable replica to promote"
	errTextInternal     = "ERR internal error"
	errTextNoAuth       = "NOAUTH Authentication required."
	errTextWrongPass    = "WRONGPASS invalid username-password pair or user is disabled."
	errTextSyntax       = "ERR syntax error"
	errTextNotInteger   = "ERR value is not an integer or out of range"
)

// errorText maps an error from Cluster, Failover or validation to the text
// of its reply (without the leading '-'). It is the only place that does so.
func errorText(err error) string {
	var ce *model.Error
	switch {
	case errors.Is(err, model.ErrStale):
		return ErrTextStale
	case errors.Is(err, model.ErrNoPerm) && errors.As(err, &ce):
		return ce.Msg // the leader's NOPERM, as written
	case errors.Is(err, model.ErrFailoverInProgress):
		return errTextInProgress
	case errors.Is(err, model.ErrNoGoodSlave):
		return errTextNoGoodSlave
	case errors.Is(err, model.ErrNoLeader), errors.Is(err, model.ErrTimeout),
		errors.Is(err, model.ErrNotLeader),
		errors.Is(err, context.DeadlineExceeded):
		return errTextTryAgainPrefix + err.Error()
	case errors.As(err, &ce):
		return "ERR " + ce.Msg
	case errors.Is(err, model.ErrNoSuchMaster):
		return errTextNoSuchMaster
	case errors.Is(err, model.ErrDuplicateMaster):
		return "ERR Duplicate master name."
	case errors.Is(err, model.ErrInvalidPort):
		return "ERR Invalid port number."
	case errors.Is(err, model.ErrInvalidQuorum):
		return "ERR Quorum must be 1 or greater."
	}
	return "ERR " + err.Error()
}
