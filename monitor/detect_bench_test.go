//go:build e2e

package monitor

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// BenchmarkSDownOnKill measures how late SDOWN comes after its deadline
// (last valid reply + down-after) when the master is killed with -9: the
// monitor's own scheduling latency. The tests check only that it never
// comes early; this is where the figure lives.
//
//	go test -tags e2e -run - -bench SDownOnKill -benchtime 5x ./monitor
func BenchmarkSDownOnKill(b *testing.B) {
	srv := redistest.Start(b)
	rec := newRecorder()
	m := New(Config{MyID: testID}, rec, zap.NewNop())
	m.SetTargets([]view.Target{{Master: "mymaster", Addr: srv.Addr(), IsMaster: true, DownAfter: downAfter}})
	run(b, m)
	k := instKey{"mymaster", srv.Addr()}
	waitHealthy(b, m, k.master, k.addr)
	var late time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		srv.Kill()
		at := rec.waitSDown(b, k, true, t0, 5*time.Second)
		v, _ := m.Instance(k.master, k.addr)
		late += at.Sub(v.LastOKPing.Add(downAfter))
		b.StopTimer()
		srv.Restart()
		rec.waitSDown(b, k, false, time.Now(), 5*time.Second)
		waitHealthy(b, m, k.master, k.addr)
		b.StartTimer()
	}
	b.ReportMetric(float64(late.Milliseconds())/float64(b.N), "ms-late/op")
}
