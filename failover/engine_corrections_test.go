package failover

import (
	"slices"
	"testing"

	"github.com/raftinel/raftinel/model"
)

// correctionScenario: a healthy master nobody sees down; R2 claims to be
// a master (an old master back, say) and R3 follows another master. With
// demote-delay 0 and failover-timeout 0 both are due at once (heldFor's
// own test covers the delays).
func correctionScenario(t *testing.T) *scenario {
	s := newScenario(t)
	s.log.do(func(l *fakeLog) {
		m := l.st.Masters[scMaster]
		m.Observations, m.FailoverTimeoutMs = nil, 0
	})
	s.r.set(scOld, func(in *fakeInstance) { in.down = false })
	s.r.set(scR2, func(in *fakeInstance) { in.role, in.masterHost, in.masterPort = "master", "", 0 })
	s.r.set(scR3, func(in *fakeInstance) { in.masterPort = 7009 })
	s.cfg.DemoteDelay = 0
	s.e = New(s.cfg, s.log, s.r)
	return s
}

// The leader demotes a stray master (+convert-to-slave) and re-points a
// replica following the wrong master (+fix-slave-config), each once,
// to the recorded master; a deposed leader or one in TILT does neither.
func TestEngineCorrections(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold func(s *scenario)
		want bool
	}{
		{"leader", func(*scenario) {}, true},
		{"deposed", func(s *scenario) { s.log.do(func(l *fakeLog) { l.verifyErr = model.ErrNotLeader }) }, false},
		{"tilt", func(s *scenario) {
			s.cfg.TiltHolds = func(string) bool { return true }
			s.e = New(s.cfg, s.log, s.r)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := correctionScenario(t)
			tc.hold(s)
			for i := 0; i < 3; i++ {
				s.step()
			}
			if !tc.want {
				if s.r.ncalls() != 0 || len(s.log.ops()) != 0 {
					t.Fatalf("sent %v, committed %v", s.r.calls, s.log.ops())
				}
				return
			}
			for _, a := range []string{scR2, scR3} {
				if got := s.r.sentTo(a); !slices.Equal(got, []string{"SLAVEOF 127.0.0.1 7000"}) {
					t.Errorf("%s was sent %v", a, got)
				}
			}
			var events []string
			for _, c := range s.log.applied {
				if c, ok := c.(*model.Announce); ok {
					events = append(events, c.Channel+" "+c.Payload)
				}
			}
			want := []string{
				"+convert-to-slave slave 127.0.0.1:7002 127.0.0.1 7002 @ mymaster 127.0.0.1 7000",
				"+fix-slave-config slave 127.0.0.1:7003 127.0.0.1 7003 @ mymaster 127.0.0.1 7000",
			}
			if !slices.Equal(events, want) {
				t.Fatalf("events %v, want %v", events, want)
			}
			if s.r.sentTo(scOld) != nil || s.r.sentTo(scR1) != nil {
				t.Fatalf("a healthy instance was touched: %v", s.r.calls)
			}
		})
	}
}
