package sentinelproto

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/acl"
)

// ACL subcommands, answered from the acl package's registry with Redis
// 7.0's replies and texts. Changes are this node's only (as in Sentinel);
// see docs/divergence.md.

const errTextNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func (x *cmdCtx) aclUsage() {
	x.r.err("ERR unknown subcommand or wrong number of arguments for '" + cstr(x.args[1], 128) + "'. Try ACL HELP.")
}

func cmdACLWhoami(x *cmdCtx) {
	x.r.bulk(x.c.User().Name())
}

func cmdACLUsers(x *cmdCtx) { x.r.bulks(x.s.acl.Names()) }

func cmdACLList(x *cmdCtx) { x.r.bulks(x.s.acl.List()) }

// ACL CAT [category]
func cmdACLCat(x *cmdCtx) {
	switch len(x.args) {
	case 2:
		x.r.bulks(acl.Categories)
	case 3:
		cat := x.arg(2)
		if !acl.IsCategory(cat) {
			x.r.err("ERR Unknown category '" + cstr(x.args[2], 128) + "'")
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
	u, ok := x.s.acl.GetUser(x.arg(2))
	if !ok {
		x.r.nullBulk()
		return
	}
	x.r.mapLen(6)
	x.r.bulk("flags")
	x.r.setLen(len(u.Flags))
	for _, f := range u.Flags {
		x.r.bulk(f)
	}
	x.r.bulk("passwords")
	x.r.bulks(u.Passwords)
	x.r.selectorInfo(u.Root)
	x.r.bulk("selectors")
	x.r.array(len(u.Selectors))
	for _, s := range u.Selectors {
		x.r.mapLen(3)
		x.r.selectorInfo(s)
	}
}

func (r reply) selectorInfo(s acl.SelectorInfo) {
	for _, kv := range [][2]string{{"commands", s.Commands}, {"keys", s.Keys}, {"channels", s.Channels}} {
		r.bulk(kv[0])
		r.bulk(kv[1])
	}
}

// ACL SETUSER username [rule ...]
func cmdACLSetUser(x *cmdCtx) {
	ops := make([]string, 0, len(x.args)-3)
	for _, a := range x.args[3:] {
		ops = append(ops, string(a))
	}
	u, existed, err := x.s.acl.SetUser(x.arg(2), ops)
	if err != nil {
		x.r.err("ERR " + err.Error())
		return
	}
	if existed {
		x.s.dropSubscribers(x.c, u)
	}
	x.s.log.Info("acl user changed", zap.String("user", u.Name()), zap.Uint64("client", x.c.ID()))
	x.r.ok()
}

// ACL DELUSER username [username ...]
func cmdACLDelUser(x *cmdCtx) {
	names := make([]string, 0, len(x.args)-2)
	for _, a := range x.args[2:] {
		names = append(names, string(a))
	}
	gone, err := x.s.acl.DelUsers(names)
	if err != nil {
		x.r.err("ERR " + err.Error())
		return
	}
	x.s.dropUsers(x.c, gone)
	x.r.int(int64(len(gone)))
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

// ACL LOG [count | RESET]
func cmdACLLog(x *cmdCtx) {
	count := int64(10)
	switch {
	case len(x.args) == 2:
	case len(x.args) == 3 && x.argIs(2, "reset"):
		x.s.aclLog.Reset()
		x.r.ok()
		return
	case len(x.args) == 3:
		n, ok := parseLong(x.args[2])
		if !ok {
			x.r.err(errTextNotInteger)
			return
		}
		count = max(n, 0)
	default:
		x.aclUsage()
		return
	}
	entries := x.s.aclLog.Entries(int(min(count, 1<<20)))
	now := time.Now()
	x.r.array(len(entries))
	for _, e := range entries {
		x.r.mapLen(7)
		x.r.bulk("count")
		x.r.int(e.Count)
		x.r.bulk("reason")
		x.r.bulk(string(e.Reason))
		x.r.bulk("context")
		x.r.bulk(e.Context)
		x.r.bulk("object")
		x.r.bulk(e.Object)
		x.r.bulk("username")
		x.r.bulk(e.Username)
		x.r.bulk("age-seconds")
		x.r.double(float64(now.Sub(e.Time).Milliseconds()) / 1000)
		x.r.bulk("client-info")
		x.r.bulk(e.ClientInfo)
	}
}

// ACL DRYRUN username command [arg ...]: the verdict is a bulk string.
func cmdACLDryRun(x *cmdCtx) {
	u := x.s.acl.User(x.arg(2))
	if u == nil {
		x.r.err("ERR User '" + x.arg(2) + "' not found")
		return
	}
	c, _ := x.s.lookup(x.args[3:])
	if c == nil || c.aclc == nil {
		x.r.err("ERR Command '" + x.arg(3) + "' not found")
		return
	}
	argv := x.args[3:]
	switch v, pos := x.s.acl.Check(u, c.aclc, argv); v {
	case acl.Allowed:
		x.r.ok()
	case acl.DeniedChannel:
		x.r.bulk("This user has no permissions to access the '" + string(argv[pos]) + "' channel")
	case acl.DeniedKey:
		x.r.bulk("This user has no permissions to access the '" + string(argv[pos]) + "' key")
	default:
		x.r.bulk("This user has no permissions to run the '" + c.name + "' command")
	}
}

// ACL LOAD
func cmdACLLoad(x *cmdCtx) {
	if x.s.cfg.ACLFile == "" {
		x.r.err(errTextNoACLFile)
		return
	}
	gone, err := x.s.acl.LoadFile(x.s.cfg.Path(x.s.cfg.ACLFile))
	var le *acl.LoadError
	switch {
	case errors.As(err, &le):
		x.r.err("ERR " + strings.ReplaceAll(le.Msg, "\n", " "))
		return
	case err != nil:
		x.r.err("ERR " + err.Error())
		return
	}
	x.s.dropUsers(x.c, gone)
	x.s.log.Info("acl file loaded", zap.String("file", x.s.cfg.ACLFile))
	x.r.ok()
}

// ACL SAVE
func cmdACLSave(x *cmdCtx) {
	if x.s.cfg.ACLFile == "" {
		x.r.err(errTextNoACLFile)
		return
	}
	if err := x.s.acl.SaveFile(x.s.cfg.Path(x.s.cfg.ACLFile)); err != nil {
		x.s.log.Warn("ACL SAVE failed", zap.String("file", x.s.cfg.ACLFile), zap.Error(err))
		x.r.err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	x.r.ok()
}
