package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/raftinel/raftinel/config"
)

// Sanitize-payload flags (shown by ACL LIST; meaningless for Sentinel,
// whose commands take no payloads, but kept so a description round-trips).
const (
	sanitizeUnset = iota
	sanitizeSkip
	sanitizeOn
)

// User is one ACL user. Its rules change only through a Registry, under
// the registry's lock; connections keep a *User and see changes at once,
// as in Redis.
type User struct {
	name      string
	enabled   bool
	nopass    bool
	sanitize  int
	passwords []string    // SHA-256 hex, in the order added
	sels      []*selector // sels[0] is the root selector
}

func newUser(t *Table, name string) *User {
	return &User{name: name, sels: []*selector{newSelector(t, true)}}
}

// newDefaultUser is Redis's ACLCreateDefaultUser: +@all ~* &* on nopass.
func newDefaultUser(t *Table) *User {
	u := newUser(t, "default")
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		_ = u.apply(t, op)
	}
	return u
}

// Name returns the user name.
func (u *User) Name() string { return u.name }

func (u *User) root() *selector { return u.sels[0] }

// copyFrom replaces u's rules with src's (Redis's ACLCopyUser): the name
// and the identity of u stay.
func (u *User) copyFrom(src *User) {
	u.enabled, u.nopass, u.sanitize = src.enabled, src.nopass, src.sanitize
	u.passwords = slices.Clone(src.passwords)
	u.sels = make([]*selector, len(src.sels))
	for i, s := range src.sels {
		u.sels[i] = s.clone()
	}
}

func (u *User) clone() *User {
	c := &User{name: u.name}
	c.copyFrom(u)
	return c
}

// HashPassword is the SHA-256 hex form Redis stores and shows.
func HashPassword(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkPassword reports whether pass opens u (enabled, and nopass or a
// matching password). Hashes are compared in constant time.
func (u *User) checkPassword(pass string) bool {
	if !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := []byte(HashPassword(pass))
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare(h, []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// apply is Redis's ACLSetUser: one rule.
func (u *User) apply(t *Table, op string) error {
	switch {
	case op == "":
	case strings.EqualFold(op, "on"):
		u.enabled = true
	case strings.EqualFold(op, "off"):
		u.enabled = false
	case strings.EqualFold(op, "skip-sanitize-payload"):
		u.sanitize = sanitizeSkip
	case strings.EqualFold(op, "sanitize-payload"):
		u.sanitize = sanitizeOn
	case strings.EqualFold(op, "nopass"):
		u.nopass, u.passwords = true, nil
	case strings.EqualFold(op, "resetpass"):
		u.nopass, u.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword(h)
		} else if !validHash(h) {
			return errBadHash
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(h)
		} else if !validHash(h) {
			return errBadHash
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return errNoSuchPassword
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(t, false)
		args, _ := config.SplitArgs(op[1 : len(op)-1]) // unbalanced quotes: an empty selector, as Redis
		for _, a := range args {
			if err := s.apply(t, a); err != nil {
				return err
			}
		}
		u.sels = append(u.sels, s)
	case strings.EqualFold(op, "clearselectors"):
		u.sels = u.sels[:1]
	case strings.EqualFold(op, "reset"):
		u.nopass, u.passwords = false, nil
		r := u.root()
		r.allKeys, r.keys, r.allChannels, r.channels = false, nil, false, nil
		u.enabled = false
		u.sanitize = sanitizeOn
		u.sels = u.sels[:1]
		r.setAll(false)
	default:
		return u.root().apply(t, op)
	}
	return nil
}

// mergeSelectors is Redis's ACLMergeSelectorArguments: a selector may be
// spread over several arguments ("(+ping" "~x)"). It returns the merged
// rules, or the index of an unclosed "(".
func mergeSelectors(ops []string) ([]string, int) {
	var out []string
	open, cur := -1, ""
	for i, op := range ops {
		if open < 0 && op != "" && op[0] == '(' && op[len(op)-1] != ')' {
			open, cur = i, op
			continue
		}
		if open >= 0 {
			cur += " " + op
			if op != "" && op[len(op)-1] == ')' {
				out = append(out, cur)
				open = -1
			}
			continue
		}
		out = append(out, op)
	}
	if open >= 0 {
		return nil, open
	}
	return out, -1
}

// applyAll applies rules in order to a copy of u and returns the copy, or
// the first rule that failed.
func (u *User) applyAll(t *Table, ops []string) (*User, error) {
	merged, bad := mergeSelectors(ops)
	if bad >= 0 {
		return nil, &ParenError{Op: ops[bad]}
	}
	c := u.clone()
	for _, op := range merged {
		if err := c.apply(t, op); err != nil {
			return nil, &RuleError{Op: op, Err: err}
		}
	}
	return c, nil
}
