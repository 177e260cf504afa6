package acl

import (
	"slices"
	"strings"
)

// Descriptions: what ACL LIST, ACL GETUSER and ACL SAVE show. Command rules
// are not stored as typed; like Redis 7.0 they are re-derived from the
// permission bitmap (ACLDescribeSelectorCommandRules), so "+@all -@slow"
// and "-@all +@fast ..." read back the way Redis writes them.

// describeCommands returns the rules that rebuild s's command bitmap:
// "+@all" or "-@all", then the best-fitting categories, then single
// commands and first-args.
func describeCommands(t *Table, s *selector) string {
	var rules []string
	fake := newSelector(t, false)
	additive := !s.future
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		fake.setAll(true)
	}
	// Categories, best fit first: more commands in common with the user
	// than differing, fewest differences, then most in common.
	temp := &selector{allowed: slices.Clone(s.allowed)}
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := 0, 0
			for _, c := range t.all {
				if c.inCategory(j) {
					if temp.allowed[c.id] {
						on++
					} else {
						off++
					}
				}
			}
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		fake.setCategory(t, best, additive)
		temp.setCategory(t, best, !additive)
		sign := "-@"
		if additive {
			sign = "+@"
		}
		rules = append(rules, sign+Categories[best])
		applied[best] = true
	}
	// Single commands where the bitmaps still differ, then first-args.
	for _, c := range t.all {
		user := s.allowed[c.id]
		if user != fake.allowed[c.id] {
			sign := "-"
			if user {
				sign = "+"
			}
			rules = append(rules, sign+c.Name)
			fake.changePerm(c, user)
		}
		if !user {
			for _, a := range s.firstArgs[c.id] {
				rules = append(rules, "+"+c.Name+"|"+a)
			}
		}
	}
	return strings.Join(rules, " ")
}

func (k keyPattern) String() string {
	switch k.flags {
	case keyRead:
		return "%R~" + k.pattern
	case keyWrite:
		return "%W~" + k.pattern
	}
	return "~" + k.pattern
}

// keysText is GETUSER's "keys" field.
func (s *selector) keysText() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// channelsText is GETUSER's "channels" field.
func (s *selector) channelsText() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is ACLDescribeSelector: keys, channels, command rules.
func (s *selector) describe(t *Table) string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(describeCommands(t, s))
	return b.String()
}

// flags lists the user's flags in Redis's order.
func (u *User) flags() []string {
	var out []string
	if u.enabled {
		out = append(out, "on")
	} else {
		out = append(out, "off")
	}
	if u.nopass {
		out = append(out, "nopass")
	}
	switch u.sanitize {
	case sanitizeSkip:
		out = append(out, "skip-sanitize-payload")
	case sanitizeOn:
		out = append(out, "sanitize-payload")
	}
	return out
}

// describe is ACLDescribeUser: the user's rules in config file form
// (without "user <name> ").
func (u *User) describe(t *Table) string {
	var b strings.Builder
	for _, f := range u.flags() {
		b.WriteString(f + " ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for _, s := range u.sels {
		if s.root {
			b.WriteString(s.describe(t))
		} else {
			b.WriteString(" (" + s.describe(t) + ")")
		}
	}
	return b.String()
}

// SelectorInfo is one selector as ACL GETUSER shows it.
type SelectorInfo struct {
	Commands, Keys, Channels string
}

// UserInfo is ACL GETUSER's reply.
type UserInfo struct {
	Flags     []string
	Passwords []string
	Root      SelectorInfo
	Selectors []SelectorInfo
}

func (u *User) info(t *Table) UserInfo {
	si := func(s *selector) SelectorInfo {
		return SelectorInfo{Commands: describeCommands(t, s), Keys: s.keysText(), Channels: s.channelsText()}
	}
	ui := UserInfo{Flags: u.flags(), Passwords: slices.Clone(u.passwords), Root: si(u.root())}
	if ui.Passwords == nil {
		ui.Passwords = []string{}
	}
	for _, s := range u.sels[1:] {
		ui.Selectors = append(ui.Selectors, si(s))
	}
	return ui
}
