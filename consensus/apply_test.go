package consensus

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

// ApplyBatch lands its entries in the log in their order, each accepted or
// refused on its own; a follower refuses the batch as not the leader.
func TestApplyBatchKeepsOrderAndRefusesAlone(t *testing.T) {
	nodes := newCluster(t, 3, nil)
	l := leaderOf(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var es []model.Entry
	for i := range 6 {
		es = append(es, monitorCmd(fmt.Sprintf("m%d", i), 7000+i))
	}
	es[3] = monitorCmd("m1", 7100) // a duplicate name: refused
	res, errs := l.store.ApplyBatch(ctx, es)
	var last uint64
	for i := range es {
		if i == 3 {
			if !errors.Is(errs[i], model.ErrDuplicateMaster) {
				t.Fatalf("entry 3: %v, want ErrDuplicateMaster", errs[i])
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("entry %d: %v", i, errs[i])
		}
		if res[i].Index <= last {
			t.Fatalf("entry %d at index %d, after %d: out of order", i, res[i].Index, last)
		}
		last = res[i].Index
		if !hasMaster(l, fmt.Sprintf("m%d", i)) {
			t.Fatalf("m%d not applied on return", i)
		}
	}
	f := follower(nodes)
	_, errs = f.store.ApplyBatch(ctx, []model.Entry{monitorCmd("other", 7200)})
	if !errors.Is(errs[0], model.ErrNotLeader) {
		t.Fatalf("on a follower: %v, want ErrNotLeader", errs[0])
	}
}
