package harness

import (
	"slices"
	"testing"
)

// ReplicaFlags reads each replica's flags from a SENTINEL REPLICAS reply
// as Do joins it, values that look like keys included.
func TestReplicaFlags(t *testing.T) {
	reply := "name\n127.0.0.1:7001\nip\n127.0.0.1\nflags\nslave\nrunid\nflags\n" +
		"name\n127.0.0.1:7002\nip\n127.0.0.1\nflags\nslave,disconnected\nrunid\nx"
	if got, want := ReplicaFlags(reply), []string{"slave", "slave,disconnected"}; !slices.Equal(got, want) {
		t.Fatalf("ReplicaFlags = %q, want %q", got, want)
	}
	if got := ReplicaFlags(""); len(got) != 0 {
		t.Fatalf("empty reply: %q", got)
	}
}
