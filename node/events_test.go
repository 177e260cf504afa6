package node

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/raftinel/raftinel/model"
)

// delivered records the channels of delivered events, in order.
type delivered struct {
	mu  sync.Mutex
	got []string
}

func (d *delivered) deliver(e model.Event) {
	d.mu.Lock()
	d.got = append(d.got, e.Channel)
	d.mu.Unlock()
}

func (d *delivered) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.got, " ")
}

// Events applied while the node is being built are delivered once it is
// ready, in order, before any later event (they used to be dropped).
func TestEarlyEventsKeptAndDeliveredInOrder(t *testing.T) {
	var (
		q     earlyEvents
		ready atomic.Bool
		d     delivered
	)
	q.publish(model.Event{Channel: "+monitor"}, &ready, d.deliver)
	q.publish(model.Event{Channel: "+switch-master"}, &ready, d.deliver)
	if s := d.String(); s != "" {
		t.Fatalf("delivered before ready: %v", s)
	}
	q.release(&ready, d.deliver)
	q.publish(model.Event{Channel: "+sdown"}, &ready, d.deliver)
	if s := d.String(); s != "+monitor +switch-master +sdown" {
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
			d     delivered
		)
		q.publish(model.Event{Channel: "a"}, &ready, d.deliver)
		done := make(chan struct{})
		go func() { q.publish(model.Event{Channel: "b"}, &ready, d.deliver); close(done) }()
		q.release(&ready, d.deliver)
		<-done
		if s := d.String(); s != "a b" {
			t.Fatalf("run %d: delivered %q, want \"a b\"", i, s)
		}
	}
}
