package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSentinelDirectives(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, `
sentinel myid dcf2f26fb381af1bfeb4ebbcd31cf4c7b35b6791
sentinel current-epoch 3
sentinel announce-ip 10.1.1.1
sentinel announce-port 26400
sentinel sentinel-user su
sentinel sentinel-pass sp
sentinel deny-scripts-reconfig no
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
SENTINEL MONITOR mymaster redis-0.redis.default.svc.cluster.local 6379 2
sentinel down-after-milliseconds mymaster 5000
sentinel failover-timeout mymaster 60000
sentinel parallel-syncs mymaster 3
sentinel auth-pass mymaster "p w"
sentinel auth-user mymaster au
sentinel notification-script mymaster `+script+`
sentinel client-reconfig-script mymaster `+script+`
sentinel rename-command mymaster CONFIG MYCONFIG
sentinel rename-command mymaster ping mping
sentinel master-reboot-down-after-period mymaster 5000
sentinel config-epoch mymaster 7
sentinel leader-epoch mymaster 6
sentinel known-replica mymaster 10.0.0.2 6379
sentinel known-slave mymaster redis-1 6379
sentinel known-sentinel mymaster 10.0.0.5 26379 750df6107d926b711f97eab9a3b7c53b5a0abe47
sentinel known-sentinel mymaster 10.0.0.6 26379
sentinel monitor other ::1 6380 1
`)
	if c.MyID != "dcf2f26fb381af1bfeb4ebbcd31cf4c7b35b6791" || c.AnnounceIP != "10.1.1.1" || c.AnnouncePort != 26400 ||
		c.SentinelUser != "su" || c.SentinelPass != "sp" || c.DenyScriptsReconfig || !c.ResolveHostnames || !c.AnnounceHostnames {
		t.Errorf("globals: %+v", c)
	}
	// config-epoch 7 raises current-epoch 3, as in Sentinel.
	if c.CurrentEpoch != 7 {
		t.Errorf("CurrentEpoch = %d, want 7", c.CurrentEpoch)
	}
	if len(c.Masters) != 2 {
		t.Fatalf("masters: %+v", c.Masters)
	}
	want := Master{
		Name: "mymaster", Host: "redis-0.redis.default.svc.cluster.local", Port: 6379, Quorum: 2,
		DownAfter: 5 * time.Second, FailoverTimeout: time.Minute, ParallelSyncs: 3,
		AuthPass: "p w", AuthUser: "au", NotificationScript: script, ClientReconfigScript: script,
		RenameCommands:              map[string]string{"config": "MYCONFIG", "ping": "mping"},
		MasterRebootDownAfterPeriod: 5 * time.Second, ConfigEpoch: 7, LeaderEpoch: 6,
		KnownReplicas:  []HostPort{{"10.0.0.2", 6379}, {"redis-1", 6379}},
		KnownSentinels: []KnownSentinel{{"10.0.0.5", 26379, "750df6107d926b711f97eab9a3b7c53b5a0abe47"}},
		File:           "s.conf", Line: 11,
	}
	if !reflect.DeepEqual(c.Masters[0], want) {
		t.Errorf("master:\n got %+v\nwant %+v", c.Masters[0], want)
	}
	other := NewMaster("other", "::1", 6380, 1)
	other.File, other.Line = "s.conf", 28
	if !reflect.DeepEqual(c.Masters[1], other) {
		t.Errorf("second master:\n got %+v\nwant %+v", c.Masters[1], other)
	}
}

// Checklist 66 and the three passes: per-master lines before their monitor
// line, and resolve-hostnames after the monitor line that needs it.
func TestSentinelThreePasses(t *testing.T) {
	c := mustParse(t, `sentinel down-after-milliseconds m 1000
sentinel known-replica m 10.0.0.2 6379
sentinel monitor m db.example 6379 2
sentinel config-epoch m 4
sentinel resolve-hostnames yes
sentinel current-epoch 2
`)
	if len(c.Masters) != 1 || c.Masters[0].DownAfter != time.Second || c.Masters[0].Host != "db.example" ||
		len(c.Masters[0].KnownReplicas) != 1 || c.CurrentEpoch != 4 || c.Masters[0].Line != 3 {
		t.Errorf("got %+v", c.Masters)
	}
	// Later monitor lines keep file order in Masters.
	c = mustParse(t, "sentinel parallel-syncs b 2\nsentinel monitor b 10.0.0.2 1 1\nsentinel monitor a 10.0.0.1 1 1\n")
	if c.Masters[0].Name != "b" || c.Masters[1].Name != "a" || c.Masters[0].ParallelSyncs != 2 {
		t.Errorf("order: %+v", c.Masters)
	}
}

