package sentinelproto

import (
	"errors"
	"net"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/tidwall/redcon"
	"go.uber.org/zap"

	"github.com/raftinel/raftinel/acl"
)

// client is one connection. Its goroutine (serveConn) reads and runs
// commands one at a time; Pub/Sub pushes are written by pushLoop.
//
// Two locks: wmu serializes output (a frame is appended whole, flushes may
// block on the socket); mu guards the state below it and is never held
// during I/O, so CLIENT LIST or INFO never wait for a slow client. When both
// are needed, wmu is taken first.
type client struct {
	s            *Server
	id           uint64
	nc           net.Conn
	rd           *reqReader
	created      time.Time
	raddr, laddr string
	fd           int
	done         chan struct{} // closed when the connection is closed
	closeOnce    sync.Once

	wmu       sync.Mutex
	wr        *redcon.Writer
	unflushed int // bytes in wr not yet flushed

	mu         sync.Mutex
	proto      int
	authed     bool      // authenticated (at once when the default user is nopass)
	user       *acl.User // the connection's ACL user, default until AUTH
	name       string
	libName    string // CLIENT SETINFO lib-name (7.2)
	libVer     string // CLIENT SETINFO lib-ver (7.2)
	lastCmd    string
	lastAct    time.Time
	argvMem    int
	qbuf, rbs  int               // request buffer use and size, for CLIENT LIST
	chans      map[string]uint64 // subscribed channel -> subscription sequence
	pats       map[string]uint64 // subscribed pattern -> subscription sequence
	subSeq     uint64
	out        chan pubMsg // created by the first SUBSCRIBE/PSUBSCRIBE
	replyOff   bool        // CLIENT REPLY OFF
	skipThis   bool        // CLIENT REPLY SKIP: drop this command's reply
	skipNext   bool        // ... and move to skipThis after the command
	track      tracking
	noEvict    bool
	closeAfter bool // close once the current reply is flushed
}

// tracking is CLIENT TRACKING state; raftinel has no keys, so nothing is
// ever invalidated, but the flags are kept and reported like Redis does.
type tracking struct {
	on, bcast, optin, optout, noloop bool
	redirect                         int64
	prefixes                         []string
}

func (s *Server) newClient(nc net.Conn) *client {
	cc := &countingConn{Conn: nc, st: &s.stats}
	c := &client{
		s:       s,
		id:      s.nextID.Add(1),
		nc:      nc,
		rd:      newReqReader(cc, s.reqMem),
		created: time.Now(),
		raddr:   addrString(nc.RemoteAddr()),
		laddr:   addrString(nc.LocalAddr()),
		fd:      connFD(nc),
		done:    make(chan struct{}),
		wr:      redcon.NewWriter(cc),
		proto:   2,
		authed:  !s.acl.AuthRequired(),
		user:    s.acl.Default(),
		chans:   map[string]uint64{},
		pats:    map[string]uint64{},
	}
	c.lastAct = c.created
	c.rd.beforeRead = c.beforeRead
	return c
}

func (s *Server) serveConn(nc net.Conn) {
	s.stats.connections.Add(1)
	if protectedRefuses(s.cfg.ProtectedMode, s.acl.DefaultNoPass(), nc.RemoteAddr()) {
		_, _ = nc.Write([]byte(errTextDenied))
		_ = nc.Close()
		return
	}
	c := s.newClient(nc)
	ok, full := s.addClient(c)
	if !ok {
		if full {
			s.stats.rejected.Add(1)
			_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		}
		_ = nc.Close()
		return
	}
	defer s.removeClient(c)
	defer c.rd.release()
	for {
		args, err := c.rd.next(c.authRequired())
		if err != nil {
			if errors.Is(err, errBudget) {
				s.log.Warn("closing client: request memory budget exhausted",
					zap.Uint64("client", c.id), zap.String("addr", c.raddr))
			}
			if pe, ok := isProtoError(err); ok {
				s.log.Debug("closing client after protocol error",
					zap.Uint64("client", c.id), zap.String("addr", c.raddr), zap.String("error", pe.msg))
				c.write(redcon.AppendError(nil, "ERR "+pe.Error()))
				c.flush()
			}
			return
		}
		if n := int64(c.rd.capacity()); n > s.stats.maxInput.Load() {
			s.stats.maxInput.Store(n)
		}
		s.execute(c, args)
		c.mu.Lock()
		closeNow := c.closeAfter
		c.mu.Unlock()
		if closeNow {
			c.flush()
			return
		}
	}
}

// beforeRead runs before a read that may block: send what is pending and
// arm the idle timeout (not for subscribers, like Redis).
func (c *client) beforeRead() {
	c.flush()
	if t := c.s.cfg.Timeout; t > 0 {
		c.mu.Lock()
		sub := c.subCount() > 0
		c.mu.Unlock()
		if sub {
			_ = c.nc.SetReadDeadline(time.Time{})
		} else {
			_ = c.nc.SetReadDeadline(time.Now().Add(t))
		}
	}
}

// flushAt is how much output may wait in memory before it is written even
// though more commands are pending: a client that pipelines requests
// without reading replies is slowed down by its own socket instead of
// growing the node's memory.
const flushAt = 64 * 1024

// writeLocked appends a complete frame to the output buffer (wmu held).
func (c *client) writeLocked(b []byte) {
	c.wr.WriteRaw(b)
	c.unflushed += len(b)
}

// write appends a complete frame to the output buffer.
func (c *client) write(b []byte) {
	c.wmu.Lock()
	c.writeLocked(b)
	c.wmu.Unlock()
}

// flushLocked sends the output buffer (wmu held); a failed write closes the
// connection.
func (c *client) flushLocked() {
	if c.unflushed == 0 {
		return
	}
	c.unflushed = 0
	if err := c.wr.Flush(); err != nil {
		c.close()
	}
}

func (c *client) flush() {
	c.wmu.Lock()
	c.flushLocked()
	c.wmu.Unlock()
}

// sendReply hands a command's reply to the connection, honouring CLIENT
// REPLY OFF/SKIP.
func (c *client) sendReply(r *reply) {
	c.mu.Lock()
	send := !c.replyOff && !c.skipThis
	c.skipThis = c.skipNext
	c.skipNext = false
	c.mu.Unlock()
	c.wmu.Lock()
	if send {
		c.writeLocked(r.b)
	}
	if c.unflushed > flushAt {
		c.flushLocked()
	}
	c.wmu.Unlock()
}

// close closes the connection; safe from any goroutine, any number of times.
func (c *client) close() {
	c.closeOnce.Do(func() {
		_ = c.nc.Close()
		close(c.done)
	})
}

func (c *client) protocol() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proto
}

func (c *client) authRequired() bool {
	c.mu.Lock()
	authed := c.authed
	c.mu.Unlock()
	return !authed && c.s.acl.AuthRequired()
}

// subCount is the number of subscriptions (mu held).
func (c *client) subCount() int { return len(c.chans) + len(c.pats) }

func sortClients(cs []*client) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// connFD returns the socket's descriptor for CLIENT LIST, or -1.
func connFD(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}
