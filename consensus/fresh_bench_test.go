package consensus

import (
	"context"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// BenchmarkAwaitFresh is the freshness check every address query makes
// (sentinelproto's fresh), on a real three-node cluster's leader and on a
// follower in contact with it.
func BenchmarkAwaitFresh(b *testing.B) {
	nodes := newCluster(b, 3, nil)
	l := leaderOf(b, nodes)
	f := follower(nodes)
	redistest.WaitFor(b, 3*time.Second, "the follower is fresh", func() bool { return f.store.Fresh() == nil })
	for _, tc := range []struct {
		name string
		n    *testNode
	}{{"leader", l}, {"follower", f}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.n.store.AwaitFresh(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
