//go:build linux

package resp

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/raftinel/raftinel/internal/rawio"
)

// The event loop serves every plain TCP connection of a Server from one
// goroutine, as Redis does from its one thread: epoll_wait, then for each
// ready socket one read, every complete request in the buffer run in turn
// and one write for all their replies. A goroutine per connection costs,
// per unpipelined request, a read that fails with EAGAIN, a park and a
// wake-up through the Go scheduler (futex calls, an idle P looking for
// work). Measured in a node the loop nevertheless cost more CPU per
// request than goroutines (doc.go), so the Sentinel port does not use it
// by default (sentinelproto.Options.EventLoop). Handlers that may block detach (Conn.Detach) and
// finish on a goroutine of their own; the connection stops reading until
// they are done, so its commands still run in order. Pub/Sub pushes and
// detached replies are written by their own goroutines without blocking;
// what the socket does not take is written by the loop when epoll says it
// can (EPOLLOUT).
//
// TLS connections (tls-port) keep a goroutine each: the loop sees only
// bytes.

// evState is a connection's socket as the loop sees it (guarded by wmu).
type evState struct {
	sock    int           // the loop's duplicate of the socket, -1 once closed
	tag     int32         // registration number, carried by the socket's epoll events
	reading bool          // EPOLLIN wanted: not detached, output not backed up
	closing bool          // close once the output is written (closeWritten)
	mask    uint32        // interest registered with epoll
	drain   chan struct{} // closed when the output is written (waitDrainLocked)
}

type loop struct {
	s    *Server
	epfd int
	mb   *rawio.Mailbox // work from other goroutines
	w    *rawio.Waiter

	// Owned by the loop goroutine.
	conns     map[int]*Conn
	free      [][]byte // idle read buffers, reused by whichever connection reads next
	lastSweep time.Time
	tags      int32         // last evState.tag given
	now       atomic.Int64  // unix ns, read after each wait (Conn.clock)
	done      chan struct{} // closed when the loop goroutine has returned
}

// eventLoop returns the server's loop, started at the first connection
// (nil: goroutine per connection).
func (s *Server) eventLoop() *loop {
	if s.o.NoEventLoop {
		return nil
	}
	s.lpOnce.Do(func() {
		lp, err := newLoop(s)
		if err != nil {
			s.log.Warn("no event loop, a goroutine per connection", zap.Error(err))
			return
		}
		s.lp = lp
	})
	return s.lp
}

func newLoop(s *Server) (*loop, error) {
	epfd, mb, w, err := rawio.NewLoop()
	if err != nil {
		return nil, err
	}
	lp := &loop{s: s, epfd: epfd, mb: mb, w: w, conns: map[int]*Conn{}, lastSweep: time.Now(), done: make(chan struct{})}
	lp.now.Store(time.Now().UnixNano())
	go lp.run()
	return lp, nil
}

// unwrapTCP finds the TCP connection under nc (and the bytes a
// multiplexer already read from it, Unwrap); TLS and others are not.
func unwrapTCP(nc net.Conn) (*net.TCPConn, []byte, bool) {
	switch c := nc.(type) {
	case *net.TCPConn:
		return c, nil, true
	case interface{ Raw() *net.TCPConn }: // rawio.Conn
		return c.Raw(), nil, true
	case interface{ Unwrap() (net.Conn, []byte) }:
		inner, pre := c.Unwrap()
		tcp, _, ok := unwrapTCP(inner)
		return tcp, pre, ok && tcp != nil
	}
	return nil, nil, false
}

// serveNew hands nc to the loop when it can take it, else to a goroutine.
func (s *Server) serveNew(nc net.Conn) {
	lp := s.eventLoop()
	if lp == nil {
		go s.serveConn(nc)
		return
	}
	if _, _, ok := unwrapTCP(nc); !ok {
		go s.serveConn(nc)
		return
	}
	go lp.adopt(nc)
}

