package sentinelproto

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// Request framing and the limits that keep one client from exhausting the
// node (design rule 11).

func TestFraming(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.sendRaw("PING\r\nPING  a\r\n\r\n   \r\nPING\n*0\r\n*-1\r\n*1\r\n$4\r\nPINGxx\r\nping 'a b'\r\n")
	for _, want := range []string{"+PONG\r\n", "$1\r\na\r\n", "+PONG\r\n", "+PONG\r\n", "$3\r\na b\r\n"} {
		c.expect(want)
	}
	// 1000 pipelined commands in one write.
	c.sendRaw(strings.Repeat(encode("PING"), 1000))
	for i := 0; i < 1000; i++ {
		c.expect("+PONG\r\n")
	}
	for _, tc := range []struct{ req, want string }{
		{"*1\r\nPING\r\n", "-ERR Protocol error: expected '$', got 'P'\r\n"},
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*+1\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n$01\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n$536870913\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"PING \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"*2\r\n$4\r\nPING\r\n\x00\r\n", "-ERR Protocol error: expected '$', got '\x00'\r\n"},
		{"*2\r\n$4\r\nPING\r\n\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"},
		{strings.Repeat("x", inlineMax+10), "-ERR Protocol error: too big inline request\r\n"},
		{"*" + strings.Repeat("1", inlineMax+10), "-ERR Protocol error: too big mbulk count string\r\n"},
		{"*1\r\n$" + strings.Repeat("1", inlineMax+10), "-ERR Protocol error: too big bulk count string\r\n"},
	} {
		d := e.dial()
		d.sendRaw(tc.req)
		if got := d.read(); got != tc.want {
			t.Errorf("%.40q: got %q, want %q", tc.req, got, tc.want)
		}
		if !d.eof() {
			t.Errorf("%.40q: connection kept after a protocol error", tc.req)
		}
	}
	// The node goes on.
	e.dial().expect("+PONG\r\n", "PING")
}

// Requests far above the old 1 MiB cap, as Redis takes them: an 8 MiB
// CLIENT SETNAME, a PING with 3 MiB arguments pipelined behind it; then the
// budget they held is given back.
func TestLargeValidRequest(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	name := strings.Repeat("n", 8<<20)
	mid := strings.Repeat("m", 3<<20+7)
	c.sendRaw(encode("CLIENT", "SETNAME", name) + encode("PING", mid) + encode("CLIENT", "GETNAME"))
	c.expect("+OK\r\n")
	c.expect("$" + itoa(int64(len(mid))) + "\r\n" + mid + "\r\n")
	if got := c.read(); got != "$"+itoa(int64(len(name)))+"\r\n"+name+"\r\n" {
		t.Fatalf("GETNAME: %d bytes", len(got))
	}
	c.expect("+PONG\r\n", "PING")
	if n := e.srv.reqMem.inUse(); n != 0 {
		t.Fatalf("budget held after the requests: %d", n)
	}
}

// The shared request budget: a request may use it whole, but what requests
// hold together never passes it; the connection whose request would pass
// it is closed without a reply (as Redis at its query buffer limit) and
// the node goes on; small requests never need it.
func TestRequestBudget(t *testing.T) {
	e := newEnv(t)
	e.srv.reqMem.mu.Lock()
	e.srv.reqMem.limit = 4 << 20
	e.srv.reqMem.mu.Unlock()
	a, b := e.dial(), e.dial()
	// a: 3 MiB of a 3.5 MiB argument, held unfinished.
	big := strings.Repeat("x", 3<<20+512<<10)
	a.sendRaw("*2\r\n$4\r\nPING\r\n$" + itoa(int64(len(big))) + "\r\n" + big[:3<<20])
	redistest.WaitFor(t, 5*time.Second, "request budget", func() bool { return e.srv.reqMem.inUse() >= 2<<20 })
	// b: another 3 MiB argument passes the budget: closed, no reply (the
	// close may come while b is still writing).
	b.sendRefused(encode("PING", strings.Repeat("y", 3<<20)))
	// Closed with bytes unread: a reset, or an end of file.
	_ = b.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, b.br); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("connection over the budget kept (%v, budget in use %d)", err, e.srv.reqMem.inUse())
	}
	// Small requests are served meanwhile.
	e.dial().expect("+PONG\r\n", "PING")
	// a completes and gets its reply; the budget is free again.
	a.sendRaw(big[3<<20:] + "\r\n")
	a.expect("$" + itoa(int64(len(big))) + "\r\n" + big + "\r\n")
	a.expect("+PONG\r\n", "PING")
	redistest.WaitFor(t, 5*time.Second, "request budget", func() bool { return e.srv.reqMem.inUse() == 0 })
	e.dial().expect("$"+itoa(3<<20)+"\r\n"+strings.Repeat("z", 3<<20)+"\r\n", "PING", strings.Repeat("z", 3<<20))
}

// pathological feeds commands so that every read ends one byte into the
// next command: redcon.Reader's buffer doubled forever on this input.
type pathological struct {
	data   []byte
	off, n int
}

func (p *pathological) Read(b []byte) (int, error) {
	if len(b) > 1000 {
		b = b[:1000]
	}
	l := len(p.data)
	end := p.off + len(b)
	for end > p.off && end%l != 1 {
		end--
	}
	if end == p.off {
		end = p.off + len(b)
	}
	for i := p.off; i < end; i++ {
		b[i-p.off] = p.data[i%l]
	}
	n := end - p.off
	p.off, p.n = end, p.n+n
	return n, nil
}

func TestReaderBufferStaysBounded(t *testing.T) {
	src := &pathological{data: []byte(encode("PING"))}
	rr := newReqReader(src, nil)
	for i := 0; i < 500000; i++ {
		args, err := rr.next(false)
		if err != nil || len(args) != 1 || string(args[0]) != "PING" {
			t.Fatalf("command %d: %q %v", i, args, err)
		}
	}
	if rr.capacity() > readChunk*4 {
		t.Fatalf("buffer grew to %d after %d MB", rr.capacity(), src.n>>20)
	}
}

func TestParseLong(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "1": 1, "-1": -1, "9223372036854775807": 1<<63 - 1,
		"-9223372036854775808": -1 << 63} {
		if got, ok := parseLong([]byte(s)); !ok || got != want {
			t.Errorf("%q: %d %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "1a", "9223372036854775808", "0x10"} {
		if _, ok := parseLong([]byte(s)); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseNumericHost(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1": "127.0.0.1", "1.2.3": "1.2.0.3", "127.1": "127.0.0.1",
		"0x7f.1": "127.0.0.1", "2130706433": "127.0.0.1", "010.0.0.1": "8.0.0.1", "::1": "::1",
		"0:0::1": "::1", "fe80::1%lo": "fe80::1", "::ffff:1.2.3.4": "::ffff:1.2.3.4"} {
		if got, ok := parseNumericHost(in); !ok || got.String() != want {
			t.Errorf("%q: %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"localhost", "1.2.3.4.5", "256.1.1.1", "1.2.65536", "", "1..2", "-1", "09", "a.b.c.d"} {
		if got, ok := parseNumericHost(in); ok {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
}
