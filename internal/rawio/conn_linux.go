//go:build linux

package rawio

import (
	"io"
	"net"
	"os"
	"syscall"
)

// Conn is a TCP connection that still waits in Go's netpoller (deadlines
// and all) but reads and writes with raw system calls. Why: a goroutine
// that makes a system call the ordinary way while the process was idle
// wakes the runtime's monitor thread (sysmon), which then polls every
// 20 us for about a millisecond: on the machines measured that cost more
// CPU than the idle work itself (a Raft heartbeat, a PING, an INFO), and
// idle nodes do that work tens of times a second.
type Conn struct {
	*net.TCPConn
	rc syscall.RawConn
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
	return &Conn{TCPConn: tc, rc: rc}
}

// Raw is the connection underneath (a server taking the socket over).
func (c *Conn) Raw() *net.TCPConn { return c.TCPConn }

func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	werr := c.rc.Read(func(fd uintptr) bool {
		for {
			n, err = Read(int(fd), p)
			if err != syscall.EINTR {
				return err != syscall.EAGAIN
			}
		}
	})
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

func (c *Conn) Write(p []byte) (int, error) {
	done := 0
	var err error
	werr := c.rc.Write(func(fd uintptr) bool {
		for done < len(p) {
			var n int
			n, err = Write(int(fd), p[done:])
			if n > 0 {
				done += n
			}
			switch err {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				err = nil
				return false
			case nil:
			default:
				return true
			}
		}
		return true
	})
	if werr != nil {
		return done, c.opErr("write", werr)
	}
	if err != nil {
		return done, c.opErr("write", err)
	}
	return done, nil
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
