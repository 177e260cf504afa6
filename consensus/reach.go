package consensus

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Why a leader holds AppendEntries to a peer it cannot reach.
//
// hashicorp/raft's leader backs off after every failed AppendEntries to a
// follower (replicateTo: 10 ms, doubled per failure up to 10.24 s after 12
// failures) and nothing cuts a backoff sleep short. A follower that was
// stopped or cut off for about 20 s therefore got the log it missed up to
// ~10 s after it was back: heartbeats reached it (their own backoff is
// capped at half a heartbeat timeout), so its contact was fresh, but it
// stayed -STALE "catching up" (design rule 8) for seconds; Sentinel's test
// suite asks a restarted node at once.
//
// gatedTransport wraps the network transport: after a replication call
// (AppendEntries, InstallSnapshot, opening a pipeline) to a peer fails, the
// next one waits until a probe (an authenticated RPC round trip, reach.go's
// rpcPing) answers, instead of failing at once. The leader's failure count
// for that peer then stays small, and the entries flow within one probe
// interval of the peer answering again. Waiting is what a slow network
// does to an RPC anyway, so Raft's safety is untouched; liveness is kept by
// ending the wait (with an error, as a failed RPC) when this node stops
// leading, the peer leaves the configuration, or the store closes, so a
// replication goroutine never outlives its leadership. Votes, pre-votes and
// TimeoutNow are never held: elections must not wait for a dead peer.

const (
	// peerProbeInterval: a probe of a peer that does not answer is started
	// this often, so a returning peer waits at most about this long for
	// its log.
	peerProbeInterval = 50 * time.Millisecond
	// peerProbeTimeout bounds one probe (a paused peer accepts TCP but
	// never answers).
	peerProbeTimeout = time.Second
)

// errPeerGateClosed ends a wait: this node no longer leads, the peer left
// the configuration, or the store is closing.
var errPeerGateClosed = errors.New("replication to an unreachable peer stopped")

// peerGate tracks peers whose last replication call failed.
type peerGate struct {
	probe    func(ctx context.Context, addr string) error
	leading  func() bool
	member   func(addr raft.ServerAddress) bool
	done     <-chan struct{}
	interval time.Duration

	mu   sync.Mutex
	down map[raft.ServerAddress]*downPeer
}

// downPeer is one unreachable peer; a single goroutine probes it while
// callers wait.
type downPeer struct {
	over    chan struct{} // closed when the wait ends
	err     error         // nil: the peer answered
	probing bool
}

func newPeerGate(done <-chan struct{}, probe func(context.Context, string) error, leading func() bool, member func(raft.ServerAddress) bool) *peerGate {
	return &peerGate{probe: probe, leading: leading, member: member, done: done, interval: peerProbeInterval, down: map[raft.ServerAddress]*downPeer{}}
}

// wait returns at once for a peer not known to be down; otherwise it
// returns nil once the peer answers a probe, or errPeerGateClosed.
func (g *peerGate) wait(target raft.ServerAddress) error {
	g.mu.Lock()
	d := g.down[target]
	if d == nil {
		g.mu.Unlock()
		return nil
	}
	if !d.probing {
		d.probing = true
		go g.probeLoop(target, d)
	}
	g.mu.Unlock()
	<-d.over
	return d.err
}

// failed records the outcome of a replication call: a failure marks the
// peer down until a probe answers.
func (g *peerGate) failed(target raft.ServerAddress, err error) {
	if err == nil {
		return
	}
	g.mu.Lock()
	if g.down[target] == nil {
		g.down[target] = &downPeer{over: make(chan struct{})}
	}
	g.mu.Unlock()
}

// probeLoop starts a probe every interval until one answers (probes
// overlap: after a heal, a probe sent into the cut would only answer at its
// SYN retransmission, a new one answers at once), or until the wait has no
// reason any more.
func (g *peerGate) probeLoop(target raft.ServerAddress, d *downPeer) {
	answered := make(chan struct{}, 1)
	tick := time.NewTicker(g.interval)
	defer tick.Stop()
	var err error
	for {
		select {
		case <-g.done:
			err = errPeerGateClosed
		default:
			if !g.leading() || !g.member(target) {
				err = errPeerGateClosed
			}
		}
		if err != nil {
			break
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), peerProbeTimeout)
			defer cancel()
			if g.probe(ctx, string(target)) == nil {
				select {
				case answered <- struct{}{}:
				default:
				}
			}
		}()
		select {
		case <-answered:
		case <-tick.C:
			continue
		case <-g.done:
			continue
		}
		break
	}
	g.mu.Lock()
	if g.down[target] == d {
		delete(g.down, target) // after a give-up, the next call tries the peer again
	}
	g.mu.Unlock()
	d.err = err
	close(d.over)
}

