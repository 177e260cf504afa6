package sentinelproto

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
	"github.com/tidwall/redcon"
)

// Instance maps of SENTINEL MASTER(S)/REPLICAS/SENTINELS (spec §2.1): the
// replicated record (consensus.Master) merged with this node's view of the
// instance (monitor), in Sentinel's field order. Values are strings; the
// reply writes them as bulk strings in both protocols.

// instFlag is one instance flag; flags print in this order (Sentinel's).
type instFlag uint16

const (
	flagSDown instFlag = 1 << iota
	flagODown
	flagMaster
	flagSlave
	flagSentinel
	flagDisconnected
	flagMasterDown
	flagFailoverInProgress
	flagPromoted
	flagReconfSent
	flagReconfInprog
	flagReconfDone
	flagForceFailover
	flagScriptKillSent
)

var flagNames = []string{"s_down", "o_down", "master", "slave", "sentinel", "disconnected",
	"master_down", "failover_in_progress", "promoted", "reconf_sent", "reconf_inprog",
	"reconf_done", "force_failover", "script_kill_sent"}

// set returns f with g added when on.
func (f instFlag) set(g instFlag, on bool) instFlag {
	if on {
		return f | g
	}
	return f
}

// appendFlags appends the names of the flags in f, comma-separated.
func appendFlags(b []byte, f instFlag) []byte {
	first := true
	for i, name := range flagNames {
		if f&(1<<i) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, name...)
	}
	return b
}

// kv collects the pairs of one instance map as bulk strings; put writes
// them as a map. It is reused from one map to the next.
type kv struct {
	b   []byte
	n   int
	tmp []byte
}

func (w *kv) str(k, v string) {
	w.b = redcon.AppendBulkString(w.b, k)
	w.b = redcon.AppendBulkString(w.b, v)
	w.n++
}

func (w *kv) int(k string, n int64) {
	w.tmp = strconv.AppendInt(w.tmp[:0], n, 10)
	w.b = redcon.AppendBulkString(w.b, k)
	w.b = redcon.AppendBulk(w.b, w.tmp)
	w.n++
}

func (w *kv) uint(k string, n uint64) {
	w.tmp = strconv.AppendUint(w.tmp[:0], n, 10)
	w.b = redcon.AppendBulkString(w.b, k)
	w.b = redcon.AppendBulk(w.b, w.tmp)
	w.n++
}

func (w *kv) flags(f instFlag) {
	w.tmp = appendFlags(w.tmp[:0], f)
	w.b = redcon.AppendBulkString(w.b, "flags")
	w.b = redcon.AppendBulk(w.b, w.tmp)
	w.n++
}

// put writes the map collected and starts the next one.
func (w *kv) put(r reply) {
	r.mapLen(w.n)
	r.Raw(w.b)
	w.b, w.n = w.b[:0], 0
}

// append is put into b instead of a reply (a map of an array whose length
// is known only at the end).
func (w *kv) append(b []byte, resp3 bool) []byte {
	if resp3 {
		b = append(b, '%')
		b = strconv.AppendInt(b, int64(w.n), 10)
		b = append(b, '\r', '\n')
	} else {
		b = redcon.AppendArray(b, 2*w.n)
	}
	b = append(b, w.b...)
	w.b, w.n = w.b[:0], 0
	return b
}

// copyMaster deep-copies what the maps read, so nothing reachable from the
// state is used after Cluster.Read returns.
func copyMaster(m *model.Master) *model.Master { return m.Clone() }

