package consensus

import (
	"testing"
	"time"
)

func TestCatchUpNeedsASyncBegunAfterTheStalePeriod(t *testing.T) {
	var c catchUp
	if upToDate(&c) {
		t.Fatal("up to date before any sync (a node just started)")
	}
	g, ok := c.begin()
	if !ok {
		t.Fatal("begin refused")
	}
	if _, ok := c.begin(); ok {
		t.Fatal("two syncs at once")
	}
	c.end(g, true)
	if !upToDate(&c) {
		t.Fatal("not up to date after a successful sync")
	}
	c.stale()
	if upToDate(&c) {
		t.Fatal("up to date after a stale period")
	}
	// a sync that began before a stale period does not count
	g, _ = c.begin()
	c.stale()
	c.end(g, true)
	if upToDate(&c) {
		t.Fatal("a sync begun before the stale period counted")
	}
	g, _ = c.begin()
	c.end(g, false)
	if upToDate(&c) {
		t.Fatal("a failed sync counted")
	}
	g, _ = c.begin()
	c.end(g, true)
	if !upToDate(&c) {
		t.Fatal("not up to date after a later successful sync")
	}
}

func upToDate(c *catchUp) bool {
	ok, _ := c.upToDate()
	return ok
}

// The recorded fresh verdict holds until its end and no later; a stale
// observation voids it, and a verdict worked out before a stale period
// cannot be recorded after it.
func TestFreshVerdictEndsAtItsDeadlineAndWithAnyStalePeriod(t *testing.T) {
	var c catchUp
	ms := time.Millisecond
	if c.freshAt(0) || c.freshAt(time.Hour) {
		t.Fatal("fresh without a verdict")
	}
	c.freshUntil(0, 100*ms)
	if c.freshAt(50 * ms) {
		t.Fatal("a verdict recorded while not caught up")
	}
	g, _ := c.begin()
	c.end(g, true)
	ok, gen := c.upToDate()
	if !ok {
		t.Fatal("not caught up after a sync")
	}
	c.freshUntil(gen, 100*ms)
	for _, tc := range []struct {
		now   time.Duration
		fresh bool
	}{{0, true}, {50 * ms, true}, {100 * ms, true}, {100*ms + 1, false}, {time.Hour, false}} {
		if got := c.freshAt(tc.now); got != tc.fresh {
			t.Errorf("freshAt(%v) = %v, want %v", tc.now, got, tc.fresh)
		}
	}
	c.stale()
	if c.freshAt(50 * ms) {
		t.Fatal("the verdict outlived a stale observation")
	}
	// worked out (gen) before the stale period, recorded after it
	c.freshUntil(gen, 200*ms)
	if c.freshAt(50 * ms) {
		t.Fatal("a verdict from before the stale period was recorded")
	}
}
