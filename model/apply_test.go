package model

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func a(p int) Addr { return Addr{Host: "127.0.0.1", Port: p} }

func mustApply(t *testing.T, st *State, c Entry) []Event {
	t.Helper()
	evs, _, err := Apply(st, c)
	if err != nil {
		t.Fatalf("%s: %v", c.Op(), err)
	}
	return evs
}

func channels(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Channel)
	}
	return strings.Join(s, " ")
}

func TestApplyMonitorRemoveSet(t *testing.T) {
	st := NewState()
	evs := mustApply(t, st, &Monitor{Master: "m", Addr: a(6379), Quorum: 2})
	if len(evs) != 1 || evs[0].Payload != "master m 127.0.0.1 6379 quorum 2" {
		t.Fatalf("+monitor: %v", evs)
	}
	// idempotent
	if evs := mustApply(t, st, &Monitor{Master: "m", Addr: a(6379), Quorum: 2}); len(evs) != 0 {
		t.Fatalf("idempotent monitor emitted %v", evs)
	}
	for _, c := range []*Monitor{
		{Master: "m", Addr: a(6380), Quorum: 2},
		{Master: "m", Addr: a(6379), Quorum: 3},
	} {
		if _, _, err := Apply(st, c); !errors.Is(err, ErrDuplicateMaster) || err.Error() != "Duplicate master name." {
			t.Fatalf("duplicate: %v", err)
		}
	}
	if _, _, err := Apply(st, &Monitor{Master: "q", Addr: a(1), Quorum: 0}); !errors.Is(err, ErrInvalidQuorum) {
		t.Fatalf("quorum 0: %v", err)
	}
	// SET: left to right, not atomic, secrets masked
	evs, _, err := Apply(st, &Set{Master: "m", Pairs: []string{"failover-timeout", "10000", "auth-pass", "s", "quorum", "0", "parallel-syncs", "5"}})
	if err == nil || err.Error() != "Invalid argument '0' for SENTINEL SET 'quorum'" {
		t.Fatalf("set error: %v", err)
	}
	if channels(evs) != "+set +set" || evs[1].Payload != "master m 127.0.0.1 6379 auth-pass ******" {
		t.Fatalf("set events: %v", evs)
	}
	m := st.Masters["m"]
	if m.FailoverTimeoutMs != 10000 || m.AuthPass != "s" || m.Quorum != 2 || m.ParallelSyncs != 1 {
		t.Fatalf("set applied %+v", m.Settings)
	}
	if _, _, err := Apply(st, &Set{Master: "m", Pairs: []string{"foo", "1"}}); err == nil || err.Error() != "Unknown option or number of arguments for SENTINEL SET 'foo'" {
		t.Fatalf("unknown option: %v", err)
	}
	mustApply(t, st, &Set{Master: "m", Pairs: []string{"rename-command", "PING", "PONG2"}})
	if m.RenameCommands["ping"] != "PONG2" {
		t.Fatal("rename")
	}
	mustApply(t, st, &Set{Master: "m", Pairs: []string{"rename-command", "ping", "PING"}})
	if m.RenameCommands != nil {
		t.Fatal("rename to itself removes the mapping")
	}
	if _, _, err := Apply(st, &Set{Master: "nope", Pairs: []string{"quorum", "1"}}); !errors.Is(err, ErrNoSuchMaster) {
		t.Fatalf("unknown master: %v", err)
	}
	evs = mustApply(t, st, &Remove{Master: "m"})
	if channels(evs) != "-monitor" || evs[0].Payload != "master m 127.0.0.1 6379" {
		t.Fatalf("-monitor: %v", evs)
	}
	if _, _, err := Apply(st, &Remove{Master: "m"}); !errors.Is(err, ErrNoSuchMaster) {
		t.Fatalf("remove twice: %v", err)
	}
}

func TestApplySeedOnlyOnce(t *testing.T) {
	st := NewState()
	seed := &Seed{CurrentEpoch: 7, Masters: []SeedMaster{{Name: "m", Addr: a(1), Settings: DefaultSettings(2), ConfigEpoch: 3, Replicas: []Addr{a(3), a(2), a(1)}}}}
	evs := mustApply(t, st, &SeedConfig{Seed: seed})
	if channels(evs) != "+monitor" || st.CurrentEpoch != 7 || st.Masters["m"].ConfigEpoch != 3 {
		t.Fatalf("seed: %v %+v", evs, st)
	}
	if got := st.Masters["m"].Replicas; !reflect.DeepEqual(got, []Addr{a(2), a(3)}) {
		t.Fatalf("seed replicas %v", got)
	}
	seed2 := &Seed{Masters: []SeedMaster{{Name: "other", Addr: a(9), Settings: DefaultSettings(2)}}}
	if evs := mustApply(t, st, &SeedConfig{Seed: seed2}); len(evs) != 0 || st.Masters["other"] != nil {
		t.Fatal("a second seed must not change anything: replicated state wins")
	}
}

