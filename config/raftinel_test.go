package config

import (
	"reflect"
	"testing"
	"time"
)

func TestRaftinelDirectives(t *testing.T) {
	c := mustParse(t, `
raft-peers 10.0.0.1:26379 sentinel-1.sentinel:26379 [::1]:26379
sentinel announce-ip 10.0.0.1
raft-secret "s e c r e t"
raft-insecure yes
raft-heartbeat-timeout 1000
raft-election-timeout 1500
raft-leader-lease-timeout 500
raft-commit-timeout 10
raft-snapshot-interval 60000
raft-snapshot-threshold 1
raft-trailing-logs 100
raft-stale-after 3000
raft-serve-stale yes
ping-period 1
info-period 2000
sdown-check-period 50
replica-witness no
manual-failover-pause-timeout 7000
demote-delay 0
fence-min-replicas 1
fence-max-lag 2
http-port 9121
`)
	wantRaft := Raft{
		Peers:  []string{"10.0.0.1:26379", "sentinel-1.sentinel:26379", "[::1]:26379"},
		Secret: "s e c r e t", Insecure: true, HeartbeatTimeout: time.Second, ElectionTimeout: 1500 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond, CommitTimeout: 10 * time.Millisecond,
		SnapshotInterval: time.Minute, SnapshotThreshold: 1, TrailingLogs: 100,
		StaleAfter: 3 * time.Second, ServeStale: true,
	}
	if !reflect.DeepEqual(c.Raft, wantRaft) {
		t.Errorf("Raft:\n got %+v\nwant %+v", c.Raft, wantRaft)
	}
	if want := (Monitor{PingPeriod: time.Millisecond, InfoPeriod: 2 * time.Second, SDownCheckPeriod: 50 * time.Millisecond}); c.Monitor != want {
		t.Errorf("Monitor = %+v, want %+v", c.Monitor, want)
	}
	if want := (Failover{ReplicaWitness: false, PauseTimeout: 7 * time.Second, FenceMinReplicas: 1, FenceMaxLag: 2}); c.Failover != want {
		t.Errorf("Failover = %+v, want %+v", c.Failover, want)
	}
	if c.HTTPPort != 9121 {
		t.Errorf("HTTPPort = %d", c.HTTPPort)
	}
	if len(c.Ignored) != 0 {
		t.Errorf("raftinel directives must not be reported as ignored: %+v", c.Ignored)
	}

	c = mustParse(t, "raft-join 10.0.0.1:26379\ndemote-delay 2500\nping-period 200\n")
	if c.Raft.Join != "10.0.0.1:26379" || c.Failover.DemoteDelay != 2500*time.Millisecond || c.Monitor.PingPeriod != 200*time.Millisecond {
		t.Errorf("got %+v", c)
	}
	if c.Failover.FenceMinReplicas != -1 || c.Failover.FenceMaxLag != 10 {
		t.Errorf("fencing defaults: %+v, want off (-1) and max lag 10", c.Failover)
	}
	if c = mustParse(t, "raft-bootstrap-expect 3\nraft-secret s\n"); c.Raft.BootstrapExpect != 3 {
		t.Errorf("BootstrapExpect = %d", c.Raft.BootstrapExpect)
	}
	// A later raft-peers line replaces the earlier one.
	c = mustParse(t, "raft-peers 10.0.0.1:1 10.0.0.2:1\nraft-peers 10.0.0.3:1 127.0.0.1:26379\n")
	if !reflect.DeepEqual(c.Raft.Peers, []string{"10.0.0.3:1", "127.0.0.1:26379"}) {
		t.Errorf("Peers = %q", c.Raft.Peers)
	}
}

