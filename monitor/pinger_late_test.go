//go:build linux && e2e

package monitor

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// A reply that is in the socket when the pinger comes to the PING's
// deadline late (busy with thousands of other probes) is read then, not
// taken for a timeout: dropping such connections reset them with the reply
// unread, and the reconnects kept a node at 8000 probes from ever catching
// up. The test is the pinger goroutine: it sends the PING, lets the reply
// arrive, and looks at the deadline only after the ping timeout.
func TestPingerLateReadIsNoTimeout(t *testing.T) {
	srv := redistest.Start(t)
	m := New(Config{MyID: testID}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pg, err := newPinger(m, ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.shutdown()
	m.SetTargets([]view.Target{{Master: "m", Addr: srv.Addr(), IsMaster: true, DownAfter: time.Second}})
	p := m.insts[instKey{"m", srv.Addr()}].probe
	p.pg = pg
	p.ev = &probeEv{fd: -1, stage: stageNone, sendIdx: -1, timerIdx: -1}
	s := p.set.Load()
	fd, ip, err := dialFD(ctx, m.cfg.Dial, s)
	if err != nil {
		t.Fatal(err)
	}
	pg.dialed(p, s, fd, ip, nil) // CLIENT SETNAME and PING go out
	redistest.WaitFor(t, 5*time.Second, "both replies in the socket", func() bool {
		n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
		return err == nil && n >= len("+OK\r\n+PONG\r\n")
	})
	pg.due(time.Now().Add(2 * s.pingTimeout))
	if p.ev.fd != fd {
		t.Fatalf("connection dropped at the late deadline (%s)", p.state().err)
	}
	if st := p.state(); st.lastOK.IsZero() || st.err != "" {
		t.Fatalf("reply not taken: %+v", st)
	}
}
