package sentinelproto

import (
	"context"
	"strings"
	"time"

	"github.com/raftinel/raftinel/model"
)

// SENTINEL subcommands that read. Address-bearing replies (MASTERS, MASTER,
// REPLICAS/SLAVES, GET-MASTER-ADDR-BY-NAME) first ask Cluster.AwaitFresh: a
// node cut off from the Raft leader answers STALE instead of a possibly old
// address (design rule 8), so the client asks another node; a node still
// catching up (just restarted) answers once it has.

// fresh replies the freshness error, if any, and reports whether to go on.
// A fresh verdict is asked once per batch of commands (resp.Conn.Batch):
// their replies leave together, after the last of them, so the first
// reply of a batch already goes out with the verdict taken for it; the
// others, sharing that verdict, go out no later (-P 16 clients ask 16
// times per batch, and each ask reads the clock). A stale answer is asked
// again every time.
func (x *cmdCtx) fresh() bool {
	ss := x.ss()
	b := x.c.Batch()
	if ss.freshOK && ss.freshBatch == b {
		return true
	}
	ss.freshOK = false
	if err := x.s.o.Cluster.AwaitFresh(context.Background()); err != nil {
		x.fail(err)
		return false
	}
	ss.freshOK, ss.freshBatch = true, b
	return true
}

// lookupMaster replies the lookup error for an unknown name.
func (x *cmdCtx) lookupMaster(i int) *model.Master {
	m := x.s.master(x.arg(i))
	if m == nil {
		x.r.err(errTextNoSuchMaster)
	}
	return m
}

// SENTINEL MASTERS
func cmdSentinelMasters(x *cmdCtx) {
	if !x.fresh() {
		return
	}
	masters := x.s.allMasters()
	now := time.Now()
	x.r.array(len(masters))
	w := x.kv()
	for _, m := range masters {
		x.s.masterMap(w, m, len(x.s.knownPeers(m.Name))+1, now)
		w.put(x.r)
	}
}

// SENTINEL MASTER <name>
func cmdSentinelMaster(x *cmdCtx) {
	if !x.fresh() {
		return
	}
	if m := x.lookupMaster(2); m != nil {
		w := x.kv()
		x.s.masterMap(w, m, len(x.s.knownPeers(m.Name))+1, time.Now())
		w.put(x.r)
	}
}

// SENTINEL REPLICAS|SLAVES <name>: replicas reporting replica-announced:0
// are left out, as Sentinel does.
func cmdSentinelReplicas(x *cmdCtx) {
	if !x.fresh() {
		return
	}
	m := x.lookupMaster(2)
	if m == nil {
		return
	}
	now := time.Now()
	keys := x.s.replicaKeys(m)
	w := x.kv()
	body, n := x.ss().scratch[:0], 0
	for i, a := range m.Replicas {
		v, ok := x.s.viewKey(m.Name, keys[i])
		if ok && !v.InfoRefresh.IsZero() && !v.ReplicaAnnounced {
			continue
		}
		x.s.replicaMap(w, m, a, keys[i], v, ok, now)
		body = w.append(body, x.r.RESP3())
		n++
	}
	x.r.array(n)
	x.r.Raw(body)
	x.ss().keepScratch(body)
}

// peers are the other members of the Raft configuration.
func (s *Server) peers() []model.Member {
	var out []model.Member
	for _, mem := range s.members() {
		if !mem.Self && mem.ID != s.o.MyID {
			out = append(out, mem)
		}
	}
	return out
}

// SentinelsReset is told that this node applied a SENTINEL RESET of
// master. Sentinel forgets a reset master's sentinels and relearns each
// one from its next hello message; raftinel's sentinels are the Raft
// members, and after a reset a member is listed for that master again
// once this node has had a valid PING reply from it (knownPeers).
func (s *Server) SentinelsReset(master string) {
	s.mu.Lock()
	if s.resets == nil {
		s.resets = map[string]time.Time{}
	}
	s.resets[master] = time.Now()
	s.mu.Unlock()
}

// knownPeers are the other nodes listed as master's sentinels: every
// member, except, after a SENTINEL RESET of master, those not heard from
// since.
func (s *Server) knownPeers(master string) []model.Member {
	s.mu.Lock()
	reset, ok := s.resets[master]
	s.mu.Unlock()
	all := s.peers()
	if !ok {
		return all
	}
	var out []model.Member
	for _, mem := range all {
		if v, seen := s.peerView(mem.ID); seen && v.LastOKPing.After(reset) {
			out = append(out, mem)
		}
	}
	return out
}

// SENTINEL SENTINELS <name>: every other raftinel node (each one watches
// every master).
func cmdSentinelSentinels(x *cmdCtx) {
	m := x.lookupMaster(2)
	if m == nil {
		return
	}
	var nmasters int
	x.s.o.Cluster.Read(func(st *model.State) { nmasters = len(st.Masters) })
	peers, now := x.s.knownPeers(m.Name), time.Now()
	x.r.array(len(peers))
	w := x.kv()
	for _, p := range peers {
		x.s.sentinelMap(w, m, p, max(nmasters, 1), now)
		w.put(x.r)
	}
}

