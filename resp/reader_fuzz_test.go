package resp

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// FuzzRequestReader reads arbitrary bytes as a client's requests three
// ways: the whole input in one read, one byte per read, and in reads of a
// size the input picks. TCP may cut a request anywhere, so all three must
// give the same commands and end with the same error; none may panic, and
// every byte of the shared memory budget taken while reading must be
// given back once the reader is done (a leak would, summed over clients,
// end with every request refused). The seeds are small: requests past
// the size limits are TestFraming's. Run it with
// `go test -run '^$' -fuzz FuzzRequestReader ./resp/`.
func FuzzRequestReader(f *testing.F) {
	for _, s := range []string{
		"PING\r\n", "*1\r\n$4\r\nPING\r\n", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "*0\r\n*-1\r\nPING\n",
		"PING \"a b\" 'c'\r\n", "PING \"a\r\n", "*abc\r\n", "*1\r\n$-1\r\n", "*1\r\n$01\r\n", "*1\r\nPING\r\n",
		"*2\r\n$3\r\nGET\r\n$40\r\n" + strings.Repeat("x", 40) + "\r\n*1\r\n$4\r\nPING\r\n",
		"*3\r\n$8\r\nSENTINEL\r\n$6\r\nMASTER\r\n$3\r\nabc\r\n", "*11\r\n", "*1\r\n$16385\r\n",
		"*1\r\n$" + strings.Repeat("9", 30) + "\r\n", "\r\n\r\n  \r\n", "\x00\r\n",
	} {
		for _, unauth := range []byte{0, 1} {
			f.Add(unauth, byte(3), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, unauth, chunk byte, data []byte) {
		whole := readAll(t, data, len(data)+1, unauth&1 == 1)
		for _, n := range []int{1, int(chunk%61) + 2} {
			if got := readAll(t, data, n, unauth&1 == 1); got != whole {
				t.Fatalf("read %d bytes at a time:\n%s\nin one read:\n%s", n, got, whole)
			}
		}
	})
}

// readAll reads data's requests in reads of at most chunk bytes, and
// returns each command and the error that ended them.
func readAll(t *testing.T, data []byte, chunk int, unauth bool) string {
	t.Helper()
	budget := newMemBudget(4 << 20)
	rr := newReqReader(&chunkReader{b: data, n: chunk}, budget)
	var out strings.Builder
	for i := 0; ; i++ {
		if i > len(data)+1 {
			t.Fatalf("more commands than bytes: %s", out.String())
		}
		args, err := rr.next(unauth)
		if err != nil {
			fmt.Fprintf(&out, "error: %v\n", err)
			break
		}
		fmt.Fprintf(&out, "%q\n", args)
	}
	rr.release()
	if n := budget.inUse(); n != 0 {
		t.Fatalf("%d bytes of the request budget still taken after the reader is done", n)
	}
	return out.String()
}

// chunkReader hands out b at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}
