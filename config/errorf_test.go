package config

import (
	"strings"
	"testing"
)

// Checks made when the node starts name the file and the line that set
// the directive, like parse errors; a directive at its default names the
// file and the directive.
func TestErrorfNamesTheLine(t *testing.T) {
	c := mustParse(t, "port 7000\n# comment\nbind 10.99.99.99\n", "--maxclients", "5")
	if got := c.Errorf("bind", "listen: %s", "cannot assign requested address").Error(); got != "s.conf:3: 'bind': listen: cannot assign requested address" {
		t.Errorf("bind: %q", got)
	}
	if got := c.Errorf("maxclients", "too many").Error(); got != CommandLine+":1: 'maxclients': too many" {
		t.Errorf("command line: %q", got)
	}
	if got := c.Errorf("dir", "not writable").Error(); got != "s.conf: 'dir': not writable" {
		t.Errorf("default: %q", got)
	}
	if got := Default().Errorf("dir", "x").Error(); got != "(config): 'dir': x" {
		t.Errorf("config without a file: %q", got)
	}
}

// A node of several needs raft-secret or an explicit raft-insecure; the
// refusal names raft-secret and how to set it, on one line, at the line
// of raft-peers or raft-join.
func TestCheckPeerAuth(t *testing.T) {
	for _, tc := range []struct {
		conf string
		ok   bool
		line int
		dir  string
	}{
		{"port 7000\n", true, 0, ""},
		{"port 7000\nraft-peers 127.0.0.1:7000\n", true, 0, ""},
		{"port 7000\nraft-peers 127.0.0.1:7000 127.0.0.1:7001\n", false, 2, "raft-peers"},
		{"raft-join 127.0.0.1:7001\n", false, 1, "raft-join"},
		{"port 7000\nraft-peers 127.0.0.1:7000 127.0.0.1:7001\nraft-secret s\n", true, 0, ""},
		{"raft-join 127.0.0.1:7001\nraft-insecure yes\n", true, 0, ""},
		{"port 7000\nraft-bootstrap-expect 3\n", false, 2, "raft-bootstrap-expect"},
		{"port 7000\nraft-bootstrap-expect 1\n", true, 0, ""},
		{"raft-bootstrap-expect 3\nraft-secret s\n", true, 0, ""},
	} {
		err := mustParse(t, tc.conf).CheckPeerAuth()
		if tc.ok {
			if err != nil {
				t.Errorf("%q: %v", tc.conf, err)
			}
			continue
		}
		e, _ := err.(*Error)
		if e == nil || e.Line != tc.line || e.Directive != tc.dir || !strings.Contains(e.Reason, "raft-secret") ||
			!strings.Contains(e.Reason, "raft-insecure yes") || strings.Contains(e.Error(), "\n") {
			t.Errorf("%q: %#v", tc.conf, err)
		}
	}
}

// A global sentinel statement is found again by Errorf too.
func TestErrorfFindsSentinelStatements(t *testing.T) {
	c := mustParse(t, "port 7000\nsentinel myid 0123456789012345678901234567890123456789\n")
	if got := c.Errorf("sentinel myid", "contradicts dir/myid").Error(); got != "s.conf:2: 'sentinel myid': contradicts dir/myid" {
		t.Errorf("%q", got)
	}
}
