package failover

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/raftinel/raftinel/consensus"
	"github.com/raftinel/raftinel/monitor"
)

// votersState is leaderState with voters.
type votersState struct {
	*leaderState
	ids []string
}

func (v votersState) Members() []consensus.Member {
	var out []consensus.Member
	for _, id := range v.ids {
		out = append(out, consensus.Member{ID: id, Voter: true})
	}
	return out
}

// noRedis is a Redis that reaches no instance.
type noRedis struct{}

var errNoRedis = errors.New("no redis in this test")

func (noRedis) Instance(string, string) (monitor.InstanceView, bool) {
	return monitor.InstanceView{}, false
}
func (noRedis) RefreshInfo(context.Context, string, string) (monitor.InstanceView, error) {
	return monitor.InstanceView{}, errNoRedis
}
func (noRedis) Transaction(context.Context, string, string, ...[]string) error { return errNoRedis }
func (noRedis) Do(context.Context, string, string, ...string) (any, error)     { return nil, errNoRedis }
func (noRedis) SetFastInfo(string, bool)                                       {}

// In TILT the leader starts no failover of an ODOWN master; once TILT is
// over it does.
func TestNoFailoverStartInTilt(t *testing.T) {
	st := consensus.NewState()
	st.Masters["mymaster"] = &consensus.Master{
		Name: "mymaster", Addr: consensus.Addr{Host: "127.0.0.1", Port: 1}, Settings: consensus.DefaultSettings(1),
		Replicas:     []consensus.Addr{{Host: "127.0.0.1", Port: 2}},
		Observations: map[string]consensus.Observation{"n1": {Down: true}}, ODown: true,
	}
	cl := votersState{&leaderState{st: st, term: 1}, []string{"n1"}}
	var tilt atomic.Bool
	tilt.Store(true)
	e := New(Config{MyID: "n1", FenceMinReplicas: -1, TiltHolds: func(m string) bool { return m == "mymaster" && tilt.Load() }}, cl, noRedis{})
	ctx := context.Background()
	for range 3 {
		e.step(ctx)
	}
	if p := cl.proposals(); slices.Contains(p, consensus.OpFailoverStart) {
		t.Fatalf("failover started in TILT: %v", p)
	}
	tilt.Store(false)
	e.step(ctx)
	if p := cl.proposals(); !slices.Contains(p, consensus.OpFailoverStart) {
		t.Fatalf("no failover start after TILT: %v", p)
	}
}
