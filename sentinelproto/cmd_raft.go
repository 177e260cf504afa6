package sentinelproto

import (
	"strings"
)

// RAFT is raftinel's own command family for the cluster itself. It is not
// listed by COMMAND (Sentinel has exactly 15 commands and clients count
// them); see docs/divergence.md.
func raftCommandTable() []*command {
	sub := func(name string, arity int, summary string) *command {
		return &command{name: "raft|" + name, arity: arity, flags: []string{"admin"},
			acl: []string{"@admin", "@slow", "@dangerous"}, doc: raftDoc(summary)}
	}
	return []*command{{
		name: "raft", arity: -2, flags: []string{"admin"}, acl: []string{"@admin", "@slow", "@dangerous"},
		doc: raftDoc("A container for raftinel's Raft commands"),
		subs: []*command{
			sub("info", 2, "Show this node's Raft state"),
			sub("members", 2, "List the Raft members"),
			sub("add", 3, "Add a voter by its announced address"),
			sub("remove", 3, "Remove a member by address or myid"),
			sub("snapshot", 2, "Snapshot the state and compact this node's log"),
			sub("transfer-leadership", 2, "Hand leadership to another voter"),
			sub("help", 2, "Show this help"),
		},
	}}
}

func raftDoc(summary string) *cmdDoc {
	return &cmdDoc{Summary: summary, Since: "raftinel", Group: "raft"}
}

func init() {
	handlers["raft|info"] = cmdRaftInfo
	handlers["raft|members"] = cmdRaftMembers
	handlers["raft|add"] = cmdRaftAdmin
	handlers["raft|remove"] = cmdRaftAdmin
	handlers["raft|snapshot"] = cmdRaftAdmin
	handlers["raft|transfer-leadership"] = cmdRaftAdmin
	handlers["raft|help"] = cmdRaftHelp
}

// RAFT INFO: the "# Raft" INFO fields as a map.
func cmdRaftInfo(x *cmdCtx) {
	fields := x.s.o.Cluster.RaftInfo()
	kv := make([]string, 0, 2*len(fields))
	for _, f := range fields {
		kv = append(kv, f[0], f[1])
	}
	x.r.pairs(kv)
}

// RAFT MEMBERS: one map per member.
func cmdRaftMembers(x *cmdCtx) {
	members := x.s.o.Cluster.Members()
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	x.r.array(len(members))
	for _, m := range members {
		suffrage := "voter"
		if !m.Voter {
			suffrage = "nonvoter"
		}
		x.r.pairs([]string{"id", m.ID, "addr", m.Addr, "suffrage", suffrage, "leader", yn(m.Leader), "self", yn(m.Self)})
	}
}

// RAFT ADD|REMOVE|SNAPSHOT|TRANSFER-LEADERSHIP: membership changes are
// committed Raft configuration changes (run on the leader, from any node).
func cmdRaftAdmin(x *cmdCtx) {
	op := strings.TrimPrefix(x.cmd.name, "raft|")
	arg := ""
	if len(x.args) > 2 {
		arg = x.arg(2)
	}
	ctx, cancel := x.applyCtx()
	defer cancel()
	if err := x.s.o.Cluster.Admin(ctx, op, arg); err != nil {
		x.fail(err)
		return
	}
	x.r.ok()
}

var raftHelp = []string{
	"RAFT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"INFO",
	"    This node's Raft state (the fields of INFO raft).",
	"MEMBERS",
	"    The Raft members: id (myid), addr, suffrage, leader, self.",
	"ADD <host:port>",
	"    Add a voter; its address is its announced Sentinel address.",
	"REMOVE <host:port|myid>",
	"    Remove a member.",
	"SNAPSHOT",
	"    Snapshot the replicated state and compact this node's log.",
	"TRANSFER-LEADERSHIP",
	"    Hand leadership to another voter.",
	"HELP",
	"    Print this help.",
}

func cmdRaftHelp(x *cmdCtx) { x.r.simples(raftHelp) }
