package consensus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/model"
)

// FuzzSnapshotAnywhere applies a log (one encoded entry per line, whatever
// the fuzzer made of them) on two nodes: one applies every entry, the
// other restores a snapshot the first took after entry k (the input's
// first byte picks k) and applies the rest. Raft may hand any follower
// such a snapshot, so both must end in the same state, having published
// the same events and answered the same results and refusals for every
// entry after k; and no entry, however malformed, may panic a node. Run
// it with `go test -run '^$' -fuzz FuzzSnapshotAnywhere ./consensus/`.
func FuzzSnapshotAnywhere(f *testing.F) {
	m, r2, r3 := loopback(1), loopback(2), loopback(3)
	prom := &model.Promotion{RunID: "r", ReplID: "x", Offset: 42}
	lines := func(es ...model.Entry) []byte {
		var b []byte
		for _, e := range es {
			enc, err := model.Encode(e)
			if err != nil {
				f.Fatal(err)
			}
			b = append(append(b, enc...), '\n')
		}
		return b
	}
	monitor := []model.Entry{
		&model.Monitor{Master: "m", Addr: m, Quorum: 2, Pairs: []string{"down-after-milliseconds", "1000"}},
		&model.AddReplica{Master: "m", Addr: r2},
		&model.AddReplica{Master: "m", Addr: r3},
	}
	failover := append(monitor,
		&model.Observe{Header: model.Header{Node: "a", AtMs: 10}, Master: "m", Down: true},
		&model.Observe{Header: model.Header{Node: "b", AtMs: 11}, Master: "m", Addr: m, Down: true},
		&model.ODown{Master: "m", Down: true, Agreeing: 2},
		&model.FailoverStart{Header: model.Header{Node: "a", AtMs: 20}, Master: "m", Epoch: 1, Candidate: r2, RunID: "r"},
		&model.FailoverState{Master: "m", Epoch: 1, State: model.StateWaitPromotion},
		&model.SwitchMaster{Header: model.Header{AtMs: 30}, Master: "m", Epoch: 1, Addr: r2, Promotion: prom},
		&model.Reconf{Master: "m", Epoch: 1, Addr: r3, Phase: model.ReconfSent},
		&model.Reconf{Master: "m", Epoch: 1, Addr: r3, Phase: model.ReconfDone},
		&model.FailoverEnd{Master: "m", Epoch: 1},
	)
	seeds := [][]model.Entry{
		monitor,
		failover,
		append(monitor,
			&model.FailoverStart{Master: "m", Epoch: 1, Forced: true, Reason: "no-good-slave"},
			&model.FailoverStart{Master: "m", Epoch: 2, Forced: true, Candidate: r3},
			&model.FailoverAbort{Master: "m", Epoch: 2, Reason: "slave-timeout"},
			&model.FailoverEnd{Master: "m", Epoch: 2, Timeout: true}),
		append(monitor,
			&model.Set{Master: "m", Pairs: []string{"quorum", "3", "rename-command", "PING", "P", "auth-pass", "x"}},
			&model.SetIf{Master: "m", Pairs: []string{"quorum", "2"}, Expect: []string{"quorum", "3"}, Created: 1},
			&model.SetIf{Master: "m", Pairs: []string{"parallel-syncs", "5"}, Expect: []string{"parallel-syncs", "1"}, Created: 9},
			&model.Announce{Master: "m", Channel: "+sdown", Payload: "master m 127.0.0.1 1"},
			&model.Reset{Pattern: "*"},
			&model.Remove{Master: "m"},
			&model.Monitor{Master: "m", Addr: r3, Quorum: 1}),
		{
			&model.SeedConfig{Seed: &model.Seed{CurrentEpoch: 4, Masters: []model.SeedMaster{
				{Name: "s", Addr: m, Settings: model.DefaultSettings(2), ConfigEpoch: 4, Replicas: []model.Addr{r2}},
			}}},
			&model.RegisterNode{Header: model.Header{Node: "id1"}, Addr: loopback(26379), LogVersion: model.LogVersion},
			&model.ConfigSet{Pairs: []string{"announce-hostnames", "yes", "resolve-hostnames", "yes"}},
			&model.Observe{Header: model.Header{Node: "id1"}, Master: "s", Down: true},
			&model.SeedConfig{Seed: &model.Seed{}},
		},
	}
	for _, s := range seeds {
		for _, k := range []byte{0, 2, 5, 255} {
			f.Add(append([]byte{k}, lines(s...)...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		log := bytes.Split(data[1:], []byte("\n"))
		if len(log) > 64 {
			log = log[:64]
		}
		checkSnapshotAnywhere(t, log, int(data[0])%(len(log)+1))
	})
}

// checkSnapshotAnywhere applies log on two FSMs, the second restored
// from a snapshot of the first taken after entry k, and fails t unless
// both answer, publish and end alike.
func checkSnapshotAnywhere(t *testing.T, log [][]byte, k int) {
	t.Helper()
	full := newFSM()
	for i, b := range log[:k] {
		full.Apply(&raft.Log{Index: uint64(i + 1), Data: b})
	}
	restored := newFSM()
	if !restoreFrom(t, full, restored) {
		// A halted node takes no snapshot (fsm.halted): a follower
		// replays the same log instead, and halts at the same entry.
		for i, b := range log[:k] {
			restored.Apply(&raft.Log{Index: uint64(i + 1), Data: b})
		}
	}
	var fullEvs, restEvs []string
	full.emit = collect(&fullEvs)
	restored.emit = collect(&restEvs)
	for i, b := range log[k:] {
		l := raft.Log{Index: uint64(k + i + 1), Data: b}
		x := outcome(full.Apply(&l))
		y := outcome(restored.Apply(&l))
		if x != y {
			t.Fatalf("entry %d %q: applied after a restore gives %s, without %s", l.Index, b, y, x)
		}
	}
	if !reflect.DeepEqual(fullEvs, restEvs) {
		t.Fatalf("events after a restore at entry %d:\n%v\nwithout:\n%v", k, restEvs, fullEvs)
	}
	if a, b := stateJSON(t, full), stateJSON(t, restored); !bytes.Equal(a, b) {
		t.Fatalf("state after a restore at entry %d:\n%s\nwithout:\n%s", k, b, a)
	}
}

// restoreFrom gives to what a snapshot of from holds, as Raft would;
// false when from takes none because it has halted.
func restoreFrom(t *testing.T, from, to *fsm) bool {
	t.Helper()
	snap, err := from.Snapshot()
	if err != nil {
		from.mu.RLock()
		halted := from.halted
		from.mu.RUnlock()
		if halted == nil {
			t.Fatalf("snapshot: %v", err)
		}
		return false
	}
	var buf bytes.Buffer
	if err := snap.Persist(&memSink{Buffer: &buf}); err != nil {
		t.Fatal(err)
	}
	if err := to.Restore(io.NopCloser(&buf)); err != nil {
		t.Fatalf("restore of a snapshot this build wrote: %v\n%s", err, buf.Bytes())
	}
	return true
}

func collect(into *[]string) func(uint64, []model.Event) {
	return func(index uint64, evs []model.Event) {
		for _, e := range evs {
			*into = append(*into, fmt.Sprintf("%d %s %s", index, e.Channel, e.Payload))
		}
	}
}

func outcome(r any) string {
	ar := r.(*applyResponse)
	if ar.err != nil {
		return "error: " + ar.err.Error()
	}
	return fmt.Sprintf("%+v", ar.res)
}

func stateJSON(t *testing.T, f *fsm) []byte {
	t.Helper()
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := json.Marshal(f.st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
