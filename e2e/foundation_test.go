//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// Issue 2, acceptance 1: one node monitoring a master and two replicas
// answers the master address and lists both replicas with correct flags and
// offsets within one INFO period.
func TestSingleNodeReadPath(t *testing.T) {
	set := redistest.StartSet(t, 2)
	n := startNode(t, monitorLines("mymaster", set.Master, 1, 5000)...)
	redistest.WaitFor(t, 5*time.Second, "master address", func() bool { return masterAddr(n, "mymaster") == set.Master.Addr() })
	// write something so the offsets are not trivially equal to zero
	if _, err := set.Master.Do("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 12*time.Second, "both replicas with flags and offsets", func() bool {
		s, err := n.Do("SENTINEL", "REPLICAS", "mymaster")
		if err != nil {
			return false
		}
		maps := splitMaps(s, 21)
		if len(maps) != 2 {
			return false
		}
		for _, r := range set.Replicas {
			info, err := r.Info("replication")
			if err != nil {
				return false
			}
			found := false
			for _, m := range maps {
				if m["name"] == r.Addr() && m["flags"] == "slave" && m["master-link-status"] == "ok" &&
					m["slave-repl-offset"] != "0" && m["slave-repl-offset"] <= info["slave_repl_offset"] &&
					m["master-host"] == set.Master.Host {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	})
	mm := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))
	if mm["flags"] != "master" || mm["num-slaves"] != "2" || mm["num-other-sentinels"] != "0" || mm["quorum"] != "1" {
		t.Fatalf("SENTINEL MASTER: %v", mm)
	}
}

// splitMaps splits a RESP2 array of flat maps of size pairs each.
func splitMaps(s string, pairs int) []map[string]string {
	p := strings.Split(s, "\n")
	var out []map[string]string
	for len(p) >= 2*pairs {
		out = append(out, harness.FlatMap(strings.Join(p[:2*pairs], "\n")))
		p = p[2*pairs:]
	}
	return out
}

func mustDo(t *testing.T, n *harness.Node, args ...string) string {
	t.Helper()
	s, err := n.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return s
}

// doWrite sends a command as a client should on a loaded machine: while
// the cluster has no leader (-TRYAGAIN, -STALE) or leadership moved while
// the command was committing, it is sent again (for at most 15 s); any
// other answer is returned. Only for commands that are idempotent.
func doWrite(t *testing.T, n *harness.Node, args ...string) (string, error) {
	t.Helper()
	var s string
	var err error
	redistest.WaitFor(t, 15*time.Second, fmt.Sprintf("%v without -TRYAGAIN/-STALE", args), func() bool {
		s, err = n.Do(args...)
		if err == nil {
			return true
		}
		e := err.Error()
		return !strings.HasPrefix(e, "TRYAGAIN") && !strings.HasPrefix(e, "STALE") && !strings.Contains(e, "leadership lost")
	})
	return s, err
}

