package policy

import (
	"maps"
	"slices"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// Link is how the monitor reaches a master's instances.
type Link struct {
	User, Pass string
	Rename     map[string]string // lower-case command -> name; nil: none
}

// LinkOverride is this node's own auth-user / auth-pass / rename-command
// of one master (SENTINEL SET on this node); a nil field is not overridden
// (an empty string is: "no password"), a command mapped to itself is
// explicitly not renamed.
type LinkOverride struct {
	User, Pass *string
	Rename     map[string]string
}

// EffectiveLink is base (the replicated settings, not modified) with o
// applied on top.
func EffectiveLink(base Link, o LinkOverride) Link {
	out := base
	out.Rename = maps.Clone(base.Rename)
	if o.User != nil {
		out.User = *o.User
	}
	if o.Pass != nil {
		out.Pass = *o.Pass
	}
	s := model.Settings{RenameCommands: out.Rename}
	for from, to := range o.Rename {
		_ = model.ApplySetting(&s, "rename-command", []string{from, to}) // two values: cannot fail
	}
	out.Rename = s.RenameCommands
	return out
}

// Targets lists what the monitor watches for the replicated state s: every
// master and each of its replicas, reached with the link linkFor returns
// for the master incarnation (name, Created) given its replicated
// settings. live maps each master name to its Created.
func Targets(s *model.State, linkFor LinkFor) (targets []view.Target, live map[string]uint64) {
	var c TargetCache
	targets, live, _ = c.Update(s, 0, linkFor)
	return targets, live
}

// LinkFor returns the link to the instances of the master incarnation
// (name, created) given its replicated settings; the link must be a copy
// (EffectiveLink clones the rename map): the FSM changes the state's map in
// place, which must not change the monitor's target behind its back
// (renaming back would look like no change).
type LinkFor func(master string, created uint64, replicated Link) Link

// TargetCache works Targets out again only for the masters whose targets
// may have changed. Most applied entries (observations, failover steps)
// change no target, yet every one of them led to a pass over all of them:
// with 1000 masters of 3 replicas, 4000 targets built, their addresses
// formatted and the names sorted took 9 % of a node's CPU during ten
// failovers at once. A master's targets are kept while every field they
// are made of is unchanged (compared in place, without allocating); the
// link of this node's own overrides is asked again for all of them when
// linkGen moves. Not safe for concurrent use.
type TargetCache struct {
	masters map[string]*cachedTargets
	linkGen uint64
	targets []view.Target // the last result, in master name order
	live    map[string]uint64
}

// cachedTargets is one master's targets and what they were made of.
type cachedTargets struct {
	created               uint64
	addr                  model.Addr
	replicas              []model.Addr
	downAfterMs, rebootMs int64
	authUser, authPass    string
	rename                map[string]string
	targets               []view.Target
}

func (c *cachedTargets) same(m *model.Master) bool {
	return c.created == m.Created && c.addr == m.Addr && slices.Equal(c.replicas, m.Replicas) &&
		c.downAfterMs == m.DownAfterMs && c.rebootMs == m.MasterRebootDownAfterPeriodMs &&
		c.authUser == m.AuthUser && c.authPass == m.AuthPass && maps.Equal(c.rename, m.RenameCommands)
}

// Update returns Targets(s, linkFor) and whether it differs from what the
// previous Update returned (changed false: the very same slice and map;
// callers must not modify them). linkGen names the version of linkFor's
// answers beyond the replicated settings (this node's overrides): read it
// before the call.
func (c *TargetCache) Update(s *model.State, linkGen uint64, linkFor LinkFor) (targets []view.Target, live map[string]uint64, changed bool) {
	if c.masters == nil || c.linkGen != linkGen {
		c.masters, c.linkGen, changed = map[string]*cachedTargets{}, linkGen, true
	}
	if len(c.masters) != len(s.Masters) {
		changed = true
	}
	for name, m := range s.Masters {
		if ct := c.masters[name]; ct != nil && ct.same(m) {
			continue
		}
		c.masters[name] = buildTargets(name, m, linkFor)
		changed = true
	}
	if !changed && c.live != nil {
		return c.targets, c.live, false
	}
	for name := range c.masters {
		if s.Masters[name] == nil {
			delete(c.masters, name)
		}
	}
	c.targets, c.live = nil, make(map[string]uint64, len(s.Masters))
	for _, name := range s.MasterNames() {
		c.targets = append(c.targets, c.masters[name].targets...)
		c.live[name] = s.Masters[name].Created
	}
	return c.targets, c.live, true
}

// buildTargets makes master name's targets: the master, then each replica.
func buildTargets(name string, m *model.Master, linkFor LinkFor) *cachedTargets {
	l := linkFor(name, m.Created, Link{User: m.AuthUser, Pass: m.AuthPass, Rename: m.RenameCommands})
	base := view.Target{
		Master: name, DownAfter: time.Duration(m.DownAfterMs) * time.Millisecond,
		AuthUser: l.User, AuthPass: l.Pass, Rename: l.Rename,
		RebootDownAfter: time.Duration(m.MasterRebootDownAfterPeriodMs) * time.Millisecond,
	}
	ct := &cachedTargets{created: m.Created, addr: m.Addr, replicas: slices.Clone(m.Replicas),
		downAfterMs: m.DownAfterMs, rebootMs: m.MasterRebootDownAfterPeriodMs,
		authUser: m.AuthUser, authPass: m.AuthPass, rename: maps.Clone(m.RenameCommands),
		targets: make([]view.Target, 0, 1+len(m.Replicas))}
	mt := base
	mt.Addr, mt.IsMaster = m.Addr.String(), true
	ct.targets = append(ct.targets, mt)
	for _, r := range m.Replicas {
		rt := base
		rt.Addr = r.String()
		ct.targets = append(ct.targets, rt)
	}
	return ct
}

// PeerAuth returns the credentials this node uses to reach the other
// nodes: sentinel-user / sentinel-pass as SENTINEL CONFIG SET left them in
// the replicated state (on any node, for all), else this node's config
// file's (user, pass); with no password, requirePass (Sentinel's
// requirepass doubles as the password to its peers).
func PeerAuth(s *model.State, user, pass, requirePass string) (string, string) {
	if v, ok := s.ConfigValue("sentinel-user"); ok {
		user = v
	}
	if v, ok := s.ConfigValue("sentinel-pass"); ok {
		pass = v
	}
	if pass == "" {
		pass = requirePass
	}
	return user, pass
}

// Peers lists the other members of the cluster as monitor peers.
func Peers(members []model.Member, user, pass string) []view.PeerTarget {
	var peers []view.PeerTarget
	for _, m := range members {
		if !m.Self {
			peers = append(peers, view.PeerTarget{ID: m.ID, Addr: m.Addr, AuthUser: user, AuthPass: pass})
		}
	}
	return peers
}
