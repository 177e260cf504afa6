// Package load is the one write load of raftinel's tests and benchmark: a
// go-redis FailoverClient (the way applications find the master) writing
// unique keys one at a time, recording when each write was sent and
// acknowledged and every failure by kind, so that a test can ask which
// acknowledged writes a failover lost.
package load

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure Start.
type Options struct {
	Sentinels []string
	Master    string        // "mymaster" when empty
	Period    time.Duration // pause between writes
	Timeout   time.Duration // dial, read and write timeouts (1 s when 0)
	Source    string        // local IP to dial from ("" = the kernel's choice)
	KeyPrefix string        // "w:" when empty
}

// Ack is one acknowledged write.
type Ack struct {
	Key      string
	Sent, At time.Time
}

// Failure is one write that was not acknowledged.
type Failure struct {
	At   time.Time
	Kind string // ErrKind
}

// Writer is a running load.
type Writer struct {
	c      *redis.Client
	o      Options
	mu     sync.Mutex
	acks   []Ack
	fails  []Failure
	stop   chan struct{}
	done   chan struct{}
	halted sync.Once
}

// Start starts writing. Every key is written once: the client does not
// retry (MaxRetries -1), so an acknowledgement is exactly one write.
func Start(o Options) *Writer {
	if o.Master == "" {
		o.Master = "mymaster"
	}
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "w:"
	}
	fo := &redis.FailoverOptions{
		MasterName: o.Master, SentinelAddrs: o.Sentinels,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout,
		MaxRetries: -1, PoolSize: 2,
	}
	if o.Source != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(o.Source)}, Timeout: o.Timeout}
		fo.Dialer = d.DialContext
	}
	w := &Writer{c: redis.NewFailoverClient(fo), o: o, stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *Writer) loop() {
	defer close(w.done)
	t := time.NewTicker(w.o.Period)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		key := w.o.KeyPrefix + strconv.Itoa(i)
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*w.o.Timeout)
		err := w.c.Set(ctx, key, i, 0).Err()
		cancel()
		now := time.Now()
		w.mu.Lock()
		if err == nil {
			w.acks = append(w.acks, Ack{Key: key, Sent: sent, At: now})
		} else {
			w.fails = append(w.fails, Failure{At: now, Kind: ErrKind(err)})
		}
		w.mu.Unlock()
	}
}

// LastAck is when the last write was acknowledged (zero: none yet).
func (w *Writer) LastAck() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.acks) == 0 {
		return time.Time{}
	}
	return w.acks[len(w.acks)-1].At
}

// AckCount is the number of acknowledged writes so far.
func (w *Writer) AckCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acks)
}

// FirstAckAfter is the delay from t0 to the acknowledgement of the first
// write sent at or after sentAfter (writes are sequential, so both times
// grow with the index).
func (w *Writer) FirstAckAfter(t0, sentAfter time.Time) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := sort.Search(len(w.acks), func(i int) bool { return !w.acks[i].Sent.Before(sentAfter) })
	if i == len(w.acks) {
		return 0, false
	}
	return w.acks[i].At.Sub(t0), true
}

// Result is what a stopped Writer saw.
type Result struct {
	Acks     []Ack
	Failures []Failure
}

// Stop stops the writer (any number of times) and returns what it saw.
func (w *Writer) Stop() Result {
	w.halted.Do(func() {
		close(w.stop)
		<-w.done
		w.c.Close()
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return Result{Acks: append([]Ack(nil), w.acks...), Failures: append([]Failure(nil), w.fails...)}
}

// Keys are the acknowledged keys, in the order written.
func (r Result) Keys() []string {
	out := make([]string, len(r.Acks))
	for i, a := range r.Acks {
		out[i] = a.Key
	}
	return out
}

// AckedAt maps each acknowledged key to its acknowledgement time.
func (r Result) AckedAt() map[string]time.Time {
	out := make(map[string]time.Time, len(r.Acks))
	for _, a := range r.Acks {
		out[a.Key] = a.At
	}
	return out
}

// Kinds counts the failures by kind.
func (r Result) Kinds() map[string]int {
	out := map[string]int{}
	for _, f := range r.Failures {
		out[f.Kind]++
	}
	return out
}

// ErrKind names an error for the figures: a Redis error by its code, a
// network error by what happened.
func ErrKind(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "all sentinels"):
		return "no-sentinel"
	case strings.Contains(s, "timeout") || strings.Contains(s, "deadline"):
		return "timeout"
	case strings.Contains(s, "refused"):
		return "refused"
	case strings.Contains(s, "EOF") || strings.Contains(s, "reset") || strings.Contains(s, "closed"):
		return "conn-closed"
	}
	w, _, _ := strings.Cut(s, " ")
	if w == strings.ToUpper(w) {
		return w
	}
	return "other"
}

// Missing returns the keys absent from the Redis server at addr: the
// acknowledged writes it lost.
func Missing(addr string, keys []string) ([]string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
	defer c.Close()
	var out []string
	for i := 0; i < len(keys); i += 1000 {
		j := min(i+1000, len(keys))
		vals, err := c.MGet(context.Background(), keys[i:j]...).Result()
		if err != nil {
			return nil, fmt.Errorf("MGET on %s: %w", addr, err)
		}
		for k, v := range vals {
			if v == nil {
				out = append(out, keys[i+k])
			}
		}
	}
	return out, nil
}
