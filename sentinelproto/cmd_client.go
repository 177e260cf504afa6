package sentinelproto

import (
	"strings"
	"time"

	"github.com/raftinel/raftinel/acl"
	"github.com/raftinel/raftinel/resp"
)

func cmdClientID(x *cmdCtx) { x.r.int(int64(x.c.ID())) }

func cmdClientSetName(x *cmdCtx) {
	if !validClientName(x.args[2]) {
		x.r.err(errTextClientName)
		return
	}
	name := x.arg(2)
	x.c.UpdateSession(func(s *resp.Session) { s.Name = name })
	x.r.ok()
}

// CLIENT SETINFO <lib-name|lib-ver> <value> (Redis 7.2): shown in CLIENT
// LIST and CLIENT INFO; an empty value clears it.
func cmdClientSetInfo(x *cmdCtx) {
	var set func(s *resp.Session, v string)
	switch {
	case x.argIs(2, "lib-name"):
		set = func(s *resp.Session, v string) { s.LibName = v }
	case x.argIs(2, "lib-ver"):
		set = func(s *resp.Session, v string) { s.LibVer = v }
	default:
		x.r.err("ERR Unrecognized option '" + cstr(x.args[2], -1) + "'")
		return
	}
	if !validClientName(x.args[3]) {
		x.r.err("ERR " + cstr(x.args[2], -1) + " cannot contain spaces, newlines or special characters.")
		return
	}
	v := x.arg(3)
	x.c.UpdateSession(func(s *resp.Session) { set(s, v) })
	x.r.ok()
}

func cmdClientGetName(x *cmdCtx) {
	name := x.c.Session().Name
	if name == "" {
		x.r.nullBulk()
		return
	}
	x.r.bulk(name)
}

func cmdClientInfo(x *cmdCtx) { x.r.verbatim(x.c.Info(time.Now()) + "\n") }

// CLIENT LIST [TYPE normal|master|replica|pubsub] | [ID id ...]
func cmdClientList(x *cmdCtx) {
	var typ string
	var ids map[int64]bool
	switch {
	case len(x.args) == 4 && x.argIs(2, "type"):
		typ = strings.ToLower(x.arg(3))
		if !validClientType(typ) {
			x.r.err("ERR Unknown client type '" + x.arg(3) + "'")
			return
		}
	case len(x.args) >= 4 && x.argIs(2, "id"):
		ids = map[int64]bool{}
		for _, a := range x.args[3:] {
			id, ok := parseLong(a)
			if !ok || id < 0 {
				x.r.err("ERR Invalid client ID")
				return
			}
			ids[id] = true
		}
	case len(x.args) != 2:
		x.r.err(errTextSyntax)
		return
	}
	now := time.Now()
	var b strings.Builder
	for _, c := range x.s.rs.Clients() {
		if ids != nil && !ids[int64(c.ID())] {
			continue
		}
		if typ != "" && !sameType(c, typ) {
			continue
		}
		b.WriteString(c.Info(now))
		b.WriteByte('\n')
	}
	x.r.verbatim(b.String())
}

func validClientType(t string) bool {
	switch t {
	case "normal", "master", "replica", "slave", "pubsub":
		return true
	}
	return false
}

func sameType(c *resp.Conn, typ string) bool { return c.Type() == typ }

