package consensus

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/model"
)

func TestDecodeRefusesWhatItCannotApply(t *testing.T) {
	for _, tc := range []struct {
		entry string
		ok    bool
		why   string
	}{
		{`{"v":1,"op":"monitor","master":"m"}`, true, ""},
		{`{"op":"monitor","master":"m"}`, true, ""}, // written before versions
		{`{"v":3,"op":"monitor","master":"m"}`, false, "entry version 3, this build reads up to 2"},
		{`{"v":1,"op":"teleport","master":"m"}`, false, `unknown op "teleport"`},
		{`{"v":1,"op":"monitor","master":"m","colour":"red"}`, false, `unknown field "colour"`},
		{`{"v":1,"op":"seed","seed":{"masters":[{"name":"m","shiny":true}]}}`, false, `unknown field "shiny"`},
		{`{"v":1,"op":"monitor"} {"v":1}`, false, "trailing data"},
		{`not json`, false, "cannot decode it"},
	} {
		c, err := model.Decode([]byte(tc.entry))
		if tc.ok {
			if err != nil || c == nil {
				t.Errorf("%s: %v", tc.entry, err)
			}
			continue
		}
		if !errors.Is(err, model.ErrUnknownEntry) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: %v, want ErrUnknownEntry (%s)", tc.entry, err, tc.why)
		}
	}
	b, err := model.Encode(&model.Remove{Master: "m"})
	if err != nil || !strings.HasPrefix(string(b), `{"v":1,`) {
		t.Fatalf("Encode: %s %v", b, err)
	}
}

// An entry the FSM cannot apply stops it there: nothing after it is
// applied (the index stays before it), no snapshot records it as
// applied, and the node is told once.
func TestFSMHaltsAtAnEntryItCannotApply(t *testing.T) {
	f := newFSM()
	var halts []error
	f.halt = func(err error) { halts = append(halts, err) }
	entry := func(i uint64, data string) *raft.Log {
		return &raft.Log{Index: i, Type: raft.LogCommand, Data: []byte(data)}
	}
	f.Apply(entry(1, `{"v":1,"op":"monitor","master":"a","addr":{"host":"127.0.0.1","port":1},"quorum":1}`))
	r := f.Apply(entry(2, `{"v":3,"op":"monitor","master":"b","addr":{"host":"127.0.0.1","port":2},"quorum":1}`)).(*applyResponse)
	f.Apply(entry(3, `{"v":1,"op":"monitor","master":"c","addr":{"host":"127.0.0.1","port":3},"quorum":1}`))
	if !errors.Is(r.err, model.ErrUnknownEntry) || !strings.Contains(r.err.Error(), "log entry 2") || !strings.Contains(r.err.Error(), "docs/operations.md") {
		t.Fatalf("response: %v", r.err)
	}
	if len(halts) != 1 || !errors.Is(halts[0], model.ErrUnknownEntry) {
		t.Fatalf("halts: %v", halts)
	}
	if i, _ := f.appliedIndex(); i != 1 {
		t.Fatalf("applied index %d, want 1 (before the entry it cannot apply)", i)
	}
	f.read(func(s *model.State) {
		if len(s.Masters) != 1 || s.Masters["a"] == nil {
			t.Fatalf("masters after the halt: %v", s.MasterNames())
		}
	})
	if _, err := f.Snapshot(); !errors.Is(err, model.ErrUnknownEntry) {
		t.Fatalf("snapshot of a halted FSM: %v", err)
	}
}

