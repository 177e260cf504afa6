package failover

import "errors"

// ErrFenced stays inside the engine: it is logged, never replied. The
// engine's refusals that reach clients are in model/errors.go.
var (
	// ErrFenced: the state an action on Redis was decided on has changed
	// (guard.go).
	ErrFenced = errors.New("the recorded state changed since the action was decided")
)
