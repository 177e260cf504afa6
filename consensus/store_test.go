package consensus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

type testNode struct {
	store *Store
	mux   *Mux
	addr  string
	dir   string
	o     Options
	mu    sync.Mutex
	evs   []model.Event
}

func (n *testNode) events() []model.Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]model.Event(nil), n.evs...)
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// freeAddr is a loopback address with a port no other call in this test
// process was given (harness.FreePort): a listener opened on port 0 and
// closed can hand the next one the same port, and two nodes then share
// an address (CI: "bootstrap: found duplicate ID in configuration").
func freeAddr(t testing.TB) string {
	t.Helper()
	port, err := harness.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// testSecret is the raft-secret of the test clusters.
const testSecret = "test-secret"

func fastOptions() Options {
	return Options{
		HeartbeatTimeout: 100 * time.Millisecond, ElectionTimeout: 100 * time.Millisecond,
		LeaderLeaseTimeout: 80 * time.Millisecond, CommitTimeout: 5 * time.Millisecond,
		StaleAfter: 500 * time.Millisecond, ApplyTimeout: 3 * time.Second,
		Secret: testSecret,
	}
}

// startNode opens a store on ln (kept across restarts by reusing addr).
func startNode(t testing.TB, n *testNode) {
	t.Helper()
	ln, err := net.Listen("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	n.mux = NewMux(ln)
	go n.mux.Serve()
	o := n.o
	o.Mux = n.mux
	o.Dir = n.dir
	o.Advertise = n.addr
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	o.OnEvent = func(e model.Event) { n.mu.Lock(); n.evs = append(n.evs, e); n.mu.Unlock() }
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	n.store = s
}

func (n *testNode) stop() {
	if n.store != nil {
		n.store.Close()
		n.store = nil
	}
	if n.mux != nil {
		n.mux.Close()
	}
}

func newCluster(t testing.TB, size int, mut func(i int, o *Options)) []*testNode {
	t.Helper()
	var nodes []*testNode
	var peers []string
	for i := 0; i < size; i++ {
		addr := freeAddr(t)
		peers = append(peers, addr)
		nodes = append(nodes, &testNode{addr: addr, dir: t.TempDir()})
	}
	for i, n := range nodes {
		n.o = fastOptions()
		n.o.MyID = fmt.Sprintf("%040d", i+1)
		if size > 1 {
			n.o.Peers = peers
		}
		if mut != nil {
			mut(i, &n.o)
		}
		startNode(t, n)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
	})
	return nodes
}

func leaderOf(t testing.TB, nodes []*testNode) *testNode {
	t.Helper()
	var l *testNode
	redistest.WaitFor(t, 5*time.Second, "a leader", func() bool {
		for _, n := range nodes {
			if n.store != nil && n.store.IsLeader() {
				l = n
				return true
			}
		}
		return false
	})
	return l
}

func follower(nodes []*testNode) *testNode {
	for _, n := range nodes {
		if n.store != nil && !n.store.IsLeader() {
			return n
		}
	}
	return nil
}

func monitorCmd(name string, port int) *model.Monitor {
	return &model.Monitor{Master: name, Addr: model.Addr{Host: "127.0.0.1", Port: port}, Quorum: 2}
}

func hasMaster(n *testNode, name string) bool {
	ok := false
	n.store.Read(func(s *model.State) { _, ok = s.Masters[name] })
	return ok
}

func TestClusterFollowerWriteIsForwardedAndVisibleEverywhere(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	leaderOf(t, nodes)
	f := follower(nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := f.store.Apply(ctx, monitorCmd("mymaster", 6379)); err != nil {
		t.Fatalf("apply on follower: %v", err)
	}
	// read-your-write on the node that was asked
	if !hasMaster(f, "mymaster") {
		t.Fatal("follower answered before applying its own write")
	}
	for _, n := range nodes {
		n := n
		redistest.WaitFor(t, time.Second, "master on "+n.addr, func() bool { return hasMaster(n, "mymaster") })
	}
	// FSM refusal crosses the wire as the named error
	_, err := f.store.Apply(ctx, &model.Monitor{Master: "mymaster", Addr: model.Addr{Host: "127.0.0.1", Port: 1}, Quorum: 2})
	if !errors.Is(err, model.ErrDuplicateMaster) || err.Error() != "Duplicate master name." {
		t.Fatalf("duplicate: %v", err)
	}
	// every node publishes the event
	for _, n := range nodes {
		n := n
		redistest.WaitFor(t, time.Second, "+monitor on "+n.addr, func() bool {
			for _, e := range n.events() {
				if e.Channel == "+monitor" && e.Payload == "master mymaster 127.0.0.1 6379 quorum 2" {
					return true
				}
			}
			return false
		})
	}
	// members know each other's myids
	redistest.WaitFor(t, 2*time.Second, "registry", func() bool {
		for _, n := range nodes {
			for _, m := range n.store.Members() {
				want := ""
				for i, o := range nodes {
					if o.addr == m.Addr {
						want = fmt.Sprintf("%040d", i+1)
					}
				}
				if m.ID != want {
					return false
				}
			}
		}
		return true
	})
}

func TestClusterRestartKeepsStateAndDoesNotReplayEvents(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	l := leaderOf(t, nodes)
	ctx := context.Background()
	if _, err := l.store.Apply(ctx, monitorCmd("m1", 7000)); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n := n
		redistest.WaitFor(t, 3*time.Second, "applied", func() bool { return hasMaster(n, "m1") })
	}
	for _, n := range nodes {
		n.stop()
	}
	for _, n := range nodes {
		n.evs = nil
		startNode(t, n)
	}
	l = leaderOf(t, nodes)
	for _, n := range nodes {
		n := n
		redistest.WaitFor(t, 3*time.Second, "state after restart", func() bool { return hasMaster(n, "m1") })
		for _, e := range n.events() {
			if e.Channel == "+monitor" {
				t.Fatalf("replayed event after restart: %v", e)
			}
		}
	}
	// restart only the leader
	l.stop()
	l2 := leaderOf(t, nodes)
	if _, err := l2.store.Apply(ctx, monitorCmd("m2", 7001)); err != nil {
		t.Fatal(err)
	}
	startNode(t, l)
	redistest.WaitFor(t, 3*time.Second, "old leader catches up", func() bool { return hasMaster(l, "m2") && hasMaster(l, "m1") })
}

func TestSecretMismatchCannotJoinOrApply(t *testing.T) {
	nodes := newCluster(t, 1, nil)
	leaderOf(t, nodes)
	for _, wrong := range []func(o *Options){
		func(o *Options) { o.Secret = "wrong" },
		func(o *Options) { o.Secret, o.Insecure = "", true },
	} {
		addr := freeAddr(t)
		n := &testNode{addr: addr, dir: t.TempDir(), o: fastOptions()}
		n.o.MyID = fmt.Sprintf("%040d", 9)
		n.o.Join = nodes[0].addr
		wrong(&n.o)
		startNode(t, n)
		time.Sleep(300 * time.Millisecond) // give the join loop several attempts
		for _, m := range nodes[0].store.Members() {
			if m.Addr == addr {
				t.Fatalf("node with secret %q insecure %v joined", n.o.Secret, n.o.Insecure)
			}
		}
		// and it cannot push writes through the leader either
		_, err := n.store.rpc.call(context.Background(), nodes[0].addr, &rpcRequest{Kind: rpcApply, Data: []byte(`{"op":"monitor"}`)})
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("rpc with secret %q insecure %v: %v", n.o.Secret, n.o.Insecure, err)
		}
		n.stop()
	}
	// the right secret joins
	addr := freeAddr(t)
	n := &testNode{addr: addr, dir: t.TempDir(), o: fastOptions()}
	n.o.MyID = fmt.Sprintf("%040d", 8)
	n.o.Join = nodes[0].addr
	startNode(t, n)
	defer n.stop()
	redistest.WaitFor(t, 3*time.Second, "join with the right secret", func() bool {
		for _, m := range nodes[0].store.Members() {
			if m.Addr == addr {
				return true
			}
		}
		return false
	})
}

