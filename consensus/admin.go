package consensus

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/model"
)

// Membership, leadership transfer, snapshots and what INFO shows of Raft:
// the RAFT command's side of the Store (api.go is the state's side).

// Members returns the Raft configuration, with each node's myid from the
// registry (a node not yet registered gets a stable id derived from its
// address).
func (s *Store) Members() []model.Member {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	_, leaderID := s.raft.LeaderWithID()
	var nodes map[string]model.NodeInfo
	s.Read(func(st *model.State) {
		nodes = make(map[string]model.NodeInfo, len(st.Nodes))
		for k, v := range st.Nodes {
			nodes[k] = v
		}
	})
	var out []model.Member
	for _, srv := range f.Configuration().Servers {
		addr := string(srv.Address)
		id := nodes[string(srv.ID)].MyID
		if string(srv.ID) == s.o.Advertise {
			id = s.o.MyID
		}
		if id == "" {
			sum := sha1.Sum([]byte(srv.ID))
			id = hex.EncodeToString(sum[:])
		}
		out = append(out, model.Member{
			ID: id, Addr: addr, Voter: srv.Suffrage == raft.Voter,
			Leader: srv.ID == leaderID, Self: string(srv.ID) == s.o.Advertise,
		})
	}
	return out
}

// MemberCount is the number of servers in the Raft configuration (what
// len(Members()) would be, without building the list).
func (s *Store) MemberCount() int { return len(s.configuredServers()) }

// RaftInfo is INFO's "# Raft" section. It reads hashicorp/raft's counters
// one by one rather than through Stats(), which formats some thirty values
// (the configuration with fmt) into a map: per INFO that was a fifth of the
// request's CPU. raft_last_log_index is raft's LastIndex (a snapshot's last
// index counts when the log after it is empty).
func (s *Store) RaftInfo() [][2]string {
	leader := s.LeaderAddr()
	servers := s.configuredServers()
	voters := 0
	for _, srv := range servers {
		if srv.Suffrage == raft.Voter {
			voters++
		}
	}
	u64 := func(v uint64) string { return strconv.FormatUint(v, 10) }
	cid := s.cid.get()
	lastContact := int64(-1)
	if s.IsLeader() {
		lastContact = 0
	} else if lc := s.raft.LastContact(); !lc.IsZero() {
		lastContact = time.Since(lc).Milliseconds()
	}
	fresh := "1"
	if s.Fresh() != nil {
		fresh = "0"
	}
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	return append([][2]string{
		{"raft_state", lowerState(s.raft.State())},
		{"raft_leader", leader},
		{"raft_term", u64(s.raft.CurrentTerm())},
		{"raft_applied_index", u64(s.AppliedIndex())},
		{"raft_commit_index", u64(s.raft.CommitIndex())},
		{"raft_last_log_index", u64(s.raft.LastIndex())},
		{"raft_members", strconv.Itoa(len(servers))},
		{"raft_voters", strconv.Itoa(voters)},
		{"raft_last_contact_ms", strconv.FormatInt(lastContact, 10)},
		{"raft_fresh", fresh},
		{"raft_stale_after_ms", strconv.FormatInt(s.o.StaleAfter.Milliseconds(), 10)},
		{"raft_serve_stale", yn(s.o.ServeStale)},
		{"raft_secret", yn(s.o.Secret != "")},
		{"raft_address", s.o.Advertise},
		{"raft_cluster_id", hex.EncodeToString(cid[:])},
		{"raft_log_version", strconv.Itoa(model.LogVersion)},
		{"raft_cluster_log_version", strconv.Itoa(s.ClusterLogVersion())},
	}, s.formationInfo()...)
}

// ClusterLogVersion is the highest log entry version every current member
// reads, as the members registered it (a member not registered yet, or
// registered before versions, counts as 1). A release that introduces a
// new entry version writes it only once this reaches it (rolling
// upgrades, docs/operations.md).
func (s *Store) ClusterLogVersion() int {
	v := model.LogVersion
	servers := s.configuredServers()
	s.Read(func(st *model.State) {
		for _, srv := range servers {
			n := st.Nodes[string(srv.ID)].LogVersion
			if string(srv.ID) == s.o.Advertise {
				n = model.LogVersion
			}
			v = min(v, max(n, 1))
		}
	})
	return v
}

func lowerState(st raft.RaftState) string {
	switch st {
	case raft.Leader:
		return "leader"
	case raft.Candidate:
		return "candidate"
	case raft.Follower:
		return "follower"
	}
	return "shutdown"
}

