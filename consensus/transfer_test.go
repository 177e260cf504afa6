package consensus

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/raftinel/raftinel/internal/redistest"
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
	// An attempt whose target did not win even within the grace (a
	// machine too loaded for the timings below) says nothing either way:
	// it is run again, at most three times in all.
	for attempt := 1; attempt <= 3; attempt++ {
		l, start, err := heldTransfer(t)
		if err == nil {
			if l.store.IsLeader() {
				t.Fatal("the old leader still leads")
			}
			t.Logf("leadership moved after %v", time.Since(start).Round(time.Millisecond))
			return
		}
		// Failed: did leadership move within the grace all the same?
		grace := (1 + transferGrace) * l.store.raft.ReloadableConfig().ElectionTimeout
		moved, ok := time.Duration(0), false
		for end := time.Now().Add(5 * time.Second); !ok && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			moved = time.Since(start)
			la := l.store.LeaderAddr()
			ok = !l.store.IsLeader() && la != "" && la != l.addr
		}
		if !ok {
			t.Logf("attempt %d inconclusive: leadership did not move (%v)", attempt, err)
			continue
		}
		if moved <= grace {
			t.Fatalf("transfer failed after %v (%v) although leadership moved after %v, within the grace (%v)", time.Since(start), err, moved, grace)
		}
		t.Logf("attempt %d inconclusive: leadership moved only after %v, past the grace (%v)", attempt, moved, grace)
	}
	t.Fatal("no attempt of three could tell: the target never won within the grace")
}

// heldTransfer starts a 3-node cluster and transfers leadership to a
// follower whose election is held back past raft's deadline, but not past
// the grace. The leader learns of the target's new term from a reply on
// its own streams (a heartbeat's) or from the target's vote request on
// the target's streams: both are held back, as when the machine stalls
// the target's process. Wide margins, so that a loaded machine (-race)
// still fits: raft gives up at 500 ms, the hold ends at 650 ms, the grace
// at 1.5 s.
func heldTransfer(t *testing.T) (l *testNode, start time.Time, err error) {
	const held = 650 * time.Millisecond
	holds := make([]hold, 3)
	nodes := newCluster(t, 3, func(i int, o *Options) {
		o.HeartbeatTimeout, o.ElectionTimeout, o.LeaderLeaseTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
		o.Dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
			c, err := net.DialTimeout(network, addr, timeout)
			if err != nil {
				return nil, err
			}
			return heldConn{Conn: c, peer: addr, h: &holds[i]}, nil
		}
	})
	// Every node has the whole log (the leader's first entries included):
	// the transfer starts from a caught-up target.
	redistest.WaitFor(t, 10*time.Second, "an entry applied through the leader", func() bool {
		l = leaderOf(t, nodes)
		_, err := l.store.Apply(context.Background(), monitorCmd("m0", 7000))
		return err == nil
	})
	for _, n := range nodes {
		redistest.WaitFor(t, 5*time.Second, n.addr+" applies the entry", func() bool { return hasMaster(n, "m0") })
	}
	l = leaderOf(t, nodes)
	if d := l.store.raft.ReloadableConfig().ElectionTimeout; held <= d || held >= (1+transferGrace)*d {
		t.Fatalf("the hold %v must fall between raft's deadline %v and the grace", held, d)
	}
	var target *testNode
	for _, n := range nodes {
		if n != l {
			target = n
		}
	}
	// The target, once it stands, keeps its candidacy past the hold.
	rc := target.store.raft.ReloadableConfig()
	rc.ElectionTimeout = 4 * held
	if err := target.store.raft.ReloadConfig(rc); err != nil {
		t.Fatal(err)
	}
	// The target's first write on its own streams as a candidate is its
	// first vote request: from then on, for the hold, the leader hears
	// nothing from it (not its votes, not its replies with the new term).
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
	start = time.Now()
	err = l.store.transfer(l.store.raft.LeadershipTransferToServer(raft.ServerID(target.addr), raft.ServerAddress(target.addr)))
	if err != nil {
		for _, n := range nodes {
			t.Logf("%s leads=%v term=%d knows=%s target=%v", n.addr, n.store.IsLeader(), n.store.Term(), n.store.LeaderAddr(), n == target)
		}
	}
	return l, start, err
}

// Replication never uses raft's pipeline (see noPipeline): with it, the
// transfer test above left a leader's replication to a follower parked
// for good under load.
func TestReplicationIsNotPipelined(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	l := leaderOf(t, nodes)
	f := follower(nodes)
	p, err := l.store.gtrans.AppendEntriesPipeline(raft.ServerID(f.addr), raft.ServerAddress(f.addr))
	if p != nil {
		p.Close()
	}
	if !errors.Is(err, raft.ErrPipelineReplicationNotSupported) {
		t.Fatalf("AppendEntriesPipeline: %v, %v", p, err)
	}
	// Entries still reach every node.
	if _, err := l.store.Apply(context.Background(), monitorCmd("m0", 7000)); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		redistest.WaitFor(t, 5*time.Second, n.addr+" applies the entry", func() bool { return hasMaster(n, "m0") })
	}
}
