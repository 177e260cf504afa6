package failover

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// Candidate is a replica considered for promotion, with this node's view.
type Candidate struct {
	Addr model.Addr
	View view.Instance
	Seen bool // false when this node has no view of it yet
}

// SelectInput is everything replica selection depends on.
type SelectInput struct {
	Now          time.Time
	DownAfter    time.Duration
	MasterDown   time.Duration // how long the master has been down here, 0 if it is not
	MasterReplID string        // the master's last known master_replid, "" if unknown
	// MasterPrevReplIDs are the master's replids before its last restarts
	// (view.Instance.PrevReplIDs): replicas that have not resynced since
	// still hold the master's own history, not the one it started anew.
	MasterPrevReplIDs view.ReplIDs
	Candidates        []Candidate
}

// Refusal says why a replica was not eligible (lessons: every refusal has
// a reason that INFO, a log line or an event shows).
type Refusal struct {
	Addr   string
	Reason string
}

// String renders "addr: reason".
func (r Refusal) String() string { return r.Addr + ": " + r.Reason }

// Selection exclusions (spec §6.8).
const (
	maxPingAge        = 5 * time.Second  // last valid PING reply
	maxInfoAgeDown    = 5 * time.Second  // INFO age while the master is down
	maxInfoAgeHealthy = 30 * time.Second // INFO age otherwise (manual failover)
)

// Select picks the replica to promote: exclusions first, then lower
// replica-priority, larger replication offset, smaller run id. It returns
// false and the refusals when no replica is eligible. Pure.
func Select(in SelectInput) (model.Addr, bool, []Refusal) {
	var ok []Candidate
	var refusals []Refusal
	for _, c := range in.Candidates {
		if reason := exclude(in, c); reason != "" {
			refusals = append(refusals, Refusal{Addr: c.Addr.String(), Reason: reason})
			continue
		}
		ok = append(ok, c)
	}
	if len(ok) == 0 {
		return model.Addr{}, false, refusals
	}
	sort.SliceStable(ok, func(i, j int) bool { return better(ok[i].View, ok[j].View) })
	return ok[0].Addr, true, refusals
}

func exclude(in SelectInput, c Candidate) string {
	v := c.View
	maxInfo := maxInfoAgeHealthy
	if in.MasterDown > 0 {
		maxInfo = maxInfoAgeDown
	}
	switch {
	case !c.Seen:
		return "never probed"
	case v.SDown:
		return "s_down"
	case !v.Connected && v.LastError != "":
		return "disconnected (" + v.LastError + ")" // e.g. AUTH: WRONGPASS, INFO: NOPERM
	case !v.Connected:
		return "disconnected"
	case v.LastOKPing.IsZero() || in.Now.Sub(v.LastOKPing) > maxPingAge:
		return fmt.Sprintf("no valid PING reply for more than %d ms", maxPingAge.Milliseconds())
	case v.InfoRefresh.IsZero():
		return "no INFO yet"
	case in.Now.Sub(v.InfoRefresh) > maxInfo:
		return fmt.Sprintf("INFO is %d ms old", in.Now.Sub(v.InfoRefresh).Milliseconds())
	case v.SlavePriority == 0:
		return "replica-priority 0"
	case v.Role != "slave":
		return "reports role " + v.Role
	}
	linkDown := time.Duration(v.MasterLinkDownSinceSec) * time.Second
	if limit := in.MasterDown + 10*in.DownAfter; linkDown > limit {
		return fmt.Sprintf("master link down for %d ms", linkDown.Milliseconds())
	}
	// Design rule 10: never promote an instance from another history. A
	// replica still on a history the master had before it restarted holds
	// the master's data (the restarted master may hold none); the link-down
	// rule above bounds how stale it can be.
	if in.MasterReplID != "" && v.ReplID != "" && v.ReplID != in.MasterReplID && !in.MasterPrevReplIDs.Has(v.ReplID) {
		return "different replication history (replid " + v.ReplID + ")"
	}
	return ""
}

// better orders candidates: priority asc, offset desc, run id asc
// (case-insensitive, unknown last).
func better(a, b view.Instance) bool {
	if a.SlavePriority != b.SlavePriority {
		return a.SlavePriority < b.SlavePriority
	}
	if a.SlaveReplOffset != b.SlaveReplOffset {
		return a.SlaveReplOffset > b.SlaveReplOffset
	}
	if (a.RunID == "") != (b.RunID == "") {
		return a.RunID != ""
	}
	return strings.ToLower(a.RunID) < strings.ToLower(b.RunID)
}

// RefusalText joins refusals for INFO and logs.
func RefusalText(rs []Refusal) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	if len(parts) == 0 {
		return "no known replicas"
	}
	return strings.Join(parts, "; ")
}
