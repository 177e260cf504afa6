package consensus

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftinel/raftinel/internal/atomicfile"
	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// Cluster formation by discovery, the driver (the rule is formation.go).

// Formation timers.
const (
	formationPoll = 250 * time.Millisecond // between two rounds of asking and deciding
	hintRetry     = time.Second            // before asking a hint that was not a candidate again
	formationRPC  = time.Second            // bound of one question to one address
)

// formationFile holds the candidates found, in dir.
const formationFile = "formation"

// ErrForming: the node has no cluster yet (raft-bootstrap-expect).
var ErrForming = errors.New("no raft cluster yet")

// rpcFormation asks any node, member or not, for its formationReport.
const rpcFormation = "formation"

// hint is an address heard of.
type hint struct {
	probed time.Time // zero: not asked yet
	result string    // "", "raftinel", "not raftinel", "unreachable", "refused"
}

type formation struct {
	s      *Store
	expect int
	path   string

	mu      sync.Mutex
	known   []string // sorted, self included; persisted before it is reported
	hints   map[string]*hint
	reports map[string]formationReport
	verdict formationVerdict
	done    bool            // this node is a member and knows its cluster id
	refused map[string]bool // what was logged already (once)
}

// savedFormation is the formation file.
type savedFormation struct {
	Expect int      `json:"expect"`
	Known  []string `json:"known"`
}

func newFormation(s *Store, expect int) (*formation, error) {
	f := &formation{s: s, expect: expect, path: filepath.Join(s.o.Dir, formationFile),
		hints: map[string]*hint{}, reports: map[string]formationReport{}, refused: map[string]bool{}}
	f.known = []string{s.o.Advertise}
	b, err := os.ReadFile(f.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("dir %s: %w", s.o.Dir, err)
	default:
		var saved savedFormation
		if err := json.Unmarshal(b, &saved); err != nil {
			return nil, fmt.Errorf("%s: %w (remove the file to start formation afresh)", f.path, err)
		}
		for _, a := range saved.Known {
			if !slices.Contains(f.known, a) {
				f.known = append(f.known, a)
			}
		}
		sort.Strings(f.known)
	}
	f.verdict = formationVerdict{Status: fmt.Sprintf("found 1 of %d raftinel nodes: %s", expect, s.o.Advertise)}
	return f, nil
}

// Forming returns nil when the node belongs to a cluster or does not form
// one by discovery, else an error wrapping ErrForming that says why there
// is no cluster yet.
func (s *Store) Forming() error {
	f := s.form
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrForming, f.verdict.Status)
}

// FormationHint gives a forming node an address to ask whether it is a
// raftinel node to form the cluster with (a hello message's sender, a
// known-sentinel line). Nothing is trusted: the address is asked.
func (s *Store) FormationHint(addr string) {
	f := s.form
	if f == nil || addr == "" || addr == s.o.Advertise {
		return
	}
	if _, err := model.ParseAddr(addr); err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.done && f.hints[addr] == nil && !slices.Contains(f.known, addr) {
		f.hints[addr] = &hint{}
	}
}

// report is this node's own formationReport.
func (s *Store) formationReport() formationReport {
	r := formationReport{Addr: s.o.Advertise, MyID: s.o.MyID}
	if f := s.form; f != nil {
		f.mu.Lock()
		r.Expect, r.Known = f.expect, slices.Clone(f.known)
		f.mu.Unlock()
	}
	servers := s.configuredServers()
	for _, srv := range servers {
		r.Members = append(r.Members, string(srv.Address))
		if string(srv.ID) == s.o.Advertise {
			r.Formed = true
		}
	}
	if !r.Formed {
		r.Members = nil
	} else if id := s.cid.get(); id != ([clusterIDLen]byte{}) {
		r.Cluster = hex.EncodeToString(id[:])
	}
	return r
}

// serveFormation answers rpcFormation: this node's report. The asker's own
// report is a hint (its address and the candidates it knows), asked in turn.
func (s *Store) serveFormation(data []byte) *rpcResponse {
	var asker formationReport
	if json.Unmarshal(data, &asker) == nil {
		s.FormationHint(asker.Addr)
		for _, a := range asker.Known {
			s.FormationHint(a)
		}
	}
	b, _ := json.Marshal(s.formationReport())
	return &rpcResponse{Data: b}
}

