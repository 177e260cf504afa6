package sentinelproto

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/raftinel/raftinel/model"
)

// SENTINEL CONFIG SET/GET with several parameters, as Redis 7.2's
// 15-config-set-config-get.tcl and sentinelConfig{Get,Set}Command have it.
func TestSentinelConfigMulti(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes", "announce-port", "1234")
	c.expect("*4\r\n$17\r\nresolve-hostnames\r\n$3\r\nyes\r\n$13\r\nannounce-port\r\n$4\r\n1234\r\n",
		"SENTINEL", "CONFIG", "GET", "resolve-hostnames", "announce-port")
	// Duplicates and unknown names: each parameter once.
	c.expect("*2\r\n$17\r\nresolve-hostnames\r\n$3\r\nyes\r\n",
		"SENTINEL", "CONFIG", "GET", "resolve-hostnames", "RESOLVE-HOSTNAMES", "does-not-exist")
	// Patterns: in the order they first match.
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "loglevel", "notice", "announce-port", "1234", "announce-hostnames", "yes")
	c.expect("*2\r\n$8\r\nloglevel\r\n$6\r\nnotice\r\n", "SENTINEL", "CONFIG", "GET", "log*", "*level", "loglevel")
	c.expect("*6\r\n$18\r\nannounce-hostnames\r\n$3\r\nyes\r\n$11\r\nannounce-ip\r\n$0\r\n\r\n$13\r\nannounce-port\r\n$4\r\n1234\r\n",
		"SENTINEL", "CONFIG", "GET", "announce*")
	c.expect("*6\r\n$13\r\nannounce-port\r\n$4\r\n1234\r\n$17\r\nresolve-hostnames\r\n$3\r\nyes\r\n$18\r\nannounce-hostnames\r\n$3\r\nyes\r\n",
		"SENTINEL", "CONFIG", "GET", "announce-port", "*-hostnames", "resolve*")

	// Nothing changes when one pair is refused, whatever its position.
	e.cluster.mu.Lock()
	before := len(e.cluster.applied)
	e.cluster.mu.Unlock()
	c.expect("-ERR Duplicate argument 'announce-port' to SENTINEL CONFIG SET\r\n",
		"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no", "announce-port", "1", "announce-port", "100")
	c.expect("-ERR Duplicate argument 'ANNOUNCE-PORT' to SENTINEL CONFIG SET\r\n",
		"SENTINEL", "CONFIG", "SET", "announce-port", "1", "ANNOUNCE-PORT", "100")
	c.expect("-ERR Invalid argument 'does-not-exist' to SENTINEL CONFIG SET\r\n",
		"SENTINEL", "CONFIG", "SET", "announce-port", "1", "does-not-exist", "yes")
	c.expect("-ERR Invalid value '-1234' to SENTINEL CONFIG SET 'announce-port'\r\n",
		"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no", "announce-port", "-1234")
	c.expect("-ERR Missing argument 'announce-ip' value\r\n",
		"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no", "announce-port", "1", "announce-ip")
	c.expect("-ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'\r\n",
		"SENTINEL", "CONFIG", "SET", "loglevel", "loud", "resolve-hostnames", "no")
	e.cluster.mu.Lock()
	after := len(e.cluster.applied)
	e.cluster.mu.Unlock()
	if after != before {
		t.Fatalf("refused CONFIG SET reached the log (%d entries)", after-before)
	}
	c.expect("*4\r\n$17\r\nresolve-hostnames\r\n$3\r\nyes\r\n$13\r\nannounce-port\r\n$4\r\n1234\r\n",
		"SENTINEL", "CONFIG", "GET", "resolve-hostnames", "announce-port")

	// The cluster-wide pairs go in one log entry; if it fails, the local
	// ones are not set either.
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "announce-port", "7", "sentinel-user", "u", "RESOLVE-HOSTNAMES", "NO")
	e.cluster.mu.Lock()
	last, ok := e.cluster.applied[len(e.cluster.applied)-1].(*model.ConfigSet)
	e.cluster.applyErr = fmt.Errorf("forward: %w", model.ErrNoLeader)
	e.cluster.mu.Unlock()
	if !ok || !reflect.DeepEqual(last.Pairs, []string{"sentinel-user", "u", "resolve-hostnames", "NO"}) {
		t.Fatalf("log entry %+v", last)
	}
	c.expect("-TRYAGAIN forward: no raft leader\r\n", "SENTINEL", "CONFIG", "SET", "announce-port", "8", "sentinel-pass", "p")
	c.expect("*6\r\n$17\r\nresolve-hostnames\r\n$2\r\nno\r\n$13\r\nannounce-port\r\n$1\r\n7\r\n$13\r\nsentinel-user\r\n$1\r\nu\r\n",
		"SENTINEL", "CONFIG", "GET", "resolve-hostnames", "announce-port", "sentinel-user")

	// loglevel: node-local, handed to the node's logger, any case.
	for _, l := range []string{"debug", "VERBOSE", "notice", "warning", "nothing"} {
		c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "loglevel", l)
	}
	c.expect("*2\r\n$8\r\nloglevel\r\n$7\r\nnothing\r\n", "SENTINEL", "CONFIG", "GET", "loglevel")
	e.mu.Lock()
	levels := e.levels
	e.mu.Unlock()
	if want := []string{"notice", "debug", "verbose", "notice", "warning", "nothing"}; !reflect.DeepEqual(levels, want) {
		t.Fatalf("OnLogLevel got %v, want %v", levels, want)
	}
}

// SENTINEL DEBUG as Redis 7.2: pairs applied left to right, a bad one
// refused after the earlier ones took effect; the timers raftinel has are
// handed to OnDebug, and default-down-after / default-failover-timeout are
// the settings of the masters SENTINEL MONITOR creates from then on.
func TestSentinelDebugTimers(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("-ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'\r\n", "SENTINEL", "DEBUG", "info-period", "5", "foo", "1")
	c.expect("-ERR Invalid argument '-1' for SENTINEL DEBUG 'tilt-period'\r\n", "SENTINEL", "DEBUG", "ping-period", "7", "tilt-period", "-1")
	if _, m := mapOf(t, c, "SENTINEL", "DEBUG"); m["INFO-PERIOD"] != "5" || m["PING-PERIOD"] != "7" || m["TILT-PERIOD"] != "30000" {
		t.Fatalf("DEBUG after partial sets: %v", m)
	}
	c.expect("+OK\r\n", "SENTINEL", "MONITOR", "before", "127.0.0.1", "7001", "2")
	c.expect("+OK\r\n", "SENTINEL", "DEBUG", "default-down-after", "1000", "DEFAULT-FAILOVER-TIMEOUT", "5000")
	c.expect("+OK\r\n", "SENTINEL", "MONITOR", "after", "127.0.0.1", "7002", "2")
	for name, want := range map[string][2]string{"before": {"30000", "180000"}, "after": {"1000", "5000"}, "mymaster": {"30000", "180000"}} {
		_, m := mapOf(t, c, "SENTINEL", "MASTER", name)
		if m["down-after-milliseconds"] != want[0] || m["failover-timeout"] != want[1] {
			t.Errorf("%s: down-after %s failover-timeout %s, want %v", name, m["down-after-milliseconds"], m["failover-timeout"], want)
		}
	}
	e.mu.Lock()
	got := e.debugs
	e.mu.Unlock()
	want := []string{"info-period=5", "ping-period=7", "default-down-after=1000", "default-failover-timeout=5000"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("OnDebug got %v, want %v", got, want)
	}
}
