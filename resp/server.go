package resp

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Handler runs the commands of a Server.
type Handler interface {
	// ServeRESP runs one command of c and writes its reply into r. It is
	// called for one command of a connection at a time, in order. args
	// are valid until it returns (until the Detach function returns when
	// it detaches); r may be written until then too.
	ServeRESP(c *Conn, args [][]byte, r *Reply)
}

// Options configure a Server.
type Options struct {
	Handler Handler
	Logger  *zap.Logger
	// MaxClients refuses connections beyond this many (0 = no limit).
	MaxClients int
	// IdleTimeout closes a client idle for this long (0 = never);
	// subscribers are exempt, as in Redis.
	IdleTimeout time.Duration
	// RequestMemory bounds the bytes that unfinished and running requests
	// of all connections hold together (limits.go); 0 = 1 GiB, Redis's
	// client-query-buffer-limit.
	RequestMemory int64
	// Refuse, when set, is asked about every new connection: a non-empty
	// result (a complete RESP frame) is sent and the connection closed
	// (protected mode).
	Refuse func(remote net.Addr) []byte
	// AuthRequired reports whether connections that have not
	// authenticated are limited to Redis's unauthenticated request sizes
	// (and start unauthenticated). Nil: never.
	AuthRequired func() bool
	// OnConnect prepares a new connection (Conn.SetData, Conn.SetUser)
	// before its first command.
	OnConnect func(c *Conn)
	// KnownChannels are channels published often: pattern subscriptions
	// are matched against them once, when subscribing, so that Publish
	// does a map lookup instead of glob matching.
	KnownChannels []string
}

// Server serves RESP on listeners handed to Serve: it reads requests with
// Redis's framing and limits, runs them through the Handler one at a time
// per connection, writes replies and delivers Pub/Sub messages.
type Server struct {
	o      Options
	h      Handler
	log    *zap.Logger
	hub    *hub
	budget *memBudget
	pause  pauseState
	stats  stats

	mu     sync.Mutex
	conns  map[uint64]*Conn
	closed bool
	nextID atomic.Uint64
	// tracking counts connections with CLIENT TRACKING on (INFO's
	// tracking_clients without a walk over every connection).
	tracking atomic.Int64
}

// NewServer returns a Server; nothing runs until Serve.
func NewServer(o Options) *Server {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	s := &Server{
		o:      o,
		h:      o.Handler,
		log:    o.Logger,
		hub:    newHub(o.KnownChannels),
		budget: newMemBudget(o.RequestMemory),
		conns:  map[uint64]*Conn{},
	}
	s.pause.wake = make(chan struct{})
	return s
}

func (s *Server) authRequired() bool { return s.o.AuthRequired != nil && s.o.AuthRequired() }

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

// Publish delivers a message to the clients subscribed to channel or to a
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
	cs := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
	return nil
}

// admit registers a new connection, or answers and closes it (protected
// mode, maxclients, server closed); false when refused.
func (s *Server) admit(nc net.Conn) (*Conn, bool) {
	s.stats.connections.Add(1)
	if s.o.Refuse != nil {
		if msg := s.o.Refuse(nc.RemoteAddr()); len(msg) > 0 {
			_, _ = nc.Write(msg)
			_ = nc.Close()
			return nil, false
		}
	}
	c := s.newConn(nc)
	if s.o.OnConnect != nil {
		s.o.OnConnect(c)
	}
	s.mu.Lock()
	closed, full := s.closed, s.o.MaxClients > 0 && len(s.conns) >= s.o.MaxClients
	if !closed && !full {
		s.conns[c.id] = c
	}
	s.mu.Unlock()
	if closed || full {
		if full {
			s.stats.rejected.Add(1)
			c.write([]byte("-ERR max number of clients reached\r\n"))
			c.flush()
		}
		c.Close()
		return nil, false
	}
	return c, true
}

