package monitor

import (
	"testing"
	"time"
)

// The clock of the SDOWN tables: t0 is their origin, at(d) the time d
// after it, and D the down-after they use.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	ms = time.Millisecond
	D  = 500 * ms
)

func TestSDown(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Duration
		in      SDownInput
		elapsed time.Duration
		down    bool
		reason  string
	}{
		{"healthy, nothing pending", 10000 * ms,
			SDownInput{LastOKPing: at(9900 * ms), ProbeConnected: true, DownAfter: D, LinkCreated: t0}, 0, false, ""},
		{"connected, old OK but no ping pending: 0", 10000 * ms,
			SDownInput{LastOKPing: at(1000 * ms), ProbeConnected: true, DownAfter: D, LinkCreated: t0}, 0, false, ""},
		{"ping pending exactly down-after: not yet", 1500 * ms,
			SDownInput{PingPendingSince: at(1000 * ms), LastOKPing: at(900 * ms), ProbeConnected: true, DownAfter: D}, D, false, ""},
		{"ping pending just over down-after", 1501 * ms,
			SDownInput{PingPendingSince: at(1000 * ms), LastOKPing: at(900 * ms), ProbeConnected: true, DownAfter: D}, 501 * ms, true, ReasonNoReply},
		{"disconnected with a ping pending: since the last valid reply", 1400 * ms,
			SDownInput{PingPendingSince: at(1000 * ms), LastOKPing: at(100 * ms), DownAfter: D}, 1300 * ms, true, ReasonNoReply},
		{"connected with a ping pending: since the ping", 1400 * ms,
			SDownInput{PingPendingSince: at(1000 * ms), LastOKPing: at(100 * ms), ProbeConnected: true, DownAfter: D}, 400 * ms, false, ""},
		{"disconnected, no ping pending: since last OK", 1400 * ms,
			SDownInput{LastOKPing: at(800 * ms), DownAfter: D}, 600 * ms, true, ReasonNoReply},
		{"disconnected, never answered: since link creation", 1400 * ms,
			SDownInput{LinkCreated: at(1000 * ms), DownAfter: D}, 400 * ms, false, ""},
		{"disconnected, never answered, long ago", 1600 * ms,
			SDownInput{LinkCreated: at(1000 * ms), DownAfter: D}, 600 * ms, true, ReasonNoReply},
		{"nothing known at all", 1600 * ms, SDownInput{DownAfter: D}, 0, false, ""},
		{"master reports slave within grace", 20 * time.Second,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, Role: "slave", RoleChanged: at(0)}, 0, false, ""},
		{"master reports slave past down-after+20s", 20*time.Second + D + ms,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, Role: "slave", RoleChanged: at(0)}, 0, true, ReasonRoleSlave},
		{"replica reporting slave forever is fine", time.Hour,
			SDownInput{ProbeConnected: true, DownAfter: D, Role: "slave", RoleChanged: at(0)}, 0, false, ""},
		{"reboot within period", 1900 * ms,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, RebootDownAfter: time.Second, Reboot: true, RebootSince: at(1000 * ms)}, 0, false, ""},
		{"reboot past period without PONG (LOADING answers keep it healthy otherwise)", 2001 * ms,
			SDownInput{ProbeConnected: true, LastOKPing: at(2000 * ms), DownAfter: D, IsMaster: true,
				RebootDownAfter: time.Second, Reboot: true, RebootSince: at(1000 * ms), LastPong: at(900 * ms)}, 0, true, ReasonReboot},
		{"reboot cleared by a PONG after it", 2001 * ms,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, RebootDownAfter: time.Second, Reboot: true,
				RebootSince: at(1000 * ms), LastPong: at(1100 * ms)}, 0, false, ""},
		{"reboot rule off (period 0)", time.Hour,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, Reboot: true, RebootSince: at(1000 * ms)}, 0, false, ""},
		{"reboot rule only for masters", time.Hour,
			SDownInput{ProbeConnected: true, DownAfter: D, RebootDownAfter: time.Second, Reboot: true, RebootSince: at(1000 * ms)}, 0, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			if got := SDownElapsed(now, &tc.in); got != tc.elapsed {
				t.Errorf("SDownElapsed = %v, want %v", got, tc.elapsed)
			}
			down, reason := IsSDown(now, &tc.in)
			if down != tc.down || reason != tc.reason {
				t.Errorf("IsSDown = %v %q, want %v %q", down, reason, tc.down, tc.reason)
			}
		})
	}
}

func TestSDownNoAlloc(t *testing.T) {
	in := SDownInput{PingPendingSince: time.Now(), DownAfter: time.Second, IsMaster: true, Role: "slave", RoleChanged: time.Now()}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { IsSDown(now, &in) }); n != 0 {
		t.Fatalf("IsSDown allocates %v times", n)
	}
}

func TestSDownDeadline(t *testing.T) {
	tests := []struct {
		name string
		now  time.Duration
		in   SDownInput
		want time.Time
	}{
		{"healthy: none", 1000 * ms, SDownInput{ProbeConnected: true, LastOKPing: at(900 * ms), DownAfter: D}, time.Time{}},
		{"pending", 1000 * ms, SDownInput{ProbeConnected: true, PingPendingSince: at(900 * ms), DownAfter: D}, at(1400 * ms)},
		{"pending deadline exactly now still counts", 1400 * ms, SDownInput{PingPendingSince: at(900 * ms), DownAfter: D}, at(1400 * ms)},
		{"pending deadline passed: none", 1500 * ms, SDownInput{PingPendingSince: at(900 * ms), DownAfter: D}, time.Time{}},
		{"disconnected since last OK", 1000 * ms, SDownInput{LastOKPing: at(800 * ms), DownAfter: D}, at(1300 * ms)},
		{"disconnected, never OK: creation", 1000 * ms, SDownInput{LinkCreated: at(700 * ms), DownAfter: D}, at(1200 * ms)},
		{"role slave on a master, earlier than pending", 1000 * ms,
			SDownInput{ProbeConnected: true, PingPendingSince: at(900 * ms), DownAfter: time.Minute, IsMaster: true, Role: "slave", RoleChanged: at(-30 * time.Second)},
			at(30*time.Second + RoleSlaveGrace)},
		{"reboot", 1000 * ms,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, RebootDownAfter: time.Second, Reboot: true, RebootSince: at(900 * ms)},
			at(1900 * ms)},
		{"reboot already PONG-ed: none", 1000 * ms,
			SDownInput{ProbeConnected: true, DownAfter: D, IsMaster: true, RebootDownAfter: time.Second, Reboot: true, RebootSince: at(900 * ms), LastPong: at(950 * ms)},
			time.Time{}},
	}
	for _, tc := range tests {
		if got := SDownDeadline(at(tc.now), &tc.in); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
