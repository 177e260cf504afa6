package policy

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/view"
)

func TestReplicaDiscovery(t *testing.T) {
	st := testState()
	for _, tc := range []struct {
		master, addr string
		known        bool
	}{
		{"a", "127.0.0.1:7001", true},  // a known replica
		{"a", "127.0.0.1:7000", true},  // the master itself
		{"a", "127.0.0.1:7002", false}, // new
		{"a", "127.0.0.1:7011", false}, // b's replica is not a's
		{"gone", "127.0.0.1:7002", true},
	} {
		a, _ := consensus.ParseAddr(tc.addr)
		if got := ReplicaKnown(st, tc.master, a); got != tc.known {
			t.Errorf("%s %s: known %v, want %v", tc.master, tc.addr, got, tc.known)
		}
	}
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		leader bool
		seen   time.Duration // how long ago the follower first saw it
		want   bool
	}{
		{true, 0, true},
		{false, 0, false},
		{false, FollowerDiscoveryDelay - time.Millisecond, false},
		{false, FollowerDiscoveryDelay, true},
	} {
		if got := ProposeReplica(tc.leader, t0.Add(-tc.seen), t0); got != tc.want {
			t.Errorf("leader %v seen %v ago: %v, want %v", tc.leader, tc.seen, got, tc.want)
		}
	}
}

func TestInfoWakesEngine(t *testing.T) {
	st := testState()
	st.Masters["b"].Failover = &consensus.Failover{Epoch: 1}
	for _, tc := range []struct {
		name string
		t    monitor.Target
		role string
		want bool
	}{
		{"replica claims master", monitor.Target{Master: "a"}, "master", true},
		{"replica is replica", monitor.Target{Master: "a"}, "slave", false},
		{"master is master", monitor.Target{Master: "a", IsMaster: true}, "master", false},
		{"failover running", monitor.Target{Master: "b"}, "slave", true},
		{"failover running, master", monitor.Target{Master: "b", IsMaster: true}, "master", true},
		{"unknown master", monitor.Target{Master: "gone"}, "slave", false},
	} {
		if got := InfoWakesEngine(st, tc.t, view.Instance{Role: tc.role}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
