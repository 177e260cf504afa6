package model

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// wire is an entry as the log stores it: one JSON object whose "op" names
// the operation, with only that operation's fields set. Its field names,
// order and omitempty are the log format (LogVersion): entries already in
// Bolt logs and those of other releases in a mixed cluster must read the
// same, so nothing here changes without a new version
// (command_golden_test.go holds the bytes).
type wire struct {
	V      int    `json:"v,omitempty"`
	Op     Op     `json:"op"`
	AtMs   int64  `json:"at,omitempty"`
	Node   string `json:"node,omitempty"`
	Master string `json:"master,omitempty"`

	Addr     Addr     `json:"addr,omitempty"`
	Quorum   int      `json:"quorum,omitempty"`
	Pairs    []string `json:"pairs,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
	Down     bool     `json:"down,omitempty"`
	Agreeing int      `json:"agreeing,omitempty"`

	Epoch     uint64     `json:"epoch,omitempty"`
	State     string     `json:"state,omitempty"`
	Forced    bool       `json:"forced,omitempty"`
	Candidate Addr       `json:"candidate,omitempty"`
	RunID     string     `json:"runid,omitempty"`
	Promotion *Promotion `json:"promotion,omitempty"`
	Phase     string     `json:"phase,omitempty"`
	Timeout   bool       `json:"timeout,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Channel   string     `json:"channel,omitempty"`
	Payload   string     `json:"payload,omitempty"`

	Seed *Seed `json:"seed,omitempty"`

	LogVersion int `json:"log_version,omitempty"`

	Expect  []string `json:"expect,omitempty"`
	Created uint64   `json:"created,omitempty"`
}

// decoders build each Op's entry from its wire form: the Ops this build
// applies. A field of the wire form that an op does not use is ignored, as
// Apply always ignored it.
var decoders = map[Op]func(w *wire) Entry{
	OpSeed:    func(w *wire) Entry { return &SeedConfig{Seed: w.Seed} },
	OpMonitor: func(w *wire) Entry { return &Monitor{Master: w.Master, Addr: w.Addr, Quorum: w.Quorum, Pairs: w.Pairs} },
	OpRemove:  func(w *wire) Entry { return &Remove{Master: w.Master} },
	OpSet:     func(w *wire) Entry { return &Set{Master: w.Master, Pairs: w.Pairs} },
	OpSetIf: func(w *wire) Entry {
		return &SetIf{Master: w.Master, Pairs: w.Pairs, Expect: w.Expect, Created: w.Created}
	},
	OpReset:      func(w *wire) Entry { return &Reset{Pattern: w.Pattern} },
	OpObserve:    func(w *wire) Entry { return &Observe{Master: w.Master, Addr: w.Addr, Down: w.Down} },
	OpODown:      func(w *wire) Entry { return &ODown{Master: w.Master, Down: w.Down, Agreeing: w.Agreeing} },
	OpAddReplica: func(w *wire) Entry { return &AddReplica{Master: w.Master, Addr: w.Addr} },
	OpFailoverStart: func(w *wire) Entry {
		return &FailoverStart{Master: w.Master, Epoch: w.Epoch, Forced: w.Forced, Candidate: w.Candidate, RunID: w.RunID, Reason: w.Reason}
	},
	OpFailoverState: func(w *wire) Entry { return &FailoverState{Master: w.Master, Epoch: w.Epoch, State: w.State} },
	OpSwitchMaster: func(w *wire) Entry {
		return &SwitchMaster{Master: w.Master, Epoch: w.Epoch, Addr: w.Addr, Promotion: w.Promotion}
	},
	OpReconf:        func(w *wire) Entry { return &Reconf{Master: w.Master, Epoch: w.Epoch, Addr: w.Addr, Phase: w.Phase} },
	OpFailoverEnd:   func(w *wire) Entry { return &FailoverEnd{Master: w.Master, Epoch: w.Epoch, Timeout: w.Timeout} },
	OpFailoverAbort: func(w *wire) Entry { return &FailoverAbort{Master: w.Master, Epoch: w.Epoch, Reason: w.Reason} },
	OpAnnounce:      func(w *wire) Entry { return &Announce{Master: w.Master, Channel: w.Channel, Payload: w.Payload} },
	OpNode:          func(w *wire) Entry { return &RegisterNode{Addr: w.Addr, LogVersion: w.LogVersion} },
	OpConfig:        func(w *wire) Entry { return &ConfigSet{Pairs: w.Pairs} },
}

// Op of each entry type: how the log names it.