func TestApplyReplicasObservationsODownReset(t *testing.T) {
	st := NewState()
	mustApply(t, st, &Monitor{Master: "m", Addr: a(1), Quorum: 2})
	mustApply(t, st, &Monitor{Master: "other", Addr: a(9), Quorum: 2})
	evs := mustApply(t, st, &AddReplica{Master: "m", Addr: a(2)})
	if len(evs) != 1 || evs[0].Payload != "slave 127.0.0.1:2 127.0.0.1 2 @ m 127.0.0.1 1" {
		t.Fatalf("+slave: %v", evs)
	}
	if evs := mustApply(t, st, &AddReplica{Master: "m", Addr: a(2)}); len(evs) != 0 {
		t.Fatal("known replica re-added")
	}
	if evs := mustApply(t, st, &AddReplica{Master: "m", Addr: a(1)}); len(evs) != 0 {
		t.Fatal("master added as its own replica")
	}
	mustApply(t, st, &Observe{Header: Header{Node: "n1", AtMs: 5}, Master: "m", Down: true})
	mustApply(t, st, &Observe{Header: Header{Node: "n1", AtMs: 6}, Master: "m", Down: false})
	if o := st.Masters["m"].Observations["n1"]; o.Down || o.AtMs != 6 {
		t.Fatalf("latest observation wins: %+v", o)
	}
	evs = mustApply(t, st, &ODown{Header: Header{AtMs: 100}, Master: "m", Down: true, Agreeing: 2})
	if len(evs) != 1 || evs[0].Payload != "master m 127.0.0.1 1 #quorum 2/2" {
		t.Fatalf("+odown: %v", evs)
	}
	if evs := mustApply(t, st, &ODown{Master: "m", Down: true, Agreeing: 3}); len(evs) != 0 {
		t.Fatal("repeated +odown")
	}
	_, res, err := Apply(st, &Reset{Pattern: "m*"})
	if err != nil || res.Value != 1 {
		t.Fatalf("reset: %v %v", res, err)
	}
	m := st.Masters["m"]
	if m.Replicas != nil || m.ODown || m.Observations != nil {
		t.Fatalf("reset left %+v", m)
	}
	if _, res, _ := Apply(st, &Reset{Pattern: "nomatch*"}); res.Value != 0 {
		t.Fatal("reset nomatch")
	}
}

func failoverState(t *testing.T) *State {
	st := NewState()
	mustApply(t, st, &Monitor{Master: "m", Addr: a(1), Quorum: 2})
	mustApply(t, st, &AddReplica{Master: "m", Addr: a(2)})
	mustApply(t, st, &AddReplica{Master: "m", Addr: a(3)})
	mustApply(t, st, &ODown{Master: "m", Down: true, Agreeing: 2})
	return st
}

