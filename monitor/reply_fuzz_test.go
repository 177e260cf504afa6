package monitor

import (
	"bufio"
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/view"
)

// FuzzReplies reads arbitrary bytes as what a Redis server sent, with
// both of the monitor's parsers: the pinger's, which works on the bytes a
// read returned (statusReply), and the reader of every other link
// (respReader). Neither may panic or allocate past its bounds. The
// pinger's is the more lenient (it does not check integers, nor anything
// inside arrays it skips), so where both accept a reply they must agree
// on its kind and text, and so, reply after reply, on where each ends.
// Run it with `go test -run '^$' -fuzz FuzzReplies ./monitor/`.
func FuzzReplies(f *testing.F) {
	for _, s := range []string{
		"+PONG\r\n", "-LOADING Redis is loading\r\n+PONG\r\n", ":1\r\n+PONG\r\n", "$5\r\nhello\r\n$-1\r\n",
		"*2\r\n$7\r\nmessage\r\n$3\r\nabc\r\n+PONG\r\n", "*-1\r\n*0\r\n", "*1\r\n*1\r\n*1\r\n:7\r\n",
		"$3\r\nabcXY", "+PO", "\r\n", "!3\r\nabc\r\n", ":abc\r\n", "$" + strings.Repeat("9", 25) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &respReader{br: bufio.NewReaderSize(bytes.NewReader(data), 16)}
		buf := data
		for i := 0; len(buf) > 0; i++ {
			kind, msg, size, perr := statusReply(buf)
			v, err := r.reply()
			if perr != nil || size == 0 || err != nil {
				return // a reply one of them refuses (or that is cut) ends the link
			}
			if kind != buf[0] {
				t.Fatalf("reply %d: kind %q of %q", i, kind, buf[:size])
			}
			switch kind {
			case '+':
				if s, ok := v.(string); !ok || s != string(msg) {
					t.Fatalf("reply %d: pinger read %q, reader %#v", i, msg, v)
				}
			case '-':
				if e, ok := v.(RedisError); !ok || string(e) != string(msg) {
					t.Fatalf("reply %d: pinger read %q, reader %#v", i, msg, v)
				}
			}
			buf = buf[size:]
		}
	})
}

// FuzzParseInfo parses two INFO texts, the second into the view the
// first filled: every INFO-derived field is reset first, so the view
// must equal the second text parsed alone (a field left over from an
// earlier INFO would be a replica or a role that no longer is).
func FuzzParseInfo(f *testing.F) {
	f.Add("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=42,lag=0\r\nmaster_replid:abc\r\nmaster_repl_offset:42\r\n",
		"role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\nslave_priority:0\r\nreplica_announced:0\r\n")
	f.Add("run_id:x\nslave1:127.0.0.1,6380,online\n", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		var both, alone view.Instance
		ParseInfo(a, &both)
		ParseInfo(b, &both)
		ParseInfo(b, &alone)
		if !reflect.DeepEqual(both, alone) {
			t.Fatalf("after %q then %q:\n%+v\nafter the second alone:\n%+v", a, b, both, alone)
		}
	})
}