// mustDoRetried is doWrite that fails the test on any other error.
func mustDoRetried(t *testing.T, n *harness.Node, args ...string) string {
	t.Helper()
	s, err := doWrite(t, n, args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return s
}

// Issue 2, acceptance 2: go-redis through this node only; a ReplicaOnly
// client reads from a replica; redis-cli -3 HELLO 3 works.
func TestGoRedisFailoverClientAndRedisCli(t *testing.T) {
	set := redistest.StartSet(t, 2)
	n := startNode(t, monitorLines("mymaster", set.Master, 1, 5000)...)
	// go-redis's ReplicaOnly client skips replicas flagged disconnected
	// (as Sentinel flags one it has just discovered) and falls back to the
	// master when none is left, so wait until both are connected.
	redistest.WaitFor(t, 5*time.Second, "both replicas known and connected", func() bool {
		s, err := n.Do("SENTINEL", "REPLICAS", "mymaster")
		if err != nil {
			return false
		}
		flags := harness.ReplicaFlags(s)
		return len(flags) == 2 && flags[0] == "slave" && flags[1] == "slave"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := failoverClient([]string{n.Addr()}, "mymaster")
	defer c.Close()
	if err := c.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatalf("SET through sentinel: %v", err)
	}
	if v, err := c.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("GET: %q %v", v, err)
	}
	if role := roleOf(ctx, t, c); role != "master" {
		t.Fatalf("master client talks to a %s", role)
	}
	ro := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{n.Addr()}, ReplicaOnly: true})
	defer ro.Close()
	redistest.WaitFor(t, 5*time.Second, "value replicated", func() bool {
		v, err := ro.Get(ctx, "greeting").Result()
		return err == nil && v == "hello"
	})
	if role := roleOf(ctx, t, ro); role != "slave" {
		t.Fatalf("ReplicaOnly client talks to a %s", role)
	}
	out, err := exec.Command("redis-cli", "--no-raw", "-h", n.Host, "-p", itoa(n.Port), "-3", "HELLO", "3").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v %s", err, out)
	}
	for _, want := range []string{`"server"`, `"proto"`, "(integer) 3", `"mode"`, `"sentinel"`} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("redis-cli -3 HELLO 3 lacks %s:\n%s", want, out)
		}
	}
}

func roleOf(ctx context.Context, t *testing.T, c *redis.Client) string {
	t.Helper()
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) == 0 {
		t.Fatalf("ROLE: %v %v", v, err)
	}
	s, _ := v[0].(string)
	return s
}

// Issue 2, acceptance 5: restart with the same dir keeps myid and masters,
// including a master added at run time (the config file is not rewritten).
func TestRestartKeepsIdentityAndState(t *testing.T) {
	set := redistest.StartSet(t, 1)
	other := redistest.Start(t)
	n := startNode(t, monitorLines("mymaster", set.Master, 1, 5000)...)
	id := mustDo(t, n, "SENTINEL", "MYID")
	if len(id) != 40 {
		t.Fatalf("myid %q", id)
	}
	runid := harness.ParseInfo(mustDo(t, n, "INFO", "server"))["run_id"]
	if runid == id || len(runid) != 40 {
		t.Fatalf("run_id %q must differ from myid %q", runid, id)
	}
	if s := mustDo(t, n, "SENTINEL", "MONITOR", "other", other.Host, itoa(other.Port), "1"); s != "OK" {
		t.Fatalf("MONITOR: %q", s)
	}
	conf, _ := os.ReadFile(n.Conf)
	n.Kill()
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	if got := mustDo(t, n, "SENTINEL", "MYID"); got != id {
		t.Fatalf("myid changed across restart: %s -> %s", id, got)
	}
	if got := harness.ParseInfo(mustDo(t, n, "INFO", "server"))["run_id"]; got == runid {
		t.Fatal("run_id must be per process")
	}
	redistest.WaitFor(t, 5*time.Second, "both masters after restart", func() bool {
		return masterAddr(n, "mymaster") == set.Master.Addr() && masterAddr(n, "other") == other.Addr()
	})
	after, _ := os.ReadFile(n.Conf)
	if string(after) != string(conf) {
		t.Fatal("the config file was rewritten")
	}
}

