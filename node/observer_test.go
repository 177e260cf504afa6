package node

import (
	"context"
	"sync"
	"testing"
	"time"

	poll "github.com/raftinel/raftinel/internal/wait"
	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// obsLog is a log for the observer: Apply commits an observation at once,
// except for the master named in hold, whose proposals wait for release.
type obsLog struct {
	mu      sync.Mutex
	st      *model.State
	hold    string
	release chan struct{}
	applied map[string]int // master -> proposals received
}

func (l *obsLog) Fresh() error { return nil }
func (l *obsLog) Read(fn func(*model.State)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(l.st)
}
func (l *obsLog) Apply(ctx context.Context, e model.Entry) (model.Result, error) {
	c := e.(*model.Observe)
	l.mu.Lock()
	l.applied[c.Master]++
	l.mu.Unlock()
	if c.Master == l.hold {
		select {
		case <-l.release:
		case <-ctx.Done():
			return model.Result{}, ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Masters[c.Master].Observations = map[string]model.Observation{c.Node: {Down: c.Down, AtMs: c.AtMs}}
	return model.Result{}, nil
}
func (l *obsLog) proposals(master string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applied[master]
}
func (l *obsLog) down(master, node string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.Masters[master].Observations[node].Down
}

// An opinion is proposed while another master's proposal is still on its
// way (ten masters killed at once go SDOWN over a ping period: each used
// to wait for the slowest proposal of the round before it), and a master
// with a proposal on its way is not proposed again.
func TestObserverDoesNotWaitForOtherProposals(t *testing.T) {
	st := model.NewState()
	for _, n := range []string{"a", "b"} {
		a, _ := model.ParseAddr("127.0.0.1:7000")
		if n == "b" {
			a, _ = model.ParseAddr("127.0.0.1:7001")
		}
		st.Masters[n] = &model.Master{Name: n, Addr: a, Settings: model.DefaultSettings(2)}
	}
	l := &obsLog{st: st, hold: "a", release: make(chan struct{}), applied: map[string]int{}}
	o := newObserver("n1", l, zap.NewNop())
	o.contact.Update(true, time.Now().Add(-time.Hour)) // in contact long enough: "down" is not held back
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); o.run(ctx) }()
	defer func() { cancel(); <-done }()
	released := false
	defer func() {
		if !released {
			close(l.release)
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		if err := poll.Until(context.Background(), 5*time.Second, what, cond); err != nil {
			t.Fatalf("%v (proposals a=%d b=%d)", err, l.proposals("a"), l.proposals("b"))
		}
	}
	o.set("a", "127.0.0.1:7000", true)
	waitFor("a proposed", func() bool { return l.proposals("a") == 1 })
	o.set("b", "127.0.0.1:7001", true)
	waitFor("b committed while a's proposal waits", func() bool { return l.down("b", "n1") })
	if n := l.proposals("a"); n != 1 {
		t.Fatalf("a proposed %d times while its first proposal was on its way", n)
	}
	close(l.release)
	released = true
	waitFor("a committed", func() bool { return l.down("a", "n1") })
}
