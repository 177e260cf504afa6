package consensus

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"
)

// The Sentinel port carries three kinds of streams. The first byte of a new
// connection tells them apart (the idea of rqlite's tcp/mux.go): RESP
// clients always start with '*' or a printable inline command, so control
// bytes are free for raftinel's own streams.
const (
	headerRaft byte = 0x01 // hashicorp/raft transport
	headerRPC  byte = 0x02 // forwarded writes and joins (forward.go)
)

// Mux splits one listener into a RESP listener, a Raft listener and an RPC
// listener.
type Mux struct {
	lns    []net.Listener
	resp   *subListener
	raft   *subListener
	rpc    *subListener
	once   sync.Once
	closed chan struct{}
	// peekTimeout bounds how long a connection may stay silent before its
	// first byte; RESP clients (redis-cli interactive) may idle, so this
	// is long.
	peekTimeout time.Duration
}

// NewMux wraps one listener per bound address (at least one). Call Serve
// to start routing.
func NewMux(lns ...net.Listener) *Mux {
	m := &Mux{lns: lns, closed: make(chan struct{}), peekTimeout: 0}
	m.resp = newSubListener(lns[0].Addr(), m.closed)
	m.raft = newSubListener(lns[0].Addr(), m.closed)
	m.rpc = newSubListener(lns[0].Addr(), m.closed)
	return m
}

// RESP returns the listener of client connections.
func (m *Mux) RESP() net.Listener { return m.resp }

// Raft returns the listener of Raft streams (header byte already consumed).
func (m *Mux) Raft() net.Listener { return m.raft }

// RPC returns the listener of forwarding streams (header byte consumed).
func (m *Mux) RPC() net.Listener { return m.rpc }

// Addr is the first listener's address.
func (m *Mux) Addr() net.Addr { return m.lns[0].Addr() }

// Serve accepts and routes connections until the mux is closed.
func (m *Mux) Serve() error {
	errs := make(chan error, len(m.lns))
	for _, ln := range m.lns {
		go func(ln net.Listener) { errs <- m.serve(ln) }(ln)
	}
	var first error
	for range m.lns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (m *Mux) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-m.closed:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			m.Close()
			return err
		}
		go m.route(c)
	}
}

func (m *Mux) route(c net.Conn) {
	br := bufio.NewReaderSize(c, 512)
	if m.peekTimeout > 0 {
		_ = c.SetReadDeadline(time.Now().Add(m.peekTimeout))
	}
	b, err := br.Peek(1)
	if err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var target *subListener
	switch b[0] {
	case headerRaft:
		_, _ = br.ReadByte()
		target = m.raft
	case headerRPC:
		_, _ = br.ReadByte()
		target = m.rpc
	default:
		target = m.resp
	}
	if !target.deliver(&bufferedConn{Conn: c, r: br}) {
		c.Close()
	}
}

// Close stops the mux and every sub-listener.
func (m *Mux) Close() error {
	var err error
	m.once.Do(func() {
		close(m.closed)
		for _, ln := range m.lns {
			if cerr := ln.Close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}

// bufferedConn replays what was peeked.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// Unwrap hands over the connection under the peek buffer with the bytes
// already read from it, for a server that takes over the socket (the RESP
// server's event loop); b must not be read afterwards.
func (b *bufferedConn) Unwrap() (net.Conn, []byte) {
	pre, _ := b.r.Peek(b.r.Buffered())
	return b.Conn, pre
}

// subListener is a net.Listener fed by the mux.
type subListener struct {
	addr   net.Addr
	ch     chan net.Conn
	closed <-chan struct{}
}

func newSubListener(addr net.Addr, closed <-chan struct{}) *subListener {
	return &subListener{addr: addr, ch: make(chan net.Conn, 16), closed: closed}
}

func (l *subListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close is a no-op: the mux owns the real listener.
func (l *subListener) Close() error   { return nil }
func (l *subListener) Addr() net.Addr { return l.addr }
