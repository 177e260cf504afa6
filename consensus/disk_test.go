package consensus

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// filledNode runs a single node, commits a few entries and stops it,
// leaving its dir.
func filledNode(t *testing.T, mut func(o *Options), entries int) *testNode {
	t.Helper()
	nodes := newCluster(t, 1, func(_ int, o *Options) {
		if mut != nil {
			mut(o)
		}
	})
	n := leaderOf(t, nodes)
	for i := 0; i < entries; i++ {
		if _, err := n.store.Apply(context.Background(), monitorCmd("m"+itoa(i), 6379)); err != nil {
			t.Fatal(err)
		}
	}
	n.stop()
	return n
}

func itoa(i int) string { return strconv.Itoa(i) }

// filledRaftDB is filledNode's raft.db: its path and its bytes.
func filledRaftDB(t *testing.T, entries int) (n *testNode, path string, data []byte) {
	t.Helper()
	n = filledNode(t, nil, entries)
	path = filepath.Join(n.dir, "raft.db")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return n, path, data
}

// reopen starts n again on its dir and returns Open's error.
func reopen(t *testing.T, n *testNode) error {
	t.Helper()
	ln := listen(t)
	mux := NewMux(ln)
	go mux.Serve()
	defer mux.Close()
	o := n.o
	o.Mux, o.Dir, o.Advertise = mux, n.dir, n.addr
	s, err := Open(o)
	if err == nil {
		s.Close()
	}
	return err
}

// A damaged raft.db is an error naming the file and what to do, never a
// panic (bbolt panics on some damaged pages; the process died with a Go
// stack trace) nor a Go runtime fatal (now and then, in runs without
// -race, the GC aborted on what bbolt left behind: diskcheck.go).
func TestDamagedRaftDBIsAnErrorNotAPanic(t *testing.T) {
	n, path, orig := filledRaftDB(t, 40)
	refused := 0
	for seed := int64(0); seed < 40; seed++ {
		// A fresh dir each time: a panicking open leaks its file lock
		// for the rest of the process.
		dir := t.TempDir()
		for _, f := range []string{clusterIDFile, "snapshots"} {
			if err := os.Rename(filepath.Join(n.dir, f), filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		n.dir, path = dir, filepath.Join(dir, "raft.db")
		r := rand.New(rand.NewSource(seed))
		data := append([]byte(nil), orig...)
		switch seed % 3 {
		case 0: // scattered bytes
			for k := 0; k < 50; k++ {
				data[r.Intn(len(data))] = byte(r.Intn(256))
			}
		case 1: // one page of garbage
			pg := r.Intn(len(data)/4096) * 4096
			r.Read(data[pg : pg+4096])
		case 2: // cut short
			data = data[:4096+r.Intn(len(data)-4096)]
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := reopen(t, n)
		if err == nil {
			continue // the damage hit unused space
		}
		if !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "docs/operations.md") {
			t.Fatalf("seed %d: %v", seed, err)
		}
		refused++
	}
	if refused < 10 {
		t.Fatalf("only %d of 40 damaged files were refused", refused)
	}
}

// An emptied or deleted raft.db in a dir whose cluster-id shows it
// belonged to a cluster is refused: bootstrapping again from the config
// would bring back the config's old view of the world.
func TestLostRaftDBIsRefused(t *testing.T) {
	for name, lose := range map[string]func(path string) error{
		"deleted": os.Remove,
		"emptied": func(path string) error { return os.Truncate(path, 0) },
	} {
		n := filledNode(t, nil, 1)
		path := filepath.Join(n.dir, "raft.db")
		if err := lose(path); err != nil {
			t.Fatal(err)
		}
		err := reopen(t, n)
		if !errors.Is(err, ErrStateLost) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), filepath.Join(n.dir, clusterIDFile)) {
			t.Fatalf("%s: %v", name, err)
		}
		if _, serr := os.Stat(path); name == "deleted" && serr == nil {
			t.Logf("%s: Open recreated an empty %s (harmless: it is refused again next time)", name, path)
		}
	}
}

// A log compacted into a snapshot needs that snapshot: without it the
// node would rebuild its state from the log's tail only.
func TestCompactedLogWithoutSnapshotIsRefused(t *testing.T) {
	var n *testNode
	nodes := newCluster(t, 1, func(_ int, o *Options) { o.TrailingLogs = 2 })
	n = leaderOf(t, nodes)
	for i := 0; i < 10; i++ {
		if _, err := n.store.Apply(context.Background(), monitorCmd("m"+itoa(i), 6379)); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.store.Snapshot(); err != nil {
		t.Fatal(err)
	}
	n.stop()
	if err := reopen(t, n); err != nil {
		t.Fatalf("intact: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(n.dir, "snapshots")); err != nil {
		t.Fatal(err)
	}
	err := reopen(t, n)
	if !errors.Is(err, ErrStateLost) || !strings.Contains(err.Error(), "snapshots") {
		t.Fatalf("without snapshots: %v", err)
	}
}

// A node added by RAFT ADD (its raft-join target unreachable) learns the
// cluster id from the leader, and a joined node stores it once it holds
// the log, so that a later loss of raft.db is recognised.
func TestAddedNodeLearnsAndKeepsTheClusterID(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	want := leaderOf(t, nodes).store.cid.get()
	n := addedNode(t, nodes, strings.Repeat("4", 40))
	defer n.stop()
	redistest.WaitFor(t, 5*time.Second, "the cluster id learned and stored", func() bool {
		got, err := loadClusterID(n.dir)
		return err == nil && got == want && n.store.cid.get() == want
	})
	n.stop()
	if err := os.Remove(filepath.Join(n.dir, "raft.db")); err != nil {
		t.Fatal(err)
	}
	if err := reopen(t, n); !errors.Is(err, ErrStateLost) {
		t.Fatalf("added node without its raft.db: %v", err)
	}
}

// addedNode starts a node whose raft-join target is closed and adds it
// (RAFT ADD) through whichever node leads: the leader may change under
// load while the configuration commits (leadership lost while committing
// log), so it is added until that sticks.
func addedNode(t *testing.T, nodes []*testNode, myID string) *testNode {
	t.Helper()
	closedAddr := freeAddr(t)
	addr := freeAddr(t)
	n := &testNode{addr: addr, dir: t.TempDir(), o: fastOptions()}
	n.o.MyID = myID
	n.o.Join = closedAddr
	startNode(t, n)
	redistest.WaitFor(t, 10*time.Second, "the node added", func() bool {
		return leaderOf(t, nodes).store.AddVoter(addr) == nil
	})
	return n
}

// A node an operator added and then removed is not added back by its own
// request for the cluster id arriving late (it sends one as soon as it
// counts itself a member; under load the operator's RAFT REMOVE came
// first, and a join request as that question re-added it).
func TestRemovedNodeStaysRemoved(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	n := addedNode(t, nodes, strings.Repeat("5", 40))
	defer n.stop()
	addr := n.addr
	redistest.WaitFor(t, 5*time.Second, "the node counts itself a member", n.store.isMember)
	redistest.WaitFor(t, 10*time.Second, "the node removed", func() bool {
		return leaderOf(t, nodes).store.RemoveServer(addr) == nil
	})
	leader := leaderOf(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// the member's question, late
	if _, err := n.store.rpc.call(ctx, leader.addr, n.store.joinRequest(true, false)); err != nil {
		t.Fatal(err)
	}
	for _, m := range leader.store.Members() {
		if m.Addr == addr {
			t.Fatal("the removed node was added again")
		}
	}
}
