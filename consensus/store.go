package consensus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// Options configure a Store. Every timer is a setting (config.Raft).
type Options struct {
	MyID      string // this node's 40-hex id
	Advertise string // announced Sentinel address = Raft server ID and address
	Dir       string // raft.db and snapshots/
	// DiskChecked: the caller ran CheckDisk(Dir) already.
	DiskChecked bool
	Peers       []string
	Join        string
	Secret      string // raft-secret: the key of the peer handshake
	// Insecure (raft-insecure yes) lets a node without Secret serve and
	// dial unauthenticated peer streams. Without either, the node is a
	// single node that serves no peer stream at all.
	Insecure bool
	// BootstrapExpect > 1 (raft-bootstrap-expect) forms the cluster by
	// discovery when the dir holds no Raft state (formation.go).
	BootstrapExpect int
	// IsRaftinel asks addr whether it is a raftinel node (INFO server),
	// before formation asks it over an authenticated stream.
	IsRaftinel func(ctx context.Context, addr string) (bool, error)

	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	SnapshotInterval   time.Duration
	SnapshotThreshold  uint64
	TrailingLogs       uint64
	StaleAfter         time.Duration
	ServeStale         bool
	ApplyTimeout       time.Duration // bound of one Apply, default 5 s

	Mux     *Mux
	Logger  *zap.Logger
	OnEvent func(model.Event) // called for every event of a newly applied entry
	OnApply func()            // called after every applied entry or restored snapshot
	// OnHalt is called once, from the FSM, when the log holds an entry
	// this build cannot apply (LogVersion): the node must stop. It must
	// not block.
	OnHalt func(error)
	// Admit checks a change another node forwarded to this one, the
	// leader, against this node's own configuration (admit.go); nil
	// admits everything.
	Admit func(Proposal) error
	// Dial replaces net.DialTimeout for Raft and RPC streams (tests).
	Dial func(network, addr string, timeout time.Duration) (net.Conn, error)
}

// Store wraps hashicorp/raft with the raftinel FSM: it is the only way state
// changes, and the only source of what clients are told (design rule 1).
type Store struct {
	o            Options
	log          *zap.Logger
	raft         *raft.Raft
	fsm          *fsm
	trans        *raft.NetworkTransport
	gtrans       *gatedTransport
	gate         *peerGate // replication to an unreachable peer waits for it (reach.go)
	boltStore    *raftboltdb.BoltStore
	rpc          *rpcClient
	cid          *clusterID
	auth         peerAuth
	rpcLn        *authListener
	bootIndex    uint64
	applyTimeout time.Duration
	started      time.Time
	cu           catchUp    // freshness after a stale period (catchup.go)
	form         *formation // nil unless forming by discovery (form.go)
	freshVoters  []string   // the voters this start bootstrapped (firstelect.go)
	raftStarted  time.Time  // just before raft.NewRaft (firstelect.go)

	mu       sync.RWMutex
	handlers map[string]Handler

	closeOnce sync.Once
	done      chan struct{}
	push      chan struct{} // commits to announce to followers (pushCommit)
}

// Open starts Raft on the mux: it bootstraps (raft-peers or single node)
// when the dir holds no state, or joins (raft-join), then serves RPCs.
// A node that is, or is to be, one of several refuses to start without
// raft-secret (or an explicit raft-insecure), and damaged or partly lost
// Raft state is an error naming the file (disk.go).
func Open(o Options) (*Store, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("dir %s is not writable: %w", o.Dir, err)
	}
	s := newStore(o)
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Info, Output: zapWriter{s.log}})
	d, err := openDisk(o.Dir, o.DiskChecked, hl)
	if err != nil {
		return nil, err
	}
	s.boltStore = d.bolt
	if err := s.start(d, hl); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// withDefaults fills the options a caller may leave zero.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.ApplyTimeout == 0 {
		o.ApplyTimeout = 5 * time.Second
	}
	return o
}

// check refuses options that cannot make a safe node.
func (o Options) check() error {
	if len(o.Peers) > 0 && !slices.Contains(o.Peers, o.Advertise) {
		return fmt.Errorf("raft-peers %v does not include this node's address %s (announce-ip/announce-port or bind/port)", o.Peers, o.Advertise)
	}
	if !o.authenticates() && (len(o.Peers) > 1 || o.Join != "" || o.BootstrapExpect > 1) {
		return NoSecretError()
	}
	return nil
}

