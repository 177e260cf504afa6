package httpapi

// collector exposes the Metrics counters and, read from the Source at
// scrape time, the gauges of the present state.
type collector struct {
	src Source
	met *Metrics
}

var (
	descRaftState = desc{"raftinel_raft_state",
		"1 for this node's Raft state."}
	descRaftLeader = desc{"raftinel_raft_leader",
		"1 labelled with the leader's address as this node knows it (none: no leader)."}
	descIsLeader = desc{"raftinel_raft_is_leader",
		"1 when this node is the Raft leader."}
	descTerm = desc{"raftinel_raft_term",
		"Current Raft term."}
	descApplied = desc{"raftinel_raft_applied_index",
		"Last log index applied to the state."}
	descCommit = desc{"raftinel_raft_commit_index",
		"Last log index known committed."}
	descContact = desc{"raftinel_raft_last_contact_seconds",
		"Time since this node last heard from the leader (0 on the leader, -1 never)."}
	descFresh = desc{"raftinel_raft_fresh",
		"1 when this node serves addresses (in contact with a leader within raft-stale-after)."}
	descMembers = desc{"raftinel_raft_members",
		"Members of the Raft configuration."}
	descMasterStatus = desc{"raftinel_master_status",
		"1 for the master's status: ok, sdown (this node sees it down) or odown (agreed down)."}
	descSDown = desc{"raftinel_master_sdown",
		"1 when this node sees the master subjectively down."}
	descODown = desc{"raftinel_master_odown",
		"1 when the cluster agreed the master is objectively down."}
	descReplicas = desc{"raftinel_master_replicas",
		"Known replicas of the master."}
	descEpoch = desc{"raftinel_master_config_epoch",
		"Config epoch of the master's current address."}
	descInProgress = desc{"raftinel_master_failover_in_progress",
		"1 while a failover of the master runs."}
	descInfo = desc{"raftinel_build_info",
		"1 labelled with the version."}
)

func (c collector) write(e *exposition) {
	st := c.src.Status()
	for _, m := range st.Masters {
		c.met.touch(m.Name)
	}
	c.met.write(e)
	gauge := e.gauge
	r := st.Raft
	for _, s := range []string{"leader", "follower", "candidate", "shutdown"} {
		gauge(descRaftState, b2f(r.State == s), "state", s)
	}
	leader := r.Leader
	if leader == "" {
		leader = "none"
	}
	gauge(descRaftLeader, 1, "leader", leader)
	gauge(descIsLeader, b2f(r.State == "leader"))
	gauge(descTerm, float64(r.Term))
	gauge(descApplied, float64(r.AppliedIndex))
	gauge(descCommit, float64(r.CommitIndex))
	contact := float64(r.LastContactMs) / 1000
	if r.LastContactMs < 0 {
		contact = -1
	}
	gauge(descContact, contact)
	gauge(descFresh, b2f(r.Fresh))
	gauge(descMembers, float64(len(r.Members)))
	gauge(descInfo, 1, "version", st.Node.Version)
	for _, m := range st.Masters {
		for _, s := range []string{MasterOK, MasterSDown, MasterODown} {
			gauge(descMasterStatus, b2f(m.Status == s), "master", m.Name, "status", s)
		}
		gauge(descSDown, b2f(hasFlag(m.Flags, "s_down")), "master", m.Name)
		gauge(descODown, b2f(m.Status == MasterODown), "master", m.Name)
		gauge(descReplicas, float64(len(m.Replicas)), "master", m.Name)
		gauge(descEpoch, float64(m.ConfigEpoch), "master", m.Name)
		gauge(descInProgress, b2f(m.Failover != nil), "master", m.Name)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}
