package consensus

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// hold holds back a node's streams: reads on the streams to peer until
// readsAt, writes on all until writesAt. Armed, the node's writes call
// onWrite first, until it returns true.
type hold struct {
	mu                sync.Mutex
	peer              string
	readsAt, writesAt time.Time
	onWrite           func() bool
}

func (h *hold) wait(peer string, read bool) {
	h.mu.Lock()
	if f := h.onWrite; f != nil && !read {
		h.mu.Unlock()
		fired := f()
		h.mu.Lock()
		if fired {
			h.onWrite = nil
		}
	}
	at := h.writesAt
	if read {
		at = time.Time{}
		if peer == h.peer {
			at = h.readsAt
		}
	}
	h.mu.Unlock()
	time.Sleep(time.Until(at))
}

// heldConn is a stream dialed to peer. A read that was already waiting
// when a hold began is held after it returns.
type heldConn struct {
	net.Conn
	peer string
	h    *hold
}

func (c heldConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.h.wait(c.peer, true)
	return n, err
}

func (c heldConn) Write(b []byte) (int, error) {
	c.h.wait(c.peer, false)
	return c.Conn.Write(b)
}

// A transfer whose target wins after raft's own deadline (one election
// timeout) still counts: raft reports "leadership transfer timeout", but
// leadership did move, and a shutting-down leader must say so rather than
// warn that it failed (TestOpsSigtermLeaderHandsOver saw this under load).
func TestTransferThatRaftTimesOutButLandsIsASuccess(t *testing.T) {
	// The leader learns of the target's new term from a reply on its
	// own streams (TimeoutNow's, a heartbeat's) or from the target's vote
	// request on the target's streams: both held back for 1.5 election
	// timeouts, raft gives up before the target wins.
	const held = 150 * time.Millisecond
	holds := make([]hold, 3)
	nodes := newCluster(t, 3, func(i int, o *Options) {
		o.Dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
			c, err := net.DialTimeout(network, addr, timeout)
			if err != nil {
				return nil, err
			}
			return heldConn{Conn: c, peer: addr, h: &holds[i]}, nil
		}
	})
	l := leaderOf(t, nodes)
	if d := l.store.raft.ReloadableConfig().ElectionTimeout; held <= d || held >= (1+transferGrace)*d {
		t.Fatalf("the hold %v must fall between raft's deadline %v and the grace", held, d)
	}
	target := follower(nodes)
	// The target, once it stands, keeps its candidacy past the hold.
	rc := target.store.raft.ReloadableConfig()
	rc.ElectionTimeout = 4 * held
	if err := target.store.raft.ReloadConfig(rc); err != nil {
		t.Fatal(err)
	}
	// The target's first write on its own streams as a candidate is its
	// first vote request: from then on, for the hold, the leader hears nothing from
	// it (not its votes, not its replies with the new term), as when the
	// machine stalls the target's process.
	var lh, th *hold
	for i, n := range nodes {
		switch n {
		case l:
			lh = &holds[i]
		case target:
			th = &holds[i]
		}
	}
	th.mu.Lock()
	th.onWrite = func() bool {
		if target.store.raft.State() != raft.Candidate {
			return false
		}
		until := time.Now().Add(held)
		lh.mu.Lock()
		lh.peer, lh.readsAt = target.addr, until
		lh.mu.Unlock()
		th.mu.Lock()
		th.writesAt = until
		th.mu.Unlock()
		return true
	}
	th.mu.Unlock()
	start := time.Now()
	err := l.store.transfer(l.store.raft.LeadershipTransferToServer(raft.ServerID(target.addr), raft.ServerAddress(target.addr)))
	if err != nil {
		for _, n := range nodes {
			t.Logf("%s leads=%v term=%d knows=%s target=%v", n.addr, n.store.IsLeader(), n.store.Term(), n.store.LeaderAddr(), n == target)
		}
		t.Fatalf("transfer after %v: %v", time.Since(start), err)
	}
	if l.store.IsLeader() {
		t.Fatal("the old leader still leads")
	}
	t.Logf("leadership moved after %v", time.Since(start).Round(time.Millisecond))
}
