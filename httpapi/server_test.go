package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeSource struct {
	mu    sync.Mutex
	st    Status
	ready error
}

func (f *fakeSource) Status() Status { f.mu.Lock(); defer f.mu.Unlock(); return f.st }
func (f *fakeSource) Ready() error   { f.mu.Lock(); defer f.mu.Unlock(); return f.ready }

func serve(t *testing.T, src Source, met *Metrics) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(src, met, nil)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	src := &fakeSource{st: Status{
		Node: NodeStatus{MyID: "abc", Addr: "127.0.0.1:26379", Version: "9.9.9"},
		Raft: RaftStatus{State: "follower", Leader: "127.0.0.1:26380", Term: 7, LastContactMs: 12, Fresh: true,
			Members: []Member{{ID: "a", Addr: "127.0.0.1:26379", Self: true}, {ID: "b", Addr: "127.0.0.1:26380", Leader: true}}},
		Masters: []MasterStatus{{Name: "mymaster", Addr: "127.0.0.1:6379", Status: MasterSDown,
			Flags: []string{"master", "s_down"}, Replicas: []InstanceStatus{{Addr: "127.0.0.1:6380", Flags: []string{"slave"}}}}},
	}}
	base := serve(t, src, NewMetrics())
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz while ready: %d", code)
	}
	src.mu.Lock()
	src.ready = errors.New("STALE no leader for 3000 ms")
	src.mu.Unlock()
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "STALE") {
		t.Fatalf("/readyz while stale: %d %q", code, body)
	}
	code, body := get(t, base+"/v1/status")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("/v1/status: %d %v %s", code, err, body)
	}
	if st.Raft.Term != 7 || len(st.Masters) != 1 || st.Masters[0].Replicas[0].Addr != "127.0.0.1:6380" {
		t.Fatalf("/v1/status decoded to %+v", st)
	}
	_, m := get(t, base+"/metrics")
	for _, want := range []string{
		`raftinel_raft_state{state="follower"} 1`,
		`raftinel_raft_state{state="leader"} 0`,
		`raftinel_raft_leader{leader="127.0.0.1:26380"} 1`,
		`raftinel_raft_term 7`,
		`raftinel_raft_last_contact_seconds 0.012`,
		`raftinel_raft_members 2`,
		`raftinel_master_status{master="mymaster",status="sdown"} 1`,
		`raftinel_master_status{master="mymaster",status="ok"} 0`,
		`raftinel_master_sdown{master="mymaster"} 1`,
		`raftinel_master_odown{master="mymaster"} 0`,
		`raftinel_master_replicas{master="mymaster"} 1`,
		`raftinel_failovers_started_total{master="mymaster"} 0`,
		`raftinel_failovers_succeeded_total{master="mymaster"} 0`,
		`raftinel_build_info{version="9.9.9"} 1`,
		`raftinel_probe_latency_seconds_count 0`,
		`raftinel_raft_commit_seconds_count`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want+"") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
}

func TestFailoverCountersFromEvents(t *testing.T) {
	met := NewMetrics()
	now := time.Unix(1000, 0)
	met.now = func() time.Time { return now }
	src := &fakeSource{st: Status{Masters: []MasterStatus{{Name: "m1", Status: MasterOK}}}}
	base := serve(t, src, met)
	steps := []struct {
		after          time.Duration
		channel, event string
	}{
		{0, "+try-failover", "master m1 127.0.0.1 7000"},
		{30 * time.Millisecond, "+switch-master", "m1 127.0.0.1 7000 127.0.0.1 7001"},
		{20 * time.Millisecond, "+failover-end", "master m1 127.0.0.1 7000"},
		{time.Second, "+try-failover", "master m1 127.0.0.1 7001"},
		{0, "-failover-abort-no-good-slave", "master m1 127.0.0.1 7001"},
		{0, "+try-failover", "master m2 127.0.0.1 8000"},
		{0, "+sdown", "master m2 127.0.0.1 8000"},
	}
	for _, s := range steps {
		now = now.Add(s.after)
		met.Event(s.channel, s.event)
	}
	met.ObservePing(2 * time.Millisecond)
	_, m := get(t, base+"/metrics")
	for _, want := range []string{
		`raftinel_failovers_started_total{master="m1"} 2`,
		`raftinel_failovers_started_total{master="m2"} 1`,
		`raftinel_failovers_succeeded_total{master="m1"} 1`,
		`raftinel_failovers_aborted_total{master="m1",reason="no-good-slave"} 1`,
		`raftinel_failover_last_switch_seconds{master="m1"} 0.03`,
		`raftinel_failover_last_duration_seconds{master="m1"} 0.05`,
		`raftinel_probe_latency_seconds_count 1`,
		`raftinel_probe_latency_seconds_bucket{le="0.0025"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestRaftSinkKeepsTwoTimings(t *testing.T) {
	s := &raftSink{commit: newTestHist(), apply: newTestHist()}
	s.AddSample([]string{"raft", "commitTime"}, 2)
	s.AddSampleWithLabels([]string{"svc", "raft", "fsm", "apply"}, 0.5, nil)
	s.AddSample([]string{"raft", "replication", "appendEntries"}, 1)
	if c, a := histCount(s.commit), histCount(s.apply); c != 1 || a != 1 {
		t.Fatalf("commit %d apply %d samples, want 1 and 1", c, a)
	}
}

// A scrape between the two updates of +failover-end must never see the
// success counted without its duration (TestOpsMetricsCountFailover polls
// the counter, then reads the duration).
func TestFailoverEndSetsDurationBeforeCount(t *testing.T) {
	met := NewMetrics()
	now := time.Unix(1000, 0)
	ending := false
	var countSeenAtClockRead float64 = -1
	met.now = func() time.Time {
		if ending {
			countSeenAtClockRead = met.succeeded.get("m1")
		}
		return now
	}
	met.Event("+try-failover", "master m1 127.0.0.1 7000")
	now = now.Add(40 * time.Millisecond)
	ending = true
	met.Event("+failover-end", "master m1 127.0.0.1 7000")
	if countSeenAtClockRead != 0 {
		t.Fatalf("the success was counted (%v) before its duration was measured", countSeenAtClockRead)
	}
	if got := met.lastFailover.get("m1"); got != 0.04 {
		t.Fatalf("last duration %v, want 0.04", got)
	}
	if got := met.succeeded.get("m1"); got != 1 {
		t.Fatalf("succeeded %v, want 1", got)
	}
}
