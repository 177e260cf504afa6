package sentinelproto

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// stats are the counters INFO shows.
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

// meter counts events per wall-clock second; rate is the last full second.
type meter struct {
	mu        sync.Mutex
	sec       int64
	cur, prev int64
}

func (m *meter) add(n int64) { m.addAt(time.Now(), n) }

// addAt is add for a caller that has read the clock already.
func (m *meter) addAt(now time.Time, n int64) {
	sec := now.Unix()
	m.mu.Lock()
	m.roll(sec)
	m.cur += n
	m.mu.Unlock()
}

func (m *meter) roll(sec int64) {
	switch {
	case sec == m.sec:
	case sec == m.sec+1:
		m.prev, m.cur, m.sec = m.cur, 0, sec
	default:
		m.prev, m.cur, m.sec = 0, 0, sec
	}
}

func (m *meter) rate() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll(time.Now().Unix())
	return m.prev
}

// countingConn counts bytes and calls for INFO stats.
type countingConn struct {
	net.Conn
	st *stats
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.st.netIn.Add(int64(n))
		c.st.inRate.add(int64(n))
	}
	c.st.reads.Add(1)
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.st.netOut.Add(int64(n))
		c.st.outRate.add(int64(n))
	}
	c.st.writes.Add(1)
	return n, err
}
