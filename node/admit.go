package node

import (
	"strconv"

	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/model"
)

// admit is this node's check, as the leader, of a change another node
// forwarded (consensus admission): script options of SENTINEL SET pass
// this node's own deny-scripts-reconfig and executable check, and a change
// made for a client passes this node's ACL for the command that makes it.
// A pending SET (OpSetIf, proposed later by the node that accepted it
// without a leader) is checked like the SET it comes from.
func (n *Node) admit(p consensus.Proposal) error {
	if c := p.Cmd; c != nil && (c.Op == model.OpSet || c.Op == model.OpSetIf) {
		for i := 0; i < len(c.Pairs); {
			k := model.SettingArity(c.Pairs[i])
			if k == 0 || i+k >= len(c.Pairs) {
				break // the FSM refuses it
			}
			if err := n.srv.CheckScript(c.Pairs[i], c.Pairs[i+1]); err != nil {
				return err
			}
			i += 1 + k
		}
	}
	if p.Client != nil {
		if argv := clientArgv(p); argv != nil {
			return n.srv.Permits(p.Client.User, argv)
		}
	}
	return nil
}

// clientArgv is the client command that makes the change p, for the ACL;
// nil for what no client command makes (a read barrier).
func clientArgv(p consensus.Proposal) []string {
	if c := p.Cmd; c != nil {
		switch c.Op {
		case model.OpMonitor:
			return []string{"SENTINEL", "MONITOR", c.Master, c.Addr.Host, strconv.Itoa(c.Addr.Port), strconv.Itoa(c.Quorum)}
		case model.OpRemove:
			return []string{"SENTINEL", "REMOVE", c.Master}
		case model.OpSet, model.OpSetIf:
			return append([]string{"SENTINEL", "SET", c.Master}, c.Pairs...)
		case model.OpReset:
			return []string{"SENTINEL", "RESET", c.Pattern}
		case model.OpConfig:
			return append([]string{"SENTINEL", "CONFIG", "SET"}, c.Pairs...)
		}
		return nil
	}
	switch p.Kind {
	case "failover":
		return []string{"SENTINEL", "FAILOVER", string(p.Data)}
	case "raft-add":
		return []string{"RAFT", "ADD", string(p.Data)}
	case "raft-remove":
		return []string{"RAFT", "REMOVE", string(p.Data)}
	case "raft-transfer-leadership":
		return []string{"RAFT", "TRANSFER-LEADERSHIP"}
	}
	return nil
}
