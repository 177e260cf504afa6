package acl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// The aclfile: one "user <name> <rule> ..." per line, split on single
// spaces (not quote-aware, as Redis), blank lines allowed, nothing else.

// LoadError is ACL LOAD's refusal: every problem found, in one line, as
// Redis words it. Nothing was changed.
type LoadError struct{ Msg string }

func (e *LoadError) Error() string { return e.Msg }

// LoadFile is ACL LOAD (and the aclfile at start-up): the file replaces
// every user, atomically. The default user keeps its identity: it takes
// the file's rules, or Redis's defaults (nopass, +@all) when the file has
// no default user. It returns the users that no longer exist (their
// connections must be closed, as Redis frees them).
func (r *Registry) LoadFile(path string) ([]*User, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Msg: fmt.Sprintf("Error loading ACLs, opening file '%s': %s", path, strerror(err))}
	}
	users, msg := parseFile(r.t, path, string(data))
	if msg != "" {
		return nil, &LoadError{Msg: msg + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []*User
	for n, u := range r.users {
		if n != "default" {
			gone = append(gone, u)
		}
	}
	if d := users["default"]; d != nil {
		r.def.copyFrom(d)
	} else {
		r.def.copyFrom(newDefaultUser(r.t))
	}
	users["default"] = r.def
	r.users = users
	return gone, nil
}

// parseFile builds the users of an aclfile; msg collects the errors.
func parseFile(t *Table, path, data string) (map[string]*User, string) {
	users := map[string]*User{}
	var errs strings.Builder
	for i, line := range strings.Split(data, "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, n)
			continue
		}
		name := argv[1]
		if hasSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", path, n, name)
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		u := newUser(t, name)
		users[name] = u
		ops, bad := mergeSelectors(argv[2:])
		if bad >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
		}
		for _, op := range ops {
			op = strings.Trim(op, "\t\r\n")
			if err := u.apply(t, op); err != nil {
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %v. ", path, n, op, err)
			}
		}
	}
	return users, errs.String()
}

// SaveFile is ACL SAVE: every user in ACL LIST form, written to a temp
// file renamed over path.
func (r *Registry) SaveFile(path string) error {
	var b strings.Builder
	for _, l := range r.List() {
		b.WriteString(l + "\n")
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixMilli())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(tmp), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename to %s: %w", path, err)
	}
	return nil
}

// strerror renders a file error as C's strerror does ("No such file or
// directory").
func strerror(err error) string {
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	if msg == "" {
		return msg
	}
	r := []rune(msg)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
