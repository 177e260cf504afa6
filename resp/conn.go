package resp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// User is the account a connection is authenticated as. The handler owns
// the model (package acl for raftinel); the server only shows its name in
// CLIENT LIST.
type User interface{ Name() string }

type userRef struct{ u User }

// Tracking is CLIENT TRACKING state. A server without keys never
// invalidates anything, but the flags are kept and reported as Redis does.
type Tracking struct {
	On, BCast, OptIn, OptOut, NoLoop bool
	Redirect                         int64
	Prefixes                         []string
}

// Session is what commands set on a connection and CLIENT LIST shows.
type Session struct {
	Name, LibName, LibVer string // CLIENT SETNAME, CLIENT SETINFO lib-name/lib-ver
	Tracking              Tracking
	NoEvict               bool
}

// ReplyMode is CLIENT REPLY's argument.
type ReplyMode int

// Reply modes.
const (
	ReplyOn ReplyMode = iota
	ReplyOff
	ReplySkip
)

// Conn is one client connection. Its commands run one at a time, in order;
// Pub/Sub pushes are written by a goroutine of their own (pubsub.go).
//
// Locks: wmu serializes output (a frame is appended whole; a flush may
// block on the socket) once a pusher exists (before, the connection's
// goroutine alone writes: sendReply); mu guards the state below it and is never held
// during I/O, so CLIENT LIST or INFO never wait for a slow client. When both
// are needed, wmu is taken first. The fields read on every command (and by
// CLIENT LIST from other connections) are atomics.
type Conn struct {
	s            *Server
	id           uint64
	nc           net.Conn      // the connection
	cc           *countingConn // nc, counted
	rd           *reqReader
	created      time.Time
	raddr, laddr string
	fd           int
	done         chan struct{} // closed when the connection is closed
	closeOnce    sync.Once
	dead         atomic.Bool // Close was called
	data         any

	proto   atomic.Int32
	authed  atomic.Bool // authenticated (at once when no password is required)
	user    atomic.Pointer[userRef]
	lastCmd atomic.Pointer[string]
	lastAct atomic.Int64 // unix ns
	argvMem atomic.Int64
	qbuf    atomic.Int64 // request buffer use and size, for CLIENT LIST
	rbs     atomic.Int64
	subs    atomic.Int32 // channels + patterns subscribed

	wmu     sync.Mutex
	out     []byte // replies; out[outOff:] not yet written
	outOff  int
	flushes atomic.Uint64 // writes of replies (Batch)

	mu         sync.Mutex
	sess       Session
	gone       bool              // removed from the server: no longer counted (TrackingClients)
	chans      map[string]uint64 // subscribed channel -> subscription sequence
	pats       map[string]uint64 // subscribed pattern -> subscription sequence
	subSeq     uint64
	push       chan pubMsg // created by the first subscription
	replyOff   bool        // CLIENT REPLY OFF
	skipThis   bool        // CLIENT REPLY SKIP: drop this command's reply
	skipNext   bool        // ... and move to skipThis after the command
	replyMode  atomic.Bool // any of the three is set (sendReply's fast path)
	closeAfter atomic.Bool // close once the current reply is flushed

	// Commands run but not yet added to the server's counters, and the
	// second they ran in (Executing; the connection's goroutine only).
	uncounted    int64
	uncountedSec int64

	rep      Reply        // the command's reply, reused
	detached func(*Reply) // set by Detach during ServeRESP
	late     bool         // a detached command runs (the last read is not its time)
}

func (s *Server) newConn(nc net.Conn) *Conn {
	cc := &countingConn{Conn: nc, st: &s.stats}
	now := time.Now()
	c := &Conn{
		s:       s,
		id:      s.nextID.Add(1),
		nc:      nc,
		cc:      cc,
		rd:      newReqReader(cc, s.budget),
		created: now,
		raddr:   addrString(nc.RemoteAddr()),
		laddr:   addrString(nc.LocalAddr()),
		fd:      connFD(nc),
		done:    make(chan struct{}),
		chans:   map[string]uint64{},
		pats:    map[string]uint64{},
	}
	c.proto.Store(2)
	c.authed.Store(!s.authRequired())
	c.lastAct.Store(now.UnixNano())
	c.rd.beforeRead = c.beforeRead
	return c
}

// ID is the connection's CLIENT ID.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr is the client's address, host:port.
func (c *Conn) RemoteAddr() string { return c.raddr }

// LocalAddr is the server side's address, host:port.
func (c *Conn) LocalAddr() string { return c.laddr }

// Server is the server the connection belongs to.
func (c *Conn) Server() *Server { return c.s }

