package policy

import (
	"strconv"

	"github.com/raftinel/raftinel/model"
)

// Admission: what a leader checks, against its own configuration, of a
// change another node forwarded (consensus.Proposal, Options.Admit). These
// say what to check; node calls sentinelproto for the checks themselves
// (the script rules, the ACL).

// SettingArg is one option of a SENTINEL SET with its first value.
type SettingArg struct{ Option, Value string }

// AdmitSettings are the options of a forwarded change that the leader's
// own script rules (deny-scripts-reconfig, the executable check) must
// pass: every option of a Set, and of a SetIf (a pending SET, checked like
// the SET it comes from), with its first value, left to right. It stops at
// a malformed option (the FSM refuses the entry); other entries have none.
func AdmitSettings(e model.Entry) []SettingArg {
	var pairs []string
	switch c := e.(type) {
	case *model.Set:
		pairs = c.Pairs
	case *model.SetIf:
		pairs = c.Pairs
	}
	args, _ := model.SplitSet(pairs)
	var out []SettingArg
	for _, a := range args {
		out = append(out, SettingArg{a.Option, a.Vals[0]})
	}
	return out
}

// ClientArgv is the client command that makes a forwarded change, for the
// leader's ACL: for a log entry e, or (e nil) a registered leader-side
// request kind with its argument. Nil for what no client command makes
// (the nodes' own entries, a read barrier).
func ClientArgv(e model.Entry, kind, arg string) []string {
	switch c := e.(type) {
	case nil: // a registered request: by kind, below
	case *model.Monitor:
		return []string{"SENTINEL", "MONITOR", c.Master, c.Addr.Host, strconv.Itoa(c.Addr.Port), strconv.Itoa(c.Quorum)}
	case *model.Remove:
		return []string{"SENTINEL", "REMOVE", c.Master}
	case *model.Set:
		return append([]string{"SENTINEL", "SET", c.Master}, c.Pairs...)
	case *model.SetIf:
		return append([]string{"SENTINEL", "SET", c.Master}, c.Pairs...)
	case *model.Reset:
		return []string{"SENTINEL", "RESET", c.Pattern}
	case *model.ConfigSet:
		return append([]string{"SENTINEL", "CONFIG", "SET"}, c.Pairs...)
	default:
		return nil
	}
	switch kind {
	case "failover":
		return []string{"SENTINEL", "FAILOVER", arg}
	case "raft-add":
		return []string{"RAFT", "ADD", arg}
	case "raft-remove":
		return []string{"RAFT", "REMOVE", arg}
	case "raft-transfer-leadership":
		return []string{"RAFT", "TRANSFER-LEADERSHIP"}
	}
	return nil
}
