package consensus

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/model"
)

func TestSnapshotRestoreIdentical(t *testing.T) {
	f := newFSM()
	for i, c := range []model.Entry{
		&model.Monitor{Master: "m", Addr: loopback(1), Quorum: 2},
		&model.AddReplica{Master: "m", Addr: loopback(2)},
		&model.Set{Master: "m", Pairs: []string{"rename-command", "ping", "x", "auth-user", "u"}},
		&model.Observe{Header: model.Header{Node: "n"}, Master: "m", Down: true},
		&model.FailoverStart{Master: "m", Epoch: 1, Candidate: loopback(2)},
		&model.RegisterNode{Header: model.Header{Node: "id1"}, Addr: loopback(26379)},
	} {
		b, _ := model.Encode(c)
		if r := f.Apply(&raft.Log{Index: uint64(i + 1), Data: b}).(*applyResponse); r.err != nil {
			t.Fatal(r.err)
		}
	}
	g := newFSM()
	if !restoreFrom(t, f, g) {
		t.Fatal("no snapshot")
	}
	if gi, _ := g.appliedIndex(); gi != 6 {
		t.Fatalf("restored applied index %d, want 6: a restored node must know what it has applied", gi)
	}
	x, y := stateJSON(t, f), stateJSON(t, g)
	if !bytes.Equal(x, y) {
		t.Fatalf("restored state differs:\n%s\n%s", x, y)
	}
	if !reflect.DeepEqual(f.st.Masters["m"].Clone(), g.st.Masters["m"]) {
		t.Fatal("clone/restore mismatch")
	}
}

type memSink struct{ *bytes.Buffer }

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { return nil }
func (m *memSink) Close() error  { return nil }

// A master's Created is the index of the entry that created it: an
// idempotent MONITOR keeps it, REMOVE + MONITOR of the same name gives a new
// one (node-local credentials of the removed master do not carry over).
func TestMasterCreatedIsTheMonitorEntryIndex(t *testing.T) {
	f := newFSM()
	entry := func(i uint64, c model.Entry) {
		b, err := model.Encode(c)
		if err != nil {
			t.Fatal(err)
		}
		if r := f.Apply(&raft.Log{Index: i, Data: b}).(*applyResponse); r.err != nil {
			t.Fatalf("entry %d: %v", i, r.err)
		}
	}
	created := func() uint64 {
		var c uint64
		f.read(func(s *model.State) { c = s.Masters["m"].Created })
		return c
	}
	entry(7, &model.Monitor{Master: "m", Addr: loopback(6379), Quorum: 2})
	entry(8, &model.Monitor{Master: "m", Addr: loopback(6379), Quorum: 2})
	if c := created(); c != 7 {
		t.Fatalf("created %d after an idempotent MONITOR, want 7", c)
	}
	entry(9, &model.Remove{Master: "m"})
	entry(10, &model.Monitor{Master: "m", Addr: loopback(6379), Quorum: 2})
	if c := created(); c != 10 {
		t.Fatalf("created %d after REMOVE + MONITOR, want 10", c)
	}
	entry(11, &model.Remove{Master: "m"})
	entry(12, &model.SeedConfig{Seed: &model.Seed{Masters: []model.SeedMaster{{Name: "m", Addr: loopback(6379), Settings: model.DefaultSettings(2)}}}})
	if c := created(); c != 12 {
		t.Fatalf("created %d by the seed, want 12", c)
	}
}

// MONITOR may carry the proposing node's defaults for the new master
// (SENTINEL DEBUG default-down-after / default-failover-timeout).

// loopback is the address 127.0.0.1:p.
func loopback(p int) model.Addr { return model.Addr{Host: "127.0.0.1", Port: p} }

// Snapshots stay version 1 while entries of version 2 exist (the
// conditional SET): nodes of the previous release read them.
func TestSnapshotVersionStaysOne(t *testing.T) {
	f := newFSM()
	f.st = model.NewState()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if b := string(snap.(*snapshot).data); !strings.HasPrefix(b, `{"version":1,`) {
		t.Fatalf("snapshot: %s", b)
	}
}
