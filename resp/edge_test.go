package resp

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/internal/resptest"
)

// Requests that arrive a few bytes at a time, split anywhere (inside a
// length, between \r and \n, inside an argument), are served like whole
// ones, in order.
func TestFragmentedPipeline(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
		c := e.dial()
		req := encode("PING") + encode("ECHO", "fragmented") + "PING inline\r\n" + encode("ECHO", strings.Repeat("z", 300))
		for i := 0; i < len(req); i += 3 {
			c.SendRaw(req[i:min(i+3, len(req))])
			if i%30 == 0 {
				time.Sleep(time.Millisecond) // let the server see a fragment alone (pacing, not an assertion)
			}
		}
		c.Expect("+PONG\r\n")
		c.Expect("$10\r\nfragmented\r\n")
		c.Expect("$6\r\ninline\r\n")
		c.Expect("$300\r\n" + strings.Repeat("z", 300) + "\r\n")
	})
}

// A client that goes away while its detached command runs: the command
// finishes, its reply goes nowhere, the connection and its request memory
// are released, and the server keeps serving.
func TestCloseDuringDetachedCommand(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
		a := e.dial()
		a.SendRaw(encode("SLOW", "x") + encode("PING"))
		redistest.WaitFor(t, 5*time.Second, "SLOW running", func() bool {
			cs := e.srv.Clients()
			return len(cs) == 1 && cs[0].lastCmd.Load() != nil
		})
		_ = a.C.Close()
		e.h.slow <- struct{}{}
		redistest.WaitFor(t, 5*time.Second, "client gone", func() bool { return e.srv.NumClients() == 0 })
		redistest.WaitFor(t, 5*time.Second, "request memory released", func() bool { return e.srv.budget.inUse() == 0 })
		e.dial().Expect("+PONG\r\n", "PING")
	})
}

// QUIT's reply and every reply before it reach a client whose socket was
// full when QUIT ran: the connection is closed once they are written, not
// cut short.
func TestQuitAfterUnreadReplies(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			})
			if err != nil {
				return err
			}
			return serr
		}}
		nc, err := d.DialContext(context.Background(), "tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		c := &resptest.Conn{T: t, C: nc, BR: bufio.NewReader(nc)}
		c.Expect("+PONG\r\n", "PING")
		big := strings.Repeat("q", 60000) // under flushAt: one reply, then QUIT, no backlog in between
		c.SendRaw(encode("ECHO", big) + encode("QUIT"))
		redistest.WaitFor(t, 5*time.Second, "QUIT run", func() bool {
			cs := e.srv.Clients()
			return len(cs) == 0 || cs[0].closing()
		})
		time.Sleep(50 * time.Millisecond) // the old loop closed here with most of the reply unsent (pacing, not an assertion)
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(nc)
		if err != nil {
			t.Fatal(err)
		}
		if want := "$60000\r\n" + big + "\r\n+OK\r\n"; string(got) != want {
			t.Fatalf("got %d bytes, want %d (%.30q...)", len(got), len(want), got)
		}
	})
}
