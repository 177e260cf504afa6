package consensus

import "context"

// Admission: a change a follower forwards to the leader (a log entry, or a
// registered request such as SENTINEL FAILOVER or RAFT ADD) is checked by
// the leader against its own configuration before it is proposed
// (Options.Admit), whatever the follower decided: a node whose config is
// stricter than another's (deny-scripts-reconfig yes, a narrower ACL) is
// not overruled through a peer stream. The FSM stays pure: the check runs
// where a proposal is accepted, never in Apply. What a node does with an
// applied entry (running a script) it checks again when it acts
// (node/scripts.go).

// Client names the client a change is made for: the ACL user it
// authenticated as on the node it reached. It travels with a forwarded
// change so that the leader applies its own ACL too.
type Client struct {
	User string `json:"user"`
}

type clientKey struct{}

// WithClient marks ctx as carrying a change for a client authenticated as
// user; Apply and Call forward it.
func WithClient(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, clientKey{}, &Client{User: user})
}

func clientOf(ctx context.Context) *Client {
	c, _ := ctx.Value(clientKey{}).(*Client)
	return c
}

// Proposal is a forwarded change as the leader's Admit hook sees it.
type Proposal struct {
	Cmd    *Command // the log entry; nil for a registered request
	Kind   string   // the registered request ("failover", "raft-add", ...); "" for a log entry
	Data   []byte   // the registered request's argument
	Client *Client  // the client it is made for; nil for the nodes' own changes
	From   string   // the address of the node that forwarded it
}

// admit runs the hook on a forwarded proposal.
func (s *Store) admit(p Proposal) error {
	if s.o.Admit == nil {
		return nil
	}
	return s.o.Admit(p)
}
