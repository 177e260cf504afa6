package monitor

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
)

// The INFO rules of the goroutine per instance that the scheduler
// replaced (spec §6.2 and doc.go), as a table.
func TestInfoPlan(t *testing.T) {
	t0 := time.Unix(1000, 0)
	const period, redial = 10 * time.Second, time.Second
	now := time.Time{}
	for _, c := range []struct {
		name string
		in   infoInputs
		want time.Time
	}{
		{"first INFO at once", infoInputs{}, now},
		{"steady: every period", infoInputs{last: t0}, t0.Add(period)},
		{"command link reconnected: at once", infoInputs{last: t0, reconnected: true}, now},
		{"probe regained the target: at once", infoInputs{last: t0, back: true}, now},
		{"probe lost the target, link believed up: at once", infoInputs{last: t0, suspect: true}, now},
		{"probe lost the target, link already failed: reconnect interval", infoInputs{last: t0, suspect: true, linkFailed: true}, t0.Add(redial)},
		{"link failed: reconnect interval", infoInputs{last: t0, linkFailed: true}, t0.Add(redial)},
		{"link failed, period shorter than the interval: period", infoInputs{last: t0, linkFailed: true, period: 500 * time.Millisecond}, t0.Add(500 * time.Millisecond)},
		{"regained after a failure: at once", infoInputs{last: t0, linkFailed: true, back: true}, now},
	} {
		if c.in.period == 0 {
			c.in.period = period
		}
		c.in.redial = redial
		if got := infoPlan(c.in); !got.Equal(c.want) {
			t.Errorf("%s: due %v, want %v", c.name, got, c.want)
		}
	}
}

// fakeInfo is an INFO exchange that blocks until released and records how
// many run at once.
type fakeInfo struct {
	mu      sync.Mutex
	running int
	most    int
	count   map[string]int
	fail    map[string]bool
	release chan struct{}
}

func (f *fakeInfo) send(in *instance) error {
	f.mu.Lock()
	f.running++
	f.most = max(f.most, f.running)
	f.mu.Unlock()
	<-f.release
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running--
	f.count[in.key.addr]++
	if f.fail[in.key.addr] {
		return errors.New("link down")
	}
	return nil
}

func (f *fakeInfo) get(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[addr]
}

// schedInstances makes n instances of a monitor that never runs (no links),
// whose INFO goes through f with at most atOnce exchanges at a time.
func schedInstances(t *testing.T, n, atOnce int, f *fakeInfo) (*Monitor, []*instance) {
	m := New(Config{MyID: testID, InfoPeriod: time.Hour, FastInfoPeriod: time.Hour}, nil, nil)
	m.info = newInfoSched(atOnce)
	m.info.send = f.send
	var ins []*instance
	for i := range n {
		in := newInstance(m, view.Target{Master: "m", Addr: fmt.Sprintf("10.0.0.%d:6379", i+1), IsMaster: i == 0, DownAfter: 5 * time.Second})
		ins = append(ins, in)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.info.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		close(f.release)
		<-done
	})
	return m, ins
}

// However many instances are due, at most atOnce INFO exchanges run at a
// time, and every instance gets its first INFO.
func TestInfoSchedBounded(t *testing.T) {
	f := &fakeInfo{count: map[string]int{}, fail: map[string]bool{}, release: make(chan struct{})}
	_, ins := schedInstances(t, 20, 3, f)
	for _, in := range ins {
		in.wakeInfo()
	}
	redistest.WaitFor(t, 5*time.Second, "3 exchanges in flight", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.running == 3
	})
	for range 17 { // release all but the last 3
		f.release <- struct{}{}
	}
	redistest.WaitFor(t, 5*time.Second, "every first INFO sent", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.count) == 17 && f.running == 3
	})
	f.mu.Lock()
	most := f.most
	f.mu.Unlock()
	if most != 3 {
		t.Fatalf("%d exchanges ran at once, want at most (and at some point) 3", most)
	}
}

// The rules between exchanges: a failed link is retried at the reconnect
// interval while a healthy instance waits for its (hour-long) period; a
// regained target gets its INFO at once; a stopped instance gets none.
func TestInfoSchedRetryAndWake(t *testing.T) {
	f := &fakeInfo{count: map[string]int{}, fail: map[string]bool{}, release: make(chan struct{}, 1000)}
	for range 1000 {
		f.release <- struct{}{}
	}
	_, ins := schedInstances(t, 3, 2, f)
	bad, good, gone := ins[0].key.addr, ins[1].key.addr, ins[2].key.addr
	f.fail[bad] = true
	for _, in := range ins[:2] {
		in.wakeInfo()
	}
	// The reconnect interval of a 5 s down-after is 500 ms.
	redistest.WaitFor(t, 10*time.Second, "retries of the failed link", func() bool { return f.get(bad) >= 3 })
	if n := f.get(good); n != 1 {
		t.Fatalf("healthy instance: %d INFOs, want 1 within its hour-long period", n)
	}
	ins[1].probeRecovered()
	redistest.WaitFor(t, 5*time.Second, "INFO after the probe regained the target", func() bool { return f.get(good) == 2 })
	ins[2].m.info.remove(ins[2])
	ins[2].wakeInfo()
	ins[2].probeRecovered()
	ins[1].probeRecovered() // due as early: dispatched in the same pass
	redistest.WaitFor(t, 5*time.Second, "the next INFO of the healthy instance", func() bool { return f.get(good) == 3 })
	if n := f.get(gone); n != 0 {
		t.Fatalf("stopped instance: %d INFOs", n)
	}
}

// An INFO due within a tenth of its wait goes out with one being sent, so
// instances fall into rounds instead of one wake-up each; one due later
// waits for its time.
func TestInfoSchedSendsTheNearlyDueTogether(t *testing.T) {
	f := &fakeInfo{count: map[string]int{}, fail: map[string]bool{}, release: make(chan struct{}, 1000)}
	for range 1000 {
		f.release <- struct{}{}
	}
	m, ins := schedInstances(t, 3, 3, f)
	for _, in := range ins {
		in.wakeInfo()
	}
	redistest.WaitFor(t, 5*time.Second, "every first INFO", func() bool {
		return f.get(ins[0].key.addr) == 1 && f.get(ins[1].key.addr) == 1 && f.get(ins[2].key.addr) == 1
	})
	// The period is an hour: a tenth is 6 minutes. ins[0] is due now,
	// ins[1] in 3 minutes (goes with it), ins[2] in 30 (waits).
	s := m.info
	s.mu.Lock()
	now := time.Now()
	for i, at := range []time.Time{now.Add(-time.Second), now.Add(3 * time.Minute), now.Add(30 * time.Minute)} {
		st := &ins[i].info
		if st.busy || st.idx < 0 {
			s.mu.Unlock()
			t.Fatalf("instance %d not waiting for its next INFO", i)
		}
		st.due = at
		heap.Fix(&s.due, st.idx)
	}
	s.mu.Unlock()
	poke(s.kick)
	redistest.WaitFor(t, 5*time.Second, "the due and the nearly due INFO", func() bool {
		return f.get(ins[0].key.addr) == 2 && f.get(ins[1].key.addr) == 2
	})
	if n := f.get(ins[2].key.addr); n != 1 {
		t.Fatalf("an INFO due in 30 minutes was sent early: %d INFOs", n)
	}
}
