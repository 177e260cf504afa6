package model

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/raftinel/raftinel/internal/glob"
)

// Apply is the whole state machine: a pure function of the state and one
// entry. No clocks, no randomness, no I/O (design rule 2); time arrives in
// the entry's Header.AtMs. It returns the Sentinel events the change
// produces, in the order Sentinel publishes them.
func Apply(st *State, e Entry) ([]Event, Result, error) {
	var ev events
	var res Result
	var err error
	switch c := e.(type) {
	case *SeedConfig:
		applySeed(st, c, &ev)
	case *RegisterNode:
		if c.Node != "" && c.Addr.Host != "" {
			st.Nodes[c.Addr.String()] = NodeInfo{MyID: c.Node, Addr: c.Addr.String(), LogVersion: c.LogVersion}
		}
	case *Monitor:
		ev.master = c.Master
		err = applyMonitor(st, c, &ev)
	case *Announce:
		ev.master = c.Master
		ev.add(c.Channel, c.Payload)
	case *Reset:
		res.Value = applyReset(st, c, &ev)
	case *ConfigSet:
		err = ApplyConfig(st, c.Pairs)
	default:
		m := st.Masters[MasterOf(e)]
		if m == nil {
			return nil, res, ErrNoSuchMaster
		}
		ev.master = m.Name
		err = applyToMaster(st, m, e, &ev)
	}
	return ev.list, res, err
}

// applyToMaster applies the entries about one existing master.
func applyToMaster(st *State, m *Master, e Entry, ev *events) error {
	switch c := e.(type) {
	case *Remove:
		delete(st.Masters, m.Name)
		ev.add("-monitor", masterPrefix(m))
		ev.list[len(ev.list)-1].NotificationScript = m.NotificationScript
	case *Set:
		return applySet(m, c.Pairs, ev)
	case *SetIf:
		return applySetIf(m, c, ev)
	case *Observe:
		if !c.Addr.IsZero() && c.Addr != m.Addr {
			return nil // about an address a failover has since replaced
		}
		if m.Observations == nil {
			m.Observations = map[string]Observation{}
		}
		m.Observations[c.Node] = Observation{Down: c.Down, AtMs: c.AtMs}
	case *ODown:
		if m.ODown == c.Down {
			return nil
		}
		m.ODown = c.Down
		if c.Down {
			m.ODownSinceMs = c.AtMs
			ev.add("+odown", fmt.Sprintf("%s #quorum %d/%d", masterPrefix(m), c.Agreeing, m.Quorum))
		} else {
			m.ODownSinceMs = 0
			ev.add("-odown", masterPrefix(m))
		}
	case *AddReplica:
		if c.Addr == m.Addr || m.HasReplica(c.Addr) || c.Addr.Host == "" {
			return nil
		}
		m.Replicas = append(m.Replicas, c.Addr)
		sortAddrs(m.Replicas)
		ev.add("+slave", replicaPrefix(m, c.Addr))
	case *FailoverStart:
		return applyFailoverStart(st, m, c, ev)
	case *FailoverState:
		return applyFailoverState(m, c, ev)
	case *SwitchMaster:
		return applySwitch(m, c, ev)
	case *Reconf:
		return applyReconf(m, c, ev)
	case *FailoverEnd:
		return applyFailoverEnd(m, c, ev)
	case *FailoverAbort:
		return applyFailoverAbort(m, c, ev)
	default:
		return fmt.Errorf("%w: %q", ErrUnknownCommand, e.Op())
	}
	return nil
}

func applySeed(st *State, c *SeedConfig, ev *events) {
	if st.Seeded || c.Seed == nil {
		return
	}
	st.Seeded = true
	if c.Seed.CurrentEpoch > st.CurrentEpoch {
		st.CurrentEpoch = c.Seed.CurrentEpoch
	}
	for _, sm := range c.Seed.Masters {
		if _, ok := st.Masters[sm.Name]; ok || sm.Quorum < 1 {
			continue
		}
		m := &Master{Name: sm.Name, Addr: sm.Addr, Settings: sm.Settings, ConfigEpoch: sm.ConfigEpoch, Created: c.Index}
		ev.master = m.Name
		for _, r := range sm.Replicas {
			if r != m.Addr && !m.HasReplica(r) {
				m.Replicas = append(m.Replicas, r)
			}
		}
		sortAddrs(m.Replicas)
		st.Masters[m.Name] = m
		ev.add("+monitor", fmt.Sprintf("%s quorum %d", masterPrefix(m), m.Quorum))
	}
}

