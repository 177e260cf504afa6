package failover

import (
	"context"
	"strconv"
	"time"

	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// Fencing (opt-in, fence-min-replicas / fence-max-lag).
//
// A master cut off from the nodes and from its replicas keeps accepting
// writes from the clients that still reach it; once the majority has
// promoted a replica, every such write is lost. raftinel cannot reach that
// master to stop it, so the master must stop itself: Redis refuses writes
// (-NOREPLICAS) when fewer than min-replicas-to-write replicas acknowledged
// within min-replicas-max-lag seconds. The leader keeps both settings on
// every instance of the set, replicas included, so a promoted replica is
// fenced from its first write and a returning old master stays fenced.
// Redis checks them only on a master. A restarted instance (new run id) is
// set again. With fence-min-replicas 0 the leader keeps the fence off.
//
// The cost: a master with fewer live replicas than the setting refuses
// writes, also right after a promotion until a replica has re-synced.

// fenceRetry spaces attempts on an instance whose CONFIG SET failed.
const fenceRetry = time.Second

// fence applies the fence settings to the instances of m not yet set.
func (e *Engine) fence(ctx context.Context, m *model.Master) {
	if e.cfg.FenceMinReplicas < 0 {
		return
	}
	addrs := append([]model.Addr{m.Addr}, m.Replicas...)
	for addr, v := range e.views(m, addrs...) {
		if !v.Connected || v.RunID == "" {
			continue
		}
		e.mu.Lock()
		done := e.fenced[addr] == v.RunID
		e.mu.Unlock()
		if done || e.rateLimited("fence/"+addr, fenceRetry) {
			continue
		}
		if e.guard(basisOf(m), "fence") != nil {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := e.r.Do(cctx, m.Name, addr, fenceCommand(e.cfg.FenceMinReplicas, e.cfg.FenceMaxLag)...)
		cancel()
		if err != nil {
			e.log.Warn("fencing failed", zap.String("master", m.Name), zap.String("addr", addr), zap.Error(err))
			continue
		}
		e.mu.Lock()
		e.fenced[addr] = v.RunID
		e.mu.Unlock()
		e.log.Info("fence set", zap.String("master", m.Name), zap.String("addr", addr),
			zap.Int("min_replicas", e.cfg.FenceMinReplicas), zap.Int("max_lag", e.cfg.FenceMaxLag))
	}
}

// fenceCommand is the CONFIG SET that installs the fence.
func fenceCommand(minReplicas, maxLag int) []string {
	if maxLag < 1 {
		maxLag = 1
	}
	return []string{"CONFIG", "SET", "min-replicas-to-write", strconv.Itoa(minReplicas),
		"min-replicas-max-lag", strconv.Itoa(maxLag)}
}
