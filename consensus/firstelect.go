package consensus

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// The first election of a fresh cluster. Every voter has just bootstrapped
// the same configuration and would wait one to two (start) heartbeat
// timeouts, at random, before any of them stands; most of a new cluster's
// time to its first leader is that wait. Instead, once every voter answers
// a ping and reports a log holding only the bootstrap configuration, no
// leader, and at least firstElectionMargin before its own first election
// timer can fire (so that no one can be standing already), the
// lowest-sorted voter stands at once: it sends itself the TimeoutNow
// request hashicorp/raft's leadership transfer uses (no pre-vote, votes
// asked at once). Only that one node does it, once; when the voters come
// up too far apart the random timers alone elect, as before. Nothing here
// decides who wins: the votes do.
const (
	firstElectionPoll   = 5 * time.Millisecond  // between two rounds of pinging the voters
	firstElectionPing   = time.Second           // bound of one round
	firstElectionMargin = 30 * time.Millisecond // a ping reply's time left to the stand's votes (an election takes ~15 ms)
	bootstrapIndex      = 1                     // a bootstrapped log's last index before any entry
)

// pingReply is what rpcPing tells about the answering node's Raft: its last
// log index (Index) and, in Value, -1 when it knows a leader, else the
// milliseconds left before its first election timer can fire (0 when it
// may have fired).
func (s *Store) pingReply(resp *rpcResponse) {
	resp.Index = s.raft.LastIndex()
	resp.Value = s.timerLeft().Milliseconds()
	if addr, _ := s.raft.LeaderWithID(); addr != "" {
		resp.Value = -1
	}
}

// timerLeft is how long before this node's first election timer can fire:
// hashicorp/raft's follower waits at least one heartbeat timeout from its
// start.
func (s *Store) timerLeft() time.Duration {
	return max(s.raft.ReloadableConfig().HeartbeatTimeout-time.Since(s.raftStarted), 0)
}

// firstElection runs on a node that has just bootstrapped voters (sorted or
// not); it returns at once unless this node is the lowest-sorted of several.
func (s *Store) firstElection(voters []string) {
	if len(voters) < 2 || slices.Min(voters) != s.o.Advertise {
		return
	}
	t := time.NewTicker(firstElectionPoll)
	defer t.Stop()
	for s.selfFresh() {
		if s.votersFresh(voters) {
			if s.selfFresh() {
				s.standNow()
			}
			return
		}
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// selfFresh is this node's own part of the condition.
func (s *Store) selfFresh() bool {
	return s.LeaderAddr() == "" && s.raft.LastIndex() == bootstrapIndex && s.timerLeft() > firstElectionMargin
}

// votersFresh reports whether every other voter answers a ping with a log
// holding just the bootstrap configuration, no known leader and time left
// before its first election timer. A peer without the reply's fields (an
// older build) answers index 0: not fresh.
func (s *Store) votersFresh(voters []string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), firstElectionPing)
	defer cancel()
	var mu sync.Mutex
	fresh := true
	var wg sync.WaitGroup
	for _, v := range voters {
		if v == s.o.Advertise {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.rpc.call(ctx, v, &rpcRequest{Kind: rpcPing})
			ok := err == nil && decodeError(resp) == nil && freshPeer(resp)
			mu.Lock()
			fresh = fresh && ok
			mu.Unlock()
		}()
	}
	wg.Wait()
	return fresh
}

// freshPeer reads a ping reply (pingReply).
func freshPeer(resp *rpcResponse) bool {
	return resp.Index == bootstrapIndex && resp.Value > firstElectionMargin.Milliseconds()
}

// standNow makes this node a candidate at once, through its own transport.
func (s *Store) standNow() {
	self := raft.ServerAddress(s.o.Advertise)
	req := &raft.TimeoutNowRequest{RPCHeader: raft.RPCHeader{
		ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(s.o.Advertise), Addr: []byte(s.o.Advertise),
	}}
	if err := s.trans.TimeoutNow(raft.ServerID(s.o.Advertise), self, req, &raft.TimeoutNowResponse{}); err != nil {
		s.log.Info("raft first election not started early", zap.Error(err))
		return
	}
	s.log.Info("raft first election started: every voter is up")
}
