package consensus

import "errors"

// Errors of the peer streams and the store itself. The errors a writer of
// the replicated state sees are model's (model/errors.go).
var (
	ErrAuth     = errors.New("peer authentication failed")
	ErrNoSecret = errors.New("raft-secret is not set")
	ErrShutdown = errors.New("node is shutting down")
)
