package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func msd(v ...int) []time.Duration {
	var out []time.Duration
	for _, x := range v {
		out = append(out, time.Duration(x)*time.Millisecond)
	}
	return out
}

func trials(switches ...int) []Trial {
	var ts []Trial
	for _, s := range msd(switches...) {
		ts = append(ts, Trial{ODown: s - 10*time.Millisecond, Switch: s, AllAnswer: s, FirstWrite: s, Rejoin: 2 * s,
			ODownOK: true, SwitchOK: true, AllAnswerOK: true, FirstWriteOK: true, RejoinOK: true})
	}
	return ts
}

func TestRowsTargetsAndRatios(t *testing.T) {
	r := summarizeTrials(trials(1000, 1010, 1020))
	s := summarizeTrials(trials(2000, 2020, 2040))
	slow := summarizeTrials(trials(1200, 1300, 1400))
	res := &Results{Config: Defaults(),
		Failover: map[Fault]map[System]*FailoverResult{
			FaultKill: {Raftinel: &r, Sentinel: &s},
			FaultStop: {Raftinel: &slow, Sentinel: &s},
		},
		Loss: map[System]map[LossKind]*LossResult{
			Raftinel: {LossManual: {Acked: 1000, Switched: true}, LossPartition: {Acked: 1000, Lost: 30, Switched: true}},
			Sentinel: {LossManual: {Acked: 1000, Lost: 100, Switched: true}, LossPartition: {Err: "blocked: no nft"}},
		},
		Throughput: map[System][]ThroughputResult{
			Raftinel: {{Query: "get-master-addr-by-name", RPS: 90000}, {Query: "get-master-addr-by-name -P 16", RPS: 500000}},
			Sentinel: {{Query: "get-master-addr-by-name", RPS: 60000}, {Query: "get-master-addr-by-name -P 16", RPS: 1000000}},
		},
		Footprint: map[System][]*FootprintResult{
			Raftinel: {{Masters: 1, Servers: 1, RSS: []int64{20 << 20}, CPU: []float64{1, 2, 3}, Ready: 300 * time.Millisecond, ReadyOK: true}},
			Sentinel: {{Masters: 1, Servers: 1, RSS: []int64{10 << 20}, CPU: []float64{1, 1, 1}, Ready: 2 * time.Second, ReadyOK: true}},
		},
	}
	rows := map[string]Row{}
	for _, row := range res.Rows() {
		rows[row.Section[:8]+"/"+row.What] = row
	}
	check := func(key, field, want string) {
		t.Helper()
		row, ok := rows[key]
		if !ok {
			t.Fatalf("no row %q", key)
		}
		got := map[string]string{"r": row.Raftinel, "s": row.Sentinel, "ratio": row.Ratio, "target": row.Target}[field]
		if got != want {
			t.Fatalf("%s %s: %q, want %q", key, field, got, want)
		}
	}
	check("kill -9 /first +switch-master", "r", "1000 / 1010 / 1020 / 1020")
	check("kill -9 /first +switch-master", "ratio", "0.50")
	check("kill -9 /first +switch-master", "target", "median ≤ 1100 ms: met")
	check("SIGSTOP /first +switch-master", "target", "median ≤ 1100 ms: missed (median 1300 ms, +200 ms)")
	check("SIGSTOP /old master a replica again, from SIGCONT", "target", "median ≤ 1000 ms: missed (median 2600 ms, +1600 ms)")
	check("acknowle/SENTINEL FAILOVER (20s run)", "target", "0 lost: met")
	check("acknowle/SENTINEL FAILOVER (20s run)", "s", "100 / 1000 (10.00%)")
	check("acknowle/master cut from monitors and replicas, not the writer (1m0s run, 10s cut)", "target", "≤ 2%: missed (3.00%)")
	check("acknowle/master cut from monitors and replicas, not the writer (1m0s run, 10s cut)", "s", "not run: blocked: no nft")
	check("redis-be/get-master-addr-by-name", "target", "≥ 1.5x: met")
	check("redis-be/get-master-addr-by-name -P 16", "target", "≥ 1.0x: missed (0.50x)")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): RSS MB", "ratio", "2.00")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): RSS MB", "target", "≤ 25 MB: met")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): CPU %", "r", "2.00")

	var text, md bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kill -9 of the master", "SIGSTOP of the master", "acknowledged writes lost", "redis-benchmark", "idle monitors"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Fatalf("section %q missing:\n%s\n%s", want, text.String(), md.String())
		}
	}
	if !strings.Contains(md.String(), "| first +switch-master | 1000 / 1010 / 1020 / 1020 | 2000 / 2020 / 2040 / 2040 | 0.50 |") {
		t.Fatalf("markdown row:\n%s", md.String())
	}
}
