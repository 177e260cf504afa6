package sentinelproto

import (
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/resp"
	"go.uber.org/zap"
)

const (
	errTextAuthNoPass = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errTextHelloAuth  = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errTextClientName = "ERR Client names cannot contain spaces, newlines or special characters."
)

// PING [message]
func cmdPing(x *cmdCtx) {
	if len(x.args) > 2 {
		x.r.err("ERR wrong number of arguments for 'ping' command")
		return
	}
	sub := x.c.Proto() == 2 && x.c.SubCount() > 0
	switch {
	case sub:
		x.r.array(2)
		x.r.bulk("pong")
		if len(x.args) == 2 {
			x.r.bulkBytes(x.args[1])
		} else {
			x.r.bulk("")
		}
	case len(x.args) == 2:
		x.r.bulkBytes(x.args[1])
	default:
		x.r.simple("PONG")
	}
}

// ROLE -> ["sentinel", [master names]]
func cmdRole(x *cmdCtx) {
	var names []string
	x.s.o.Cluster.Read(func(st *model.State) { names = st.MasterNames() })
	x.r.array(2)
	x.r.bulk("sentinel")
	x.r.bulks(names)
}

// AUTH [username] password
func cmdAuth(x *cmdCtx) {
	if len(x.args) > 3 {
		x.r.err(errTextSyntax)
		return
	}
	user, pass := "default", x.arg(1)
	if len(x.args) == 3 {
		user, pass = x.arg(1), x.arg(2)
	} else if x.s.acl.DefaultNoPass() {
		x.r.err(errTextAuthNoPass)
		return
	}
	if !x.s.authenticate(x, user, pass) {
		x.r.err(errTextWrongPass)
		return
	}
	x.r.ok()
}

// validClientName is Redis's clientSetName check.
func validClientName(b []byte) bool {
	for _, c := range b {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
func cmdHello(x *cmdCtx) {
	ver := int64(0)
	next := 1
	if len(x.args) >= 2 {
		v, ok := parseLong(x.args[1])
		if !ok {
			x.r.err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			x.r.err("NOPROTO unsupported protocol version")
			return
		}
		ver, next = v, 2
	}
	var user, pass, name []byte
	auth, setname := false, false
	for j := next; j < len(x.args); j++ {
		more := len(x.args) - 1 - j
		switch {
		case x.argIs(j, "AUTH") && more >= 2:
			auth, user, pass = true, x.args[j+1], x.args[j+2]
			j += 2
		case x.argIs(j, "SETNAME") && more >= 1:
			setname, name = true, x.args[j+1]
			j++
		default:
			x.r.err("ERR Syntax error in HELLO option '" + cstr(x.args[j], -1) + "'")
			return
		}
	}
	c := x.c
	if auth && !x.s.authenticate(x, string(user), string(pass)) {
		x.r.err(errTextWrongPass)
		return
	}
	if !c.Authed() && x.s.acl.AuthRequired() {
		x.r.err(errTextHelloAuth)
		return
	}
	if setname {
		if !validClientName(name) {
			x.r.err(errTextClientName)
			return
		}
		c.UpdateSession(func(s *resp.Session) { s.Name = string(name) })
	}
	if ver != 0 {
		c.SetProto(int(ver))
	}
	x.r.SetProto(c.Proto())
	x.r.mapLen(6)
	x.r.bulk("server")
	x.r.bulk("redis")
	x.r.bulk("version")
	x.r.bulk(x.s.o.Version)
	x.r.bulk("proto")
	x.r.int(int64(c.Proto()))
	x.r.bulk("id")
	x.r.int(int64(c.ID()))
	x.r.bulk("mode")
	x.r.bulk("sentinel")
	x.r.bulk("modules")
	x.r.array(0)
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: Sentinel never saves; the
// node exits through Options.Shutdown and the connection is closed.
func cmdShutdown(x *cmdCtx) {
	abort, save, nosave, other := false, false, false, false
	for i := 1; i < len(x.args); i++ {
		switch {
		case x.argIs(i, "nosave"):
			nosave = true
		case x.argIs(i, "save"):
			save = true
		case x.argIs(i, "now"), x.argIs(i, "force"):
			other = true
		case x.argIs(i, "abort"):
			abort = true
		default:
			x.r.err(errTextSyntax)
			return
		}
	}
	if (abort && (save || nosave || other)) || (save && nosave) {
		x.r.err(errTextSyntax)
		return
	}
	if abort {
		x.r.err("ERR No shutdown in progress.")
		return
	}
	if x.s.o.Shutdown == nil {
		x.r.err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	x.s.log.Warn("SHUTDOWN requested by a client", zap.Uint64("client", x.c.ID()), zap.String("addr", x.c.RemoteAddr()))
	x.c.CloseAfterReply()
	go x.s.o.Shutdown()
}
