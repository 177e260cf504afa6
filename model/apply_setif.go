package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// applySetIf applies a pending SENTINEL SET: one that a node accepted while
// it had no contact with a Raft leader (raft-serve-stale yes) and proposes
// once it is back in contact. It is a compare-and-set, all or nothing:
// the pairs apply only to the master incarnation the change was made for
// (c.Created, Master.Created) and only if every setting they change still
// has the value the proposer last saw committed (c.Expect, in Pairs' shape)
// or already has the new one (a retried entry). Otherwise nothing changes
// and the error (ErrSetConflict) names the first setting that differs: a
// change made through the majority meanwhile wins over the pending one.
// Pure: it compares values only, no clocks.
func applySetIf(m *Master, c *SetIf, ev *events) error {
	if m.Created != c.Created {
		return refuse(ErrSetConflict, "master %s was removed and monitored again since the change was made", m.Name)
	}
	if len(c.Pairs) == 0 || len(c.Expect) != len(c.Pairs) {
		return refuse(ErrInvalidSetting, "conditional SENTINEL SET of master %s: expected values do not match the options", m.Name)
	}
	all := m.Settings // every pair applied: a bad value refuses the entry before anything changes
	all.RenameCommands = maps.Clone(m.RenameCommands)
	for p, e := c.Pairs, c.Expect; len(p) > 0; {
		n := SettingArity(p[0])
		if n == 0 || len(p) < n+1 || !strings.EqualFold(p[0], e[0]) {
			return refuse(ErrInvalidSetting, "conditional SENTINEL SET of master %s: expected values do not match the options", m.Name)
		}
		vals, want := p[1:1+n], e[1:1+n]
		if err := ApplySetting(&all, p[0], vals); err != nil {
			return err
		}
		cur, _ := SettingValue(m.Settings, p[0], vals)
		if !slices.Equal(cur, want) {
			one := m.Settings
			one.RenameCommands = maps.Clone(m.RenameCommands)
			_ = ApplySetting(&one, p[0], vals) // valid: applied above
			if after, _ := SettingValue(one, p[0], vals); !slices.Equal(cur, after) {
				return refuse(ErrSetConflict, "master %s: %s is %s, the pending change expected %s",
					m.Name, p[0], shownValue(p[0], cur), shownValue(p[0], want))
			}
		}
		p, e = p[1+n:], e[1+n:]
	}
	return applySet(m, c.Pairs, ev)
}

// shownValue renders a setting's value for a message (secrets masked).
func shownValue(option string, vals []string) string {
	return fmt.Sprintf("%q", SettingEventValue(option, vals))
}
