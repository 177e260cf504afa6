package harness

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Do sends one command to addr over a fresh connection. Simple strings,
// integers and bulk strings come back as text, arrays as their elements
// joined by "\n", a null as ""; an error reply is returned as an error.
func Do(addr string, args ...string) (string, error) { return DoAuth(addr, "", args...) }

// DoAuth is Do on a connection that first sends AUTH pass (when pass is
// not empty).
func DoAuth(addr, pass string, args ...string) (string, error) {
	replies, err := DoSeq(addr, pass, args)
	if err != nil {
		return "", err
	}
	return replies[0], nil
}

// DoSeq sends cmds one after another over one fresh connection (after AUTH
// pass, when pass is not empty) and returns their replies, stopping at the
// first error. Commands whose meaning depends on the connection need it:
// WAIT waits only for the writes of its own client.
func DoSeq(addr, pass string, cmds ...[]string) ([]string, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if pass != "" {
		if _, err := c.Write(Encode("AUTH", pass)); err != nil {
			return nil, err
		}
		if _, err := ReadReply(r); err != nil {
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	replies := make([]string, 0, len(cmds))
	for _, args := range cmds {
		if _, err := c.Write(Encode(args...)); err != nil {
			return replies, err
		}
		s, err := ReadReply(r)
		if err != nil {
			return replies, err
		}
		replies = append(replies, s)
	}
	return replies, nil
}

// Encode renders a RESP command.
func Encode(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// ReadReply reads one RESP2 reply (see Do for the rendering).
func ReadReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("%s", line[1:])
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		parts := make([]string, 0, max(n, 0))
		for i := 0; i < n; i++ {
			p, err := ReadReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}
