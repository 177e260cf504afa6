package sentinelproto

import "testing"

// Clients are served by a goroutine each unless Options.EventLoop asks for
// resp's epoll loop (measured slower in a node; see Options.EventLoop).
func TestGoroutinePerClientByDefault(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+PONG\r\n", "PING")
	cs := e.srv.rs.Clients()
	if len(cs) != 1 {
		t.Fatalf("%d clients", len(cs))
	}
	if cs[0].InLoop() {
		t.Fatal("served by the event loop without Options.EventLoop")
	}
}