func applyMonitor(st *State, c *Monitor, ev *events) error {
	if c.Quorum < 1 {
		return refuse(ErrInvalidQuorum, "Quorum must be 1 or greater.")
	}
	if c.Addr.Port < 0 || c.Addr.Port > 65535 {
		return refuse(ErrInvalidPort, "Invalid port number.")
	}
	if m, ok := st.Masters[c.Master]; ok {
		// Idempotent MONITOR (lessons: Ansible): same address and quorum is OK.
		if m.Addr == c.Addr && m.Quorum == c.Quorum {
			return nil
		}
		return refuse(ErrDuplicateMaster, "Duplicate master name.")
	}
	m := &Master{Name: c.Master, Addr: c.Addr, Settings: DefaultSettings(c.Quorum), Created: c.Index}
	// Pairs are the proposing node's defaults for a new master (SENTINEL
	// DEBUG default-down-after / default-failover-timeout); no +set event.
	for p := c.Pairs; len(p) >= 2; p = p[2:] {
		if err := ApplySetting(&m.Settings, p[0], p[1:2]); err != nil {
			return err
		}
	}
	st.Masters[m.Name] = m
	ev.add("+monitor", fmt.Sprintf("%s quorum %d", masterPrefix(m), m.Quorum))
	return nil
}

// applySet applies option/value pairs left to right; like Sentinel it is not
// atomic: options before a failing one stay applied.
func applySet(m *Master, p []string, ev *events) error {
	args, bad := SplitSet(p)
	for _, a := range args {
		if err := ApplySetting(&m.Settings, a.Option, a.Vals); err != nil {
			return err
		}
		ev.add("+set", fmt.Sprintf("%s %s %s", masterPrefix(m), a.Option, SettingEventValue(a.Option, a.Vals)))
	}
	if bad != "" {
		return refuse(ErrUnknownSetting, "Unknown option or number of arguments for SENTINEL SET '%s'", bad)
	}
	return nil
}

// applyReset forgets replicas, observations and any failover of every master
// whose name matches the pattern (spec §6.12).
func applyReset(st *State, c *Reset, ev *events) int64 {
	var n int64
	for _, name := range st.MasterNames() {
		if !glob.Match(c.Pattern, name) {
			continue
		}
		m := st.Masters[name]
		ev.master = name
		m.Replicas = nil
		m.Observations = nil
		m.ODown, m.ODownSinceMs = false, 0
		m.Failover = nil
		m.LastFailoverStartMs = 0
		m.LastAbort = ""
		ev.add("+reset-master", masterPrefix(m))
		n++
	}
	return n
}

// events collects what an entry publishes.
type events struct {
	list   []Event
	master string // the master the next events are about
}

func (e *events) add(ch, payload string) {
	e.list = append(e.list, Event{Channel: ch, Payload: payload, Master: e.master})
}

// masterPrefix is `master <name> <ip> <port>`.
func masterPrefix(m *Master) string { return MasterPayload(m.Name, m.Addr) }

// MasterPayload is the `master <name> <ip> <port>` of Sentinel's events
// about a master. Every event payload of raftinel is built by this and
// ReplicaPayload.
func MasterPayload(name string, addr Addr) string {
	return "master " + name + " " + addr.Host + " " + strconv.Itoa(addr.Port)
}

// ReplicaPayload is the `slave <ip:port> <ip> <port> @ <master> <mip>
// <mport>` of Sentinel's events about a replica of master name at addr.
func ReplicaPayload(r Addr, name string, addr Addr) string {
	return "slave " + r.String() + " " + r.Host + " " + strconv.Itoa(r.Port) + " @ " + name + " " + addr.Host + " " + strconv.Itoa(addr.Port)
}

// replicaPrefix is `slave <ip:port> <ip> <port> @ <master> <mip> <mport>`.
func replicaPrefix(m *Master, r Addr) string { return ReplicaPayload(r, m.Name, m.Addr) }

func sortAddrs(a []Addr) {
	sort.Slice(a, func(i, j int) bool {
		if a[i].Host != a[j].Host {
			return a[i].Host < a[j].Host
		}
		return a[i].Port < a[j].Port
	})
}

// epochString renders an epoch for payloads.
func epochString(e uint64) string { return strconv.FormatUint(e, 10) }
