package consensus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/model"
)

// A node started with raft-join (rather than in raft-peers) becomes a
// member by asking the cluster (joinLoop); every node then records its
// myid for its address in the log (registerLoop).

// joinLoop asks the raft-join address to add this node until it is a
// member, learning the cluster id from the answer. A node that became a
// member otherwise (RAFT ADD by an operator) asks the leader for the id
// only (rpcClusterID): a join request would add it again if the operator
// removed it meanwhile (seen under load: RAFT REMOVE undone by the removed
// node's own late join). A leader that predates rpcClusterID answers it
// as an unknown command; the join request is used then. The id is stored
// in dir only once this node is a member, that is once it holds the
// cluster's log: a dir with an id but no Raft state is one whose state
// was lost (disk.go).
func (s *Store) joinLoop() {
	oldLeader := false // the leader does not know rpcClusterID
	var id [clusterIDLen]byte
	learned := false
	for attempt := 0; ; attempt++ {
		member := s.isMember()
		if member && learned {
			if id != ([clusterIDLen]byte{}) {
				if err := storeClusterID(s.o.Dir, id); err != nil {
					s.log.Warn("storing the cluster id failed", zap.Error(err))
				}
			}
			return
		}
		via := s.o.Join
		if member {
			via = s.LeaderAddr()
		}
		req := s.joinRequest(member, oldLeader)
		kind := req.Kind
		if !learned && via != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			resp, err := s.rpc.call(ctx, via, req)
			cancel()
			if err == nil {
				err = decodeError(resp)
			}
			if err == nil && kind == rpcClusterID && len(resp.Data) != clusterIDLen {
				err = errors.New("the leader does not know the cluster id yet")
			}
			switch {
			case kind == rpcClusterID && errors.Is(err, model.ErrUnknownCommand):
				oldLeader = true
			case err == nil:
				if len(resp.Data) == clusterIDLen {
					copy(id[:], resp.Data)
					s.cid.set(id)
				}
				learned = true
				s.log.Info("joined raft cluster", zap.String("via", via), zap.String("cluster", fmt.Sprintf("%x", id)))
			case attempt%10 == 0:
				s.log.Warn("raft join failed, retrying", zap.String("via", via), zap.Error(err))
			}
		}
		select {
		case <-s.done:
			return
		case <-time.After(joinRetry):
		}
	}
}

// joinRequest is what joinLoop sends: a join request while this node is
// not a member, a request for the cluster id once it is one (unless the
// leader predates that request).
func (s *Store) joinRequest(member, oldLeader bool) *rpcRequest {
	if member && !oldLeader {
		return &rpcRequest{Kind: rpcClusterID}
	}
	return &rpcRequest{Kind: rpcJoin, Data: []byte(s.o.Advertise)}
}

// joinRetry spaces join attempts and membership checks.
const joinRetry = 200 * time.Millisecond

func (s *Store) isMember() bool {
	for _, srv := range s.configuredServers() {
		if string(srv.ID) == s.o.Advertise {
			return true
		}
	}
	return false
}

// registerLoop records this node's myid for its address in the log, so
// every node can name it in SENTINEL SENTINELS.
func (s *Store) registerLoop() {
	for {
		var have model.NodeInfo
		s.Read(func(st *model.State) { have = st.Nodes[s.o.Advertise] })
		if have.MyID == s.o.MyID && have.LogVersion == model.LogVersion {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		host, port, _ := net.SplitHostPort(s.o.Advertise)
		a, _ := model.ParseAddr(net.JoinHostPort(host, port))
		_, err := s.Apply(ctx, &model.RegisterNode{Header: model.Header{Node: s.o.MyID, AtMs: time.Now().UnixMilli()}, Addr: a, LogVersion: model.LogVersion})
		cancel()
		if err == nil {
			continue
		}
		select {
		case <-s.done:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
