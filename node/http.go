package node

import (
	"errors"
	"strconv"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/httpapi"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/monitor"
	"go.uber.org/zap"
)

// The optional HTTP listener (http-port): metrics, health and status. It
// listens on the node's bind addresses like the Sentinel port.

// openHTTP binds http-port when it is set; the metrics exist either way
// (publish and the monitor feed them).
func (n *Node) openHTTP() error {
	if n.cfg.HTTPPort == 0 {
		return nil
	}
	c := *n.cfg
	c.Port = n.cfg.HTTPPort
	lns, err := listen(&c)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return n.cfg.Errorf("http-port", "%s", ce.Reason)
		}
		return err
	}
	n.httpLns = lns
	n.http = httpapi.New(httpSource{n}, n.metrics, n.log)
	return nil
}

func (n *Node) serveHTTP() {
	if n.http == nil {
		return
	}
	n.log.Info("http listener started", zap.Int("port", n.cfg.HTTPPort))
	if err := n.http.Serve(n.httpLns...); err != nil {
		n.log.Warn("http listener stopped", zap.Error(err))
	}
}

func (n *Node) closeHTTP() {
	if n.http != nil {
		_ = n.http.Close()
	}
}

// httpSource adapts the node to httpapi.Source.
type httpSource struct{ n *Node }

func (s httpSource) Ready() error { return s.n.store.Fresh() }

func (s httpSource) Status() httpapi.Status {
	n := s.n
	st := httpapi.Status{
		Node:    httpapi.NodeStatus{MyID: n.myID, Addr: n.addr, Version: Version},
		Raft:    raftStatus(n.store),
		Masters: []httpapi.MasterStatus{},
	}
	var masters []*model.Master
	n.store.Read(func(state *model.State) {
		for _, name := range state.MasterNames() {
			masters = append(masters, state.Masters[name].Clone())
		}
	})
	now := time.Now()
	for _, m := range masters {
		st.Masters = append(st.Masters, masterStatus(n.mon, m, now))
	}
	return st
}

func raftStatus(s *consensus.Store) httpapi.RaftStatus {
	info := map[string]string{}
	for _, kv := range s.RaftInfo() {
		info[kv[0]] = kv[1]
	}
	u := func(k string) uint64 { v, _ := strconv.ParseUint(info[k], 10, 64); return v }
	contact, err := strconv.ParseInt(info["raft_last_contact_ms"], 10, 64)
	if err != nil {
		contact = -1
	}
	r := httpapi.RaftStatus{
		State: info["raft_state"], Leader: info["raft_leader"], Term: u("raft_term"),
		AppliedIndex: u("raft_applied_index"), CommitIndex: u("raft_commit_index"),
		LastContactMs: contact, Fresh: s.Fresh() == nil, Members: []httpapi.Member{},
	}
	for _, m := range s.Members() {
		r.Members = append(r.Members, httpapi.Member{ID: m.ID, Addr: m.Addr, Voter: m.Voter, Leader: m.Leader, Self: m.Self})
	}
	return r
}

func masterStatus(mon *monitor.Monitor, m *model.Master, now time.Time) httpapi.MasterStatus {
	fo := m.Failover
	inst := instanceStatus(mon, m.Name, m.Addr, now, "master")
	if m.ODown {
		inst.Flags = append(inst.Flags, "o_down")
	}
	if fo != nil {
		inst.Flags = append(inst.Flags, "failover_in_progress")
	}
	ms := httpapi.MasterStatus{
		Name: m.Name, Addr: m.Addr.String(), Status: httpapi.MasterOK, Flags: inst.Flags,
		Quorum: m.Quorum, ConfigEpoch: m.ConfigEpoch, Instance: inst,
		Replicas: []httpapi.InstanceStatus{}, LastAbort: m.LastAbort,
	}
	switch {
	case m.ODown:
		ms.Status = httpapi.MasterODown
	case hasFlag(inst.Flags, "s_down"):
		ms.Status = httpapi.MasterSDown
	}
	for _, r := range m.Replicas {
		rs := instanceStatus(mon, m.Name, r, now, "slave")
		if fo != nil && !fo.Switched && fo.Candidate == r {
			rs.Flags = append(rs.Flags, "promoted")
		}
		ms.Replicas = append(ms.Replicas, rs)
	}
	if fo != nil {
		ms.Failover = &httpapi.FailoverStatus{Epoch: fo.Epoch, State: fo.State, Candidate: fo.Candidate.String(),
			Forced: fo.Forced, StartMs: fo.StartMs, Switched: fo.Switched}
	}
	return ms
}

func instanceStatus(mon *monitor.Monitor, master string, a model.Addr, now time.Time, kind string) httpapi.InstanceStatus {
	v, ok := mon.Instance(master, a.String())
	is := httpapi.InstanceStatus{Addr: a.String(), Flags: []string{kind}, LastOKMs: -1}
	if !ok {
		is.Flags = append(is.Flags, "disconnected")
		return is
	}
	if v.SDown {
		is.Flags = append(is.Flags, "s_down")
	}
	if !v.Connected {
		is.Flags = append(is.Flags, "disconnected")
	}
	is.Role, is.ReplOffset, is.LastError = v.Role, v.ReplOffset, v.LastError
	if v.Role == "slave" {
		is.ReplOffset = v.SlaveReplOffset
	}
	if !v.LastOKPing.IsZero() {
		is.LastOKMs = now.Sub(v.LastOKPing).Milliseconds()
	}
	return is
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}
