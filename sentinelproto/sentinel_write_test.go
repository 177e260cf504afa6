package sentinelproto

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// SENTINEL subcommands that change state (spec §2.2; checklist 16-25, 29)
// and the node-local ones (31-36).

func (e *testEnv) applied() []model.Entry {
	e.cluster.mu.RLock()
	defer e.cluster.mu.RUnlock()
	return append([]model.Entry(nil), e.cluster.applied...)
}

func TestMonitorValidation(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	for _, tc := range []struct{ want, ip, port, quorum string }{
		{"-ERR Invalid quorum\r\n", "127.0.0.1", "6379", "abc"},
		{"-ERR Invalid quorum\r\n", "127.0.0.1", "abc", "abc"},
		{"-ERR Invalid port\r\n", "127.0.0.1", "abc", "0"},
		{"-ERR Quorum must be 1 or greater.\r\n", "127.0.0.1", "6379", "0"},
		{"-ERR Quorum must be 1 or greater.\r\n", "127.0.0.1", "6379", "-3"},
		{"-ERR Invalid IP address or hostname specified\r\n", "localhost", "6379", "2"},
		{"-ERR Invalid IP address or hostname specified\r\n", "localhost", "70000", "2"},
		{"-ERR Invalid port number.\r\n", "127.0.0.1", "70000", "2"},
		{"-ERR Invalid port number.\r\n", "127.0.0.1", "-1", "2"},
		{"-ERR Duplicate master name.\r\n", "127.0.0.1", "6390", "2"},
	} {
		name := "x"
		if strings.Contains(tc.want, "Duplicate") {
			name = "mymaster"
		}
		c.expect(tc.want, "SENTINEL", "MONITOR", name, tc.ip, tc.port, tc.quorum)
	}
	for _, cmd := range e.applied() {
		if cmd, ok := cmd.(*model.Monitor); ok && cmd.Master == "x" {
			t.Fatalf("invalid MONITOR proposed: %+v", cmd)
		}
	}
	// Same name, address and quorum: +OK (idempotent, decided by the FSM).
	c.expect("+OK\r\n", "SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "6379", "2")
	before := time.Now().UnixMilli()
	c.expect("+OK\r\n", "SENTINEL", "MONITOR", "x", "::1", "6379", "2")
	cmds := e.applied()
	got, ok := cmds[len(cmds)-1].(*model.Monitor)
	if !ok || got.Master != "x" || got.Addr != (model.Addr{Host: "::1", Port: 6379}) ||
		got.Quorum != 2 || got.Node != testMyID || got.AtMs < before {
		t.Fatalf("proposed %+v", got)
	}
	c.expect("*2\r\n$8\r\nsentinel\r\n*2\r\n$8\r\nmymaster\r\n$1\r\nx\r\n", "ROLE")
	// resolve-hostnames yes accepts names, kept as names in the state;
	// replies show the resolved IP unless announce-hostnames is yes.
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes")
	c.expect("+OK\r\n", "SENTINEL", "MONITOR", "byname", "localhost", "6379", "2")
	if cmds := e.applied(); cmds[len(cmds)-1].(*model.Monitor).Addr.Host != "localhost" {
		t.Fatalf("stored %+v", cmds[len(cmds)-1])
	}
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "byname")
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes")
	c.expect("*2\r\n$9\r\nlocalhost\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "byname")
	c.expect("-ERR Invalid IP address or hostname specified\r\n", "SENTINEL", "MONITOR", "bad", "no-such-host.invalid", "6379", "2")
}

func TestRemoveAndReset(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+OK\r\n", "SENTINEL", "MONITOR", "x", "127.0.0.1", "6390", "2")
	sub := e.dial()
	sub.do("SUBSCRIBE", "-monitor")
	c.expect("+OK\r\n", "SENTINEL", "REMOVE", "x")
	sub.expect(frame2("message", "-monitor", "master x 127.0.0.1 6390"))
	c.expect("-ERR No such master with that name\r\n", "SENTINEL", "REMOVE", "x")
	c.expect(":1\r\n", "SENTINEL", "RESET", "mymaster")
	c.expect(":1\r\n", "SENTINEL", "RESET", "my*")
	c.expect(":0\r\n", "SENTINEL", "RESET", "nomatch*")
}

func TestSet(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("-ERR Invalid argument '0' for SENTINEL SET 'quorum'\r\n", "SENTINEL", "SET", "mymaster", "quorum", "0")
	c.expect("-ERR Unknown option or number of arguments for SENTINEL SET 'foo'\r\n", "SENTINEL", "SET", "mymaster", "foo", "1")
	c.expect("-ERR wrong number of arguments for 'sentinel|set' command\r\n", "SENTINEL", "SET", "mymaster", "quorum")
	c.expect("-ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'\r\n", "SENTINEL", "SET", "mymaster", "rename-command", "PING")
	if n := len(e.applied()); n != 0 {
		t.Fatalf("%d proposals for invalid SETs", n)
	}
	sub := e.dial()
	sub.do("HELLO", "3")
	sub.do("SUBSCRIBE", "+set")
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "failover-timeout", "10000", "parallel-syncs", "2")
	sub.expect(frame3("message", "+set", "master mymaster 127.0.0.1 6379 failover-timeout 10000"))
	sub.expect(frame3("message", "+set", "master mymaster 127.0.0.1 6379 parallel-syncs 2"))
	if _, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster"); m["failover-timeout"] != "10000" || m["parallel-syncs"] != "2" {
		t.Fatalf("SET not visible: %v", m)
	}
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "auth-pass", "s")
	sub.expect(frame3("message", "+set", "master mymaster 127.0.0.1 6379 auth-pass ******"))
	// Not atomic: the valid prefix is applied as one proposal, then the error.
	c.expect("-ERR Invalid argument '0' for SENTINEL SET 'parallel-syncs'\r\n", "SENTINEL", "SET", "mymaster", "Quorum", "3", "parallel-syncs", "0")
	cmds := e.applied()
	if last, ok := cmds[len(cmds)-1].(*model.Set); !ok || !reflect.DeepEqual(last.Pairs, []string{"Quorum", "3"}) {
		t.Fatalf("prefix proposal: %+v", last)
	}
	c.expect("-ERR Unknown option or number of arguments for SENTINEL SET 'quorum'\r\n", "SENTINEL", "SET", "mymaster", "quorum", "1", "quorum")
	if _, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster"); m["quorum"] != "1" {
		t.Fatalf("quorum %s", m["quorum"])
	}
	// Scripts: denied by default (deny-scripts-reconfig yes).
	c.expect("-ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration\r\n",
		"SENTINEL", "SET", "mymaster", "notification-script", "/bin/true")
}

