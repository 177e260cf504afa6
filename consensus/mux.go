package consensus

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// The Sentinel port carries three kinds of streams. The first byte of a new
// connection tells them apart (the idea of rqlite's tcp/mux.go): RESP
// clients always start with '*' or a printable inline command, so control
// bytes are free for raftinel's own streams.
const (
	headerRaft byte = 0x01 // hashicorp/raft transport
	headerRPC  byte = 0x02 // forwarded writes and joins (forward.go)
)

// DefaultFirstByteTimeout is how long a new connection may stay silent
// before its first byte (which says what it is) before it is closed: a
// client or peer sends at once; a connection that never does only holds a
// slot. Generous, for a person typing into an interactive client.
const DefaultFirstByteTimeout = 10 * time.Second

// Accept errors (EMFILE under a connection flood, say) are retried after a
// pause that doubles from acceptRetryMin up to acceptRetryMax: the
// listener stays open, and serves again once descriptors are free.
const (
	acceptRetryMin = 5 * time.Millisecond
	acceptRetryMax = time.Second
)

// maxClientsReply is what a connection over the limit reads (Redis's
// words); a peer reads it as a failed handshake.
const maxClientsReply = "-ERR max number of clients reached\r\n"

// MuxOptions bound the connections of a Mux.
type MuxOptions struct {
	// MaxConns bounds the open connections of every kind (clients, Raft
	// and RPC streams, and those not yet routed); 0 = no bound.
	// raftinel passes maxclients.
	MaxConns int
	// FirstByteTimeout (DefaultFirstByteTimeout when 0).
	FirstByteTimeout time.Duration
	Logger           *zap.Logger
}

// Mux splits one listener into a RESP listener, a Raft listener and an RPC
// listener.
type Mux struct {
	lns    []net.Listener
	resp   *subListener
	raft   *subListener
	rpc    *subListener
	once   sync.Once
	closed chan struct{}
	o      MuxOptions
	conns  atomic.Int64 // open connections, every kind
}

// NewMux wraps one listener per bound address (at least one). Call Serve
// to start routing.
func NewMux(lns ...net.Listener) *Mux { return NewMuxWith(MuxOptions{}, lns...) }

// NewMuxWith is NewMux with bounds.
func NewMuxWith(o MuxOptions, lns ...net.Listener) *Mux {
	if o.FirstByteTimeout <= 0 {
		o.FirstByteTimeout = DefaultFirstByteTimeout
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	m := &Mux{lns: lns, closed: make(chan struct{}), o: o}
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
	var delay time.Duration
	var lastLog time.Time
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-m.closed:
				return nil
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			delay = min(max(2*delay, acceptRetryMin), acceptRetryMax)
			if time.Since(lastLog) >= acceptRetryMax {
				lastLog = time.Now()
				m.o.Logger.Warn("accept failed, retrying", zap.String("addr", ln.Addr().String()), zap.Duration("retry_in", delay), zap.Error(err))
			}
			select {
			case <-m.closed:
				return nil
			case <-time.After(delay):
			}
			continue
		}
		delay = 0
		if n := m.conns.Add(1); m.o.MaxConns > 0 && n > int64(m.o.MaxConns) {
			m.conns.Add(-1)
			go refuseFull(c)
			continue
		}
		go m.route(&countedConn{Conn: c, n: &m.conns})
	}
}

// refuseFull answers a connection over MaxConns and closes it.
func refuseFull(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(maxClientsReply))
	c.Close()
}

// Conns is the number of open connections of every kind.
func (m *Mux) Conns() int { return int(m.conns.Load()) }

func (m *Mux) route(c net.Conn) {
	br := bufio.NewReaderSize(c, 512)
	_ = c.SetReadDeadline(time.Now().Add(m.o.FirstByteTimeout))
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

// countedConn gives its slot back when closed.
type countedConn struct {
	net.Conn
	n    *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.n.Add(-1) })
	return c.Conn.Close()
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

// bufferedConn replays what was peeked, then reads the connection itself:
// kept for the connection's life, the reader copied every read through its
// buffer (1.3 % of a node's CPU under pipelined GET-MASTER-ADDR-BY-NAME).
// Reads come from one goroutine at a time (net.Conn allows concurrent
// ones; none of the mux's users makes them).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader // nil once what it held is read
}

func (b *bufferedConn) Read(p []byte) (int, error) {
	if b.r != nil {
		if b.r.Buffered() > 0 {
			return b.r.Read(p)
		}
		b.r = nil
	}
	return b.Conn.Read(p)
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
