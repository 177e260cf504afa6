package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// credentials are this node's own AUTH credentials for a master's
// instances, set with SENTINEL SET <master> auth-user|auth-pass on this
// node. As in Sentinel they belong to the node, not to the cluster: the
// operator updates each node (Sentinel's own suite, 03-runtime-reconf,
// changes the password on one sentinel and expects another to keep failing
// with the old one). The replicated value (the config file's `sentinel
// auth-pass`, seeded once per cluster) is the default a node's own setting
// overrides. They persist in dir/credentials.json (0600; Sentinel keeps them
// by rewriting its config file) and belong to one incarnation of the master
// (consensus.Master.Created): after REMOVE and MONITOR of the same name
// they no longer apply, as Sentinel forgets a removed master's settings.
type credentials struct {
	path string

	mu sync.Mutex
	m  map[string]credential // by master name
}

// credential is one master's override; a nil field is not overridden (an
// empty string is: "no password").
type credential struct {
	Created uint64  `json:"created"`
	User    *string `json:"auth_user,omitempty"`
	Pass    *string `json:"auth_pass,omitempty"`
}

const credentialsFile = "credentials.json"

// loadCredentials reads dir/credentials.json (none yet: no overrides).
func loadCredentials(dir string) (*credentials, error) {
	c := &credentials{path: filepath.Join(dir, credentialsFile), m: map[string]credential{}}
	b, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &c.m)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.path, err)
	}
	return c, nil
}

// set records auth-user / auth-pass option pairs (already validated) for
// the master incarnation created, and saves them.
func (c *credentials) set(master string, created uint64, pairs []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := c.m[master]
	if cr.Created != created {
		cr = credential{Created: created}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		v := pairs[i+1]
		switch strings.ToLower(pairs[i]) {
		case "auth-user":
			cr.User = &v
		case "auth-pass":
			cr.Pass = &v
		default:
			return fmt.Errorf("not a node credential: %s", pairs[i])
		}
	}
	c.m[master] = cr
	return c.saveLocked()
}

// effective returns the credentials to use for the master incarnation
// created: this node's own where set, else the replicated ones.
func (c *credentials) effective(master string, created uint64, user, pass string) (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.m[master]
	if !ok || cr.Created != created {
		return user, pass
	}
	if cr.User != nil {
		user = *cr.User
	}
	if cr.Pass != nil {
		pass = *cr.Pass
	}
	return user, pass
}

// forget drops the overrides of masters monitored anew (live: master name
// -> Created) and, when complete is set (the state is caught up with the
// leader: right after a start it may not have replayed the log yet), of
// masters that are gone.
func (c *credentials) forget(live map[string]uint64, complete bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := false
	for name, cr := range c.m {
		if created, ok := live[name]; (ok && created != cr.Created) || (!ok && complete) {
			delete(c.m, name)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return c.saveLocked()
}

// saveLocked writes the file atomically (write, fsync, rename).
func (c *credentials) saveLocked() error {
	b, err := json.Marshal(c.m)
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", c.path, err)
	}
	return nil
}