// In a real cluster an entry of a later version stops every node's apply
// at that entry, and a restart does not skip it.
func TestClusterStopsAtAnEntryOfALaterVersion(t *testing.T) {
	var mu sync.Mutex
	halted := map[int][]error{}
	nodes := newCluster(t, 3, func(i int, o *Options) {
		o.OnHalt = func(err error) { mu.Lock(); halted[i] = append(halted[i], err); mu.Unlock() }
	})
	l := leaderOf(t, nodes)
	ctx := context.Background()
	if _, err := l.store.Apply(ctx, monitorCmd("before", 6379)); err != nil {
		t.Fatal(err)
	}
	future := l.store.raft.Apply([]byte(`{"v":99,"op":"monitor","master":"future","addr":{"host":"127.0.0.1","port":1},"quorum":1}`), time.Second)
	if err := future.Error(); err != nil {
		t.Fatal(err)
	}
	bad := future.Index()
	_ = l.store.raft.Apply([]byte(`{"v":1,"op":"monitor","master":"after","addr":{"host":"127.0.0.1","port":2},"quorum":1}`), time.Second).Error()
	redistest.WaitFor(t, 5*time.Second, "every node halted", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(halted) == 3
	})
	for i, n := range nodes {
		mu.Lock()
		errs := halted[i]
		mu.Unlock()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "log entry "+itoa(int(bad))+":") {
			t.Fatalf("node %d: %v", i, errs)
		}
		if idx := n.store.AppliedIndex(); idx >= bad || hasMaster(n, "after") || !hasMaster(n, "before") {
			t.Fatalf("node %d applied up to %d past the entry %d it cannot apply", i, idx, bad)
		}
	}
	// Restarted, a node meets the entry again rather than skipping it.
	n := nodes[1]
	n.stop()
	mu.Lock()
	delete(halted, 1)
	mu.Unlock()
	startNode(t, n)
	redistest.WaitFor(t, 5*time.Second, "the restarted node halted at the same entry", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(halted[1]) == 1 && strings.Contains(halted[1][0].Error(), "log entry "+itoa(int(bad))+":")
	})
	if hasMaster(n, "after") {
		t.Fatal("the restarted node skipped the entry")
	}
}

// Every member registers the entry version it reads; the cluster's is the
// lowest (what a release may write, docs/operations.md).
func TestMembersRegisterTheirLogVersion(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	leaderOf(t, nodes)
	redistest.WaitFor(t, 5*time.Second, "every member registered", func() bool {
		for _, n := range nodes {
			ok := true
			n.store.Read(func(s *model.State) {
				for _, o := range nodes {
					ok = ok && s.Nodes[o.addr].LogVersion == model.LogVersion
				}
			})
			if !ok || n.store.ClusterLogVersion() != model.LogVersion {
				return false
			}
		}
		return true
	})
	info := map[string]string{}
	for _, kv := range nodes[0].store.RaftInfo() {
		info[kv[0]] = kv[1]
	}
	if info["raft_log_version"] != itoa(model.LogVersion) || info["raft_cluster_log_version"] != itoa(model.LogVersion) {
		t.Fatalf("INFO raft: %v", info)
	}
}

// A version-2 entry (a conditional SENTINEL SET) is committed only once
// every member reads version 2: a member still registered at version 1
// would stop at it. The refusal is ErrLogVersion, from any node.
func TestVersion2EntryWaitsForEveryMember(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	l := leaderOf(t, nodes)
	ctx := context.Background()
	if _, err := l.store.Apply(ctx, monitorCmd("m", 6379)); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 5*time.Second, "every member registered", func() bool { return l.store.ClusterLogVersion() == model.LogVersion })
	var created uint64
	l.store.Read(func(s *model.State) { created = s.Masters["m"].Created })
	setIf := func(q string) *model.SetIf {
		return &model.SetIf{Master: "m", Created: created, Pairs: []string{"quorum", q}, Expect: []string{"quorum", "2"}}
	}
	// old plays a member of the previous release. The leader counts itself
	// at its own version, so old must stay a follower; if leadership moves
	// to it meanwhile (it did under load), the round is tried again with
	// another follower.
	var old *testNode
	register := func(v int) {
		t.Helper()
		a, _ := model.ParseAddr(old.addr)
		if _, err := leaderOf(t, nodes).store.Apply(ctx, &model.RegisterNode{Header: model.Header{Node: "old-release"}, Addr: a, LogVersion: v}); err != nil {
			t.Fatal(err)
		}
	}
	redistest.WaitFor(t, 30*time.Second, "every node refuses a version-2 entry while a member reads version 1", func() bool {
		l := leaderOf(t, nodes)
		if old == nil || old == l {
			old = follower(nodes)
		}
		register(1) // as a node of the previous release registers
		for _, n := range nodes {
			_, err := n.store.Apply(ctx, setIf("3"))
			if errors.Is(err, model.ErrLogVersion) {
				continue
			}
			if now := leaderOf(t, nodes); now != l {
				t.Logf("leadership moved from %s to %s during the round (%v): again", l.addr, now.addr, err)
				return false
			}
			t.Fatalf("with a version-1 member: %v", err)
		}
		return true
	})
	register(model.LogVersion)
	if _, err := nodes[1].store.Apply(ctx, setIf("3")); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		redistest.WaitFor(t, 5*time.Second, "applied everywhere", func() bool {
			q := 0
			n.store.Read(func(s *model.State) { q = s.Masters["m"].Quorum })
			return q == 3
		})
	}
}
