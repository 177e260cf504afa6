//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/netfault"
	"github.com/raftinel/raftinel/internal/redistest"
)

// The partition tests: every process has its own loopback address and a
// netfault.Net drops packets between chosen addresses. The test's observer
// (probe, event subscriptions, checks) dials from 127.0.0.1, which is never
// cut: it sees every process as a Jepsen checker would.

const (
	pDownAfterMs = 1000
	pStaleAfter  = time.Second // raft-stale-after in fastLines
	pFenceMaxLag = 1           // fence-max-lag (seconds)
)

// penv is a master with two replicas and a 3-node cluster, each process on
// its own address, plus an address for the writer.
type penv struct {
	t       *testing.T
	nf      *netfault.Net
	redis   []*redistest.Server // [0] is the initial master
	cluster *harness.Cluster
	nodes   []*harness.Node
	writer  string // the writer's source address

	mu       sync.Mutex
	nodeDown []bool      // killed or stopped (the random run)
	isoSince []time.Time // per node: cut off from any majority since (zero = not)
}

func newPartitionEnv(t *testing.T) *penv {
	t.Helper()
	nf := netfault.New(t)
	e := &penv{t: t, nf: nf, nodeDown: make([]bool, 3), isoSince: make([]time.Time, 3)}
	for i := 0; i < 3; i++ {
		ip := nf.Addr()
		opts := []redistest.Option{redistest.WithHost(ip), redistest.WithArgs("--bind-source-addr", ip)}
		if i > 0 {
			opts = append(opts, redistest.ReplicaOf(e.redis[0]))
		}
		e.redis = append(e.redis, redistest.Start(t, opts...))
	}
	for _, r := range e.redis[1:] {
		redistest.WaitFor(t, 15*time.Second, "replica "+r.Addr()+" link up", func() bool {
			info, err := r.Info("replication")
			return err == nil && info["master_link_status"] == "up"
		})
	}
	hosts := []string{nf.Addr(), nf.Addr(), nf.Addr()}
	e.writer = nf.Addr()
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", e.redis[0], 2, pDownAfterMs)...)
	lines = append(lines, "fence-min-replicas 1", fmt.Sprintf("fence-max-lag %d", pFenceMaxLag),
		// a new failover of the same master may start 2 x failover-timeout
		// after the previous one (Sentinel's rule): short, so that the
		// random run sees several
		"sentinel failover-timeout mymaster 4000")
	c, err := harness.StartCluster(harness.ClusterOptions{Bin: bin, Size: 3, Dir: t.TempDir(), Hosts: hosts, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	harness.DumpOnFailure(t, c.Nodes...)
	e.cluster, e.nodes = c, c.Nodes
	redistest.WaitFor(t, 15*time.Second, "every node knows both replicas and the fence is set", func() bool {
		if !everyMasterField(c.Nodes, "mymaster", "num-slaves", "2") {
			return false
		}
		for _, r := range e.redis {
			if s, err := r.Do("CONFIG", "GET", "min-replicas-to-write"); err != nil || !strings.HasSuffix(s, "\n1") {
				return false
			}
		}
		return true
	})
	return e
}

// Address groups.
func (e *penv) ip(i int) string     { return e.redis[i].Host }
func (e *penv) nodeIP(i int) string { return e.nodes[i].Host }
func (e *penv) nodeIPs(idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, e.nodeIP(i))
	}
	return out
}
func (e *penv) redisIPs(idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, e.ip(i))
	}
	return out
}
func (e *penv) all() []string {
	return append(append(e.redisIPs(0, 1, 2), e.nodeIPs(0, 1, 2)...), e.writer)
}

// without returns s minus the addresses in drop.
func without(s []string, drop ...string) []string {
	var out []string
	for _, a := range s {
		keep := true
		for _, d := range drop {
			if a == d {
				keep = false
			}
		}
		if keep {
			out = append(out, a)
		}
	}
	return out
}

// cut is two groups of addresses to cut apart.
type cut [2][]string

// isolate cuts addr from every other address of the env.
func (e *penv) isolate(addr string) cut { return cut{{addr}, without(e.all(), addr)} }

func (e *penv) cut(a, b []string) {
	e.t.Helper()
	if err := e.nf.Cut(a, b); err != nil {
		e.t.Fatal(err)
	}
	e.refreshIsolation()
}

func (e *penv) healAll() {
	e.t.Helper()
	if err := e.nf.HealAll(); err != nil {
		e.t.Fatal(err)
	}
	e.refreshIsolation()
}

func (e *penv) setNodeDown(i int, down bool) {
	e.mu.Lock()
	e.nodeDown[i] = down
	e.mu.Unlock()
	e.refreshIsolation()
}

// refreshIsolation recomputes which nodes are cut off from every majority:
// a node is in a majority when it and at least one other live node reach
// each other (3 nodes). Call it right after every change of cuts or
// liveness, so the time recorded is the time of the change.
func (e *penv) refreshIsolation() {
	cuts := map[string]bool{}
	for _, p := range e.nf.Cuts() {
		cuts[p] = true
	}
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.nodes {
		inMajority := false
		if !e.nodeDown[i] {
			for j := range e.nodes {
				if j != i && !e.nodeDown[j] && !cuts[e.nodeIP(i)+">"+e.nodeIP(j)] {
					inMajority = true
				}
			}
		}
		switch {
		case inMajority:
			e.isoSince[i] = time.Time{}
		case e.isoSince[i].IsZero():
			e.isoSince[i] = now
		}
	}
}

func (e *penv) isolation() ([]time.Time, []bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Time(nil), e.isoSince...), append([]bool(nil), e.nodeDown...)
}

// quickDo sends one command with a short deadline (a stopped or cut-off
// process must not stall the probe).
func quickDo(addr string, timeout time.Duration, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(harness.Encode(args...)); err != nil {
		return "", err
	}
	return harness.ReadReply(bufio.NewReader(c))
}

// envOr returns the environment variable k, or def when it is empty.
func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
