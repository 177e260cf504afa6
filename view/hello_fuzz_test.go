package view

import "testing"

// FuzzParseHello: a hello message is unauthenticated input (anyone who can
// PUBLISH on the master can send one). Parsing may refuse it but never
// panic, and a message it accepts says the same once rendered again, as
// this node's own hellos are (String).
func FuzzParseHello(f *testing.F) {
	f.Add("127.0.0.1,26379,0123456789abcdef0123456789abcdef01234567,3,mymaster,127.0.0.1,6379,3")
	f.Add("::1,26379,id,0,m,::1,1,18446744073709551615")
	f.Add("a,b,c,d,e,f,g,h")
	f.Add(",,,,,,,")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHello(s)
		if err != nil {
			return
		}
		again, err := ParseHello(h.String())
		if err != nil || again != h {
			t.Fatalf("%q parsed as %+v; rendered %q, which parses as %+v (%v)", s, h, h.String(), again, err)
		}
	})
}
