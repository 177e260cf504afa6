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
	"go.uber.org/zap"
)

// Options configure a Store. Every timer is a setting (config.Raft).
type Options struct {
	MyID      string // this node's 40-hex id
	Advertise string // announced Sentinel address = Raft server ID and address
	Dir       string // raft.db and snapshots/
	Peers     []string
	Join      string
	Secret    string

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
	OnEvent func(Event) // called for every event of a newly applied entry
	OnApply func()      // called after every applied entry or restored snapshot
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
	boltStore    *raftboltdb.BoltStore
	rpc          *rpcClient
	cid          *clusterID
	rpcLn        *authListener
	bootIndex    uint64
	applyTimeout time.Duration
	started      time.Time
	cu           catchUp // freshness after a stale period (catchup.go)

	mu       sync.RWMutex
	handlers map[string]Handler

	closeOnce sync.Once
	done      chan struct{}
	push      chan struct{} // commits to announce to followers (pushCommit)
}

// Open starts Raft on the mux: it bootstraps (raft-peers or single node)
// when the dir holds no state, or joins (raft-join), then serves RPCs.
func Open(o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.ApplyTimeout == 0 {
		o.ApplyTimeout = 5 * time.Second
	}
	if len(o.Peers) > 0 && !slices.Contains(o.Peers, o.Advertise) {
		return nil, fmt.Errorf("raft-peers %v does not include this node's address %s (announce-ip/announce-port or bind/port)", o.Peers, o.Advertise)
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("dir %s is not writable: %w", o.Dir, err)
	}
	s := &Store{
		o: o, log: o.Logger, fsm: newFSM(),
		applyTimeout: o.ApplyTimeout, handlers: map[string]Handler{},
		done: make(chan struct{}), started: time.Now(), push: make(chan struct{}, 1),
	}
	s.cid = &clusterID{}
	s.rpc = &rpcClient{secret: []byte(o.Secret), dial: o.Dial, cid: s.cid}
	s.registerAdmin()
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Info, Output: zapWriter{s.log}})

	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(o.Dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("dir %s: open raft.db: %w", o.Dir, err)
	}
	s.boltStore = bolt
	snaps, err := raft.NewFileSnapshotStoreWithLogger(o.Dir, 2, hl)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("dir %s: snapshots: %w", o.Dir, err)
	}
	last, err := bolt.LastIndex()
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("dir %s: read log: %w", o.Dir, err)
	}
	s.bootIndex = last
	s.fsm.emit = s.emit
	s.fsm.changed = o.OnApply

	onRefuse := func(err error) { s.log.Warn("peer refused", zap.Error(err)) }
	secret := []byte(o.Secret)
	sl := &streamLayer{
		Listener:  newAuthListener(o.Mux.Raft(), headerRaft, secret, s.cid, onRefuse),
		advertise: o.Advertise, secret: secret, dial: o.Dial, cid: s.cid,
	}
	s.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: sl, MaxPool: 3, Timeout: 2 * time.Second, Logger: hl,
	})

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(o.Advertise)
	rc.Logger = hl
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
		bolt.Close()
		return nil, fmt.Errorf("raft timers: %w", err)
	}
	restoreTimers := bootTimers(rc)

	existing, err := raft.HasExistingState(bolt, bolt, snaps)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("dir %s: %w", o.Dir, err)
	}
	id, err := loadClusterID(o.Dir)
	if err != nil {
		bolt.Close()
		return nil, err
	}
	if !existing && o.Join == "" {
		peers := o.Peers
		if len(peers) == 0 {
			peers = []string{o.Advertise}
		}
		id = deriveClusterID(peers)
		if err := storeClusterID(o.Dir, id); err != nil {
			bolt.Close()
			return nil, fmt.Errorf("dir %s: %w", o.Dir, err)
		}
		var cfg raft.Configuration
		for _, p := range peers {
			cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p), Address: raft.ServerAddress(p)})
		}
		// Every voter bootstraps the same configuration (lessons: a cluster
		// bootstrapped by one node alone can be left without a leader).
		if err := raft.BootstrapCluster(rc, bolt, bolt, snaps, s.trans, cfg); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			bolt.Close()
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		s.log.Info("raft bootstrapped", zap.Strings("peers", peers))
	}
	s.cid.set(id)
	r, err := raft.NewRaft(rc, s.fsm, bolt, bolt, snaps, s.trans)
	if err != nil {
		bolt.Close()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	restoreTimers(r, s.done, s.log)
	s.rpcLn = newAuthListener(o.Mux.RPC(), headerRPC, secret, s.cid, onRefuse)
	go s.acceptRPC()
	go s.commitPusher()
	if !existing && o.Join != "" {
		go s.joinLoop()
	}
	go s.registerLoop()
	return s, nil
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
func (s *Store) emit(index uint64, evs []Event) {
	if index <= s.bootIndex || s.o.OnEvent == nil {
		return
	}
	for _, e := range evs {
		s.o.OnEvent(e)
	}
}

// joinLoop asks the raft-join address to add this node until it is a member.
func (s *Store) joinLoop() {
	for attempt := 0; ; attempt++ {
		if s.isMember() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := s.rpc.call(ctx, s.o.Join, &rpcRequest{Kind: rpcJoin, Data: []byte(s.o.Advertise)})
		cancel()
		if err == nil {
			err = decodeError(resp)
		}
		if err == nil {
			var id [clusterIDLen]byte
			if len(resp.Data) == clusterIDLen && copy(id[:], resp.Data) > 0 && id != ([clusterIDLen]byte{}) {
				if serr := storeClusterID(s.o.Dir, id); serr != nil {
					s.log.Warn("storing the cluster id failed", zap.Error(serr))
				}
				s.cid.set(id)
			}
			s.log.Info("joined raft cluster", zap.String("via", s.o.Join), zap.String("cluster", fmt.Sprintf("%x", id)))
			return
		}
		if attempt%10 == 0 {
			s.log.Warn("raft join failed, retrying", zap.String("via", s.o.Join), zap.Error(err))
		}
		select {
		case <-s.done:
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (s *Store) isMember() bool {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, srv := range f.Configuration().Servers {
		if string(srv.ID) == s.o.Advertise {
			return true
		}
	}
	return false
}

// registerLoop records this node's myid for its address in the log, so
// every node can name it in SENTINEL SENTINELS.
func (s *Store) registerLoop() {
	for {
		var have NodeInfo
		s.Read(func(st *State) { have = st.Nodes[s.o.Advertise] })
		if have.MyID == s.o.MyID {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		host, port, _ := net.SplitHostPort(s.o.Advertise)
		a, _ := ParseAddr(net.JoinHostPort(host, port))
		_, err := s.Apply(ctx, &Command{Op: OpNode, Node: s.o.MyID, Addr: a, AtMs: time.Now().UnixMilli()})
		cancel()
		if err == nil {
			continue
		}
		select {
		case <-s.done:
			return
		case <-time.After(200 * time.Millisecond):
		}
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
