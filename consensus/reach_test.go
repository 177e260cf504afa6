package consensus

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// fakeReach is the gate's view of the world: whether the peer answers,
// whether this node leads, whether the peer is a member.
type fakeReach struct {
	up, leading, member atomic.Bool
	probes              atomic.Int32
}

func newGateForTest(t *testing.T) (*peerGate, *fakeReach, chan struct{}) {
	f := &fakeReach{}
	f.leading.Store(true)
	f.member.Store(true)
	done := make(chan struct{})
	g := newPeerGate(done, func(context.Context, string) error {
		f.probes.Add(1)
		if f.up.Load() {
			return nil
		}
		return errors.New("connection refused")
	}, f.leading.Load, func(raft.ServerAddress) bool { return f.member.Load() })
	g.interval = time.Millisecond
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			close(done)
		}
	})
	return g, f, done
}

// waitAsync runs g.wait in the background and returns its result channel.
func waitAsync(g *peerGate, target raft.ServerAddress) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- g.wait(target) }()
	return ch
}

// mustBlock checks that the wait is still held after the probe loop has
// run several times (it cannot have returned without a probe answering).
func mustBlock(t *testing.T, f *fakeReach, ch <-chan error) {
	t.Helper()
	start := f.probes.Load()
	for f.probes.Load() < start+3 {
		select {
		case err := <-ch:
			t.Fatalf("wait returned %v while the peer is unreachable", err)
		case <-time.After(time.Millisecond):
		}
	}
}

func TestPeerGateHoldsReplicationUntilThePeerAnswers(t *testing.T) {
	g, f, _ := newGateForTest(t)
	const peer = raft.ServerAddress("127.0.0.1:1")
	if err := g.wait(peer); err != nil {
		t.Fatalf("a peer never seen failing is held: %v", err)
	}
	if f.probes.Load() != 0 {
		t.Fatal("a healthy peer was probed")
	}
	g.failed(peer, nil)
	if err := g.wait(peer); err != nil {
		t.Fatalf("a successful call marked the peer down: %v", err)
	}
	g.failed(peer, errors.New("dial tcp: connection refused"))
	ch1, ch2 := waitAsync(g, peer), waitAsync(g, peer)
	mustBlock(t, f, ch1)
	f.up.Store(true)
	for _, ch := range []<-chan error{ch1, ch2} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatalf("peer back: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the peer answered but the wait went on")
		}
	}
	if err := g.wait(peer); err != nil {
		t.Fatalf("after the peer answered: %v", err)
	}
}

func TestPeerGateEndsOnLeadershipLossRemovalAndClose(t *testing.T) {
	const peer = raft.ServerAddress("127.0.0.1:1")
	for _, tc := range []struct {
		name string
		end  func(f *fakeReach, done chan struct{})
	}{
		{"leadership lost", func(f *fakeReach, _ chan struct{}) { f.leading.Store(false) }},
		{"peer removed", func(f *fakeReach, _ chan struct{}) { f.member.Store(false) }},
		{"store closed", func(_ *fakeReach, done chan struct{}) { close(done) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, f, done := newGateForTest(t)
			g.failed(peer, errors.New("i/o timeout"))
			ch := waitAsync(g, peer)
			mustBlock(t, f, ch)
			tc.end(f, done)
			select {
			case err := <-ch:
				if !errors.Is(err, errPeerGateClosed) {
					t.Fatalf("wait ended with %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the wait outlived its reason")
			}
			if tc.name != "store closed" {
				// the mark is dropped: a new leader term tries the peer again
				f.leading.Store(true)
				f.member.Store(true)
				if err := g.wait(peer); err != nil {
					t.Fatalf("after the give-up: %v", err)
				}
			}
		})
	}
}

// Raft asks for a pipeline after every successful replication call; the
// transport's refusal (pipelining is off) is no failure of the peer, so it
// must not hold the next call behind a probe.
func TestPipelineRefusalDoesNotMarkThePeerDown(t *testing.T) {
	g, f, _ := newGateForTest(t)
	nt, err := raft.NewTCPTransportWithConfig("127.0.0.1:0", nil, &raft.NetworkTransportConfig{
		MaxPool: 1, MaxRPCsInFlight: noPipeline, Timeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nt.Close() })
	tr := &gatedTransport{NetworkTransport: nt, gate: g}
	const peer = raft.ServerAddress("127.0.0.1:1")
	if _, err := tr.AppendEntriesPipeline("peer", peer); !errors.Is(err, raft.ErrPipelineReplicationNotSupported) {
		t.Fatalf("pipeline: %v, want the transport's refusal", err)
	}
	g.mu.Lock()
	down := g.down[peer] != nil
	g.mu.Unlock()
	if down {
		t.Fatal("the pipeline refusal marked the peer down")
	}
	if err := g.wait(peer); err != nil || f.probes.Load() != 0 {
		t.Fatalf("wait after the refusal: %v, %d probes", err, f.probes.Load())
	}
}
