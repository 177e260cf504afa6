package failover

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

// reconfPhases lists the committed reconf phases of addr, in order.
func (s *scenario) reconfPhases(addr string) []string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	var out []string
	for _, c := range s.log.applied {
		if c, ok := c.(*model.Reconf); ok && c.Addr.String() == addr {
			out = append(out, c.Phase)
		}
	}
	return out
}

// lastEnd returns the committed failover-end entry.
func (s *scenario) lastEnd() (*model.FailoverEnd, bool) {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	for i := len(s.log.applied) - 1; i >= 0; i-- {
		if c, ok := s.log.applied[i].(*model.FailoverEnd); ok {
			return c, true
		}
	}
	return nil, false
}

// A replica that takes SLAVEOF but never follows the new master holds its
// parallel-syncs slot only for the reconf timeout (Sentinel's
// SENTINEL_SLAVE_RECONF_TIMEOUT, -slave-reconf-sent-timeout): then it
// counts as done, the others are re-pointed, and the failover ends
// normally.
func TestEngineReplicaThatNeverFollowsTimesOut(t *testing.T) {
	s := newScenario(t)
	s.r.set(scR2, func(in *fakeInstance) { in.ignoreSlaveOf = true })
	s.started()
	s.until("R2 sent", 10, func() bool { return len(s.reconfPhases(scR2)) == 1 })
	for i := 0; i < 5; i++ {
		s.step()
	}
	if got := s.r.sentTo(scR3); len(got) != 0 || s.failover() == nil {
		t.Fatalf("R3 re-pointed while R2 holds the only slot (%v), or the failover ended", got)
	}
	s.log.age(scMaster, slaveReconfTimeout+time.Second)
	s.until("failover ended", 10, func() bool { return s.failover() == nil })
	if got := s.reconfPhases(scR2); !slices.Equal(got, []string{"sent", "timeout"}) {
		t.Fatalf("R2 phases %v", got)
	}
	if got := s.reconfPhases(scR3); !slices.Equal(got, []string{"sent", "inprog", "done"}) {
		t.Fatalf("R3 phases %v", got)
	}
	if end, _ := s.lastEnd(); end.Timeout {
		t.Fatal("ended for timeout")
	}
}

// A replica that follows the new master but never completes its sync keeps
// the failover in reconf-slaves until failover-timeout; then the leader
// sends SLAVEOF to the replicas not yet reached anyway (best effort,
// +slave-reconf-sent-be) and ends the failover for timeout
// (+failover-end-for-timeout), as Sentinel does.
func TestEngineReplicaThatNeverSyncsEndsForTimeout(t *testing.T) {
	s := newScenario(t)
	s.r.set(scR2, func(in *fakeInstance) { in.neverSyncs = true })
	s.started()
	s.until("R2 in progress", 10, func() bool { return len(s.reconfPhases(scR2)) == 2 })
	s.log.age(scMaster, slaveReconfTimeout+time.Second) // in progress: the reconf timeout does not apply
	for i := 0; i < 5; i++ {
		s.step()
	}
	if s.failover() == nil || len(s.r.sentTo(scR3)) != 0 {
		t.Fatalf("failover %+v ended, or R3 reached (%v), before failover-timeout", s.failover(), s.r.sentTo(scR3))
	}
	s.log.age(scMaster, scTO)
	s.step()
	end, ok := s.lastEnd()
	if !ok || !end.Timeout || s.failover() != nil {
		t.Fatalf("not ended for timeout: %v", s.log.ops())
	}
	if got := s.reconfPhases(scR2); !slices.Equal(got, []string{"sent", "inprog", "timeout"}) {
		t.Fatalf("R2 phases %v", got)
	}
	if got := s.reconfPhases(scR3); !slices.Equal(got, []string{"sent-be"}) {
		t.Fatalf("R3 phases %v", got)
	}
	if got := s.r.sentTo(scR3); !slices.Equal(got, []string{"SLAVEOF 127.0.0.1 7001"}) {
		t.Fatalf("R3 was sent %v", got)
	}
}

