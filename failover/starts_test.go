package failover

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/internal/wait"
	"github.com/raftinel/raftinel/model"
)

// startScenario is a log of n masters m0..m<n-1>, each with one replica,
// and an engine leading it.
func startScenario(t *testing.T, n int) (*Engine, *fakeLog) {
	st := model.NewState()
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		st.Masters[name] = &model.Master{Name: name, Addr: scAddr(fmt.Sprintf("127.0.0.1:%d", 7100+2*i)),
			Settings: model.DefaultSettings(2), Replicas: []model.Addr{scAddr(fmt.Sprintf("127.0.0.1:%d", 7101+2*i))}}
	}
	l := newFakeLog(st, "n1", "n2", "n3")
	return New(Config{MyID: "n1"}, l, newFakeRedis()), l
}

// holdUntilQueued waits, inside a batch's commit (beforeBatch), until n
// starts are queued behind it.
func holdUntilQueued(t *testing.T, e *Engine, n int, what string) {
	queued := func() bool {
		e.starts.mu.Lock()
		defer e.starts.mu.Unlock()
		return len(e.starts.queue) == n
	}
	if err := wait.Until(context.Background(), 5*time.Second, what, queued); err != nil {
		t.Error(err) // not on the test's goroutine: no Fatal
	}
}

func startOf(l *fakeLog, name string) *model.FailoverStart {
	m := l.master(name)
	return &model.FailoverStart{Master: name, Candidate: m.Replicas[0], RunID: "run-" + name}
}

// Starts that arrive while one is being committed go together in the next
// batch, numbered with consecutive epochs, and every one commits.
func TestStartsQueuedBehindACommitGoInOneBatch(t *testing.T) {
	e, l := startScenario(t, 5)
	first := make(chan struct{})
	var once sync.Once
	l.beforeBatch = func([]model.Entry) {
		once.Do(func() {
			close(first)
			holdUntilQueued(t, e, 4, "the four other starts queued") // the first commit waits
		})
	}
	errs := make([]error, 5)
	var wg sync.WaitGroup
	run := func(i int) {
		defer wg.Done()
		errs[i] = e.commitStart(context.Background(), startOf(l, fmt.Sprintf("m%d", i)), nil)
	}
	wg.Add(1)
	go run(0)
	<-first
	for i := 1; i < 5; i++ {
		wg.Add(1)
		go run(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start of m%d: %v", i, err)
		}
	}
	var sizes []int
	for _, b := range l.batches {
		sizes = append(sizes, len(b))
	}
	if !slices.Equal(sizes, []int{1, 4}) {
		t.Fatalf("batch sizes %v, want [1 4]", sizes)
	}
	var epochs []uint64
	for i := range 5 {
		f := l.master(fmt.Sprintf("m%d", i)).Failover
		if f == nil {
			t.Fatalf("m%d has no failover", i)
		}
		epochs = append(epochs, f.Epoch)
	}
	slices.Sort(epochs)
	if !slices.Equal(epochs, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("failover epochs %v, want 1..5", epochs)
	}
}

// A start the log refuses does not take the others of its batch down: the
// entries after it, fenced because their epochs counted on it, are
// renumbered and committed.
func TestStartsAfterARefusedOneAreRenumbered(t *testing.T) {
	e, l := startScenario(t, 3)
	l.do(func(l *fakeLog) {
		l.st.CurrentEpoch = 7
		l.st.Masters["m1"].Failover = &model.Failover{Epoch: 7, State: model.StateSendSlaveofNoOne}
	})
	reqs := make([]*startReq, 3)
	for i := range reqs {
		reqs[i] = &startReq{cmd: startOf(l, fmt.Sprintf("m%d", i)), done: make(chan error, 1)}
	}
	e.commitStarts(context.Background(), reqs)
	want := []error{nil, model.ErrFailoverInProgress, nil}
	for i, r := range reqs {
		if err := <-r.done; !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Fatalf("m%d: %v, want %v", i, err, want[i])
		}
	}
	if got := []uint64{reqs[0].cmd.Epoch, reqs[2].cmd.Epoch}; !slices.Equal(got, []uint64{8, 9}) {
		t.Fatalf("epochs %v, want [8 9]", got)
	}
	if len(l.batches) != 2 || len(l.batches[1]) != 1 {
		t.Fatalf("%d batches, the second of %d, want 2 and 1", len(l.batches), len(l.batches[len(l.batches)-1]))
	}
	var cur uint64
	l.Read(func(s *model.State) { cur = s.CurrentEpoch })
	if cur != 9 || l.master("m2").Failover == nil || l.master("m2").Failover.Epoch != 9 {
		t.Fatalf("current epoch %d, m2 failover %+v", cur, l.master("m2").Failover)
	}
}

// The first start's caller goes on as soon as its own start is committed:
// it does not commit the batches queued behind it (its own failover used
// to wait for theirs).
func TestFirstStartDoesNotWaitForTheNextBatch(t *testing.T) {
	e, l := startScenario(t, 2)
	second, release := make(chan struct{}), make(chan struct{})
	calls := 0
	l.beforeBatch = func([]model.Entry) {
		calls++ // batches are committed one after the other
		if calls == 1 {
			holdUntilQueued(t, e, 1, "the second start queued") // the first commit waits
		} else {
			close(second)
			<-release // the second batch's commit waits here
		}
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- e.commitStart(context.Background(), startOf(l, "m0"), nil) }()
	secondDone := make(chan error, 1)
	redistest.WaitFor(t, 5*time.Second, "the first start's commit under way", func() bool {
		e.starts.mu.Lock()
		defer e.starts.mu.Unlock()
		return e.starts.flushing
	})
	go func() { secondDone <- e.commitStart(context.Background(), startOf(l, "m1"), nil) }()
	<-second
	select {
	case err := <-firstDone:
		if err != nil {
			t.Fatalf("first start: %v", err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("the first start's caller waited for the batch behind it")
	}
	close(release)
	if err := <-secondDone; err != nil {
		t.Fatalf("second start: %v", err)
	}
}