func TestApplyFailoverSequence(t *testing.T) {
	st := failoverState(t)
	if _, _, err := Apply(st, &FailoverStart{Master: "m", Epoch: 5, Candidate: a(2)}); !errors.Is(err, ErrEpochMismatch) {
		t.Fatalf("wrong epoch accepted: %v", err)
	}
	if _, _, err := Apply(st, &FailoverStart{Master: "m", Epoch: 1, Candidate: a(9)}); !errors.Is(err, ErrNotAReplica) {
		t.Fatalf("unknown candidate accepted: %v", err)
	}
	evs := mustApply(t, st, &FailoverStart{Header: Header{Node: "leader1", AtMs: 1000}, Master: "m", Epoch: 1, Candidate: a(2)})
	want := "+new-epoch +try-failover +vote-for-leader +elected-leader +failover-state-select-slave +selected-slave +failover-state-send-slaveof-noone"
	if channels(evs) != want || evs[0].Payload != "1" || evs[2].Payload != "leader1 1" {
		t.Fatalf("start events: %s %v", channels(evs), evs)
	}
	// never two failovers of one master at once, never twice in one epoch
	if _, _, err := Apply(st, &FailoverStart{Master: "m", Epoch: 2, Candidate: a(3)}); !errors.Is(err, ErrFailoverInProgress) {
		t.Fatalf("second start: %v", err)
	}
	// a deposed leader's late step of another epoch is refused
	if _, _, err := Apply(st, &FailoverState{Master: "m", Epoch: 9, State: StateWaitPromotion}); !errors.Is(err, ErrEpochMismatch) {
		t.Fatalf("stale step: %v", err)
	}
	evs = mustApply(t, st, &FailoverState{Master: "m", Epoch: 1, State: StateWaitPromotion})
	if channels(evs) != "+failover-state-wait-promotion" {
		t.Fatal(channels(evs))
	}
	if _, _, err := Apply(st, &SwitchMaster{Master: "m", Epoch: 1, Addr: a(3)}); !errors.Is(err, ErrStepOutOfOrder) {
		t.Fatalf("switch to a non-candidate: %v", err)
	}
	evs = mustApply(t, st, &SwitchMaster{Header: Header{AtMs: 1200}, Master: "m", Epoch: 1, Addr: a(2), Promotion: &Promotion{RunID: "r", ReplID: "x", Offset: 42}})
	if channels(evs) != "+promoted-slave +failover-state-reconf-slaves -odown +switch-master +slave +slave" {
		t.Fatalf("switch events %s", channels(evs))
	}
	if evs[3].Payload != "m 127.0.0.1 1 127.0.0.1 2" {
		t.Fatalf("+switch-master payload %q", evs[3].Payload)
	}
	m := st.Masters["m"]
	if m.Addr != a(2) || m.ConfigEpoch != 1 || !reflect.DeepEqual(m.Replicas, []Addr{a(1), a(3)}) || m.ODown {
		t.Fatalf("after switch %+v", m)
	}
	if len(m.History) != 1 || m.History[0].ReplID != "x" || m.History[0].Offset != 42 || m.History[0].Epoch != 1 {
		t.Fatalf("history %+v", m.History)
	}
	if evs := mustApply(t, st, &SwitchMaster{Master: "m", Epoch: 1, Addr: a(2)}); len(evs) != 0 {
		t.Fatal("switch applied twice")
	}
	if _, _, err := Apply(st, &FailoverAbort{Master: "m", Epoch: 1, Reason: "slave-timeout"}); !errors.Is(err, ErrStepOutOfOrder) {
		t.Fatal("abort after switch must be refused")
	}
	for _, p := range []string{ReconfSent, ReconfInprog, ReconfDone} {
		evs := mustApply(t, st, &Reconf{Master: "m", Epoch: 1, Addr: a(3), Phase: p})
		if len(evs) != 1 || evs[0].Channel != "+slave-reconf-"+p || evs[0].Payload != "slave 127.0.0.1:3 127.0.0.1 3 @ m 127.0.0.1 2" {
			t.Fatalf("reconf %s: %v", p, evs)
		}
	}
	evs = mustApply(t, st, &FailoverEnd{Master: "m", Epoch: 1})
	if channels(evs) != "+failover-end" || evs[0].Payload != "master m 127.0.0.1 1" || m.Failover != nil {
		t.Fatalf("end: %v", evs)
	}
	if st.CurrentEpoch != 1 || m.LeaderEpoch != 1 || m.Leader != "leader1" {
		t.Fatalf("epochs %d %d %q", st.CurrentEpoch, m.LeaderEpoch, m.Leader)
	}
}

func TestApplyFailoverNoCandidateAndAbort(t *testing.T) {
	st := failoverState(t)
	evs := mustApply(t, st, &FailoverStart{Header: Header{AtMs: 50}, Master: "m", Epoch: 1, Reason: "127.0.0.1:2: replica-priority 0"})
	if !strings.HasSuffix(channels(evs), "-failover-abort-no-good-slave") || st.Masters["m"].Failover != nil {
		t.Fatalf("no candidate: %s", channels(evs))
	}
	if m := st.Masters["m"]; m.LastFailoverStartMs != 50 || !strings.Contains(m.LastAbort, "replica-priority 0") {
		t.Fatalf("the refused attempt counts for the 2x rule and keeps its reason: %+v", m)
	}
	mustApply(t, st, &FailoverStart{Master: "m", Epoch: 2, Candidate: a(3)})
	evs = mustApply(t, st, &FailoverAbort{Master: "m", Epoch: 2, Reason: "slave-timeout"})
	if channels(evs) != "-failover-abort-slave-timeout" || st.Masters["m"].Failover != nil || st.Masters["m"].Addr != a(1) {
		t.Fatalf("abort: %v", evs)
	}
}

func TestApplyMonitorDefaults(t *testing.T) {
	st := NewState()
	evs := mustApply(t, st, &Monitor{Master: "m", Addr: a(6379), Quorum: 2, Pairs: []string{"down-after-milliseconds", "1000", "failover-timeout", "5000"}})
	if channels(evs) != "+monitor" {
		t.Fatalf("events %v", evs)
	}
	if s := st.Masters["m"].Settings; s.DownAfterMs != 1000 || s.FailoverTimeoutMs != 5000 || s.Quorum != 2 || s.ParallelSyncs != 1 {
		t.Fatalf("settings %+v", s)
	}
	if _, _, err := Apply(st, &Monitor{Master: "n", Addr: a(6380), Quorum: 2, Pairs: []string{"down-after-milliseconds", "0"}}); err == nil || st.Masters["n"] != nil {
		t.Fatalf("bad default accepted: %v", err)
	}
}
