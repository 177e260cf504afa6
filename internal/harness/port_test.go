package harness

import "testing"

// Two callers must never get the same port, even when the kernel hands a
// just-released port out again.
func TestFreePortNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 500; i++ {
		p, err := FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d returned twice (call %d)", p, i)
		}
		seen[p] = true
	}
}

// Ports come from below the kernel's ephemeral range, where no outgoing
// connection takes them as its local port, and never from the conformance
// suite's fixed ports.
func TestFreePortOutsideEphemeralRange(t *testing.T) {
	lo, hi := testPorts()
	if hi <= lo {
		t.Skip("the ephemeral range starts too low to leave room below it")
	}
	for i := 0; i < 200; i++ {
		p, err := FreePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if p < lo || p > hi || conformancePort(p) {
			t.Fatalf("port %d outside %d-%d or a conformance port", p, lo, hi)
		}
	}
}
