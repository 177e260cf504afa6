package monitor

import (
	"strings"
	"testing"
)

// TestStatusReply pins the pinger's reply parser: a complete reply gives
// its kind, status text and length; an incomplete one size 0 and no
// error; a malformed or oversized one an error, so the pinger drops the
// link instead of buffering without bound.
func TestStatusReply(t *testing.T) {
	deep := strings.Repeat("*1\r\n", maxDepth+1) + ":1\r\n"
	cases := []struct {
		name, in string
		kind     byte
		msg      string
		size     int
		err      bool
	}{
		{name: "empty", in: ""},
		{name: "pong", in: "+PONG\r\n", kind: '+', msg: "PONG", size: 7},
		{name: "pong then more", in: "+PONG\r\n+PONG\r\n", kind: '+', msg: "PONG", size: 7},
		{name: "error", in: "-LOADING busy\r\n", kind: '-', msg: "LOADING busy", size: 15},
		{name: "status cut", in: "+PO"},
		{name: "integer", in: ":12\r\n", kind: ':', size: 5},
		{name: "bulk", in: "$4\r\nabcd\r\n", kind: '$', size: 10},
		{name: "bulk cut", in: "$4\r\nab", kind: '$'},
		{name: "nil bulk", in: "$-1\r\n", kind: '$', size: 5},
		{name: "array", in: "*2\r\n+a\r\n:1\r\n", kind: '*', size: 12},
		{name: "array cut", in: "*2\r\n+a\r\n", kind: '*'},
		{name: "nil array", in: "*-1\r\n", kind: '*', size: 5},
		{name: "nested at the limit", in: strings.Repeat("*1\r\n", maxDepth) + ":1\r\n", kind: '*', size: 4*maxDepth + 4},
		{name: "nested too deep", in: deep, kind: '*', err: true},
		{name: "array too long", in: "*1025\r\n", kind: '*', err: true},
		{name: "bulk too long", in: "$70000\r\n", kind: '$', err: true},
		{name: "line too long", in: "+" + strings.Repeat("x", maxLineLen+1), err: true},
		{name: "empty line", in: "\r\n", kind: '\r', err: true},
		{name: "unknown type", in: "!x\r\n", kind: '!', err: true},
		{name: "bad length", in: "$x\r\n", kind: '$', size: 4, err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, msg, size, err := statusReply([]byte(c.in))
			if (err != nil) != c.err {
				t.Fatalf("err = %v, want error %v", err, c.err)
			}
			if kind != c.kind || string(msg) != c.msg || size != c.size {
				t.Fatalf("got (%q, %q, %d), want (%q, %q, %d)", kind, msg, size, c.kind, c.msg, c.size)
			}
		})
	}
}
