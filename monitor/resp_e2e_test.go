//go:build e2e

package monitor

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// A steady-state PING on a live connection allocates nothing.
func TestPingNoAlloc(t *testing.T) {
	srv := redistest.Start(t)
	s := targetSettings(Config{}, view.Target{Addr: srv.Addr(), DownAfter: time.Second})
	c, err := dialConn(context.Background(), (&net.Dialer{}).DialContext, s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.nc.Close()
	p := newProbe(s, nil, nopOwner{})
	var next time.Time
	if err := p.ping(c, s, &next); err != nil { // first one: handshake, buffers grow
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(200, func() {
		if err := p.ping(c, s, &next); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("a PING allocates %v times", n)
	}
	if st := p.state(); st.lastOK.IsZero() || !st.pendingSince.IsZero() {
		t.Fatalf("probe state after pings: %+v", st)
	}
}
