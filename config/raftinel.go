package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// raftinelDirectives are raftinel's own directives. They are top-level
// (not `sentinel ...`) so that a redis-sentinel reading the file would stop
// with "Bad directive" instead of silently running without them.
var raftinelDirectives = map[string]handler{
	"raft-peers":  raftPeersValue,
	"raft-join":   raftJoinValue,
	"raft-secret": raftSecretValue,
	// raft-bootstrap-expect N: form the cluster with the N raftinel nodes
	// (this one included) found through the hello channel of the masters
	// this file monitors, instead of listing them in raft-peers.
	"raft-bootstrap-expect": intValue(1, 1000, func(c *Config, v int64) { c.Raft.BootstrapExpect = int(v) }),
	// raft-insecure yes: a multi-node cluster without raft-secret, its
	// peer streams unauthenticated (logged loudly at start).
	"raft-insecure": boolValue(func(c *Config, v bool) { c.Raft.Insecure = v }),

	// hashicorp/raft refuses timeouts under 5 ms (commit: 1 ms); refusing
	// them here names the line instead of failing at start-up.
	"raft-heartbeat-timeout":    millis(5, func(c *Config, d time.Duration) { c.Raft.HeartbeatTimeout = d }),
	"raft-election-timeout":     millis(5, func(c *Config, d time.Duration) { c.Raft.ElectionTimeout = d }),
	"raft-leader-lease-timeout": millis(5, func(c *Config, d time.Duration) { c.Raft.LeaderLeaseTimeout = d }),
	"raft-commit-timeout":       millis(1, func(c *Config, d time.Duration) { c.Raft.CommitTimeout = d }),
	"raft-snapshot-interval":    millis(5, func(c *Config, d time.Duration) { c.Raft.SnapshotInterval = d }),
	"raft-snapshot-threshold":   count(1, func(c *Config, n uint64) { c.Raft.SnapshotThreshold = n }),
	"raft-trailing-logs":        count(1, func(c *Config, n uint64) { c.Raft.TrailingLogs = n }),
	"raft-stale-after":          millis(1, func(c *Config, d time.Duration) { c.Raft.StaleAfter = d }),
	"raft-serve-stale":          boolValue(func(c *Config, v bool) { c.Raft.ServeStale = v }),

	// Without the directive the period is automatic (Monitor.PingPeriod 0).
	"ping-period":        millis(1, func(c *Config, d time.Duration) { c.Monitor.PingPeriod = d }),
	"info-period":        millis(1, func(c *Config, d time.Duration) { c.Monitor.InfoPeriod = d }),
	"sdown-check-period": millis(1, func(c *Config, d time.Duration) { c.Monitor.SDownCheckPeriod = d }),

	"replica-witness":               boolValue(func(c *Config, v bool) { c.Failover.ReplicaWitness = v }),
	"manual-failover-pause-timeout": millis(1, func(c *Config, d time.Duration) { c.Failover.PauseTimeout = d }),
	"demote-delay":                  millis(0, func(c *Config, d time.Duration) { c.Failover.DemoteDelay = d }),
	"fence-min-replicas":            intValue(0, 1<<20, func(c *Config, v int64) { c.Failover.FenceMinReplicas = int(v) }),
	"fence-max-lag":                 intValue(1, 1<<20, func(c *Config, v int64) { c.Failover.FenceMaxLag = int(v) }),

	"http-port": intValue(0, 65535, func(c *Config, v int64) { c.HTTPPort = int(v) }), // 0 = off
}

// millis is a duration written as whole milliseconds, at least min.
func millis(min int64, set func(*Config, time.Duration)) handler {
	return func(p *parser, vals []string) string {
		if len(vals) != 1 {
			return reasonArgCount
		}
		ms, ok := parseNumber(vals[0])
		if !ok || ms < min || ms > maxMillis {
			return fmt.Sprintf("argument must be a whole number of milliseconds, at least %d", min)
		}
		set(p.cfg, time.Duration(ms)*time.Millisecond)
		return ""
	}
}

// count is an integer, at least min.
func count(min int64, set func(*Config, uint64)) handler {
	return func(p *parser, vals []string) string {
		if len(vals) != 1 {
			return reasonArgCount
		}
		n, ok := parseNumber(vals[0])
		if !ok || n < min {
			return fmt.Sprintf("argument must be a whole number, at least %d", min)
		}
		set(p.cfg, uint64(n))
		return ""
	}
}

// raftPeersValue: raft-peers <host:port> ... lists every initial member,
// this node included. A later line replaces an earlier one.
func raftPeersValue(p *parser, vals []string) string {
	if len(vals) == 0 {
		return reasonArgCount
	}
	seen := map[string]bool{}
	for _, a := range vals {
		if why := checkHostPort(a); why != "" {
			return "invalid peer address " + quote(a) + ": " + why
		}
		if seen[a] {
			return "peer address " + quote(a) + " listed twice"
		}
		seen[a] = true
	}
	p.cfg.Raft.Peers = append([]string(nil), vals...)
	return ""
}

