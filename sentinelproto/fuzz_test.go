package sentinelproto

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzCommand sends arbitrary bytes to a real connection. Whatever arrives,
// the node must not panic, every byte it sends back must be well-formed
// RESP, and it must keep serving (design rule 11). An input starting with
// '!' is a list of NUL-separated arguments sent as one RESP command, which
// lets the fuzzer reach deep into the commands. Run it with
// `go test -run '^$' -fuzz FuzzCommand ./sentinelproto/`.
func FuzzCommand(f *testing.F) {
	for _, seed := range [][]string{
		{"PING"}, {"PING", "hi"}, {"ROLE"}, {"INFO"}, {"INFO", "everything"}, {"HELLO", "3"}, {"HELLO", "4"},
		{"SENTINEL", "MASTERS"}, {"SENTINEL", "MASTER", "mymaster"}, {"SENTINEL", "REPLICAS", "mymaster"},
		{"SENTINEL", "SENTINELS", "mymaster"}, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"},
		{"SENTINEL", "SET", "mymaster", "quorum", "3", "parallel-syncs", "0"}, {"SENTINEL", "SET", "mymaster", "quorum"},
		{"SENTINEL", "MONITOR", "x", "127.1", "6379", "2"}, {"SENTINEL", "REMOVE", "x"}, {"SENTINEL", "RESET", "*"},
		{"SENTINEL", "CKQUORUM", "mymaster"}, {"SENTINEL", "INFO-CACHE", "mymaster"}, {"SENTINEL", "DEBUG", "info-period", "5"},
		{"SENTINEL", "CONFIG", "GET", "*"}, {"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "5", "id"},
		{"SENTINEL", "SIMULATE-FAILURE", "help"}, {"SENTINEL", "FAILOVER", "mymaster"}, {"SENTINEL"}, {"SENTINEL", "\x00"},
		{"CLIENT", "LIST"}, {"CLIENT", "KILL", "ID", "1"}, {"CLIENT", "TRACKING", "ON", "OPTIN"}, {"CLIENT", "REPLY", "SKIP"},
		{"CLIENT", "PAUSE", "50"}, {"CLIENT", "SETNAME", "a\r\nb"}, {"COMMAND"}, {"COMMAND", "DOCS"}, {"ACL", "CAT", "admin"},
		{"SUBSCRIBE", "+sdown"}, {"PSUBSCRIBE", "[a-"}, {"UNSUBSCRIBE"}, {"PUBLISH", "__sentinel__:hello", "x"},
		{"GET", strings.Repeat("\xff", 300)}, {"AUTH", "default", "x"}, {"SHUTDOWN", "ABORT"},
	} {
		f.Add([]byte(encode(seed...)))
		f.Add([]byte("!" + strings.Join(seed, "\x00")))
	}
	for _, raw := range []string{
		"PING\r\n", "*1\r\nPING\r\n", "*abc\r\n", "*1\r\n$-1\r\n", "*1\r\n$4\r\nPINGxx\r\n", "PING \"a\r\n",
		"*0\r\n*-1\r\nPING\r\n", "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n",
		"*3\r\n$7\r\nSENTINEL\r\n$6\r\nMASTER", "\x00\x01\x02\r\n", "*99999999999999999999\r\n", "$5\r\nhello\r\n",
		"*1\r\n$" + strconv.Itoa(512<<20+1) + "\r\n", "  \t \r\n\n\n", "'unbalanced\r\n", "\"a\\x41\" b\r\n",
	} {
		f.Add([]byte(raw))
	}
	env := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0] == '!' {
			data = []byte(encode(strings.Split(string(data[1:]), "\x00")...))
		}
		env.exchange(t, data)
	})
}

type fuzzServer struct {
	srv  *Server
	addr string
}

func fuzzEnv(f *testing.F) *fuzzServer {
	tenv := newEnv(f)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // no input may stall the next ones for long
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				tenv.srv.rs.Pause(time.Time{}, false)
			}
		}
	}()
	f.Cleanup(func() { close(stop); wg.Wait() })
	return &fuzzServer{srv: tenv.srv, addr: tenv.addr}
}

func (fs *fuzzServer) exchange(t *testing.T, data []byte) {
	c, err := net.Dial("tcp", fs.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		_, _ = c.Write(data)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("server hung or failed on %q: %v (read %d bytes)", data, err, len(out))
	}
	if err := validRESP(out); err != nil {
		t.Fatalf("invalid reply to %q: %v\n%q", data, err, out)
	}
	fs.srv.local.mu.Lock()
	fs.srv.local.cfg.resolveHostnames = false // keep DNS out of the loop
	fs.srv.local.mu.Unlock()
	d, err := net.Dial("tcp", fs.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_ = d.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = d.Write([]byte("PING\r\n"))
	buf := make([]byte, 7)
	if _, err := io.ReadFull(d, buf); err != nil || string(buf) != "+PONG\r\n" {
		t.Fatalf("server stopped serving after %q: %q %v", data, buf, err)
	}
}

// validRESP checks that b is a sequence of complete, well-formed frames.
func validRESP(b []byte) error {
	for len(b) > 0 {
		n, err := frameLen(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func frameLen(b []byte) (int, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		return 0, fmt.Errorf("no line in %.40q", b)
	}
	line := string(b[1:i])
	if strings.ContainsAny(line, "\r\n") {
		return 0, fmt.Errorf("newline inside %q", line)
	}
	pos := i + 2
	switch b[0] {
	case '+', '-':
		return pos, nil
	case '_':
		if line != "" {
			return 0, fmt.Errorf("bad null %q", line)
		}
		return pos, nil
	case ':':
		if _, err := strconv.ParseInt(line, 10, 64); err != nil {
			return 0, fmt.Errorf("bad integer %q", line)
		}
		return pos, nil
	}
	n, err := strconv.Atoi(line)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("bad length %q", line)
	}
	switch b[0] {
	case '$', '=':
		if n < 0 {
			return pos, nil
		}
		if len(b) < pos+n+2 || string(b[pos+n:pos+n+2]) != "\r\n" {
			return 0, fmt.Errorf("truncated bulk of %d", n)
		}
		return pos + n + 2, nil
	case '*', '~', '>', '%':
		if b[0] == '%' {
			n *= 2
		}
		for j := 0; j < n; j++ {
			m, err := frameLen(b[pos:])
			if err != nil {
				return 0, err
			}
			pos += m
		}
		return pos, nil
	}
	return 0, fmt.Errorf("unknown type %q", b[0])
}
