package sentinelproto

import "testing"

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
