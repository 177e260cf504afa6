package consensus

import "testing"

func TestCatchUpNeedsASyncBegunAfterTheStalePeriod(t *testing.T) {
	var c catchUp
	if c.upToDate() {
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
	if !c.upToDate() {
		t.Fatal("not up to date after a successful sync")
	}
	c.stale()
	if c.upToDate() {
		t.Fatal("up to date after a stale period")
	}
	// a sync that began before a stale period does not count
	g, _ = c.begin()
	c.stale()
	c.end(g, true)
	if c.upToDate() {
		t.Fatal("a sync begun before the stale period counted")
	}
	g, _ = c.begin()
	c.end(g, false)
	if c.upToDate() {
		t.Fatal("a failed sync counted")
	}
	g, _ = c.begin()
	c.end(g, true)
	if !c.upToDate() {
		t.Fatal("not up to date after a later successful sync")
	}
}
