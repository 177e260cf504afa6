// Package node assembles one raftinel node from its parts (design.md):
// the port multiplexer and Raft store (consensus), the Redis monitor, the
// failover engine and the Sentinel protocol server. A Go program (an
// operator, a test, the raftinel binary) runs a node with New / Run / Close.
//
// Data flows one way: probes (monitor) -> observations -> log (consensus)
// -> decisions (failover, on the leader) -> actions on Redis -> log ->
// replies and events (sentinelproto).
//
// node is wiring: loops, timers, reading the store, calling the monitor
// and proposing to the log. What to propose or do when (SDOWN opinions,
// monitor targets and peers, replica discovery, hellos, which event runs
// which script and whether this node allows it) is decided by the pure
// functions of package policy.
//
// hello.go publishes Sentinel's hello messages; formation.go feeds a node
// without a cluster (raft-bootstrap-expect) with addresses to ask and
// seedcheck.go makes the first seed follow the master Redis reports.
//
// Each node applies its own rules to what arrives from elsewhere: it runs a
// master's script only if its own config allows it (scripts.go,
// policy.ScriptAllowed), and as
// leader it admits a change another node forwarded only if its own
// deny-scripts-reconfig, script checks and ACL allow it (admit.go;
// docs/security.md).
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/failover"
	"github.com/raftinel/raftinel/httpapi"
	"github.com/raftinel/raftinel/internal/rawio"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/policy"
	"github.com/raftinel/raftinel/sentinelproto"
	"github.com/raftinel/raftinel/userscript"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// Version is raftinel's version; RedisVersion is what HELLO and INFO
// report, the Sentinel version whose behaviour raftinel reproduces.
const (
	Version      = "0.1.0"
	RedisVersion = "7.0.15"
)

// Node is one running raftinel node.
type Node struct {
	cfg   *config.Config
	log   *zap.Logger
	myID  string
	runID string
	addr  string // announced address: Raft server ID and address

	mux      *consensus.Mux
	store    *consensus.Store
	mon      *monitor.Monitor
	eng      *failover.Engine
	srv      *sentinelproto.Server
	observer *observer
	metrics  *httpapi.Metrics
	http     *httpapi.Server // nil without http-port
	httpLns  []net.Listener
	scripts  *userscript.Runner
	links    *linkSettings    // this node's own auth-user/auth-pass/rename-command (linksettings.go)
	sets     *pendingSettings // SENTINEL SET accepted without a leader, to propose (pending.go)
	hello    hellos           // hello messages (hello.go)

	changed chan struct{}
	// syncLoop's goroutine only (sync.go):
	targets        policy.TargetCache // the monitor's targets, worked out per master
	lastTargets    []view.Target      // what syncTargets last handed the monitor
	forgotComplete bool               // the state was caught up at the last forget
	forgetFailed   bool               // the last forget could not save the link settings
	shutdown       chan struct{}
	once           sync.Once
	halted         atomic.Pointer[error] // why the log cannot be applied (haltApply)
	ready          atomic.Bool           // set once New has built every part; raft may apply before
	early          earlyEvents           // events applied before ready, delivered once it is (events.go)
	pending        sync.Map              // replica additions in flight, "master/addr"
	sighted        sync.Map              // "master/addr" -> when this follower first saw it unknown
	// Dial lets tests cut this node off from Redis addresses.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// tlsServer is the tls-port listener's configuration (nil: no tls-port).
	tlsServer *tls.Config
	// level is the logger's level, for SENTINEL CONFIG SET loglevel (nil:
	// the logger was built without one, WithLogLevel).
	level *zap.AtomicLevel
}

// Option adjusts a node before start (tests).
type Option func(*Node)

// WithRedisDialer replaces the dialer the monitor uses towards Redis and
// peers (fault injection in tests).
func WithRedisDialer(d func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(n *Node) { n.dial = d }
}