// ask sends rpcFormation to addr.
func (s *Store) ask(ctx context.Context, addr string) (formationReport, error) {
	own, _ := json.Marshal(s.formationReport())
	ctx, cancel := context.WithTimeout(ctx, formationRPC)
	defer cancel()
	resp, err := s.rpc.call(ctx, addr, &rpcRequest{Kind: rpcFormation, Data: own})
	if err != nil {
		return formationReport{}, err
	}
	if err := decodeError(resp); err != nil {
		return formationReport{}, err
	}
	var r formationReport
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return formationReport{}, fmt.Errorf("formation report from %s: %w", addr, err)
	}
	return r, nil
}

// formationLoop runs the formation until this node is a member that knows
// its cluster id.
func (s *Store) formationLoop() {
	f := s.form
	t := time.NewTicker(formationPoll)
	defer t.Stop()
	for {
		if f.round() {
			return
		}
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// round asks, decides and bootstraps; true when formation is over.
func (f *formation) round() bool {
	s := f.s
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if s.isMember() {
		return f.finish(ctx)
	}
	f.askHints(ctx)
	f.askKnown(ctx)
	f.mu.Lock()
	in := formationInput{Self: s.o.Advertise, Expect: f.expect, Known: slices.Clone(f.known), Reports: map[string]formationReport{}}
	for a, r := range f.reports {
		in.Reports[a] = r
	}
	for _, h := range f.hints {
		if h.probed.IsZero() {
			in.Unprobed++
		}
	}
	old := f.verdict
	v := decideFormation(in)
	f.verdict = v
	f.mu.Unlock()
	if v.Status != old.Status {
		if v.Conflict {
			s.log.Error("raft formation blocked", zap.String("reason", v.Status))
		} else {
			s.log.Info("raft formation", zap.String("status", v.Status))
		}
	}
	if v.Bootstrap {
		f.bootstrap(v.Voters)
	}
	return false
}

// askHints asks every hint that is due whether it is a raftinel node and,
// if so, for its report over an authenticated stream.
func (f *formation) askHints(ctx context.Context) {
	now := time.Now()
	f.mu.Lock()
	var due []string
	for a, h := range f.hints {
		if h.probed.IsZero() || (h.result != "raftinel" && now.Sub(h.probed) >= hintRetry) {
			due = append(due, a)
		}
	}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range due {
		wg.Add(1)
		go func() { defer wg.Done(); f.askHint(ctx, a) }()
	}
	wg.Wait()
}

func (f *formation) askHint(ctx context.Context, addr string) {
	s := f.s
	result := "unreachable"
	var rep *formationReport
	if is := s.o.IsRaftinel; is != nil {
		cctx, cancel := context.WithTimeout(ctx, formationRPC)
		ok, err := is(cctx, addr)
		cancel()
		if err == nil && !ok {
			result = "not raftinel"
		}
		if err != nil && f.once("info "+addr) {
			s.log.Info("raft formation: cannot ask an address whether it is a raftinel node (INFO server); asked again every second",
				zap.String("addr", addr), zap.Error(err))
		}
		if err == nil && ok {
			r, err := s.ask(ctx, addr)
			switch {
			case errors.Is(err, ErrAuth):
				result = "refused"
				if f.once(addr) {
					s.log.Warn("raft formation: a raftinel node does not share this node's raft-secret; not a candidate", zap.String("addr", addr), zap.Error(err))
				}
			case err == nil:
				result, rep = "raftinel", &r
			}
		}
	}
	f.mu.Lock()
	if h := f.hints[addr]; h != nil {
		h.probed, h.result = time.Now(), result
	}
	f.mu.Unlock()
	if rep == nil {
		return
	}
	f.heard(*rep)
	switch {
	case rep.Addr != addr:
		// Its Raft address is what it announces: asked directly, and
		// worth a word when it cannot be what others dial.
		if f.once("alias " + addr) {
			s.log.Info("raft formation: a raftinel node announces another address (its Raft address); set announce-ip (or bind) on it if the others cannot reach that one",
				zap.String("asked", addr), zap.String("announced", rep.Addr))
		}
		s.FormationHint(rep.Addr)
	case rep.Formed:
		f.mu.Lock()
		f.reports[addr] = *rep
		f.mu.Unlock()
	default:
		if err := f.addKnown(addr); err != nil {
			s.log.Error("raft formation: cannot record a candidate", zap.String("addr", addr), zap.Error(err))
			return
		}
		f.mu.Lock()
		f.reports[addr] = *rep
		delete(f.hints, addr)
		f.mu.Unlock()
	}
}

// once reports whether key is logged for the first time.
func (f *formation) once(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused[key] {
		return false
	}
	f.refused[key] = true
	return true
}

// heard takes the addresses a report names as hints.
func (f *formation) heard(r formationReport) {
	for _, a := range r.Known {
		f.s.FormationHint(a)
	}
	for _, a := range r.Members {
		f.s.FormationHint(a)
	}
}

// askKnown refreshes the reports of the candidates found.
func (f *formation) askKnown(ctx context.Context) {
	f.mu.Lock()
	known := slices.Clone(f.known)
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range known {
		if a == f.s.o.Advertise {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.s.ask(ctx, a)
			if err != nil || r.Addr != a {
				return // the previous report stands: a candidate's Known only grows
			}
			f.heard(r)
			f.mu.Lock()
			f.reports[a] = r
			f.mu.Unlock()
		}()
	}
	wg.Wait()
}

// addKnown records a candidate: in dir first, then in memory, so that no
// report ever names a set the file does not hold.
func (f *formation) addKnown(addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.Contains(f.known, addr) {
		return nil
	}
	next := append(slices.Clone(f.known), addr)
	sort.Strings(next)
	b, err := json.Marshal(savedFormation{Expect: f.expect, Known: next})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(f.path, b); err != nil {
		return err
	}
	f.known = next
	f.s.log.Info("raft formation: candidate found", zap.String("addr", addr), zap.Int("found", len(next)), zap.Int("expect", f.expect))
	return nil
}

// bootstrap bootstraps voters on the running (empty) Raft. A node that
// meanwhile received the configuration from a member that bootstrapped
// first is a member already; either way the cluster id is the one of
// voters.
func (f *formation) bootstrap(voters []string) {
	s := f.s
	var cfg raft.Configuration
	for _, v := range voters {
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(v), Address: raft.ServerAddress(v)})
	}
	err := s.raft.BootstrapCluster(cfg).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		s.log.Warn("raft formation: bootstrap failed, retrying", zap.Error(err))
		return
	}
	if errors.Is(err, raft.ErrCantBootstrap) {
		var have []string
		for _, srv := range s.configuredServers() {
			have = append(have, string(srv.ID))
		}
		if !sameSet(have, voters) {
			s.log.Warn("raft formation: this node received another configuration", zap.Strings("members", have))
			return // finish learns the cluster id from the leader
		}
	}
	id := deriveClusterID(voters)
	if err := storeClusterID(s.o.Dir, id); err != nil {
		s.log.Error("raft formation: storing the cluster id failed", zap.Error(err))
		return
	}
	s.cid.set(id)
	s.log.Info("raft bootstrapped by discovery", zap.Strings("peers", voters), zap.String("cluster", hex.EncodeToString(id[:])))
}