func TestSentinelEmptyValuesKeepOld(t *testing.T) {
	c := mustParse(t, "sentinel announce-ip 1.2.3.4\nsentinel announce-ip \"\"\nsentinel sentinel-pass \"\"\n")
	if c.AnnounceIP != "1.2.3.4" || c.SentinelPass != "" {
		t.Errorf("announce-ip=%q sentinel-pass=%q", c.AnnounceIP, c.SentinelPass)
	}
	// current-epoch keeps the largest value, whatever the order.
	if c := mustParse(t, "sentinel current-epoch 9\nsentinel current-epoch 3\n"); c.CurrentEpoch != 9 {
		t.Errorf("CurrentEpoch = %d, want 9", c.CurrentEpoch)
	}
	// A bare `sentinel` line only selects the mode.
	if c := mustParse(t, "sentinel\n"); len(c.Masters) != 0 {
		t.Errorf("bare sentinel: %+v", c)
	}
}

func TestSentinelErrors(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec.sh")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const mon = "sentinel monitor m 127.0.0.1 6379 2\n"
	runErrCases(t, []errCase{
		{"quorum 0 (checklist 65)", "port 26379\nsentinel monitor m1 127.0.0.1 6379 0\n", nil, 2, "sentinel monitor", "Quorum must be 1 or greater."},
		{"quorum not a number", "sentinel monitor m 127.0.0.1 6379 x", nil, 1, "sentinel monitor", "Quorum must be 1 or greater."},
		{"unknown statement (checklist 65)", "sentinel foo bar\n", nil, 1, "sentinel foo", "Unrecognized sentinel configuration statement."},
		{"monitor arity", "sentinel monitor m 127.0.0.1 6379", nil, 1, "sentinel monitor", "Unrecognized sentinel configuration statement."},
		{"duplicate master", mon + mon, nil, 2, "sentinel monitor", "Duplicate master name."},
		{"localhost without resolve", "sentinel monitor m localhost 6379 2", nil, 1, "sentinel monitor", "Can't resolve instance hostname."},
		{"bad hostname with resolve", "sentinel resolve-hostnames yes\nsentinel monitor m bad_host! 6379 2", nil, 2, "sentinel monitor", "Can't resolve instance hostname."},
		{"resolve-hostnames no", "sentinel resolve-hostnames no\nsentinel monitor m db.example 6379 2", nil, 2, "sentinel monitor", "Can't resolve instance hostname."},
		{"port range", "sentinel monitor m 127.0.0.1 70000 2", nil, 1, "sentinel monitor", "Invalid port number."},
		{"port zero", "sentinel monitor m 127.0.0.1 0 2", nil, 1, "sentinel monitor", "Invalid port number."},
		{"port garbage", "sentinel monitor m 127.0.0.1 63x 2", nil, 1, "sentinel monitor", "Invalid port number."},
		{"no such master", mon + "sentinel down-after-milliseconds x 1000", nil, 2, "sentinel down-after-milliseconds", "No such master with specified name."},
		{"master names are case-sensitive", mon + "sentinel auth-pass M p", nil, 2, "sentinel auth-pass", "No such master with specified name."},
		{"down-after zero", "sentinel down-after-milliseconds m 0\n" + mon, nil, 1, "sentinel down-after-milliseconds", "negative or zero time parameter."},
		{"down-after garbage", mon + "sentinel down-after-milliseconds m 1s", nil, 2, "sentinel down-after-milliseconds", "negative or zero time parameter."},
		{"failover-timeout negative", mon + "sentinel failover-timeout m -5", nil, 2, "sentinel failover-timeout", "negative or zero time parameter."},
		{"reboot period negative", mon + "sentinel master-reboot-down-after-period m -1", nil, 2, "sentinel master-reboot-down-after-period", "negative time parameter."},
		{"parallel-syncs zero", mon + "sentinel parallel-syncs m 0", nil, 2, "sentinel parallel-syncs", "parallel-syncs must be 1 or greater."},
		{"script missing", mon + "sentinel notification-script m /nonexistent/x.sh", nil, 2, "sentinel notification-script", "Notification script seems non existing or non executable."},
		{"script not executable", mon + "sentinel client-reconfig-script m " + noexec, nil, 2, "sentinel client-reconfig-script", "Client reconfiguration script seems non existing or non executable."},
		{"script is a directory", mon + "sentinel notification-script m " + dir, nil, 2, "sentinel notification-script", "Notification script seems non existing or non executable."},
		{"rename twice", mon + "sentinel rename-command m PING a\nsentinel rename-command m ping b", nil, 3, "sentinel rename-command", "Same command renamed multiple times with rename-command."},
		{"duplicate replica", mon + "sentinel known-replica m 127.0.0.1 1\nsentinel known-slave m 127.0.0.1 1", nil, 3, "sentinel known-slave", "Duplicate hostname and port for replica."},
		{"replica host", mon + "sentinel known-replica m replica-1 1", nil, 2, "sentinel known-replica", "Can't resolve instance hostname."},
		{"duplicate sentinel runid", mon + "sentinel known-sentinel m 127.0.0.1 1 x\nsentinel known-sentinel m 127.0.0.2 1 x", nil, 3, "sentinel known-sentinel", "Duplicate runid for sentinel."},
		{"sentinel port", mon + "sentinel known-sentinel m 127.0.0.1 99999 x", nil, 2, "sentinel known-sentinel", "Invalid port number."},
		{"myid short", "sentinel myid abc", nil, 1, "sentinel myid", "Malformed Sentinel id in myid option."},
		{"myid not hex", "sentinel myid " + strings.Repeat("z", 40), nil, 1, "sentinel myid", "Malformed Sentinel id in myid option."},
		{"deny-scripts-reconfig", "sentinel deny-scripts-reconfig x", nil, 1, "sentinel deny-scripts-reconfig", "Please specify yes or no for the deny-scripts-reconfig options."},
		{"resolve-hostnames", "sentinel resolve-hostnames x", nil, 1, "sentinel resolve-hostnames", "Please specify yes or no for the resolve-hostnames option."},
		{"announce-hostnames", "sentinel announce-hostnames x", nil, 1, "sentinel announce-hostnames", "Please specify yes or no for the announce-hostnames option."},
		{"announce-port", "sentinel announce-port 65536", nil, 1, "sentinel announce-port", "Invalid port number."},
		{"current-epoch", "sentinel current-epoch -1", nil, 1, "sentinel current-epoch", "Epoch must be a non-negative integer."},
		{"config-epoch", mon + "sentinel config-epoch m x", nil, 2, "sentinel config-epoch", "Epoch must be a non-negative integer."},
		{"directive as written", "SENTINEL Bogus 1", nil, 1, "SENTINEL Bogus", "Unrecognized sentinel configuration statement."},
		// Pass 3 errors still name their own line, after pass-2 lines.
		{"pass order", "sentinel foo\nsentinel monitor m 127.0.0.1 6379 0\n", nil, 2, "sentinel monitor", "Quorum must be 1 or greater."},
		{"pass 1 before pass 2", "sentinel monitor m 127.0.0.1 6379 0\nsentinel myid x\n", nil, 2, "sentinel myid", "Malformed Sentinel id in myid option."},
		// Server directives are all applied before any sentinel line.
		{"server before sentinel", "sentinel foo\nport x\n", nil, 2, "port", "argument couldn't be parsed into an integer"},
	})
}

// The 3-value known-sentinel form is skipped without a master lookup, as in
// Sentinel; the 4-value form needs the master.
func TestKnownSentinelOldForm(t *testing.T) {
	c := mustParse(t, "sentinel known-sentinel nomaster 127.0.0.1 26379\n")
	if len(c.Masters) != 0 {
		t.Errorf("got %+v", c.Masters)
	}
	e := mustFail(t, "sentinel known-sentinel nomaster 127.0.0.1 26379 abc\n")
	if e.Reason != reasonNoMaster {
		t.Errorf("reason %q", e.Reason)
	}
}

// A relative script path is taken from dir, where Sentinel would have
// chdir'ed before checking it.
func TestScriptRelativeToDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "n.sh"), []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, "dir "+dir+"\nsentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m n.sh\n")
	if c.Masters[0].NotificationScript != "n.sh" {
		t.Errorf("script = %q", c.Masters[0].NotificationScript)
	}
}