// Issue 2, acceptance 6: raftinel exits non-zero with a one-line reason.
func TestStartupFailuresExitWithOneLineReason(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	busy := redistest.Start(t) // a port in use
	roDir := filepath.Join(dir, "ro")
	if err := os.MkdirAll(roDir, 0o500); err != nil {
		t.Fatal(err)
	}
	unreadable := write("unreadable.conf", "port 1\n")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	port := itoa(redistest.FreePort(t, "127.0.0.1"))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no config file", nil, "Sentinel needs config file on disk to save state. Exiting..."},
		{"missing file", []string{filepath.Join(dir, "nope.conf")}, "nope.conf"},
		{"bad directive", []string{write("bad.conf", "port "+port+"\nsentinel foo bar\n")}, "bad.conf:2: 'sentinel foo': Unrecognized sentinel configuration statement."},
		{"bad value", []string{write("badq.conf", "sentinel monitor m1 127.0.0.1 6379 0\n")}, "badq.conf:1: 'sentinel monitor': Quorum must be 1 or greater."},
		{"port in use", []string{write("busy.conf", "bind 127.0.0.1\nport "+itoa(busy.Port)+"\ndir "+filepath.Join(dir, "d1")+"\n")}, "address already in use"},
	}
	if os.Geteuid() != 0 { // root writes anywhere; the unwritable-dir and unreadable cases need a normal user
		cases = append(cases,
			struct {
				name string
				args []string
				want string
			}{"unwritable dir", []string{write("ro.conf", "bind 127.0.0.1\nport "+port+"\ndir "+filepath.Join(roDir, "sub")+"\n")}, "is not writable"},
			struct {
				name string
				args []string
				want string
			}{"unreadable file", []string{unreadable}, "permission denied"})
	} else {
		// As root, a dir under a regular file is unwritable for everyone.
		f := write("afile", "x")
		cases = append(cases, struct {
			name string
			args []string
			want string
		}{"unwritable dir", []string{write("ro.conf", "bind 127.0.0.1\nport "+port+"\ndir "+filepath.Join(f, "sub")+"\n")}, "is not writable"})
	}
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, bin, c.args...).CombinedOutput()
		cancel()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() == 0 {
			t.Errorf("%s: want a non-zero exit, got %v\n%s", c.name, err, out)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, c.want) {
			t.Errorf("%s: last line %q does not contain %q", c.name, last, c.want)
		}
	}
}

// A node bound to its own loopback address dials Redis from it (so that a
// firewall rule can tell nodes apart, unlike redis-sentinel).
func TestOutgoingConnectionsUseTheNodeAddress(t *testing.T) {
	m := redistest.Start(t)
	n, err := harness.StartNode(harness.NodeOptions{Bin: bin, Host: "127.0.0.7", Dir: filepath.Join(t.TempDir(), "n"),
		Lines: monitorLines("mymaster", m, 1, 5000)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Kill()
	redistest.WaitFor(t, 5*time.Second, "the node's links on the master", func() bool {
		s, err := m.Do("CLIENT", "LIST")
		return err == nil && strings.Contains(s, "addr=127.0.0.7:") && strings.Contains(s, "name=sentinel-")
	})
	s, _ := m.Do("CLIENT", "LIST")
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "name=sentinel-") && !strings.Contains(l, "addr=127.0.0.7:") {
			t.Fatalf("a link from another address: %s", l)
		}
	}
}

// SENTINEL DEBUG info-period takes effect at run time.
func TestDebugInfoPeriodTakesEffect(t *testing.T) {
	m := redistest.Start(t)
	n := startNode(t, monitorLines("mymaster", m, 1, 5000)...)
	redistest.WaitFor(t, 5*time.Second, "first INFO", func() bool {
		s, err := n.Do("SENTINEL", "MASTER", "mymaster")
		return err == nil && harness.FlatMap(s)["info-refresh"] != "0"
	})
	if s := mustDo(t, n, "SENTINEL", "DEBUG", "info-period", "100"); s != "OK" {
		t.Fatalf("DEBUG: %q", s)
	}
	// with the default 10 s period the age would exceed 400 ms most of the time
	redistest.WaitFor(t, 3*time.Second, "INFO refreshed every 100 ms", func() bool {
		for i := 0; i < 10; i++ {
			s, _ := n.Do("SENTINEL", "MASTER", "mymaster")
			if atoi(harness.FlatMap(s)["info-refresh"]) > 400 {
				return false
			}
			time.Sleep(30 * time.Millisecond)
		}
		return true
	})
	if s := mustDo(t, n, "SENTINEL", "DEBUG"); !strings.Contains(s, "INFO-PERIOD\n100") {
		t.Fatalf("DEBUG shows %q", s)
	}
}
