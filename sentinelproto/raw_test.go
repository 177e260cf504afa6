package sentinelproto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A raw RESP client: exact bytes in, exact frames out.

type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func (e *testEnv) dial() *rawConn {
	e.t.Helper()
	c, err := net.DialTimeout("tcp", e.addr, 2*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return &rawConn{t: e.t, c: c, br: bufio.NewReader(c)}
}

func encode(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func (r *rawConn) sendRaw(s string) {
	r.t.Helper()
	_ = r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// sendRefused writes s to a server that may close the connection before
// reading all of it: a reset or a broken pipe then ends the write, and is
// what the caller expects; any other error fails the test.
func (r *rawConn) sendRefused(s string) {
	r.t.Helper()
	_ = r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(r.c, s); err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rawConn) send(args ...string) { r.t.Helper(); r.sendRaw(encode(args...)) }

// read returns one complete reply frame, raw.
func (r *rawConn) read() string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := readFrame(r.br)
	if err != nil {
		r.t.Fatalf("read: %v (got %q)", err, s)
	}
	return s
}

func (r *rawConn) do(args ...string) string { r.t.Helper(); r.send(args...); return r.read() }

// expect sends args (if any) and requires the exact reply bytes, reading
// as many frames as want holds.
func (r *rawConn) expect(want string, args ...string) {
	r.t.Helper()
	if len(args) > 0 {
		r.send(args...)
	}
	got := r.read()
	for len(got) < len(want) && strings.HasPrefix(want, got) {
		got += r.read()
	}
	if got != want {
		r.t.Fatalf("%q:\n got %q\nwant %q", args, got, want)
	}
}

// eof reports that the server closed the connection (after draining).
func (r *rawConn) eof() bool {
	_ = r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, r.br)
	return err == nil
}

func readFrame(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return line, fmt.Errorf("bad line %q", line)
	}
	n := 0
	switch line[0] {
	case '$', '=', '*', '%', '~', '>':
		n, err = strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return line, err
		}
	}
	switch line[0] {
	case '$', '=':
		if n < 0 {
			return line, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return line, err
		}
		return line + string(buf), nil
	case '*', '~', '>', '%':
		if line[0] == '%' {
			n *= 2
		}
		out := line
		for i := 0; i < n; i++ {
			s, err := readFrame(br)
			out += s
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return line, nil
}

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

func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}
