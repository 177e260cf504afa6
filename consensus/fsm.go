package consensus

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/model"
)

// fsm adapts the pure apply function to hashicorp/raft. It holds the state
// under a RWMutex (readers are the protocol layer, the monitor and the
// failover engine), tracks the applied index so a follower can answer a
// forwarded write only once it has applied it, and hands events to the
// store, which publishes them unless the entry is a replay.
type fsm struct {
	mu    sync.RWMutex
	st    *model.State
	index uint64
	// version counts changes of st (bumped under mu after each): readers
	// that cache something derived from the state (the protocol layer's
	// pre-rendered replies) rebuild it when it moves.
	version atomic.Uint64

	waitMu  sync.Mutex
	applied chan struct{} // closed and replaced on every apply

	emit    func(index uint64, evs []model.Event)
	changed func() // after every apply or restore
	halt    func(error)

	// halted is set by the first entry this build cannot apply (command.go,
	// LogVersion). From then on nothing is applied, the applied index stays
	// before that entry and no snapshot is taken (it would record the entry
	// as applied and let Raft compact it away), so the node, upgraded and
	// restarted, applies it from the log.
	halted error
}

// applyResponse is what raft.ApplyFuture.Response() returns.
type applyResponse struct {
	res model.Result
	err error
}

func newFSM() *fsm { return &fsm{st: model.NewState(), applied: make(chan struct{})} }

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	f.mu.RLock()
	halted := f.halted
	f.mu.RUnlock()
	if halted != nil {
		return &applyResponse{err: halted}
	}
	e, err := model.Decode(l.Data)
	if err != nil {
		err = fmt.Errorf("log entry %d: %w; this node stops applying the log: upgrade it to a raftinel that reads the entry and restart it (docs/operations.md, \"Rolling upgrades\")", l.Index, err)
		f.mu.Lock()
		f.halted = err
		f.mu.Unlock()
		if f.halt != nil {
			f.halt(err)
		}
		return &applyResponse{err: err}
	}
	e.Head().Index = l.Index
	f.mu.Lock()
	evs, res, err := model.Apply(f.st, e)
	f.index = l.Index
	f.version.Add(1)
	f.mu.Unlock()
	res.Index = l.Index
	f.advance(l.Index)
	if len(evs) > 0 && f.emit != nil {
		f.emit(l.Index, evs)
	}
	if f.changed != nil {
		f.changed()
	}
	return &applyResponse{res: res, err: err}
}

func (f *fsm) advance(index uint64) {
	f.mu.Lock()
	if index > f.index {
		f.index = index
	}
	f.mu.Unlock()
	f.waitMu.Lock()
	close(f.applied)
	f.applied = make(chan struct{})
	f.waitMu.Unlock()
}

// appliedIndex returns the last applied index and a channel closed at the
// next apply.
func (f *fsm) appliedIndex() (uint64, <-chan struct{}) {
	f.waitMu.Lock()
	ch := f.applied
	f.waitMu.Unlock()
	f.mu.RLock()
	i := f.index
	f.mu.RUnlock()
	return i, ch
}

// read runs fn with the state under the read lock.
func (f *fsm) read(fn func(*model.State)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.st)
}

// snapshotData is what a snapshot holds: the state and the index of the
// last entry it includes (so a restored node knows what it has applied).
type snapshotData struct {
	Version int          `json:"version,omitempty"` // snapshotVersion of the writer (0: before versions)
	Index   uint64       `json:"index"`
	State   *model.State `json:"state"`
}

// Snapshot implements raft.FSM: the state is serialised under the read lock
// (it is small: masters, settings, replicas, observations).
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.halted != nil {
		return nil, fmt.Errorf("no snapshot: %w", f.halted)
	}
	b, err := json.Marshal(snapshotData{Version: model.SnapshotVersion, Index: f.index, State: f.st})
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return &snapshot{data: b}, nil
}

// Restore implements raft.FSM.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	f.mu.RLock()
	halted := f.halted
	f.mu.RUnlock()
	if halted != nil {
		return fmt.Errorf("no restore: %w", halted)
	}
	data := snapshotData{State: model.NewState()}
	dec := json.NewDecoder(rc)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&data); err != nil {
		return fmt.Errorf("restore snapshot: %w: cannot decode it (%v)", model.ErrUnknownEntry, err)
	}
	if data.Version > model.LogVersion {
		return fmt.Errorf("restore snapshot: %w: snapshot version %d, this build reads up to %d", model.ErrUnknownEntry, data.Version, model.LogVersion)
	}
	st := data.State
	if st.Masters == nil {
		st.Masters = map[string]*model.Master{}
	}
	if st.Nodes == nil {
		st.Nodes = map[string]model.NodeInfo{}
	}
	f.mu.Lock()
	f.st = st
	f.index = data.Index
	f.version.Add(1)
	f.mu.Unlock()
	f.advance(data.Index)
	if f.changed != nil {
		f.changed()
	}
	return nil
}

type snapshot struct{ data []byte }

func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s *snapshot) Release() {}
