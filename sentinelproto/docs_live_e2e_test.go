//go:build e2e

package sentinelproto

import (
	"testing"
)

func TestCommandDocsLive(t *testing.T) {
	real := startRealSentinel(t)
	if *updateDocs {
		regenerateDocs(t, real)
		t.Skip("commanddocs.json rewritten; run again without -update-docs")
	}
	e := newEnv(t)
	ours, s := e.addr, e.srv
	for _, proto := range []string{"2", "3"} {
		// Every command and subcommand, one by one, then all at once.
		var names []string
		for _, c := range s.allCommands() {
			if !notIn70[c.name] {
				names = append(names, c.name)
			}
		}
		for _, name := range append(names, "", "nosuch", "save") {
			args := []string{"COMMAND", "DOCS"}
			if name != "" {
				args = append(args, name)
			}
			want := docsTree(t, real, proto, args...)
			got := docsTree(t, ours, proto, args...)
			if want != got {
				t.Errorf("RESP%s %q:\nredis-sentinel %s\n      raftinel %s", proto, args, want, got)
			}
		}
	}
}
