package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// A wrapped connection behaves as a net.Conn: data both ways (a write
// larger than the socket buffers completes), read deadlines, end of file.
func TestConn(t *testing.T) {
	cc, s := connPair(t)
	c := Wrap(cc)
	big := bytes.Repeat([]byte("0123456789"), 1<<20) // 10 MB
	go func() { _, _ = c.Write(big) }()
	got := make([]byte, len(big))
	if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read %v", err)
	}
	_ = s.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := s.Read(got); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	_ = s.SetReadDeadline(time.Time{})
	c.Close()
	if n, err := s.Read(got); n != 0 || err != io.EOF {
		t.Fatalf("read after the peer closed: %d %v", n, err)
	}
}

// A Read or a Write allocates nothing (the client port makes one of each
// per batch of requests), concurrent calls included: each direction's
// call state is the connection's, under its own lock.
func TestConnReadWriteAllocateNothing(t *testing.T) {
	cc, s := connPair(t)
	if _, ok := s.(*Conn); !ok {
		t.Fatalf("accepted %T, not a *Conn", s)
	}
	msg := []byte("*1\r\n$4\r\nPING\r\n")
	buf := make([]byte, 64)
	roundTrip := func() {
		if _, err := cc.Write(msg); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Read(buf); err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("read %q %v", buf[:n], err) // one small write arrives whole on loopback
		}
		if _, err := s.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(cc, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip()
	if a := testing.AllocsPerRun(200, roundTrip); a != 0 {
		t.Fatalf("%v allocations per read and write", a)
	}
	// Concurrent reads and writes on one connection stay whole.
	const writers, each = 4, 200
	done := make(chan error, writers)
	for w := 0; w < writers; w++ {
		go func() {
			var err error
			for i := 0; i < each && err == nil; i++ {
				_, err = s.Write(msg)
			}
			done <- err
		}()
	}
	got := make([]byte, writers*each*len(msg))
	if _, err := io.ReadFull(cc, got); err != nil {
		t.Fatal(err)
	}
	for w := 0; w < writers; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, bytes.Repeat(msg, writers*each)) {
		t.Fatal("concurrent writes interleaved")
	}
}

// connPair returns a plain client connection and the server side accepted
// through Listener (wrapped), both closed at the test's end.
func connPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := Listener{Listener: ln}.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}