// finish ends formation once this node is a member: it makes sure the
// cluster id is known (a member that received the configuration instead of
// bootstrapping it learns the id from the leader). True when done.
func (f *formation) finish(ctx context.Context) bool {
	s := f.s
	if s.cid.get() == ([clusterIDLen]byte{}) {
		leader := s.LeaderAddr()
		if leader == "" || leader == s.o.Advertise {
			return false
		}
		r, err := s.ask(ctx, leader)
		raw, herr := hex.DecodeString(r.Cluster)
		if err != nil || herr != nil || len(raw) != clusterIDLen {
			return false
		}
		var id [clusterIDLen]byte
		copy(id[:], raw)
		if err := storeClusterID(s.o.Dir, id); err != nil {
			s.log.Warn("storing the cluster id failed", zap.Error(err))
			return false
		}
		s.cid.set(id)
		s.log.Info("raft formation: member of the cluster", zap.String("cluster", r.Cluster), zap.String("via", leader))
	}
	f.mu.Lock()
	f.done = true
	f.verdict = formationVerdict{Status: "formed"}
	f.mu.Unlock()
	s.log.Info("raft formation done")
	return true
}

// formationInfo is INFO raft's formation fields (only with
// raft-bootstrap-expect).
func (s *Store) formationInfo() [][2]string {
	f := s.form
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	state := "waiting"
	switch {
	case f.done:
		state = "formed"
	case f.verdict.Conflict:
		state = "blocked"
	}
	return [][2]string{
		{"raft_bootstrap_expect", fmt.Sprint(f.expect)},
		{"raft_formation", state},
		{"raft_formation_found", fmt.Sprint(len(f.known))},
		{"raft_formation_status", f.verdict.Status},
	}
}