// allMasters returns copies of every master in MASTERS order, with this
// node's pending settings on top (shownMaster).
func (s *Server) allMasters() []*model.Master {
	var out []*model.Master
	s.o.Cluster.Read(func(st *model.State) {
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
func (s *Server) master(name string) *model.Master {
	m := s.committedMaster(name)
	if m != nil {
		s.shownMaster(m)
	}
	return m
}

// committedMaster returns a copy of the named master as committed, or nil.
func (s *Server) committedMaster(name string) *model.Master {
	var out *model.Master
	s.o.Cluster.Read(func(st *model.State) {
		if m := st.Masters[name]; m != nil {
			out = copyMaster(m)
		}
	})
	return out
}

// shownMaster puts this node's pending settings (SENTINEL SET accepted
// without a Raft leader, Options.Pending) on m, a copy: this node shows
// its own changes, as Sentinel shows its local config.
func (s *Server) shownMaster(m *model.Master) {
	if s.o.Pending != nil {
		s.o.Pending.Overlay(m)
	}
}

func (s *Server) members() []model.Member { return s.o.Cluster.Members() }

// view is this node's view of an instance of master.
func (s *Server) view(master string, a model.Addr) (view.Instance, bool) {
	return s.viewKey(master, a.String())
}

// viewKey is view with the address as host:port.
func (s *Server) viewKey(master, addr string) (view.Instance, bool) {
	if s.o.Monitor == nil {
		return view.Instance{}, false
	}
	return s.o.Monitor.Instance(master, addr)
}

func (s *Server) peerView(id string) (view.Peer, bool) {
	if s.o.Monitor == nil {
		return view.Peer{}, false
	}
	return s.o.Monitor.Peer(id)
}

// msSince is the age of t in ms; a zero t counts from server start, the
// moment Sentinel would have created the link.
func (s *Server) msSince(now, t time.Time) int64 {
	if t.IsZero() {
		t = s.start
	}
	return now.Sub(t).Milliseconds()
}

// msAgeOrZero is 0 for a zero t (never happened), else the age in ms.
func msAgeOrZero(now, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t).Milliseconds()
}

// activeFailover is the failover shown on the master record. Sentinel
// resets the record at +switch-master; raftinel records the switch before
// re-pointing the replicas, so from the switch on the master (already the
// promoted one) shows no failover flags and clients that reject
// failover_in_progress (node-redis) can use it at once. Replicas keep their
// reconf_* flags until the failover ends.
func activeFailover(m *model.Master) *model.Failover {
	if m.Failover != nil && !m.Failover.Switched {
		return m.Failover
	}
	return nil
}

// linkFields writes the fields every instance kind has, from
// link-pending-commands to last-ping-reply.
func (s *Server) linkFields(w *kv, now time.Time, pending, refcount int, failoverState string,
	pingPending, lastOK, lastReply time.Time) {
	w.int("link-pending-commands", int64(pending))
	w.int("link-refcount", int64(refcount))
	if failoverState != "" {
		w.str("failover-state", failoverState)
	}
	w.int("last-ping-sent", msAgeOrZero(now, pingPending))
	w.int("last-ok-ping-reply", s.msSince(now, lastOK))
	w.int("last-ping-reply", s.msSince(now, lastReply))
}

// hostPort renders an address for a reply (shownHost: an IP unless
// announce-hostnames is yes).
func (s *Server) hostPort(a model.Addr) (string, string) {
	return s.shownHost(a.Host), strconv.Itoa(a.Port)
}

// address writes name (when withName, as host:port), ip and port.
func (s *Server) address(w *kv, a model.Addr, withName bool) {
	ip := s.shownHost(a.Host)
	if withName {
		w.tmp = w.tmp[:0]
		if strings.IndexByte(ip, ':') >= 0 { // net.JoinHostPort without allocating
			w.tmp = append(append(append(w.tmp, '['), ip...), "]:"...)
		} else {
			w.tmp = append(append(w.tmp, ip...), ':')
		}
		w.tmp = strconv.AppendInt(w.tmp, int64(a.Port), 10)
		w.b = redcon.AppendBulkString(w.b, "name")
		w.b = redcon.AppendBulk(w.b, w.tmp)
		w.n++
	}
	w.str("ip", ip)
	w.int("port", int64(a.Port))
}

// masterMap writes one entry of SENTINEL MASTERS.
func (s *Server) masterMap(w *kv, m *model.Master, members int, now time.Time) {
	v, ok := s.viewKey(m.Name, s.addrKey(m))
	fo := activeFailover(m)
	flags := flagMaster.set(flagSDown, ok && v.SDown).set(flagODown, m.ODown).set(flagDisconnected, !ok || !v.Connected)
	state := ""
	if fo != nil {
		flags = flags.set(flagFailoverInProgress, true).set(flagForceFailover, fo.Forced)
		state = fo.State
	}
	w.str("name", m.Name)
	s.address(w, m.Addr, false)
	w.str("runid", v.RunID)
	w.flags(flags)
	s.linkFields(w, now, v.PendingCommands, 1, state, v.PingPendingSince, v.LastOKPing, v.LastPingReply)
	if flags&flagSDown != 0 {
		w.int("s-down-time", s.msSince(now, v.SDownSince))
	}
	if m.ODown {
		w.int("o-down-time", max(now.UnixMilli()-m.ODownSinceMs, 0))
	}
	role := v.Role
	if role == "" {
		role = "master"
	}
	w.int("down-after-milliseconds", m.DownAfterMs)
	w.int("info-refresh", msAgeOrZero(now, v.InfoRefresh))
	w.str("role-reported", role)
	w.int("role-reported-time", s.msSince(now, v.RoleChanged))
	w.uint("config-epoch", m.ConfigEpoch)
	w.int("num-slaves", int64(len(m.Replicas)))
	w.int("num-other-sentinels", int64(max(members-1, 0)))
	w.int("quorum", int64(m.Quorum))
	w.int("failover-timeout", m.FailoverTimeoutMs)
	w.int("parallel-syncs", int64(m.ParallelSyncs))
	if m.NotificationScript != "" {
		w.str("notification-script", m.NotificationScript)
	}
	if m.ClientReconfigScript != "" {
		w.str("client-reconfig-script", m.ClientReconfigScript)
	}
}

// replicaMap writes one entry of SENTINEL REPLICAS; v, ok is this node's
// view of replica a, key its host:port.
func (s *Server) replicaMap(w *kv, m *model.Master, a model.Addr, key string, v view.Instance, ok bool, now time.Time) {
	flags := flagSlave.set(flagSDown, ok && v.SDown).set(flagDisconnected, !ok || !v.Connected)
	if fo := m.Failover; fo != nil {
		flags = flags.set(flagPromoted, !fo.Switched && fo.Candidate == a)
		switch fo.Reconf[key] {
		case model.ReconfSent:
			flags |= flagReconfSent
		case model.ReconfInprog:
			flags |= flagReconfInprog
		case model.ReconfDone:
			flags |= flagReconfDone
		}
	}
	s.address(w, a, true)
	w.str("runid", v.RunID)
	w.flags(flags)
	s.linkFields(w, now, v.PendingCommands, 1, "", v.PingPendingSince, v.LastOKPing, v.LastPingReply)
	if flags&flagSDown != 0 {
		w.int("s-down-time", s.msSince(now, v.SDownSince))
	}
	role := v.Role
	if role == "" {
		role = "slave"
	}
	w.int("down-after-milliseconds", m.DownAfterMs)
	w.int("info-refresh", msAgeOrZero(now, v.InfoRefresh))
	w.str("role-reported", role)
	w.int("role-reported-time", s.msSince(now, v.RoleChanged))
	if !ok || v.InfoRefresh.IsZero() { // before the first INFO, Sentinel's defaults
		w.str("master-link-down-time", "0")
		w.str("master-link-status", "err")
		w.str("master-host", "?")
		w.str("master-port", "0")
		w.str("slave-priority", "100")
		w.str("slave-repl-offset", "0")
		w.str("replica-announced", "1")
		return
	}
	w.int("master-link-down-time", v.MasterLinkDownSinceSec*1000)
	if v.MasterLinkUp {
		w.str("master-link-status", "ok")
	} else {
		w.str("master-link-status", "err")
	}
	if v.MasterHost != "" {
		w.str("master-host", v.MasterHost)
	} else {
		w.str("master-host", "?")
	}
	w.int("master-port", int64(v.MasterPort))
	w.int("slave-priority", int64(v.SlavePriority))
	w.int("slave-repl-offset", v.SlaveReplOffset)
	if v.ReplicaAnnounced {
		w.str("replica-announced", "1")
	} else {
		w.str("replica-announced", "0")
	}
}

// peerDown applies Sentinel's SDOWN rule to a peer: no valid PING reply for
// longer than the master's down-after. It returns how long past the limit.
func (s *Server) peerDown(v view.Peer, ok bool, downAfterMs int64, now time.Time) (bool, time.Duration) {
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

// sentinelMap writes one entry of SENTINEL SENTINELS: another raftinel
// node.
func (s *Server) sentinelMap(w *kv, m *model.Master, mem model.Member, refcount int, now time.Time) {
	v, ok := s.peerView(mem.ID)
	down, over := s.peerDown(v, ok, m.DownAfterMs, now)
	flags := flagSentinel.set(flagSDown, down).set(flagDisconnected, !ok || !v.Connected).
		set(flagMasterDown, m.Observations[mem.ID].Down)
	ip, port, err := net.SplitHostPort(mem.Addr)
	if err != nil {
		ip, port = mem.Addr, "0"
	}
	w.str("name", mem.ID)
	w.str("ip", s.shownHost(ip))
	w.str("port", port)
	w.str("runid", mem.ID)
	w.flags(flags)
	s.linkFields(w, now, 0, refcount, "", v.PingPendingSince, v.LastOKPing, v.LastPingReply)
	if down {
		w.int("s-down-time", over.Milliseconds())
	}
	leader := m.Leader
	if leader == "" {
		leader = "?"
	}
	w.int("down-after-milliseconds", m.DownAfterMs)
	w.int("last-hello-message", s.msSince(now, v.LastOKPing))
	w.str("voted-leader", leader)
	w.uint("voted-leader-epoch", m.LeaderEpoch)
}
