package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultPort is the Sentinel port.
const DefaultPort = 26379

// Config is everything a node is started with. Zero values are never used
// directly: Default() fills every field and the parser overrides.
type Config struct {
	File string // path of the config file, for error messages

	// Server directives (Redis names).
	Port           int
	Bind           []string
	Dir            string
	LogFile        string // "" = stderr
	LogLevel       string // debug|verbose|notice|warning|nothing
	PidFile        string
	Daemonize      bool
	ProtectedMode  bool
	RequirePass    string
	Users          []string // `user` lines minus the keyword: "name rule rule ..." (SplitArgs gives the tokens back)
	ACLFile        string
	MaxClients     int
	Timeout        time.Duration // idle client timeout, 0 = never
	BindSourceAddr string
	SyslogEnabled  bool
	SyslogIdent    string
	SyslogFacility string // user|local0..local7
	TLS            TLS

	// RenameCommands holds server-level `rename-command <cmd> <new>` lines
	// (they rename the node's own commands): lower-case command -> new name,
	// "" = command disabled.
	RenameCommands map[string]string

	// Global sentinel directives.
	AnnounceIP          string
	AnnouncePort        int
	ResolveHostnames    bool
	AnnounceHostnames   bool
	DenyScriptsReconfig bool
	SentinelUser        string
	SentinelPass        string
	CurrentEpoch        uint64
	MyID                string // 40 hex chars, "" = from dir or random

	// Masters in file order.
	Masters []Master

	Raft     Raft
	Monitor  Monitor
	Failover Failover

	HTTPPort int // 0 = off

	// Ignored lists Redis server directives that were accepted but have no
	// meaning for raftinel, so the caller can log them.
	Ignored []IgnoredDirective

	// origins: where each server and raftinel directive was set, so that
	// checks made when the node starts (Errorf) name the line.
	origins map[string]*line
}

// Errorf is a configuration error about directive found after parsing (a
// port that cannot be bound, TLS files that do not load, a node of several
// without raft-secret): it names the file and the line that set the
// directive, like a parse error, or only the file when the directive was
// left at its default.
func (c *Config) Errorf(directive, format string, a ...any) *Error {
	reason := fmt.Sprintf(format, a...)
	if l := c.origins[strings.ToLower(directive)]; l != nil {
		written := l.args[0]
		if strings.EqualFold(written, "sentinel") && len(l.args) > 1 {
			written += " " + l.args[1]
		}
		return l.fail(written, reason)
	}
	file := c.File
	if file == "" {
		file = "(config)"
	}
	return &Error{File: file, Directive: directive, Reason: reason}
}

// CheckPeerAuth refuses a node of a multi-node cluster (raft-peers with
// other nodes, raft-join, or raft-bootstrap-expect above 1) without raft-secret, unless raft-insecure yes
// says so: anyone who reaches the port would control the cluster. It is
// checked when the node starts (node.New), not by Parse, so that a file
// can be loaded and inspected without its secret (which may arrive on the
// command line).
func (c *Config) CheckPeerAuth() error {
	if c.Raft.Secret != "" || c.Raft.Insecure || (len(c.Raft.Peers) <= 1 && c.Raft.Join == "" && c.Raft.BootstrapExpect <= 1) {
		return nil
	}
	directive := "raft-peers"
	switch {
	case c.Raft.Join != "":
		directive = "raft-join"
	case c.Raft.BootstrapExpect > 1:
		directive = "raft-bootstrap-expect"
	}
	return c.Errorf(directive, "raft-secret is not set: a node of a multi-node cluster must authenticate its peers; "+
		"add the same `raft-secret <random string>` line to every node's config (e.g. from `openssl rand -hex 32`), "+
		"or `raft-insecure yes` to run unauthenticated")
}

// IgnoredDirective is one accepted-but-unused Redis directive.
type IgnoredDirective struct {
	File      string
	Line      int
	Directive string
}

// TLS mirrors Redis's tls-* directives.
type TLS struct {
	Port                int
	CertFile            string
	KeyFile             string
	KeyFilePass         string
	ClientCertFile      string
	ClientKeyFile       string
	ClientKeyFilePass   string
	CACertFile          string
	CACertDir           string
	AuthClients         string // yes|no|optional
	Protocols           string
	Ciphers             string
	Ciphersuites        string
	PreferServerCiphers bool
	Replication         bool
}

// Master is one `sentinel monitor` block with its per-master directives.
type Master struct {
	Name                        string
	Host                        string
	Port                        int
	Quorum                      int
	DownAfter                   time.Duration
	FailoverTimeout             time.Duration
	ParallelSyncs               int
	AuthPass                    string
	AuthUser                    string
	NotificationScript          string
	ClientReconfigScript        string
	RenameCommands              map[string]string // lower-case command -> new name
	MasterRebootDownAfterPeriod time.Duration
	ConfigEpoch                 uint64
	LeaderEpoch                 uint64
	KnownReplicas               []HostPort
	KnownSentinels              []KnownSentinel
	File                        string // where the monitor directive is: file path or CommandLine
	Line                        int    // its line (argument position for CommandLine), for messages
}

