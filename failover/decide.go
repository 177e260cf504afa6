package failover

import (
	"fmt"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// CountDown counts the current voters whose latest committed observation
// of the master is "down". Observations of nodes that left the cluster do
// not count (lessons: stale members inflating the vote).
func CountDown(obs map[string]model.Observation, voters map[string]bool) int {
	n := 0
	for id, o := range obs {
		if o.Down && voters[id] {
			n++
		}
	}
	return n
}

// ODown is the verdict: quorum voters say down and no replica vouches.
func ODown(quorum, agreeing int, vouched bool) bool {
	return quorum > 0 && agreeing >= quorum && !vouched
}

// Sample is one INFO reading of a replica, for the witness rule.
type Sample struct {
	At         time.Time
	Role       string
	MasterHost string
	MasterPort int
	LinkUp     bool
	LastIOSec  int64
	Offset     int64
}

// describe renders s for a log line, its age relative to now.
func (s Sample) describe(now time.Time) string {
	if s.At.IsZero() {
		return "none"
	}
	return fmt.Sprintf("{age=%s role=%s master=%s:%d link=%t last_io=%d offset=%d}",
		now.Sub(s.At).Round(time.Millisecond), s.Role, s.MasterHost, s.MasterPort, s.LinkUp, s.LastIOSec, s.Offset)
}

// SampleOf extracts a witness sample from a view.
func SampleOf(v view.Instance) Sample {
	return Sample{At: v.InfoRefresh, Role: v.Role, MasterHost: v.MasterHost, MasterPort: v.MasterPort,
		LinkUp: v.MasterLinkUp, LastIOSec: v.MasterLastIOSec, Offset: v.SlaveReplOffset}
}

// witnessMinGap is the least time between two samples whose offsets are
// compared; witnessMaxAge is how old a sample may be to count at all.
const (
	witnessMinGap = 100 * time.Millisecond
	witnessMaxAge = 2 * time.Second
)

// follows reports whether a sample shows a replica of master with its link
// up, as Redis sees it.
func follows(master model.Addr, s Sample) bool {
	return s.Role == "slave" && s.LinkUp && s.MasterHost == master.Host && s.MasterPort == master.Port
}

// comparable reports whether the offsets of prev and cur may be compared:
// both recent, far enough apart, following the same master.
func comparable(prev, cur Sample, now time.Time) bool {
	return !prev.At.IsZero() && now.Sub(prev.At) <= 2*witnessMaxAge && cur.At.Sub(prev.At) >= witnessMinGap &&
		prev.MasterHost == cur.MasterHost && prev.MasterPort == cur.MasterPort
}

// witnessHistory bounds the samples kept per replica.
const witnessHistory = 16

// Remember appends s to a replica's sample history (oldest first) unless it
// is the reading already last in it, keeping at most witnessHistory.
func Remember(hist []Sample, s Sample) []Sample {
	if s.At.IsZero() || (len(hist) > 0 && !s.At.After(hist[len(hist)-1].At)) {
		return hist
	}
	hist = append(hist, s)
	if len(hist) > witnessHistory {
		hist = append(hist[:0], hist[len(hist)-witnessHistory:]...)
	}
	return hist
}

// Pair picks from a history the latest sample (cur) and the one to compare
// it with (prev): the newest at least witnessMinGap older than cur, none
// (zero) when there is no such sample.
func Pair(hist []Sample) (prev, cur Sample) {
	if len(hist) == 0 {
		return Sample{}, Sample{}
	}
	cur = hist[len(hist)-1]
	for i := len(hist) - 2; i >= 0; i-- {
		if cur.At.Sub(hist[i].At) >= witnessMinGap {
			return hist[i], cur
		}
	}
	return Sample{}, cur
}

// Vouches reports whether a replica's samples show that the master is alive
// (design rule 9): it follows this master with its link up, and either its
// offset advanced between two recent samples (data is flowing) or Redis says
// it heard from the master within the last second. A replica that is silent,
// unreachable, stale or following someone else is no vote either way.
func Vouches(master model.Addr, prev, cur Sample, now time.Time) bool {
	if cur.At.IsZero() || now.Sub(cur.At) > witnessMaxAge || !follows(master, cur) {
		return false
	}
	if comparable(prev, cur, now) && cur.Offset > prev.Offset {
		return true
	}
	return cur.LastIOSec == 0
}

// Suspected reports whether the leader should start sampling the replicas
// of a master that no quorum calls down yet: some node already does, or the
// leader itself has been without a valid reply from it for half a
// down-after, counted from silentSince (Redis.SilentSince: the moment this
// node's SDOWN clock counts from, so suspicion and SDOWN read one rule).
// The samples then taken are from after the fault, ready to be compared
// with the one taken when the quorum forms. The time since the last valid
// reply alone would count the quiet between two PINGs: with a ping period
// of half a down-after or more (ping-period 1000 at down-after 1000),
// every healthy master looked suspected half of the time, and the leader
// sampled all their replicas every suspectPeriod.
func Suspected(agreeing int, silentSince, now time.Time, downAfter time.Duration) bool {
	return agreeing > 0 || (!silentSince.IsZero() && now.Sub(silentSince) >= downAfter/2)
}

// Undecided reports whether the vote of a replica that does not vouch is not
// known yet, so the verdict waits for it (at most one down-after after the
// quorum of "down" formed at since). That is so when the replica answers
// PING (reachable) and either
//   - it has not answered INFO since the quorum formed (an overloaded
//     machine, a slow link, a refresh cut short), or
//   - its one sample since then shows it following the master with its
//     link up but no recent I/O, and there is no earlier sample to compare
//     offsets with: one reading cannot tell a silent master from a replica
//     that was briefly not scheduled; two readings apart can.
func Undecided(master model.Addr, reachable bool, prev, cur Sample, since, now time.Time, downAfter time.Duration) bool {
	if !reachable || since.IsZero() || now.Sub(since) >= downAfter {
		return false
	}
	if cur.At.Before(since) {
		return true
	}
	return follows(master, cur) && !comparable(prev, cur, now)
}

// CanStart applies Sentinel's retry rule: no new automatic failover of a
// master less than 2 x failover-timeout after the previous start.
func CanStart(m *model.Master, nowMs int64) (bool, int64) {
	if m.Failover != nil || !m.ODown {
		return false, 0
	}
	next := m.LastFailoverStartMs + 2*m.FailoverTimeoutMs
	if m.LastFailoverStartMs != 0 && nowMs < next {
		return false, next
	}
	return true, 0
}

// ActionKind names what the engine must do next for a running failover.
type ActionKind int

// Actions, in the order a failover needs them.
const (
	ActPromote     ActionKind = iota + 1 // send the promotion transaction to the candidate
	ActAbort                             // propose failover-abort (Reason)
	ActSwitch                            // candidate is master: propose switch-master
	ActReconfSend                        // send SLAVEOF <new> to Addr, then propose "sent"
	ActReconfPhase                       // propose Phase for Addr (inprog, done, timeout)
	ActBestEffort                        // failover-timeout: SLAVEOF anyway, propose "sent-be"
	ActEnd                               // propose failover-end (Timeout)
)

// Action is one step the engine executes.
type Action struct {
	Kind    ActionKind
	Addr    model.Addr
	Phase   string
	Reason  string
	Timeout bool
}

// slaveReconfTimeout: a replica sent SLAVEOF that does not follow the new
// master within this time is considered done (Sentinel's
// SENTINEL_SLAVE_RECONF_TIMEOUT).
const slaveReconfTimeout = 10 * time.Second

// Next is the failover state machine: from the committed progress f of
// master m and this node's fresh views of the candidate and replicas
// (keyed by address), it returns the next actions. Pure.
func Next(m *model.Master, views map[string]view.Instance, nowMs int64) []Action {
	f := m.Failover
	if f == nil {
		return nil
	}
	timeout := m.FailoverTimeoutMs
	if !f.Switched {
		cand, ok := views[f.Candidate.String()]
		if ok && cand.Role == "master" && f.State == model.StateWaitPromotion {
			return []Action{{Kind: ActSwitch, Addr: f.Candidate}}
		}
		if nowMs-f.StartMs > timeout {
			return []Action{{Kind: ActAbort, Reason: "slave-timeout"}}
		}
		return []Action{{Kind: ActPromote, Addr: f.Candidate}}
	}
	return nextReconf(m, f, views, nowMs)
}

func nextReconf(m *model.Master, f *model.Failover, views map[string]view.Instance, nowMs int64) []Action {
	var acts []Action
	timedOut := nowMs-f.StateChangeMs > m.FailoverTimeoutMs
	inflight := 0
	for _, r := range m.Replicas {
		if p := f.Reconf[r.String()]; p == model.ReconfSent || p == model.ReconfInprog {
			inflight++
		}
	}
	pending := false
	for _, r := range m.Replicas {
		if r == f.OldMaster {
			continue // the old master is demoted when it comes back (corrections)
		}
		key := r.String()
		v, seen := views[key]
		follows := seen && v.Role == "slave" && v.MasterHost == m.Addr.Host && v.MasterPort == m.Addr.Port
		switch f.Reconf[key] {
		case model.ReconfDone:
			continue
		case "":
			unusable := !seen || v.SDown || !v.Connected
			if timedOut {
				if !unusable {
					acts = append(acts, Action{Kind: ActBestEffort, Addr: r})
				}
				continue
			}
			if unusable {
				continue // an unreachable replica does not hold the failover
			}
			pending = true
			if follows && v.MasterLinkUp {
				acts = append(acts, Action{Kind: ActReconfPhase, Addr: r, Phase: model.ReconfDone})
			} else if inflight < max(m.ParallelSyncs, 1) {
				inflight++
				acts = append(acts, Action{Kind: ActReconfSend, Addr: r})
			}
		case model.ReconfSent:
			pending = true
			switch {
			case follows:
				acts = append(acts, Action{Kind: ActReconfPhase, Addr: r, Phase: model.ReconfInprog})
			case nowMs-f.ReconfSentMs[key] > slaveReconfTimeout.Milliseconds():
				acts = append(acts, Action{Kind: ActReconfPhase, Addr: r, Phase: "timeout"})
			}
		case model.ReconfInprog:
			pending = true
			if follows && v.MasterLinkUp {
				acts = append(acts, Action{Kind: ActReconfPhase, Addr: r, Phase: model.ReconfDone})
			} else if timedOut {
				acts = append(acts, Action{Kind: ActReconfPhase, Addr: r, Phase: "timeout"})
			}
		}
	}
	if timedOut {
		return append(acts, Action{Kind: ActEnd, Timeout: true})
	}
	if !pending {
		acts = append(acts, Action{Kind: ActEnd})
	}
	return acts
}

// Corrections lists the replicas of m to correct, reading each replica's
// view once through viewOf (this node's view, false when it has none):
//   - strays: recorded as replicas but reporting role:master (an old master
//     coming back, a restarted or un-paused instance); they must be demoted
//     (design rule 7). The candidate of a running, not yet switched
//     failover is not a stray.
//   - misconf: replicas following another master than m's recorded one
//     (Sentinel's +fix-slave-config candidates); none while a failover runs.
//
// Only connected instances that are not SDOWN count.
func Corrections(m *model.Master, viewOf func(model.Addr) (view.Instance, bool)) (strays, misconf []model.Addr) {
	for _, r := range m.Replicas {
		v, ok := viewOf(r)
		if !ok || !v.Connected || v.SDown {
			continue
		}
		candidate := m.Failover != nil && !m.Failover.Switched && r == m.Failover.Candidate
		if v.Role == "master" && !candidate {
			strays = append(strays, r)
		}
		if m.Failover == nil && v.Role == "slave" && v.MasterHost != "" &&
			(v.MasterHost != m.Addr.Host || v.MasterPort != m.Addr.Port) {
			misconf = append(misconf, r)
		}
	}
	return strays, misconf
}
