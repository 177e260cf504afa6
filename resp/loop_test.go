package resp

import (
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/internal/resptest"
)

// The behaviours below must hold whichever way connections are served:
// the event loop (Linux, plain TCP) and a goroutine per connection.
func bothModes(t *testing.T, f func(t *testing.T, e *testEnv)) {
	for _, mode := range []string{"loop", "goroutines"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.NoEventLoop = mode == "goroutines" })
			f(t, e)
			if mode == "loop" && runtime.GOOS == "linux" && e.srv.lp == nil {
				t.Fatal("no event loop on linux")
			}
		})
	}
}

// A detached command holds up neither other connections nor the order of
// its own connection's replies.
func TestDetachedCommand(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testEnv) {
		a, b := e.dial(), e.dial()
		a.SendRaw(encode("PING") + encode("SLOW", "x") + encode("PING", "after"))
		a.Expect("+PONG\r\n")
		b.Expect("+PONG\r\n", "PING") // served while SLOW waits
		b.Expect("$5\r\nhello\r\n", "ECHO", "hello")
		e.h.slow <- struct{}{}
		a.Expect("$1\r\nx\r\n")
		a.Expect("$5\r\nafter\r\n")
		a.Expect("+PONG\r\n", "PING")
	})
}

// A client that pipelines without reading its replies is held back by its
// own socket: the server stops reading it instead of buffering replies
// without bound, and serves others meanwhile; once it reads, all replies
// come, in order.
func TestOutputBackpressure(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testEnv) {
		big := strings.Repeat("v", 1000)
		a := e.dial()
		const n = 20000 // ~20 MB of replies, far more than the socket buffers
		go func() {
			req := encode("ECHO", big)
			for i := 0; i < n; i++ {
				if _, err := io.WriteString(a.C, req); err != nil {
					return
				}
			}
		}()
		time.Sleep(200 * time.Millisecond)
		for _, c := range e.srv.Clients() {
			if c.lp == nil {
				continue // a goroutine's write blocks (holding wmu) on a full socket: bounded by design
			}
			c.wmu.Lock()
			p := c.pending()
			c.wmu.Unlock()
			if p > 2*flushAt {
				t.Fatalf("%d bytes of replies held for a client that does not read", p)
			}
		}
		e.dial().Expect("+PONG\r\n", "PING")
		want := "$1000\r\n" + big + "\r\n"
		for i := 0; i < n; i++ {
			if got := a.Read(); got != want {
				t.Fatalf("reply %d: %.40q", i, got)
			}
		}
	})
}

// A subscriber gets its messages whichever mode serves it; closing a
// connection from another one (CLIENT KILL's way) ends it.
func TestPubSubAndClose(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testEnv) {
		sub := e.dial()
		sub.Expect("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "SUBSCRIBE", "ch")
		redistest.WaitFor(t, 5*time.Second, "subscribed", func() bool { return e.srv.Publish("ch", "m1") == 1 })
		sub.Expect("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n")
		for _, c := range e.srv.Clients() {
			c.Close()
		}
		if !sub.EOF() {
			t.Fatal("closed connection still open")
		}
		redistest.WaitFor(t, 5*time.Second, "clients gone", func() bool { return e.srv.NumClients() == 0 })
	})
}

// Bytes a multiplexer read before handing the connection over (Unwrap)
// are served first.
func TestUnwrappedPrefix(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testEnv) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				pre := make([]byte, 6) // "*1\r\n$4": part of the first command
				if _, err := io.ReadFull(nc, pre); err != nil {
					return
				}
				e.srv.serveNew(&peeked{Conn: nc, pre: pre})
			}
		}()
		c := resptest.Dial(t, ln.Addr().String())
		c.Expect("+PONG\r\n", "PING")
		c.Expect("$1\r\nz\r\n", "ECHO", "z")
	})
}

// peeked is a connection with bytes already read from it, like the mux's.
type peeked struct {
	net.Conn
	pre []byte
}

func (p *peeked) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

func (p *peeked) Unwrap() (net.Conn, []byte) { return p.Conn, p.pre }

// Close ends the event loop: its goroutine returns, its sockets are closed.
func TestLoopStops(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("no event loop")
	}
	e := newEnv(t)
	c := e.dial()
	c.Expect("+PONG\r\n", "PING")
	lp := e.srv.lp
	if lp == nil {
		t.Fatal("no event loop")
	}
	_ = e.srv.Close()
	select {
	case <-lp.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop goroutine did not return")
	}
	if !c.EOF() {
		t.Fatal("connection still open")
	}
}

// TrackingClients counts the connections with CLIENT TRACKING on as they
// switch it and as they go.
func TestTrackingClientsCount(t *testing.T) {
	bothModes(t, func(t *testing.T, e *testEnv) {
		a, b := e.dial(), e.dial()
		a.Expect("+PONG\r\n", "PING")
		b.Expect("+PONG\r\n", "PING")
		on := func(v bool) func(*Session) { return func(s *Session) { s.Tracking.On = v } }
		cs := e.srv.Clients()
		cs[0].UpdateSession(on(true))
		cs[0].UpdateSession(on(true))
		cs[1].UpdateSession(on(true))
		if n := e.srv.TrackingClients(); n != 2 {
			t.Fatalf("tracking clients %d, want 2", n)
		}
		cs[1].UpdateSession(on(false))
		if n := e.srv.TrackingClients(); n != 1 {
			t.Fatalf("tracking clients %d after one turned it off, want 1", n)
		}
		_ = a.C.Close()
		_ = b.C.Close()
		redistest.WaitFor(t, 5*time.Second, "clients gone", func() bool { return e.srv.NumClients() == 0 })
		cs[0].UpdateSession(on(false)) // after removal: not counted again
		if n := e.srv.TrackingClients(); n != 0 {
			t.Fatalf("tracking clients %d after they left, want 0", n)
		}
	})
}
