package consensus

import "github.com/raftinel/raftinel/model"

// Admission: a change a follower forwards to the leader (a log entry, or a
// registered request such as SENTINEL FAILOVER or RAFT ADD) is checked by
// the leader against its own configuration before it is proposed
// (Options.Admit), whatever the follower decided: a node whose config is
// stricter than another's (deny-scripts-reconfig yes, a narrower ACL) is
// not overruled through a peer stream. The FSM stays pure: the check runs
// where a proposal is accepted, never in Apply. What a node does with an
// applied entry (running a script) it checks again when it acts
// (node/scripts.go).

// Proposal is a forwarded change as the leader's Admit hook sees it.
type Proposal struct {
	Entry  model.Entry   // the log entry; nil for a registered request
	Kind   string        // the registered request ("failover", "raft-add", ...); "" for a log entry
	Data   []byte        // the registered request's argument
	Client *model.Client // the client it is made for; nil for the nodes' own changes
	From   string        // the address of the node that forwarded it
}

// admit runs the hook on a forwarded proposal.
func (s *Store) admit(p Proposal) error {
	if s.o.Admit == nil {
		return nil
	}
	return s.o.Admit(p)
}
