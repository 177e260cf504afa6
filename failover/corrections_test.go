package failover

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

// A replica following the wrong master is re-pointed after failover-timeout
// even while another master (with nothing to correct) is evaluated in
// between: the clocks are per master (Sentinel's suite monitors a second,
// unreachable master, and the replica was never fixed).
func TestHeldForKeepsClocksPerMaster(t *testing.T) {
	first := map[string]map[string]time.Time{}
	r1 := model.Addr{Host: "127.0.0.1", Port: 30000}
	r2 := model.Addr{Host: "127.0.0.1", Port: 30001}
	t0 := time.Unix(1000, 0)
	d := 10 * time.Second
	if got := heldFor(first, "mymaster", []model.Addr{r1}, t0, d); len(got) != 0 {
		t.Fatalf("held at once: %v", got)
	}
	for i := 1; i <= 10; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		if got := heldFor(first, "setmaster", nil, now, d); len(got) != 0 {
			t.Fatalf("other master: %v", got)
		}
		got := heldFor(first, "mymaster", []model.Addr{r1, r2}, now, d)
		if i < 10 && len(got) != 0 {
			t.Fatalf("%d s: held too early: %v", i, got)
		}
		if i == 10 && (len(got) != 1 || got[0] != r1) {
			t.Fatalf("after failover-timeout: %v, want only %v (%v was seen 9 s)", got, r1, r2)
		}
	}
	// r1 fixed: forgotten, so a later misconfiguration starts a new clock
	heldFor(first, "mymaster", []model.Addr{r2}, t0.Add(11*time.Second), d)
	if got := heldFor(first, "mymaster", []model.Addr{r1, r2}, t0.Add(12*time.Second), d); len(got) != 1 || got[0] != r2 {
		t.Fatalf("r1 forgotten and seen again: %v", got)
	}
	// zero delay (demote-delay 0): at once
	if got := heldFor(first, "other", []model.Addr{r1}, t0, 0); len(got) != 1 {
		t.Fatalf("zero delay: %v", got)
	}
	heldFor(first, "other", nil, t0, 0)
	if _, ok := first["other"]; ok {
		t.Fatal("a master with nothing held keeps an entry")
	}
}
