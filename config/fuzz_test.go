package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse: whatever the file and the overrides, Parse returns exactly one
// of a Config or an *Error, and never panics. args is fuzzed as one string
// split on NUL, since a command-line argument cannot contain NUL.
func FuzzParse(f *testing.F) {
	seeds := []struct{ text, args string }{
		{rewrittenByRedis, ""},
		{shippedWithRedis, ""},
		{rewrittenByRedis, "--port\x0026380\x00--sentinel\x00monitor\x00m2\x00127.0.0.1\x006380\x002"},
		{"sentinel down-after-milliseconds m 1000\nsentinel monitor m 127.0.0.1 6379 2\n", ""},
		{"raft-peers 10.0.0.1:26379 [::1]:26379 a.b:1\nraft-secret x\nraft-heartbeat-timeout 500\nraft-election-timeout 900\n", "--raft-join\x00a:1"},
		{"sentinel resolve-hostnames yes\nsentinel monitor m pod-0.svc 6379 2\nsentinel known-replica m pod-1.svc 6379\n", ""},
		{"dir \"/tmp/a b\\x41\\n\"\nlogfile 'x\\'y'\nrequirepass \"", ""},
		{"port \"26379\"x\n", ""},
		{"logfile 'unterminated\n", ""},
		{"\x00\x01\x02\xff\xfe binary \x00garbage", "\x00--\x00\xff"},
		{"sentinel\nsentinel monitor\nsentinel known-sentinel m 1.2.3.4 1\n", "--sentinel"},
		{"bind " + strings.Repeat("x", 1<<16) + "\n" + strings.Repeat("#", 1<<12), ""},
		{"user " + strings.Repeat("a b ", 4096), ""},
		{"\"" + strings.Repeat("\\x4", 1000) + "\"", ""},
		{"sentinel monitor m 127.0.0.1 6379 99999999999999999999\nsentinel config-epoch m 18446744073709551616\n", ""},
		{"demote-delay 9223372036854775807\nping-period -9223372036854775808\n", ""},
		{"", "--save"},
		{"", "6379\x00--port"},
		{"", "--port 1 \"2"},
		{"aclfile /x\nuser a\nhttp-port 26379\n", ""},
	}
	for _, s := range seeds {
		f.Add(s.text, s.args)
	}
	f.Fuzz(func(t *testing.T, text, args string) {
		var argv []string
		if args != "" {
			argv = strings.Split(args, "\x00")
		}
		c, err := Parse(bytes.NewReader([]byte(text)), "fuzz.conf", argv)
		if (c == nil) == (err == nil) {
			t.Fatalf("want exactly one of config or error, got %v and %v", c, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if msg := e.Error(); strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("Error() spans lines: %q", msg)
			}
			_ = e.Banner("7.0.15")
			return
		}
		_ = c.RaftAddr()
		for _, m := range c.Masters {
			if m.Quorum < 1 || m.Port < 1 || m.Port > 65535 || m.DownAfter <= 0 || m.FailoverTimeout <= 0 || m.ParallelSyncs < 1 {
				t.Fatalf("accepted an invalid master: %+v", m)
			}
		}
		for _, u := range c.Users {
			if _, err := SplitArgs(u); err != nil {
				t.Fatalf("stored user line %q does not split back: %v", u, err)
			}
		}
	})
}

// FuzzSplitArgsRoundTrip: joinArgs must quote whatever SplitArgs returned
// so that splitting again gives the same tokens (user lines rely on it).
func FuzzSplitArgsRoundTrip(f *testing.F) {
	for _, s := range []string{"a b c", `x "a\nb" 'c d'`, "\"\\xff\\x00\"", `foo"bar baz"`, "\v\f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		toks, err := SplitArgs(line)
		if err != nil {
			return
		}
		again, err := SplitArgs(joinArgs(toks))
		if err != nil || len(again) != len(toks) {
			t.Fatalf("%q -> %q -> %q, %v", line, toks, again, err)
		}
		for i := range toks {
			if toks[i] != again[i] {
				t.Fatalf("%q -> %q -> %q", line, toks, again)
			}
		}
	})
}
