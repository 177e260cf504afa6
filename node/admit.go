package node

import (
	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/policy"
)

// admit is this node's check, as the leader, of a change another node
// forwarded (consensus admission): script options of SENTINEL SET (and of
// a pending SET) pass this node's own deny-scripts-reconfig and executable
// check, and a change made for a client passes this node's ACL for the
// command that makes it. What to check is policy's (admit.go).
func (n *Node) admit(p consensus.Proposal) error {
	for _, s := range policy.AdmitSettings(p.Entry) {
		if err := n.srv.CheckScript(s.Option, s.Value); err != nil {
			return err
		}
	}
	if p.Client != nil {
		if argv := policy.ClientArgv(p.Entry, p.Kind, string(p.Data)); argv != nil {
			return n.srv.Permits(p.Client.User, argv)
		}
	}
	return nil
}