// adopt admits nc and moves its socket into the loop: the descriptor is
// duplicated and the net.Conn closed (which takes it out of Go's poller).
func (lp *loop) adopt(nc net.Conn) {
	var pre []byte
	took := false
	c, ok := lp.s.admit(nc, func(c *Conn) {
		tcp, p, _ := unwrapTCP(nc)
		raw, err := tcp.SyscallConn()
		if err != nil {
			return
		}
		fd := -1
		if cerr := raw.Control(func(f uintptr) { fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); cerr != nil || err != nil {
			return
		}
		pre = append([]byte(nil), p...)
		_ = tcp.Close()
		c.outer = nc // closed with the socket: wrappers may hold resources (the mux's connection slot)
		c.lp, c.nc, c.cc = lp, nil, nil
		c.fd = fd
		c.ev = evState{sock: fd, reading: true}
		c.rd.r = &fdReader{c: c}
		c.rd.beforeRead = nil
		c.rd.newBuf = lp.getBuf // called on the loop goroutine only
		took = true
	})
	if !ok {
		return
	}
	if !took {
		lp.s.serveConnAdmitted(c) // the socket could not be taken: a goroutine
		return
	}
	lp.post(func() { lp.register(c, pre) })
}

// register adds c to epoll and serves what arrived with it.
func (lp *loop) register(c *Conn, pre []byte) {
	lp.tags++
	c.wmu.Lock()
	fd := c.ev.sock
	c.ev.tag = lp.tags
	c.wmu.Unlock()
	if fd < 0 {
		return // closed meanwhile
	}
	c.ev.mask = unix.EPOLLIN
	if err := unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: c.ev.mask, Fd: int32(fd), Pad: c.ev.tag}); err != nil {
		lp.s.log.Warn("epoll_ctl add failed", zap.Error(err))
		lp.conns[fd] = c
		lp.closeConn(c)
		return
	}
	lp.conns[fd] = c
	if len(pre) > 0 {
		rd := c.rd
		if rd.buf == nil {
			rd.buf = lp.getBuf()
		}
		if len(pre) > len(rd.buf) {
			rd.buf = make([]byte, len(pre))
		}
		rd.end = copy(rd.buf, pre)
		lp.process(c, true)
	}
}

// fdReader is the reader's source in the loop: one read per readiness
// event (allow), then errWouldBlock, so that a request never costs a read
// that finds nothing.
type fdReader struct {
	c     *Conn
	allow bool
}

