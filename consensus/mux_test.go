package consensus

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// flakyListener fails its first Accept calls with EMFILE, as a listener
// does while a connection flood holds every descriptor.
type flakyListener struct {
	net.Listener
	failures atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// acceptOne accepts from ln within a bound.
func acceptOne(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 1)
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		ch <- c
	}()
	select {
	case c := <-ch:
		t.Cleanup(func() { c.Close() })
		return c
	case err := <-errc:
		t.Fatalf("accept: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted")
	}
	return nil
}

// An accept error (EMFILE) does not close the port: the mux retries and
// serves the next connection.
func TestMuxSurvivesAcceptErrors(t *testing.T) {
	fl := &flakyListener{Listener: listen(t)}
	fl.failures.Store(5)
	m := NewMux(fl)
	go m.Serve()
	defer m.Close()
	c, err := net.Dial("tcp", fl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	got := acceptOne(t, m.RESP())
	line, err := bufio.NewReader(got).ReadString('\n')
	if err != nil || line != "PING\r\n" {
		t.Fatalf("read %q %v", line, err)
	}
	if fl.failures.Load() >= 0 {
		t.Fatal("the failures were not exercised")
	}
}

// A connection that never sends its first byte is closed.
func TestMuxClosesSilentConnections(t *testing.T) {
	ln := listen(t)
	m := NewMuxWith(MuxOptions{FirstByteTimeout: 100 * time.Millisecond}, ln)
	go m.Serve()
	defer m.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("silent connection: read %d, %v; want it closed", n, err)
	}
	redistest.WaitFor(t, 3*time.Second, "its slot back", func() bool { return m.Conns() == 0 })
}

// Every connection counts toward the bound: silent ones, peer streams and
// clients alike; one over it reads Redis's max clients error.
func TestMuxCountsEveryConnection(t *testing.T) {
	ln := listen(t)
	m := NewMuxWith(MuxOptions{MaxConns: 3}, ln)
	go m.Serve()
	defer m.Close()
	dial := func(first []byte) net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if first != nil {
			if _, err := c.Write(first); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	silent := dial(nil)
	dial([]byte{headerRaft})
	dial([]byte("PING\r\n"))
	redistest.WaitFor(t, 3*time.Second, "three connections counted", func() bool { return m.Conns() == 3 })
	over := dial(nil)
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(over)
	if string(b) != maxClientsReply {
		t.Fatalf("over the bound: %q", b)
	}
	silent.Close()
	redistest.WaitFor(t, 3*time.Second, "the closed connection's slot back", func() bool { return m.Conns() == 2 })
	dial([]byte("PING\r\n"))
	acceptOne(t, m.RESP())
	acceptOne(t, m.RESP())
	if n := m.Conns(); n != 3 {
		t.Fatalf("%d connections counted, want 3", n)
	}
}

// A routed connection replays the bytes read ahead to route it, then
// reads the connection itself (its reader is dropped), without losing or
// reordering a byte.
func TestBufferedConnReplaysThenReadsTheConnection(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		_, _ = a.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		_, _ = a.Write([]byte("*1\r\n$4\r\nPONG\r\n"))
	}()
	br := bufio.NewReaderSize(b, 512)
	if _, err := br.Peek(1); err != nil {
		t.Fatal(err)
	}
	c := &bufferedConn{Conn: b, r: br}
	var got []byte
	buf := make([]byte, 5)
	for len(got) < 28 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPONG\r\n" {
		t.Fatalf("read %q", got)
	}
	if c.r != nil {
		t.Fatal("still reading through the routing reader after it was drained")
	}
}
