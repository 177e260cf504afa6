package sentinelproto

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/internal/resptest"
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// Fakes of the three dependencies: pure protocol tests, no Raft, no Redis.

const (
	testMyID  = "0000000000000000000000000000000000000001"
	testPeer1 = "1111111111111111111111111111111111111111"
	testPeer2 = "2222222222222222222222222222222222222222"
	testRunID = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"
)

// fakeCluster keeps a State and applies entries with the FSM's own state
// machine (model.Apply), publishing the events the node would publish.
type fakeCluster struct {
	mu       sync.RWMutex
	version  atomic.Uint64 // bumped after every change of st, like the FSM's
	st       *model.State
	members  []model.Member
	freshErr error
	freshAsk atomic.Int64       // AwaitFresh calls
	onApply  func(*fakeCluster) // run by Apply under the lock, after applying
	applyErr error
	applied  []model.Entry
	index    uint64 // the last entry's log index
	publish  func(channel, payload string) int
}

func (f *fakeCluster) Read(fn func(s *model.State)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.st)
}

func (f *fakeCluster) StateVersion() uint64 { return f.version.Load() }

func (f *fakeCluster) Sync(context.Context) error { return nil }

func (f *fakeCluster) Admin(context.Context, string, string) error { return nil }

func (f *fakeCluster) AwaitFresh(context.Context) error {
	f.freshAsk.Add(1)
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.freshErr
}

func (f *fakeCluster) Members() []model.Member {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]model.Member(nil), f.members...)
}

func (f *fakeCluster) RaftInfo() [][2]string {
	return [][2]string{{"raft_state", "Leader"}, {"raft_term", "3"}, {"raft_leader_id", testMyID}}
}

func (f *fakeCluster) Apply(ctx context.Context, cmd model.Entry) (model.Result, error) {
	f.mu.Lock()
	var events []model.Event
	res, err := f.applyLocked(cmd, &events)
	if f.onApply != nil {
		f.onApply(f)
	}
	f.version.Add(1)
	pub := f.publish
	f.mu.Unlock()
	for _, e := range events {
		if pub != nil {
			pub(e.Channel, e.Payload)
		}
	}
	return res, err
}

func (f *fakeCluster) applyLocked(cmd model.Entry, events *[]model.Event) (model.Result, error) {
	if f.applyErr != nil {
		return model.Result{}, f.applyErr
	}
	f.applied = append(f.applied, cmd)
	f.index++
	cmd.Head().Index = f.index
	evs, res, err := model.Apply(f.st, cmd)
	*events = append(*events, evs...)
	res.Index = f.index
	return res, err
}

type fakeMonitor struct {
	mu    sync.Mutex
	views map[string]view.Instance // master|addr
	peers map[string]view.Peer
}

func (f *fakeMonitor) Instance(master, addr string) (view.Instance, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.views[master+"|"+addr]
	return v, ok
}

func (f *fakeMonitor) Peer(id string) (view.Peer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.peers[id]
	return v, ok
}

func (f *fakeMonitor) set(master, addr string, fn func(v *view.Instance)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.views[master+"|"+addr]
	fn(&v)
	f.views[master+"|"+addr] = v
}

type fakeFailover struct {
	mu    sync.Mutex
	err   error
	calls []string
}

func (f *fakeFailover) Manual(ctx context.Context, master string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, master)
	return f.err
}

// testEnv is a server on a loopback listener with its fakes.
type testEnv struct {
	t        testing.TB
	srv      *Server
	addr     string
	port     string
	cluster  *fakeCluster
	mon      *fakeMonitor
	fo       *fakeFailover
	cfg      *config.Config
	shutdown chan struct{}

	mu     sync.Mutex
	levels []string // SENTINEL CONFIG SET loglevel values handed to OnLogLevel
	debugs []string // "param=ms" handed to OnDebug
}

var (
	addrM  = model.Addr{Host: "127.0.0.1", Port: 6379}
	addrR1 = model.Addr{Host: "127.0.0.1", Port: 6380}
	addrR2 = model.Addr{Host: "127.0.0.1", Port: 6381}
)

// newEnv starts a server watching mymaster (quorum 2) with two replicas,
// three members, and a healthy view of everything.
func newEnv(t testing.TB, tweak ...func(*config.Config)) *testEnv {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 26379
	for _, f := range tweak {
		f(cfg)
	}
	st := model.NewState()
	st.Masters["mymaster"] = &model.Master{Name: "mymaster", Addr: addrM,
		Settings: model.DefaultSettings(2), Replicas: []model.Addr{addrR1, addrR2}}
	now := time.Now()
	instance := func(role string) view.Instance {
		return view.Instance{Connected: true, LastOKPing: now, LastPingReply: now, InfoRefresh: now,
			InfoText: "# Server\r\nrole:" + role + "\r\n", RunID: testRunID, Role: role, RoleChanged: now.Add(-time.Minute),
			MasterHost: "127.0.0.1", MasterPort: 6379, MasterLinkUp: true, MasterLastIOSec: 0,
			SlavePriority: 100, SlaveReplOffset: 1234, ReplicaAnnounced: true}
	}
	mon := &fakeMonitor{views: map[string]view.Instance{
		"mymaster|" + addrM.String():  instance("master"),
		"mymaster|" + addrR1.String(): instance("slave"),
		"mymaster|" + addrR2.String(): instance("slave"),
	}, peers: map[string]view.Peer{
		testPeer1: {ID: testPeer1, Addr: "127.0.0.1:26380", Connected: true, LastOKPing: now, LastPingReply: now},
		testPeer2: {ID: testPeer2, Addr: "127.0.0.1:26381", Connected: true, LastOKPing: now, LastPingReply: now},
	}}
	cl := &fakeCluster{st: st, members: []model.Member{
		{ID: testMyID, Addr: "127.0.0.1:26379", Voter: true, Leader: true, Self: true},
		{ID: testPeer1, Addr: "127.0.0.1:26380", Voter: true},
		{ID: testPeer2, Addr: "127.0.0.1:26381", Voter: true},
	}}
	e := &testEnv{t: t, cluster: cl, mon: mon, fo: &fakeFailover{}, cfg: cfg, shutdown: make(chan struct{}, 1)}
	logger := zap.NewNop()
	e.srv = NewServer(Options{Config: cfg, MyID: testMyID, RunID: testRunID, Version: "7.0.15",
		RaftinelVersion: "0.1.0-test", Cluster: cl, Monitor: mon, Failover: e.fo, Logger: logger,
		OnDebug: func(p string, ms int64) {
			e.mu.Lock()
			e.debugs = append(e.debugs, fmt.Sprintf("%s=%d", p, ms))
			e.mu.Unlock()
		},
		OnLogLevel: func(l string) {
			e.mu.Lock()
			e.levels = append(e.levels, l)
			e.mu.Unlock()
		},
		Shutdown: func() {
			select {
			case e.shutdown <- struct{}{}:
			default:
			}
		}})
	if err := e.srv.LoadACL(); err != nil {
		t.Fatal(err)
	}
	cl.publish = e.srv.Publish
	e.addr = resptest.Serve(t, e.srv)
	_, e.port, _ = net.SplitHostPort(e.addr)
	return e
}

// state runs fn on the fake's state under its lock.
func (e *testEnv) state(fn func(st *model.State)) {
	e.cluster.mu.Lock()
	defer e.cluster.mu.Unlock()
	fn(e.cluster.st)
	e.cluster.version.Add(1)
}
