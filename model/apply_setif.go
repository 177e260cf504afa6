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
	ps, bad := SplitSet(c.Pairs)
	es, ebad := SplitSet(c.Expect)
	if len(ps) == 0 || bad != "" || ebad != "" || len(es) != len(ps) || len(c.Expect) != len(c.Pairs) {
		return refuse(ErrInvalidSetting, "conditional SENTINEL SET of master %s: expected values do not match the options", m.Name)
	}
	all := m.Settings // every pair applied: a bad value refuses the entry before anything changes
	all.RenameCommands = maps.Clone(m.RenameCommands)
	for i, p := range ps {
		if !strings.EqualFold(p.Option, es[i].Option) {
			return refuse(ErrInvalidSetting, "conditional SENTINEL SET of master %s: expected values do not match the options", m.Name)
		}
		if err := ApplySetting(&all, p.Option, p.Vals); err != nil {
			return err
		}
		cur, _ := SettingValue(m.Settings, p.Option, p.Vals)
		if want := es[i].Vals; !slices.Equal(cur, want) {
			one := m.Settings
			one.RenameCommands = maps.Clone(m.RenameCommands)
			_ = ApplySetting(&one, p.Option, p.Vals) // valid: applied above
			if after, _ := SettingValue(one, p.Option, p.Vals); !slices.Equal(cur, after) {
				return refuse(ErrSetConflict, "master %s: %s is %s, the pending change expected %s",
					m.Name, p.Option, shownValue(p.Option, cur), shownValue(p.Option, want))
			}
		}
	}
	return applySet(m, c.Pairs, ev)
}

// shownValue renders a setting's value for a message (secrets masked).
func shownValue(option string, vals []string) string {
	return fmt.Sprintf("%q", SettingEventValue(option, vals))
}