func (s *Server) remove(c *Conn) {
	s.hub.unsubscribeAll(c)
	s.mu.Lock()
	delete(s.conns, c.id)
	s.mu.Unlock()
	c.mu.Lock()
	if !c.gone && c.sess.Tracking.On {
		s.tracking.Add(-1)
	}
	c.gone = true
	c.mu.Unlock()
	c.Close()
}

// serveConn runs one connection on its own goroutine.
func (s *Server) serveConn(nc net.Conn) {
	if c, ok := s.admit(nc); ok {
		s.serveConnAdmitted(c)
	}
}

func (s *Server) serveConnAdmitted(c *Conn) {
	defer s.remove(c)
	defer c.rd.release()
	for {
		args, err := c.rd.next(!c.Authed() && s.authRequired())
		if err != nil {
			s.readFailed(c, err)
			return
		}
		s.noteInput(c.rd.capacity())
		c.run(args)
		if c.closing() {
			c.flush()
			return
		}
	}
}

// noteInput records the largest request buffer (INFO
// client_recent_max_input_buffer).
func (s *Server) noteInput(n int) {
	if int64(n) > s.stats.maxInput.Load() {
		s.stats.maxInput.Store(int64(n))
	}
}

// readFailed ends a connection whose request could not be read: a protocol
// error is answered first, as Redis does.
func (s *Server) readFailed(c *Conn, err error) {
	if errors.Is(err, errBudget) {
		s.log.Warn("closing client: request memory budget exhausted",
			zap.Uint64("client", c.id), zap.String("addr", c.raddr))
	}
	if pe, ok := isProtoError(err); ok {
		s.log.Debug("closing client after protocol error",
			zap.Uint64("client", c.id), zap.String("addr", c.raddr), zap.String("error", pe.msg))
		r := NewReply(2)
		r.Error("ERR " + pe.Error())
		c.write(r.b)
		c.flush()
	}
}

// Clients returns the connected clients ordered by id.
func (s *Server) Clients() []*Conn {
	s.mu.Lock()
	cs := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	sortConns(cs)
	return cs
}

// Client returns the connection with CLIENT ID id, or nil.
func (s *Server) Client(id uint64) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[id]
}

// TrackingClients is the number of connections with CLIENT TRACKING on.
func (s *Server) TrackingClients() int { return int(s.tracking.Load()) }

// NumClients is the number of connected clients.
func (s *Server) NumClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Kill closes c on behalf of self's command; self itself is closed after
// its reply.
func (s *Server) Kill(self, c *Conn) {
	if c == self {
		c.CloseAfterReply()
		return
	}
	c.Close()
}

// BudgetInUse is what requests hold of the shared request memory now.
func (s *Server) BudgetInUse() int64 { return s.budget.inUse() }

// Pause is CLIENT PAUSE: until then, an ALL pause holds every command
// whose handler waits with WaitPause; a WRITE pause (all false) is
// recorded only. A zero until ends the pause (CLIENT UNPAUSE).
func (s *Server) Pause(until time.Time, all bool) { s.pause.set(until, all) }

// Paused reports whether an ALL pause is in force: the handler then
// detaches the command and calls WaitPause.
func (s *Server) Paused() bool {
	u := s.pause.allUntil.Load()
	return u != 0 && time.Now().UnixNano() < u
}

// WaitPause blocks while an ALL pause is in force, or until c is closed.
func (s *Server) WaitPause(c *Conn) { s.pause.wait(c.done) }

// pauseState is CLIENT PAUSE.
type pauseState struct {
	allUntil atomic.Int64 // unix ns of the end of an ALL pause, 0 = none

	mu    sync.Mutex
	until time.Time
	all   bool
	wake  chan struct{} // closed when the pause changes
}

func (p *pauseState) set(until time.Time, all bool) {
	p.mu.Lock()
	p.until, p.all = until, all
	if all && !until.IsZero() {
		p.allUntil.Store(until.UnixNano())
	} else {
		p.allUntil.Store(0)
	}
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
			return
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
