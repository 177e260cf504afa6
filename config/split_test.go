package config

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"   \t ", []string{}},
		{"port 26379", []string{"port", "26379"}},
		{"  a\tb  c ", []string{"a", "b", "c"}},
		{`logfile ""`, []string{"logfile", ""}},
		{`dir "/var/lib/with space"`, []string{"dir", "/var/lib/with space"}},
		{`x "a\nb\rc\td\be\af\\g\"h"`, []string{"x", "a\nb\rc\td\be\af\\g\"h"}},
		{`x "\x41\x7a\xff\xZZ"`, []string{"x", "Az\xff" + `xZZ`}},
		{`x "\q"`, []string{"x", "q"}},
		{`x 'single "quoted" \n'`, []string{"x", `single "quoted" \n`}},
		{`x 'it\'s'`, []string{"x", "it's"}},
		{`x foo"bar baz"`, []string{"x", "foobar baz"}},
		{`x a\nb`, []string{"x", `a\nb`}},
		{`# not special here`, []string{"#", "not", "special", "here"}},
		{"a\vb", []string{"a\vb"}},
		{"\va", []string{"a"}},
	} {
		got, err := SplitArgs(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitArgsErrors(t *testing.T) {
	for _, in := range []string{
		`x "open`, `x 'open`, `x "closed"x`, `x 'closed'x`, `x "ends with backslash\`, "x \"a\x00b\"", "a\x00",
	} {
		if got, err := SplitArgs(in); err == nil {
			t.Errorf("SplitArgs(%q) = %q, want error", in, got)
		}
	}
}

// joinArgs must give back what SplitArgs reads, for any tokens.
func TestJoinArgsRoundTrip(t *testing.T) {
	for _, toks := range [][]string{
		{"default", "on", "nopass", "~*", "&*", "+@all"},
		{"alice", "", "a b", `q"uote`, "it's", "tab\there", "nl\nx", "\x00\xff\x7f", `back\slash`, "#"},
	} {
		got, err := SplitArgs(joinArgs(toks))
		if err != nil || !reflect.DeepEqual(got, toks) {
			t.Errorf("round trip %q -> %q -> %q, %v", toks, joinArgs(toks), got, err)
		}
	}
	if got := joinArgs([]string{"default", "on", "~*"}); got != "default on ~*" {
		t.Errorf("plain tokens must not be quoted: %q", got)
	}
	if got := repr("a\"\\\n\x01é"); got != `"a\"\\\n\x01\xc3\xa9"` {
		t.Errorf("repr = %s", got)
	}
}

func TestQuotingInFile(t *testing.T) {
	c := mustParse(t, "# comment\n   # indented comment\n\r\ndir \"/tmp/a b\"\r\nlogfile 'l.txt'\nrequirepass \"p\\x41ss\"\n")
	if c.Dir != "/tmp/a b" || c.LogFile != "l.txt" || c.RequirePass != "pAss" {
		t.Errorf("got dir=%q logfile=%q pass=%q", c.Dir, c.LogFile, c.RequirePass)
	}
	runErrCases(t, []errCase{
		{"unbalanced", "port 1\ndir \"/tmp\n", nil, 2, "dir", "Unbalanced quotes in configuration line"},
		{"closing quote glued", `port "26379"x`, nil, 1, "port", "Unbalanced quotes in configuration line"},
		{"single unbalanced", "logfile 'x", nil, 1, "logfile", "Unbalanced quotes in configuration line"},
		{"NUL", "port 1\x002", nil, 1, "port", "NUL byte in configuration line"},
	})
}
