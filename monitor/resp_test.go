package monitor

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func reader(s string) *respReader {
	return &respReader{br: bufio.NewReaderSize(strings.NewReader(s), 16)}
}

func TestAppendCommand(t *testing.T) {
	got := string(appendCommand(nil, "AUTH", "user", ""))
	if want := "*3\r\n$4\r\nAUTH\r\n$4\r\nuser\r\n$0\r\n\r\n"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func TestReply(t *testing.T) {
	long := strings.Repeat("x", 100) // longer than the 16-byte test buffer
	tests := []struct {
		in   string
		want any
	}{
		{"+PONG\r\n", "PONG"},
		{"+\r\n", ""},
		{"-ERR wrong\r\n", RedisError("ERR wrong")},
		{":42\r\n", int64(42)},
		{":-7\r\n", int64(-7)},
		{"$5\r\nhello\r\n", "hello"},
		{"$0\r\n\r\n", ""},
		{"$-1\r\n", nil},
		{"*-1\r\n", nil},
		{"*0\r\n", []any{}},
		{"*3\r\n+OK\r\n+QUEUED\r\n*2\r\n:1\r\n-ERR x\r\n", []any{"OK", "QUEUED", []any{int64(1), RedisError("ERR x")}}},
		{"$100\r\n" + long + "\r\n", long},
		{"+" + long + "\r\n", long},
		{"$10\r\nab\r\ncd\r\nef\r\n", "ab\r\ncd\r\nef"},
	}
	for _, tc := range tests {
		got, err := reader(tc.in).reply()
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestReplyRejects(t *testing.T) {
	deep := strings.Repeat("*1\r\n", maxDepth+1) + ":1\r\n"
	tests := []struct {
		name string
		in   string
	}{
		{"unknown type", "?x\r\n"},
		{"no CR", "+PONG\n"},
		{"empty line", "\r\n"},
		{"bad int", ":12a\r\n"},
		{"overflow", ":99999999999999999999\r\n"},
		{"huge bulk", "$999999999999\r\n"},
		{"huge array", "*99999999\r\n"},
		{"deep nesting", deep},
		{"bulk without CRLF", "$2\r\nabXY"},
		{"line too long", "+" + strings.Repeat("x", maxLineLen+10) + "\r\n"},
	}
	for _, tc := range tests {
		_, err := reader(tc.in).reply()
		if !errors.Is(err, errProtocol) {
			t.Errorf("%s: err %v, want a protocol error", tc.name, err)
		}
	}
	// A forged length on a short stream costs only what arrives.
	if _, err := reader("$60000000\r\nshort").reply(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated bulk: %v", err)
	}
	// The per-reply budget bounds many large bulks together.
	r := reader("")
	r.budget = 10
	r.br = bufio.NewReader(strings.NewReader("$20\r\n" + strings.Repeat("y", 20) + "\r\n"))
	if _, err := r.value(0); !errors.Is(err, errProtocol) {
		t.Errorf("budget: %v", err)
	}
}

func TestStatusAndPingValidity(t *testing.T) {
	r := reader("+PONG\r\n-LOADING Redis is loading\r\n-MASTERDOWN Link down\r\n-NOAUTH Authentication required.\r\n-BUSY script\r\n$4\r\nPONG\r\n:1\r\n")
	want := []struct{ valid, pong bool }{{true, true}, {true, false}, {true, false}, {false, false}, {false, false}, {false, false}, {false, false}}
	for i, w := range want {
		kind, msg, err := r.status()
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		v, p := pingValid(kind, msg)
		if v != w.valid || p != w.pong {
			t.Errorf("%d (%c %q): valid=%v pong=%v, want %v %v", i, kind, msg, v, p, w.valid, w.pong)
		}
	}
}

func TestStatusNoAlloc(t *testing.T) {
	payload := strings.Repeat("+PONG\r\n", 200)
	sr := strings.NewReader(payload)
	r := &respReader{br: bufio.NewReader(sr)}
	n := testing.AllocsPerRun(100, func() {
		if _, _, err := r.status(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("status() allocates %v per reply", n)
	}
}

func TestRenamed(t *testing.T) {
	m := map[string]string{"ping": "PONG2", "config": "CFG", "client": ""}
	for in, want := range map[string]string{"PING": "PONG2", "ping": "PONG2", "Config": "CFG", "INFO": "INFO", "CLIENT": "CLIENT"} {
		if got := renamed(m, in); got != want {
			t.Errorf("renamed(%q) = %q, want %q", in, got, want)
		}
	}
}

type nopOwner struct{}

func (nopOwner) authResult(bool, []byte) {}
func (nopOwner) probeLost()              {}
func (nopOwner) probeRecovered()         {}
func (nopOwner) changed(time.Time)       {}
