package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/sdsargs"
)

// Sentinel's reasons (sentinel.c), word for word.
const (
	reasonUnrecognized = "Unrecognized sentinel configuration statement."
	reasonNoMaster     = "No such master with specified name."
	reasonBadHost      = "Can't resolve instance hostname."
	reasonBadPort      = "Invalid port number."
	reasonZeroTime     = "negative or zero time parameter."
)

// Passes in which `sentinel` lines are applied, as Sentinel does it, so that
// per-master lines may come before their `monitor` line and
// resolve-hostnames applies to every monitor line whatever the order.
const (
	passGlobal  = 0 // the names in preMonitor
	passMonitor = 1 // monitor
	passRest    = 2 // everything else, including unknown statements
)

var preMonitor = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true,
	"myid": true, "resolve-hostnames": true, "announce-hostnames": true,
}

// sentinelPass picks the pass by name alone, as Sentinel's queue does; the
// argument count is checked when the line is applied.
func sentinelPass(name string) int {
	name = strings.ToLower(name)
	switch {
	case name == "monitor":
		return passMonitor
	case preMonitor[name]:
		return passGlobal
	}
	return passRest
}

// sentinelStatement is one `sentinel <name>` form: the exact number of
// values after the name, and its action. A count mismatch is an
// unrecognized statement, as in Sentinel.
type sentinelStatement struct {
	nvals int
	apply handler
}

// sentinelStatements is keyed by lower-case name. known-sentinel is listed
// twice because it has two forms; see runSentinelPasses.
var sentinelStatements = map[string][]sentinelStatement{
	"monitor":                         {{4, monitorStatement}},
	"down-after-milliseconds":         {{2, masterTime(reasonZeroTime, 1, func(m *Master, d time.Duration) { m.DownAfter = d })}},
	"failover-timeout":                {{2, masterTime(reasonZeroTime, 1, func(m *Master, d time.Duration) { m.FailoverTimeout = d })}},
	"master-reboot-down-after-period": {{2, masterTime("negative time parameter.", 0, func(m *Master, d time.Duration) { m.MasterRebootDownAfterPeriod = d })}},
	"parallel-syncs":                  {{2, parallelSyncsStatement}},
	"auth-pass":                       {{2, masterString(func(m *Master, v string) { m.AuthPass = v })}},
	"auth-user":                       {{2, masterString(func(m *Master, v string) { m.AuthUser = v })}},
	"notification-script": {{2, masterScript("Notification script seems non existing or non executable.",
		func(m *Master, v string) { m.NotificationScript = v })}},
	"client-reconfig-script": {{2, masterScript("Client reconfiguration script seems non existing or non executable.",
		func(m *Master, v string) { m.ClientReconfigScript = v })}},
	"rename-command":        {{3, masterRenameStatement}},
	"config-epoch":          {{2, masterEpoch(func(c *Config, m *Master, v uint64) { m.ConfigEpoch = v; c.raiseEpoch(v) })}},
	"leader-epoch":          {{2, masterEpoch(func(_ *Config, m *Master, v uint64) { m.LeaderEpoch = v })}},
	"known-replica":         {{3, knownReplicaStatement}},
	"known-slave":           {{3, knownReplicaStatement}},
	"known-sentinel":        {{4, knownSentinelStatement}, {3, ignoreStatement}},
	"current-epoch":         {{1, currentEpochStatement}},
	"myid":                  {{1, myIDStatement}},
	"announce-ip":           {{1, nonEmpty(func(c *Config, v string) { c.AnnounceIP = v })}},
	"announce-port":         {{1, announcePortStatement}},
	"sentinel-user":         {{1, nonEmpty(func(c *Config, v string) { c.SentinelUser = v })}},
	"sentinel-pass":         {{1, nonEmpty(func(c *Config, v string) { c.SentinelPass = v })}},
	"deny-scripts-reconfig": {{1, yesNo("Please specify yes or no for the deny-scripts-reconfig options.", func(c *Config, v bool) { c.DenyScriptsReconfig = v })}},
	"resolve-hostnames":     {{1, yesNo("Please specify yes or no for the resolve-hostnames option.", func(c *Config, v bool) { c.ResolveHostnames = v })}},
	"announce-hostnames":    {{1, yesNo("Please specify yes or no for the announce-hostnames option.", func(c *Config, v bool) { c.AnnounceHostnames = v })}},
}

