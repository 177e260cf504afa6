//go:build e2e

package clients

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// go-redis v9: NewFailoverClient and NewFailoverClusterClient with the
// passwords set and defaults otherwise.

func failoverOptions(cfg config, replica bool) *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName:       cfg.master,
		SentinelAddrs:    cfg.sentinels,
		SentinelPassword: cfg.sentinelPass,
		Password:         cfg.redisPass,
		ReplicaOnly:      replica,
		// Default timeouts: with DialTimeout 1s, a replica lookup fails
		// when the sentinel go-redis shuffles first is down (5 dial
		// attempts per try, 3 tries, all inside one dial budget).
	}
}

var goRedisFailover = goDriver{
	basic: func(ctx context.Context, cfg config, emit func(event)) error {
		m := redis.NewFailoverClient(failoverOptions(cfg, false))
		defer m.Close()
		if err := inStep("master", goRedisMaster(ctx, cfg, m, emit)); err != nil {
			return err
		}
		r := redis.NewFailoverClient(failoverOptions(cfg, true))
		defer r.Close()
		return inStep("replica", goRedisReplica(ctx, cfg, r, r, emit))
	},
	writer: func(ctx context.Context, cfg config, emit func(event)) error {
		m := redis.NewFailoverClient(failoverOptions(cfg, false))
		defer m.Close()
		return goRedisWriter(ctx, cfg, m, emit)
	},
}

var goRedisFailoverCluster = goDriver{
	basic: func(ctx context.Context, cfg config, emit func(event)) error {
		m := redis.NewFailoverClusterClient(failoverOptions(cfg, false))
		defer m.Close()
		if err := inStep("master", goRedisMaster(ctx, cfg, m, emit)); err != nil {
			return err
		}
		// ReplicaOnly sets the cluster client's ReadOnly: read-only
		// commands (GET) go to a replica. ROLE and CONFIG GET are not
		// read-only commands, so they are asked of the node that the
		// client routes the key's reads to (SlaveForKey).
		r := redis.NewFailoverClusterClient(failoverOptions(cfg, true))
		defer r.Close()
		node, err := r.SlaveForKey(ctx, cfg.prefix+"basic")
		if err != nil {
			return inStep("replica", err)
		}
		return inStep("replica", goRedisReplica(ctx, cfg, r, node, emit))
	},
	writer: func(ctx context.Context, cfg config, emit func(event)) error {
		m := redis.NewFailoverClusterClient(failoverOptions(cfg, false))
		defer m.Close()
		return goRedisWriter(ctx, cfg, m, emit)
	},
}

// cmdable is what both go-redis clients (and a node of the cluster client)
// offer.
type cmdable interface {
	redis.Cmdable
	Do(ctx context.Context, args ...any) *redis.Cmd
}

func goRedisPort(ctx context.Context, c redis.Cmdable) (int, error) {
	m, err := c.ConfigGet(ctx, "port").Result()
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(m["port"])
}

func goRedisRole(ctx context.Context, c cmdable) (string, error) {
	v, err := c.Do(ctx, "ROLE").Slice()
	if err != nil {
		return "", err
	}
	if len(v) == 0 {
		return "", errors.New("empty ROLE reply")
	}
	s, _ := v[0].(string)
	return s, nil
}

func goRedisMaster(ctx context.Context, cfg config, m cmdable, emit func(event)) error {
	key := cfg.prefix + "basic"
	if err := m.Set(ctx, key, "hello", 0).Err(); err != nil {
		return err
	}
	v, err := m.Get(ctx, key).Result()
	if err != nil {
		return err
	}
	role, err := goRedisRole(ctx, m)
	if err != nil {
		return err
	}
	port, err := goRedisPort(ctx, m)
	if err != nil {
		return err
	}
	emit(event{Ev: "master", Port: port, Value: v, Role: role})
	return m.Do(ctx, "WAIT", 2, 2000).Err()
}

// goRedisReplica reads the key through reads and asks node its role.
func goRedisReplica(ctx context.Context, cfg config, reads, node cmdable, emit func(event)) error {
	v, err := reads.Get(ctx, cfg.prefix+"basic").Result()
	if err != nil {
		return err
	}
	role, err := goRedisRole(ctx, node)
	if err != nil {
		return err
	}
	port, err := goRedisPort(ctx, node)
	if err != nil {
		return err
	}
	emit(event{Ev: "replica", Port: port, Value: v, Role: role})
	return nil
}

func goRedisWriter(ctx context.Context, cfg config, m redis.Cmdable, emit func(event)) error {
	// the application's own subscription, through go-redis's pub/sub API
	sc := redis.NewSentinelClient(&redis.Options{Addr: cfg.sentinels[0], Password: cfg.sentinelPass, DialTimeout: time.Second})
	defer sc.Close()
	sub := sc.Subscribe(ctx, "+switch-master")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return inStep("subscribe", err)
	}
	go func() {
		for msg := range sub.Channel() {
			emit(event{Ev: "switch", Channel: msg.Channel, Payload: msg.Payload})
		}
	}()
	emit(event{Ev: "ready"})
	return writeLoop(ctx, cfg, emit, func(ctx context.Context, key, value string) (int, time.Time, error) {
		if err := m.Set(ctx, key, value, 0).Err(); err != nil {
			return 0, time.Time{}, err
		}
		acked := time.Now()
		port, err := goRedisPort(ctx, m)
		return port, acked, err
	})
}