// HostPort is an address as written in the file (a hostname stays a name).
type HostPort struct {
	Host string
	Port int
}

// KnownSentinel is a `sentinel known-sentinel` line; raftinel learns members
// from Raft, so these are accepted (for drop-in configs) and only logged.
type KnownSentinel struct {
	Host  string
	Port  int
	RunID string
}

// Raft holds raftinel's own cluster directives.
type Raft struct {
	Peers              []string      // raft-peers host:port ... (self included)
	Join               string        // raft-join host:port
	BootstrapExpect    int           // raft-bootstrap-expect N (0 = off)
	Secret             string        // raft-secret
	Insecure           bool          // raft-insecure: several nodes without raft-secret
	HeartbeatTimeout   time.Duration // raft-heartbeat-timeout
	ElectionTimeout    time.Duration // raft-election-timeout
	LeaderLeaseTimeout time.Duration // raft-leader-lease-timeout
	CommitTimeout      time.Duration // raft-commit-timeout
	SnapshotInterval   time.Duration // raft-snapshot-interval
	SnapshotThreshold  uint64        // raft-snapshot-threshold
	TrailingLogs       uint64        // raft-trailing-logs
	StaleAfter         time.Duration // raft-stale-after
	ServeStale         bool          // raft-serve-stale
}

// Monitor holds the probe timers.
type Monitor struct {
	PingPeriod       time.Duration // ping-period, 0 = auto: clamp(down-after/10, 100ms, 1s)
	InfoPeriod       time.Duration // info-period (Sentinel: 10 s)
	SDownCheckPeriod time.Duration // sdown-check-period: how often SDOWN is evaluated
}

// Failover holds failover behaviour switches.
type Failover struct {
	ReplicaWitness bool          // replica-witness: replicas with a live link veto ODOWN
	PauseTimeout   time.Duration // manual-failover-pause-timeout: CLIENT PAUSE bound
	DemoteDelay    time.Duration // demote-delay: wait before demoting a returning old master
	// fence-min-replicas / fence-max-lag: min-replicas-to-write and
	// min-replicas-max-lag (seconds) kept on every instance of every
	// monitored set; FenceMinReplicas < 0 = off (Redis settings untouched).
	FenceMinReplicas int
	FenceMaxLag      int
}

// Master defaults (Sentinel's).
const (
	DefaultDownAfter       = 30 * time.Second
	DefaultFailoverTimeout = 180 * time.Second
	DefaultParallelSyncs   = 1
)

// Default returns a Config with every default filled in.
func Default() *Config {
	return &Config{
		Port:                DefaultPort,
		Dir:                 ".",
		LogLevel:            "notice",
		SyslogIdent:         "redis",
		SyslogFacility:      "local0",
		MaxClients:          10000,
		DenyScriptsReconfig: true,
		TLS:                 TLS{AuthClients: "yes"},
		Raft: Raft{
			HeartbeatTimeout:   300 * time.Millisecond,
			ElectionTimeout:    300 * time.Millisecond,
			LeaderLeaseTimeout: 200 * time.Millisecond,
			CommitTimeout:      50 * time.Millisecond,
			SnapshotInterval:   30 * time.Second,
			SnapshotThreshold:  8192,
			TrailingLogs:       10240,
			StaleAfter:         2 * time.Second,
		},
		Monitor: Monitor{
			InfoPeriod:       10 * time.Second,
			SDownCheckPeriod: 10 * time.Millisecond,
		},
		Failover: Failover{
			ReplicaWitness:   true,
			PauseTimeout:     5 * time.Second,
			FenceMinReplicas: -1,
			FenceMaxLag:      10,
		},
	}
}

// Path resolves a file name given in the config or at run time (logfile,
// pidfile, aclfile, notification and reconfig scripts) the way
// redis-sentinel does: it has chdir'ed into dir by the time it opens any of
// them, so a relative name is taken from Dir. raftinel does not chdir (a node
// can run in-process), it joins instead.
func (c *Config) Path(name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(c.Dir, name)
}

// Executable reports whether a script exists, is a regular file and has an
// execute bit, like Sentinel's access(X_OK); a relative path is taken from
// Dir (Path).
func (c *Config) Executable(name string) bool {
	if name == "" {
		return false
	}
	fi, err := os.Stat(c.Path(name))
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// NewMaster returns a master block with Sentinel's defaults.
func NewMaster(name, host string, port, quorum int) Master {
	return Master{
		Name: name, Host: host, Port: port, Quorum: quorum,
		DownAfter:       DefaultDownAfter,
		FailoverTimeout: DefaultFailoverTimeout,
		ParallelSyncs:   DefaultParallelSyncs,
	}
}
