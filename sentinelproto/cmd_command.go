package sentinelproto

import (
	"strings"

	"github.com/raftinel/raftinel/internal/glob"
)

// COMMAND and its subcommands, answered from the command table.

// allCommands lists every command and subcommand in table order.
func (s *Server) allCommands() []*command {
	var out []*command
	for _, c := range s.order {
		out = append(out, c)
		out = append(out, c.subs...)
	}
	return out
}

// findCommand resolves "name" or "container|sub", case-insensitively.
func (s *Server) findCommand(name string) *command {
	name = strings.ToLower(name)
	base, sub, isSub := strings.Cut(name, "|")
	c := s.commands[base]
	if c == nil || !isSub {
		return c
	}
	return c.subIndex[sub]
}

func (r *reply) commandInfo(c *command) {
	r.array(10)
	r.bulk(c.name)
	r.int(int64(c.arity))
	r.setLen(len(c.flags))
	for _, f := range c.flags {
		r.simple(f)
	}
	r.int(0)
	r.int(0)
	r.int(0)
	r.setLen(len(c.acl))
	for _, a := range c.acl {
		r.simple(a)
	}
	r.setLen(len(c.tips))
	for _, t := range c.tips {
		r.bulk(t)
	}
	r.setLen(0) // key specs: no Sentinel command has keys
	if len(c.subs) == 0 {
		r.setLen(0)
		return
	}
	r.array(len(c.subs))
	for _, sc := range c.subs {
		r.commandInfo(sc)
	}
}

// COMMAND
func cmdCommandAll(x *cmdCtx) {
	x.r.array(len(x.s.order))
	for _, c := range x.s.order {
		x.r.commandInfo(c)
	}
}

// COMMAND COUNT
func cmdCommandCount(x *cmdCtx) { x.r.int(int64(len(x.s.order))) }

// COMMAND INFO [name ...]
func cmdCommandInfo(x *cmdCtx) {
	if len(x.args) == 2 {
		cmdCommandAll(x)
		return
	}
	x.r.array(len(x.args) - 2)
	for _, a := range x.args[2:] {
		if c := x.s.findCommand(string(a)); c != nil {
			x.r.commandInfo(c)
		} else {
			x.r.nullBulk()
		}
	}
}

// COMMAND DOCS [name ...] (cmd_docs.go); unknown names are skipped.
func cmdCommandDocs(x *cmdCtx) {
	var cs []*command
	if len(x.args) == 2 {
		cs = x.s.order
	} else {
		for _, a := range x.args[2:] {
			if c := x.s.findCommand(string(a)); c != nil && c.doc != nil {
				cs = append(cs, c)
			}
		}
	}
	x.r.mapLen(len(cs))
	for _, c := range cs {
		x.r.bulk(c.name)
		x.r.commandDocs(c)
	}
}

// COMMAND LIST [FILTERBY MODULE m | ACLCAT c | PATTERN p]
func cmdCommandList(x *cmdCtx) {
	keep := func(*command) bool { return true }
	switch {
	case len(x.args) == 2:
	case len(x.args) == 5 && x.argIs(2, "filterby"):
		val := x.arg(4)
		switch {
		case x.argIs(3, "module"):
			keep = func(*command) bool { return false }
		case x.argIs(3, "aclcat"):
			keep = func(c *command) bool { return c.inCategory(val) }
		case x.argIs(3, "pattern"):
			keep = func(c *command) bool { return glob.MatchFold(val, c.name) }
		default:
			x.r.err(errTextSyntax)
			return
		}
	default:
		x.r.err(errTextSyntax)
		return
	}
	var names []string
	for _, c := range x.s.allCommands() {
		if keep(c) {
			names = append(names, c.name)
		}
	}
	x.r.bulks(names)
}

func (c *command) inCategory(cat string) bool {
	for _, a := range c.acl {
		if strings.EqualFold(a, "@"+cat) {
			return true
		}
	}
	return false
}

// COMMAND GETKEYS / GETKEYSANDFLAGS: no Sentinel command has keys.
func cmdCommandGetKeys(x *cmdCtx) {
	if c, _ := x.s.lookup(x.args[2:]); c == nil {
		x.r.err("ERR Invalid command specified")
		return
	}
	x.r.err("ERR The command has no key arguments")
}
