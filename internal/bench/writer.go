package bench

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// writer writes unique keys, one at a time, through a go-redis failover
// client (the way applications find the master) and records every
// acknowledged key with the time of its acknowledgement.
type writer struct {
	c      *redis.Client
	mu     sync.Mutex
	acked  []string
	ackAt  []time.Time // when each acknowledgement came
	sentAt []time.Time // when each acknowledged write was sent
	errs   int
	stop   chan struct{}
	done   chan struct{}
	period time.Duration
}

// writerOptions configure startWriter.
type writerOptions struct {
	period  time.Duration // pause between writes
	timeout time.Duration // dial, read and write timeouts of the client
	source  string        // local address to dial from ("" = kernel's choice)
}

func startWriter(sentinels []string, o writerOptions) *writer {
	fo := &redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: sentinels,
		DialTimeout: o.timeout, ReadTimeout: o.timeout, WriteTimeout: o.timeout,
		MaxRetries: -1, // one attempt per key: an ack is exactly one write
	}
	if o.source != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(o.source)}, Timeout: o.timeout}
		fo.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}
	}
	w := &writer{c: redis.NewFailoverClient(fo), stop: make(chan struct{}), done: make(chan struct{}), period: o.period}
	go w.loop(o.timeout)
	return w
}

func (w *writer) loop(timeout time.Duration) {
	defer close(w.done)
	t := time.NewTicker(w.period)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		key := "bench:" + strconv.Itoa(i)
		sent := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
		err := w.c.Set(ctx, key, i, 0).Err()
		cancel()
		now := time.Now()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, key)
			w.ackAt = append(w.ackAt, now)
			w.sentAt = append(w.sentAt, sent)
		} else {
			w.errs++
		}
		w.mu.Unlock()
	}
}

// firstAckAfter is the delay from t0 to the first acknowledgement of a
// write sent at or after sentAfter (writes are sequential, so both times
// grow with the index).
func (w *writer) firstAckAfter(t0, sentAfter time.Time) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := sort.Search(len(w.sentAt), func(i int) bool { return !w.sentAt[i].Before(sentAfter) })
	if i == len(w.sentAt) {
		return 0, false
	}
	return w.ackAt[i].Sub(t0), true
}

func (w *writer) ackCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// halt stops the writer and returns the acknowledged keys and the number of
// failed writes.
func (w *writer) halt() ([]string, int) {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	w.c.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acked, w.errs
}

// missing counts keys absent from the server at addr.
func missing(addr string, keys []string) (int, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
	defer c.Close()
	n := 0
	for i := 0; i < len(keys); i += 1000 {
		j := min(i+1000, len(keys))
		vals, err := c.MGet(context.Background(), keys[i:j]...).Result()
		if err != nil {
			return 0, fmt.Errorf("MGET on %s: %w", addr, err)
		}
		for _, v := range vals {
			if v == nil {
				n++
			}
		}
	}
	return n, nil
}