func TestSetScriptsAllowed(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.DenyScriptsReconfig = false })
	c := e.dial()
	c.expect("-ERR Notification script seems non existing or non executable\r\n", "SENTINEL", "SET", "mymaster", "notification-script", "/nonexistent")
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.expect("-ERR Client reconfiguration script seems non existing or non executable\r\n", "SENTINEL", "SET", "mymaster", "client-reconfig-script", plain)
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "notification-script", "/bin/true", "client-reconfig-script", "/bin/true")
	keys, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster")
	if keys[len(keys)-2] != "notification-script" || m["client-reconfig-script"] != "/bin/true" {
		t.Fatalf("scripts: %v", keys)
	}
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "notification-script", "")
}

// A relative script path is taken from dir, as redis-sentinel (which has
// chdir'ed into dir) does, not from the process's working directory.
func TestSetScriptRelativeToDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notify.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *config.Config) { c.DenyScriptsReconfig = false; c.Dir = filepath.Join(dir, "data") })
	c := e.dial()
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "notification-script", "../notify.sh")
	c.expect("-ERR Notification script seems non existing or non executable\r\n", "SENTINEL", "SET", "mymaster", "notification-script", "notify.sh")
}

func TestFailover(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+OK\r\n", "SENTINEL", "FAILOVER", "mymaster")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{model.ErrFailoverInProgress, "-INPROG Failover already in progress\r\n"},
		{fmt.Errorf("select: %w", model.ErrNoGoodSlave), "-NOGOODSLAVE No suitable replica to promote\r\n"},
		{model.ErrNoLeader, "-TRYAGAIN no raft leader\r\n"},
		{&model.Error{Kind: model.ErrFailoverInProgress, Msg: "x"}, "-INPROG Failover already in progress\r\n"},
	} {
		e.fo.mu.Lock()
		e.fo.err = tc.err
		e.fo.mu.Unlock()
		c.expect(tc.want, "SENTINEL", "FAILOVER", "mymaster")
	}
	if len(e.fo.calls) != 5 || e.fo.calls[0] != "mymaster" {
		t.Fatalf("engine calls %v", e.fo.calls)
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", model.ErrStale), "STALE no contact with a raft leader, ask another sentinel"},
		{model.ErrNoSuchMaster, "ERR No such master with that name"},
		{&model.Error{Kind: model.ErrInvalidSetting, Msg: "Invalid argument 'x' for SENTINEL SET 'quorum'"}, "ERR Invalid argument 'x' for SENTINEL SET 'quorum'"},
		{&model.Error{Kind: model.ErrNoSuchMaster, Msg: "No such master with that name"}, "ERR No such master with that name"},
		{model.ErrFailoverInProgress, "INPROG Failover already in progress"},
		{model.ErrNoGoodSlave, "NOGOODSLAVE No suitable replica to promote"},
		{fmt.Errorf("apply: %w", model.ErrTimeout), "TRYAGAIN apply: timed out waiting for the log"},
		{model.ErrNoLeader, "TRYAGAIN no raft leader"},
		{model.ErrDuplicateMaster, "ERR Duplicate master name."},
		{errors.New("boom"), "ERR boom"},
	} {
		if got := errorText(tc.err); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestApplyErrors(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	e.cluster.mu.Lock()
	e.cluster.applyErr = fmt.Errorf("forward: %w", model.ErrNoLeader)
	e.cluster.mu.Unlock()
	c.expect("-TRYAGAIN forward: no raft leader\r\n", "SENTINEL", "MONITOR", "x", "127.0.0.1", "6390", "2")
	c.expect("-TRYAGAIN forward: no raft leader\r\n", "SENTINEL", "SET", "mymaster", "quorum", "3")
	c.expect("-TRYAGAIN forward: no raft leader\r\n", "SENTINEL", "RESET", "*")
}

func TestSentinelConfig(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("*14\r\n$17\r\nresolve-hostnames\r\n$2\r\nno\r\n$18\r\nannounce-hostnames\r\n$2\r\nno\r\n$11\r\nannounce-ip\r\n$0\r\n\r\n$13\r\nannounce-port\r\n$1\r\n0\r\n$13\r\nsentinel-user\r\n$0\r\n\r\n$13\r\nsentinel-pass\r\n$0\r\n\r\n$8\r\nloglevel\r\n$6\r\nnotice\r\n", "SENTINEL", "CONFIG", "GET", "*")
	c.expect("*0\r\n", "SENTINEL", "CONFIG", "GET", "nomatch")
	c.expect("*2\r\n$11\r\nannounce-ip\r\n$0\r\n\r\n", "SENTINEL", "CONFIG", "GET", "ANNOUNCE-IP")
	only := "-ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...] / SET <param> <value> [<param> <value> ...] are supported.\r\n"
	c.expect(only, "SENTINEL", "CONFIG", "FOO", "x")
	c.expect(only, "SENTINEL", "CONFIG", "SET", "announce-ip")
	c.expect("-ERR wrong number of arguments for 'sentinel|config' command\r\n", "SENTINEL", "CONFIG", "GET")
	c.expect("-ERR Invalid argument 'foo' to SENTINEL CONFIG SET\r\n", "SENTINEL", "CONFIG", "SET", "foo", "bar")
	c.expect("-ERR Invalid value 'abc' to SENTINEL CONFIG SET 'announce-port'\r\n", "SENTINEL", "CONFIG", "SET", "announce-port", "abc")
	c.expect("-ERR Invalid value '70000' to SENTINEL CONFIG SET 'ANNOUNCE-PORT'\r\n", "SENTINEL", "CONFIG", "SET", "ANNOUNCE-PORT", "70000")
	c.expect("-ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'\r\n", "SENTINEL", "CONFIG", "SET", "resolve-hostnames", "maybe")
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "announce-port", "26400")
	c.expect("+OK\r\n", "SENTINEL", "CONFIG", "SET", "sentinel-pass", "secret")
	c.expect("*4\r\n$13\r\nannounce-port\r\n$5\r\n26400\r\n$13\r\nsentinel-pass\r\n$6\r\nsecret\r\n", "SENTINEL", "CONFIG", "GET", "*[tp][oa][rs][ts]")
	c.do("HELLO", "3")
	c.expect("%1\r\n$13\r\nsentinel-user\r\n$0\r\n\r\n", "SENTINEL", "CONFIG", "GET", "sentinel-user")
}

