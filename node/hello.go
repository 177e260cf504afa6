package node

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/policy"
	"go.uber.org/zap"
)

// DefaultHelloPeriod is Sentinel's publish-period: every monitored master
// and replica gets this node's hello this often (SENTINEL DEBUG
// publish-period changes it), and at once after a +switch-master.
const DefaultHelloPeriod = 2 * time.Second

// Where the monitor's pinger carries hellos on its PINGs (Linux, the
// monitor's own dialer: monitor.HellosQueued), a round only hands them over.
// Elsewhere each is an exchange on a command link, and then:
// a hello round goes through at most helloWorkers publishes at a time and,
// when it follows the timer, is spread over the first half of the period
// in up to helloSlices slices of at least helloSliceMin publishes
// (helloSlicesFor): 1000 masters with 3 replicas each are 4000 publishes
// per round, which as one burst of goroutines starved the pinger and Raft's
// heartbeats on a small machine (and as 4000 goroutine stacks stayed in the
// node's memory). A small round goes in one slice: ten slices of ten
// publishes (100 masters) were ten wake-ups per round for nothing.
// A worker waits at most helloWait for one publish (the exchange itself
// runs on, holding its link), so a hung instance holds up no other.
const (
	helloWorkers  = 16
	helloSlices   = 10
	helloSliceMin = 250
	helloWait     = 250 * time.Millisecond
)

// hellos are this node's hello messages: on the monitor's links once the
// node belongs to a cluster, on the hello links of formation.go while it
// forms one.
type hellos struct {
	period atomic.Int64 // ns; 0 = DefaultHelloPeriod
	now    chan struct{}

	errs sync.Map // "master/addr" -> last PUBLISH error ("" = none)

	mu    sync.Mutex
	links []formationLink // while forming: where to publish (formation.go)
}

func (h *hellos) setLinks(l []formationLink) {
	h.mu.Lock()
	h.links = l
	h.mu.Unlock()
}

func (h *hellos) every() time.Duration {
	if p := time.Duration(h.period.Load()); p > 0 {
		return p
	}
	return DefaultHelloPeriod
}

// helloNow makes the next round go out at once (after a config change).
func (n *Node) helloNow() {
	select {
	case n.hello.now <- struct{}{}:
	default:
	}
}

func (n *Node) helloLoop(ctx context.Context) {
	t := time.NewTimer(n.hello.every())
	defer t.Stop()
	var spread time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			spread = n.hello.every() / 2
		case <-n.hello.now:
			spread = 0 // after a change: at once
		}
		n.hello.mu.Lock()
		links := n.hello.links
		n.hello.mu.Unlock()
		pctx, cancel := context.WithTimeout(ctx, n.hello.every())
		switch {
		case n.store.Forming() == nil:
			n.publishHellos(pctx, spread)
		case links != nil:
			n.publishForming(pctx, links)
		}
		cancel()
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(n.hello.every())
	}
}

// publishHellos sends one hello per master to the master and each of its
// replicas, as Sentinel does: this node's current epoch, the master's
// address and config epoch from the replicated state. A link that is down
// is skipped. Where the monitor only queues hellos for its PINGs
// (monitor.HellosQueued), one loop hands them all over (the PINGs spread
// them); otherwise links are served helloWorkers at a time, spread over
// spread (forEachPaced), within ctx.
func (n *Node) publishHellos(ctx context.Context, spread time.Duration) {
	ip, port := n.srv.Announce()
	var jobs []policy.HelloJob
	n.store.Read(func(s *model.State) { jobs = policy.Hellos(s, n.myID, ip, port) })
	publish := func(ctx context.Context, j policy.HelloJob) {
		err := n.mon.PublishHello(ctx, j.Master, j.Addr, func(local string) string {
			h := j.Hello
			if h.IP == "" {
				h.IP = local
			}
			return h.String()
		})
		n.helloResult(j.Master, j.Addr, err)
	}
	if n.mon.HellosQueued() {
		for _, j := range jobs {
			publish(ctx, j)
		}
		return
	}
	forEachPaced(ctx, len(jobs), helloWorkers, helloSlicesFor(len(jobs)), spread, func(i int) {
		cctx, cancel := context.WithTimeout(ctx, helloWait)
		defer cancel()
		publish(cctx, jobs[i])
	})
}

// helloSlicesFor is the number of slices a round of n publishes is spread
// in: one per helloSliceMin publishes, at most helloSlices.
func helloSlicesFor(n int) int {
	return max(1, min(helloSlices, n/helloSliceMin))
}

// helloResult logs a hello that Redis refused (an ACL without +publish,
// say) once per instance and error, and its recovery; a link failure is
// not news here.
func (n *Node) helloResult(master, addr string, err error) {
	var refused monitor.RedisError
	if err != nil && !errors.As(err, &refused) {
		return // the link's trouble, which the monitor reports (INFO links)
	}
	key, msg := master+"/"+addr, ""
	if err != nil {
		msg = err.Error()
	}
	old, _ := n.hello.errs.Swap(key, msg)
	prev, _ := old.(string)
	switch policy.HelloNews(prev, msg) {
	case "refused":
		n.log.Warn("hello not published", zap.String("master", master), zap.String("addr", addr), zap.String("err", msg))
	case "recovered":
		n.log.Info("hello published again", zap.String("master", master), zap.String("addr", addr))
	}
}

// onTilt publishes TILT transitions (Sentinel's +tilt/-tilt, which name no
// instance and so run no script).
func (n *Node) onTilt(e monitor.TiltEvent) {
	ch, payload := "-tilt", "#tilt mode exited"
	if e.On {
		ch, payload = "+tilt", "#tilt mode entered"
	}
	n.srv.Publish(ch, payload)
	n.metrics.Event(ch, payload)
	n.log.Warn("event", zap.String("channel", ch), zap.String("payload", payload), zap.Duration("stall", e.Stall))
}
