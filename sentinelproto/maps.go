package sentinelproto

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/monitor"
)

// Instance maps of SENTINEL MASTER(S)/REPLICAS/SENTINELS (spec §2.1): the
// replicated record (consensus.Master) merged with this node's view of the
// instance (monitor), in Sentinel's field order. Values are strings; the
// reply writes them as bulk strings in both protocols.

// flagOrder is the order Sentinel prints flags in.
var flagOrder = []string{"s_down", "o_down", "master", "slave", "sentinel", "disconnected",
	"master_down", "failover_in_progress", "promoted", "reconf_sent", "reconf_inprog",
	"reconf_done", "force_failover", "script_kill_sent"}

func joinFlags(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for _, f := range flagOrder {
		if set[f] {
			out = append(out, f)
		}
	}
	return strings.Join(out, ",")
}

// copyMaster deep-copies what the maps read, so nothing reachable from the
// state is used after Cluster.Read returns.
func copyMaster(m *consensus.Master) *consensus.Master { return m.Clone() }

// allMasters returns copies of every master in MASTERS order, with this
// node's pending settings on top (shownMaster).
func (s *Server) allMasters() []*consensus.Master {
	var out []*consensus.Master
	s.o.Cluster.Read(func(st *consensus.State) {
		for _, n := range st.MasterNames() {
			out = append(out, copyMaster(st.Masters[n]))
		}
	})
	for _, m := range out {
		s.shownMaster(m)
	}
	return out
}

// master returns a copy of the named master as this node shows it, or nil.
func (s *Server) master(name string) *consensus.Master {
	m := s.committedMaster(name)
	if m != nil {
		s.shownMaster(m)
	}
	return m
}

// committedMaster returns a copy of the named master as committed, or nil.
func (s *Server) committedMaster(name string) *consensus.Master {
	var out *consensus.Master
	s.o.Cluster.Read(func(st *consensus.State) {
		if m := st.Masters[name]; m != nil {
			out = copyMaster(m)
		}
	})
	return out
}

// shownMaster puts this node's pending settings (SENTINEL SET accepted
// without a Raft leader, Options.Pending) on m, a copy: this node shows
// its own changes, as Sentinel shows its local config.
func (s *Server) shownMaster(m *consensus.Master) {
	if s.o.Pending != nil {
		s.o.Pending.Overlay(m)
	}
}

func (s *Server) members() []consensus.Member { return s.o.Cluster.Members() }

// view is this node's view of an instance of master.
func (s *Server) view(master string, a consensus.Addr) (monitor.InstanceView, bool) {
	if s.o.Monitor == nil {
		return monitor.InstanceView{}, false
	}
	return s.o.Monitor.Instance(master, a.String())
}

func (s *Server) peerView(id string) (monitor.PeerView, bool) {
	if s.o.Monitor == nil {
		return monitor.PeerView{}, false
	}
	return s.o.Monitor.Peer(id)
}

// msSince is the age of t in ms; a zero t counts from server start, the
// moment Sentinel would have created the link.
func (s *Server) msSince(now, t time.Time) string {
	if t.IsZero() {
		t = s.start
	}
	return itoa(now.Sub(t).Milliseconds())
}

// msAgeOrZero is 0 for a zero t (never happened), else the age in ms.
func msAgeOrZero(now, t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return itoa(now.Sub(t).Milliseconds())
}

// activeFailover is the failover shown on the master record. Sentinel
// resets the record at +switch-master; raftinel records the switch before
// re-pointing the replicas, so from the switch on the master (already the
// promoted one) shows no failover flags and clients that reject
// failover_in_progress (node-redis) can use it at once. Replicas keep their
// reconf_* flags until the failover ends.
func activeFailover(m *consensus.Master) *consensus.Failover {
	if m.Failover != nil && !m.Failover.Switched {
		return m.Failover
	}
	return nil
}

// linkFields appends the fields every instance kind has, from
// link-pending-commands to last-ping-reply.
func (s *Server) linkFields(kv []string, now time.Time, pending, refcount int, failoverState string,
	pingPending, lastOK, lastReply time.Time) []string {
	kv = append(kv, "link-pending-commands", strconv.Itoa(pending), "link-refcount", strconv.Itoa(refcount))
	if failoverState != "" {
		kv = append(kv, "failover-state", failoverState)
	}
	return append(kv, "last-ping-sent", msAgeOrZero(now, pingPending),
		"last-ok-ping-reply", s.msSince(now, lastOK), "last-ping-reply", s.msSince(now, lastReply))
}

// hostPort renders an address for a reply (shownHost: an IP unless
// announce-hostnames is yes).
func (s *Server) hostPort(a consensus.Addr) (string, string) {
	return s.shownHost(a.Host), strconv.Itoa(a.Port)
}

