//go:build e2e

package e2e

import (
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// probePeriod is how often every node and every Redis is asked.
const probePeriod = 100 * time.Millisecond

// answer is one node's reply to GET-MASTER-ADDR-BY-NAME.
type answer struct {
	addr    string // "" when it answered an error or did not answer
	err     string // error reply ("STALE ...") or network error
	isoFor  time.Duration
	isoNode bool // cut off from every majority when asked
	down    bool // the node was killed or stopped
}

// roleSample is one Redis instance's ROLE, and whether it took a write.
type roleSample struct {
	role    string // "master", "slave", "" (no answer)
	accepts bool   // a master that acknowledged the probe's SET
	err     string
}

type sample struct {
	at      time.Time
	answers []answer
	roles   []roleSample
}

type pevent struct {
	at      time.Time
	node    int
	channel string
	payload string
}

// recorder probes every node and every Redis every probePeriod and
// subscribes to the failover events of every node.
type recorder struct {
	e       *penv
	mu      sync.Mutex
	samples []sample
	events  []pevent
	stop    chan struct{}
	done    chan struct{}
	subs    []*redis.PubSub
}

var recordedChannels = []string{"+switch-master", "+new-epoch", "+try-failover", "+convert-to-slave"}

func startRecorder(e *penv) *recorder {
	r := &recorder{e: e, stop: make(chan struct{}), done: make(chan struct{})}
	for i, n := range e.nodes {
		sub := subscribeTB(e.t, n.Addr(), recordedChannels...)
		r.subs = append(r.subs, sub)
		go func(i int) {
			for msg := range sub.Channel() {
				r.mu.Lock()
				r.events = append(r.events, pevent{time.Now(), i, msg.Channel, msg.Payload})
				r.mu.Unlock()
			}
		}(i)
	}
	go func() {
		defer close(r.done)
		t := time.NewTicker(probePeriod)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
			s := r.probe()
			r.mu.Lock()
			r.samples = append(r.samples, s)
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *recorder) halt() {
	close(r.stop)
	<-r.done
	for _, s := range r.subs {
		s.Close()
	}
}

func (r *recorder) probe() sample {
	e := r.e
	iso, down := e.isolation()
	s := sample{at: time.Now(), answers: make([]answer, len(e.nodes)), roles: make([]roleSample, len(e.redis))}
	var wg sync.WaitGroup
	for i, n := range e.nodes {
		wg.Add(1)
		go func(i int, addr string) {
			defer wg.Done()
			a := answer{down: down[i]}
			v, err := quickDo(addr, 250*time.Millisecond, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
			// cut off for the whole exchange (a heal or a SIGCONT during
			// it may legitimately let the node hear from the leader)
			iso2, down2 := e.isolation()
			if !iso[i].IsZero() && iso2[i].Equal(iso[i]) && !down[i] && !down2[i] {
				a.isoNode, a.isoFor = true, s.at.Sub(iso[i])
			}
			if err != nil {
				a.err = err.Error()
			} else if p := strings.Split(v, "\n"); len(p) == 2 {
				a.addr = p[0] + ":" + p[1]
			}
			s.answers[i] = a
		}(i, n.Addr())
	}
	for i, rd := range e.redis {
		wg.Add(1)
		go func(i int, addr string) {
			defer wg.Done()
			var rs roleSample
			v, err := quickDo(addr, 250*time.Millisecond, "ROLE")
			if err != nil {
				rs.err = err.Error()
			} else {
				rs.role, _, _ = strings.Cut(v, "\n")
			}
			if rs.role == "master" {
				_, err := quickDo(addr, 250*time.Millisecond, "SET", "probe:"+addr, s.at.Format(time.RFC3339Nano))
				rs.accepts = err == nil
				if err != nil {
					rs.err = err.Error()
				}
			}
			s.roles[i] = rs
		}(i, rd.Addr())
	}
	wg.Wait()
	return s
}

func (r *recorder) snapshot() ([]sample, []pevent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sample(nil), r.samples...), append([]pevent(nil), r.events...)
}

// firstSwitch is the earliest +switch-master seen on any node after t0.
func (r *recorder) firstSwitch(t0 time.Time) time.Time {
	_, evs := r.snapshot()
	for _, ev := range evs {
		if ev.channel == "+switch-master" && !ev.at.Before(t0) {
			return ev.at
		}
	}
	return time.Time{}
}
