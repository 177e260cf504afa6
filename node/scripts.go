package node

import (
	"strings"

	"github.com/raftinel/raftinel/consensus"
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

// runScripts schedules the user's scripts for an event about master:
// notification-script `<event> <payload>` for warning events, and
// client-reconfig-script `<master> <leader|observer> start <from-ip>
// <from-port> <to-ip> <to-port>` on +switch-master (every node applies the
// switch; the node that ran the failover is the "leader").
func (n *Node) runScripts(master, channel, payload string) {
	if master == "" || n.scripts == nil {
		return
	}
	var notify, reconfig, role string
	n.store.Read(func(s *consensus.State) {
		m := s.Masters[master]
		if m == nil {
			return
		}
		notify, reconfig = m.NotificationScript, m.ClientReconfigScript
		role = "observer"
		if m.Leader == n.myID {
			role = "leader"
		}
	})
	if notify != "" && warningEvents[channel] {
		n.scripts.Schedule(notify, channel, payload)
	}
	if reconfig != "" && channel == "+switch-master" {
		// payload: <name> <oldip> <oldport> <newip> <newport>
		f := strings.Fields(payload)
		if len(f) == 5 {
			n.scripts.Schedule(reconfig, f[0], role, "start", f[1], f[2], f[3], f[4])
		}
	}
}
