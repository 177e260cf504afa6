package node

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// A config file can be stale: a redis-sentinel's file copied before its
// deployment failed over, or a raftinel node started long after its file
// was written. Seeding a cluster with a master that is now a replica would
// be harmful: the recorded master reports role:slave while the real master
// is listed as a replica claiming master, and correcting that (design rule
// 7) demotes the real master and loses its writes. So the node that seeds
// asks each configured master for its role first, right before proposing
// the seed, and follows role:slave to the instance that reports
// role:master: that one is seeded as the master, the configured address as
// one of its replicas. Nothing else is taken from Redis (epochs and
// settings stay the file's); a configured master that does not answer is
// seeded as written (it is failed over as any dead master, and nothing is
// demoted while it is unreachable).

// Seed-check bounds.
const (
	seedMaxHops     = 3                      // role:slave links followed at most
	seedInfoTimeout = time.Second            // one INFO
	seedInfoTries   = 3                      // attempts on a configured master that does not answer
	seedInfoRetry   = 300 * time.Millisecond // between two attempts
	// seedCheckers: masters checked at once. One after the other, 1000
	// masters took one INFO round trip each (and up to seedInfoTries
	// timeouts for a silent one) before the seed could be proposed.
	seedCheckers = 32
	// seedCheckFresh: a check older than this when the seed can be
	// proposed is made again.
	seedCheckFresh = time.Second
	// seedFollowerDelay: a follower seeds only when the cluster is still
	// unseeded this long after it first saw a leader (sync.go, seed).
	seedFollowerDelay = 2 * time.Second
)

// roleOf is what a seed check learns from one instance: its role and, for
// a replica, the address of its master.
type roleOf func(model.Addr) (role string, master model.Addr, ok bool)

// resolveMaster follows role:slave from configured to the instance that
// reports role:master. It returns configured when configured is a master,
// does not answer, or the chain is broken, too long or loops; why says
// what was found.
func resolveMaster(configured model.Addr, role roleOf) (model.Addr, string) {
	cur, seen := configured, []model.Addr{configured}
	for hop := 0; ; hop++ {
		r, next, ok := role(cur)
		switch {
		case !ok:
			if hop == 0 {
				return configured, "the configured master does not answer: seeded as written"
			}
			return configured, fmt.Sprintf("%s, the master %s follows, does not answer: seeded as written", cur, seen[len(seen)-2])
		case r == "master":
			if hop == 0 {
				return configured, ""
			}
			return cur, fmt.Sprintf("the configured master %s is a replica; %s reports role:master", configured, cur)
		case r != "slave" || next.Port == 0:
			return configured, fmt.Sprintf("%s reports role %q: seeded as written", cur, r)
		case hop >= seedMaxHops || slices.Contains(seen, next):
			return configured, fmt.Sprintf("replication chain from %s is too long or loops: seeded as written", configured)
		}
		cur = next
		seen = append(seen, next)
	}
}

// checkSeed returns seed with every master resolved (resolveMaster) as
// Redis reports it now, seedCheckers masters at a time.
func (n *Node) checkSeed(ctx context.Context, seed *model.Seed) *model.Seed {
	out := *seed
	out.Masters = slices.Clone(seed.Masters)
	forEachPaced(ctx, len(out.Masters), seedCheckers, 1, 0, func(i int) {
		sm := out.Masters[i]
		t := view.Target{Master: sm.Name, DownAfter: time.Duration(sm.DownAfterMs) * time.Millisecond,
			AuthUser: sm.AuthUser, AuthPass: sm.AuthPass, Rename: sm.RenameCommands}
		role := func(a model.Addr) (string, model.Addr, bool) {
			t.Addr = a.String()
			tries := 1
			if a == sm.Addr {
				tries = seedInfoTries
			}
			for try := 0; try < tries; try++ {
				if try > 0 && wait(ctx, seedInfoRetry) != nil {
					break
				}
				cctx, cancel := context.WithTimeout(ctx, seedInfoTimeout)
				v, err := n.mon.QueryInstance(cctx, t, "INFO", "replication")
				cancel()
				if s, ok := v.(string); err == nil && ok {
					var iv view.Instance
					monitor.ParseInfo(s, &iv)
					return iv.Role, model.Addr{Host: iv.MasterHost, Port: iv.MasterPort}, true
				}
			}
			return "", model.Addr{}, false
		}
		addr, why := resolveMaster(sm.Addr, role)
		if why != "" {
			n.log.Warn("seed check", zap.String("master", sm.Name), zap.String("configured", sm.Addr.String()),
				zap.String("seeded", addr.String()), zap.String("why", why))
		}
		if addr == sm.Addr {
			return
		}
		sm.Replicas = slices.DeleteFunc(slices.Clone(sm.Replicas), func(r model.Addr) bool { return r == addr })
		if !slices.Contains(sm.Replicas, sm.Addr) {
			sm.Replicas = append(sm.Replicas, sm.Addr)
		}
		sm.Addr = addr
		out.Masters[i] = sm
	})
	return &out
}
