package sentinelproto

import (
	"bytes"
	"strings"
	"testing"
)

// Arguments share slabs (reader.keep): appending to one must never change
// another, an empty argument stays nil, a large one gets its own copy.
func TestReaderArgumentsAreIndependent(t *testing.T) {
	req := "*4\r\n$3\r\nabc\r\n$0\r\n\r\n$3\r\ndef\r\n$200\r\n" + strings.Repeat("x", 200) + "\r\n"
	rr := newReqReader(strings.NewReader(req+req), nil)
	first, err := rr.next(false)
	if err != nil {
		t.Fatal(err)
	}
	second, err := rr.next(false)
	if err != nil {
		t.Fatal(err)
	}
	if first[1] != nil || len(first) != 4 {
		t.Fatalf("empty argument %#v", first[1])
	}
	_ = append(first[0], "ZZZ"...)
	_ = append(first[2], "YYY"...)
	if string(first[0]) != "abc" || string(first[2]) != "def" || string(second[0]) != "abc" || string(second[2]) != "def" {
		t.Fatalf("arguments changed: %q %q %q %q", first[0], first[2], second[0], second[2])
	}
	if !bytes.Equal(first[3], bytes.Repeat([]byte("x"), 200)) || !bytes.Equal(second[3], first[3]) {
		t.Fatal("large argument")
	}
}

// Command names match ASCII-case-insensitively, like Redis's strcasecmp:
// a Unicode letter that lowers to ASCII (the Kelvin sign K) is not a k.
func TestLookupIsASCIICaseInsensitive(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+PONG\r\n", "PiNg")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "sEnTiNeL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
	if got := lowerASCII(nil, []byte("\u212AILL")); string(got) != "\u212Aill" {
		t.Fatalf("%q", got)
	}
	c.expect("-ERR unknown subcommand '\u212AILL'. Try CLIENT HELP.\r\n", "CLIENT", "\u212AILL")
}