// CLIENT KILL <ip:port> | CLIENT KILL <filter> <value> ...
func cmdClientKill(x *cmdCtx) {
	if len(x.args) == 3 {
		addr := x.arg(2)
		for _, c := range x.s.rs.Clients() {
			if c.RemoteAddr() == addr {
				x.s.rs.Kill(x.c, c)
				x.r.ok()
				return
			}
		}
		x.r.err("ERR No such client")
		return
	}
	if len(x.args)%2 != 0 {
		x.r.err(errTextSyntax)
		return
	}
	var (
		id               int64
		typ, addr, laddr string
		skipme           = true
		hasType          bool
		user             *acl.User
	)
	for i := 2; i < len(x.args); i += 2 {
		val := x.arg(i + 1)
		switch {
		case x.argIs(i, "id"):
			n, ok := parseLong(x.args[i+1])
			if !ok || n <= 0 {
				x.r.err("ERR client-id should be greater than 0")
				return
			}
			id = n
		case x.argIs(i, "type"):
			typ, hasType = strings.ToLower(val), true
			if !validClientType(typ) {
				x.r.err("ERR Unknown client type '" + val + "'")
				return
			}
		case x.argIs(i, "addr"):
			addr = val
		case x.argIs(i, "laddr"):
			laddr = val
		case x.argIs(i, "user"):
			if user = x.s.acl.User(val); user == nil {
				x.r.err("ERR No such user '" + val + "'")
				return
			}
		case x.argIs(i, "skipme"):
			switch {
			case strings.EqualFold(val, "yes"):
				skipme = true
			case strings.EqualFold(val, "no"):
				skipme = false
			default:
				x.r.err(errTextSyntax)
				return
			}
		default:
			x.r.err(errTextSyntax)
			return
		}
	}
	killed := 0
	for _, c := range x.s.rs.Clients() {
		cu := c.User()
		if (id != 0 && int64(c.ID()) != id) || (addr != "" && c.RemoteAddr() != addr) || (user != nil && cu != resp.User(user)) ||
			(laddr != "" && c.LocalAddr() != laddr) || (hasType && !sameType(c, typ)) ||
			(skipme && c == x.c) {
			continue
		}
		x.s.rs.Kill(x.c, c)
		killed++
	}
	x.r.int(int64(killed))
}

// CLIENT REPLY ON|OFF|SKIP
func cmdClientReply(x *cmdCtx) {
	switch {
	case x.argIs(2, "on"):
		x.c.SetReplyMode(resp.ReplyOn)
		x.r.ok()
	case x.argIs(2, "off"):
		x.c.SetReplyMode(resp.ReplyOff)
	case x.argIs(2, "skip"):
		x.c.SetReplyMode(resp.ReplySkip)
	default:
		x.r.err(errTextSyntax)
	}
}

func cmdClientNoEvict(x *cmdCtx) {
	on := x.argIs(2, "on")
	if !on && !x.argIs(2, "off") {
		x.r.err(errTextSyntax)
		return
	}
	x.c.UpdateSession(func(s *resp.Session) { s.NoEvict = on })
	x.r.ok()
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: nothing ever blocks in Sentinel.
func cmdClientUnblock(x *cmdCtx) {
	if _, ok := parseLong(x.args[2]); !ok {
		x.r.err(errTextNotInteger)
		return
	}
	if len(x.args) == 4 && !x.argIs(3, "timeout") && !x.argIs(3, "error") {
		x.r.err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		return
	}
	if len(x.args) > 4 {
		x.r.err(errTextSyntax)
		return
	}
	x.r.int(0)
}

// CLIENT PAUSE timeout [WRITE|ALL]: ALL holds every client's commands;
// Sentinel has no write commands, so WRITE holds nothing.
func cmdClientPause(x *cmdCtx) {
	ms, ok := parseLong(x.args[2])
	if !ok {
		x.r.err("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		x.r.err("ERR timeout is negative")
		return
	}
	all := true
	if len(x.args) == 4 {
		switch {
		case x.argIs(3, "write"):
			all = false
		case x.argIs(3, "all"):
		default:
			x.r.err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(x.args) > 4 {
		x.r.err(errTextSyntax)
		return
	}
	x.s.rs.Pause(time.Now().Add(time.Duration(ms)*time.Millisecond), all)
	x.r.ok()
}

func cmdClientUnpause(x *cmdCtx) {
	x.s.rs.Pause(time.Time{}, false)
	x.r.ok()
}

func cmdClientHelp(x *cmdCtx) { x.r.simples(clientHelp) }
