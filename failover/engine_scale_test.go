package failover

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
)

// A master whose replicas answer slowly (the candidate's INFO waiting on
// its round trip) does not hold up the other masters of the same
// evaluation: masters are evaluated side by side, so the other master's
// failover starts while the slow one's INFO is still waiting.
func TestEngineSlowMasterHoldsNoOther(t *testing.T) {
	s := newScenario(t)
	const slowOld, slowR = "127.0.0.1:7100", "127.0.0.1:7101"
	s.log.do(func(l *fakeLog) {
		set := model.DefaultSettings(2)
		set.FailoverTimeoutMs, set.DownAfterMs = scTO.Milliseconds(), 5000
		// "aaa" sorts first: evaluated one after the other, it went first.
		l.st.Masters["aaa-slow"] = &model.Master{Name: "aaa-slow", Addr: scAddr(slowOld), Settings: set,
			Replicas:     []model.Addr{scAddr(slowR)},
			Observations: map[string]model.Observation{"n1": {Down: true}, "n2": {Down: true}}}
	})
	s.r.add(slowOld, &fakeInstance{role: "master", down: true})
	s.r.add(slowR, &fakeInstance{role: "slave", masterHost: "127.0.0.1", masterPort: 7100})
	var timedOut atomic.Bool
	s.r.before = func(kind, addr string) {
		if kind != "info" || addr != slowR {
			return
		}
		// The INFO waits until the other master's failover is committed
		// (bounded: a refresh has a timeout too).
		deadline := time.Now().Add(2 * time.Second)
		for s.failover() == nil {
			if time.Now().After(deadline) {
				timedOut.Store(true)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	s.until("mymaster's failover started", 4, func() bool { return s.failover() != nil })
	if timedOut.Load() {
		t.Fatal("mymaster's failover waited for the slow master's INFO")
	}
	if s.e.helpers.Load() == 0 {
		t.Fatal("no helper joined the tick held up by the slow master")
	}
}
