package acl

import (
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/raftinel/raftinel/config"
)

// Registry is the set of users of one process (Redis's Users rax) and the
// default user. It is safe for concurrent use; users are changed in place
// so that connections authenticated as a user see its new rules at once.
type Registry struct {
	t     *Table
	mu    sync.RWMutex
	users map[string]*User
	def   *User
}

// NewRegistry returns a registry holding only the default user
// (on, nopass, +@all, ~*, &*).
func NewRegistry(t *Table) *Registry {
	d := newDefaultUser(t)
	return &Registry{t: t, users: map[string]*User{"default": d}, def: d}
}

// Default returns the default user.
func (r *Registry) Default() *User { return r.def }

// User returns the named user, or nil.
func (r *Registry) User(name string) *User {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.users[name]
}

// DefaultNoPass reports whether the default user has nopass (new
// connections are then authenticated at once, if it is enabled too).
func (r *Registry) DefaultNoPass() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.def.nopass
}

// AuthRequired is Redis's authRequired for a connection that has not
// authenticated: the default user needs a password or is off.
func (r *Registry) AuthRequired() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return !r.def.nopass || !r.def.enabled
}

// Authenticate checks a user name and password; it returns the user, or
// nil when the pair is wrong, the user is off or does not exist.
func (r *Registry) Authenticate(name, pass string) *User {
	r.mu.RLock()
	defer r.mu.RUnlock()
	u := r.users[name]
	if u == nil || !u.checkPassword(pass) {
		return nil
	}
	return u
}

// SetRequirePass is the requirepass directive: the default user's only
// password, or nopass when pass is empty.
func (r *Registry) SetRequirePass(pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.def.apply(r.t, "resetpass")
	if pass == "" {
		_ = r.def.apply(r.t, "nopass")
	} else {
		_ = r.def.apply(r.t, ">"+pass)
	}
}

// SetUser is ACL SETUSER: every rule is applied to a copy first; only if
// all succeed does the user (created if needed) take the new rules. It
// returns the user and, for an existing user, whether its channel
// permissions were narrowed (subscribers may then have to be dropped).
func (r *Registry) SetUser(name string, ops []string) (u *User, existed bool, err error) {
	if hasSpaces(name) {
		return nil, false, ErrUsernameSpaces
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u = r.users[name]
	base := u
	if base == nil {
		base = newUser(r.t, name)
	}
	c, err := base.applyAll(r.t, ops)
	if err != nil {
		return nil, false, err
	}
	if u == nil {
		u = base
		r.users[name] = u
	} else {
		existed = true
	}
	u.copyFrom(c)
	return u, existed, nil
}

// DelUsers is ACL DELUSER: it removes the named users (never default) and
// returns those that existed; their connections must be closed.
func (r *Registry) DelUsers(names []string) ([]*User, error) {
	if slices.Contains(names, "default") {
		return nil, ErrDefaultUser
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*User
	for _, n := range names {
		if u := r.users[n]; u != nil {
			delete(r.users, n)
			out = append(out, u)
		}
	}
	return out, nil
}

// Names lists user names in Redis's order (byte order).
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *Registry) namesLocked() []string {
	names := make([]string, 0, len(r.users))
	for n := range r.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List is ACL LIST: "user <name> <rules>" per user, in name order.
func (r *Registry) List() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, n := range r.namesLocked() {
		out = append(out, "user "+n+" "+r.users[n].describe(r.t))
	}
	return out
}

// GetUser is ACL GETUSER.
func (r *Registry) GetUser(name string) (UserInfo, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	u := r.users[name]
	if u == nil {
		return UserInfo{}, false
	}
	return u.info(r.t), true
}

// Check is Redis's ACLCheckAllUserCommandPerm: whether u may run c with
// argv (argv[0] is the command name). When no selector allows it, the
// verdict and argument index reported are those Redis picks: a channel or
// key error over a command error, the last argument among equals.
func (r *Registry) Check(u *User, c *Command, argv [][]byte) (Verdict, int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return checkUser(u, c, argv)
}

func checkUser(u *User, c *Command, argv [][]byte) (Verdict, int) {
	worst, pos := DeniedCommand, 0
	for _, s := range u.sels {
		v, p := s.check(c, argv)
		if v == Allowed {
			return Allowed, 0
		}
		if v > worst || (v == worst && p > pos) {
			worst, pos = v, p
		}
	}
	return worst, pos
}

// ChannelAllowed reports whether u may use a channel (literal: a
// PSUBSCRIBE pattern) under its current rules, for dropping subscribers
// after ACL SETUSER narrows them.
func (r *Registry) ChannelAllowed(u *User, ch string, literal bool) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range u.sels {
		if s.channelAllowed(ch, literal) {
			return true
		}
	}
	return false
}

// LoadConfig applies the config file's `user` lines (as config.Config.Users
// holds them: "name rule ...") after requirepass, as Redis loads them at
// start-up: a `user default` line resets the default user first.
func (r *Registry) LoadConfig(requirepass string, lines []string) error {
	r.SetRequirePass(requirepass)
	for _, l := range lines {
		args, err := config.SplitArgs(l)
		if err != nil || len(args) == 0 {
			return fmt.Errorf("invalid user line %q", l)
		}
		name := args[0]
		if hasSpaces(name) {
			return fmt.Errorf("Spaces not allowed in ACL usernames")
		}
		ops, bad := mergeSelectors(args[1:])
		if bad >= 0 {
			return fmt.Errorf("Error in user declaration '%s': Unmatched parenthesis in acl selector starting at '%s'.", name, args[1+bad])
		}
		r.mu.Lock()
		u := r.users[name]
		if u == nil {
			u = newUser(r.t, name)
			r.users[name] = u
		} else {
			_ = u.apply(r.t, "reset")
		}
		for _, op := range ops {
			if err := u.apply(r.t, op); err != nil {
				r.mu.Unlock()
				return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %v", op, name, err)
			}
		}
		r.mu.Unlock()
	}
	return nil
}