// SENTINEL GET-MASTER-ADDR-BY-NAME <name>: an unknown name is a null reply.
func cmdSentinelGetAddr(x *cmdCtx) {
	if !x.fresh() {
		return
	}
	if v := x.s.rendered(); v != nil {
		mv := v.masters[string(x.args[2])]
		switch {
		case mv == nil:
			x.r.nullArray()
			return
		case mv.addrReply != nil:
			x.r.Raw(mv.addrReply)
			return
		} // stored by hostname: shown as below
	}
	var addr model.Addr
	found := false
	x.s.o.Cluster.Read(func(st *model.State) {
		if m := st.Masters[x.arg(2)]; m != nil {
			addr, found = m.Addr, true
		}
	})
	if !found {
		x.r.nullArray()
		return
	}
	ip, port := x.s.hostPort(addr)
	x.r.bulks([]string{ip, port})
}

// SENTINEL MYID
func cmdSentinelMyID(x *cmdCtx) { x.r.bulk(x.s.o.MyID) }

// SENTINEL PENDING-SCRIPTS: one map per scheduled or running script.
func cmdSentinelPendingScripts(x *cmdCtx) {
	if x.s.o.Scripts == nil {
		x.r.array(0)
		return
	}
	jobs := x.s.o.Scripts.Pending()
	now := time.Now()
	x.r.array(len(jobs))
	for _, j := range jobs {
		x.r.mapLen(5)
		x.r.bulk("argv")
		x.r.bulks(j.Argv)
		x.r.bulk("flags")
		if j.Running {
			x.r.bulk("running")
			x.r.bulk("pid")
			x.r.bulkInt(int64(j.PID))
			x.r.bulk("run-time")
			x.r.bulkInt(now.Sub(j.Since).Milliseconds())
		} else {
			x.r.bulk("scheduled")
			x.r.bulk("pid")
			x.r.bulkInt(0)
			x.r.bulk("run-delay")
			x.r.bulkInt(max(j.Since.Sub(now).Milliseconds(), 0))
		}
		x.r.bulk("retry-num")
		x.r.bulkInt(int64(j.RetryNum))
	}
}

// SENTINEL CKQUORUM <name>: usable = this node plus the peers not SDOWN in
// this node's view; the majority that authorizes a failover counts Raft
// voters only.
func cmdSentinelCkquorum(x *cmdCtx) {
	m := x.lookupMaster(2)
	if m == nil {
		return
	}
	now := time.Now()
	usable, usableVoters, voters := 1, 1, 0
	for _, mem := range x.s.members() {
		if mem.Voter {
			voters++
		}
		if mem.Self || mem.ID == x.s.o.MyID {
			if !mem.Voter {
				usableVoters = 0
			}
			continue
		}
		v, ok := x.s.peerView(mem.ID)
		if down, _ := x.s.peerDown(v, ok, m.DownAfterMs, now); down {
			continue
		}
		usable++
		if mem.Voter {
			usableVoters++
		}
	}
	voters = max(voters, 1)
	var why []string
	if usable < m.Quorum {
		why = append(why, "Not enough available Sentinels to reach the specified quorum for this master")
	}
	if usableVoters < voters/2+1 {
		why = append(why, "Not enough available Sentinels to reach the majority and authorize a failover")
	}
	if len(why) > 0 {
		x.r.err("NOQUORUM " + itoa(int64(usable)) + " usable Sentinels. " + strings.Join(why, ". "))
		return
	}
	x.r.simple("OK " + itoa(int64(usable)) + " usable Sentinels. Quorum and failover authorization can be reached")
}

// SENTINEL INFO-CACHE <name> [<name> ...]: this node's last INFO of the
// master and each replica, with its age in ms; unknown names are skipped.
func cmdSentinelInfoCache(x *cmdCtx) {
	seen := map[string]bool{}
	var masters []*model.Master
	for _, a := range x.args[2:] {
		if seen[string(a)] {
			continue
		}
		seen[string(a)] = true
		if m := x.s.master(string(a)); m != nil {
			masters = append(masters, m)
		}
	}
	now := time.Now()
	x.r.array(2 * len(masters))
	for _, m := range masters {
		x.r.bulk(m.Name)
		x.r.array(1 + len(m.Replicas))
		for _, a := range append([]model.Addr{m.Addr}, m.Replicas...) {
			v, ok := x.s.view(m.Name, a)
			x.r.array(2)
			if !ok || v.InfoRefresh.IsZero() {
				x.r.int(0)
				x.r.nullBulk()
				continue
			}
			x.r.int(now.Sub(v.InfoRefresh).Milliseconds())
			x.r.bulk(v.InfoText)
		}
	}
}
