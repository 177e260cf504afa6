package sentinelproto

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"strings"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/acl"
	"github.com/raftinel/raftinel/resp"
)

// command is one entry of the command table (cmdtable.go).
type command struct {
	name     string // full name, lower case: "ping", "sentinel|set"
	arity    int    // Redis arity: n exact, -n at least n
	flags    []string
	acl      []string
	tips     []string
	doc      *cmdDoc // COMMAND DOCS (commanddocs.json)
	subs     []*command
	subIndex map[string]*command // by the part after '|'
	parent   *command
	fn       func(*cmdCtx)
	aclc     *acl.Command // the command as the ACL registry knows it
	blocks   bool         // always runs detached (blockingCommands)
	showsAdr bool         // renders stored hosts (showsAddresses)
}

func (c *command) has(flag string) bool {
	for _, f := range c.flags {
		if f == flag {
			return true
		}
	}
	return false
}

// arityOK applies Redis's arity rule to argc (command name included).
func (c *command) arityOK(argc int) bool {
	if c.arity > 0 {
		return argc == c.arity
	}
	return argc >= -c.arity
}

// handlers binds the table to code. A command without a handler would be a
// bug; indexCommands panics at start-up so tests catch it.
var handlers = map[string]func(*cmdCtx){
	"ping": cmdPing, "auth": cmdAuth, "hello": cmdHello, "info": cmdInfo, "role": cmdRole,
	"publish": cmdPublish, "subscribe": cmdSubscribe, "unsubscribe": cmdUnsubscribe,
	"psubscribe": cmdPsubscribe, "punsubscribe": cmdPunsubscribe, "shutdown": cmdShutdown,

	"command": cmdCommandAll, "command|count": cmdCommandCount, "command|list": cmdCommandList,
	"command|info": cmdCommandInfo, "command|docs": cmdCommandDocs, "command|getkeys": cmdCommandGetKeys,
	"command|getkeysandflags": cmdCommandGetKeys, "command|help": cmdCommandHelp,

	"client|id": cmdClientID, "client|setname": cmdClientSetName, "client|getname": cmdClientGetName,
	"client|info": cmdClientInfo, "client|list": cmdClientList, "client|kill": cmdClientKill,
	"client|reply": cmdClientReply, "client|tracking": cmdClientTracking,
	"client|trackinginfo": cmdClientTrackingInfo, "client|caching": cmdClientCaching,
	"client|getredir": cmdClientGetRedir, "client|unblock": cmdClientUnblock,
	"client|no-evict": cmdClientNoEvict, "client|pause": cmdClientPause,
	"client|unpause": cmdClientUnpause, "client|help": cmdClientHelp, "client|setinfo": cmdClientSetInfo,

	"acl|whoami": cmdACLWhoami, "acl|users": cmdACLUsers, "acl|list": cmdACLList, "acl|cat": cmdACLCat,
	"acl|getuser": cmdACLGetUser, "acl|genpass": cmdACLGenPass, "acl|log": cmdACLLog,
	"acl|dryrun": cmdACLDryRun, "acl|deluser": cmdACLDelUser, "acl|setuser": cmdACLSetUser,
	"acl|load": cmdACLLoad, "acl|save": cmdACLSave, "acl|help": cmdACLHelp,

	"sentinel|masters": cmdSentinelMasters, "sentinel|master": cmdSentinelMaster,
	"sentinel|replicas": cmdSentinelReplicas, "sentinel|slaves": cmdSentinelReplicas,
	"sentinel|sentinels": cmdSentinelSentinels, "sentinel|get-master-addr-by-name": cmdSentinelGetAddr,
	"sentinel|myid": cmdSentinelMyID, "sentinel|ckquorum": cmdSentinelCkquorum,
	"sentinel|info-cache": cmdSentinelInfoCache, "sentinel|pending-scripts": cmdSentinelPendingScripts,
	"sentinel|help": cmdSentinelHelp, "sentinel|monitor": cmdSentinelMonitor,
	"sentinel|remove": cmdSentinelRemove, "sentinel|set": cmdSentinelSet, "sentinel|reset": cmdSentinelReset,
	"sentinel|failover": cmdSentinelFailover, "sentinel|flushconfig": cmdSentinelFlushConfig,
	"sentinel|config": cmdSentinelConfig, "sentinel|is-master-down-by-addr": cmdSentinelIsMasterDown,
	"sentinel|simulate-failure": cmdSentinelSimulateFailure, "sentinel|debug": cmdSentinelDebug,
	// Valkey 8 spellings, answered exactly as the master ones.
	"sentinel|primaries": cmdSentinelMasters, "sentinel|primary": cmdSentinelMaster,
	"sentinel|get-primary-addr-by-name": cmdSentinelGetAddr, "sentinel|is-primary-down-by-addr": cmdSentinelIsMasterDown,
}

