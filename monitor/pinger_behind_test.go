//go:build linux

package monitor

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// mute is a target that accepts connections and reads them, never
// answering; it counts the connections whose first bytes carry a PING
// (the probe's; the command link's start with INFO).
type mute struct {
	ln    net.Listener
	mu    sync.Mutex
	pings int
}

func startMute(t *testing.T) *mute {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mute{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if bytes.Contains(buf[:n], []byte("PING")) && !bytes.Contains(buf[:n], []byte("INFO")) {
					m.mu.Lock()
					m.pings++
					m.mu.Unlock()
				}
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return m
}

func (m *mute) probeConns() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pings
}

// An unanswered PING closes the probe connection after the ping timeout
// and the next PING goes out on a fresh one, unless the monitor is behind
// on its dials: then the probe waits on (a reconnect would only queue),
// and SDOWN still comes at down-after from the first unanswered PING.
func TestSlowProbeKeepsItsConnectionWhenDialsQueue(t *testing.T) {
	for _, c := range []struct {
		name   string
		behind bool
	}{{"dials free", false}, {"dials queued", true}} {
		t.Run(c.name, func(t *testing.T) {
			srv := startMute(t)
			rec := newRecorder()
			m := New(Config{MyID: testID, PingPeriod: 20 * time.Millisecond}, rec, nil)
			if c.behind {
				m.dials.waiting.Store(maxDials) // as if maxDials dials waited for a slot
			}
			d := 500 * time.Millisecond // ping timeout 125 ms
			m.SetTargets([]view.Target{{Master: "m", Addr: srv.ln.Addr().String(), IsMaster: true, DownAfter: d}})
			start := time.Now()
			run(t, m)
			rec.waitSDown(t, instKey{"m", srv.ln.Addr().String()}, true, start, 10*time.Second)
			m.mu.Lock()
			pg := m.pinger
			m.mu.Unlock()
			if pg == nil {
				t.Fatal("no pinger with the monitor's own dialer on Linux")
			}
			redistest.WaitFor(t, 5*time.Second, "a probe connection", func() bool { return srv.probeConns() > 0 })
			got := srv.probeConns()
			if c.behind && got != 1 {
				t.Fatalf("%d probe connections while dials queue, want 1 (no reconnect)", got)
			}
			if !c.behind && got < 2 {
				t.Fatalf("%d probe connection(s) by SDOWN at 4 ping timeouts, want reconnects", got)
			}
		})
	}
}
