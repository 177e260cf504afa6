package monitor

import (
	"testing"
	"time"

	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// SilentSince reads the SDOWN clock's origin (sdownSince) from the probe
// and the SDOWN state, the one rule of silence the failover engine's
// suspicion also reads. The quiet between two answered PINGs is no
// silence (with ping-period 1000 at down-after 1000 it made every healthy
// master suspected half of the time); a dropped probe counts from the last
// valid reply, as SDOWN does, even with a PING pending; a target never
// answered counts from its link's creation.
func TestSilentSinceIsTheSDownClock(t *testing.T) {
	m := New(Config{MyID: testID}, nil, zap.NewNop())
	const master, addr = "mymaster", "127.0.0.1:1" // never dialled: the monitor does not run
	m.SetTargets([]view.Target{{Master: master, Addr: addr, IsMaster: true, DownAfter: time.Second}})
	in, err := m.instance(master, addr)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	created, ok, sent := now.Add(-5*time.Second), now.Add(-900*time.Millisecond), now.Add(-300*time.Millisecond)
	in.mu.Lock()
	in.created = created
	in.mu.Unlock()
	cases := []struct {
		name              string
		connected         bool
		lastOK, pending   time.Time
		lastReply         time.Time
		want              time.Time
		suspectedAtOneSec bool
	}{
		{"between two answered PINGs", true, ok, time.Time{}, ok, time.Time{}, false},
		{"a PING unanswered", true, ok, sent, ok, sent, false},
		{"probe dropped, nothing sent since", false, ok, time.Time{}, ok, ok, true},
		{"probe dropped, a PING unanswered: since the last valid reply", false, ok, sent, ok, ok, true},
		{"never answered, probe down: since the link's creation", false, time.Time{}, time.Time{}, time.Time{}, created, true},
	}
	for _, c := range cases {
		in.probe.mu.Lock()
		in.probe.connected, in.probe.lastOK, in.probe.pendingSince, in.probe.lastReply = c.connected, c.lastOK, c.pending, c.lastReply
		in.probe.mu.Unlock()
		got, found := m.SilentSince(master, addr)
		if !found || !got.Equal(c.want) {
			t.Errorf("%s: SilentSince = %v, %v; want %v", c.name, got, found, c.want)
		}
		if s := !got.IsZero() && time.Since(got) >= 500*time.Millisecond; s != c.suspectedAtOneSec {
			t.Errorf("%s: silent for half of a 1 s down-after = %v, want %v", c.name, s, c.suspectedAtOneSec)
		}
	}
	if _, found := m.SilentSince(master, "127.0.0.1:2"); found {
		t.Error("an unknown instance has a silence")
	}
}