func TestRaftinelErrors(t *testing.T) {
	const ms5 = "argument must be a whole number of milliseconds, at least 5"
	const ms1 = "argument must be a whole number of milliseconds, at least 1"
	const ms0 = "argument must be a whole number of milliseconds, at least 0"
	const atLeast1 = "argument must be a whole number, at least 1"
	runErrCases(t, []errCase{
		{"peers none", "raft-peers", nil, 1, "raft-peers", "wrong number of arguments"},
		{"peers no port", "raft-peers 10.0.0.1", nil, 1, "raft-peers", "invalid peer address '10.0.0.1': expected host:port"},
		{"peers bad port", "raft-peers 10.0.0.1:1 10.0.0.2:0", nil, 1, "raft-peers", "invalid peer address '10.0.0.2:0': invalid port"},
		{"peers port text", "raft-peers a:b", nil, 1, "raft-peers", "invalid peer address 'a:b': invalid port"},
		{"peers bad host", "raft-peers bad/host:1", nil, 1, "raft-peers", "invalid peer address 'bad/host:1': invalid host"},
		{"peers empty host", "raft-peers :26379", nil, 1, "raft-peers", "invalid peer address ':26379': invalid host"},
		{"peers ipv6 without brackets", "raft-peers ::1:26379", nil, 1, "raft-peers", "invalid peer address '::1:26379': expected host:port"},
		{"peers twice", "raft-peers a:1 a:1", nil, 1, "raft-peers", "peer address 'a:1' listed twice"},
		{"join arity", "raft-join a:1 b:1", nil, 1, "raft-join", "wrong number of arguments"},
		{"join bad", "raft-join a", nil, 1, "raft-join", "invalid address 'a': expected host:port"},
		{"peers and join", "raft-join a:1\nport 1\nraft-peers b:1 c:1\n", nil, 3, "raft-peers",
			"raft-peers and raft-join cannot be used together: raft-peers bootstraps a new cluster, raft-join joins a running one"},
		{"expect zero", "raft-bootstrap-expect 0", nil, 1, "raft-bootstrap-expect", "argument must be between 1 and 1000 inclusive"},
		{"expect text", "raft-bootstrap-expect three", nil, 1, "raft-bootstrap-expect", "argument couldn't be parsed into an integer"},
		{"expect and peers", "port 1\nraft-peers a:1 127.0.0.1:1\nraft-bootstrap-expect 3\n", nil, 3, "raft-bootstrap-expect",
			"raft-peers and raft-bootstrap-expect cannot be used together: raft-peers lists the members, raft-bootstrap-expect finds them"},
		{"expect and join", "raft-bootstrap-expect 3\nraft-join a:1\n", nil, 2, "raft-join",
			"raft-join and raft-bootstrap-expect cannot be used together: raft-join joins a running cluster, raft-bootstrap-expect forms a new one"},
		{"secret empty", `raft-secret ""`, nil, 1, "raft-secret", "raft-secret must not be empty"},
		{"secret arity", "raft-secret a b", nil, 1, "raft-secret", "wrong number of arguments"},
		{"heartbeat small", "raft-heartbeat-timeout 4", nil, 1, "raft-heartbeat-timeout", ms5},
		{"heartbeat text", "raft-heartbeat-timeout 1s", nil, 1, "raft-heartbeat-timeout", ms5},
		{"election small", "raft-election-timeout 0", nil, 1, "raft-election-timeout", ms5},
		{"lease small", "raft-leader-lease-timeout -1", nil, 1, "raft-leader-lease-timeout", ms5},
		{"commit zero", "raft-commit-timeout 0", nil, 1, "raft-commit-timeout", ms1},
		{"snapshot interval", "raft-snapshot-interval 1", nil, 1, "raft-snapshot-interval", ms5},
		{"snapshot threshold", "raft-snapshot-threshold -1", nil, 1, "raft-snapshot-threshold", atLeast1},
		{"snapshot threshold zero", "raft-snapshot-threshold 0", nil, 1, "raft-snapshot-threshold", atLeast1},
		{"trailing logs", "raft-trailing-logs x", nil, 1, "raft-trailing-logs", atLeast1},
		{"trailing logs zero", "raft-trailing-logs 0", nil, 1, "raft-trailing-logs", atLeast1},
		{"stale after", "raft-stale-after 0", nil, 1, "raft-stale-after", ms1},
		{"serve stale", "raft-serve-stale maybe", nil, 1, "raft-serve-stale", "argument must be 'yes' or 'no'"},
		{"ping period", "ping-period -1", nil, 1, "ping-period", ms1},
		{"ping period zero", "ping-period 0", nil, 1, "ping-period", ms1},
		{"info period", "info-period 0", nil, 1, "info-period", ms1},
		{"sdown period", "sdown-check-period 0", nil, 1, "sdown-check-period", ms1},
		{"witness", "replica-witness 1", nil, 1, "replica-witness", "argument must be 'yes' or 'no'"},
		{"pause", "manual-failover-pause-timeout 0", nil, 1, "manual-failover-pause-timeout", ms1},
		{"demote delay", "demote-delay -1", nil, 1, "demote-delay", ms0},
		{"duration overflow", "demote-delay 9223372036854775807", nil, 1, "demote-delay", ms0},
		{"fence min replicas", "fence-min-replicas -1", nil, 1, "fence-min-replicas", "argument must be between 0 and 1048576 inclusive"},
		{"fence max lag", "fence-max-lag 0", nil, 1, "fence-max-lag", "argument must be between 1 and 1048576 inclusive"},
		{"http port", "http-port 65536", nil, 1, "http-port", "argument must be between 0 and 65535 inclusive"},
		{"http port clash", "http-port 26379", nil, 1, "http-port", "http-port 26379 is already used by port or tls-port"},
		{"http port clash later port", "http-port 9000\nport 9000", nil, 2, "port", "http-port 9000 is already used by port or tls-port"},
		{"tls only without tls-replication", "port 0\ntls-port 26380" + certs, nil, 2, "tls-port",
			"port 0 (TLS only) needs tls-replication yes: other nodes reach this one on tls-port, over TLS"},
		{"no port at all", "port 0", nil, 1, "port",
			"port 0 disables the plain port and there is no tls-port: raftinel needs a TCP port for clients and peers"},
		{"tls-port without certificates", "tls-port 26380", nil, 1, "tls-port",
			"tls-port needs tls-cert-file and tls-key-file (the certificate and key the port presents)"},
		{"tls-port without key", "tls-port 26380\ntls-cert-file c.crt", nil, 2, "tls-cert-file",
			"tls-port needs tls-cert-file and tls-key-file (the certificate and key the port presents)"},
		{"peers without this node", "port 7000\nraft-peers 127.0.0.1:7001 127.0.0.1:7002", nil, 2, "raft-peers",
			"raft-peers 127.0.0.1:7001 127.0.0.1:7002 does not include this node's address 127.0.0.1:7000 (set from announce-ip/announce-port, else bind and port): list every initial member, this node included"},
		{"peers without this node, port later", "raft-peers 127.0.0.1:7001 127.0.0.1:7002\nport 7001\nbind 127.0.0.2", nil, 3, "bind",
			"raft-peers 127.0.0.1:7001 127.0.0.1:7002 does not include this node's address 127.0.0.2:7001 (set from announce-ip/announce-port, else bind and port): list every initial member, this node included"},
		{"election below heartbeat", "raft-heartbeat-timeout 1000", nil, 1, "raft-heartbeat-timeout",
			"raft-election-timeout (300ms) must not be shorter than raft-heartbeat-timeout (1s)"},
		{"lease above heartbeat", "raft-election-timeout 1000\nraft-leader-lease-timeout 400\n", nil, 2, "raft-leader-lease-timeout",
			"raft-leader-lease-timeout (400ms) must not be longer than raft-heartbeat-timeout (300ms)"},
	})
}