// New validates the directory, binds the port and opens the Raft store.
// Errors name what is wrong in one line (port in use, unwritable dir).
func New(cfg *config.Config, log *zap.Logger, opts ...Option) (*Node, error) {
	if cfg.Port <= 0 && cfg.TLS.Port <= 0 {
		return nil, cfg.Errorf("port", "port %d: raftinel needs a TCP port (port or tls-port) for clients and peers", cfg.Port)
	}
	if err := cfg.CheckPeerAuth(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, cfg.Errorf("dir", "%s: %v", cfg.Dir, err)
	}
	if err := checkWritable(dir); err != nil {
		return nil, cfg.Errorf("dir", "%v", err)
	}
	myID, err := loadIdentity(dir, cfg.MyID)
	if err != nil {
		return nil, cfg.Errorf("sentinel myid", "%v", err)
	}
	links, err := loadLinkSettings(dir)
	if err != nil {
		return nil, err
	}
	sets, err := loadPendingSettings(dir)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, myID: myID, runID: RandomID(), addr: cfg.RaftAddr(), links: links, sets: sets,
		changed: make(chan struct{}, 1), shutdown: make(chan struct{}),
		metrics: httpapi.NewMetrics(), hello: hellos{now: make(chan struct{}, 1)},
	}
	for _, o := range opts {
		o(n)
	}
	n.log = log.With(zap.String("node", myID[:8]))
	src := newSourceDialer(cfg)
	ownDial := n.dial == nil // not a test's dialer: the monitor may own the sockets
	if n.dial == nil && src != nil {
		n.dial = src.DialContext
	}
	raftDial := plainDialTimeout
	if src != nil {
		raftDial = src.DialTimeout
	}
	if err := n.setupTLS(&raftDial); err != nil {
		return nil, err
	}
	// raft.db is checked before the ports open: while the check runs,
	// peers find them closed and retry, instead of waiting on a
	// connection nothing serves yet.
	if err := consensus.CheckDisk(dir); err != nil {
		return nil, err
	}
	lns, err := listenAll(cfg, n.tlsServer)
	if err != nil {
		return nil, err
	}
	n.mux = consensus.NewMuxWith(consensus.MuxOptions{MaxConns: cfg.MaxClients, Logger: n.log}, lns...)
	n.store, err = consensus.Open(consensus.Options{
		MyID: myID, Advertise: n.addr, Dir: dir, DiskChecked: true, Peers: cfg.Raft.Peers, Join: cfg.Raft.Join,
		BootstrapExpect: cfg.Raft.BootstrapExpect, IsRaftinel: n.isRaftinel,
		Secret: cfg.Raft.Secret, Insecure: cfg.Raft.Insecure, OnHalt: n.haltApply, Admit: n.admit,
		HeartbeatTimeout: cfg.Raft.HeartbeatTimeout, ElectionTimeout: cfg.Raft.ElectionTimeout,
		LeaderLeaseTimeout: cfg.Raft.LeaderLeaseTimeout, CommitTimeout: cfg.Raft.CommitTimeout,
		SnapshotInterval: cfg.Raft.SnapshotInterval, SnapshotThreshold: cfg.Raft.SnapshotThreshold,
		TrailingLogs: cfg.Raft.TrailingLogs, StaleAfter: cfg.Raft.StaleAfter, ServeStale: cfg.Raft.ServeStale,
		Mux: n.mux, Logger: n.log, OnEvent: n.publish, OnApply: n.poke, Dial: raftDial,
	})
	if err != nil {
		n.mux.Close()
		return nil, err
	}
	n.mon = monitor.New(monitor.Config{
		MyID: myID, PingPeriod: cfg.Monitor.PingPeriod, InfoPeriod: cfg.Monitor.InfoPeriod,
		SDownCheckPeriod: cfg.Monitor.SDownCheckPeriod, Dial: n.dial, PingRTT: n.metrics.ObservePing,
		// The monitor may own its sockets unless a test's dialer or TLS
		// wraps them.
		ExclusiveDial: ownDial && !cfg.TLS.Replication,
	}, n, n.log)
	n.mon.SetTiltHook(n.onTilt)
	n.eng = failover.New(failover.Config{
		MyID: myID, ReplicaWitness: cfg.Failover.ReplicaWitness, PauseTimeout: cfg.Failover.PauseTimeout,
		DemoteDelay: cfg.Failover.DemoteDelay, Logger: n.log,
		FenceMinReplicas: cfg.Failover.FenceMinReplicas, FenceMaxLag: cfg.Failover.FenceMaxLag, TiltHolds: n.mon.TiltHolds,
		Simulate: func() int64 { return n.srv.SimulateFailureFlags() },
		Crash: func(point string) {
			// Sentinel's SIMULATE-FAILURE exits at once with 99, no cleanup.
			n.log.Warn("exiting: simulated failure", zap.String("point", point))
			_ = n.log.Sync()
			os.Exit(99)
		},
	}, n.store, n.mon)
	n.store.HandleRPC("failover", func(ctx context.Context, data []byte) ([]byte, error) {
		return nil, n.eng.Manual(ctx, string(data))
	})
	n.observer = newObserver(myID, n.store, n.log)
	n.scripts = userscript.New(userscript.Config{Dir: dir}, n.log, func(ch, payload string) {
		n.srv.Publish(ch, payload)
		n.log.Warn("event", zap.String("channel", ch), zap.String("payload", payload))
	})
	n.srv = sentinelproto.NewServer(sentinelproto.Options{
		Config: cfg, MyID: myID, RunID: n.runID, Version: RedisVersion, RaftinelVersion: Version,
		Cluster: n.store, Monitor: n.mon, Failover: manual{n}, Scripts: n.scripts, LinkSettings: n, Pending: n, Logger: n.log,
		Shutdown: n.requestShutdown, OnDebug: n.debugTimer, OnLogLevel: n.setLogLevel, Tilt: n.mon.Tilt,
	})
	if err := n.srv.LoadACL(); err != nil {
		n.store.Close()
		n.mux.Close()
		directive := "user"
		if cfg.ACLFile != "" {
			directive = "aclfile"
		}
		return nil, cfg.Errorf(directive, "%v", err)
	}
	if err := n.openHTTP(); err != nil {
		n.store.Close()
		n.mux.Close()
		return nil, err
	}
	n.early.release(&n.ready, n.deliver)
	return n, nil
}

