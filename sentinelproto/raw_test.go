package sentinelproto

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/internal/resptest"
)

// A raw RESP client: exact bytes in, exact frames out (resptest), with
// the short names the tests use.

type rawConn struct{ *resptest.Conn }

func (e *testEnv) dial() *rawConn {
	e.t.Helper()
	return &rawConn{resptest.Dial(e.t, e.addr)}
}

func encode(args ...string) string { return resptest.Encode(args...) }

func readFrame(br *bufio.Reader) (string, error) { return resptest.ReadFrame(br) }

func (r *rawConn) sendRaw(s string)                   { r.T.Helper(); r.SendRaw(s) }
func (r *rawConn) send(args ...string)                { r.T.Helper(); r.Send(args...) }
func (r *rawConn) read() string                       { r.T.Helper(); return r.Read() }
func (r *rawConn) do(args ...string) string           { r.T.Helper(); return r.Do(args...) }
func (r *rawConn) expect(want string, args ...string) { r.T.Helper(); r.Expect(want, args...) }
func (r *rawConn) eof() bool                          { return r.EOF() }

// parseFrame decodes a raw frame into Go values: string, int64, nil,
// []any (arrays, sets, pushes, and maps as flat key/value lists).
func parseFrame(s string) (any, string) {
	i := strings.Index(s, "\r\n")
	head, rest := s[:i], s[i+2:]
	switch head[0] {
	case '+', '-':
		return head[1:], rest
	case ':':
		n, _ := strconv.ParseInt(head[1:], 10, 64)
		return n, rest
	case '_':
		return nil, rest
	case '$', '=':
		n, _ := strconv.Atoi(head[1:])
		if n < 0 {
			return nil, rest
		}
		return rest[:n], rest[n+2:]
	}
	n, _ := strconv.Atoi(head[1:])
	if n < 0 {
		return nil, rest
	}
	if head[0] == '%' {
		n *= 2
	}
	out := []any{}
	for j := 0; j < n; j++ {
		var v any
		v, rest = parseFrame(rest)
		out = append(out, v)
	}
	return out, rest
}

// flatMap turns a flat key/value list into ordered keys and a lookup.
func flatMap(t *testing.T, v any) ([]string, map[string]string) {
	t.Helper()
	l, ok := v.([]any)
	if !ok || len(l)%2 != 0 {
		t.Fatalf("not a map: %#v", v)
	}
	var keys []string
	m := map[string]string{}
	for i := 0; i < len(l); i += 2 {
		k, v := l[i].(string), l[i+1].(string)
		keys = append(keys, k)
		m[k] = v
	}
	return keys, m
}

// frame2 and frame3 build a Pub/Sub frame (*n in RESP2, >n in RESP3) of
// bulk strings; parts starting with ':' are integers.
func frame2(parts ...string) string { return frameOf('*', parts) }
func frame3(parts ...string) string { return frameOf('>', parts) }

func frameOf(kind byte, parts []string) string {
	s := fmt.Sprintf("%c%d\r\n", kind, len(parts))
	for _, p := range parts {
		if strings.HasPrefix(p, ":") { // an integer element, e.g. ":1"
			s += p + "\r\n"
			continue
		}
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(p), p)
	}
	return s
}
