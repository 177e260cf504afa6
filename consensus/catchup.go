package consensus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// catchUp makes freshness (design rule 8) mean "up to date", not merely "in
// contact". A follower that was cut off, paused or restarted hears the
// leader's first heartbeat (which carries no entries) before the entries it
// missed are replicated and applied; for that moment it would answer the
// old master address with a fresh contact time (seen in the partition
// matrix: a node back from a minority answered the pre-failover master for
// up to ~1 ms after thousands of -STALE, longer after short cuts). So after
// any stale period, and after start, a follower stays stale until a Sync
// (the leader's Barrier, then this node applies up to the leader's index)
// that began after the stale period has succeeded.
//
// It also keeps the last fresh verdict (freshUntil), so that a follower's
// every query need not take raft's lock for LastContact and this lock: a
// follower found fresh with its last leader contact at lc stays fresh, by
// the exact rule, at least until lc + raft-stale-after (contact only moves
// forward, and only a stale observation makes a caught-up node not caught
// up), so until then the verdict is the rule's answer, not an
// approximation. Any stale observation voids it.
type catchUp struct {
	mu      sync.Mutex
	gen     uint64 // bumped each time the node is seen stale
	doneGen uint64 // gen+1 of the last successful sync that began at gen (0 = none)
	running bool
	// until is the end of the last fresh verdict, as an offset on the
	// monotonic clock from the store's start (0 = none): fresh while
	// now <= until. Written under mu, read without it.
	until atomic.Int64
}

// stale records that the node was seen without a fresh leader contact; it
// voids the fresh verdict.
func (c *catchUp) stale() {
	c.mu.Lock()
	c.gen++
	c.until.Store(0)
	c.mu.Unlock()
}

// upToDate reports whether a sync begun after the last stale period
// succeeded, and the generation it answers for (for freshUntil).
func (c *catchUp) upToDate() (bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doneGen == c.gen+1, c.gen
}

// freshUntil records a fresh verdict valid until the offset until, unless
// the node was seen stale since upToDate answered gen.
func (c *catchUp) freshUntil(gen uint64, until time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.doneGen == gen+1 {
		c.until.Store(int64(until))
	}
}

// freshAt reports whether the last fresh verdict still holds at the offset
// now.
func (c *catchUp) freshAt(now time.Duration) bool {
	u := c.until.Load()
	return u != 0 && int64(now) <= u
}

// begin starts a sync unless one is running; it returns the generation.
func (c *catchUp) begin() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return 0, false
	}
	c.running = true
	return c.gen, true
}

func (c *catchUp) end(gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = false
	if ok && c.gen == gen {
		c.doneGen = gen + 1
	}
}

// startCatchUp runs one Sync in the background (single flight).
func (s *Store) startCatchUp() {
	gen, ok := s.cu.begin()
	if !ok {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), max(s.o.StaleAfter, time.Second))
		err := s.Sync(ctx)
		cancel()
		s.cu.end(gen, err == nil)
	}()
}
