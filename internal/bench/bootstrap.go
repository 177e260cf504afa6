package bench

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// BootstrapResult is how long a fresh 3-node raftinel cluster takes to
// elect its first leader, from the start of its last node's process until
// every node names the same leader (polled every 2 ms).
type BootstrapResult struct {
	Leader []time.Duration
	Errors []string
}

// runBootstrap starts Runs fresh clusters.
func (b *Bench) runBootstrap() *BootstrapResult {
	r := &BootstrapResult{}
	for run := 0; run < b.cfg.Runs; run++ {
		d, err := b.bootstrapOnce(filepath.Join(b.cfg.WorkDir, fmt.Sprintf("bootstrap-%d", run+1)))
		if err != nil {
			b.logf("bootstrap run %d: %v", run+1, err)
			r.Errors = append(r.Errors, err.Error())
			continue
		}
		b.logf("bootstrap run %d: leader %s after the last node started", run+1, ms(d))
		r.Leader = append(r.Leader, d)
	}
	return r
}

func (b *Bench) bootstrapOnce(dir string) (time.Duration, error) {
	if err := freshDir(dir); err != nil {
		return 0, err
	}
	var nodes []*harness.Node
	var peers []string
	for i := 0; i < 3; i++ {
		port, err := harness.FreePort("127.0.0.1")
		if err != nil {
			return 0, err
		}
		peers = append(peers, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	for i, p := range peers {
		_, port, _ := net.SplitHostPort(p)
		pn, _ := strconv.Atoi(port)
		n, err := harness.NewNode(harness.NodeOptions{Bin: b.cfg.RaftinelBin, Port: pn, Dir: filepath.Join(dir, fmt.Sprintf("node%d", i+1)),
			Lines: append([]string{"raft-peers " + strings.Join(peers, " "), "raft-secret " + b.secret}, b.cfg.RaftinelLines...)})
		if err != nil {
			return 0, err
		}
		nodes = append(nodes, n)
	}
	defer func() {
		for _, n := range nodes {
			n.Kill()
		}
	}()
	var mu sync.Mutex
	var last time.Time
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			mu.Lock()
			if t.After(last) {
				last = t
			}
			mu.Unlock()
			errs[i] = n.Start() // returns once it answers PING
		}()
	}
	// Poll while the nodes start: the leader may come before every
	// Start has seen its node answer.
	var at time.Time
	deadline := time.Now().Add(15 * time.Second)
	for at.IsZero() && time.Now().Before(deadline) {
		if agreedLeader(nodes) {
			at = time.Now()
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	if at.IsZero() {
		return 0, fmt.Errorf("no agreed leader within 15 s")
	}
	mu.Lock()
	defer mu.Unlock()
	return at.Sub(last), nil
}

// agreedLeader reports whether every node names the same leader.
func agreedLeader(nodes []*harness.Node) bool {
	leader := ""
	for _, n := range nodes {
		s, err := harness.DoAuth(n.Addr(), "", "INFO", "raft")
		if err != nil {
			return false
		}
		l := harness.ParseInfo(s)["raft_leader"]
		if l == "" || (leader != "" && l != leader) {
			return false
		}
		leader = l
	}
	return true
}
