package model

import (
	"errors"
	"strings"
	"testing"
)

// A pending SENTINEL SET is a compare-and-set: it applies, all or nothing,
// only to the master incarnation it was made for and only where every
// setting it changes still has the value the proposer saw committed (or
// already the new one); otherwise nothing changes and the refusal names the
// setting.
func TestApplySetIfComparesAndSets(t *testing.T) {
	base := func() *State {
		st := NewState()
		mustApply(t, st, &Monitor{Header: Header{Index: 7}, Master: "m", Addr: a(6379), Quorum: 2})
		mustApply(t, st, &Set{Master: "m", Pairs: []string{"down-after-milliseconds", "5000", "rename-command", "CONFIG", "XCONFIG"}})
		return st
	}
	for _, tc := range []struct {
		name    string
		cmd     SetIf
		err     error  // nil: applied
		msg     string // part of the refusal
		quorum  int    // quorum afterwards
		downMs  int64  // down-after afterwards
		events  string
		renamed string // rename of config afterwards
	}{
		{name: "unchanged since: applied",
			cmd:    SetIf{Created: 7, Pairs: []string{"quorum", "3"}, Expect: []string{"quorum", "2"}},
			quorum: 3, downMs: 5000, events: "+set"},
		{name: "several settings, all unchanged: applied left to right",
			cmd:    SetIf{Created: 7, Pairs: []string{"quorum", "3", "down-after-milliseconds", "1000"}, Expect: []string{"quorum", "2", "down-after-milliseconds", "5000"}},
			quorum: 3, downMs: 1000, events: "+set +set"},
		{name: "already the new value (a retried entry): applied",
			cmd:    SetIf{Created: 7, Pairs: []string{"down-after-milliseconds", "5000"}, Expect: []string{"down-after-milliseconds", "30000"}},
			quorum: 2, downMs: 5000, events: "+set"},
		{name: "changed meanwhile by the majority: nothing changes",
			cmd: SetIf{Created: 7, Pairs: []string{"quorum", "3"}, Expect: []string{"quorum", "1"}},
			err: ErrSetConflict, msg: `master m: quorum is "2", the pending change expected "1"`, quorum: 2, downMs: 5000},
		{name: "one of two changed: all or nothing",
			cmd: SetIf{Created: 7, Pairs: []string{"quorum", "3", "down-after-milliseconds", "1000"}, Expect: []string{"quorum", "2", "down-after-milliseconds", "30000"}},
			err: ErrSetConflict, msg: "down-after-milliseconds is \"5000\"", quorum: 2, downMs: 5000},
		{name: "master removed and monitored again: another incarnation",
			cmd: SetIf{Created: 3, Pairs: []string{"quorum", "3"}, Expect: []string{"quorum", "2"}},
			err: ErrSetConflict, msg: "removed and monitored again", quorum: 2, downMs: 5000},
		{name: "rename-command compares the command's current name",
			cmd:    SetIf{Created: 7, Pairs: []string{"rename-command", "config", "YCONFIG"}, Expect: []string{"rename-command", "config", "XCONFIG"}},
			quorum: 2, downMs: 5000, events: "+set", renamed: "YCONFIG"},
		{name: "rename-command changed meanwhile",
			cmd: SetIf{Created: 7, Pairs: []string{"rename-command", "config", "YCONFIG"}, Expect: []string{"rename-command", "config", "config"}},
			err: ErrSetConflict, msg: `rename-command is "config XCONFIG"`, quorum: 2, downMs: 5000},
		{name: "a bad value refuses the entry before anything changes",
			cmd: SetIf{Created: 7, Pairs: []string{"quorum", "3", "parallel-syncs", "0"}, Expect: []string{"quorum", "2", "parallel-syncs", "1"}},
			err: ErrInvalidSetting, quorum: 2, downMs: 5000},
		{name: "expected values not in the options' shape",
			cmd: SetIf{Created: 7, Pairs: []string{"quorum", "3"}, Expect: []string{"down-after-milliseconds", "5000"}},
			err: ErrInvalidSetting, quorum: 2, downMs: 5000},
		{name: "no expected values",
			cmd: SetIf{Created: 7, Pairs: []string{"quorum", "3"}},
			err: ErrInvalidSetting, quorum: 2, downMs: 5000},
		{name: "secrets are masked in the refusal",
			cmd: SetIf{Created: 7, Pairs: []string{"auth-pass", "new"}, Expect: []string{"auth-pass", "old"}},
			err: ErrSetConflict, msg: `auth-pass is "******", the pending change expected "******"`, quorum: 2, downMs: 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := base()
			c := tc.cmd
			c.Master = "m"
			evs, _, err := Apply(st, &c)
			if tc.err == nil && err != nil || tc.err != nil && (!errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg)) {
				t.Fatalf("error %v, want %v (%s)", err, tc.err, tc.msg)
			}
			m := st.Masters["m"]
			if m.Quorum != tc.quorum || m.DownAfterMs != tc.downMs {
				t.Fatalf("quorum %d down-after %d, want %d %d", m.Quorum, m.DownAfterMs, tc.quorum, tc.downMs)
			}
			if got := channels(evs); got != tc.events {
				t.Fatalf("events %q, want %q", got, tc.events)
			}
			want := tc.renamed
			if want == "" {
				want = "XCONFIG"
			}
			if m.RenameCommands["config"] != want {
				t.Fatalf("rename of config: %q, want %q", m.RenameCommands["config"], want)
			}
		})
	}
	if _, _, err := Apply(NewState(), &SetIf{Master: "gone", Pairs: []string{"quorum", "3"}, Expect: []string{"quorum", "2"}}); !errors.Is(err, ErrNoSuchMaster) {
		t.Fatalf("a removed master: %v", err)
	}
}

// The conditional entry is the only one of version 2: every other entry is
// still written in version 1, which nodes of the previous release read.
func TestEntryVersions(t *testing.T) {
	for _, tc := range []struct {
		c    Entry
		want string
	}{
		{&Set{Master: "m", Pairs: []string{"quorum", "2"}}, `{"v":1,`},
		{&SetIf{Master: "m", Pairs: []string{"quorum", "2"}, Expect: []string{"quorum", "1"}, Created: 4}, `{"v":2,`},
	} {
		b, err := Encode(tc.c)
		if err != nil || !strings.HasPrefix(string(b), tc.want) {
			t.Fatalf("%s: %s %v", tc.c.Op(), b, err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
}
