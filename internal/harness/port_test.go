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
