package consensus

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// cutNet isolates test nodes: a dial from or to an isolated node is refused
// at once (a stopped process, a REJECT rule), and isolating a node closes
// every connection it has.
type cutNet struct {
	mu       sync.Mutex
	isolated map[string]bool
	conns    map[string][]net.Conn // by both ends' addresses
}

func newCutNet() *cutNet {
	return &cutNet{isolated: map[string]bool{}, conns: map[string][]net.Conn{}}
}

// dialer returns node from's Dial option.
func (c *cutNet) dialer(from string) func(network, addr string, timeout time.Duration) (net.Conn, error) {
	return func(network, addr string, timeout time.Duration) (net.Conn, error) {
		c.mu.Lock()
		cut := c.isolated[from] || c.isolated[addr]
		c.mu.Unlock()
		if cut {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		conn, err := net.DialTimeout(network, addr, timeout)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.conns[from] = append(c.conns[from], conn)
		c.conns[addr] = append(c.conns[addr], conn)
		c.mu.Unlock()
		return conn, nil
	}
}

func (c *cutNet) isolate(addr string, cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.isolated[addr] = cut
	if cut {
		for _, conn := range c.conns[addr] {
			conn.Close()
		}
		c.conns[addr] = nil
	}
}

// A follower cut off long enough for the leader's replication backoff to
// grow to seconds (hashicorp/raft: 10 ms doubled per failed AppendEntries,
// up to 10.24 s) must get the entries it missed as soon as it is reachable
// again, so that it is fresh within raft-stale-after of regaining contact.
// Before the peer gate (reach.go) heartbeats resumed at once but the log
// followed only when the backoff sleep ended: the follower stayed -STALE
// "catching up" for seconds.
func TestIsolatedFollowerCatchesUpAtOnceWhenReachableAgain(t *testing.T) {
	cn := newCutNet()
	nodes := newCluster(t, 3, func(i int, o *Options) { o.Dial = cn.dialer(o.Peers[i]) })
	l := leaderOf(t, nodes)
	f := follower(nodes)
	ctx := context.Background()
	if _, err := l.store.Apply(ctx, monitorCmd("m0", 7000)); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 3*time.Second, "the follower is fresh", func() bool { return f.store.Fresh() == nil })

	cn.isolate(f.addr, true)
	// Long enough for about ten failed AppendEntries in a row: the
	// leader's next retry is then seconds away. Entries committed
	// meanwhile are what the follower must catch up on.
	for i := 1; i <= 6; i++ {
		time.Sleep(time.Second)
		if _, err := l.store.Apply(ctx, monitorCmd(fmt.Sprintf("m%d", i), 7000+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.store.AwaitFresh(ctx); err == nil {
		t.Fatal("an isolated follower is fresh")
	}
	cn.isolate(f.addr, false)
	healed := time.Now()
	redistest.WaitFor(t, 5*time.Second, "the leader's heartbeats reach the follower again", func() bool {
		lc := f.store.raft.LastContact()
		return !lc.IsZero() && time.Since(lc) < f.o.StaleAfter/2
	})
	t.Logf("contact %v after the heal", time.Since(healed).Round(time.Millisecond))
	// AwaitFresh waits while the node catches up, at most raft-stale-after.
	err := f.store.AwaitFresh(ctx)
	t.Logf("fresh (%v) %v after the heal", err, time.Since(healed).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("back in contact with the leader but not caught up within raft-stale-after: %v", err)
	}
	if !hasMaster(f, "m6") {
		t.Fatal("fresh without the entries it missed")
	}
}

// A follower asked all the time keeps a fresh verdict (catchUp.freshUntil)
// instead of reading raft's last contact per query; once cut off, it must
// still answer STALE as soon as its last contact with the leader is older
// than raft-stale-after (design rule 8), however recently it was asked.
func TestCutOffFollowerAskedAllTheTimeIsStaleOnceContactIsOld(t *testing.T) {
	cn := newCutNet()
	nodes := newCluster(t, 3, func(i int, o *Options) { o.Dial = cn.dialer(o.Peers[i]) })
	leaderOf(t, nodes)
	f := follower(nodes)
	redistest.WaitFor(t, 3*time.Second, "the follower is fresh", func() bool { return f.store.Fresh() == nil })
	// The verdict now rests on contact lc0; the cut comes after a later
	// contact, so the verdict must be renewed from it, not from the time
	// it is renewed at.
	lc0 := f.store.raft.LastContact()
	redistest.WaitFor(t, 3*time.Second, "a later contact", func() bool { return f.store.raft.LastContact().After(lc0) })

	cn.isolate(f.addr, true)
	asked := 0
	redistest.WaitFor(t, 5*f.o.StaleAfter+3*time.Second, "the follower's contact is old", func() bool {
		lc := f.store.raft.LastContact()
		old := time.Since(lc) > f.o.StaleAfter
		err := f.store.Fresh()
		if f.store.raft.LastContact() != lc {
			return false // a contact after all: look again
		}
		if err == nil {
			asked++
		}
		if old && err == nil {
			t.Fatalf("fresh with its last contact older than raft-stale-after (%v), after %d fresh answers", f.o.StaleAfter, asked)
		}
		return old
	})
	if asked == 0 {
		t.Fatal("never fresh after the cut: the verdict was not exercised")
	}
}