// masterMap is one entry of SENTINEL MASTERS.
func (s *Server) masterMap(m *consensus.Master, members int, now time.Time) []string {
	v, ok := s.view(m.Name, m.Addr)
	fo := activeFailover(m)
	flags := map[string]bool{"master": true, "s_down": ok && v.SDown, "o_down": m.ODown,
		"disconnected": !ok || !v.Connected}
	state := ""
	if fo != nil {
		flags["failover_in_progress"], flags["force_failover"] = true, fo.Forced
		state = fo.State
	}
	ip, port := s.hostPort(m.Addr)
	kv := []string{"name", m.Name, "ip", ip, "port", port, "runid", v.RunID, "flags", joinFlags(flags)}
	kv = s.linkFields(kv, now, v.PendingCommands, 1, state, v.PingPendingSince, v.LastOKPing, v.LastPingReply)
	if flags["s_down"] {
		kv = append(kv, "s-down-time", s.msSince(now, v.SDownSince))
	}
	if m.ODown {
		kv = append(kv, "o-down-time", itoa(max(now.UnixMilli()-m.ODownSinceMs, 0)))
	}
	role := v.Role
	if role == "" {
		role = "master"
	}
	kv = append(kv, "down-after-milliseconds", itoa(m.DownAfterMs),
		"info-refresh", msAgeOrZero(now, v.InfoRefresh),
		"role-reported", role, "role-reported-time", s.msSince(now, v.RoleChanged),
		"config-epoch", strconv.FormatUint(m.ConfigEpoch, 10),
		"num-slaves", strconv.Itoa(len(m.Replicas)),
		"num-other-sentinels", strconv.Itoa(max(members-1, 0)),
		"quorum", strconv.Itoa(m.Quorum),
		"failover-timeout", itoa(m.FailoverTimeoutMs),
		"parallel-syncs", strconv.Itoa(m.ParallelSyncs))
	if m.NotificationScript != "" {
		kv = append(kv, "notification-script", m.NotificationScript)
	}
	if m.ClientReconfigScript != "" {
		kv = append(kv, "client-reconfig-script", m.ClientReconfigScript)
	}
	return kv
}

// replicaMap is one entry of SENTINEL REPLICAS; v, ok is this node's view.
func (s *Server) replicaMap(m *consensus.Master, a consensus.Addr, v monitor.InstanceView, ok bool, now time.Time) []string {
	flags := map[string]bool{"slave": true, "s_down": ok && v.SDown, "disconnected": !ok || !v.Connected}
	if fo := m.Failover; fo != nil {
		flags["promoted"] = !fo.Switched && fo.Candidate == a
		if phase := fo.Reconf[a.String()]; phase != "" {
			flags["reconf_"+phase] = true
		}
	}
	ip, port := s.hostPort(a)
	kv := []string{"name", net.JoinHostPort(ip, port), "ip", ip, "port", port, "runid", v.RunID, "flags", joinFlags(flags)}
	kv = s.linkFields(kv, now, v.PendingCommands, 1, "", v.PingPendingSince, v.LastOKPing, v.LastPingReply)
	if flags["s_down"] {
		kv = append(kv, "s-down-time", s.msSince(now, v.SDownSince))
	}
	role := v.Role
	if role == "" {
		role = "slave"
	}
	// Before the first INFO, Sentinel's defaults.
	linkStatus, masterHost, masterPort, prio, offset, announced := "err", "?", "0", "100", "0", "1"
	linkDown := "0"
	if ok && !v.InfoRefresh.IsZero() {
		if v.MasterLinkUp {
			linkStatus = "ok"
		}
		if v.MasterHost != "" {
			masterHost = v.MasterHost
		}
		masterPort = strconv.Itoa(v.MasterPort)
		prio, offset = strconv.Itoa(v.SlavePriority), itoa(v.SlaveReplOffset)
		linkDown = itoa(v.MasterLinkDownSinceSec * 1000)
		if !v.ReplicaAnnounced {
			announced = "0"
		}
	}
	return append(kv, "down-after-milliseconds", itoa(m.DownAfterMs),
		"info-refresh", msAgeOrZero(now, v.InfoRefresh),
		"role-reported", role, "role-reported-time", s.msSince(now, v.RoleChanged),
		"master-link-down-time", linkDown, "master-link-status", linkStatus,
		"master-host", masterHost, "master-port", masterPort,
		"slave-priority", prio, "slave-repl-offset", offset, "replica-announced", announced)
}

// peerDown applies Sentinel's SDOWN rule to a peer: no valid PING reply for
// longer than the master's down-after. It returns how long past the limit.
func (s *Server) peerDown(v monitor.PeerView, ok bool, downAfterMs int64, now time.Time) (bool, time.Duration) {
	var elapsed time.Duration
	switch {
	case ok && !v.PingPendingSince.IsZero():
		elapsed = now.Sub(v.PingPendingSince)
	case !ok || !v.Connected:
		last := v.LastOKPing
		if last.IsZero() {
			last = s.start
		}
		elapsed = now.Sub(last)
	}
	over := elapsed - time.Duration(downAfterMs)*time.Millisecond
	return over > 0, over
}

// sentinelMap is one entry of SENTINEL SENTINELS: another raftinel node.
func (s *Server) sentinelMap(m *consensus.Master, mem consensus.Member, refcount int, now time.Time) []string {
	v, ok := s.peerView(mem.ID)
	down, over := s.peerDown(v, ok, m.DownAfterMs, now)
	flags := map[string]bool{"sentinel": true, "s_down": down, "disconnected": !ok || !v.Connected,
		"master_down": m.Observations[mem.ID].Down}
	ip, port, err := net.SplitHostPort(mem.Addr)
	if err != nil {
		ip, port = mem.Addr, "0"
	}
	ip = s.shownHost(ip)
	kv := []string{"name", mem.ID, "ip", ip, "port", port, "runid", mem.ID, "flags", joinFlags(flags)}
	kv = s.linkFields(kv, now, 0, refcount, "", v.PingPendingSince, v.LastOKPing, v.LastPingReply)
	if down {
		kv = append(kv, "s-down-time", itoa(over.Milliseconds()))
	}
	leader := m.Leader
	if leader == "" {
		leader = "?"
	}
	return append(kv, "down-after-milliseconds", itoa(m.DownAfterMs),
		"last-hello-message", s.msSince(now, v.LastOKPing),
		"voted-leader", leader, "voted-leader-epoch", strconv.FormatUint(m.LeaderEpoch, 10))
}
