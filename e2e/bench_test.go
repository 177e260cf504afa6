//go:build e2e

package e2e

import (
	"sort"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// BenchmarkKillToSwitchMaster measures kill -9 of the master -> the first
// +switch-master, down-after-milliseconds 1000, 3 nodes, quorum 2, a fresh
// cluster per trial (issue 4, acceptance 7). Run it without -race:
//
//	go test ./e2e -run '^$' -bench KillToSwitchMaster -benchtime 10x
func BenchmarkKillToSwitchMaster(b *testing.B) {
	if raceEnabled {
		b.Skip("timings are meaningless under -race")
	}
	var samples []time.Duration
	for i := 0; i < b.N; i++ {
		samples = append(samples, oneKillTrial(b))
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(samples[len(samples)/2]), "median-ms")
	b.ReportMetric(ms(samples[0]), "min-ms")
	b.ReportMetric(ms(samples[len(samples)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}

func oneKillTrial(b *testing.B) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	set := redistest.StartSet(b, 2)
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", set.Master, 2, 1000)...)
	c, err := startClusterTB(b, 3, lines...)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	redistest.WaitFor(b, 10*time.Second, "replicas known", func() bool {
		s, err := c.Nodes[0].Do("SENTINEL", "MASTER", "mymaster")
		return err == nil && harness.FlatMap(s)["num-slaves"] == "2"
	})
	sub := subscribeTB(b, c.Nodes[0].Addr(), "+switch-master")
	defer sub.Close()
	ch := sub.Channel()
	time.Sleep(1500 * time.Millisecond) // let pings settle into their period
	start := time.Now()
	set.Master.Kill()
	select {
	case <-ch:
		return time.Since(start)
	case <-time.After(15 * time.Second):
		b.Fatal("no +switch-master within 15 s")
	}
	return 0
}
