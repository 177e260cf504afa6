package sentinelproto

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/acl"
	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/resp"
)

// Options configure a Server.
type Options struct {
	Config          *config.Config // port, requirepass, announce-*, deny-scripts-reconfig, resolve-hostnames ...
	MyID            string         // 40 hex, SENTINEL MYID
	RunID           string         // 40 hex per process, INFO run_id
	Version         string         // redis_version / HELLO version to report, "7.0.15"
	RaftinelVersion string         // INFO server raftinel_version
	Cluster         Cluster
	Monitor         Monitor
	Failover        Failover
	Scripts         Scripts // optional
	// LinkSettings keeps SENTINEL SET auth-user/auth-pass/rename-command on
	// this node (optional: without it they go through the log).
	LinkSettings LinkSettings
	// Pending keeps SENTINEL SET changes accepted without a Raft leader in
	// raft-serve-stale mode (optional: without it they answer -TRYAGAIN).
	Pending PendingSettings
	// HostCacheTTL is how long a hostname resolved for a reply is reused
	// (announce-hostnames no); 0 = DefaultHostCacheTTL.
	HostCacheTTL time.Duration
	// RequestMemory bounds the bytes that unfinished and running requests of
	// all connections hold together (resp); 0 = 1 GiB, Redis's
	// client-query-buffer-limit.
	RequestMemory int64
	// OnDebug is told every SENTINEL DEBUG <param> <ms> that was set.
	OnDebug func(param string, ms int64)
	// Tilt reports whether the node is in TILT and since when (INFO,
	// IS-MASTER-DOWN-BY-ADDR); nil = never.
	Tilt func() (bool, time.Time)
	// OnLogLevel is told a SENTINEL CONFIG SET loglevel (debug, verbose,
	// notice, warning or nothing) so that the node's logger follows it.
	OnLogLevel func(level string)
	Logger     *zap.Logger
	Shutdown   func() // SHUTDOWN calls this (the node exits)
}

// applyTimeout bounds a change sent through the log on behalf of a client.
const applyTimeout = 5 * time.Second

// Server serves the Sentinel protocol on listeners handed to Serve: the
// command table and its handlers on top of a resp.Server.
type Server struct {
	o        Options
	cfg      *config.Config
	log      *zap.Logger
	start    time.Time
	ctx      context.Context
	cancel   context.CancelFunc
	rs       *resp.Server
	commands map[string]*command // top-level commands by lower-case name
	order    []*command          // COMMAND order
	acl      *acl.Registry       // users of the Sentinel port (this process's, as in Sentinel)
	aclLog   *acl.Log
	local    *localState
	hosts    *hostCache
	sv       atomic.Pointer[renderedState] // replies rendered from the state (snapshot.go)
	static   staticServerInfo
	cpu      *cpuInfo // INFO's "# CPU" lines, reused for cpuInfoTTL

	mu     sync.Mutex
	resets map[string]time.Time // SENTINEL RESET applied here, by master (knownPeers)
}

// NewServer returns a Server; nothing runs until Serve.
func NewServer(o Options) *Server {
	if o.Config == nil {
		o.Config = config.Default()
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Version == "" {
		o.Version = "7.0.15"
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		o:      o,
		cfg:    o.Config,
		log:    o.Logger,
		start:  time.Now(),
		ctx:    ctx,
		cancel: cancel,
		local:  newLocalState(o.Config),
		hosts:  newHostCache(o.HostCacheTTL),
		cpu:    newCPUInfo(),
	}
	s.order = commandTable()
	s.commands = indexCommands(s.order)
	loadCommandDocs(s.allCommands())
	raft := raftCommandTable()
	for name, c := range indexCommands(raft) {
		s.commands[name] = c // reachable, not listed by COMMAND
	}
	s.acl = acl.NewRegistry(aclTable(s.order, raft))
	s.acl.SetRequirePass(o.Config.RequirePass)
	s.aclLog = acl.NewLog(0)
	s.static = newStaticServerInfo(o, o.Config)
	s.rs = resp.NewServer(resp.Options{
		Handler: s, Logger: o.Logger, MaxClients: o.Config.MaxClients, IdleTimeout: o.Config.Timeout,
		RequestMemory: o.RequestMemory, KnownChannels: knownEvents,
		Refuse: func(remote net.Addr) []byte {
			if protectedRefuses(s.cfg.ProtectedMode, s.acl.DefaultNoPass(), remote) {
				return []byte(errTextDenied)
			}
			return nil
		},
		AuthRequired: s.acl.AuthRequired,
		OnConnect: func(c *resp.Conn) {
			c.SetData(&session{})
			c.SetUser(s.acl.Default(), false)
		},
	})
	return s
}

// Serve accepts connections on ln until ln is closed (then it returns nil)
// or Accept fails for good.
func (s *Server) Serve(ln net.Listener) error { return s.rs.Serve(ln) }

// Publish delivers an event to the clients subscribed to channel or to a
// matching pattern and returns how many deliveries were queued. It never
// blocks: a subscriber whose queue is full is disconnected.
func (s *Server) Publish(channel, payload string) int { return s.rs.Publish(channel, payload) }

// Close closes every client connection and refuses new ones. Listeners
// belong to the caller.
func (s *Server) Close() error {
	s.cancel()
	return s.rs.Close()
}

// applyCtx is the context for one change proposed on behalf of a client.
func (s *Server) applyCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, applyTimeout)
}
