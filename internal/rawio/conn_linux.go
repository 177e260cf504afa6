//go:build linux

package rawio

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Conn is a TCP connection that still waits in Go's netpoller (deadlines
// and all) but reads and writes with raw system calls. Why: a goroutine
// that makes a system call the ordinary way while the process was idle
// wakes the runtime's monitor thread (sysmon), which then polls every
// 20 us for about a millisecond: on the machines measured that cost more
// CPU than the idle work itself (a Raft heartbeat, a PING, an INFO), and
// idle nodes do that work tens of times a second.
//
// A Read or Write allocates nothing: the function handed to the poller and
// what it fills are the connection's own (one per direction, under a lock
// of its own, since net.Conn allows concurrent calls), not a closure per
// call: on the client port those closures were a few percent of a node's
// CPU per request batch, with the garbage collection they caused.
type Conn struct {
	*net.TCPConn
	rc     syscall.RawConn
	rd, wr rawOp
}

// rawOp is one direction's call in progress: fn, bound once to the rawOp,
// is what the poller calls; p is the buffer, n and err the outcome.
type rawOp struct {
	mu  sync.Mutex
	fn  func(fd uintptr) bool
	p   []byte
	n   int
	err error
}

// Wrap returns c as a Conn when it is a TCP connection, else c.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	rcn := &Conn{TCPConn: tc, rc: rc}
	rcn.rd.fn = rcn.rd.read
	rcn.wr.fn = rcn.wr.write
	return rcn
}

// Raw is the connection underneath (a server taking the socket over).
func (c *Conn) Raw() *net.TCPConn { return c.TCPConn }

func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	o := &c.rd
	o.mu.Lock()
	o.p, o.n, o.err = p, 0, nil
	werr := c.rc.Read(o.fn)
	n, err := o.n, o.err
	o.p, o.err = nil, nil
	o.mu.Unlock()
	switch {
	case werr != nil:
		return 0, c.opErr("read", werr)
	case err != nil:
		return 0, c.opErr("read", err)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is the poller's function for Read: true once read(2) did not find
// the socket empty.
func (o *rawOp) read(fd uintptr) bool {
	for {
		o.n, o.err = Read(int(fd), o.p)
		if o.err != syscall.EINTR {
			return o.err != syscall.EAGAIN
		}
	}
}

func (c *Conn) Write(p []byte) (int, error) {
	o := &c.wr
	o.mu.Lock()
	o.p, o.n, o.err = p, 0, nil
	werr := c.rc.Write(o.fn)
	done, err := o.n, o.err
	o.p, o.err = nil, nil
	o.mu.Unlock()
	if werr != nil {
		return done, c.opErr("write", werr)
	}
	if err != nil {
		return done, c.opErr("write", err)
	}
	return done, nil
}

// write is the poller's function for Write: false (wait until writable)
// while the socket's buffer is full; n counts what was written.
func (o *rawOp) write(fd uintptr) bool {
	for o.n < len(o.p) {
		n, err := Write(int(fd), o.p[o.n:])
		if n > 0 {
			o.n += n
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case nil:
		default:
			o.err = err
			return true
		}
	}
	return true
}

// opErr wraps err like package net does, so that messages and errors.Is
// (os.ErrDeadlineExceeded, syscall.ECONNRESET ...) stay the same.
func (c *Conn) opErr(op string, err error) error {
	if _, ok := err.(*net.OpError); ok {
		return err
	}
	if e, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(op, e)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// Listener wraps every connection it accepts (Wrap).
type Listener struct{ net.Listener }

// Accept accepts a connection and wraps it.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}
