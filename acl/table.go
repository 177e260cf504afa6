package acl

import "strings"

// Categories are Redis's ACL categories, in Redis's order (ACL CAT, and
// the order in which a user's rules are re-derived).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting",
}

// categoryIndex returns the index of a category (case-insensitive), or -1.
func categoryIndex(name string) int {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return i
		}
	}
	return -1
}

// IsCategory reports whether name (without '@') is a category.
func IsCategory(name string) bool { return categoryIndex(name) >= 0 }

// Channels says which arguments of a command name Pub/Sub channels.
type Channels int

// Channel argument kinds, as Redis's ACLDoesCommandHaveChannels.
const (
	NoChannels        Channels = iota
	PublishChannel             // argv[1] is a channel (PUBLISH)
	SubscribeChannels          // argv[1:] are channels (SUBSCRIBE)
	PatternChannels            // argv[1:] are patterns, matched literally (PSUBSCRIBE)
)

// Command is one command or subcommand as ACL sees it.
type Command struct {
	Name       string   // full lower-case name: "ping", "sentinel|set"
	Categories []string // with or without the '@'
	NoAuth     bool     // AUTH, HELLO: always allowed
	Channels   Channels
	Subs       []*Command

	id     int
	cats   uint32
	parent *Command
}

func (c *Command) inCategory(i int) bool { return c.cats&(1<<uint(i)) != 0 }

// Table is a command table indexed for ACL: every command and subcommand
// has an id (its bit in a user's permission bitmap).
type Table struct {
	top    []*Command
	all    []*Command // table order, each command followed by its subcommands
	byName map[string]*Command
}

// NewTable indexes top-level commands and their subcommands. The slices
// are kept; do not change them afterwards.
func NewTable(top []*Command) *Table {
	t := &Table{top: top, byName: map[string]*Command{}}
	var add func(c, parent *Command)
	add = func(c, parent *Command) {
		c.id, c.parent, c.cats = len(t.all), parent, 0
		for _, cat := range c.Categories {
			if i := categoryIndex(strings.TrimPrefix(cat, "@")); i >= 0 {
				c.cats |= 1 << uint(i)
			}
		}
		t.all = append(t.all, c)
		t.byName[strings.ToLower(c.Name)] = c
		for _, s := range c.Subs {
			add(s, c)
		}
	}
	for _, c := range top {
		add(c, nil)
	}
	return t
}

// size is the number of permission bits (commands and subcommands).
func (t *Table) size() int { return len(t.all) }

// Lookup finds "cmd" or "cmd|sub" (case-insensitive) like Redis's
// lookupCommandBySds: a name with more than one '|', or a subcommand of a
// command without subcommands, is not found.
func (t *Table) Lookup(name string) *Command {
	name = strings.ToLower(name)
	base, sub, isSub := strings.Cut(name, "|")
	c := t.byName[base]
	if c == nil || c.parent != nil {
		return nil
	}
	if !isSub {
		return c
	}
	if strings.Contains(sub, "|") || len(c.Subs) == 0 {
		return nil
	}
	return t.byName[name]
}
