package sentinelproto

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// ACL, minimal: raftinel knows the default user only, whose password is
// requirepass. Users, selectors and the ACL log come with full ACL support.

// errTextACLUnsupported (raftinel) answers ACL subcommands that would need
// users other than default.
const errTextACLUnsupported = "ERR ACL users are not supported yet: raftinel only has the default user (requirepass)"

const errTextNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// aclCategories is ACL CAT's list in Redis order.
var aclCategories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting",
}

func (x *cmdCtx) aclUsage() {
	x.r.err("ERR unknown subcommand or wrong number of arguments for '" + cstr(x.args[1], 128) + "'. Try ACL HELP.")
}

// passHash is the default user's password as ACL shows it.
func (s *Server) passHash() string {
	sum := sha256.Sum256([]byte(s.cfg.RequirePass))
	return hex.EncodeToString(sum[:])
}

func cmdACLWhoami(x *cmdCtx) { x.r.bulk("default") }

func cmdACLUsers(x *cmdCtx) { x.r.bulks([]string{"default"}) }

func cmdACLList(x *cmdCtx) {
	pass := "nopass"
	if x.s.cfg.RequirePass != "" {
		pass = "#" + x.s.passHash()
	}
	x.r.bulks([]string{"user default on " + pass + " ~* &* +@all"})
}

// ACL CAT [category]
func cmdACLCat(x *cmdCtx) {
	switch len(x.args) {
	case 2:
		x.r.bulks(aclCategories)
	case 3:
		cat := x.arg(2)
		known := false
		for _, c := range aclCategories {
			known = known || c == cat
		}
		if !known {
			x.r.err("ERR Unknown category '" + cat + "'")
			return
		}
		var names []string
		for _, c := range x.s.allCommands() {
			if c.inCategory(cat) {
				names = append(names, c.name)
			}
		}
		x.r.bulks(names)
	default:
		x.aclUsage()
	}
}

// ACL GETUSER username
func cmdACLGetUser(x *cmdCtx) {
	if x.arg(2) != "default" {
		x.r.nullBulk()
		return
	}
	flags, passwords := []string{"on", "nopass"}, []string{}
	if x.s.cfg.RequirePass != "" {
		flags, passwords = []string{"on"}, []string{x.s.passHash()}
	}
	x.r.mapLen(6)
	x.r.bulk("flags")
	x.r.setLen(len(flags))
	for _, f := range flags {
		x.r.bulk(f)
	}
	x.r.bulk("passwords")
	x.r.bulks(passwords)
	for _, kv := range [][2]string{{"commands", "+@all"}, {"keys", "~*"}, {"channels", "&*"}} {
		x.r.bulk(kv[0])
		x.r.bulk(kv[1])
	}
	x.r.bulk("selectors")
	x.r.array(0)
}

// ACL GENPASS [bits]
func cmdACLGenPass(x *cmdCtx) {
	bits := int64(256)
	switch len(x.args) {
	case 2:
	case 3:
		n, ok := parseLong(x.args[2])
		if !ok {
			x.r.err(errTextNotInteger)
			return
		}
		if n <= 0 || n > 4096 {
			x.r.err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	default:
		x.aclUsage()
		return
	}
	chars := int((bits + 3) / 4)
	buf := make([]byte, (chars+1)/2)
	_, _ = rand.Read(buf)
	x.r.bulk(hex.EncodeToString(buf)[:chars])
}

// ACL LOG [count | RESET]: nothing is recorded yet.
func cmdACLLog(x *cmdCtx) {
	switch {
	case len(x.args) == 2:
	case len(x.args) == 3 && x.argIs(2, "reset"):
		x.r.ok()
		return
	case len(x.args) == 3:
		if _, ok := parseLong(x.args[2]); !ok {
			x.r.err(errTextNotInteger)
			return
		}
	default:
		x.aclUsage()
		return
	}
	x.r.array(0)
}

// ACL DRYRUN username command [arg ...]
func cmdACLDryRun(x *cmdCtx) {
	if x.arg(2) != "default" {
		x.r.err("ERR User '" + x.arg(2) + "' not found")
		return
	}
	if c, _ := x.s.lookup(x.args[3:]); c == nil {
		x.r.err("ERR Command '" + x.arg(3) + "' not found")
		return
	}
	x.r.ok()
}

// ACL DELUSER username [username ...]
func cmdACLDelUser(x *cmdCtx) {
	for _, a := range x.args[2:] {
		if string(a) == "default" {
			x.r.err("ERR The 'default' user cannot be removed")
			return
		}
	}
	x.r.int(0)
}

func cmdACLUnsupported(x *cmdCtx) { x.r.err(errTextACLUnsupported) }

// ACL LOAD / ACL SAVE
func cmdACLNoFile(x *cmdCtx) {
	if x.s.cfg.ACLFile == "" {
		x.r.err(errTextNoACLFile)
		return
	}
	x.r.err(errTextACLUnsupported)
}