func (f *fdReader) Read(p []byte) (int, error) {
	if !f.allow {
		return 0, errWouldBlock
	}
	f.allow = false
	fd := f.c.ev.sock // the loop goroutine is the only one that closes it
	for {
		n, err := rawio.Read(fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, errWouldBlock
		case err != nil:
			return 0, err
		}
		f.c.s.stats.countIn(f.c.lp.now.Load()/1e9, n)
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (lp *loop) run() {
	defer close(lp.done)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := lp.wait(events)
		if err != nil {
			lp.s.log.Error("epoll_wait failed, the event loop stops", zap.Error(err))
			return
		}
		lp.now.Store(time.Now().UnixNano())
		for i := 0; i < n; i++ {
			ev := &events[i]
			fd := int(ev.Fd)
			if fd == lp.mb.FD() {
				if !lp.mb.Run() {
					lp.shutdown()
					return
				}
				continue
			}
			c := lp.conns[fd]
			if c == nil || c.ev.tag != ev.Pad {
				// A connection closed earlier in this batch; its
				// descriptor number may already serve a new one.
				continue
			}
			if ev.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 && (c.busy || ev.Events&unix.EPOLLIN == 0) {
				lp.closeConn(c) // gone; nothing left to read
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 {
				lp.writable(c)
			}
			if ev.Events&unix.EPOLLIN != 0 && !c.busy {
				lp.process(c, true)
			}
		}
		if lp.s.o.IdleTimeout > 0 {
			lp.sweepIdle()
		}
	}
}

// wait waits for events (rawio.Waiter: a short blocking epoll_wait under
// load, the Go netpoller when idle). Parking in the netpoller on every
// idle moment measured about 15 % more CPU per unpipelined request than
// blocking in epoll_wait; blocking in it when idle cost an idle node more
// than its work (the runtime's monitor thread).
func (lp *loop) wait(events []unix.EpollEvent) (int, error) {
	var until time.Time
	if lp.s.o.IdleTimeout > 0 {
		until = time.Now().Add(time.Second) // sweep idle clients every second, only when a timeout is set
	}
	return lp.w.Wait(events, until)
}

// process runs every complete request buffered for c (after one read when
// read is set) and writes their replies with one write.
func (lp *loop) process(c *Conn, read bool) {
	s := lp.s
	c.rd.r.(*fdReader).allow = read
	for !c.dead.Load() && c.ev.reading { // reading changes on this goroutine only
		args, err := c.rd.next(!c.Authed() && s.authRequired())
		if errors.Is(err, errWouldBlock) {
			break
		}
		if err != nil {
			s.readFailed(c, err)
			lp.closeWritten(c)
			return
		}
		s.noteInput(c.rd.capacity())
		done, backlog := c.run(args)
		if !done {
			return // detached: the connection waits for it
		}
		if c.closing() {
			lp.closeWritten(c)
			return
		}
		if backlog {
			c.wmu.Lock()
			if c.pending() > flushAt {
				c.ev.reading = false // the client does not read its replies: wait for it
				lp.setMaskLocked(c)
			}
			c.wmu.Unlock()
		}
	}
	c.flush()
	if c.rd.idle() && !c.busy {
		lp.putBuf(c.rd.takeBuf())
	}
}

// writable writes what c's socket can take now; once the output is gone,
// a connection held back by it reads again.
func (lp *loop) writable(c *Conn) {
	c.wmu.Lock()
	c.flushLocked()
	if c.ev.closing {
		done := c.pending() == 0
		c.wmu.Unlock()
		if done {
			lp.closeConn(c)
		}
		return
	}
	resume := !c.ev.reading && !c.busy && c.pending() == 0 && c.ev.sock >= 0
	if resume {
		c.ev.reading = true
		lp.setMaskLocked(c)
	}
	c.wmu.Unlock()
	if resume {
		lp.process(c, true)
	}
}

// flushLocked writes c's output without blocking (wmu held, any
// goroutine); the rest waits for EPOLLOUT.
func (lp *loop) flushLocked(c *Conn) {
	for c.pending() > 0 && c.ev.sock >= 0 {
		n, err := rawio.Write(c.ev.sock, c.out[c.outOff:])
		if n > 0 {
			c.outOff += n
			lp.s.stats.countOut(lp.now.Load()/1e9, n)
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			c.outOff = len(c.out)
			c.Close()
			break
		}
	}
	if c.pending() == 0 || c.ev.sock < 0 {
		c.resetOut()
		if c.ev.drain != nil {
			close(c.ev.drain)
			c.ev.drain = nil
		}
	}
	lp.setMaskLocked(c)
}

// setMaskLocked registers the interest c needs now (wmu held): input unless
// held back, output while some is pending.
func (lp *loop) setMaskLocked(c *Conn) {
	if c.ev.sock < 0 {
		return
	}
	var want uint32
	if c.ev.reading {
		want |= unix.EPOLLIN
	}
	if c.pending() > 0 {
		want |= unix.EPOLLOUT
	}
	if want == c.ev.mask {
		return
	}
	c.ev.mask = want
	_ = unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_MOD, c.ev.sock, &unix.EpollEvent{Events: want, Fd: int32(c.ev.sock), Pad: c.ev.tag})
}

// waitDrainLocked blocks a Pub/Sub writer while c has more than flushAt
// bytes unwritten (wmu held; released while waiting): a subscriber that
// does not read fills its queue and is disconnected (pubsub.go).
func (lp *loop) waitDrainLocked(c *Conn) {
	for c.pending() > flushAt && c.ev.sock >= 0 {
		if c.ev.drain == nil {
			c.ev.drain = make(chan struct{})
		}
		ch := c.ev.drain
		c.wmu.Unlock()
		select {
		case <-ch:
		case <-c.done:
		}
		c.wmu.Lock()
	}
}

// detach runs a detached command's end on its own goroutine; c reads
// nothing until it is done.
func (lp *loop) detach(c *Conn, f func(*Reply)) {
	c.busy = true
	c.wmu.Lock()
	c.ev.reading = false
	lp.setMaskLocked(c)
	c.flushLocked() // replies of the commands before it
	c.wmu.Unlock()
	go func() {
		f(&c.rep)
		c.finish(&c.rep)
		c.flush()
		lp.post(func() {
			c.busy = false
			if c.dead.Load() {
				lp.closeConn(c)
				return
			}
			if c.closing() {
				lp.closeWritten(c)
				return
			}
			c.wmu.Lock()
			c.ev.reading = c.pending() <= flushAt
			lp.setMaskLocked(c)
			c.wmu.Unlock()
			lp.process(c, true)
		})
	}()
}

// closeUnregistered closes the socket of a connection that was refused
// before the loop registered it (any goroutine).
func (lp *loop) closeUnregistered(c *Conn) {
	c.wmu.Lock()
	fd := c.ev.sock
	c.ev.sock = -1
	c.wmu.Unlock()
	if fd >= 0 {
		_ = unix.Close(fd)
	}
	c.closeOuter()
}

// closeOuter closes the net.Conn the loop took the socket from (its TCP
// connection is closed already): what wraps it releases what it holds.
func (c *Conn) closeOuter() {
	if c.outer != nil {
		_ = c.outer.Close()
	}
}

// closeWritten closes c once its output is written (loop goroutine): a
// reply before QUIT or a protocol error is not cut short by a full
// socket. c reads nothing more; a client that never reads its replies
// keeps the connection until it closes it (or the idle timeout).
func (lp *loop) closeWritten(c *Conn) {
	c.wmu.Lock()
	c.flushLocked()
	if c.pending() == 0 || c.ev.sock < 0 {
		c.wmu.Unlock()
		lp.closeConn(c)
		return
	}
	c.ev.closing = true
	c.ev.reading = false
	lp.setMaskLocked(c)
	c.wmu.Unlock()
}

// closeConn closes c's socket and forgets it (loop goroutine); it may run
// more than once. The request budget and the read buffer are given back
// once no detached command uses them (the detached command's end calls it
// again).
func (lp *loop) closeConn(c *Conn) {
	c.wmu.Lock()
	fd := c.ev.sock
	c.ev.sock = -1
	if c.ev.drain != nil {
		close(c.ev.drain)
		c.ev.drain = nil
	}
	c.wmu.Unlock()
	if fd >= 0 {
		_ = unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		_ = unix.Close(fd)
		delete(lp.conns, fd)
		lp.s.remove(c)
		c.closeOuter()
	}
	if !c.busy {
		c.rd.release()
		if c.rd.buf != nil {
			lp.putBuf(c.rd.takeBuf())
		}
	}
}

// sweepIdle closes clients idle for longer than IdleTimeout (subscribers
// are exempt, as in Redis).
func (lp *loop) sweepIdle() {
	now := time.Now()
	if now.Sub(lp.lastSweep) < time.Second {
		return
	}
	lp.lastSweep = now
	limit := now.Add(-lp.s.o.IdleTimeout).UnixNano()
	for _, c := range lp.conns {
		if !c.busy && c.SubCount() == 0 && c.lastAct.Load() < limit {
			lp.closeConn(c)
		}
	}
}

func (lp *loop) getBuf() []byte {
	if n := len(lp.free); n > 0 {
		b := lp.free[n-1]
		lp.free = lp.free[:n-1]
		return b
	}
	return make([]byte, readChunk)
}

// putBuf keeps an idle read buffer for reuse (a few: the rest is garbage).
func (lp *loop) putBuf(b []byte) {
	if len(b) == readChunk && len(lp.free) < 16 {
		lp.free = append(lp.free, b)
	}
}

// post runs f on the loop goroutine.
func (lp *loop) post(f func()) { lp.mb.Post(f) }

// stop ends the loop after closing its connections.
func (lp *loop) stop() { lp.mb.Stop() }

func (lp *loop) shutdown() {
	for _, c := range lp.conns {
		lp.closeConn(c)
	}
	_ = lp.w.Close()
	_ = lp.mb.Close()
}
