package policy

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
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
		a, _ := model.ParseAddr(tc.addr)
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

func TestInfoWakes(t *testing.T) {
	st := testState()
	st.Masters["b"].Failover = &model.Failover{Epoch: 1}
	for _, tc := range []struct {
		name string
		t    view.Target
		role string
		want InfoWake
	}{
		{"replica claims master", view.Target{Master: "a"}, "master", WakeCorrections},
		{"replica is replica", view.Target{Master: "a"}, "slave", WakeNothing},
		{"master is master", view.Target{Master: "a", IsMaster: true}, "master", WakeNothing},
		{"failover running", view.Target{Master: "b"}, "slave", WakeEngine},
		{"failover running, master", view.Target{Master: "b", IsMaster: true}, "master", WakeEngine},
		{"failover running, replica claims master", view.Target{Master: "b"}, "master", WakeCorrections},
		{"unknown master", view.Target{Master: "gone"}, "slave", WakeNothing},
	} {
		if got := InfoWakes(st, tc.t, view.Instance{Role: tc.role}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