// certs are the lines a tls-port needs to be accepted.
const certs = "\ntls-cert-file c.crt\ntls-key-file c.key"

func TestRaftAddr(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"", "127.0.0.1:26379"},
		{"port 29010", "127.0.0.1:29010"},
		{"bind 10.0.0.5 127.0.0.1", "10.0.0.5:26379"},
		{"bind * -::*", "127.0.0.1:26379"},
		{"bind 0.0.0.0 10.0.0.6", "10.0.0.6:26379"},
		{"bind -::1", "[::1]:26379"},
		{"bind 10.0.0.5\nsentinel announce-ip 192.168.1.9", "192.168.1.9:26379"},
		{"port 1\nsentinel announce-port 2", "127.0.0.1:2"},
		{"sentinel announce-ip sentinel-0.sentinel\nsentinel announce-port 30000", "sentinel-0.sentinel:30000"},
		{"sentinel announce-ip fd00::1", "[fd00::1]:26379"},
		{"tls-port 26380" + certs, "127.0.0.1:26379"},
		{"tls-port 26380\ntls-replication yes" + certs, "127.0.0.1:26380"},
		{"port 0\ntls-port 26380\ntls-replication yes" + certs, "127.0.0.1:26380"},
		{"tls-port 26380\ntls-replication yes\nsentinel announce-port 30000" + certs, "127.0.0.1:30000"},
	} {
		if got := mustParse(t, tc.conf).RaftAddr(); got != tc.want {
			t.Errorf("%q: RaftAddr() = %q, want %q", tc.conf, got, tc.want)
		}
	}
}
