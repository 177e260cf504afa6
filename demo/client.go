package demo

import (
	"context"
	"sync"
	"time"

	"github.com/raftinel/raftinel/internal/redislog"
	"github.com/redis/go-redis/v9"
)

// client is what an application sees: a go-redis FailoverClient that asks
// the raftinel nodes for the master and INCRs a counter every period.
type client struct {
	c *redis.Client

	mu      sync.Mutex
	ok      int
	errs    int
	lastErr string
	value   int64
	lastOK  time.Time
}

func newClient(sentinels []string) *client {
	redislog.Silence() // go-redis would print over the screen
	return &client{c: redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: MasterName, SentinelAddrs: sentinels,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		MaxRetries: -1,
	})}
}

func (c *client) run(ctx context.Context, period time.Duration) {
	defer c.c.Close()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		v, err := c.c.Incr(cctx, "demo:counter").Result()
		cancel()
		c.mu.Lock()
		if err == nil {
			c.ok++
			c.value = v
			c.lastOK = time.Now()
		} else if ctx.Err() == nil {
			c.errs++
			c.lastErr = err.Error()
		}
		c.mu.Unlock()
	}
}

func (c *client) stats() (ok, errs int, lastErr string, value int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ok, c.errs, c.lastErr, c.value
}

func (c *client) lastAck() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastOK
}
