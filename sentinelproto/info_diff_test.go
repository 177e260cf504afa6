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

func digest(s string) string {
	if len(s) <= 80 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%d bytes %x", len(s), sha256.Sum256([]byte(s)))
}
