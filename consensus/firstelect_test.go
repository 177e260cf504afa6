package consensus

import (
	"slices"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// A fresh cluster elects its first leader as soon as every voter is up,
// without waiting for an election timer: with timers of a minute, only the
// lowest-sorted voter's early stand can give it a leader within the wait.
func TestFreshClusterStandsWithoutWaitingForTimers(t *testing.T) {
	nodes := newCluster(t, 3, func(_ int, o *Options) {
		o.HeartbeatTimeout, o.ElectionTimeout, o.LeaderLeaseTimeout = time.Minute, time.Minute, time.Minute
	})
	l := leaderOf(t, nodes)
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.addr)
	}
	if want := slices.Min(addrs); l.addr != want {
		t.Fatalf("leader %s, want the lowest-sorted voter %s (the only one to stand early)", l.addr, want)
	}
}

// Once a cluster has a leader, its voters are no longer fresh: a node
// that bootstrapped late must not unseat it with an early stand.
func TestVotersWithALeaderAreNotFresh(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	l := leaderOf(t, nodes)
	var voters []string
	for _, n := range nodes {
		voters = append(voters, n.addr)
	}
	for _, n := range nodes {
		if n == l {
			continue
		}
		redistest.WaitFor(t, 5*time.Second, "the leader known", func() bool { return n.store.LeaderAddr() != "" })
		if n.store.votersFresh(voters) {
			t.Fatalf("%s: voters reported fresh although %s leads", n.addr, l.addr)
		}
	}
}

func TestFreshPeerReply(t *testing.T) {
	for _, c := range []struct {
		resp rpcResponse
		want bool
	}{
		{rpcResponse{Index: bootstrapIndex, Value: 150}, true},
		{rpcResponse{Index: bootstrapIndex, Value: -1}, false},      // knows a leader
		{rpcResponse{Index: bootstrapIndex, Value: 10}, false},      // its timer may fire before the votes come
		{rpcResponse{Index: bootstrapIndex + 1, Value: 150}, false}, // has entries
		{rpcResponse{}, false}, // older build: no fields
	} {
		if got := freshPeer(&c.resp); got != c.want {
			t.Errorf("freshPeer(%+v) = %v, want %v", c.resp, got, c.want)
		}
	}
}
