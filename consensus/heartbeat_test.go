package consensus

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// A heartbeat that is being handled when the store closes holds Close back
// until it is done; one that arrives after is refused, never handled. (CI
// once saw hashicorp/raft panic writing the term of a late heartbeat to the
// closed Bolt store.)
func TestHeartbeatGuardWaitsAndRefuses(t *testing.T) {
	var g heartbeatGuard
	entered, release := make(chan struct{}), make(chan struct{})
	handled := 0
	h := g.wrap(func(rpc raft.RPC) {
		handled++
		close(entered)
		<-release
		rpc.Respond(&raft.AppendEntriesResponse{}, nil)
	})

	first := make(chan raft.RPCResponse, 1)
	go h(raft.RPC{RespChan: first})
	<-entered

	stopped := make(chan struct{})
	go func() { g.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned while a heartbeat was still being handled")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not return after the heartbeat finished")
	}
	if r := <-first; r.Error != nil {
		t.Fatalf("heartbeat in flight: %v", r.Error)
	}

	late := make(chan raft.RPCResponse, 1)
	h(raft.RPC{RespChan: late})
	if r := <-late; !errors.Is(r.Error, raft.ErrRaftShutdown) {
		t.Fatalf("late heartbeat: got %v, want ErrRaftShutdown", r.Error)
	}
	if handled != 1 {
		t.Fatalf("handler ran %d times, want 1", handled)
	}
	if g.wrap(nil) != nil {
		t.Fatal("wrap(nil) must stay nil so the transport keeps its slow path")
	}
}
