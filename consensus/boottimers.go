package consensus

import (
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"
)

// A node whose Raft has no leader yet starts with shorter election timers
// (bootHeartbeatTimeout), so that a fresh cluster elects its first leader
// sooner than one to two raft-heartbeat-timeouts after its nodes start;
// once a leader is known (or after bootTimersFor) the configured timers
// are reloaded, and with them the heartbeat period (a tenth of the
// heartbeat timeout), which is what an idle cluster spends its CPU on.
// hashicorp/raft cannot reload the leader lease and requires it to be at
// most the heartbeat timeout, so the start timers go no lower than the
// lease (200 ms by default): a shorter lease made loaded machines' leaders
// step down (a 150 ms lease did in the e2e suite under load).
const (
	bootHeartbeatTimeout = 200 * time.Millisecond
	bootTimersFor        = 5 * time.Second
)

// bootTimers shortens rc's election timers for the start; the returned
// function, run on the started Raft, restores them when a leader is known.
// Timers already shorter (tests) are left alone.
func bootTimers(rc *raft.Config) func(r *raft.Raft, done <-chan struct{}, log *zap.Logger) {
	boot := max(bootHeartbeatTimeout, rc.LeaderLeaseTimeout)
	if rc.HeartbeatTimeout <= boot {
		return func(*raft.Raft, <-chan struct{}, *zap.Logger) {}
	}
	hb, el := rc.HeartbeatTimeout, rc.ElectionTimeout
	rc.HeartbeatTimeout, rc.ElectionTimeout = boot, boot
	return func(r *raft.Raft, done <-chan struct{}, log *zap.Logger) {
		go func() {
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			give := time.After(bootTimersFor)
			for {
				if addr, _ := r.LeaderWithID(); addr != "" {
					break
				}
				select {
				case <-done:
					return
				case <-give:
				case <-t.C:
					continue
				}
				break
			}
			rl := r.ReloadableConfig()
			rl.HeartbeatTimeout, rl.ElectionTimeout = hb, el
			if err := r.ReloadConfig(rl); err != nil {
				log.Warn("raft timers not restored after start", zap.Error(err))
			}
		}()
	}
}
