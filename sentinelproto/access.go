package sentinelproto

import (
	"fmt"
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/acl"
	"github.com/raftinel/raftinel/resp"
)

// Access control on the Sentinel port: users and permissions come from the
// acl package (Redis 7.0's model); this file wires it to connections:
// the command table as ACL sees it, the permission check of every command,
// the ACL LOG, protected mode, and dropping connections whose user went
// away. ACL state is this process's, as in Sentinel (docs/divergence.md).

// Permission errors, as redis-sentinel 7.0.15 words them.
const (
	errTextNoPermCmdFmt  = "NOPERM this user has no permissions to run the '%s' command"
	errTextNoPermKeys    = "NOPERM this user has no permissions to access one of the keys used as arguments"
	errTextNoPermChannel = "NOPERM this user has no permissions to access one of the channels used as arguments"
	// errTextDenied is sent to a non-local client in protected mode.
	errTextDenied = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
)

// channelKinds are the commands whose arguments are channels.
var channelKinds = map[string]acl.Channels{
	"publish": acl.PublishChannel, "subscribe": acl.SubscribeChannels, "psubscribe": acl.PatternChannels,
}

// aclTable describes the command table to the acl package and links each
// command to its ACL entry.
func aclTable(tables ...[]*command) *acl.Table {
	var conv func(c *command) *acl.Command
	conv = func(c *command) *acl.Command {
		ac := &acl.Command{Name: c.name, Categories: c.acl, NoAuth: c.has("no_auth"), Channels: channelKinds[c.name]}
		for _, sc := range c.subs {
			ac.Subs = append(ac.Subs, conv(sc))
		}
		c.aclc = ac
		return ac
	}
	var top []*acl.Command
	for _, t := range tables {
		for _, c := range t {
			top = append(top, conv(c))
		}
	}
	return acl.NewTable(top)
}

// LoadACL applies the config's `user` lines and then its aclfile, as Redis
// does at start-up (requirepass is applied by NewServer). An error is the
// one line Redis would log before exiting.
func (s *Server) LoadACL() error {
	if err := s.acl.LoadConfig(s.cfg.RequirePass, s.cfg.Users); err != nil {
		return err
	}
	if s.cfg.ACLFile != "" {
		if _, err := s.acl.LoadFile(s.cfg.Path(s.cfg.ACLFile)); err != nil {
			return fmt.Errorf("Aborting Redis startup because of ACL errors: %w", err)
		}
	}
	return nil
}

// checkPerm applies the current user's permissions to a command about to
// run; a refusal is logged in the ACL LOG and answered with NOPERM.
func (s *Server) checkPerm(x *cmdCtx, cmd *command) bool {
	if cmd.aclc == nil {
		return true
	}
	u := x.c.User().(*acl.User)
	v, pos := s.acl.Check(u, cmd.aclc, x.args)
	if v == acl.Allowed {
		return true
	}
	e := acl.LogEntry{Username: u.Name(), Time: time.Now()}
	switch v {
	case acl.DeniedChannel:
		e.Reason, e.Object = acl.ReasonChannel, string(x.args[pos])
		x.r.err(errTextNoPermChannel)
	case acl.DeniedKey:
		e.Reason, e.Object = acl.ReasonKey, string(x.args[pos])
		x.r.err(errTextNoPermKeys)
	default:
		e.Reason, e.Object = acl.ReasonCommand, cmd.name
		x.r.err(fmt.Sprintf(errTextNoPermCmdFmt, cmd.name))
	}
	e.ClientInfo = x.c.Info(e.Time)
	s.aclLog.Add(e)
	return false
}

// authenticate checks a user name and password for AUTH or HELLO AUTH; on
// success the connection takes the user, on failure the ACL LOG records it.
func (s *Server) authenticate(x *cmdCtx, user, pass string) bool {
	u := s.acl.Authenticate(user, pass)
	if u == nil {
		now := time.Now()
		s.aclLog.Add(acl.LogEntry{Reason: acl.ReasonAuth, Object: string(x.args[0]), Username: user,
			Time: now, ClientInfo: x.c.Info(now)})
		return false
	}
	x.c.SetUser(u, true)
	return true
}

// protectedRefuses is Redis 7.0's protected-mode rule: with protected-mode
// on and no password for the default user, only 127.0.0.1 and ::1 may
// connect (Redis compares those two strings; other 127/8 addresses are
// refused too).
func protectedRefuses(protected, defaultNoPass bool, remote net.Addr) bool {
	if !protected || !defaultNoPass {
		return false
	}
	host := ""
	if remote != nil {
		host = remote.String()
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host != "127.0.0.1" && host != "::1"
}

// dropUsers closes the connections authenticated as one of users (ACL
// DELUSER, ACL LOAD); the calling client is closed after its reply.
func (s *Server) dropUsers(self *resp.Conn, users []*acl.User) {
	if len(users) == 0 {
		return
	}
	gone := map[resp.User]bool{}
	for _, u := range users {
		gone[u] = true
	}
	for _, c := range s.rs.Clients() {
		if gone[c.User()] {
			s.rs.Kill(self, c)
		}
	}
}

// dropSubscribers closes u's Pub/Sub connections that hold a channel or
// pattern u may no longer use (after ACL SETUSER).
func (s *Server) dropSubscribers(self *resp.Conn, u *acl.User) {
	for _, c := range s.rs.Clients() {
		if c.User() != resp.User(u) || c.SubCount() == 0 {
			continue
		}
		chans, pats := c.Subscriptions()
		kill := false
		for _, ch := range chans {
			kill = kill || !s.acl.ChannelAllowed(u, ch, false)
		}
		for _, p := range pats {
			kill = kill || !s.acl.ChannelAllowed(u, p, true)
		}
		if kill {
			s.log.Info("closing subscriber after ACL change", zap.Uint64("client", c.ID()), zap.String("user", u.Name()))
			s.rs.Kill(self, c)
		}
	}
}
