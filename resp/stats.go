package resp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// stats are the server's counters (INFO stats and clients).
type stats struct {
	connections atomic.Int64 // total_connections_received
	rejected    atomic.Int64 // rejected_connections
	commands    atomic.Int64 // total_commands_processed
	errors      atomic.Int64 // total_error_replies
	netIn       atomic.Int64
	netOut      atomic.Int64
	reads       atomic.Int64
	writes      atomic.Int64
	maxInput    atomic.Int64 // largest request buffer seen (client_recent_max_input_buffer)

	opsRate, inRate, outRate meter
}

// Stats is a copy of the server's counters.
type Stats struct {
	Connections, Rejected, Commands, Errors int64
	NetIn, NetOut, Reads, Writes            int64
	MaxInputBuffer                          int64
	// OpsPerSec, InPerSec and OutPerSec are the last full second's
	// commands, input bytes and output bytes.
	OpsPerSec, InPerSec, OutPerSec int64
	// PubSubChannels and PubSubPatterns count subscribed names.
	PubSubChannels, PubSubPatterns int
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	st := &s.stats
	chans, pats := s.hub.counts()
	return Stats{
		Connections: st.connections.Load(), Rejected: st.rejected.Load(),
		Commands: st.commands.Load(), Errors: st.errors.Load(),
		NetIn: st.netIn.Load(), NetOut: st.netOut.Load(), Reads: st.reads.Load(), Writes: st.writes.Load(),
		MaxInputBuffer: st.maxInput.Load(),
		OpsPerSec:      st.opsRate.rate(), InPerSec: st.inRate.rate(), OutPerSec: st.outRate.rate(),
		PubSubChannels: chans, PubSubPatterns: pats,
	}
}

// meter counts events per wall-clock second; rate is the last full second.
// add is lock-free while the second does not change.
type meter struct {
	sec       atomic.Int64
	cur, prev atomic.Int64
	mu        sync.Mutex // serializes rolls
}

// addAt counts n events at unix second sec.
func (m *meter) addAt(sec, n int64) {
	if m.sec.Load() != sec {
		m.roll(sec)
	}
	m.cur.Add(n)
}

func (m *meter) roll(sec int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch old := m.sec.Load(); {
	case sec <= old:
	case sec == old+1:
		m.prev.Store(m.cur.Swap(0))
		m.sec.Store(sec)
	default:
		m.prev.Store(0)
		m.cur.Store(0)
		m.sec.Store(sec)
	}
}

func (m *meter) rate() int64 {
	m.roll(time.Now().Unix())
	return m.prev.Load()
}

// countIn and countOut count one read or write of n bytes at unix second
// sec.
func (st *stats) countIn(sec int64, n int) {
	if n > 0 {
		st.netIn.Add(int64(n))
		st.inRate.addAt(sec, int64(n))
	}
	st.reads.Add(1)
}

func (st *stats) countOut(sec int64, n int) {
	if n > 0 {
		st.netOut.Add(int64(n))
		st.outRate.addAt(sec, int64(n))
	}
	st.writes.Add(1)
}

// countingConn counts bytes and calls for INFO stats (goroutine-per-
// connection mode).
type countingConn struct {
	net.Conn
	st    *stats
	at    int64  // unix ns when the last read returned (the connection's goroutine only)
	reads uint64 // reads made (Conn.Batch; the connection's goroutine only)
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.reads++
	now := time.Now()
	c.at = now.UnixNano()
	c.st.countIn(now.Unix(), n)
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.st.countOut(time.Now().Unix(), n)
	return n, err
}