// Data is what the handler attached with SetData (OnConnect).
func (c *Conn) Data() any { return c.data }

// SetData attaches the handler's per-connection value; call it from
// Options.OnConnect only (it is not synchronized).
func (c *Conn) SetData(v any) { c.data = v }

// Proto is the protocol version (2 or 3).
func (c *Conn) Proto() int { return int(c.proto.Load()) }

// SetProto switches the protocol (HELLO).
func (c *Conn) SetProto(p int) { c.proto.Store(int32(p)) }

// Authed reports whether the connection has authenticated (or needed not).
func (c *Conn) Authed() bool { return c.authed.Load() }

// User is the connection's user (nil until the handler sets one).
func (c *Conn) User() User {
	if r := c.user.Load(); r != nil {
		return r.u
	}
	return nil
}

// SetUser sets the connection's user; authed marks it authenticated.
func (c *Conn) SetUser(u User, authed bool) {
	c.user.Store(&userRef{u})
	if authed {
		c.authed.Store(true)
	}
}

// SetCommand records the name of the command being run, for CLIENT LIST's
// cmd= (name must not change afterwards: a command table's entry), only
// when it changes (a client repeats its command), as storeChanged does.
func (c *Conn) SetCommand(name *string) {
	if c.lastCmd.Load() != name {
		c.lastCmd.Store(name)
	}
}

// storeChanged stores v in a unless a holds it already. CLIENT LIST's
// fields mostly keep their value from one command to the next (the same
// command, the commands of a batch sharing their time), and an atomic
// store is a full memory barrier where a load is not.
func storeChanged(a *atomic.Int64, v int64) {
	if a.Load() != v {
		a.Store(v)
	}
}

// Executing is called by the handler once a command passed its checks and
// runs: it counts the command (INFO total_commands_processed) and records
// the activity for CLIENT LIST. The count reaches the server's counters
// when the connection writes its replies or reads (countCommands): the
// counters are shared by every connection, and one atomic add per batch
// instead of two per command keeps their cache line from bouncing between
// the cores; no reply can be seen before its command is counted, and the
// connection's own INFO counts it (Conn.Stats).
func (c *Conn) Executing(args [][]byte) {
	argvMem := 0
	for _, a := range args {
		argvMem += len(a)
	}
	now := c.clock()
	storeChanged(&c.argvMem, int64(argvMem))
	storeChanged(&c.lastAct, now.UnixNano())
	if sec := now.Unix(); sec != c.uncountedSec {
		c.countCommands()
		c.uncountedSec = sec
	}
	c.uncounted++
}

// countCommands adds the commands run since the last call to the server's
// counters (the connection's goroutine only).
func (c *Conn) countCommands() {
	if c.uncounted == 0 {
		return
	}
	st := &c.s.stats
	st.commands.Add(c.uncounted)
	st.opsRate.addAt(c.uncountedSec, c.uncounted)
	c.uncounted = 0
}

// Stats is Server.Stats with this connection's commands counted (INFO
// run by the connection: the commands before it in its batch count, as in
// Redis).
func (c *Conn) Stats() Stats {
	c.countCommands()
	return c.s.Stats()
}

// clock is the time for a command's bookkeeping: when the requests being
// run were read (one clock read per batch of requests, as Redis's cached
// clock). A detached command, which may have waited, reads the clock.
func (c *Conn) clock() time.Time {
	if !c.late && c.cc.at != 0 {
		return time.Unix(0, c.cc.at)
	}
	return time.Now()
}

// Batch identifies the batch of commands being run: it changes with every
// read from the socket and every write of replies, so the replies of the
// commands run under one value leave together, in one write after the last
// of them (a command that detaches writes the replies before it first).
// A handler may reuse a verdict taken for an earlier command of the batch
// (sentinelproto's freshness check). Call it from a command only.
func (c *Conn) Batch() uint64 { return c.cc.reads + c.flushes.Load() }

// SubCount is the number of channels and patterns subscribed.
func (c *Conn) SubCount() int { return int(c.subs.Load()) }

// Session returns a copy of the connection's session state.
func (c *Conn) Session() Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// UpdateSession changes the session state under the connection's lock.
func (c *Conn) UpdateSession(f func(*Session)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := c.sess.Tracking.On
	f(&c.sess)
	if c.gone || c.sess.Tracking.On == was {
		return
	}
	if was {
		c.s.tracking.Add(-1)
	} else {
		c.s.tracking.Add(1)
	}
}

