// Package redislog silences go-redis's own logger. go-redis prints every
// reconnect and failed dial, which during a failover floods the demo's
// screen, the bench's progress lines and the test output; the programs
// that drive go-redis clients report errors themselves.
package redislog

import (
	"context"

	"github.com/redis/go-redis/v9"
)

type discard struct{}

func (discard) Printf(context.Context, string, ...any) {}

// Silence discards everything go-redis would log, process-wide.
func Silence() { redis.SetLogger(discard{}) }
