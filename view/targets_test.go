package view

import "testing"

// SameTargets compares every field, the rename map's content included, and
// the order.
func TestSameTargets(t *testing.T) {
	base := func() []Target {
		return []Target{
			{Master: "a", Addr: "127.0.0.1:7000", IsMaster: true, DownAfter: 5, Rename: map[string]string{"info": "x"}},
			{Master: "a", Addr: "127.0.0.1:7001"},
		}
	}
	if !SameTargets(base(), base()) {
		t.Fatal("equal targets reported different")
	}
	changes := map[string]func([]Target) []Target{
		"addr":      func(ts []Target) []Target { ts[1].Addr = "127.0.0.1:7002"; return ts },
		"role":      func(ts []Target) []Target { ts[1].IsMaster = true; return ts },
		"downafter": func(ts []Target) []Target { ts[0].DownAfter = 6; return ts },
		"auth":      func(ts []Target) []Target { ts[0].AuthPass = "p"; return ts },
		"reboot":    func(ts []Target) []Target { ts[0].RebootDownAfter = 1; return ts },
		"rename":    func(ts []Target) []Target { ts[0].Rename = map[string]string{"info": "y"}; return ts },
		"rename+":   func(ts []Target) []Target { ts[0].Rename["ping"] = "p"; return ts },
		"order":     func(ts []Target) []Target { ts[0], ts[1] = ts[1], ts[0]; return ts },
		"fewer":     func(ts []Target) []Target { return ts[:1] },
	}
	for name, change := range changes {
		if SameTargets(base(), change(base())) {
			t.Errorf("%s: a change not seen", name)
		}
	}
}