func TestSentinelDebugAndSimulate(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	keys, m := mapOf(t, c, "SENTINEL", "DEBUG")
	want := strings.Fields("INFO-PERIOD PING-PERIOD ASK-PERIOD PUBLISH-PERIOD DEFAULT-DOWN-AFTER DEFAULT-FAILOVER-TIMEOUT TILT-TRIGGER TILT-PERIOD SLAVE-RECONF-TIMEOUT MIN-LINK-RECONNECT-PERIOD ELECTION-TIMEOUT SCRIPT-MAX-RUNTIME SCRIPT-RETRY-DELAY")
	if !reflect.DeepEqual(keys, want) || m["INFO-PERIOD"] != "10000" || m["SCRIPT-RETRY-DELAY"] != "30000" {
		t.Fatalf("DEBUG: %v %v", keys, m)
	}
	c.expect("+OK\r\n", "SENTINEL", "DEBUG", "info-period", "1000", "PING-PERIOD", "100")
	c.expect("-ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'\r\n", "SENTINEL", "DEBUG", "foo", "1")
	c.expect("-ERR Unknown option or number of arguments for SENTINEL DEBUG 'info-period'\r\n", "SENTINEL", "DEBUG", "info-period")
	c.expect("-ERR Invalid argument '0' for SENTINEL DEBUG 'info-period'\r\n", "SENTINEL", "DEBUG", "info-period", "0")
	c.expect("-ERR Invalid argument 'x' for SENTINEL DEBUG 'INFO-PERIOD'\r\n", "SENTINEL", "DEBUG", "INFO-PERIOD", "x")
	if _, m = mapOf(t, c, "SENTINEL", "DEBUG"); m["INFO-PERIOD"] != "1000" || m["PING-PERIOD"] != "100" {
		t.Fatalf("DEBUG after set: %v", m)
	}
	c.expect("*2\r\n$20\r\ncrash-after-election\r\n$21\r\ncrash-after-promotion\r\n", "SENTINEL", "SIMULATE-FAILURE", "help")
	c.expect("-ERR Unknown failure simulation specified\r\n", "SENTINEL", "SIMULATE-FAILURE", "foo")
	c.expect("+OK\r\n", "SENTINEL", "SIMULATE-FAILURE", "crash-after-election", "CRASH-AFTER-PROMOTION")
	if got := c.do("INFO", "sentinel"); !strings.Contains(got, "sentinel_simulate_failure_flags:3\r\n") {
		t.Fatalf("flags not in INFO: %q", got)
	}
}

func TestIsMasterDownByAddr(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("*3\r\n:0\r\n$1\r\n*\r\n:0\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*")
	c.expect("*3\r\n:0\r\n$1\r\n*\r\n:0\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "10.0.0.1", "1", "0", "*")
	c.expect("-ERR value is not an integer or out of range\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*")
	c.expect("-ERR value is not an integer or out of range\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "x", "*")
	e.mon.set("mymaster", addrM.String(), func(v *view.Instance) { v.SDown = true })
	c.expect("*3\r\n:1\r\n$1\r\n*\r\n:0\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*")
	// One vote per epoch; a higher epoch replaces it, a lower one gets it back.
	c.expect("*3\r\n:1\r\n$3\r\nid1\r\n:100\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "100", "id1")
	c.expect("*3\r\n:1\r\n$3\r\nid1\r\n:100\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "100", "id2")
	c.expect("*3\r\n:1\r\n$3\r\nid1\r\n:100\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "99", "id3")
	c.expect("*3\r\n:1\r\n$3\r\nid2\r\n:101\r\n", "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "101", "id2")
}
