package acl

import (
	"slices"
	"strings"

	"github.com/raftinel/raftinel/internal/glob"
)

// Key pattern permissions (%R~, %W~, ~ = both).
const (
	keyRead  = 1
	keyWrite = 2
	keyAll   = keyRead | keyWrite
)

type keyPattern struct {
	flags   int
	pattern string
}

// selector is one set of permissions: a user's root selector or one of
// its "( ... )" selectors (Redis's aclSelector).
type selector struct {
	root bool
	// allowed holds one bit per command id; future is Redis's reserved
	// bit, set by +@all and cleared by -@all only: a user built from +@all
	// is described as "+@all ..." and one built up from nothing as
	// "-@all ...".
	allowed   []bool
	future    bool
	firstArgs map[int][]string // +cmd|arg of commands without subcommands

	allKeys     bool
	keys        []keyPattern
	allChannels bool
	channels    []string
}

func newSelector(t *Table, root bool) *selector {
	return &selector{root: root, allowed: make([]bool, t.size())}
}

func (s *selector) clone() *selector {
	c := *s
	c.allowed = slices.Clone(s.allowed)
	c.keys = slices.Clone(s.keys)
	c.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			c.firstArgs[k] = slices.Clone(v)
		}
	}
	return &c
}

// setAll is +@all (v) or -@all.
func (s *selector) setAll(v bool) {
	for i := range s.allowed {
		s.allowed[i] = v
	}
	s.future = v
	s.firstArgs = nil
}

// changePerm is ACLChangeSelectorPerm: a command's bit, its first-args
// reset, and the bits of all its subcommands.
func (s *selector) changePerm(c *Command, v bool) {
	s.allowed[c.id] = v
	delete(s.firstArgs, c.id)
	for _, sub := range c.Subs {
		s.allowed[sub.id] = v
	}
}

// setCategory is +@cat / -@cat over the whole table (subcommands
// included; a container in the category takes all its subcommands).
func (s *selector) setCategory(t *Table, cat int, v bool) {
	for _, c := range t.all {
		if c.inCategory(cat) {
			s.changePerm(c, v)
		}
	}
}

func (s *selector) addFirstArg(id int, arg string) {
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range s.firstArgs[id] {
		if strings.EqualFold(a, arg) {
			return
		}
	}
	s.firstArgs[id] = append(s.firstArgs[id], arg)
}

func hasSpaces(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == 0 || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	})
}

// apply is ACLSetSelector: one rule about commands, keys or channels.
func (s *selector) apply(t *Table, op string) error {
	switch {
	case op == "":
		return errSyntax
	case strings.EqualFold(op, "allkeys"), strings.EqualFold(op, "~*"):
		s.allKeys, s.keys = true, nil
	case strings.EqualFold(op, "resetkeys"):
		s.allKeys, s.keys = false, nil
	case strings.EqualFold(op, "allchannels"), strings.EqualFold(op, "&*"):
		s.allChannels, s.channels = true, nil
	case strings.EqualFold(op, "resetchannels"):
		s.allChannels, s.channels = false, nil
	case strings.EqualFold(op, "allcommands"), strings.EqualFold(op, "+@all"):
		s.setAll(true)
	case strings.EqualFold(op, "nocommands"), strings.EqualFold(op, "-@all"):
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKey(op)
	case op[0] == '&':
		if s.allChannels {
			return errAfterAllChannels
		}
		if hasSpaces(op[1:]) {
			return errSyntax
		}
		if !slices.Contains(s.channels, op[1:]) {
			s.channels = append(s.channels, op[1:])
		}
		s.allChannels = false
	case len(op) > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		i := categoryIndex(op[2:])
		if i < 0 {
			return errUnknownCommand
		}
		s.setCategory(t, i, op[0] == '+')
	case op[0] == '+':
		return s.allowCommand(t, op[1:])
	case op[0] == '-':
		c := t.Lookup(op[1:])
		if c == nil {
			return errUnknownCommand
		}
		s.changePerm(c, false)
	default:
		return errSyntax
	}
	return nil
}

// addKey is ~pattern, %R~pattern, %W~pattern, %RW~pattern.
func (s *selector) addKey(op string) error {
	if s.allKeys {
		return errAfterAllKeys
	}
	flags, off := keyAll, 1
	if op[0] == '%' {
		flags = 0
		for ; off < len(op); off++ {
			switch c := op[off]; {
			case (c == 'R' || c == 'r') && flags&keyRead == 0:
				flags |= keyRead
			case (c == 'W' || c == 'w') && flags&keyWrite == 0:
				flags |= keyWrite
			case c == '~':
				off++
				goto done
			default:
				return errSyntax
			}
		}
	done:
		if flags == 0 {
			return errSyntax
		}
	}
	pat := op[min(off, len(op)):]
	if hasSpaces(pat) {
		return errSyntax
	}
	for i := range s.keys {
		if s.keys[i].pattern == pat {
			s.keys[i].flags |= flags
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{flags: flags, pattern: pat})
	return nil
}

// allowCommand is +cmd, +cmd|sub and +cmd|first-arg.
func (s *selector) allowCommand(t *Table, name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		c := t.Lookup(name)
		if c == nil {
			return errUnknownCommand
		}
		s.changePerm(c, true)
		return nil
	}
	base, arg := name[:i], name[i+1:]
	c := t.Lookup(base)
	switch {
	case c == nil:
		return errUnknownCommand
	case c.parent != nil:
		return errFirstArgOfSub
	case arg == "":
		return errSyntax
	case len(c.Subs) > 0:
		sub := t.Lookup(name)
		if sub == nil {
			return errUnknownCommand
		}
		s.changePerm(sub, true)
	default:
		s.addFirstArg(c.id, arg)
	}
	return nil
}

// Verdict is the outcome of a permission check.
type Verdict int

// Verdicts, ordered as Redis picks the error to report across selectors.
const (
	Allowed Verdict = iota
	DeniedCommand
	DeniedKey
	DeniedChannel
)

// check is ACLSelectorCheckCmd; pos is the offending argument's index.
func (s *selector) check(c *Command, argv [][]byte) (Verdict, int) {
	if !c.NoAuth && !s.allowed[c.id] {
		args, ok := s.firstArgs[c.id]
		if !ok || len(argv) < 2 {
			return DeniedCommand, 0
		}
		idx := 1
		if c.parent != nil {
			idx = 2
		}
		if idx >= len(argv) || !slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, string(argv[idx])) }) {
			return DeniedCommand, 0
		}
	}
	if s.allChannels || c.Channels == NoChannels {
		return Allowed, 0
	}
	first, last, literal := 1, len(argv), c.Channels == PatternChannels
	if c.Channels == PublishChannel {
		last = min(2, len(argv))
	}
	for j := first; j < last; j++ {
		if !s.channelAllowed(string(argv[j]), literal) {
			return DeniedChannel, j
		}
	}
	return Allowed, 0
}

// channelAllowed checks one channel (glob match against the patterns) or,
// literal, one PSUBSCRIBE pattern (must equal an allowed pattern).
func (s *selector) channelAllowed(ch string, literal bool) bool {
	if s.allChannels {
		return true
	}
	for _, p := range s.channels {
		if (literal && p == ch) || (!literal && glob.Match(p, ch)) {
			return true
		}
	}
	return false
}
