package node

import (
	"sync"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/policy"
	"go.uber.org/zap"
)

// runScripts schedules the user's scripts for an applied event about a
// master: notification-script `<event> <payload>` for warning events, and
// client-reconfig-script `<master> <leader|observer> start <from-ip>
// <from-port> <to-ip> <to-port>` on +switch-master (every node applies the
// switch; the node that ran the failover is the "leader"). Each script
// first passes this node's own policy (scriptAllowed).
func (n *Node) runScripts(e model.Event) {
	if e.Master == "" || n.scripts == nil {
		return
	}
	var sc policy.MasterScripts
	n.store.Read(func(s *model.State) { sc = policy.ScriptsOf(s.Masters[e.Master], n.myID, e.NotificationScript) })
	for _, run := range policy.Scripts(e, sc) {
		if n.scriptAllowed(e.Master, run.Option, run.Path) {
			n.scripts.Schedule(run.Argv()...)
		}
	}
}

// refusedScripts remembers the scripts already refused, so each refusal
// is logged once.
var refusedScripts sync.Map

// scriptAllowed is this node's own rule, applied when it is about to run
// a script that came through the log, from a SENTINEL SET on any node or
// from another node's config file (the seed): a node never runs a script
// its own config would refuse. It runs the script its own config file
// names for that master; any other only with deny-scripts-reconfig no and
// when the file is executable here. Relative paths resolve against dir.
func (n *Node) scriptAllowed(master, option, path string) bool {
	own := ""
	for _, m := range n.cfg.Masters {
		if m.Name == master {
			own = m.NotificationScript
			if option == policy.ClientReconfigScript {
				own = m.ClientReconfigScript
			}
		}
	}
	ok, reason := policy.ScriptAllowed(policy.ScriptRule{Own: n.cfg.Path(own), Path: n.cfg.Path(path),
		Deny: n.cfg.DenyScriptsReconfig, Executable: func() bool { return n.cfg.Executable(path) }})
	if ok {
		return true
	}
	if _, seen := refusedScripts.LoadOrStore(n.myID+"\x00"+master+"\x00"+option+"\x00"+path, true); !seen {
		n.log.Warn("script refused by this node's config", zap.String("master", master),
			zap.String("option", option), zap.String("script", path), zap.String("reason", reason))
	}
	return false
}
