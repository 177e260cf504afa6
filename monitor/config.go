package monitor

import (
	"context"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/rawio"
	"github.com/raftinel/raftinel/view"
)

// Config holds the node-wide monitor settings. Zero values pick the defaults
// documented on each field.
type Config struct {
	// MyID is this node's 40-hex id; links send
	// CLIENT SETNAME sentinel-<first 8>-cmd.
	MyID string
	// PingPeriod is the time between two PINGs of one instance. 0 = auto:
	// clamp(down-after/10, 100ms, 1s) per target.
	PingPeriod time.Duration
	// InfoPeriod is the normal INFO period (default 10s).
	InfoPeriod time.Duration
	// FastInfoPeriod is the INFO period for the targets of a master put in
	// fast mode with SetFastInfo, and for replicas reporting their master
	// link down (default 1s, spec §6.2).
	FastInfoPeriod time.Duration
	// SDownCheckPeriod is the minimum spacing of SDOWN evaluation passes
	// (default 10ms): a pass runs when an instance's SDOWN deadline comes or
	// its inputs change, never sooner than this after the previous one, so
	// detection lands within about this of the deadline.
	SDownCheckPeriod time.Duration
	// DialTimeout bounds one connection attempt. 0 = min(down-after/2, 1s)
	// per target (1s for peers).
	DialTimeout time.Duration
	// Dial, when set, replaces net.Dialer for every link (tests inject
	// faults with it).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ExclusiveDial says that the connections Dial returns are plain TCP
	// connections the monitor alone uses (as net.Dialer's are): then, on
	// Linux, one goroutine drives every PING probe over sockets taken out
	// of Go's poller (pinger_linux.go). Set when Dial is unset.
	ExclusiveDial bool
	// PingRTT, when set, receives the round trip of every valid PING reply
	// from a Redis instance (not peers, not a PING that carried the
	// connection's handshake). It runs on the probe's goroutine: keep it
	// cheap (a histogram observation).
	PingRTT func(rtt time.Duration)
}

// Defaults.
const (
	DefaultInfoPeriod       = 10 * time.Second
	DefaultFastInfoPeriod   = 1 * time.Second
	DefaultSDownCheckPeriod = 10 * time.Millisecond
	// DefaultCommandTimeout bounds Do and Transaction when the caller's
	// context has no deadline.
	DefaultCommandTimeout = 10 * time.Second

	minPeriod = 100 * time.Millisecond // floor of ping period, ping timeout, reconnect interval
	maxPeriod = 1 * time.Second        // ceiling of the same

	// Peers (other raftinel nodes) are probed like Sentinel probes its
	// peers: every second.
	peerPingPeriod  = 1 * time.Second
	peerPingTimeout = 1 * time.Second
)

func (c Config) withDefaults() Config {
	if c.InfoPeriod <= 0 {
		c.InfoPeriod = DefaultInfoPeriod
	}
	if c.FastInfoPeriod <= 0 {
		c.FastInfoPeriod = DefaultFastInfoPeriod
	}
	if c.SDownCheckPeriod <= 0 {
		c.SDownCheckPeriod = DefaultSDownCheckPeriod
	}
	if c.Dial == nil {
		c.Dial = dialQuiet
		c.ExclusiveDial = true
	}
	return c
}

// dialQuiet is net.Dialer's DialContext with the connection wrapped
// (rawio.Wrap: quiet system calls for the command link's INFO).
func dialQuiet(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return rawio.Wrap(c), nil
}

// clientName is the CLIENT SETNAME argument, "" when MyID is unset.
func (c Config) clientName() string {
	if c.MyID == "" {
		return ""
	}
	id := c.MyID
	if len(id) > 8 {
		id = id[:8]
	}
	return "sentinel-" + id + "-cmd"
}

// Reporter receives this node's observations. Its methods are called from
// the monitor's goroutines and must not block long; they may call back into
// the Monitor (no monitor lock is held while they run). SDown calls come
// from one goroutine, in order; ReplicaSeen and Info come from the INFO
// goroutine of each instance and from RefreshInfo callers, so they may run
// concurrently for different instances.
type Reporter interface {
	// SDown is called on every SDOWN transition of a master or replica.
	SDown(t view.Target, down bool)
	// ReplicaSeen is called on every INFO of a master for every replica it
	// lists (ip:port); the receiver dedups.
	ReplicaSeen(master string, addr string)
	// Info is called after every successful INFO parse.
	Info(t view.Target, v view.Instance)
}

type nopReporter struct{}