// runSentinelPasses applies the queued `sentinel` lines pass by pass; an
// error still names the line where the statement was written.
func (p *parser) runSentinelPasses() *Error {
	for _, queue := range p.sentinel {
		for _, l := range queue {
			p.current = l
			directive := l.args[0] + " " + l.args[1]
			vals := l.args[2:]
			reason := reasonUnrecognized
			for _, st := range sentinelStatements[strings.ToLower(l.args[1])] {
				if st.nvals == len(vals) {
					reason = st.apply(p, vals)
					break
				}
			}
			if reason != "" {
				return l.fail(directive, reason)
			}
			// Global statements (one per file) are found again by
			// Errorf, e.g. "sentinel myid".
			if sentinelPass(l.args[1]) == passGlobal {
				p.seen[strings.ToLower(directive)] = l
			}
		}
	}
	return nil
}

// monitorStatement: monitor <name> <host> <port> <quorum>. Checks run in
// Sentinel's order: quorum, port, host, duplicate name.
func monitorStatement(p *parser, v []string) string {
	quorum, err := strconv.Atoi(v[3])
	if err != nil || quorum <= 0 {
		return "Quorum must be 1 or greater."
	}
	port, ok := parsePort(v[2])
	if !ok {
		return reasonBadPort
	}
	if !p.hostOK(v[1]) {
		return reasonBadHost
	}
	if _, dup := p.masters[v[0]]; dup {
		return "Duplicate master name."
	}
	m := NewMaster(v[0], v[1], port, quorum)
	m.File, m.Line = p.current.file, p.current.num
	p.masters[v[0]] = len(p.cfg.Masters)
	p.cfg.Masters = append(p.cfg.Masters, m)
	return ""
}

// hostOK is Sentinel's address rule without the DNS lookup: an IP literal
// is always fine; a name only with resolve-hostnames yes, and then it is
// kept as written and resolved at dial time.
func (p *parser) hostOK(host string) bool {
	return isIPLiteral(host) || (p.cfg.ResolveHostnames && isHostname(host))
}

// master finds a monitored master by exact (case-sensitive) name.
func (p *parser) master(name string) *Master {
	i, ok := p.masters[name]
	if !ok {
		return nil
	}
	return &p.cfg.Masters[i]
}

// perMaster wraps a per-master statement: the first value names the master.
func perMaster(apply func(p *parser, m *Master, v []string) string) handler {
	return func(p *parser, v []string) string {
		m := p.master(v[0])
		if m == nil {
			return reasonNoMaster
		}
		return apply(p, m, v[1:])
	}
}

// masterTime is a per-master millisecond value >= min. Non-numbers get the
// same reason as out-of-range values (Sentinel's atoi reads them as 0).
func masterTime(reason string, min int64, set func(*Master, time.Duration)) handler {
	return perMaster(func(_ *parser, m *Master, v []string) string {
		ms, ok := parseNumber(v[0])
		if !ok || ms < min || ms > maxMillis {
			return reason
		}
		set(m, time.Duration(ms)*time.Millisecond)
		return ""
	})
}

// parallelSyncsStatement: Sentinel does not check the value at load time,
// but 0 would stall every failover, so raftinel refuses it (as SENTINEL
// SET does).
var parallelSyncsStatement = perMaster(func(_ *parser, m *Master, v []string) string {
	n, ok := parseNumber(v[0])
	if !ok || n < 1 || n > 1<<30 {
		return "parallel-syncs must be 1 or greater."
	}
	m.ParallelSyncs = int(n)
	return ""
})

func masterString(set func(*Master, string)) handler {
	return perMaster(func(_ *parser, m *Master, v []string) string {
		set(m, v[0])
		return ""
	})
}

// masterScript checks, like Sentinel's access(X_OK), that the script
// exists and is executable. A relative path is taken from Dir, because
// Sentinel has chdir'ed into dir by the time it checks.
func masterScript(reason string, set func(*Master, string)) handler {
	return perMaster(func(p *parser, m *Master, v []string) string {
		if !p.cfg.Executable(v[0]) {
			return reason
		}
		set(m, v[0])
		return ""
	})
}

