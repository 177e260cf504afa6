//go:build e2e

package sentinelproto

import (
	"strings"
	"testing"
	"time"
)

// INFO compared with a live redis-sentinel 7.0 by shape: for every form
// the conformance suite uses (13-info-command.tcl) and a few more, the
// same sections in the same order with the same field names, separators
// included; values differ by nature. raftinel's own additions (the Raft and
// Links sections, raftinel_version) are left out of the comparison.
func TestDifferentialInfoShape(t *testing.T) {
	real := startRealSentinel(t)
	ours := newEnv(t).addr
	for _, args := range [][]string{{}, {"all"}, {"default"}, {"everything"}, {"cpu"}, {"sentinel"}, {"SERVER"},
		{"server", "sentinel", "replication"}, {"cpu", "all"}, {"Stats", "cpu"}, {"clients", "clients"},
		{"nosuch"}, {"replication"}, {"raft"}, {"links"}, {"default", "cpu"}} {
		want, got := infoShape(t, real, args), infoShape(t, ours, args)
		if want != got {
			t.Errorf("INFO %q:\nredis-sentinel %q\n      raftinel %q", args, want, got)
		}
	}
}

// Large requests compared with a live redis-sentinel: what Redis takes
// (arguments of many MiB) and where it stops (proto-max-bulk-len, INT_MAX
// arguments), with the same replies; replies are compared by length and
// SHA-256 to keep failures readable.
func TestDifferentialLargeRequests(t *testing.T) {
	real := startRealSentinel(t)
	ours := newEnv(t).addr
	name := strings.Repeat("n", 10<<20)
	arg := strings.Repeat("p", 5<<20)
	seqs := [][]step{
		{s("CLIENT", "SETNAME", name), s("CLIENT", "GETNAME"), s("PING", arg), s("PING")},
		{sRaw("*1\r\n$536870913\r\n"), s("PING")},
		{sRaw("*2147483648\r\n"), s("PING")},
		// A declared 512 MiB argument is accepted: both wait for its bytes.
		{{raw: "*2\r\n$4\r\nPING\r\n$536870912\r\n" + strings.Repeat("q", 100000), wait: 300 * time.Millisecond}},
	}
	for _, seq := range seqs {
		want, got := exchange(t, real, seq), exchange(t, ours, seq)
		for i := range seq {
			if digest(want[i]) != digest(got[i]) {
				t.Errorf("step %d of %.60q:\nredis-sentinel %s\n      raftinel %s", i, seq[0].raw+strings.Join(seq[0].args, " "), digest(want[i]), digest(got[i]))
			}
		}
	}
}
