package consensus

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// refusalLogEvery bounds how often a refused peer stream is logged: a
// flood of connections with a wrong secret must not flood the log. The
// refusals in between are counted and reported with the next line.
const refusalLogEvery = time.Second

// refusalLog logs refused peer streams (warn, with the peer's address in
// the error), at most one line per refusalLogEvery.
type refusalLog struct {
	log   *zap.Logger
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *refusalLog) refused(err error) {
	r.mu.Lock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	r.log.Warn("peer stream refused", zap.Error(err), zap.Int("refused_since_last_line", n))
}
