package sentinelproto

import (
	"context"
	"time"

	"github.com/raftinel/raftinel/acl"
	"github.com/raftinel/raftinel/model"
)

// applyCtx bounds a change made for this client and names its ACL user,
// which travels with the change to the leader: the leader checks its own
// ACL too (consensus admission, Permits).
func (x *cmdCtx) applyCtx() (context.Context, context.CancelFunc) {
	ctx, cancel := x.s.applyCtx()
	return model.WithClient(ctx, x.c.User().Name()), cancel
}

// Permits reports whether user may run argv under this node's ACL. The
// leader asks it about a change another node forwarded for a client; a
// refusal is a *consensus.Error of kind consensus.ErrNoPerm whose text is
// the NOPERM reply, and is recorded in this node's ACL LOG.
func (s *Server) Permits(user string, argv []string) error {
	u := s.acl.User(user)
	if u == nil {
		return &model.Error{Kind: model.ErrNoPerm, Msg: "NOPERM user '" + user + "' is unknown to the raft leader"}
	}
	args := make([][]byte, len(argv))
	for i, a := range argv {
		args[i] = []byte(a)
	}
	c, _ := s.lookup(args)
	if c == nil || c.aclc == nil {
		return nil
	}
	if v, _ := s.acl.Check(u, c.aclc, args); v == acl.Allowed {
		return nil
	}
	s.aclLog.Add(acl.LogEntry{Username: u.Name(), Reason: acl.ReasonCommand, Object: c.name, Time: time.Now(), ClientInfo: "forwarded by another node"})
	return &model.Error{Kind: model.ErrNoPerm, Msg: "NOPERM this user has no permissions to run the '" + c.name + "' command (the raft leader's ACL)"}
}

// CheckScript applies this node's deny-scripts-reconfig and executable
// check to a script option of SENTINEL SET; the leader asks it about a
// forwarded change. A refusal is a *consensus.Error of kind
// consensus.ErrRefused with Sentinel's text.
func (s *Server) CheckScript(option, path string) error {
	if err := s.checkScript(option, path); err != nil {
		return &model.Error{Kind: model.ErrRefused, Msg: err.Error()}
	}
	return nil
}