// masterRenameStatement: rename-command <master> <cmd> <new>. Command
// names compare case-insensitively, as in Sentinel's dictionary.
var masterRenameStatement = perMaster(func(_ *parser, m *Master, v []string) string {
	cmd := strings.ToLower(v[0])
	if _, dup := m.RenameCommands[cmd]; dup {
		return "Same command renamed multiple times with rename-command."
	}
	if m.RenameCommands == nil {
		m.RenameCommands = map[string]string{}
	}
	m.RenameCommands[cmd] = v[1]
	return ""
})

const reasonBadEpoch = "Epoch must be a non-negative integer."

func masterEpoch(set func(*Config, *Master, uint64)) handler {
	return perMaster(func(p *parser, m *Master, v []string) string {
		n, err := strconv.ParseUint(v[0], 10, 64)
		if err != nil {
			return reasonBadEpoch
		}
		set(p.cfg, m, n)
		return ""
	})
}

// raiseEpoch keeps CurrentEpoch the largest epoch seen, as Sentinel does
// for current-epoch and config-epoch lines.
func (c *Config) raiseEpoch(e uint64) {
	if e > c.CurrentEpoch {
		c.CurrentEpoch = e
	}
}

// knownReplicaStatement: known-replica <master> <host> <port>.
var knownReplicaStatement = perMaster(func(p *parser, m *Master, v []string) string {
	port, ok := parsePort(v[1])
	if !ok {
		return reasonBadPort
	}
	if !p.hostOK(v[0]) {
		return reasonBadHost
	}
	hp := HostPort{Host: v[0], Port: port}
	key := dupKey{m.Name, hp.Host + " " + strconv.Itoa(port)}
	if p.replicas[key] {
		return "Duplicate hostname and port for replica."
	}
	p.replicas[key] = true
	m.KnownReplicas = append(m.KnownReplicas, hp)
	return ""
})

// knownSentinelStatement: known-sentinel <master> <host> <port> <runid>.
var knownSentinelStatement = perMaster(func(p *parser, m *Master, v []string) string {
	port, ok := parsePort(v[1])
	if !ok {
		return reasonBadPort
	}
	if !p.hostOK(v[0]) {
		return reasonBadHost
	}
	key := dupKey{m.Name, v[2]}
	if p.sentinels[key] {
		return "Duplicate runid for sentinel."
	}
	p.sentinels[key] = true
	m.KnownSentinels = append(m.KnownSentinels, KnownSentinel{Host: v[0], Port: port, RunID: v[2]})
	return ""
})

// ignoreStatement: the old known-sentinel form without a runid, which
// Sentinel skips without even looking the master up.
func ignoreStatement(*parser, []string) string { return "" }

func currentEpochStatement(p *parser, v []string) string {
	n, err := strconv.ParseUint(v[0], 10, 64)
	if err != nil {
		return reasonBadEpoch
	}
	p.cfg.raiseEpoch(n)
	return ""
}

// myIDStatement: Sentinel checks only the length (40); raftinel also wants
// hex, because the id becomes the node's Raft server ID and is compared
// with run ids that Redis always writes as hex.
func myIDStatement(p *parser, v []string) string {
	if len(v[0]) != 40 {
		return "Malformed Sentinel id in myid option."
	}
	for i := 0; i < len(v[0]); i++ {
		if !sdsargs.IsHex(v[0][i]) {
			return "Malformed Sentinel id in myid option."
		}
	}
	p.cfg.MyID = v[0]
	return ""
}

// announcePortStatement: 0 means "announce the real port".
func announcePortStatement(p *parser, v []string) string {
	n, ok := parseNumber(v[0])
	if !ok || n < 0 || n > 65535 {
		return reasonBadPort
	}
	p.cfg.AnnouncePort = int(n)
	return ""
}

// nonEmpty sets a string; an empty value leaves the old one, as Sentinel
// does for announce-ip, sentinel-user and sentinel-pass.
func nonEmpty(set func(*Config, string)) handler {
	return func(p *parser, v []string) string {
		if v[0] != "" {
			set(p.cfg, v[0])
		}
		return ""
	}
}

func yesNo(reason string, set func(*Config, bool)) handler {
	return func(p *parser, v []string) string {
		b, ok := parseYesNo(v[0])
		if !ok {
			return reason
		}
		set(p.cfg, b)
		return ""
	}
}
