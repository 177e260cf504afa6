package node

import (
	"context"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/policy"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// syncLoop keeps the monitor's targets and peers equal to the replicated
// state and the Raft membership.
func (n *Node) syncLoop(ctx context.Context) {
	t := time.NewTicker(time.Second) // membership changes are not applied entries
	defer t.Stop()
	// At most one pass per syncTargetsSpacing: every applied entry pokes
	// n.changed, and during a burst of failovers over 1000 masters a pass
	// (every target worked out and compared, 4000 instances) after each
	// entry took 15 % of the nodes' CPU.
	runSpaced(ctx, syncTargetsSpacing, n.changed, t.C, n.syncTargets)
}

// runSpaced calls fn at once, then again after each wake-up or tick, but
// never sooner than spacing after the previous call began (wake-ups in
// between fold into one call), until ctx ends.
func runSpaced(ctx context.Context, spacing time.Duration, wake <-chan struct{}, tick <-chan time.Time, fn func()) {
	wait := time.NewTimer(time.Hour)
	defer wait.Stop()
	for {
		began := time.Now()
		fn()
		wait.Reset(spacing - time.Since(began))
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick:
		}
	}
}

// syncTargetsSpacing is the least time between two passes of syncTargets:
// a change of the monitored set (a switch, a new replica) reaches the
// monitor at most this much later.
const syncTargetsSpacing = 20 * time.Millisecond

func (n *Node) syncTargets() {
	var targets []view.Target
	var live map[string]uint64
	var changed bool
	var user, pass string
	gen := n.links.generation() // before the links are read
	n.store.Read(func(s *model.State) {
		targets, live, changed = n.targets.Update(s, gen, n.links.effective)
		user, pass = policy.PeerAuth(s, n.cfg.SentinelUser, n.cfg.SentinelPass, n.cfg.RequirePass)
	})
	// Most applied entries (observations, failover steps) change no
	// target: the monitor is handed the targets only when they differ
	// from the last ones (SetTargets reconciles every instance).
	if changed && !view.SameTargets(targets, n.lastTargets) {
		n.mon.SetTargets(targets)
		n.lastTargets = targets
	}
	// The masters' forgetting depends on live and on whether the state
	// is caught up; it is redone only when either moved, or failed.
	complete := n.store.Fresh() == nil
	if changed || complete != n.forgotComplete || n.forgetFailed {
		keep := make(map[string]bool, len(live))
		for name := range live {
			keep[name] = true
		}
		n.observer.forget(keep)
		err := n.links.forget(live, complete)
		if err != nil {
			n.log.Warn("saving link settings failed", zap.Error(err))
		}
		n.forgotComplete, n.forgetFailed = complete, err != nil
	}
	n.mon.SetPeers(policy.Peers(n.store.Members(), user, pass))
}

// SetLinkSettings implements sentinelproto.LinkSettings: SENTINEL SET
// auth-user / auth-pass / rename-command on this node, for this node only
// (linksettings.go). Like Sentinel, the node publishes +set.
func (n *Node) SetLinkSettings(master string, created uint64, pairs []string) error {
	if err := n.links.set(master, created, pairs); err != nil {
		return err
	}
	select {
	case n.changed <- struct{}{}:
	default:
	}
	prefix := ""
	n.store.Read(func(s *model.State) {
		if m := s.Masters[master]; m != nil {
			prefix = model.MasterPayload(m.Name, m.Addr)
		}
	})
	args, _ := model.SplitSet(pairs)
	for _, a := range args {
		n.publish(model.Event{Master: master, Channel: "+set",
			Payload: prefix + " " + a.Option + " " + model.SettingEventValue(a.Option, a.Vals)})
	}
	return nil
}

