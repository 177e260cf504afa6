package node

import (
	"strings"
	"sync"

	"github.com/raftinel/raftinel/consensus"
	"go.uber.org/zap"
)

// warningEvents are Sentinel's LL_WARNING events: only these run a
// master's notification-script (spec §4, "Lvl W").
var warningEvents = map[string]bool{
	"+monitor": true, "-monitor": true, "+set": true, "+reset-master": true,
	"+sdown": true, "-sdown": true, "+odown": true, "-odown": true,
	"+new-epoch": true, "+try-failover": true, "+vote-for-leader": true,
	"+elected-leader": true, "+failover-state-select-slave": true, "+selected-slave": true,
	"+promoted-slave": true, "+failover-state-reconf-slaves": true,
	"+failover-end-for-timeout": true, "+failover-end": true, "+switch-master": true,
	"+config-update-from": true, "-failover-abort-not-elected": true,
	"-failover-abort-no-good-slave": true, "-failover-abort-slave-timeout": true,
	"+tilt": true, "-tilt": true,
}

// runScripts schedules the user's scripts for an applied event about a
// master: notification-script `<event> <payload>` for warning events, and
// client-reconfig-script `<master> <leader|observer> start <from-ip>
// <from-port> <to-ip> <to-port>` on +switch-master (every node applies the
// switch; the node that ran the failover is the "leader"). Each script
// first passes this node's own policy (scriptAllowed).
func (n *Node) runScripts(e consensus.Event) {
	if e.Master == "" || n.scripts == nil {
		return
	}
	notify, reconfig, role := e.NotificationScript, "", "observer"
	n.store.Read(func(s *consensus.State) {
		m := s.Masters[e.Master]
		if m == nil {
			return // -monitor: the event carries the script
		}
		notify, reconfig = m.NotificationScript, m.ClientReconfigScript
		if m.Leader == n.myID {
			role = "leader"
		}
	})
	if notify != "" && warningEvents[e.Channel] && n.scriptAllowed(e.Master, "notification-script", notify) {
		n.scripts.Schedule(notify, e.Channel, e.Payload)
	}
	if reconfig != "" && e.Channel == "+switch-master" && n.scriptAllowed(e.Master, "client-reconfig-script", reconfig) {
		// payload: <name> <oldip> <oldport> <newip> <newport>
		f := strings.Fields(e.Payload)
		if len(f) == 5 {
			n.scripts.Schedule(reconfig, f[0], role, "start", f[1], f[2], f[3], f[4])
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
			if option == "client-reconfig-script" {
				own = m.ClientReconfigScript
			}
		}
	}
	if own != "" && n.cfg.Path(own) == n.cfg.Path(path) {
		return true
	}
	reason := ""
	switch {
	case n.cfg.DenyScriptsReconfig:
		reason = "deny-scripts-reconfig yes: this node runs only the scripts its own config file names"
	case !n.cfg.Executable(path):
		reason = "not an executable file on this node"
	default:
		return true
	}
	if _, seen := refusedScripts.LoadOrStore(n.myID+"\x00"+master+"\x00"+option+"\x00"+path, true); !seen {
		n.log.Warn("script refused by this node's config", zap.String("master", master),
			zap.String("option", option), zap.String("script", path), zap.String("reason", reason))
	}
	return false
}