// A promotion that fails (a connection error, or an error reply) records
// no progress: the same promotion goes to the same candidate in the same
// epoch again until one succeeds. When the transaction took effect but its
// reply was lost, the candidate already reports role:master; the leader
// still commits wait-promotion (re-sending the promotion, which is
// idempotent) before the switch.
func TestEnginePromotionFailingHalfWay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		applies bool
	}{
		{"connection error", errUnreachable, false},
		{"error reply", errors.New("ERR MULTI calls can not be nested"), false},
		{"reply lost", errors.New("i/o timeout"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t)
			s.r.set(scR1, func(in *fakeInstance) { in.txErr, in.txApplies = tc.err, tc.applies })
			s.startedOnly()
			for i := 0; i < 3; i++ {
				s.step()
			}
			if f := s.failover(); f.State != model.StateSendSlaveofNoOne || f.Switched {
				t.Fatalf("progress recorded after failed promotions: %+v", f)
			}
			if got := s.r.sentTo(scR1); len(got) != 3 || s.r.promotions() != 3 {
				t.Fatalf("promotions %v, %d in all: want 3, all to the candidate", got, s.r.promotions())
			}
			s.r.set(scR1, func(in *fakeInstance) { in.txErr = nil })
			s.until("switched", 5, func() bool { return s.failover().Switched })
			m := s.log.master(scMaster)
			if m.Addr != scAddr(scR1) || m.Failover.Epoch != 1 || s.committed(model.OpFailoverStart) != 1 {
				t.Fatalf("switched to %s in epoch %d after %d starts", m.Addr, m.Failover.Epoch, s.committed(model.OpFailoverStart))
			}
			if i := slices.Index(s.log.ops(), model.OpFailoverState); i < 0 || i > slices.Index(s.log.ops(), model.OpSwitchMaster) {
				t.Fatalf("switched without wait-promotion: %v", s.log.ops())
			}
		})
	}
}

// crashed is what the test's Crash panics with: the process would exit.
type crashed string

// SENTINEL SIMULATE-FAILURE crash-after-election and crash-after-promotion:
// the leader stops right after committing the start, or right after
// sending the promotion (before recording it). A new leader (a new engine
// on the same log, in the next term) resumes the same failover: the same
// candidate, the same epoch, the promotion sent again, never a second
// candidate.
func TestEngineSimulatedCrashPoints(t *testing.T) {
	for _, tc := range []struct {
		flag       int64
		point      string
		promotions int // SLAVEOF NO ONE sent before the crash
		last       model.Op
	}{
		{SimCrashAfterElection, "crash-after-election", 0, model.OpFailoverStart},
		{SimCrashAfterPromotion, "crash-after-promotion", 1, model.OpFailoverStart},
	} {
		t.Run(tc.point, func(t *testing.T) {
			s := newScenario(t)
			s.cfg.Simulate = func() int64 { return tc.flag }
			s.cfg.Crash = func(p string) { panic(crashed(p)) }
			s.e = New(s.cfg, s.log, s.r)
			var point crashed
			func() {
				defer func() { point, _ = recover().(crashed) }()
				for i := 0; i < 5; i++ {
					s.step()
				}
			}()
			if string(point) != tc.point {
				t.Fatalf("crashed at %q, want %q", point, tc.point)
			}
			ops := s.log.ops()
			if ops[len(ops)-1] != tc.last || s.r.promotions() != tc.promotions {
				t.Fatalf("at the crash: committed %v, %d promotions", ops, s.r.promotions())
			}
			s.log.do(func(l *fakeLog) { l.term++ })
			s.e = New(Config{MyID: "n2", FenceMinReplicas: -1, DemoteDelay: time.Hour}, s.log, s.r)
			s.until("switched", 5, func() bool { return s.failover() != nil && s.failover().Switched })
			if got := s.r.sentTo(scR1); !slices.Equal(got, slices.Repeat([]string{"SLAVEOF NO ONE"}, tc.promotions+1)) {
				t.Fatalf("sent to the candidate %v", got)
			}
			if s.r.promotions() != tc.promotions+1 || s.committed(model.OpFailoverStart) != 1 || s.failover().Epoch != 1 {
				t.Fatalf("%d promotions, %d starts, epoch %d", s.r.promotions(), s.committed(model.OpFailoverStart), s.failover().Epoch)
			}
		})
	}
}