// seed applies the config file's masters once per cluster: afterwards the
// replicated state wins over config-file lines (design.md, "State on disk").
func (n *Node) seed(ctx context.Context) {
	seed := &model.Seed{CurrentEpoch: n.cfg.CurrentEpoch}
	for _, m := range n.cfg.Masters {
		sm := model.SeedMaster{
			Name: m.Name, Addr: model.Addr{Host: m.Host, Port: m.Port}, ConfigEpoch: m.ConfigEpoch,
			Settings: model.Settings{
				Quorum: m.Quorum, DownAfterMs: m.DownAfter.Milliseconds(), FailoverTimeoutMs: m.FailoverTimeout.Milliseconds(),
				ParallelSyncs: m.ParallelSyncs, AuthPass: m.AuthPass, AuthUser: m.AuthUser,
				NotificationScript: m.NotificationScript, ClientReconfigScript: m.ClientReconfigScript,
				RenameCommands: m.RenameCommands, MasterRebootDownAfterPeriodMs: m.MasterRebootDownAfterPeriod.Milliseconds(),
			},
		}
		for _, r := range m.KnownReplicas {
			sm.Replicas = append(sm.Replicas, model.Addr{Host: r.Host, Port: r.Port})
		}
		if len(m.KnownSentinels) > 0 && n.store.Forming() == nil {
			n.log.Info("known-sentinel lines ignored: members come from raft", zap.String("master", m.Name), zap.Int("count", len(m.KnownSentinels)))
		}
		seed.Masters = append(seed.Masters, sm)
	}
	var checked *model.Seed // the topology as Redis reports it (seedcheck.go)
	var checkedAt, sawLeader time.Time
	for attempt := 0; ; attempt++ {
		seeded := false
		n.store.Read(func(s *model.State) { seeded = s.Seeded })
		if seeded {
			if attempt == 0 && len(seed.Masters) > 0 {
				n.log.Info("replicated state exists: config-file masters are not re-applied")
			}
			return
		}
		// The leader seeds at once; a follower only when the cluster is
		// still unseeded seedFollowerDelay after it first saw a leader (a
		// leader whose own seed fails, or that stopped): one node, not
		// every node, runs the seed check against every master.
		// (No leader: nobody to propose to yet, an election or no cluster.)
		leaderKnown := n.store.LeaderAddr() != ""
		if leaderKnown && sawLeader.IsZero() {
			sawLeader = time.Now()
		}
		if !leaderKnown || (!n.store.IsLeader() && time.Since(sawLeader) < seedFollowerDelay) {
			if wait(ctx, 20*time.Millisecond) != nil {
				return
			}
			continue
		}
		// Checked right before proposing, and again if the check is older
		// than seedCheckFresh when the proposal is retried.
		if checked == nil || time.Since(checkedAt) > seedCheckFresh {
			checkedAt = time.Now()
			checked = n.checkSeed(ctx, seed)
			n.log.Info("seed checked", zap.Int("masters", len(seed.Masters)), zap.Duration("took", time.Since(checkedAt)))
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := n.store.Apply(cctx, &model.SeedConfig{Header: model.Header{Node: n.myID, AtMs: time.Now().UnixMilli()}, Seed: checked})
		cancel()
		if err == nil {
			continue
		}
		if wait(ctx, 200*time.Millisecond) != nil {
			return
		}
	}
}

// SDown implements monitor.Reporter: every node publishes its own
// +sdown/-sdown (like Sentinel); a master's transition also goes to the log.
func (n *Node) SDown(t view.Target, down bool) {
	ch := "-sdown"
	if down {
		ch = "+sdown"
	}
	payload := ""
	n.store.Read(func(s *model.State) {
		m := s.Masters[t.Master]
		if m == nil {
			return
		}
		if t.IsMaster {
			payload = model.MasterPayload(m.Name, m.Addr)
		} else if a, err := model.ParseAddr(t.Addr); err == nil {
			payload = model.ReplicaPayload(a, m.Name, m.Addr)
		}
	})
	if payload != "" {
		n.srv.Publish(ch, payload)
		n.log.Info("event", zap.String("channel", ch), zap.String("payload", payload))
		n.runScripts(model.Event{Master: t.Master, Channel: ch, Payload: payload})
	}
	if t.IsMaster {
		n.observer.set(t.Master, t.Addr, down)
	}
	if !down && !t.IsMaster {
		// A replica answering again may be an old master back (to demote)
		// whose INFO arrived while it was still SDOWN: the corrections,
		// which otherwise run every IdleTick, look now.
		n.eng.WakeCorrections()
		return
	}
	n.eng.Wake()
}

// ReplicaSeen implements monitor.Reporter: a replica listed in a master's
// INFO and unknown to the cluster is added through the log.
func (n *Node) ReplicaSeen(master, addr string) {
	a, err := model.ParseAddr(addr)
	if err != nil {
		return
	}
	known := true
	n.store.Read(func(s *model.State) { known = policy.ReplicaKnown(s, master, a) })
	key := master + "/" + addr
	if known {
		n.sighted.Delete(key)
		return
	}
	leader, first := n.store.IsLeader(), time.Now()
	if !leader {
		f, _ := n.sighted.LoadOrStore(key, first)
		first = f.(time.Time)
	}
	if !policy.ProposeReplica(leader, first, time.Now()) {
		return
	}
	if _, busy := n.pending.LoadOrStore(key, true); busy {
		return
	}
	go func() {
		defer n.pending.Delete(key)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := n.store.Apply(ctx, &model.AddReplica{Header: model.Header{Node: n.myID, AtMs: time.Now().UnixMilli()}, Master: master, Addr: a}); err != nil {
			n.log.Debug("replica not added yet", zap.String("master", master), zap.String("addr", addr), zap.Error(err))
		}
	}()
}

// Info implements monitor.Reporter: INFO that may need the failover engine
// (a replica claiming to be master, any failover in progress) wakes it.
func (n *Node) Info(t view.Target, v view.Instance) {
	if !n.store.IsLeader() {
		return
	}
	var w policy.InfoWake
	n.store.Read(func(s *model.State) { w = policy.InfoWakes(s, t, v) })
	switch w {
	case policy.WakeCorrections:
		n.eng.WakeCorrections()
	case policy.WakeEngine:
		n.eng.Wake()
	}
}
