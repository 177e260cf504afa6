package node

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/raftinel/raftinel/model"
)

// Events applied while the node is being built are delivered once it is
// ready, in order, before any later event (they used to be dropped).
func TestEarlyEventsKeptAndDeliveredInOrder(t *testing.T) {
	var (
		q     earlyEvents
		ready atomic.Bool
		mu    sync.Mutex
		got   []string
	)
	deliver := func(e model.Event) {
		mu.Lock()
		got = append(got, e.Channel)
		mu.Unlock()
	}
	q.publish(model.Event{Channel: "+monitor"}, &ready, deliver)
	q.publish(model.Event{Channel: "+switch-master"}, &ready, deliver)
	if len(got) != 0 {
		t.Fatalf("delivered before ready: %v", got)
	}
	q.release(&ready, deliver)
	q.publish(model.Event{Channel: "+sdown"}, &ready, deliver)
	if s := strings.Join(got, " "); s != "+monitor +switch-master +sdown" {
		t.Fatalf("delivered %q, want the early events first, in order, then the later one", s)
	}
}

// A publish racing the release is never lost and never overtakes the kept
// events.
func TestEarlyEventsRaceWithRelease(t *testing.T) {
	for i := 0; i < 200; i++ {
		var (
			q     earlyEvents
			ready atomic.Bool
			mu    sync.Mutex
			got   []string
		)
		deliver := func(e model.Event) {
			mu.Lock()
			got = append(got, e.Channel)
			mu.Unlock()
		}
		q.publish(model.Event{Channel: "a"}, &ready, deliver)
		done := make(chan struct{})
		go func() { q.publish(model.Event{Channel: "b"}, &ready, deliver); close(done) }()
		q.release(&ready, deliver)
		<-done
		if s := strings.Join(got, " "); s != "a b" {
			t.Fatalf("run %d: delivered %q, want \"a b\"", i, s)
		}
	}
}