// newStore builds the store's parts that need no disk and no network.
func newStore(o Options) *Store {
	s := &Store{
		o: o, log: o.Logger, fsm: newFSM(),
		applyTimeout: o.ApplyTimeout, handlers: map[string]Handler{},
		done: make(chan struct{}), started: time.Now(), push: make(chan struct{}, 1),
	}
	s.cid = &clusterID{}
	s.auth = peerAuth{on: o.authenticates(), key: []byte(o.Secret), cid: s.cid}
	s.rpc = &rpcClient{auth: s.auth, dial: o.Dial}
	s.registerAdmin()
	s.fsm.emit = s.emit
	s.fsm.changed = o.OnApply
	s.fsm.halt = s.halt
	return s
}

// start opens Raft over the disk state d: transport, timers, bootstrap or
// formation, then the loops. On error the caller calls abort.
func (s *Store) start(d *disk, hl hclog.Logger) error {
	o := s.o
	last, err := d.bolt.LastIndex()
	if err != nil {
		return fmt.Errorf("dir %s: read log: %w", o.Dir, err)
	}
	s.bootIndex = last
	refusals := &refusalLog{log: s.log, every: refusalLogEvery}
	sl := &streamLayer{
		Listener:  newAuthListener(o.Mux.Raft(), headerRaft, s.auth, refusals.refused),
		advertise: o.Advertise, auth: s.auth, dial: o.Dial,
	}
	s.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: sl, MaxPool: 3, Timeout: 2 * time.Second, Logger: hl,
		MaxRPCsInFlight: noPipeline,
	})
	rc, err := o.raftConfig(hl)
	if err != nil {
		return err
	}
	restoreTimers := bootTimers(rc)
	id, err := s.bootstrap(d, rc)
	if err != nil {
		return err
	}
	s.cid.set(id)
	s.gate = newPeerGate(s.done, s.probePeer, s.IsLeader, s.inConfiguration)
	s.gtrans = &gatedTransport{NetworkTransport: s.trans, gate: s.gate}
	s.raftStarted = time.Now()
	r, err := raft.NewRaft(rc, s.fsm, d.bolt, d.bolt, d.snaps, s.gtrans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	if !s.auth.on && len(s.configuredServers()) > 1 {
		// raft-peers says one node, but the state holds several members
		// (added with RAFT ADD under raft-insecure, say).
		return NoSecretError()
	}
	if o.Insecure && o.Secret == "" {
		s.log.Warn("raft-insecure yes: peer streams are NOT authenticated; anyone who can reach this port can change every setting, steer clients and run scripts on every node; set raft-secret")
	}
	restoreTimers(r, s.done, s.log)
	go s.firstElection(s.freshVoters)
	s.rpcLn = newAuthListener(o.Mux.RPC(), headerRPC, s.auth, refusals.refused)
	go s.acceptRPC()
	go s.commitPusher()
	if !d.existing && o.Join != "" {
		go s.joinLoop()
	}
	if s.form != nil {
		go s.formationLoop()
	}
	go s.registerLoop()
	return nil
}

// raftConfig is hashicorp/raft's configuration with this node's timers.
func (o Options) raftConfig(hl hclog.Logger) (*raft.Config, error) {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(o.Advertise)
	rc.Logger = hl
	// Proposals made at the same time (a node's observations of many
	// instances, forwarded writes) go into one log write and one fsync.
	rc.BatchApplyCh = true
	setIf(&rc.HeartbeatTimeout, o.HeartbeatTimeout)
	setIf(&rc.ElectionTimeout, o.ElectionTimeout)
	setIf(&rc.LeaderLeaseTimeout, o.LeaderLeaseTimeout)
	setIf(&rc.CommitTimeout, o.CommitTimeout)
	setIf(&rc.SnapshotInterval, o.SnapshotInterval)
	if o.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = o.SnapshotThreshold
	}
	if o.TrailingLogs > 0 {
		rc.TrailingLogs = o.TrailingLogs
	}
	if err := raft.ValidateConfig(rc); err != nil {
		return nil, fmt.Errorf("raft timers: %w", err)
	}
	return rc, nil
}

