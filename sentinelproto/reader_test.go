package sentinelproto

import (
	"strings"
	"testing"
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
		{"*1\r\n$2000000\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*9999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"PING \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"*2\r\n$4\r\nPING\r\n\x00\r\n", "-ERR Protocol error: expected '$', got '\x00'\r\n"},
		{"*2\r\n$4\r\nPING\r\n\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"},
		{strings.Repeat("x", inlineMax+10), "-ERR Protocol error: too big inline request\r\n"},
		{"*" + strings.Repeat("1", inlineMax+10), "-ERR Protocol error: too big mbulk count string\r\n"},
		{"*1\r\n$" + strings.Repeat("1", inlineMax+10), "-ERR Protocol error: too big bulk count string\r\n"},
		// Many arguments adding up to more than MaxRequestBytes.
		{"*3\r\n" + "$600000\r\n" + strings.Repeat("a", 600000) + "\r\n$600000\r\n", "-ERR Protocol error: request too large\r\n"},
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

func TestLargeValidRequest(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	big := strings.Repeat("b", MaxRequestBytes-100)
	c.expect("$"+itoa(int64(len(big)))+"\r\n"+big+"\r\n", "PING", big)
	c.expect("+PONG\r\n", "PING")
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
	rr := newReqReader(src)
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
