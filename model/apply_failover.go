package model

import "fmt"

// The failover entries (design rule 6). Each step names its epoch; an entry
// whose epoch is not the running failover's is refused, so a deposed
// leader's late proposal can never move a newer failover.

// applyFailoverStart raises the epoch and records the candidate. A zero
// candidate records an attempt that found no good replica: it counts for
// the 2x failover-timeout rule and is aborted in the same entry.
func applyFailoverStart(st *State, m *Master, c *FailoverStart, ev *events) error {
	if m.Failover != nil {
		return refuse(ErrFailoverInProgress, "Failover already in progress")
	}
	if c.Epoch != st.CurrentEpoch+1 {
		return refuse(ErrEpochMismatch, "failover epoch %d is not current epoch %d + 1", c.Epoch, st.CurrentEpoch)
	}
	noCandidate := c.Candidate.IsZero()
	if !noCandidate && !m.HasReplica(c.Candidate) {
		return refuse(ErrNotAReplica, "candidate %s is not a replica of %s", c.Candidate, m.Name)
	}
	st.CurrentEpoch = c.Epoch
	m.LastFailoverStartMs = c.AtMs
	m.LeaderEpoch = c.Epoch
	m.Leader = c.Node
	mp := masterPrefix(m)
	ev.add("+new-epoch", epochString(c.Epoch))
	ev.add("+try-failover", mp)
	ev.add("+vote-for-leader", c.Node+" "+epochString(c.Epoch))
	ev.add("+elected-leader", mp)
	ev.add("+failover-state-select-slave", mp)
	if noCandidate {
		m.LastAbort = "no-good-slave"
		if c.Reason != "" {
			m.LastAbort += ": " + c.Reason
		}
		ev.add("-failover-abort-no-good-slave", mp)
		return nil
	}
	m.LastAbort = ""
	m.Failover = &Failover{
		Epoch:         c.Epoch,
		State:         StateSendSlaveofNoOne,
		Forced:        c.Forced,
		Leader:        c.Node,
		OldMaster:     m.Addr,
		Candidate:     c.Candidate,
		CandidateRun:  c.RunID,
		StartMs:       c.AtMs,
		StateChangeMs: c.AtMs,
	}
	rp := replicaPrefix(m, c.Candidate)
	ev.add("+selected-slave", rp)
	ev.add("+failover-state-send-slaveof-noone", rp)
	return nil
}

// running is m's failover of the given epoch, or the refusal of a step
// that names another epoch.
func running(m *Master, epoch uint64) (*Failover, error) {
	f := m.Failover
	if f == nil || f.Epoch != epoch {
		return nil, refuse(ErrEpochMismatch, "no failover of %s in epoch %d", m.Name, epoch)
	}
	return f, nil
}

func applyFailoverState(m *Master, c *FailoverState, ev *events) error {
	f, err := running(m, c.Epoch)
	if err != nil {
		return err
	}
	if f.Switched || c.State != StateWaitPromotion {
		return refuse(ErrStepOutOfOrder, "failover of %s cannot enter %s", m.Name, c.State)
	}
	if f.State != c.State {
		f.State, f.StateChangeMs = c.State, c.AtMs
		ev.add("+failover-state-wait-promotion", replicaPrefix(m, f.Candidate))
	}
	return nil
}

func applyReconf(m *Master, c *Reconf, ev *events) error {
	f, err := running(m, c.Epoch)
	if err != nil {
		return err
	}
	if !f.Switched {
		return refuse(ErrStepOutOfOrder, "failover of %s has not switched", m.Name)
	}
	key := c.Addr.String()
	if f.Reconf == nil {
		f.Reconf = map[string]string{}
		f.ReconfSentMs = map[string]int64{}
	}
	if f.Reconf[key] == ReconfDone {
		return nil
	}
	rp := replicaPrefix(m, c.Addr)
	switch c.Phase {
	case ReconfSent:
		f.Reconf[key], f.ReconfSentMs[key] = ReconfSent, c.AtMs
		ev.add("+slave-reconf-sent", rp)
	case ReconfInprog:
		f.Reconf[key] = ReconfInprog
		ev.add("+slave-reconf-inprog", rp)
	case ReconfDone:
		f.Reconf[key] = ReconfDone
		ev.add("+slave-reconf-done", rp)
	case "timeout": // stuck after SLAVEOF: treated as done (spec §6.7)
		f.Reconf[key] = ReconfDone
		ev.add("-slave-reconf-sent-timeout", rp)
	case "sent-be": // best effort after failover-timeout
		f.Reconf[key] = ReconfDone
		ev.add("+slave-reconf-sent-be", rp)
	default:
		return fmt.Errorf("%w: reconf phase %q", ErrUnknownCommand, c.Phase)
	}
	return nil
}

func applyFailoverEnd(m *Master, c *FailoverEnd, ev *events) error {
	f, err := running(m, c.Epoch)
	if err != nil {
		return err
	}
	if !f.Switched {
		return refuse(ErrStepOutOfOrder, "failover of %s has not switched", m.Name)
	}
	old := Master{Name: m.Name, Addr: f.OldMaster}
	if c.Timeout {
		ev.add("+failover-end-for-timeout", masterPrefix(&old))
	}
	ev.add("+failover-end", masterPrefix(&old))
	m.Failover = nil
	return nil
}

func applyFailoverAbort(m *Master, c *FailoverAbort, ev *events) error {
	f, err := running(m, c.Epoch)
	if err != nil {
		return err
	}
	if f.Switched {
		return refuse(ErrStepOutOfOrder, "failover of %s already switched", m.Name)
	}
	m.Failover = nil
	m.LastAbort = c.Reason
	ev.add("-failover-abort-"+c.Reason, masterPrefix(m))
	return nil
}

// applySwitch is the moment the cluster adopts the new master: from this
// entry on every node answers the new address and publishes +switch-master.
func applySwitch(m *Master, c *SwitchMaster, ev *events) error {
	f, err := running(m, c.Epoch)
	if err != nil {
		return err
	}
	if f.Switched {
		return nil
	}
	if c.Addr != f.Candidate {
		return refuse(ErrStepOutOfOrder, "switch to %s but candidate is %s", c.Addr, f.Candidate)
	}
	old := m.Addr
	ev.add("+promoted-slave", replicaPrefix(m, f.Candidate))
	ev.add("+failover-state-reconf-slaves", masterPrefix(m))
	if m.ODown {
		ev.add("-odown", masterPrefix(m))
	}
	replicas := []Addr{old}
	for _, r := range m.Replicas {
		if r != c.Addr && r != old {
			replicas = append(replicas, r)
		}
	}
	sortAddrs(replicas)
	m.Addr = c.Addr
	m.Replicas = replicas
	m.ConfigEpoch = f.Epoch
	m.ODown, m.ODownSinceMs = false, 0
	m.Observations = nil // they were about the old master
	f.Switched = true
	f.State, f.StateChangeMs = StateReconfSlaves, c.AtMs
	if c.Promotion != nil {
		p := *c.Promotion
		p.Epoch, p.Addr, p.AtMs = f.Epoch, c.Addr, c.AtMs
		m.History = append(m.History, p)
		if len(m.History) > 16 {
			m.History = m.History[len(m.History)-16:]
		}
	}
	ev.add("+switch-master", fmt.Sprintf("%s %s %d %s %d", m.Name, old.Host, old.Port, c.Addr.Host, c.Addr.Port))
	for _, r := range m.Replicas {
		ev.add("+slave", replicaPrefix(m, r))
	}
	return nil
}