// bootstrap writes the initial configuration of a node without Raft state
// (every voter of raft-peers bootstraps the same one), or prepares
// formation (raft-bootstrap-expect), or leaves a joining node alone. It
// returns the cluster id this node belongs to (zero until it learns it).
func (s *Store) bootstrap(d *disk, rc *raft.Config) ([clusterIDLen]byte, error) {
	o := s.o
	if d.existing {
		if o.BootstrapExpect > 1 {
			s.log.Info("raft-bootstrap-expect ignored: this node already has Raft state")
		}
		return d.id, nil
	}
	if o.Join != "" {
		return d.id, nil
	}
	if o.BootstrapExpect > 1 {
		// No bootstrap now: formation.go bootstraps the voters it agrees on.
		form, err := newFormation(s, o.BootstrapExpect)
		if err != nil {
			return [clusterIDLen]byte{}, err
		}
		s.form = form
		return d.id, nil
	}
	peers := o.Peers
	if len(peers) == 0 {
		peers = []string{o.Advertise}
	}
	var cfg raft.Configuration
	for _, p := range peers {
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p), Address: raft.ServerAddress(p)})
	}
	// Every voter bootstraps the same configuration (lessons: a cluster
	// bootstrapped by one node alone can be left without a leader).
	err := raft.BootstrapCluster(rc, d.bolt, d.bolt, d.snaps, s.trans, cfg)
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return [clusterIDLen]byte{}, fmt.Errorf("bootstrap: %w", err)
	}
	if err == nil {
		s.freshVoters = peers // firstelect.go
	}
	// The id is written once the state exists: a dir with an id and no
	// state is one whose state was lost (disk.go).
	id := deriveClusterID(peers)
	if err := storeClusterID(o.Dir, id); err != nil {
		return [clusterIDLen]byte{}, fmt.Errorf("dir %s: %w", o.Dir, err)
	}
	s.log.Info("raft bootstrapped", zap.Strings("peers", peers))
	return id, nil
}

// abort releases what a failed Open acquired.
func (s *Store) abort() {
	if s.raft != nil {
		s.Close()
		return
	}
	if s.trans != nil {
		s.trans.Close()
	}
	s.boltStore.Close()
}

// halt is the FSM's report of an entry it cannot apply.
func (s *Store) halt(err error) {
	s.log.Error("log apply stopped", zap.Error(err))
	if s.o.OnHalt != nil {
		s.o.OnHalt(err)
	}
}

// authenticates reports whether the node serves and dials peer streams:
// with raft-secret, or unauthenticated by the explicit raft-insecure.
func (o *Options) authenticates() bool { return o.Secret != "" || o.Insecure }

// NoSecretError is the one-line refusal of a node of several without
// raft-secret.
func NoSecretError() error {
	return fmt.Errorf("%w: a node of a multi-node cluster (raft-peers with other nodes, raft-join, or several members in its state) "+
		"must authenticate its peers: add the same `raft-secret <random string>` line to every node's config "+
		"(e.g. from `openssl rand -hex 32`), or `raft-insecure yes` to run unauthenticated", ErrNoSecret)
}

// configuredServers is the current Raft configuration's servers.
func (s *Store) configuredServers() []raft.Server {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	return f.Configuration().Servers
}

func setIf(dst *time.Duration, v time.Duration) {
	if v > 0 {
		*dst = v
	}
}

func (s *Store) acceptRPC() {
	for {
		c, err := s.rpcLn.Accept()
		if err != nil {
			return
		}
		go s.serveRPC(c)
	}
}

// emit publishes the events of an entry unless it is a replay of an entry
// this node already had in its log when it started.
func (s *Store) emit(index uint64, evs []model.Event) {
	if index <= s.bootIndex || s.o.OnEvent == nil {
		return
	}
	for _, e := range evs {
		s.o.OnEvent(e)
	}
}

// Close shuts Raft down and releases the store.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if s.raft != nil {
			err = s.raft.Shutdown().Error()
		}
		s.trans.Close()
		if s.gtrans != nil {
			s.gtrans.hb.stop()
		}
		s.rpc.close()
		if cerr := s.boltStore.Close(); err == nil {
			err = cerr
		}
	})
	return err
}

// zapWriter carries hashicorp/raft's hclog lines into zap.
type zapWriter struct{ l *zap.Logger }

func (w zapWriter) Write(p []byte) (int, error) {
	msg := strings.TrimRight(string(p), "\r\n")
	// hclog lines look like "<time> [LEVEL] raft: message: k=v ..."
	level, text := "", msg
	if i := strings.Index(msg, " ["); i >= 0 {
		if j := strings.Index(msg[i:], "]"); j > 0 {
			level, text = msg[i+2:i+j], strings.TrimSpace(msg[i+j+1:])
		}
	}
	switch level {
	case "ERROR":
		w.l.Error("raft", zap.String("line", text))
	case "WARN":
		w.l.Warn("raft", zap.String("line", text))
	case "INFO":
		w.l.Info("raft", zap.String("line", text))
	default:
		w.l.Debug("raft", zap.String("line", text))
	}
	return len(p), nil
}
