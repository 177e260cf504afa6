package monitor

import (
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// After a stall of this process, silence measured before the stall's end
// is no evidence: an instance not yet SDOWN needs down-after of silence
// after it; one already SDOWN stays SDOWN.
func TestSDownIgnoresSilenceBeforeAStall(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Duration
		in       SDownInput
		down     bool
		deadline time.Time
	}{
		{"pending across a stall: counted from its end", 3000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(0), NotBefore: at(2800 * ms), DownAfter: D}, false, at(3300 * ms)},
		{"pending across a stall, down-after after its end", 3301 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(0), NotBefore: at(2800 * ms), DownAfter: D}, true, time.Time{}},
		{"already SDOWN: kept", 3000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(0), NotBefore: at(2800 * ms), DownAfter: D, Down: true}, true, time.Time{}},
		{"disconnected across a stall", 3000 * ms,
			SDownInput{LastOKPing: at(0), NotBefore: at(2900 * ms), DownAfter: D}, false, at(3400 * ms)},
		{"a stall long before the silence changes nothing", 3000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(2000 * ms), NotBefore: at(100 * ms), DownAfter: D}, true, time.Time{}},
		{"role slave across a stall", 21 * time.Second,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, Role: "slave", RoleChanged: at(0), NotBefore: at(20 * time.Second)},
			false, at(40*time.Second + D)},
	}
	for _, tc := range tests {
		now := at(tc.now)
		if down, _ := IsSDown(now, &tc.in); down != tc.down {
			t.Errorf("%s: IsSDown = %v, want %v", tc.name, down, tc.down)
		}
		if got := SDownDeadline(now, &tc.in); !tc.down && !got.Equal(tc.deadline) {
			t.Errorf("%s: SDownDeadline = %v, want %v", tc.name, got, tc.deadline)
		}
	}
}

// tiltLog records TILT transitions.
type tiltLog struct {
	mu  sync.Mutex
	evs []TiltEvent
}

func (l *tiltLog) add(e TiltEvent) { l.mu.Lock(); l.evs = append(l.evs, e); l.mu.Unlock() }
func (l *tiltLog) get() []TiltEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]TiltEvent(nil), l.evs...)
}

// injectStall makes the detector believe the process was stopped for d:
// its last tick moves d into the past.
func injectStall(m *Monitor, d time.Duration) {
	m.tilt.lastNs.Store(int64(time.Since(m.tilt.base) - d))
}

// tiltEnv runs a monitor of a set of replicas replicas (down-after d) whose
// TILT transitions are recorded, tilt-period p (0 = default).
func tiltEnv(t *testing.T, replicas int, d, p time.Duration) (*Monitor, *redistest.Set, *tiltLog) {
	set := redistest.StartSet(t, replicas)
	log, _ := testLogger(t)
	m := New(Config{MyID: testID}, nil, log)
	tl := &tiltLog{}
	m.SetTiltHook(tl.add)
	m.SetTiltTimers(0, p)
	m.SetTargets(setTargets(set, "mymaster", d))
	run(t, m)
	waitHealthy(t, m, "mymaster", set.Master.Addr())
	return m, set, tl
}
