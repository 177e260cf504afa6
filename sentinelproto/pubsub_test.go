package sentinelproto

import (
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/resp"
)

// Pub/Sub in RESP2 and RESP3 (spec §1.2, §3; checklist 42, 43; clients.md).

func TestPubSubRESP2(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", "UNSUBSCRIBE")
	c.expect("*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", "PUNSUBSCRIBE")
	c.expect(frame2("unsubscribe", "a", ":0")+frame2("unsubscribe", "b", ":0"), "UNSUBSCRIBE", "a", "b")
	c.expect(frame2("subscribe", "+sdown", ":1"), "SUBSCRIBE", "+sdown")
	c.expect("-ERR Can't execute 'sentinel|masters': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "SENTINEL", "MASTERS")
	c.expect("-ERR Can't execute 'hello': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "HELLO", "3")
	c.expect("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
	c.expect("*2\r\n$4\r\npong\r\n$1\r\nx\r\n", "PING", "x")
	if n := e.srv.Publish("+sdown", "master mymaster 127.0.0.1 6379"); n != 1 {
		t.Fatalf("Publish reached %d", n)
	}
	c.expect(frame2("message", "+sdown", "master mymaster 127.0.0.1 6379"))
	if n := e.srv.Publish("-sdown", "x"); n != 0 {
		t.Fatalf("unsubscribed channel reached %d", n)
	}
	c.expect(frame2("psubscribe", "+s*", ":2"), "PSUBSCRIBE", "+s*")
	// A channel and a matching pattern: two deliveries, like Redis.
	if n := e.srv.Publish("+sdown", "p"); n != 2 {
		t.Fatalf("Publish reached %d", n)
	}
	c.expect(frame2("message", "+sdown", "p"))
	c.expect(frame2("pmessage", "+s*", "+sdown", "p"))
	c.expect(frame2("unsubscribe", "+sdown", ":1"), "UNSUBSCRIBE")
	c.expect("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n", "UNSUBSCRIBE")
	c.expect(frame2("punsubscribe", "+s*", ":0"), "PUNSUBSCRIBE")
	c.expect("+PONG\r\n", "PING")
	c.expect(":1\r\n", "CLIENT", "ID") // normal mode again
}

func TestPubSubRESP3(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.do("HELLO", "3")
	c.expect(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n", "UNSUBSCRIBE")
	c.expect(frame3("subscribe", "+set", ":1"), "SUBSCRIBE", "+set")
	// Subscribed RESP3 connections run anything.
	c.expect("+PONG\r\n", "PING")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
	other := e.dial()
	other.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "quorum", "2")
	c.expect(frame3("message", "+set", "master mymaster 127.0.0.1 6379 quorum 2"))
	c.expect(frame3("psubscribe", "*", ":2"), "PSUBSCRIBE", "*")
	e.srv.Publish("+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2")
	c.expect(frame3("pmessage", "*", "+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2"))
	// Switching to RESP2 while subscribed: events follow the new protocol.
	c.do("HELLO", "2")
	e.srv.Publish("+set", "v")
	c.expect(frame2("message", "+set", "v"))
}

// rueidis: one RESP3 connection for everything (clients.md).
func TestRueidisSequence(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	chans := []string{"+sentinel", "+slave", "-sdown", "+sdown", "+switch-master", "+reboot"}
	var want strings.Builder
	c.send("HELLO", "3")
	c.send("CLIENT", "TRACKING", "ON", "OPTIN")
	c.send("CLIENT", "SETINFO", "LIB-NAME", "rueidis")
	c.send("CLIENT", "SETINFO", "LIB-VER", "1.0.79")
	c.send(append([]string{"UNSUBSCRIBE"}, chans...)...)
	c.send("PING")
	if got := c.read(); !strings.HasPrefix(got, "%6\r\n") {
		t.Fatalf("HELLO: %q", got)
	}
	want.WriteString("+OK\r\n+OK\r\n+OK\r\n")
	for _, ch := range chans {
		want.WriteString(frame3("unsubscribe", ch, ":0"))
	}
	want.WriteString("+PONG\r\n")
	var got strings.Builder
	for i := 0; i < 3+len(chans)+1; i++ {
		got.WriteString(c.read())
	}
	if got.String() != want.String() {
		t.Fatalf("handshake:\n got %q\nwant %q", got.String(), want.String())
	}
	// Pipelined SENTINELS, GET-MASTER-ADDR-BY-NAME and SUBSCRIBE.
	c.sendRaw(encode("SENTINEL", "SENTINELS", "mymaster") + encode("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster") +
		encode(append([]string{"SUBSCRIBE"}, chans...)...))
	if s := c.read(); !strings.HasPrefix(s, "*2\r\n%14\r\n") {
		t.Fatalf("SENTINELS: %q", s)
	}
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n")
	for i, ch := range chans {
		c.expect(frame3("subscribe", ch, ":"+string(rune('1'+i))))
	}
	e.srv.Publish("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380")
	c.expect(frame3("message", "+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"))
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
}

// node-redis: PSUBSCRIBE on its own connection; its "switch-master" pattern
// lacks the '+' and never matches (clients.md).
func TestNodeRedisSequence(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	if got := c.do("HELLO", "3"); !strings.HasPrefix(got, "%6\r\n") {
		t.Fatalf("HELLO: %q", got)
	}
	c.do("CLIENT", "SETINFO", "LIB-NAME", "node-redis")
	c.do("CLIENT", "SETINFO", "LIB-VER", "6.3.1")
	c.expect("-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.\r\n", "CLIENT", "MAINT_NOTIFICATIONS", "ON", "moving-endpoint-type", "internal-ip")
	pats := []string{"switch-master", "[-+]sdown", "+slave", "+sentinel", "[-+]odown", "+slave-reconf-done"}
	c.send(append([]string{"PSUBSCRIBE"}, pats...)...)
	for i, p := range pats {
		c.expect(frame3("psubscribe", p, ":"+string(rune('1'+i))))
	}
	if n := e.srv.Publish("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"); n != 0 {
		t.Fatalf("switch-master pattern matched %d", n)
	}
	e.srv.Publish("-sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379")
	c.expect(frame3("pmessage", "[-+]sdown", "-sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"))
	e.srv.Publish("custom-event", "x") // not a known event: matched on the slow path
	e.srv.Publish("+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2")
	c.expect(frame3("pmessage", "[-+]odown", "+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2"))
}

func TestSlowSubscriberDisconnected(t *testing.T) {
	e := newEnv(t)
	slow := e.dial()
	slow.expect(frame2("subscribe", "+sdown", ":1"), "SUBSCRIBE", "+sdown")
	fast := e.dial()
	fast.expect(frame2("subscribe", "+sdown", ":1"), "SUBSCRIBE", "+sdown")
	got := make(chan struct{}, 1<<16)
	// expect's 5 s read deadline would end the reader on a loaded machine.
	_ = fast.C.SetReadDeadline(time.Time{})
	go func() { // the fast one reads everything
		for {
			if _, err := readFrame(fast.BR); err != nil {
				return
			}
			got <- struct{}{}
		}
	}()
	payload := strings.Repeat("x", 64*1024)
	deadline := time.Now().Add(30 * time.Second)
	for disconnected := false; !disconnected; {
		if time.Now().After(deadline) {
			t.Fatal("slow subscriber never disconnected")
		}
		// Bursts of half a queue, each read by the fast subscriber before
		// the next: only the slow one falls behind.
		sent := 0
		for i := 0; i < resp.PubSubQueueLen/2; i++ {
			n := e.srv.Publish("+sdown", payload)
			if n < 2 {
				disconnected = true
			}
			sent += min(n, 1)
		}
		for i := 0; i < sent; i++ {
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("fast subscriber starved")
			}
		}
	}
	if !slow.eof() {
		t.Fatal("slow subscriber still connected")
	}
	if n := e.srv.Publish("+sdown", "x"); n != 1 {
		t.Fatalf("fast subscriber gone: %d", n)
	}
}

func TestHostilePatternDoesNotStallPublish(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.do("PSUBSCRIBE", strings.Repeat("*a", 12)+"b")
	start := time.Now()
	for i := 0; i < 100; i++ {
		e.srv.Publish("+sdown", "x")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 publishes took %v", d)
	}
}

// A subscriber blocked on a full socket must not block other clients'
// CLIENT LIST or INFO (they read its state, never wait for its I/O).
func TestBlockedSubscriberDoesNotBlockOthers(t *testing.T) {
	e := newEnv(t)
	slow := e.dial()
	slow.expect(frame2("subscribe", "+sdown", ":1"), "SUBSCRIBE", "+sdown")
	payload := strings.Repeat("x", 64*1024)
	for i := 0; i < resp.PubSubQueueLen/4; i++ { // ~16 MB: more than the socket buffers
		e.srv.Publish("+sdown", payload)
	}
	time.Sleep(100 * time.Millisecond)
	c := e.dial()
	done := make(chan string, 2)
	go func() {
		c.send("CLIENT", "LIST")
		done <- c.read()
		c.send("INFO", "clients")
		done <- c.read()
	}()
	for i := 0; i < 2; i++ {
		select {
		case got := <-done:
			if !strings.Contains(got, "connected_clients:2") && !strings.Contains(got, "sub=1") {
				t.Fatalf("reply %d: %q", i, got)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("CLIENT LIST / INFO blocked by a slow subscriber")
		}
	}
}

// go-redis v9's sentinel connections, as captured (clients.md, spec §7.1).
func TestGoRedisSequence(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.send("hello", "3")
	c.send("client", "setinfo", "LIB-NAME", "go-redis(,go1.26.8)")
	c.send("client", "setinfo", "LIB-VER", "9.23.0")
	if got := c.read(); !strings.HasPrefix(got, "%6\r\n") {
		t.Fatalf("hello: %q", got)
	}
	c.expect("+OK\r\n")
	c.expect("+OK\r\n")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "sentinel", "get-master-addr-by-name", "mymaster")
	if got := c.do("sentinel", "sentinels", "mymaster"); !strings.HasPrefix(got, "*2\r\n%14\r\n$4\r\nname\r\n") {
		t.Fatalf("sentinels: %q", got)
	}
	p := e.dial()
	p.do("hello", "3")
	p.expect(frame3("subscribe", "+switch-master", ":1")+frame3("subscribe", "+replica-reconf-done", ":2"),
		"subscribe", "+switch-master", "+replica-reconf-done")
	p.expect("+PONG\r\n", "ping")
	e.srv.Publish("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380")
	p.expect(frame3("message", "+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380"))
}