// manual reaches the leader's failover engine from any node.
type manual struct{ n *Node }

func (m manual) Manual(ctx context.Context, master string) error {
	if m.n.srv.SimulateFailureFlags() != 0 && !m.n.store.IsLeader() {
		// Sentinel runs SENTINEL FAILOVER on the node asked, and
		// SIMULATE-FAILURE crashes that node at the failover's crash points.
		// Here the Raft leader runs every failover, so a node with the
		// flags set takes the leadership first, to be the one that crashes.
		// The transfer is this node's own change, not the client's (the
		// leader admits it as such).
		tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := m.n.store.TakeLeadership(tctx)
		cancel()
		if err != nil {
			return err
		}
	}
	_, err := m.n.store.Call(ctx, "failover", []byte(master))
	return err
}

func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("dir %s is not writable: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("dir %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// listen binds every `bind` address (all interfaces when none) on port.
func listen(cfg *config.Config) ([]net.Listener, error) {
	c := *cfg
	c.TLS.Port = 0
	return listenAll(&c, nil)
}

// listenAll binds every `bind` address on port and, with a TLS
// configuration, on tls-port; a "-" prefix marks an address that may be
// missing, as in Redis. Port 0 disables the plain port (TLS only), as in
// Redis.
func listenAll(cfg *config.Config, tlsCfg *tls.Config) ([]net.Listener, error) {
	binds := cfg.Bind
	if len(binds) == 0 {
		binds = []string{""}
	}
	type port struct {
		n    int
		name string
		tls  *tls.Config
	}
	var ports []port
	if cfg.Port > 0 {
		ports = append(ports, port{cfg.Port, "port", nil})
	}
	if cfg.TLS.Port > 0 && tlsCfg != nil {
		ports = append(ports, port{cfg.TLS.Port, "tls-port", tlsCfg})
	}
	var lns []net.Listener
	fail := func(err error) ([]net.Listener, error) {
		for _, l := range lns {
			l.Close()
		}
		return nil, err
	}
	for _, p := range ports {
		for _, b := range binds {
			optional := strings.HasPrefix(b, "-")
			b = strings.TrimPrefix(b, "-")
			if b == "*" || b == "::*" {
				b = ""
			}
			ln, err := listenTCP(net.JoinHostPort(b, strconv.Itoa(p.n)))
			if err != nil {
				if optional {
					continue
				}
				directive := p.name
				if b != "" {
					directive = "bind" // the address is the likelier culprit
				}
				return fail(cfg.Errorf(directive, "listen on %s %d: %v", p.name, p.n, err))
			}
			if p.tls != nil {
				ln = tls.NewListener(ln, p.tls)
			}
			lns = append(lns, ln)
		}
	}
	if len(lns) == 0 {
		return nil, cfg.Errorf("bind", "listen on port %d: no bind address is available", cfg.Port)
	}
	return lns, nil
}

// listenTCP listens on addr; accepted connections make quiet system calls
// (rawio.Wrap), which keeps an idle node's Raft heartbeats and peer PINGs
// from waking the Go runtime's monitor thread.
func listenTCP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return rawio.Listener{Listener: ln}, nil
}

// MyID returns the node's persistent id.
func (n *Node) MyID() string { return n.myID }

