package failover

import (
	"context"
	"errors"
	"sync"

	"github.com/raftinel/raftinel/model"
)

// Failover starts share one counter: a start commits only when it names
// CurrentEpoch+1 (model's epoch fence), so two starts computed from the
// same state cannot both commit. One at a time, each start waited for the
// previous one's Raft round trip: ten masters killed at once failed over
// one commit after another. The starter commits them in batches instead
// (group commit): the first start to arrive commits alone; the starts that
// arrive while it is in flight queue up and go together in the next batch,
// numbered CurrentEpoch+1, +2, ... in one ApplyBatch, which keeps their
// order in the log. No timer: a lone start waits for nothing.
type starter struct {
	mu       sync.Mutex
	queue    []*startReq
	flushing bool // a goroutine is committing batches
}

// startReq is one queued start and where its outcome goes.
type startReq struct {
	cmd  *model.FailoverStart
	pre  model.Entry // committed right before cmd in its first batch (the master's ODOWN), or nil
	done chan error  // buffered: the committer never blocks on it
}

// commitStart numbers cmd with the next free epoch and commits it, in a
// batch with whatever other starts are waiting, right behind pre when
// that is not nil. The epoch it got is in cmd.Epoch on return; the error
// is cmd's, or pre's when pre failed.
func (e *Engine) commitStart(ctx context.Context, cmd *model.FailoverStart, pre model.Entry) error {
	req := &startReq{cmd: cmd, pre: pre, done: make(chan error, 1)}
	st := &e.starts
	st.mu.Lock()
	st.queue = append(st.queue, req)
	if !st.flushing {
		// A goroutine of its own commits the batches: the caller that
		// started it used to commit every batch queued behind its own
		// before it went on, so its own failover waited for theirs.
		st.flushing = true
		go e.flushStarts(ctx)
	}
	st.mu.Unlock()
	return <-req.done
}

// flushStarts commits the queued starts, batch after batch, until none is
// left.
func (e *Engine) flushStarts(ctx context.Context) {
	st := &e.starts
	st.mu.Lock()
	for len(st.queue) > 0 {
		batch := st.queue
		st.queue = nil
		st.mu.Unlock()
		e.commitStarts(ctx, batch)
		st.mu.Lock()
	}
	st.flushing = false
	st.mu.Unlock()
}

// commitStarts commits batch, answering every request. Entries after a
// refused one were numbered on the assumption that it would take its
// epoch: their epoch fence refuses them too, so they are renumbered and
// committed again (each round settles at least the refused entry, so this
// ends).
func (e *Engine) commitStarts(ctx context.Context, batch []*startReq) {
	for len(batch) > 0 {
		var epoch uint64
		e.c.Read(func(s *model.State) { epoch = s.CurrentEpoch })
		entries := make([]model.Entry, 0, len(batch))
		at := make([]int, len(batch)) // index of each start in entries
		for i, r := range batch {
			if r.pre != nil {
				entries = append(entries, r.pre)
			}
			epoch++
			r.cmd.Epoch = epoch
			at[i] = len(entries)
			entries = append(entries, r.cmd)
		}
		errs := e.proposeBatch(ctx, entries)
		var again []*startReq
		refused := false
		for i, r := range batch {
			err := errs[at[i]]
			if r.pre != nil && errs[at[i]-1] != nil {
				err = errs[at[i]-1]
			}
			r.pre = nil // committed or failed: a retry is the start alone
			if refused && errors.Is(err, model.ErrEpochMismatch) {
				again = append(again, r)
				continue
			}
			if err != nil {
				refused = true
			}
			r.done <- err
		}
		batch = again
	}
}