// SetReplyMode applies CLIENT REPLY ON|OFF|SKIP.
func (c *Conn) SetReplyMode(m ReplyMode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m {
	case ReplyOn:
		c.replyOff, c.skipThis, c.skipNext = false, false, false
	case ReplyOff:
		c.replyOff = true
	case ReplySkip:
		if !c.replyOff {
			c.skipNext = true
		}
	}
	c.replyMode.Store(c.replyOff || c.skipThis || c.skipNext)
}

// CloseAfterReply closes the connection once the current command's reply
// is written (QUIT, SHUTDOWN, CLIENT KILL of itself).
func (c *Conn) CloseAfterReply() { c.closeAfter.Store(true) }

func (c *Conn) closing() bool { return c.closeAfter.Load() }

// Detach lets the command being run finish after the replies before it
// are written: call it from ServeRESP, which then returns at once; f runs
// next, on the connection's goroutine, with the command's Reply, and the
// connection's next command waits until it returns. The arguments given
// to ServeRESP stay valid until f returns. Commands that may block (a
// write through the log, a DNS lookup, a pause) use it, so that a
// pipelined client gets the replies before them without waiting.
func (c *Conn) Detach(f func(r *Reply)) { c.detached = f }

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close closes the connection; safe from any goroutine, any number of times.
func (c *Conn) Close() {
	c.closeOnce.Do(func() {
		c.dead.Store(true)
		close(c.done)
		_ = c.nc.Close()
	})
}

// run executes one command and queues its reply; a command that detached
// runs to its end here, after the replies before it are written.
func (c *Conn) run(args [][]byte) {
	r := &c.rep
	r.reset(c.Proto())
	c.qbuf.Store(int64(c.rd.buffered()))
	storeChanged(&c.rbs, int64(c.rd.capacity()))
	c.s.h.ServeRESP(c, args, r)
	if f := c.detached; f != nil {
		c.detached = nil
		c.flush() // it may block: the replies before it go out first
		c.late = true
		f(r)
		c.late = false
	}
	c.finish(r)
}

// finish counts and queues a command's reply.
func (c *Conn) finish(r *Reply) {
	if r.isErr {
		c.s.stats.errors.Add(1)
	}
	c.sendReply(r)
	if cap(r.b) > 64*1024 {
		r.b = nil // a big reply's buffer is not kept for the next ones
	}
}

// beforeRead runs before a read that may block: send what is pending and
// arm the idle timeout (not for subscribers, like Redis).
func (c *Conn) beforeRead() {
	c.flush()
	if t := c.s.o.IdleTimeout; t > 0 {
		if c.SubCount() > 0 {
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
func (c *Conn) writeLocked(b []byte) { c.out = append(c.out, b...) }

// pending is the output not yet written (wmu held).
func (c *Conn) pending() int { return len(c.out) - c.outOff }

// write appends a complete frame to the output buffer.
func (c *Conn) write(b []byte) {
	c.wmu.Lock()
	c.writeLocked(b)
	c.wmu.Unlock()
}

// flushLocked sends the output buffer (wmu held); a failed write closes the
// connection.
func (c *Conn) flushLocked() {
	if c.pending() == 0 {
		return
	}
	c.flushes.Add(1)
	_, err := c.cc.Write(c.out[c.outOff:])
	c.resetOut()
	if err != nil {
		c.Close()
	}
}

// resetOut empties the output buffer once written (wmu held), dropping a
// big one.
func (c *Conn) resetOut() {
	c.out, c.outOff = c.out[:0], 0
	if cap(c.out) > 4*flushAt {
		c.out = nil
	}
}

// flush writes the replies queued (the connection's goroutine: before a
// read, a detached command, a close), once their commands are counted.
func (c *Conn) flush() {
	c.countCommands()
	c.wmu.Lock()
	c.flushLocked()
	c.wmu.Unlock()
}

// sendReply hands a command's reply to the connection, honouring CLIENT
// REPLY OFF/SKIP; past flushAt bytes it writes.
func (c *Conn) sendReply(r *Reply) {
	send := true
	if c.replyMode.Load() {
		c.mu.Lock()
		send = !c.replyOff && !c.skipThis
		c.skipThis = c.skipNext
		c.skipNext = false
		c.replyMode.Store(c.replyOff || c.skipThis || c.skipNext)
		c.mu.Unlock()
	}
	// Until the first subscription starts the pusher (pubsub.go), which
	// this goroutine does, no other goroutine touches the output: it needs
	// no lock (a lock and an unlock per command were 2 % of a node's CPU
	// under pipelining). The pusher, started later, sees it all.
	solo := c.push == nil
	if !solo {
		c.wmu.Lock()
	}
	if send {
		c.writeLocked(r.b)
	}
	if c.pending() > flushAt {
		c.countCommands()
		c.flushLocked()
	}
	if !solo {
		c.wmu.Unlock()
	}
}
