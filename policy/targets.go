package policy

import (
	"maps"
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
func Targets(s *model.State, linkFor func(master string, created uint64, replicated Link) Link) (targets []view.Target, live map[string]uint64) {
	live = map[string]uint64{}
	for _, name := range s.MasterNames() {
		m := s.Masters[name]
		live[name] = m.Created
		// linkFor gets the state's rename map; the link it returns must be
		// a copy (EffectiveLink clones it): the FSM changes the state's map
		// in place, which must not change the monitor's target behind its
		// back (renaming back would look like no change).
		l := linkFor(name, m.Created, Link{User: m.AuthUser, Pass: m.AuthPass, Rename: m.RenameCommands})
		base := view.Target{
			Master: name, DownAfter: time.Duration(m.DownAfterMs) * time.Millisecond,
			AuthUser: l.User, AuthPass: l.Pass, Rename: l.Rename,
			RebootDownAfter: time.Duration(m.MasterRebootDownAfterPeriodMs) * time.Millisecond,
		}
		mt := base
		mt.Addr, mt.IsMaster = m.Addr.String(), true
		targets = append(targets, mt)
		for _, r := range m.Replicas {
			rt := base
			rt.Addr = r.String()
			targets = append(targets, rt)
		}
	}
	return targets, live
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
