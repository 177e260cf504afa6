// Package resptest is a raw RESP client for tests: exact bytes in, exact
// frames out, so that a test can check a server's replies byte for byte
// (framing, RESP2/RESP3 types, error texts).
package resptest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// Server is what Serve runs: resp.Server, sentinelproto.Server.
type Server interface {
	Serve(ln net.Listener) error
	Close() error
}

// Serve runs srv on a new 127.0.0.1 listener and returns its address. When
// the test ends the listener is closed, Serve must have returned nil, and
// srv is closed.
func Serve(tb testing.TB, srv Server) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		_ = ln.Close()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
		_ = srv.Close()
	})
	return ln.Addr().String()
}

// Conn is one raw client connection.
type Conn struct {
	T  testing.TB
	C  net.Conn
	BR *bufio.Reader
}

// Dial connects to addr; the connection is closed when the test ends.
func Dial(tb testing.TB, addr string) *Conn {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return &Conn{T: tb, C: c, BR: bufio.NewReader(c)}
}

// Encode renders a command as a RESP array of bulk strings.
func Encode(args ...string) string { return string(harness.Encode(args...)) }

// SendRaw writes s as is.
func (r *Conn) SendRaw(s string) {
	r.T.Helper()
	_ = r.C.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(r.C, s); err != nil {
		r.T.Fatalf("write: %v", err)
	}
}

// Send writes one command.
func (r *Conn) Send(args ...string) { r.T.Helper(); r.SendRaw(Encode(args...)) }

// Read returns one complete reply frame, raw.
func (r *Conn) Read() string {
	r.T.Helper()
	_ = r.C.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := ReadFrame(r.BR)
	if err != nil {
		r.T.Fatalf("read: %v (got %q)", err, s)
	}
	return s
}

// Do sends a command and returns its reply frame.
func (r *Conn) Do(args ...string) string { r.T.Helper(); r.Send(args...); return r.Read() }

// Expect sends args (if any) and requires the exact reply bytes, reading
// as many frames as want holds.
func (r *Conn) Expect(want string, args ...string) {
	r.T.Helper()
	if len(args) > 0 {
		r.Send(args...)
	}
	got := r.Read()
	for len(got) < len(want) && strings.HasPrefix(want, got) {
		got += r.Read()
	}
	if got != want {
		r.T.Fatalf("%q:\n got %q\nwant %q", args, got, want)
	}
}

// EOF reports that the server closed the connection (after draining).
func (r *Conn) EOF() bool {
	_ = r.C.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, r.BR)
	return err == nil
}

// ReadFrame reads one complete RESP2/RESP3 frame and returns it raw.
func ReadFrame(br *bufio.Reader) (string, error) {
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
			s, err := ReadFrame(br)
			out += s
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return line, nil
}