// A node of another cluster that reaches this cluster's address (a reused
// IP or port) is refused on every stream: it can send no heartbeat, vote or
// write. A node that joins learns the cluster id from the cluster.
func TestOtherClusterIsRefused(t *testing.T) {
	a := newCluster(t, 3, nil)
	b := newCluster(t, 1, nil)
	leaderOf(t, a)
	leaderOf(t, b)
	idA, idB := a[0].store.cid.get(), b[0].store.cid.get()
	if idA == idB || idA != a[1].store.cid.get() {
		t.Fatalf("cluster ids: %x %x %x", idA, a[1].store.cid.get(), idB)
	}
	_, err := b[0].store.rpc.call(context.Background(), a[0].addr, &rpcRequest{Kind: rpcApply, Data: []byte(`{"op":"monitor"}`)})
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("a stream from another cluster: %v", err)
	}
	addr := freeAddr(t)
	n := &testNode{addr: addr, dir: t.TempDir(), o: fastOptions()}
	n.o.MyID = fmt.Sprintf("%040d", 7)
	n.o.Join = a[1].addr // through a follower or the leader, either works
	startNode(t, n)
	defer n.stop()
	redistest.WaitFor(t, 5*time.Second, "joined with the cluster's id", func() bool {
		return n.store.cid.get() == idA && n.store.isMember()
	})
}