// Addr returns the announced address (clients and peers).
func (n *Node) Addr() string { return n.addr }

// Store exposes the consensus store (tests, metrics).
func (n *Node) Store() *consensus.Store { return n.store }

// Monitor exposes the monitor (tests, metrics).
func (n *Node) Monitor() *monitor.Monitor { return n.mon }

// Run serves until ctx is done or SHUTDOWN is received, then closes.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	run(func() { _ = n.mux.Serve() })
	run(func() { _ = n.srv.Serve(n.mux.RESP()) })
	run(func() { _ = n.mon.Run(ctx) })
	run(func() { n.eng.Run(ctx) })
	run(func() { n.observer.run(ctx) })
	run(func() { n.scripts.Run(ctx) })
	run(func() { n.syncLoop(ctx) })
	run(func() { n.seed(ctx) })
	run(func() { n.pendingLoop(ctx) })
	run(func() { n.helloLoop(ctx) })
	run(func() { n.formation(ctx) })
	run(n.serveHTTP)
	n.log.Info("raftinel node started", zap.String("addr", n.addr), zap.String("myid", n.myID),
		zap.String("version", Version))
	select {
	case <-ctx.Done():
	case <-n.shutdown:
	}
	cancel()
	err := n.close()
	wg.Wait()
	if h := n.halted.Load(); h != nil {
		return *h
	}
	return err
}

// debugTimer applies a SENTINEL DEBUG timer that raftinel has (the
// protocol server itself gives default-down-after and
// default-failover-timeout to the masters SENTINEL MONITOR creates).
func (n *Node) debugTimer(param string, ms int64) {
	d := time.Duration(ms) * time.Millisecond
	switch param {
	case "info-period":
		n.mon.SetInfoPeriod(d)
	case "ping-period":
		n.mon.SetPingPeriod(d)
	case "script-max-runtime":
		n.scripts.SetLimits(d, 0)
	case "script-retry-delay":
		n.scripts.SetLimits(0, d)
	case "tilt-trigger":
		n.mon.SetTiltTimers(d, 0)
	case "tilt-period":
		n.mon.SetTiltTimers(0, d)
	case "publish-period":
		n.hello.period.Store(int64(d))
		n.helloNow()
	}
}

func (n *Node) requestShutdown() { n.once.Do(func() { close(n.shutdown) }) }

// haltApply stops the node when its log holds an entry this build cannot
// apply (consensus.LogVersion): Run returns the error, so the process
// exits with it instead of running on a state that differs from the
// cluster's.
func (n *Node) haltApply(err error) {
	n.halted.CompareAndSwap(nil, &err)
	n.requestShutdown()
}

// close hands leadership over (so a planned stop does not cost an
// election timeout), then stops everything.
func (n *Node) close() error {
	if n.store.IsLeader() && len(n.store.Members()) > 1 {
		if err := n.store.TransferLeadership(); err != nil {
			n.log.Warn("leadership transfer failed", zap.Error(err))
		} else {
			n.log.Info("leadership transferred before shutdown")
		}
	}
	n.srv.Close()
	n.closeHTTP()
	err := n.store.Close()
	n.mux.Close()
	n.log.Info("raftinel node stopped")
	return err
}

// poke signals that the replicated state changed.
func (n *Node) poke() {
	if !n.ready.Load() {
		return // restoring a snapshot while New runs: syncLoop starts with a full sync
	}
	select {
	case n.changed <- struct{}{}:
	default:
	}
	n.eng.Wake()
	n.observer.poke()
}

// publish sends an applied entry's event to subscribers and the log; an
// event applied while New still runs waits until the node is ready.
func (n *Node) publish(e model.Event) {
	n.early.publish(e, &n.ready, n.deliver)
}

// deliver is publish once every part of the node exists.
func (n *Node) deliver(e model.Event) {
	if e.Channel == "+reset-master" {
		n.srv.SentinelsReset(e.Master)
	}
	n.srv.Publish(e.Channel, e.Payload)
	n.metrics.Event(e.Channel, e.Payload)
	n.log.Info("event", zap.String("channel", e.Channel), zap.String("payload", e.Payload))
	n.runScripts(e)
	if e.Channel == "+switch-master" {
		n.helloNow() // Sentinel sends hellos at once after a config change
	}
}

// errStopped is returned by loops when the node stops.
var errStopped = errors.New("node stopped")

// wait sleeps d or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return errStopped
	case <-time.After(d):
		return nil
	}
}
