package demo

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// errReply is an error reply from the server (as opposed to a network
// failure).
type errReply struct{ msg string }

func (e *errReply) Error() string { return e.msg }

func isRedisError(err error) bool {
	var e *errReply
	return errors.As(err, &e)
}

// do sends one command on a fresh connection, bounded by timeout: a
// SIGSTOPped server must not freeze the screen.
func do(addr string, timeout time.Duration, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := c.Write(harness.Encode(args...)); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	if b, err := br.Peek(1); err == nil && b[0] == '-' {
		line, _ := br.ReadString('\n')
		return "", &errReply{strings.TrimSpace(line[1:])}
	}
	return harness.ReadReply(br)
}

// splitPair splits a two-element array reply ("host\nport").
func splitPair(s string) (string, string, bool) {
	a, b, ok := strings.Cut(s, "\n")
	if !ok || a == "" || b == "" || strings.Contains(b, "\n") {
		return "", "", false
	}
	return a, b, true
}