// indexCommands attaches handlers and builds the lookup maps.
func indexCommands(order []*command) map[string]*command {
	idx := map[string]*command{}
	var bind func(c *command)
	bind = func(c *command) {
		c.fn = handlers[c.name]
		c.blocks = blockingCommands[c.name] || strings.HasPrefix(c.name, "raft|")
		c.showsAdr = showsAddresses[c.name]
		if c.fn == nil && len(c.subs) == 0 {
			panic("sentinelproto: no handler for " + c.name)
		}
		if len(c.subs) > 0 {
			c.subIndex = map[string]*command{}
			for _, sc := range c.subs {
				sc.parent = c
				c.subIndex[strings.TrimPrefix(sc.name, c.name+"|")] = sc
				bind(sc)
			}
		}
	}
	for _, c := range order {
		bind(c)
		idx[c.name] = c
	}
	return idx
}

// lookup finds the command for argv like Redis's lookupCommand: a container
// with at least one argument resolves to its subcommand.
func (s *Server) lookup(argv [][]byte) (*command, string) {
	var kb [32]byte
	base := s.commands[string(lowerASCII(kb[:0], argv[0]))]
	if base == nil {
		var args strings.Builder
		for i := 1; i < len(argv) && args.Len() < 128; i++ {
			fmt.Fprintf(&args, "'%s' ", cstr(argv[i], 128-args.Len()))
		}
		return nil, fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s",
			cstr(argv[0], 128), args.String())
	}
	if len(base.subs) == 0 || len(argv) == 1 {
		return base, ""
	}
	sub := base.subIndex[string(lowerASCII(kb[:0], argv[1]))]
	if sub == nil {
		return nil, fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.",
			cstr(argv[1], 128), strings.ToUpper(base.name))
	}
	return sub, ""
}

