package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/raftinel/raftinel/internal/atomicfile"
	"github.com/raftinel/raftinel/policy"
)

// linkSettings are how this node talks to a master's instances: the AUTH
// credentials and renamed commands set with SENTINEL SET <master>
// auth-user | auth-pass | rename-command on this node. As in Sentinel they
// belong to the node, not to the cluster: the operator updates each node
// (Sentinel's own suite changes the password on one sentinel and expects
// another to keep failing with the old one, and renames PING on a node cut
// off from the others). The replicated values (the config file's `sentinel
// auth-pass` ..., seeded once per cluster) are the defaults a node's own
// settings override. They persist in dir/link-settings.json (0600; Sentinel
// keeps them by rewriting its config file) and belong to one incarnation of
// the master (consensus.Master.Created): after REMOVE and MONITOR of the
// same name they no longer apply, as Sentinel forgets a removed master's
// settings.
type linkSettings struct {
	path string

	mu  sync.Mutex
	m   map[string]linkOverride // by master name
	gen atomic.Uint64           // bumped by every change of m (policy.TargetCache's linkGen)
}

// linkOverride is one master's settings on this node; a nil field is not
// overridden (an empty string is: "no password").
type linkOverride struct {
	Created uint64  `json:"created"`
	User    *string `json:"auth_user,omitempty"`
	Pass    *string `json:"auth_pass,omitempty"`
	// Rename maps a lower-case command to its name on the instances; a
	// command mapped to itself is explicitly not renamed.
	Rename map[string]string `json:"rename_command,omitempty"`
}

// link is what the monitor needs to reach a master's instances.
type link = policy.Link

const linkSettingsFile = "link-settings.json"

// loadLinkSettings reads dir/link-settings.json (none yet: no overrides).
func loadLinkSettings(dir string) (*linkSettings, error) {
	c := &linkSettings{path: filepath.Join(dir, linkSettingsFile), m: map[string]linkOverride{}}
	if err := readJSONFile(c.path, &c.m); err != nil {
		return nil, err
	}
	return c, nil
}

// readJSONFile decodes the JSON file at path into v, leaving v as it is
// when there is no such file; errors name the file.
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// set records auth-user / auth-pass / rename-command option pairs (already
// validated: rename-command has two values) for the master incarnation
// created, and saves them.
func (c *linkSettings) set(master string, created uint64, pairs []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.m[master]
	if o.Created != created {
		o = linkOverride{Created: created}
	}
	o.Rename = maps.Clone(o.Rename)
	for len(pairs) >= 2 {
		opt, v := strings.ToLower(pairs[0]), pairs[1]
		switch {
		case opt == "auth-user":
			o.User = &v
		case opt == "auth-pass":
			o.Pass = &v
		case opt == "rename-command" && len(pairs) >= 3:
			if o.Rename == nil {
				o.Rename = map[string]string{}
			}
			o.Rename[strings.ToLower(v)] = pairs[2]
			pairs = pairs[1:]
		default:
			return fmt.Errorf("not a link setting: %s", pairs[0])
		}
		pairs = pairs[2:]
	}
	c.m[master] = o
	c.gen.Add(1)
	return c.saveLocked()
}

// generation counts the changes of the overrides.
func (c *linkSettings) generation() uint64 { return c.gen.Load() }

// effective returns how to reach the instances of the master incarnation
// created: this node's own settings where set, else the replicated ones
// (base, not modified).
func (c *linkSettings) effective(master string, created uint64, base link) link {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.m[master]
	if !ok || o.Created != created {
		return policy.EffectiveLink(base, policy.LinkOverride{})
	}
	return policy.EffectiveLink(base, policy.LinkOverride{User: o.User, Pass: o.Pass, Rename: o.Rename})
}

// forget drops the overrides of masters monitored anew (live: master name
// -> Created) and, when complete is set (the state is caught up with the
// leader: right after a start it may not have replayed the log yet), of
// masters that are gone.
func (c *linkSettings) forget(live map[string]uint64, complete bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := false
	for name, o := range c.m {
		if created, ok := live[name]; (ok && created != o.Created) || (!ok && complete) {
			delete(c.m, name)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	c.gen.Add(1)
	return c.saveLocked()
}

// saveLocked writes the file atomically.
func (c *linkSettings) saveLocked() error {
	b, err := json.Marshal(c.m)
	if err != nil {
		return err
	}
	return atomicfile.Write(c.path, b)
}
