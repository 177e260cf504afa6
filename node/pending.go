package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/raftinel/raftinel/internal/atomicfile"
	"github.com/raftinel/raftinel/model"
)

// pendingSettings are SENTINEL SET changes of per-master settings that
// this node accepted while it had no contact with a Raft leader, with
// raft-serve-stale yes (Sentinel's answer-anyway mode; by default such a
// SET answers -TRYAGAIN). Sentinel changes its own copy and shows it; so
// does this node: its replies show the committed state with these on top
// (overlay), and it proposes them as soon as it is back in contact with a
// leader (pendingsync.go), as one conditional entry per master and ACL
// user (model.SetIf): each setting applies only if it still has the
// value this node last saw committed when the change was made (expect),
// so a change made through the majority meanwhile wins. Several SETs of
// one setting fold into the last value, with the first one's expectation.
// They persist in dir/pending-settings.json (0600: script paths, or
// credentials when they are not link settings) and belong to one master
// incarnation (consensus.Master.Created).
type pendingSettings struct {
	path string

	mu  sync.Mutex
	m   map[string]*pendingMaster // by master name
	seq uint64                    // order of the changes, across masters
}

// pendingMaster is one master's pending changes, by setting (pendingKey).
type pendingMaster struct {
	Created uint64                    `json:"created"`
	Options map[string]*pendingOption `json:"options"`
}

// pendingOption is the latest pending value of one setting.
type pendingOption struct {
	Option string   `json:"option"`
	Vals   []string `json:"vals"`   // SENTINEL SET's values
	Expect []string `json:"expect"` // the committed value when it was first changed (consensus.SettingValue)
	User   string   `json:"user"`   // the ACL user who made it (the leader checks its own ACL)
	Seq    uint64   `json:"seq"`
}

// pendingBatch is what one conditional entry proposes.
type pendingBatch struct {
	Master  string
	Created uint64
	User    string
	Pairs   []string
	Expect  []string
	seqs    map[string]uint64 // pendingKey -> Seq proposed
}

const pendingSettingsFile = "pending-settings.json"

// pendingKey names one setting: rename-command is one per command.
func pendingKey(option string, vals []string) string {
	opt := strings.ToLower(option)
	if opt == "rename-command" && len(vals) > 0 {
		return opt + " " + strings.ToLower(vals[0])
	}
	return opt
}

// loadPendingSettings reads dir/pending-settings.json (none yet: nothing
// pending).
func loadPendingSettings(dir string) (*pendingSettings, error) {
	p := &pendingSettings{path: filepath.Join(dir, pendingSettingsFile), m: map[string]*pendingMaster{}}
	if err := readJSONFile(p.path, &p.m); err != nil {
		return nil, err
	}
	for _, pm := range p.m {
		for _, o := range pm.Options {
			p.seq = max(p.seq, o.Seq)
		}
	}
	return p, nil
}

// add records validated option pairs for the master incarnation created,
// whose committed settings are committed, made by user.
func (p *pendingSettings) add(master string, created uint64, committed model.Settings, user string, pairs []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pm := p.m[master]
	if pm == nil || pm.Created != created {
		pm = &pendingMaster{Created: created, Options: map[string]*pendingOption{}}
	}
	args, bad := model.SplitSet(pairs)
	if bad != "" {
		return fmt.Errorf("not a setting: %s", bad)
	}
	for _, a := range args {
		vals := slices.Clone(a.Vals)
		key := pendingKey(a.Option, vals)
		o := pm.Options[key]
		if o == nil {
			cur, _ := model.SettingValue(committed, a.Option, vals)
			o = &pendingOption{Expect: cur}
			pm.Options[key] = o
		}
		p.seq++
		o.Option, o.Vals, o.User, o.Seq = a.Option, vals, user, p.seq
	}
	p.m[master] = pm
	return p.saveLocked()
}

// sorted returns a master's pending options in the order they were set.
func (pm *pendingMaster) sorted() []*pendingOption {
	out := make([]*pendingOption, 0, len(pm.Options))
	for _, o := range pm.Options {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// overlay applies this node's pending changes of m's incarnation to m (a
// copy the caller owns), as the node's replies show them.
func (p *pendingSettings) overlay(m *model.Master) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pm := p.m[m.Name]
	if pm == nil || pm.Created != m.Created {
		return
	}
	for _, o := range pm.sorted() {
		_ = model.ApplySetting(&m.Settings, o.Option, o.Vals) // validated when added
	}
}

// superseded drops the pending changes of the settings that pairs, a SET
// this node has since committed through the log for the incarnation
// created, replaced.
func (p *pendingSettings) superseded(master string, created uint64, pairs []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pm := p.m[master]
	if pm == nil || pm.Created != created {
		return nil
	}
	changed := false
	args, _ := model.SplitSet(pairs)
	for _, a := range args {
		key := pendingKey(a.Option, a.Vals)
		if _, ok := pm.Options[key]; ok {
			delete(pm.Options, key)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if len(pm.Options) == 0 {
		delete(p.m, master)
	}
	return p.saveLocked()
}

// count is the number of masters with pending changes.
func (p *pendingSettings) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// batches returns one conditional entry per master and user, the options
// in the order they were set.
func (p *pendingSettings) batches() []pendingBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.m))
	for name := range p.m {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []pendingBatch
	for _, name := range names {
		pm := p.m[name]
		byUser := map[string]int{} // index in out
		for _, o := range pm.sorted() {
			i, ok := byUser[o.User]
			if !ok {
				i = len(out)
				byUser[o.User] = i
				out = append(out, pendingBatch{Master: name, Created: pm.Created, User: o.User, seqs: map[string]uint64{}})
			}
			b := &out[i]
			b.Pairs = append(append(b.Pairs, o.Option), o.Vals...)
			b.Expect = append(append(b.Expect, o.Option), o.Expect...)
			b.seqs[pendingKey(o.Option, o.Vals)] = o.Seq
		}
	}
	return out
}

// done forgets what b proposed (committed, or dropped), except settings
// changed again since b was built.
func (p *pendingSettings) done(b pendingBatch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pm := p.m[b.Master]
	if pm == nil || pm.Created != b.Created {
		return nil
	}
	for key, seq := range b.seqs {
		if o := pm.Options[key]; o != nil && o.Seq == seq {
			delete(pm.Options, key)
		}
	}
	if len(pm.Options) == 0 {
		delete(p.m, b.Master)
	}
	return p.saveLocked()
}

// saveLocked writes the file atomically (write, fsync, rename), or removes
// it when nothing is pending.
func (p *pendingSettings) saveLocked() error {
	if len(p.m) == 0 {
		if err := os.Remove(p.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", p.path, err)
		}
		return nil
	}
	b, err := json.Marshal(p.m)
	if err != nil {
		return err
	}
	return atomicfile.Write(p.path, b)
}
