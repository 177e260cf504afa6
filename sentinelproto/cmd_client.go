package sentinelproto

import (
	"fmt"
	"strings"
	"time"

	"github.com/raftinel/raftinel/acl"
)

func cmdClientID(x *cmdCtx) { x.r.int(int64(x.c.id)) }

func cmdClientSetName(x *cmdCtx) {
	if !validClientName(x.args[2]) {
		x.r.err(errTextClientName)
		return
	}
	x.c.mu.Lock()
	x.c.name = x.arg(2)
	x.c.mu.Unlock()
	x.r.ok()
}

// CLIENT SETINFO <lib-name|lib-ver> <value> (Redis 7.2): shown in CLIENT
// LIST and CLIENT INFO; an empty value clears it.
func cmdClientSetInfo(x *cmdCtx) {
	var dst *string
	switch {
	case x.argIs(2, "lib-name"):
		dst = &x.c.libName
	case x.argIs(2, "lib-ver"):
		dst = &x.c.libVer
	default:
		x.r.err("ERR Unrecognized option '" + cstr(x.args[2], -1) + "'")
		return
	}
	if !validClientName(x.args[3]) {
		x.r.err("ERR " + cstr(x.args[2], -1) + " cannot contain spaces, newlines or special characters.")
		return
	}
	x.c.mu.Lock()
	*dst = x.arg(3)
	x.c.mu.Unlock()
	x.r.ok()
}

func cmdClientGetName(x *cmdCtx) {
	x.c.mu.Lock()
	name := x.c.name
	x.c.mu.Unlock()
	if name == "" {
		x.r.nullBulk()
		return
	}
	x.r.bulk(name)
}

// clientType is Redis's getClientType for the clients a Sentinel has.
func (c *client) clientType() string {
	if c.subCount() > 0 {
		return "pubsub"
	}
	return "normal"
}

// infoLine renders one CLIENT LIST line like Redis 7.2 (catClientInfoString):
// 7.0's fields, then lib-name and lib-ver.
func (c *client) infoLine(now time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	flags := ""
	if c.subCount() > 0 {
		flags += "P"
	}
	if c.track.on {
		flags += "t"
		if c.track.bcast {
			flags += "B"
		}
	}
	if c.noEvict {
		flags += "e"
	}
	if flags == "" {
		flags = "N"
	}
	redir := int64(-1)
	if c.track.on {
		redir = c.track.redirect
	}
	cmd := c.lastCmd
	if cmd == "" {
		cmd = "NULL"
	}
	qbuf, rbs := c.qbuf, c.rbs
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 multi=-1 qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=0 rbs=%d rbp=%d obl=0 oll=0 omem=0 tot-mem=%d events=r cmd=%s user=%s redir=%d resp=%d lib-name=%s lib-ver=%s",
		c.id, c.raddr, c.laddr, c.fd, c.name, int64(now.Sub(c.created).Seconds()), int64(now.Sub(c.lastAct).Seconds()),
		flags, len(c.chans), len(c.pats), qbuf, rbs-qbuf, c.argvMem, rbs, rbs, rbs+c.argvMem,
		cmd, c.user.Name(), redir, c.proto, c.libName, c.libVer)
}

func cmdClientInfo(x *cmdCtx) { x.r.verbatim(x.c.infoLine(time.Now()) + "\n") }

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
	for _, c := range x.s.clientList() {
		if ids != nil && !ids[int64(c.id)] {
			continue
		}
		if typ != "" && !sameType(c, typ) {
			continue
		}
		b.WriteString(c.infoLine(now))
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

func sameType(c *client, typ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientType() == typ
}

// CLIENT KILL <ip:port> | CLIENT KILL <filter> <value> ...
func cmdClientKill(x *cmdCtx) {
	if len(x.args) == 3 {
		addr := x.arg(2)
		for _, c := range x.s.clientList() {
			if c.raddr == addr {
				x.s.killClient(x.c, c)
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
	for _, c := range x.s.clientList() {
		c.mu.Lock()
		cu := c.user
		c.mu.Unlock()
		if (id != 0 && int64(c.id) != id) || (addr != "" && c.raddr != addr) || (user != nil && cu != user) ||
			(laddr != "" && c.laddr != laddr) || (hasType && !sameType(c, typ)) ||
			(skipme && c == x.c) {
			continue
		}
		x.s.killClient(x.c, c)
		killed++
	}
	x.r.int(int64(killed))
}

// killClient closes c; the calling client itself is closed after its reply.
func (s *Server) killClient(self, c *client) {
	if c == self {
		c.mu.Lock()
		c.closeAfter = true
		c.mu.Unlock()
		return
	}
	c.close()
}

// CLIENT REPLY ON|OFF|SKIP
func cmdClientReply(x *cmdCtx) {
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case x.argIs(2, "on"):
		c.replyOff, c.skipThis, c.skipNext = false, false, false
		x.r.ok()
	case x.argIs(2, "off"):
		c.replyOff = true
	case x.argIs(2, "skip"):
		if !c.replyOff {
			c.skipNext = true
		}
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
	x.c.mu.Lock()
	x.c.noEvict = on
	x.c.mu.Unlock()
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
	x.s.pause.set(time.Now().Add(time.Duration(ms)*time.Millisecond), all)
	x.r.ok()
}

func cmdClientUnpause(x *cmdCtx) {
	x.s.pause.set(time.Time{}, false)
	x.r.ok()
}

func cmdClientHelp(x *cmdCtx) { x.r.simples(clientHelp) }