func raftJoinValue(p *parser, vals []string) string {
	if len(vals) != 1 {
		return reasonArgCount
	}
	if why := checkHostPort(vals[0]); why != "" {
		return "invalid address " + quote(vals[0]) + ": " + why
	}
	p.cfg.Raft.Join = vals[0]
	return ""
}

func raftSecretValue(p *parser, vals []string) string {
	if len(vals) != 1 {
		return reasonArgCount
	}
	if vals[0] == "" {
		return "raft-secret must not be empty"
	}
	p.cfg.Raft.Secret = vals[0]
	return ""
}

// crossCheck refuses combinations that no single line shows wrong. The
// error names the later of the lines involved (the one to change), or has
// no line when only defaults are involved.
func (p *parser) crossCheck() *Error {
	c := p.cfg
	type rule struct {
		bad        bool
		directives []string
		reason     string
	}
	rules := []rule{
		{c.Raft.Join != "" && len(c.Raft.Peers) > 0, []string{"raft-peers", "raft-join"},
			"raft-peers and raft-join cannot be used together: raft-peers bootstraps a new cluster, raft-join joins a running one"},
		{c.Raft.BootstrapExpect > 0 && len(c.Raft.Peers) > 0, []string{"raft-peers", "raft-bootstrap-expect"},
			"raft-peers and raft-bootstrap-expect cannot be used together: raft-peers lists the members, raft-bootstrap-expect finds them"},
		{c.Raft.BootstrapExpect > 0 && c.Raft.Join != "", []string{"raft-join", "raft-bootstrap-expect"},
			"raft-join and raft-bootstrap-expect cannot be used together: raft-join joins a running cluster, raft-bootstrap-expect forms a new one"},
		{c.Raft.ElectionTimeout < c.Raft.HeartbeatTimeout, []string{"raft-election-timeout", "raft-heartbeat-timeout"},
			fmt.Sprintf("raft-election-timeout (%v) must not be shorter than raft-heartbeat-timeout (%v)", c.Raft.ElectionTimeout, c.Raft.HeartbeatTimeout)},
		{c.Raft.LeaderLeaseTimeout > c.Raft.HeartbeatTimeout, []string{"raft-leader-lease-timeout", "raft-heartbeat-timeout"},
			fmt.Sprintf("raft-leader-lease-timeout (%v) must not be longer than raft-heartbeat-timeout (%v)", c.Raft.LeaderLeaseTimeout, c.Raft.HeartbeatTimeout)},
		{c.HTTPPort != 0 && (c.HTTPPort == c.Port || c.HTTPPort == c.TLS.Port), []string{"http-port", "port", "tls-port"},
			fmt.Sprintf("http-port %d is already used by port or tls-port", c.HTTPPort)},
		{c.Port == 0 && c.TLS.Port == 0, []string{"port", "tls-port"},
			"port 0 disables the plain port and there is no tls-port: raftinel needs a TCP port for clients and peers"},
		{c.TLS.Port > 0 && (c.TLS.CertFile == "" || c.TLS.KeyFile == ""), []string{"tls-port", "tls-cert-file", "tls-key-file"},
			"tls-port needs tls-cert-file and tls-key-file (the certificate and key the port presents)"},
		{len(c.Raft.Peers) > 0 && !slices.Contains(c.Raft.Peers, c.RaftAddr()), []string{"raft-peers", "announce-ip", "announce-port", "bind", "port", "tls-port"},
			fmt.Sprintf("raft-peers %s does not include this node's address %s (set from announce-ip/announce-port, else bind and port): list every initial member, this node included",
				strings.Join(c.Raft.Peers, " "), c.RaftAddr())},
		{c.Port == 0 && c.TLS.Port > 0 && !c.TLS.Replication, []string{"port", "tls-port", "tls-replication"},
			"port 0 (TLS only) needs tls-replication yes: other nodes reach this one on tls-port, over TLS"},
		// redis-server's own check, with its own words.
		{c.ACLFile != "" && len(c.Users) > 0, []string{"aclfile", "user"},
			"Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. " +
				"This setup is very likely to lead to configuration errors and security holes, please define either " +
				"an ACL file or declare users directly in your redis.conf, but not both."},
	}
	for _, r := range rules {
		if r.bad {
			return p.blame(r.directives, r.reason)
		}
	}
	return nil
}

// blame builds an error on the latest line among directives.
func (p *parser) blame(directives []string, reason string) *Error {
	var last *line
	for _, d := range directives {
		if l := p.seen[d]; l != nil && (last == nil || l.seq > last.seq) {
			last = l
		}
	}
	if last == nil {
		return &Error{File: p.cfg.File, Directive: directives[0], Reason: reason}
	}
	return last.fail(last.args[0], reason)
}
