package sentinelproto

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"net"
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

// infoShape is INFO's reply with values removed and raftinel's additions
// dropped.
func infoShape(t *testing.T, addr string, args []string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(encode(append([]string{"INFO"}, args...)...))); err != nil {
		t.Fatal(err)
	}
	raw, err := readFrame(bufio.NewReader(c))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := parseFrame(raw)
	text, _ := v.(string)
	var out []string
	skip := false
	for _, line := range strings.Split(text, "\r\n") {
		switch {
		case line == "# Raft" || line == "# Links":
			skip = true // with the separator that follows it
		case strings.HasPrefix(line, "# "):
			skip = false
			out = append(out, line)
		case skip:
		case strings.HasPrefix(line, "raftinel_version:"):
		default:
			k, _, _ := strings.Cut(line, ":")
			out = append(out, k)
		}
	}
	return strings.Join(out, "|")
}

// The assertions of Redis 7.2's 13-info-command.tcl, on this package alone.
func TestInfoConformance(t *testing.T) {
	c := newEnv(t).dial()
	info := func(args ...string) string {
		v, _ := parseFrame(c.do(append([]string{"INFO"}, args...)...))
		s, _ := v.(string)
		return s
	}
	check := func(args []string, has, hasNot []string) {
		t.Helper()
		s := info(args...)
		for _, w := range has {
			if !strings.Contains(s, w) {
				t.Errorf("INFO %q lacks %s", args, w)
			}
		}
		for _, w := range hasNot {
			if strings.Contains(s, w) {
				t.Errorf("INFO %q has %s", args, w)
			}
		}
	}
	for _, a := range [][]string{{}, {"all"}, {"default"}, {"everything"}} {
		check(a, []string{"redis_version", "maxclients", "used_cpu_user", "sentinel_tilt"},
			[]string{"used_memory", "rdb_last_bgsave", "master_repl_offset", "cluster_enabled"})
	}
	check([]string{"cpu"}, []string{"used_cpu_user"}, []string{"sentinel_tilt", "redis_version"})
	check([]string{"sentinel"}, []string{"sentinel_tilt"}, []string{"used_cpu_user", "redis_version"})
	check([]string{"server", "sentinel", "replication"}, []string{"redis_version", "sentinel_tilt"}, []string{"used_memory", "used_cpu_user"})
	check([]string{"cpu", "all"}, []string{"used_cpu_user", "sentinel_tilt", "redis_version"}, []string{"used_memory", "master_repl_offset"})
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

func digest(s string) string {
	if len(s) <= 80 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%d bytes %x", len(s), sha256.Sum256([]byte(s)))
}
