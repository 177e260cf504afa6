package resp

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// withServer runs f against a fresh server (env_test.go).
func withServer(t *testing.T, f func(t *testing.T, e *testEnv)) { f(t, newEnv(t)) }

// A detached command holds up neither other connections nor the order of
// its own connection's replies.
func TestDetachedCommand(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
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
	withServer(t, func(t *testing.T, e *testEnv) {
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
		time.Sleep(200 * time.Millisecond) // let the socket fill (pacing, not an assertion)
		e.dial().Expect("+PONG\r\n", "PING")
		want := "$1000\r\n" + big + "\r\n"
		for i := 0; i < n; i++ {
			if got := a.Read(); got != want {
				t.Fatalf("reply %d: %.40q", i, got)
			}
		}
	})
}

// A subscriber gets its messages; closing a
// connection from another one (CLIENT KILL's way) ends it.
func TestPubSubAndClose(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
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

// Replies queued before a connection's first subscription (written
// without the output lock: no pusher yet) go out before the confirmation
// and the messages, in order, with a big batch after it still whole.
func TestRepliesBeforeTheFirstSubscriptionKeepTheirPlace(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
		sub := e.dial()
		sub.SendRaw(encode("PING") + encode("ECHO", "before") + encode("SUBSCRIBE", "ch"))
		for _, want := range []string{"+PONG\r\n", "$6\r\nbefore\r\n", "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"} {
			if got := sub.Read(); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
		redistest.WaitFor(t, 5*time.Second, "subscribed", func() bool { return e.srv.Publish("ch", "m1") == 1 })
		sub.Expect("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm1\r\n")
		big := strings.Repeat("x", 1000)
		sub.SendRaw(strings.Repeat(encode("PING", big), 100)) // past flushAt: written while pushes may come
		for i := 0; i < 100; i++ {
			if got := sub.Read(); got != "$1000\r\n"+big+"\r\n" {
				t.Fatalf("reply %d: %.40q", i, got)
			}
		}
	})
}

// TrackingClients counts the connections with CLIENT TRACKING on as they
// switch it and as they go.
func TestTrackingClientsCount(t *testing.T) {
	withServer(t, func(t *testing.T, e *testEnv) {
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
