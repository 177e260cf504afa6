package sentinelproto

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/acl"
	"github.com/raftinel/raftinel/config"
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
	// all connections hold together (limits.go); 0 = 1 GiB, Redis's
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

// Server serves the Sentinel protocol on listeners handed to Serve.
type Server struct {
	o        Options
	cfg      *config.Config
	log      *zap.Logger
	start    time.Time
	ctx      context.Context
	cancel   context.CancelFunc
	commands map[string]*command // top-level commands by lower-case name
	order    []*command          // COMMAND order
	hub      *hub
	acl      *acl.Registry // users of the Sentinel port (this process's, as in Sentinel)
	aclLog   *acl.Log
	local    *localState
	hosts    *hostCache
	reqMem   *memBudget
	pause    pauseState
	stats    stats

	mu      sync.Mutex
	clients map[uint64]*client
	closed  bool
	resets  map[string]time.Time // SENTINEL RESET applied here, by master (knownPeers)
	nextID  atomic.Uint64
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
		o:       o,
		cfg:     o.Config,
		log:     o.Logger,
		start:   time.Now(),
		ctx:     ctx,
		cancel:  cancel,
		hub:     newHub(),
		local:   newLocalState(o.Config),
		hosts:   newHostCache(o.HostCacheTTL),
		reqMem:  newMemBudget(o.RequestMemory),
		clients: map[uint64]*client{},
	}
	s.pause.wake = make(chan struct{})
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
	return s
}

// Serve accepts connections on ln until ln is closed (then it returns nil)
// or Accept fails for good.
func (s *Server) Serve(ln net.Listener) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		go s.serveConn(nc)
	}
}

// Publish delivers an event to the clients subscribed to channel or to a
// matching pattern and returns how many deliveries were queued. It never
// blocks: a subscriber whose queue is full is disconnected.
func (s *Server) Publish(channel, payload string) int {
	return s.hub.publish(channel, payload)
}

// Close closes every client connection and refuses new ones. Listeners
// belong to the caller.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	cs := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	s.cancel()
	for _, c := range cs {
		c.close()
	}
	return nil
}

// addClient registers c; false when closed or over maxclients.
func (s *Server) addClient(c *client) (ok bool, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, false
	}
	if max := s.cfg.MaxClients; max > 0 && len(s.clients) >= max {
		return false, true
	}
	s.clients[c.id] = c
	return true, false
}

func (s *Server) removeClient(c *client) {
	s.hub.unsubscribeAll(c)
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	c.close()
}

// clientList returns the connected clients ordered by id.
func (s *Server) clientList() []*client {
	s.mu.Lock()
	cs := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	sortClients(cs)
	return cs
}

func (s *Server) clientByID(id uint64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}

func (s *Server) numClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// applyCtx is the context for one change proposed on behalf of a client.
func (s *Server) applyCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, applyTimeout)
}

// pauseState is CLIENT PAUSE: while active (ALL mode) commands wait.
type pauseState struct {
	mu    sync.Mutex
	until time.Time
	all   bool
	wake  chan struct{} // closed when the pause changes
}

func (p *pauseState) set(until time.Time, all bool) {
	p.mu.Lock()
	p.until, p.all = until, all
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// wait blocks while an ALL pause is active, or until done is closed.
func (p *pauseState) wait(done <-chan struct{}) {
	for {
		p.mu.Lock()
		until, all, wake := p.until, p.all, p.wake
		p.mu.Unlock()
		if !all {
			return // the common case: no clock read
		}
		d := time.Until(until)
		if d <= 0 {
			return
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-wake:
		case <-done:
		}
		t.Stop()
		select {
		case <-done:
			return
		default:
		}
	}
}
