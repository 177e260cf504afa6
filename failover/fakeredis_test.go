package failover

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftinel/raftinel/view"
)

// fakeInstance is one scripted Redis instance of a fakeRedis.
type fakeInstance struct {
	role       string // "master" or "slave"
	masterHost string
	masterPort int
	linkUp     bool
	offset     int64
	down       bool      // unreachable: no view, every call fails
	infoAt     time.Time // InfoRefresh of its view until the next RefreshInfo (zero: always now)

	// Behaviour, set by the test.
	ignoreSlaveOf bool  // takes the transaction but never changes role or master
	neverSyncs    bool  // follows a new master, but its link never comes up
	txErr         error // every transaction fails with this error ...
	txApplies     bool  // ... after taking effect (the reply was lost)
}

// sent is one call the engine made on an instance.
type sent struct {
	addr string
	cmd  []string // the transaction's first command (SLAVEOF ...), or Do's arguments
}

// fakeRedis is a Redis whose instances are scripted per address: their
// INFO replication view, how they react to SLAVEOF, failures. before, when
// set, runs before every call that touches an instance (a test deposes the
// leader there, between the engine's decision and its action).
type fakeRedis struct {
	mu     sync.Mutex
	inst   map[string]*fakeInstance
	calls  []sent
	before func(kind, addr string)
}

var errUnreachable = errors.New("connection refused")

func newFakeRedis() *fakeRedis { return &fakeRedis{inst: map[string]*fakeInstance{}} }

// add scripts the instance at addr.
func (r *fakeRedis) add(addr string, in *fakeInstance) { r.mu.Lock(); r.inst[addr] = in; r.mu.Unlock() }

// set changes the instance at addr under the fake's lock.
func (r *fakeRedis) set(addr string, fn func(*fakeInstance)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(r.inst[addr])
}

func (r *fakeRedis) hook(kind, addr string) {
	r.mu.Lock()
	b := r.before
	r.mu.Unlock()
	if b != nil {
		b(kind, addr)
	}
}

func (r *fakeRedis) view(addr string) (view.Instance, bool) {
	in := r.inst[addr]
	if in == nil || in.down {
		return view.Instance{}, false
	}
	now := time.Now()
	v := view.Instance{Addr: addr, Connected: true, LastOKPing: now, LastPingReply: now, InfoRefresh: now,
		RunID: strings.Repeat("0", 32) + strings.ReplaceAll(addr, ":", ""), Role: in.role, ReplID: "replid-1",
		ReplOffset: in.offset, SlavePriority: 100, SlaveReplOffset: in.offset, MasterLastIOSec: -1, ReplicaAnnounced: true}
	if !in.infoAt.IsZero() {
		v.InfoRefresh = in.infoAt
	}
	if in.role == "slave" {
		v.MasterHost, v.MasterPort, v.MasterLinkUp = in.masterHost, in.masterPort, in.linkUp
		if in.linkUp {
			v.MasterLastIOSec = 0
		}
	}
	return v, true
}

func (r *fakeRedis) Instance(_, addr string) (view.Instance, bool) {
	r.hook("view", addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.view(addr)
}

// SilentSince: a reachable instance answers every PING; an unreachable
// one has no view, as with Instance.
func (r *fakeRedis) SilentSince(_, addr string) (time.Time, bool) {
	r.hook("view", addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.view(addr)
	return time.Time{}, ok
}

func (r *fakeRedis) RefreshInfo(_ context.Context, _, addr string) (view.Instance, error) {
	r.hook("info", addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	if in := r.inst[addr]; in != nil {
		in.infoAt = time.Time{}
	}
	if v, ok := r.view(addr); ok {
		return v, nil
	}
	return view.Instance{}, errUnreachable
}

func (r *fakeRedis) Transaction(_ context.Context, _, addr string, cmds ...[]string) error {
	r.hook("transaction", addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, sent{addr, cmds[0]})
	in := r.inst[addr]
	if in == nil || in.down {
		return errUnreachable
	}
	if in.txErr != nil && !in.txApplies {
		return in.txErr
	}
	if s := cmds[0]; !in.ignoreSlaveOf && strings.EqualFold(s[0], "SLAVEOF") {
		if strings.EqualFold(s[1], "NO") {
			in.role, in.masterHost, in.masterPort, in.linkUp = "master", "", 0, false
		} else {
			in.role, in.masterHost, in.linkUp = "slave", s[1], !in.neverSyncs
			in.masterPort, _ = strconv.Atoi(s[2])
		}
	}
	return in.txErr
}

func (r *fakeRedis) Do(_ context.Context, _, addr string, args ...string) (any, error) {
	r.hook("do", addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, sent{addr, args})
	if in := r.inst[addr]; in == nil || in.down {
		return nil, errUnreachable
	}
	return "OK", nil
}

// SetFastInfo is where a test finds the engine between reading the state
// and acting on a running failover (evaluate calls it before drive).
func (r *fakeRedis) SetFastInfo(master string, _ bool) { r.hook("fastinfo", master) }

// sentTo lists the commands sent to addr ("SLAVEOF NO ONE", ...).
func (r *fakeRedis) sentTo(addr string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		if c.addr == addr {
			out = append(out, strings.Join(c.cmd, " "))
		}
	}
	return out
}

// promotions counts SLAVEOF NO ONE sent to any instance.
func (r *fakeRedis) promotions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if strings.EqualFold(strings.Join(c.cmd, " "), "SLAVEOF NO ONE") {
			n++
		}
	}
	return n
}

// ncalls counts the calls that touched any instance.
func (r *fakeRedis) ncalls() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.calls) }
