package monitor

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const testID = "0123456789abcdef0123456789abcdef01234567"

// recorder is a Reporter that keeps everything it hears.
type recorder struct {
	mu     sync.Mutex
	events []sdownEvent
	seen   map[string]map[string]bool // master -> replica addrs
	infos  map[instKey]int
	// replicas reported before the first Info of each master target
	seenAtFirstInfo map[instKey]int
	firstInfo       map[instKey]time.Time
	m               *Monitor // when set, events carry the view at the transition
}

type sdownEvent struct {
	key  instKey
	down bool
	at   time.Time
	view view.Instance // when m is set
}

func newRecorder() *recorder {
	return &recorder{seen: map[string]map[string]bool{}, infos: map[instKey]int{},
		seenAtFirstInfo: map[instKey]int{}, firstInfo: map[instKey]time.Time{}}
}

func (r *recorder) SDown(t view.Target, down bool) {
	ev := sdownEvent{key: instKey{t.Master, t.Addr}, down: down, at: time.Now()}
	if r.m != nil {
		ev.view, _ = r.m.Instance(t.Master, t.Addr)
		ev.view.InfoText = ""
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) ReplicaSeen(master, addr string) {
	r.mu.Lock()
	if r.seen[master] == nil {
		r.seen[master] = map[string]bool{}
	}
	r.seen[master][addr] = true
	r.mu.Unlock()
}

func (r *recorder) Info(t view.Target, v view.Instance) {
	k := instKey{t.Master, t.Addr}
	r.mu.Lock()
	if r.infos[k] == 0 {
		r.seenAtFirstInfo[k] = len(r.seen[t.Master])
		r.firstInfo[k] = time.Now()
	}
	r.infos[k]++
	r.mu.Unlock()
}

func (r *recorder) infoCount(k instKey) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.infos[k]
}

// transitions returns the SDOWN events of k.
func (r *recorder) transitions(k instKey) []sdownEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sdownEvent
	for _, e := range r.events {
		if e.key == k {
			out = append(out, e)
		}
	}
	return out
}

// waitSDown waits for a transition of k to down reported after since and
// returns when it was reported.
func (r *recorder) waitSDown(t testing.TB, k instKey, down bool, since time.Time, timeout time.Duration) time.Time {
	t.Helper()
	var at time.Time
	redistest.WaitFor(t, timeout, k.addr+" sdown="+strconv.FormatBool(down), func() bool {
		for _, e := range r.transitions(k) {
			if e.down == down && !e.at.Before(since) {
				at = e.at
				return true
			}
		}
		return false
	})
	return at
}

// run starts m.Run and stops it (waiting for it) when the test ends.
func run(t testing.TB, m *Monitor) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func testLogger(t *testing.T) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return zap.New(core), logs
}

// waitHealthy waits until the view has a valid PING reply, an INFO and both
// links up.
func waitHealthy(t testing.TB, m *Monitor, master, addr string) view.Instance {
	t.Helper()
	var v view.Instance
	redistest.WaitFor(t, 5*time.Second, addr+" healthy", func() bool {
		var ok bool
		v, ok = m.Instance(master, addr)
		return ok && v.Connected && !v.LastOKPing.IsZero() && !v.InfoRefresh.IsZero() && !v.SDown
	})
	return v
}

// faultDialer counts dials and can blackhole an address: new dials hang
// until their timeout (dropped SYNs) and established connections silently
// discard what is written (so no reply ever comes), like a partition.
type faultDialer struct {
	mu      sync.Mutex
	blocked map[string]bool
	dials   map[string]int
	conns   []*faultConn
}

type faultConn struct {
	net.Conn
	addr string
	dead atomic.Bool
}

func (c *faultConn) Write(b []byte) (int, error) {
	if c.dead.Load() {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func newFaultDialer() *faultDialer {
	return &faultDialer{blocked: map[string]bool{}, dials: map[string]int{}}
}

func (f *faultDialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	f.mu.Lock()
	f.dials[addr]++
	blocked := f.blocked[addr]
	f.mu.Unlock()
	if blocked {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	fc := &faultConn{Conn: nc, addr: addr}
	f.mu.Lock()
	f.conns = append(f.conns, fc)
	f.mu.Unlock()
	return fc, nil
}

func (f *faultDialer) setBlocked(addr string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked[addr] = on
	if on {
		for _, c := range f.conns {
			if c.addr == addr {
				c.dead.Store(true)
			}
		}
	}
}

func (f *faultDialer) dialCount(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dials[addr]
}

// startRaw starts a redis-server whose PING may be renamed or that requires
// a password (redistest.Start waits for a plain PONG). conf lines are
// appended to the config file; ping is the command that answers PONG, and a
// NOAUTH reply counts as started.
func startRaw(t *testing.T, ping string, conf ...string) string {
	t.Helper()
	port := redistest.FreePort(t, "127.0.0.1")
	dir := t.TempDir()
	lines := append([]string{
		"bind 127.0.0.1", "port " + strconv.Itoa(port), "dir " + dir, `save ""`, "appendonly no",
		"protected-mode no", "logfile " + filepath.Join(dir, "redis.log"),
	}, conf...)
	cf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(cf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(redistest.Binary(t), cf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	redistest.WaitFor(t, 10*time.Second, "redis on "+addr, func() bool {
		r, err := redistest.Do(addr, ping)
		return (err == nil && r == "PONG") || (err != nil && strings.HasPrefix(err.Error(), "NOAUTH"))
	})
	return addr
}

// countNamed counts clients named like our links in CLIENT LIST output.
func countNamed(list string) int {
	return strings.Count(list, "name=sentinel-"+testID[:8]+"-cmd ")
}

func setTargets(set *redistest.Set, master string, d time.Duration) []view.Target {
	ts := []view.Target{{Master: master, Addr: set.Master.Addr(), IsMaster: true, DownAfter: d}}
	for _, r := range set.Replicas {
		ts = append(ts, view.Target{Master: master, Addr: r.Addr(), DownAfter: d})
	}
	return ts
}
