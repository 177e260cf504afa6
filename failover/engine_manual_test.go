package failover

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

// manualScenario: a healthy master (offset 300) for a SENTINEL FAILOVER;
// candidateOffset is how far the best replica has got.
func manualScenario(t *testing.T, candidateOffset int64) *scenario {
	s := newScenario(t)
	s.log.do(func(l *fakeLog) { l.st.Masters[scMaster].Observations = nil })
	s.r.set(scOld, func(in *fakeInstance) { in.down, in.offset = false, 300 })
	s.r.set(scR1, func(in *fakeInstance) { in.offset = candidateOffset })
	s.cfg.PauseTimeout = 20 * time.Millisecond // the catch-up wait is half of it
	s.e = New(s.cfg, s.log, s.r)
	return s
}

// callOrder lists every call as "addr command".
func (r *fakeRedis) callOrder() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.calls))
	for i, c := range r.calls {
		out[i] = c.addr + " " + strings.Join(c.cmd, " ")
	}
	return out
}

// A coordinated SENTINEL FAILOVER pauses writes on the live old master
// before the promotion, re-points the old master as soon as the switch is
// committed, and lifts the pause; the candidate is promoted once it has
// caught up, or after half the pause bound when it has not.
func TestEngineManualFailoverIsCoordinated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset int64
	}{{"candidate caught up", 300}, {"candidate lagging", 250}} {
		t.Run(tc.name, func(t *testing.T) {
			s := manualScenario(t, tc.offset)
			if err := s.e.Manual(context.Background(), scMaster); err != nil {
				t.Fatal(err)
			}
			if f := s.failover(); f == nil || !f.Forced || f.Candidate != scAddr(scR1) {
				t.Fatalf("failover %+v", f)
			}
			s.until("ended", 20, func() bool { return s.failover() == nil })
			want := []string{
				scOld + " CLIENT PAUSE 20 WRITE",
				scR1 + " SLAVEOF NO ONE",
				scOld + " SLAVEOF 127.0.0.1 7001",
				scOld + " CLIENT UNPAUSE",
			}
			if got := s.r.callOrder(); len(got) < 4 || !slices.Equal(got[:4], want) {
				t.Fatalf("calls %v, want them to begin with %v", got, want)
			}
			if got := s.r.sentTo(scOld); len(got) != 3 {
				t.Fatalf("old master was sent %v", got)
			}
			if s.committed(model.OpAnnounce) != 1 {
				t.Fatalf("no +convert-to-slave announced: %v", s.log.ops())
			}
		})
	}
}

// SENTINEL FAILOVER is refused on a follower and when no replica is good;
// nothing is committed or sent then.
func TestEngineManualFailoverRefusals(t *testing.T) {
	s := manualScenario(t, 300)
	s.log.do(func(l *fakeLog) { l.leader = false })
	if err := s.e.Manual(context.Background(), scMaster); !errors.Is(err, model.ErrNotLeader) {
		t.Fatalf("on a follower: %v", err)
	}
	s.log.do(func(l *fakeLog) { l.leader = true })
	for _, a := range []string{scR1, scR2, scR3} {
		s.r.set(a, func(in *fakeInstance) { in.down = true })
	}
	if err := s.e.Manual(context.Background(), scMaster); !errors.Is(err, model.ErrNoGoodSlave) {
		t.Fatalf("no good replica: %v", err)
	}
	if err := s.e.Manual(context.Background(), "nosuch"); !errors.Is(err, model.ErrNoSuchMaster) {
		t.Fatalf("unknown master: %v", err)
	}
	if len(s.log.ops()) != 0 || s.r.ncalls() != 0 {
		t.Fatalf("committed %v, sent %v", s.log.ops(), s.r.calls)
	}
}