// AddVoter adds addr as a voter (leader only; followers forward via Call).
func (s *Store) AddVoter(addr string) error {
	if _, err := model.ParseAddr(addr); err != nil {
		return fmt.Errorf("invalid address %q: %w", addr, err)
	}
	if !s.auth.on {
		return NoSecretError()
	}
	if !s.IsLeader() {
		return model.ErrNotLeader
	}
	return s.raft.AddVoter(raft.ServerID(addr), raft.ServerAddress(addr), 0, s.applyTimeout).Error()
}

// RemoveServer removes a member named by address or myid.
func (s *Store) RemoveServer(addrOrID string) error {
	if !s.IsLeader() {
		return model.ErrNotLeader
	}
	for _, m := range s.Members() {
		if m.Addr == addrOrID || m.ID == addrOrID {
			return s.raft.RemoveServer(raft.ServerID(m.Addr), 0, s.applyTimeout).Error()
		}
	}
	return fmt.Errorf("no raft member %q", addrOrID)
}

// Snapshot takes a snapshot now (compacting the log).
func (s *Store) Snapshot() error {
	err := s.raft.Snapshot().Error()
	if errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return nil
	}
	return err
}

// TransferLeadership hands leadership to another voter.
//
// hashicorp/raft reports a timeout when this leader has not stepped down
// one election timeout after it told the target to stand; on a loaded
// machine the target often wins a little later all the same. So a
// timeout is a failure only if leadership has not moved within
// transferGrace election timeouts more.
func (s *Store) TransferLeadership() error {
	if !s.IsLeader() {
		return model.ErrNotLeader
	}
	return s.transfer(s.raft.LeadershipTransfer())
}

// transfer waits for a leadership transfer raft started (see
// TransferLeadership).
func (s *Store) transfer(f raft.Future) error {
	err := f.Error()
	if err == nil || s.awaitLeaderMoved(transferGrace*s.raft.ReloadableConfig().ElectionTimeout) {
		return nil
	}
	return err
}

// transferGrace is how many election timeouts TransferLeadership still
// waits, after raft gave up on a transfer, for another node to lead.
const transferGrace = 2

// awaitLeaderMoved waits, at most d (polling like AwaitFresh), until
// another node is the known leader; false if the store closes first.
func (s *Store) awaitLeaderMoved(d time.Duration) bool {
	moved := func() bool {
		l := s.LeaderAddr()
		return !s.IsLeader() && l != "" && l != s.o.Advertise
	}
	deadline := time.Now().Add(d)
	for !moved() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-s.done:
			return false
		case <-time.After(freshPoll):
		}
	}
	return true
}

// TakeLeadership makes this node the leader: the leader hands leadership
// over to it (a transfer, no election timeout), and it waits until it
// leads, within ctx.
func (s *Store) TakeLeadership(ctx context.Context) error {
	if s.IsLeader() {
		return nil
	}
	if _, err := s.Call(ctx, "raft-transfer-to", []byte(s.o.Advertise)); err != nil {
		return err
	}
	for !s.IsLeader() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: leadership not taken: %v", model.ErrNotLeader, ctx.Err())
		case <-s.done:
			return ErrShutdown
		case <-time.After(freshPoll):
		}
	}
	return nil
}

// Admin runs a RAFT subcommand. Snapshots are per node; membership changes
// and leadership transfer run on the leader, reached from any node.
func (s *Store) Admin(ctx context.Context, op, arg string) error {
	switch op {
	case "snapshot":
		return s.Snapshot()
	case "add", "remove", "transfer-leadership":
		_, err := s.Call(ctx, "raft-"+op, []byte(arg))
		return err
	}
	return fmt.Errorf("%w: raft %s", model.ErrUnknownCommand, op)
}

func (s *Store) registerAdmin() {
	s.HandleRPC("raft-add", func(_ context.Context, b []byte) ([]byte, error) { return nil, s.AddVoter(string(b)) })
	s.HandleRPC("raft-remove", func(_ context.Context, b []byte) ([]byte, error) { return nil, s.RemoveServer(string(b)) })
	s.HandleRPC("raft-transfer-leadership", func(context.Context, []byte) ([]byte, error) { return nil, s.TransferLeadership() })
	s.HandleRPC("raft-transfer-to", func(_ context.Context, b []byte) ([]byte, error) {
		if !s.IsLeader() {
			return nil, model.ErrNotLeader
		}
		addr := string(b)
		if addr == s.o.Advertise {
			return nil, nil
		}
		return nil, s.transfer(s.raft.LeadershipTransferToServer(raft.ServerID(addr), raft.ServerAddress(addr)))
	})
}