func (nopReporter) SDown(view.Target, bool)         {}
func (nopReporter) ReplicaSeen(string, string)      {}
func (nopReporter) Info(view.Target, view.Instance) {}

// linkSettings is everything a link of one target needs, derived once per
// settings change and shared read-only (the probe reads it on every ping
// without allocating).
type linkSettings struct {
	addr        string
	downAfter   time.Duration
	period      time.Duration // between two PINGs
	pingTimeout time.Duration // an unanswered PING older than this closes the probe connection
	reconnect   time.Duration // minimum time between two dials of one link
	dialTimeout time.Duration
	cmdTimeout  time.Duration // INFO and the handshake of the command link
	auth        []byte        // encoded AUTH command, nil when no password
	hello       []byte        // encoded CLIENT SETNAME, nil when no name
	ping        []byte        // encoded PING
	info        []byte        // encoded INFO
	rename      map[string]string
	connKey     string // auth + rename + addr: a change forces a reconnect
	onRTT       func(time.Duration)
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// rename returns the name to send for a command.
func renamed(rename map[string]string, cmd string) string {
	if len(rename) == 0 {
		return cmd
	}
	if r, ok := rename[strings.ToLower(cmd)]; ok && r != "" {
		return r
	}
	return cmd
}

func authCommand(rename map[string]string, user, pass string) []byte {
	if pass == "" {
		return nil
	}
	if user != "" {
		return appendCommand(nil, renamed(rename, "AUTH"), user, pass)
	}
	return appendCommand(nil, renamed(rename, "AUTH"), pass)
}

// targetSettings derives the link settings of a target.
//
// Chosen timings (down-after = D):
//   - ping period: Config.PingPeriod, else clamp(D/10, 100ms, 1s);
//   - ping timeout: clamp(D/4, 100ms, 1s). A PING unanswered for that long
//     closes the probe connection and the next PING goes out on a fresh one:
//     a healed partition answers at once on a new connection, while the old
//     one may be stuck in TCP retransmission backoff. The pending time
//     survives the reconnect, so this never delays SDOWN;
//   - reconnect interval: clamp(D/10, 100ms, 1s);
//   - dial timeout: Config.DialTimeout, else min(D/2, 1s);
//   - command-link timeout (handshake, INFO): clamp(D/2, 500ms, 5s).
func targetSettings(c Config, t view.Target) *linkSettings {
	d := t.DownAfter
	if d <= 0 {
		d = 30 * time.Second
	}
	s := &linkSettings{
		addr:        t.Addr,
		downAfter:   d,
		period:      c.PingPeriod,
		pingTimeout: clampDur(d/4, minPeriod, maxPeriod),
		reconnect:   clampDur(d/10, minPeriod, maxPeriod),
		dialTimeout: c.DialTimeout,
		cmdTimeout:  clampDur(d/2, 500*time.Millisecond, 5*time.Second),
		rename:      maps.Clone(t.Rename),
		onRTT:       c.PingRTT,
	}
	if s.period <= 0 {
		s.period = clampDur(d/10, minPeriod, maxPeriod)
	}
	if s.dialTimeout <= 0 {
		s.dialTimeout = min(d/2, maxPeriod)
	}
	s.fill(c, t.AuthUser, t.AuthPass)
	return s
}

func peerSettings(c Config, p view.PeerTarget) *linkSettings {
	s := &linkSettings{
		addr:        p.Addr,
		downAfter:   30 * time.Second,
		period:      peerPingPeriod,
		pingTimeout: peerPingTimeout,
		reconnect:   maxPeriod,
		dialTimeout: c.DialTimeout,
		cmdTimeout:  peerPingTimeout,
	}
	if s.dialTimeout <= 0 {
		s.dialTimeout = maxPeriod
	}
	s.fill(c, p.AuthUser, p.AuthPass)
	return s
}

func (s *linkSettings) fill(c Config, user, pass string) {
	s.auth = authCommand(s.rename, user, pass)
	if name := c.clientName(); name != "" {
		s.hello = appendCommand(nil, renamed(s.rename, "CLIENT"), "SETNAME", name)
	}
	s.ping = appendCommand(nil, renamed(s.rename, "PING"))
	s.info = appendCommand(nil, renamed(s.rename, "INFO"))
	var b strings.Builder
	b.WriteString(s.addr)
	b.WriteByte(0)
	b.Write(s.auth)
	for _, k := range slices.Sorted(maps.Keys(s.rename)) {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(s.rename[k])
	}
	s.connKey = b.String()
}
