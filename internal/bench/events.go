package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// events records when each channel's messages arrived, from every node.
type events struct {
	mu   sync.Mutex
	at   map[string][]arrival // channel -> arrivals
	subs []*redis.PubSub
	wg   sync.WaitGroup
}

// arrival is one message as it arrived.
type arrival struct {
	t       time.Time
	payload string
}

// watch subscribes to channels on every node of c and waits for the
// subscriptions to be confirmed.
func watch(c *cluster, channels ...string) (*events, error) {
	e := &events{at: map[string][]arrival{}}
	for _, cl := range c.clients {
		sub := cl.Subscribe(context.Background(), channels...)
		e.subs = append(e.subs, sub)
		for range channels {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := sub.Receive(ctx)
			cancel()
			if err != nil {
				e.close()
				return nil, fmt.Errorf("subscribe: %w", err)
			}
		}
		ch := sub.Channel()
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for m := range ch {
				now := time.Now()
				e.mu.Lock()
				e.at[m.Channel] = append(e.at[m.Channel], arrival{now, m.Payload})
				e.mu.Unlock()
			}
		}()
	}
	return e, nil
}

// first is the delay from t0 to the first message on channel at or after
// t0.
func (e *events) first(channel string, t0 time.Time) (time.Duration, bool) {
	return e.firstWith(channel, "", t0)
}

// firstWith is first for messages whose payload starts with prefix.
func (e *events) firstWith(channel, prefix string, t0 time.Time) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	best, ok := time.Duration(0), false
	for _, a := range e.at[channel] {
		if d := a.t.Sub(t0); d >= 0 && (!ok || d < best) && strings.HasPrefix(a.payload, prefix) {
			best, ok = d, true
		}
	}
	return best, ok
}

func (e *events) close() {
	for _, s := range e.subs {
		s.Close()
	}
	e.wg.Wait()
}