// gatedTransport is the Raft transport with replication calls held by the
// gate. Everything else (votes, TimeoutNow, serving) is the network
// transport's own.
type gatedTransport struct {
	*raft.NetworkTransport
	gate *peerGate

	hb heartbeatGuard
}

// SetHeartbeatHandler wraps Raft's handler with the in-flight guard.
func (t *gatedTransport) SetHeartbeatHandler(fn func(rpc raft.RPC)) {
	t.NetworkTransport.SetHeartbeatHandler(t.hb.wrap(fn))
}

// heartbeatGuard holds heartbeats in flight. The network transport runs
// Raft's heartbeat handler on its own connection goroutine, which Raft's
// Shutdown does not wait for; Store.Close stops the guard before it closes
// the Bolt store, so a late heartbeat never writes the term to a closed
// database (hashicorp/raft panics on that).
type heartbeatGuard struct {
	mu      sync.RWMutex
	stopped bool
}

func (g *heartbeatGuard) wrap(fn func(rpc raft.RPC)) func(rpc raft.RPC) {
	if fn == nil {
		return nil
	}
	return func(rpc raft.RPC) {
		g.mu.RLock()
		defer g.mu.RUnlock()
		if g.stopped {
			rpc.Respond(nil, raft.ErrRaftShutdown)
			return
		}
		fn(rpc)
	}
}

// stop waits for heartbeats in flight and refuses later ones.
func (g *heartbeatGuard) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

func (t *gatedTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	if err := t.gate.wait(target); err != nil {
		return err
	}
	err := t.NetworkTransport.AppendEntries(id, target, args, resp)
	t.gate.failed(target, err)
	return err
}

// noPipeline (MaxRPCsInFlight 1) turns hashicorp/raft's pipelined
// replication off: AppendEntriesPipeline answers
// raft.ErrPipelineReplicationNotSupported and raft replicates one
// AppendEntries at a time. raft v1.7.3's pipeline can deadlock when a
// follower answers Success=false (a term change, a log mismatch): the
// decoder stops, the sender parks on a channel nobody reads, and
// replication to that follower stops for good while its heartbeats go on,
// so it never notices and serves an ever older state (seen here in a
// consensus test under load: netPipeline.AppendEntries and
// decodeResponses parked for minutes; the same deadlock is described in
// grafana/pyroscope#5518). One RPC in flight per follower costs nothing
// measurable at raftinel's log rate.
//
// Raft asks for a pipeline after every successful AppendEntries (each
// commit, and every raft-commit-timeout when idle); the refusal
// (raft.ErrPipelineReplicationNotSupported) says nothing about the peer, so
// it does not mark the peer down. It did until issue 16's idle work: every
// follower was then probed every second or two and its next heartbeat or
// replication call waited for that probe.
const noPipeline = 1

func (t *gatedTransport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	if err := t.gate.wait(target); err != nil {
		return nil, err
	}
	p, err := t.NetworkTransport.AppendEntriesPipeline(id, target)
	if !errors.Is(err, raft.ErrPipelineReplicationNotSupported) {
		t.gate.failed(target, err)
	}
	return p, err
}

func (t *gatedTransport) InstallSnapshot(id raft.ServerID, target raft.ServerAddress, args *raft.InstallSnapshotRequest, resp *raft.InstallSnapshotResponse, data io.Reader) error {
	if err := t.gate.wait(target); err != nil {
		return err
	}
	err := t.NetworkTransport.InstallSnapshot(id, target, args, resp, data)
	t.gate.failed(target, err)
	return err
}

// probePeer is the gate's probe: one authenticated RPC round trip.
func (s *Store) probePeer(ctx context.Context, addr string) error {
	resp, err := s.rpc.call(ctx, addr, &rpcRequest{Kind: rpcPing})
	if err != nil {
		return err
	}
	return decodeError(resp)
}

// inConfiguration reports whether addr is still a member.
func (s *Store) inConfiguration(addr raft.ServerAddress) bool {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, srv := range f.Configuration().Servers {
		if srv.Address == addr {
			return true
		}
	}
	return false
}
