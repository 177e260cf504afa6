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

// runs builds successful throughput runs of q against t.
func runs(q string, t Target, rps ...float64) *ThroughputRuns {
	tr := &ThroughputRuns{Query: q, Target: t}
	for _, r := range rps {
		tr.Runs = append(tr.Runs, ThroughputResult{Query: q, RPS: r})
	}
	return tr
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
		Throughput: []*ThroughputRuns{
			runs("get-master-addr-by-name", TargetLeader, 90000, 80000, 100000),
			runs("get-master-addr-by-name", TargetFollower, 85000),
			runs("get-master-addr-by-name", TargetSentinel, 60000, 50000, 70000),
			runs("get-master-addr-by-name -P 16", TargetLeader, 500000),
			runs("get-master-addr-by-name -P 16", TargetSentinel, 1000000),
		},
		Footprint: map[System][]*FootprintResult{
			Raftinel: {
				{Masters: 1, Servers: 1, RSS: []int64{14 << 20, 16 << 20, 15 << 20}, CPU: []float64{1, 2, 3}, Ready: msd(300, 310, 320)},
				{Masters: 100, Ping: time.Second, Servers: 100, RSS: []int64{20 << 20}, CPU: []float64{1.5}, Ready: msd(500)},
				{Masters: 100, Ping: time.Second, Heartbeat: time.Second, Servers: 100, RSS: []int64{20 << 20}, CPU: []float64{1.1}, Ready: msd(500)},
			},
			Sentinel: {
				{Masters: 1, Servers: 1, RSS: []int64{10 << 20}, CPU: []float64{1, 1, 1}, Ready: msd(2000)},
				{Masters: 100, Servers: 100, RSS: []int64{14 << 20}, CPU: []float64{1.2}, Ready: msd(3000)},
			},
		},
		Bootstrap: &BootstrapResult{Leader: msd(250, 280, 400)},
		Scale:     &ScaleResult{Masters: 1000, Replicas: 3, RealSets: 33, Ping: time.Second, DownAfter: time.Second, Ready: msd(1500, 1800, 2500), OneKill: msd(1050, 1080, 1120), TenKill: msd(1600)},
	}
	res.Config.Masters = []int{1, 100}
	res.Config.ReplicatedMasters = 0
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
	check("redis-be/get-master-addr-by-name, leader", "target", "≥ 1.5x: met")
	check("redis-be/get-master-addr-by-name, leader", "r", "90000 (80000–100000); 0.00 µs")
	check("redis-be/get-master-addr-by-name, follower", "ratio", "1.42")
	check("redis-be/get-master-addr-by-name -P 16, leader", "target", "≥ 1.0x: missed (0.50x)")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): RSS MB", "ratio", "1.50")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): RSS MB", "r", "15.0 (14.0–16.0)")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): RSS MB", "target", "≤ 15 MB: met")
	check("idle mon/1 masters, 0 replicas each (1 redis-servers): CPU %", "r", "2.00 (1.00–3.00)")
	check("idle mon/100 masters, 0 replicas each, raftinel ping-period 1000 (100 redis-servers): CPU %", "target",
		"≤ redis-sentinel at equal ping periods: missed (1.50% vs 1.20%)")
	check("idle mon/100 masters, 0 replicas each, raftinel ping-period 1000 and raft-heartbeat-timeout 1000 (100 redis-servers): CPU %", "target",
		"≤ redis-sentinel at equal ping periods: met")
	check("Raft boo/fresh 3-node cluster: last node started → all nodes name one leader", "target", "≤ 300 ms: met")
	check("1000 mas/all 3 nodes report all masters ok, from start", "r", "1800 (1500–2500)")
	check("1000 mas/kill -9 of one master → its +switch-master", "target", "≤ 1100 ms: met")
	check("1000 mas/kill -9 of 10 masters at once → the last of their +switch-master", "target", "≤ 1500 ms: missed (1600 ms)")

	var text, md bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kill -9 of the master", "SIGSTOP of the master", "acknowledged writes lost", "redis-benchmark", "idle monitors", "Raft bootstrap", "SIMULATED"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Fatalf("section %q missing:\n%s\n%s", want, text.String(), md.String())
		}
	}
	if !strings.Contains(md.String(), "| first +switch-master | 1000 / 1010 / 1020 / 1020 | 2000 / 2020 / 2040 / 2040 | 0.50 |") {
		t.Fatalf("markdown row:\n%s", md.String())
	}
}