// lowerASCII appends b to dst with ASCII letters lowered: command names
// match case-insensitively like Redis's strcasecmp (ASCII only), and a
// caller's stack buffer makes the lookup allocation-free.
func lowerASCII(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// cstr renders an argument like C's "%.*s": up to the first NUL, at most max
// bytes.
func cstr(b []byte, max int) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if max >= 0 && len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// cmdCtx is one command being run.
type cmdCtx struct {
	s    *Server
	c    *resp.Conn
	cmd  *command
	args [][]byte
	r    reply
}

func (x *cmdCtx) arg(i int) string { return string(x.args[i]) }

func (x *cmdCtx) argIs(i int, word string) bool { return strings.EqualFold(string(x.args[i]), word) }

// fail replies the mapped error text of err.
func (x *cmdCtx) fail(err error) { x.r.err(errorText(err)) }

// session is the handler's per-connection state: the context of the
// command being run, reused from one command to the next (a connection
// runs one command at a time), so that running one allocates nothing, and
// the last command looked up with the exact bytes that named it (clients
// repeat the same command: comparing bytes is cheaper than lowering and
// hashing them again).
type session struct {
	x       cmdCtx
	last    *command
	a0, a1  []byte
	scratch []byte // a reply body being built (INFO), reused
	kvw     kv     // instance maps being built, reused
	// freshOK: the cluster was fresh for a command of batch freshBatch
	// (resp.Conn.Batch), which the batch's other commands reuse (fresh).
	freshOK    bool
	freshBatch uint64
}

// kv is the connection's reusable map builder, empty.
func (x *cmdCtx) kv() *kv {
	w := &x.ss().kvw
	w.b, w.n = w.b[:0], 0
	return w
}

// ss is the connection's session.
func (x *cmdCtx) ss() *session { return x.c.Data().(*session) }

// keepScratch keeps b's storage for the next reply unless it is large.
func (ss *session) keepScratch(b []byte) {
	if cap(b) <= 64<<10 {
		ss.scratch = b[:0]
	}
}

// cached returns the command args name if it is the last one looked up.
func (ss *session) cached(args [][]byte) *command {
	c := ss.last
	if c == nil || !bytes.Equal(args[0], ss.a0) {
		return nil
	}
	if c.parent == nil {
		return c
	}
	if len(args) >= 2 && bytes.Equal(args[1], ss.a1) {
		return c
	}
	return nil
}

// remember caches the lookup of args: leaf commands only (a container
// named alone resolves differently from one with a subcommand).
func (ss *session) remember(args [][]byte, c *command) {
	switch {
	case c.parent != nil:
		ss.a1 = append(ss.a1[:0], args[1]...)
	case len(c.subs) > 0:
		ss.last = nil
		return
	}
	ss.a0 = append(ss.a0[:0], args[0]...)
	ss.last = c
}

// pubsubAllowed are the commands a RESP2 subscriber may run.
var pubsubAllowed = map[string]bool{
	"ping": true, "subscribe": true, "unsubscribe": true, "psubscribe": true, "punsubscribe": true,
}

// ServeRESP runs one command (resp.Handler): processCommand's checks in
// Redis's order, then the handler.
func (s *Server) ServeRESP(c *resp.Conn, args [][]byte, r *resp.Reply) {
	ss := c.Data().(*session)
	x := &ss.x
	*x = cmdCtx{s: s, c: c, args: args, r: reply{r}}
	cmd := ss.cached(args)
	if cmd == nil {
		var msg string
		if cmd, msg = s.lookup(args); cmd == nil {
			x.r.err(msg)
			return
		}
		ss.remember(args, cmd)
	}
	if !cmd.arityOK(len(args)) {
		x.r.err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", cmd.name))
		return
	}
	// Before the checks, so that the ACL LOG's client info names it, as in Redis.
	c.SetCommand(&cmd.name)
	if !c.Authed() && !cmd.has("no_auth") && s.acl.AuthRequired() {
		x.r.err(errTextNoAuth)
		return
	}
	if !s.checkPerm(x, cmd) {
		return
	}
	if c.Proto() == 2 && c.SubCount() > 0 && !pubsubAllowed[cmd.name] {
		x.r.err(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.name))
		return
	}
	x.cmd = cmd
	if s.rs.Paused() || s.mayBlock(cmd, args) {
		c.Detach(func(*resp.Reply) {
			s.rs.WaitPause(c)
			s.call(x)
		})
		return
	}
	s.call(x)
}

// Commands that may block: they go through the log (or wait for the
// leader), touch files, or may resolve Raft members' hostnames. They run
// detached from the connection's serving loop (resp.Conn.Detach), so that
// they never hold up other clients; their connection's next command waits.
var blockingCommands = map[string]bool{
	"sentinel|monitor": true, "sentinel|remove": true, "sentinel|set": true, "sentinel|reset": true,
	"sentinel|failover": true, "sentinel|flushconfig": true, "sentinel|config": true,
	"sentinel|sentinels": true, "acl|load": true, "acl|save": true,
}

// showsAddresses are the commands that render stored hosts: a host stored
// by name is shown resolved (announce-hostnames no), which may wait for a
// DNS lookup.
var showsAddresses = map[string]bool{
	"sentinel|masters": true, "sentinel|master": true, "sentinel|replicas": true, "sentinel|slaves": true,
	"sentinel|get-master-addr-by-name": true, "info": true,
	"sentinel|primaries": true, "sentinel|primary": true, "sentinel|get-primary-addr-by-name": true,
}

// mayBlock reports whether cmd must run detached (see blockingCommands).
func (s *Server) mayBlock(cmd *command, args [][]byte) bool {
	if cmd.blocks {
		return true
	}
	if !cmd.showsAdr {
		return false
	}
	v := s.rendered()
	if v == nil {
		return true
	}
	if !v.hostnames || s.globalConfig().announceHostnames {
		return false
	}
	if strings.HasSuffix(cmd.name, "-addr-by-name") {
		mv := v.masters[string(args[2])]
		return mv != nil && mv.addrReply == nil // an unknown or IP-addressed master needs no lookup
	}
	return true
}

// call runs the command's handler; a panic is logged and answered with an
// internal error, never passed on.
func (s *Server) call(x *cmdCtx) {
	x.c.Executing(x.args)
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("command panicked", zap.String("command", x.cmd.name),
				zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			x.r.Discard()
			x.r.err(errTextInternal)
		}
	}()
	x.cmd.fn(x)
}
