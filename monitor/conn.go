package monitor

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"time"
)

// rconn is one RESP connection to an instance or peer, owned by exactly one
// goroutine at a time (the probe loop, or the holder of the command-link
// mutex).
type rconn struct {
	nc net.Conn
	rd respReader
	linkState
}

// linkState is what a connection's handshake left: what to put in front
// of the next command.
type linkState struct {
	wbuf   []byte
	key    string // linkSettings.connKey when dialed
	fresh  bool   // CLIENT SETNAME not sent yet
	authOK bool   // AUTH accepted on this connection (true when none is configured)
}

func newLinkState(s *linkSettings) linkState {
	return linkState{key: s.connKey, fresh: true, authOK: s.auth == nil}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dialConn opens a connection within s.dialTimeout. The address is resolved
// by the dialer at every call (hostnames are never cached).
func dialConn(ctx context.Context, dial dialFunc, s *linkSettings) (*rconn, error) {
	dctx, cancel := context.WithTimeout(ctx, s.dialTimeout)
	defer cancel()
	nc, err := dial(dctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	return &rconn{
		nc:        nc,
		rd:        respReader{br: bufio.NewReaderSize(nc, 4096)},
		linkState: newLinkState(s),
	}, nil
}

// prelude records what begin put in front of the caller's commands.
type prelude struct{ auth, hello bool }

// begin resets the write buffer and puts AUTH (when configured and not yet
// accepted on this connection) and, on a new connection, CLIENT SETNAME in
// front of what the caller appends: the handshake is pipelined with the
// first command, so a new connection costs one write.
func (c *linkState) begin(s *linkSettings) prelude {
	c.wbuf = c.wbuf[:0]
	var p prelude
	if s.auth != nil && !c.authOK {
		c.wbuf = append(c.wbuf, s.auth...)
		p.auth = true
	}
	if c.fresh && s.hello != nil {
		c.wbuf = append(c.wbuf, s.hello...)
		p.hello = true
	}
	c.fresh = false
	return p
}

// authSink hears the outcome of every AUTH sent.
type authSink interface {
	authResult(ok bool, msg []byte)
}

// readPrelude consumes the replies to what begin added. The CLIENT SETNAME
// reply is ignored, as Sentinel does.
func (c *rconn) readPrelude(p prelude, sink authSink) error {
	if p.auth {
		kind, msg, err := c.rd.status()
		if err != nil {
			return err
		}
		c.authOK = kind == '+'
		sink.authResult(c.authOK, msg)
	}
	if p.hello {
		if _, _, err := c.rd.status(); err != nil {
			return err
		}
	}
	return nil
}

// noteError marks the connection unauthenticated when an error reply says
// so, so that the next command is preceded by AUTH again (the password may
// have been fixed on the server meanwhile).
func (c *linkState) noteError(s *linkSettings, msg []byte) {
	if s.auth != nil && bytes.HasPrefix(msg, []byte("NOAUTH")) {
		c.authOK = false
	}
}

// pingValid reports whether a PING reply counts as the instance being
// available (spec §6.3): +PONG, -LOADING or -MASTERDOWN; pong is true only
// for PONG (which alone clears the reboot state).
func pingValid(kind byte, msg []byte) (valid, pong bool) {
	switch kind {
	case '+':
		pong = bytes.HasPrefix(msg, []byte("PONG"))
		return pong, pong
	case '-':
		return bytes.HasPrefix(msg, []byte("LOADING")) || bytes.HasPrefix(msg, []byte("MASTERDOWN")), false
	}
	return false, false
}

// connHolder lets another goroutine close a link's current connection (to
// stop it, or to force a reconnect) while its owner is blocked in I/O.
type connHolder struct {
	mu      sync.Mutex
	nc      net.Conn
	stopped bool
}

// attach registers nc; false (and nc closed) when the link is stopped.
func (h *connHolder) attach(nc net.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		nc.Close()
		return false
	}
	h.nc = nc
	return true
}

// detach closes nc and forgets it.
func (h *connHolder) detach(nc net.Conn) {
	nc.Close()
	h.mu.Lock()
	if h.nc == nc {
		h.nc = nil
	}
	h.mu.Unlock()
}

// kick closes the current connection, if any, without stopping the link.
func (h *connHolder) kick() {
	h.mu.Lock()
	if h.nc != nil {
		h.nc.Close()
	}
	h.mu.Unlock()
}

// stop closes the current connection and refuses later ones.
func (h *connHolder) stop() {
	h.mu.Lock()
	h.stopped = true
	if h.nc != nil {
		h.nc.Close()
	}
	h.mu.Unlock()
}

// sleepUntil waits until when, a wake-up on wake, or ctx's end (false). It
// reuses t, so waiting allocates nothing.
func sleepUntil(ctx context.Context, t *time.Timer, when time.Time, wake <-chan struct{}) bool {
	d := time.Until(when)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t.Reset(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-wake:
		t.Stop()
		return true
	case <-t.C:
		return true
	}
}

// poke does a non-blocking send on a wake-up channel of capacity 1.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