func (*SeedConfig) Op() Op    { return OpSeed }
func (*Monitor) Op() Op       { return OpMonitor }
func (*Remove) Op() Op        { return OpRemove }
func (*Set) Op() Op           { return OpSet }
func (*SetIf) Op() Op         { return OpSetIf }
func (*Reset) Op() Op         { return OpReset }
func (*Observe) Op() Op       { return OpObserve }
func (*ODown) Op() Op         { return OpODown }
func (*AddReplica) Op() Op    { return OpAddReplica }
func (*FailoverStart) Op() Op { return OpFailoverStart }
func (*FailoverState) Op() Op { return OpFailoverState }
func (*SwitchMaster) Op() Op  { return OpSwitchMaster }
func (*Reconf) Op() Op        { return OpReconf }
func (*FailoverEnd) Op() Op   { return OpFailoverEnd }
func (*FailoverAbort) Op() Op { return OpFailoverAbort }
func (*Announce) Op() Op      { return OpAnnounce }
func (*RegisterNode) Op() Op  { return OpNode }
func (*ConfigSet) Op() Op     { return OpConfig }

// fields of each entry type: its own fields in the log encoding.

func (c *SeedConfig) fields() wire { return wire{Seed: c.Seed} }
func (c *Monitor) fields() wire {
	return wire{Master: c.Master, Addr: c.Addr, Quorum: c.Quorum, Pairs: c.Pairs}
}
func (c *Remove) fields() wire { return wire{Master: c.Master} }
func (c *Set) fields() wire    { return wire{Master: c.Master, Pairs: c.Pairs} }
func (c *SetIf) fields() wire {
	return wire{Master: c.Master, Pairs: c.Pairs, Expect: c.Expect, Created: c.Created}
}
func (c *Reset) fields() wire   { return wire{Pattern: c.Pattern} }
func (c *Observe) fields() wire { return wire{Master: c.Master, Addr: c.Addr, Down: c.Down} }
func (c *ODown) fields() wire {
	return wire{Master: c.Master, Down: c.Down, Agreeing: c.Agreeing}
}
func (c *AddReplica) fields() wire { return wire{Master: c.Master, Addr: c.Addr} }
func (c *FailoverStart) fields() wire {
	return wire{Master: c.Master, Epoch: c.Epoch, Forced: c.Forced, Candidate: c.Candidate, RunID: c.RunID, Reason: c.Reason}
}
func (c *FailoverState) fields() wire {
	return wire{Master: c.Master, Epoch: c.Epoch, State: c.State}
}
func (c *SwitchMaster) fields() wire {
	return wire{Master: c.Master, Epoch: c.Epoch, Addr: c.Addr, Promotion: c.Promotion}
}
func (c *Reconf) fields() wire {
	return wire{Master: c.Master, Epoch: c.Epoch, Addr: c.Addr, Phase: c.Phase}
}
func (c *FailoverEnd) fields() wire {
	return wire{Master: c.Master, Epoch: c.Epoch, Timeout: c.Timeout}
}
func (c *FailoverAbort) fields() wire {
	return wire{Master: c.Master, Epoch: c.Epoch, Reason: c.Reason}
}
func (c *Announce) fields() wire {
	return wire{Master: c.Master, Channel: c.Channel, Payload: c.Payload}
}
func (c *RegisterNode) fields() wire { return wire{Addr: c.Addr, LogVersion: c.LogVersion} }
func (c *ConfigSet) fields() wire    { return wire{Pairs: c.Pairs} }

// Encode serialises an entry for the log, stamped with the version of its
// format (Version) unless it already carries one (Header.V).
func Encode(e Entry) ([]byte, error) {
	w := e.fields()
	h := e.Head()
	w.V, w.Op, w.AtMs, w.Node = h.V, e.Op(), h.AtMs, h.Node
	if w.V == 0 {
		w.V = Version(e)
	}
	return json.Marshal(&w)
}

// Decode parses a log entry. An entry this build cannot apply exactly as
// written (malformed, a later version, an unknown Op or an unknown field)
// is an error wrapping ErrUnknownEntry.
func Decode(b []byte) (Entry, error) {
	var w wire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: cannot decode it (%v)", ErrUnknownEntry, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the entry", ErrUnknownEntry)
	}
	if w.V > LogVersion {
		return nil, fmt.Errorf("%w: entry version %d, this build reads up to %d", ErrUnknownEntry, w.V, LogVersion)
	}
	build := decoders[w.Op]
	if build == nil {
		return nil, fmt.Errorf("%w: unknown op %q", ErrUnknownEntry, w.Op)
	}
	e := build(&w)
	*e.Head() = Header{Node: w.Node, AtMs: w.AtMs, V: w.V}
	return e, nil
}
