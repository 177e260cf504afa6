package node

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/raftinel/raftinel/model"
)

// Pending SETs fold per setting (last value, first expectation), show on
// top of the committed master of their incarnation, batch per master and
// user in the order they were set, survive a restart in a 0600 file, and
// are forgotten once proposed unless set again meanwhile.
func TestPendingSettingsFoldOverlayBatchAndPersist(t *testing.T) {
	dir := t.TempDir()
	p, err := loadPendingSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	committed := model.DefaultSettings(2) // quorum 2, down-after 30000
	if err := p.add("m", 7, committed, "default", []string{"quorum", "3", "down-after-milliseconds", "1000"}); err != nil {
		t.Fatal(err)
	}
	committed.Quorum = 9 // what the node would see committed by a later SET: the first expectation stays
	if err := p.add("m", 7, committed, "default", []string{"quorum", "4"}); err != nil {
		t.Fatal(err)
	}
	if err := p.add("m", 7, committed, "ops", []string{"parallel-syncs", "5"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, pendingSettingsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi, err)
	}
	p, err = loadPendingSettings(dir) // a restart
	if err != nil {
		t.Fatal(err)
	}
	m := &model.Master{Name: "m", Created: 7, Settings: model.DefaultSettings(2)}
	p.overlay(m)
	if m.Quorum != 4 || m.DownAfterMs != 1000 || m.ParallelSyncs != 5 {
		t.Fatalf("overlay: %+v", m.Settings)
	}
	other := &model.Master{Name: "m", Created: 8, Settings: model.DefaultSettings(2)}
	p.overlay(other)
	if other.Quorum != 2 {
		t.Fatal("a pending change shown on another incarnation of the master")
	}
	bs := p.batches()
	want := []pendingBatch{
		{Master: "m", Created: 7, User: "default", Pairs: []string{"down-after-milliseconds", "1000", "quorum", "4"},
			Expect: []string{"down-after-milliseconds", "30000", "quorum", "2"}},
		{Master: "m", Created: 7, User: "ops", Pairs: []string{"parallel-syncs", "5"}, Expect: []string{"parallel-syncs", "1"}},
	}
	for i := range bs {
		bs[i].seqs = nil
	}
	if !reflect.DeepEqual(bs, want) {
		t.Fatalf("batches:\n%+v\nwant\n%+v", bs, want)
	}
	bs = p.batches()
	if err := p.add("m", 7, committed, "default", []string{"quorum", "5"}); err != nil { // while proposing
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := p.done(b); err != nil {
			t.Fatal(err)
		}
	}
	bs = p.batches()
	if len(bs) != 1 || !reflect.DeepEqual(bs[0].Pairs, []string{"quorum", "5"}) || !reflect.DeepEqual(bs[0].Expect, []string{"quorum", "2"}) {
		t.Fatalf("a setting changed while proposing stays: %+v", bs)
	}
	// A SET this node committed through the log replaces the pending one.
	if err := p.superseded("m", 7, []string{"quorum", "6"}); err != nil {
		t.Fatal(err)
	}
	if p.count() != 0 {
		t.Fatalf("still pending: %+v", p.batches())
	}
	if _, err := os.Stat(filepath.Join(dir, pendingSettingsFile)); !os.IsNotExist(err) {
		t.Fatalf("the file stays when nothing is pending: %v", err)
	}
	// A change for a new incarnation replaces the old one's.
	_ = p.add("m", 7, committed, "default", []string{"quorum", "3"})
	_ = p.add("m", 8, committed, "default", []string{"parallel-syncs", "2"})
	if bs := p.batches(); len(bs) != 1 || bs[0].Created != 8 || !reflect.DeepEqual(bs[0].Pairs, []string{"parallel-syncs", "2"}) {
		t.Fatalf("new incarnation: %+v", bs)
	}
}
