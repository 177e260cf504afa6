package failover

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/raftinel/raftinel/model"
)

// In TILT the leader starts no failover of an ODOWN master; once TILT is
// over it does.
func TestNoFailoverStartInTilt(t *testing.T) {
	st := model.NewState()
	st.Masters["mymaster"] = &model.Master{
		Name: "mymaster", Addr: model.Addr{Host: "127.0.0.1", Port: 1}, Settings: model.DefaultSettings(1),
		Replicas:     []model.Addr{{Host: "127.0.0.1", Port: 2}},
		Observations: map[string]model.Observation{"n1": {Down: true}}, ODown: true,
	}
	cl := newFakeLog(st, "n1")
	var tilt atomic.Bool
	tilt.Store(true)
	e := New(Config{MyID: "n1", FenceMinReplicas: -1, TiltHolds: func(m string) bool { return m == "mymaster" && tilt.Load() }}, cl, newFakeRedis())
	ctx := context.Background()
	for range 3 {
		e.step(ctx)
	}
	if p := cl.ops(); slices.Contains(p, model.OpFailoverStart) {
		t.Fatalf("failover started in TILT: %v", p)
	}
	tilt.Store(false)
	e.step(ctx)
	if p := cl.ops(); !slices.Contains(p, model.OpFailoverStart) {
		t.Fatalf("no failover start after TILT: %v", p)
	}
}
