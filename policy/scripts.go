package policy

import (
	"strings"

	"github.com/raftinel/raftinel/model"
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

// Script options.
const (
	NotificationScript   = "notification-script"
	ClientReconfigScript = "client-reconfig-script"
)

// MasterScripts is what the replicated state says about a master's
// scripts when an event about it is applied.
type MasterScripts struct {
	Notification, ClientReconfig string // paths, "" = none
	Leader                       bool   // this node ran the master's last failover
}

// ScriptsOf reads m's scripts for node myID; a nil m (-monitor: the master
// is gone, the event carries its notification-script) has none but
// notification.
func ScriptsOf(m *model.Master, myID, notification string) MasterScripts {
	if m == nil {
		return MasterScripts{Notification: notification}
	}
	return MasterScripts{Notification: m.NotificationScript, ClientReconfig: m.ClientReconfigScript, Leader: m.Leader == myID}
}

// ScriptRun is one script to run for an event, with its arguments.
type ScriptRun struct {
	Option string // NotificationScript or ClientReconfigScript
	Path   string
	Args   []string
}

// Argv is the command line: the script, then its arguments.
func (r ScriptRun) Argv() []string { return append([]string{r.Path}, r.Args...) }

// Scripts lists the scripts an applied event about a master runs, before
// this node's own check (ScriptAllowed): notification-script `<event>
// <payload>` for warning events, and client-reconfig-script `<master>
// <leader|observer> start <from-ip> <from-port> <to-ip> <to-port>` on
// +switch-master (every node applies the switch; the node that ran the
// failover is the "leader").
func Scripts(e model.Event, sc MasterScripts) []ScriptRun {
	if e.Master == "" {
		return nil
	}
	var out []ScriptRun
	if sc.Notification != "" && warningEvents[e.Channel] {
		out = append(out, ScriptRun{NotificationScript, sc.Notification, []string{e.Channel, e.Payload}})
	}
	if sc.ClientReconfig != "" && e.Channel == "+switch-master" {
		// payload: <name> <oldip> <oldport> <newip> <newport>
		if f := strings.Fields(e.Payload); len(f) == 5 {
			role := "observer"
			if sc.Leader {
				role = "leader"
			}
			out = append(out, ScriptRun{ClientReconfigScript, sc.ClientReconfig, []string{f[0], role, "start", f[1], f[2], f[3], f[4]}})
		}
	}
	return out
}

// ScriptRule is this node's own config as it bears on a script that came
// through the log (a SENTINEL SET on any node, or another node's config
// file through the seed).
type ScriptRule struct {
	// Own is the path this node's config file names for the master and
	// option ("" = none), Path the script's; both resolved the way the
	// config resolves paths (config.Config.Path).
	Own, Path string
	// Deny is deny-scripts-reconfig yes.
	Deny bool
	// Executable tells whether Path is an executable file on this node;
	// asked only when the answer matters.
	Executable func() bool
}

// ScriptAllowed applies a node's own rule: a node never runs a script its
// own config would refuse. It runs the script its own config file names
// for that master; any other only with deny-scripts-reconfig no and when
// the file is executable here. A refusal comes with its reason.
func ScriptAllowed(r ScriptRule) (bool, string) {
	switch {
	case r.Own != "" && r.Own == r.Path:
		return true, ""
	case r.Deny:
		return false, "deny-scripts-reconfig yes: this node runs only the scripts its own config file names"
	case !r.Executable():
		return false, "not an executable file on this node"
	}
	return true, ""
}
