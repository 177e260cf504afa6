package failover

import (
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

func TestSelect(t *testing.T) {
	now := time.Now()
	good := func(port, prio int, off int64, runid string) Candidate {
		return Candidate{Addr: addr(port), Seen: true, View: view.Instance{
			Role: "slave", Connected: true, LastOKPing: now, InfoRefresh: now,
			SlavePriority: prio, SlaveReplOffset: off, RunID: runid, ReplID: "r1",
		}}
	}
	with := func(c Candidate, f func(*view.Instance)) Candidate { f(&c.View); return c }
	cases := []struct {
		name    string
		cands   []Candidate
		down    time.Duration
		want    int // port, 0 = none
		reasons []string
	}{
		{"lower priority wins", []Candidate{good(2, 100, 500, "b"), good(3, 10, 100, "c")}, 0, 3, nil},
		{"then larger offset", []Candidate{good(2, 100, 500, "b"), good(3, 100, 900, "c")}, 0, 3, nil},
		{"then smaller run id, case-insensitive", []Candidate{good(2, 100, 500, "B"), good(3, 100, 500, "a")}, 0, 3, nil},
		{"unknown run id last", []Candidate{good(2, 100, 500, ""), good(3, 100, 500, "z")}, 0, 3, nil},
		{"priority 0 never", []Candidate{good(2, 0, 900, "a"), good(3, 100, 1, "b")}, 0, 3, []string{"replica-priority 0"}},
		{"all priority 0", []Candidate{good(2, 0, 900, "a"), good(3, 0, 1, "b")}, 0, 0, []string{"replica-priority 0", "replica-priority 0"}},
		{"s_down", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.SDown = true })}, 0, 0, []string{"s_down"}},
		{"disconnected", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.Connected = false })}, 0, 0, []string{"disconnected"}},
		{"auth refused", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) {
			v.Connected, v.LastError = false, "AUTH: WRONGPASS invalid username-password pair or user is disabled."
		})}, 0, 0, []string{"disconnected (AUTH: WRONGPASS invalid username-password pair or user is disabled.)"}},
		{"old ping", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.LastOKPing = now.Add(-6 * time.Second) })}, 0, 0, []string{"no valid PING"}},
		{"info stale while master down", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.InfoRefresh = now.Add(-6 * time.Second) })}, time.Second, 0, []string{"INFO is"}},
		{"info 6s ok when master healthy", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.InfoRefresh = now.Add(-6 * time.Second) })}, 0, 2, nil},
		{"link down too long", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.MasterLinkDownSinceSec = 100 })}, time.Second, 0, []string{"master link down"}},
		{"link down within bound", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.MasterLinkDownSinceSec = 5 })}, time.Second, 2, nil},
		{"another history", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.ReplID = "other" })}, 0, 0, []string{"different replication history"}},
		{"reports master", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.Role = "master" })}, 0, 0, []string{"reports role master"}},
		{"never probed", []Candidate{{Addr: addr(2)}}, 0, 0, []string{"never probed"}},
		{"replica-announced no is still eligible", []Candidate{with(good(2, 1, 1, "a"), func(v *view.Instance) { v.ReplicaAnnounced = false })}, 0, 2, nil},
	}
	for _, c := range cases {
		got, ok, refusals := Select(SelectInput{Now: now, DownAfter: time.Second, MasterDown: c.down, MasterReplID: "r1", Candidates: c.cands})
		if c.want == 0 {
			if ok {
				t.Errorf("%s: selected %v, want none", c.name, got)
			}
		} else if !ok || got != addr(c.want) {
			t.Errorf("%s: got %v ok=%v, want port %d (refusals %v)", c.name, got, ok, c.want, refusals)
		}
		if len(refusals) != len(c.reasons) {
			t.Errorf("%s: refusals %v, want %v", c.name, refusals, c.reasons)
			continue
		}
		for i, r := range c.reasons {
			if !strings.Contains(refusals[i].Reason, r) {
				t.Errorf("%s: refusal %q does not say %q", c.name, refusals[i].Reason, r)
			}
		}
	}
	if RefusalText(nil) != "no known replicas" {
		t.Error("empty refusal text")
	}
	var _ = model.Addr{}
}

// A master that restarted starts a new replication id (Redis keeps it only
// on replicas); its replicas hold the history it had until they resync,
// which is the master's own: they are eligible (Redis suite 12-master-reboot,
// and 00-base, which kills a restarted master before its replicas resynced),
// an instance of any other history is not, nor one whose link has been down
// longer than the link-down rule allows.
func TestSelectAfterMasterRestart(t *testing.T) {
	now := time.Now()
	cand := func(port int, replid string) Candidate {
		return Candidate{Addr: addr(port), Seen: true, View: view.Instance{
			Role: "slave", Connected: true, LastOKPing: now, InfoRefresh: now,
			SlavePriority: 100, SlaveReplOffset: int64(port), RunID: "x", ReplID: replid,
		}}
	}
	in := SelectInput{Now: now, DownAfter: time.Second, MasterDown: time.Second, MasterReplID: "new",
		Candidates: []Candidate{cand(2, "before"), cand(9, "older")}}
	if got, ok, _ := Select(in); ok {
		t.Fatalf("selected %v from a history the master never reported", got)
	}
	in.MasterPrevReplIDs.Push("before")
	got, ok, refusals := Select(in)
	if !ok || got != addr(2) || len(refusals) != 1 || !strings.Contains(refusals[0].Reason, "different replication history") {
		t.Fatalf("got %v %v, refusals %v", got, ok, refusals)
	}
	// the replica still on the previous history, its link down since the
	// restart, is excluded once that is longer ago than the rule allows
	in.Candidates[0].View.MasterLinkDownSinceSec = 12
	if got, ok, refusals := Select(in); ok || !strings.Contains(RefusalText(refusals), "master link down") {
		t.Fatalf("got %v %v, refusals %v", got, ok, refusals)
	}
	in.Candidates[0].View.MasterLinkDownSinceSec = 2
	// two more restarts before the replicas resynced: both ids are kept
	in.MasterPrevReplIDs.Push("mid")
	in.MasterPrevReplIDs.Push("late")
	if got, ok, _ := Select(in); !ok || got != addr(2) {
		t.Fatalf("after two more restarts: got %v %v", got, ok)
	}
	in.MasterPrevReplIDs.Push("later") // a fourth: "before" falls out
	if got, ok, _ := Select(in); ok {
		t.Fatalf("selected %v from a history pushed out by later restarts", got)
	}
}
