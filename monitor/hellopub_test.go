package monitor

import "testing"

// The replies of a probe's write come in the order of its commands:
// [AUTH] [CLIENT SETNAME] [PUBLISH] PING, stage counting those still
// expected after the next one.
func TestAnswering(t *testing.T) {
	all := prelude{auth: true, hello: true}
	for _, c := range []struct {
		name    string
		stage   int
		pre     prelude
		publish bool
		want    sent
	}{
		{"PING alone", 0, prelude{}, false, sentPing},
		{"hello then PING: the hello's", 1, prelude{}, true, sentHello},
		{"hello then PING: the PING's", 0, prelude{}, true, sentPing},
		{"full write: AUTH's", 3, all, true, sentAuth},
		{"full write: CLIENT SETNAME's", 2, all, true, sentSetName},
		{"full write: the hello's", 1, all, true, sentHello},
		{"full write: the PING's", 0, all, true, sentPing},
		{"handshake without hello: AUTH's", 2, all, false, sentAuth},
		{"handshake without hello: CLIENT SETNAME's", 1, all, false, sentSetName},
		{"AUTH only (AUTH again on a known connection), hello: AUTH's", 2, prelude{auth: true}, true, sentAuth},
		{"AUTH only, hello: the hello's", 1, prelude{auth: true}, true, sentHello},
		{"AUTH only, no hello: AUTH's", 1, prelude{auth: true}, false, sentAuth},
		{"CLIENT SETNAME only, hello: its", 2, prelude{hello: true}, true, sentSetName},
		{"CLIENT SETNAME only, hello: the hello's", 1, prelude{hello: true}, true, sentHello},
		{"CLIENT SETNAME only: its", 1, prelude{hello: true}, false, sentSetName},
	} {
		if got := answering(c.stage, c.pre, c.publish); got != c.want {
			t.Errorf("%s: answering(%d, %+v, %v) = %d, want %d", c.name, c.stage, c.pre, c.publish, got, c.want)
		}
	}
}

// A queued hello is written once, as a renamed PUBLISH; none is queued
// while the probe is down, and a refusal is reported until a hello is
// accepted again.
func TestQueueHello(t *testing.T) {
	s := &linkSettings{rename: map[string]string{"publish": "PUB2"}}
	p := &probe{}
	build := func(ip string) string { return "hello from " + ip }
	if err := p.queueHello(build); err != ErrLinkDown {
		t.Fatalf("queue on a probe that is down: %v", err)
	}
	if _, ok := p.appendHello(nil, s); ok {
		t.Fatal("a hello was queued while the probe was down")
	}
	p.setLocalIP("127.0.0.5")
	p.connected = true
	if err := p.queueHello(build); err != nil {
		t.Fatal(err)
	}
	b, ok := p.appendHello([]byte("x"), s)
	want := "x*3\r\n$4\r\nPUB2\r\n$18\r\n__sentinel__:hello\r\n$20\r\nhello from 127.0.0.5\r\n"
	if !ok || string(b) != want {
		t.Fatalf("appended %q (%v), want %q", b, ok, want)
	}
	if _, ok := p.appendHello(nil, s); ok {
		t.Fatal("a hello was written twice")
	}
	p.helloReplied('-', []byte("NOPERM no publish"))
	for range 2 {
		if err := p.queueHello(build); err != RedisError("NOPERM no publish") {
			t.Fatalf("after a refusal: %v", err)
		}
	}
	p.helloReplied(':', nil)
	if err := p.queueHello(build); err != nil {
		t.Fatalf("after an accepted hello: %v", err)
	}
}
