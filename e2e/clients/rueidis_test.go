//go:build e2e

package clients

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// rueidis v1.0.79 with its sentinel option, default options apart from the
// passwords (client-side caching on: it sends CLIENT TRACKING to the
// sentinels, as users get it).

func rueidisClient(cfg config, replica bool) (rueidis.Client, error) {
	return rueidis.NewClient(rueidis.ClientOption{
		InitAddress: cfg.sentinels,
		Sentinel:    rueidis.SentinelOption{MasterSet: cfg.master, Password: cfg.sentinelPass},
		Password:    cfg.redisPass,
		ReplicaOnly: replica,
	})
}

var rueidisDriver = goDriver{
	basic: func(ctx context.Context, cfg config, emit func(event)) error {
		m, err := rueidisClient(cfg, false)
		if err != nil {
			return inStep("master", err)
		}
		defer m.Close()
		key := cfg.prefix + "basic"
		if err := m.Do(ctx, m.B().Set().Key(key).Value("hello").Build()).Error(); err != nil {
			return inStep("master", err)
		}
		v, err := m.Do(ctx, m.B().Get().Key(key).Build()).ToString()
		if err != nil {
			return inStep("master", err)
		}
		role, port, err := rueidisWhere(ctx, m)
		if err != nil {
			return inStep("master", err)
		}
		emit(event{Ev: "master", Port: port, Value: v, Role: role})
		if err := m.Do(ctx, m.B().Wait().Numreplicas(2).Timeout(2000).Build()).Error(); err != nil {
			return inStep("master", err)
		}
		r, err := rueidisClient(cfg, true)
		if err != nil {
			return inStep("replica", err)
		}
		defer r.Close()
		v, err = r.Do(ctx, r.B().Get().Key(key).Build()).ToString()
		if err != nil {
			return inStep("replica", err)
		}
		role, port, err = rueidisWhere(ctx, r)
		if err != nil {
			return inStep("replica", err)
		}
		emit(event{Ev: "replica", Port: port, Value: v, Role: role})
		return nil
	},
	writer: func(ctx context.Context, cfg config, emit func(event)) error {
		// the application's own subscription, through rueidis's pub/sub
		// API on a plain client to the first sentinel
		sc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: cfg.sentinels[:1], Password: cfg.sentinelPass, ForceSingleClient: true})
		if err != nil {
			return inStep("subscribe", err)
		}
		defer sc.Close()
		dc, release := sc.Dedicate()
		defer release()
		subscribed := make(chan struct{}, 1)
		dc.SetPubSubHooks(rueidis.PubSubHooks{
			OnMessage: func(m rueidis.PubSubMessage) {
				emit(event{Ev: "switch", Channel: m.Channel, Payload: m.Message})
			},
			OnSubscription: func(s rueidis.PubSubSubscription) {
				if s.Kind == "subscribe" {
					select {
					case subscribed <- struct{}{}:
					default:
					}
				}
			},
		})
		if err := dc.Do(ctx, dc.B().Subscribe().Channel("+switch-master").Build()).Error(); err != nil {
			return inStep("subscribe", err)
		}
		select {
		case <-subscribed:
		case <-time.After(5 * time.Second):
			return inStep("subscribe", errors.New("no subscribe confirmation"))
		}
		m, err := rueidisClient(cfg, false)
		if err != nil {
			return inStep("master", err)
		}
		defer m.Close()
		emit(event{Ev: "ready"})
		return writeLoop(ctx, cfg, emit, func(ctx context.Context, key, value string) (int, time.Time, error) {
			if err := m.Do(ctx, m.B().Set().Key(key).Value(value).Build()).Error(); err != nil {
				return 0, time.Time{}, err
			}
			acked := time.Now()
			_, port, err := rueidisWhere(ctx, m)
			return port, acked, err
		})
	},
}

// rueidisWhere asks ROLE and CONFIG GET port.
func rueidisWhere(ctx context.Context, c rueidis.Client) (string, int, error) {
	role, err := c.Do(ctx, c.B().Role().Build()).ToArray()
	if err != nil {
		return "", 0, err
	}
	if len(role) == 0 {
		return "", 0, errors.New("empty ROLE reply")
	}
	r, err := role[0].ToString()
	if err != nil {
		return "", 0, err
	}
	m, err := c.Do(ctx, c.B().ConfigGet().Parameter("port").Build()).AsStrMap()
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(m["port"])
	return r, port, err
}
