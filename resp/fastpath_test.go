package resp

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// Arguments point into the read buffer (no copy) and are capacity-capped:
// appending to one never changes another or the next request; an empty
// argument is nil; a large one is whole.
func TestReaderArgumentsAreIndependent(t *testing.T) {
	req := "*4\r\n$3\r\nabc\r\n$0\r\n\r\n$3\r\ndef\r\n$200\r\n" + strings.Repeat("x", 200) + "\r\n"
	rr := newReqReader(strings.NewReader(req+req), nil)
	for i := 0; i < 2; i++ {
		args, err := rr.next(false)
		if err != nil {
			t.Fatal(err)
		}
		if args[1] != nil || len(args) != 4 {
			t.Fatalf("empty argument %#v", args[1])
		}
		if string(args[0]) != "abc" || string(args[2]) != "def" || !bytes.Equal(args[3], bytes.Repeat([]byte("x"), 200)) {
			t.Fatalf("request %d: %q", i, args)
		}
		_ = append(args[0], "ZZZ"...)
		_ = append(args[2], "YYY"...)
		if string(args[0]) != "abc" || string(args[2]) != "def" {
			t.Fatalf("arguments changed: %q %q", args[0], args[2])
		}
	}
}

// A connection served by a goroutine stamps its commands with the time of
// the read that brought them (one clock read per batch, as the event loop
// and Redis do); a detached command, which may have waited, reads the
// clock.
func TestGoroutineConnClockIsReadTime(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	s := NewServer(Options{})
	c := s.newConn(a)
	go func() { _, _ = b.Write([]byte("x")) }()
	if _, err := c.cc.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	read := c.cc.at
	c.cc.at = read - int64(time.Hour) // as if read an hour ago: the stamp must come from the read
	c.Executing([][]byte{[]byte("ping")})
	if got := c.lastAct.Load(); got != read-int64(time.Hour) {
		t.Fatalf("last activity %d, want the read's time %d", got, read-int64(time.Hour))
	}
	c.late = true // in a detached command
	c.Executing([][]byte{[]byte("ping")})
	if got := c.lastAct.Load(); got < read {
		t.Fatalf("detached command stamped %d, before the read %d", got, read)
	}
}

// Commands that arrive in one read and whose replies leave in one write
// share a Batch; a read or a write of replies (a command that detaches
// writes the replies before it) starts another.
func TestBatchChangesWithEveryReadAndWrite(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	batch := encode("batch")
	c.SendRaw(batch + batch + batch) // one write: one read on loopback
	first := c.Read()
	if second, third := c.Read(), c.Read(); second != first || third != first {
		t.Fatalf("one read, one write: batches %q %q %q", first, second, third)
	}
	next := c.Do("batch")
	if next == first {
		t.Fatalf("a new read kept the batch %q", first)
	}
	c.SendRaw(batch + encode("slow", "x") + batch)
	before := c.Read()
	e.h.slow <- struct{}{}
	if got := c.Read(); got != "$1\r\nx\r\n" {
		t.Fatalf("slow: %q", got)
	}
	if after := c.Read(); after == before || before == next {
		t.Fatalf("batches %q before the detached command, %q after it (previous read %q)", before, after, next)
	}
}
