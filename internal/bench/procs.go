package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/wait"
	"github.com/redis/go-redis/v9"
)

// System is what is measured.
type System string

const (
	Raftinel System = "raftinel"
	Sentinel System = "redis-sentinel"
)

// ErrNotReady is returned when processes do not reach the state a scenario
// starts from within its bound.
var ErrNotReady = errors.New("not ready")

// masterSpec is one `sentinel monitor` line, with its known replicas.
type masterSpec struct {
	name     string
	host     string
	port     int
	replicas []string // host:port, `sentinel known-replica` lines
}

// monitorLines are the Sentinel directives both systems get, identical.
func (b *Bench) monitorLines(masters []masterSpec, quorum int) []string {
	var lines []string
	for _, m := range masters {
		lines = append(lines,
			fmt.Sprintf("sentinel monitor %s %s %d %d", m.name, m.host, m.port, quorum),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", m.name, b.cfg.DownAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", m.name, b.cfg.FailoverTimeout.Milliseconds()))
		for _, r := range m.replicas {
			h, p, _ := net.SplitHostPort(r)
			lines = append(lines, fmt.Sprintf("sentinel known-replica %s %s %s", m.name, h, p))
		}
	}
	return lines
}

// cluster is a running set of monitors of one system.
type cluster struct {
	sys     System
	nodes   []*harness.Node
	clients []*redis.SentinelClient // one persistent query client per node
}

// startMonitors starts len(hosts) monitors of sys watching masters, tried
// up to 3 times when a port picked as free was taken before the process
// bound it.
func (b *Bench) startMonitors(sys System, dir string, hosts []string, masters []masterSpec) (c *cluster, err error) {
	return b.startMonitorsWith(sys, dir, hosts, masters, nil)
}

// startMonitorsWith is startMonitors with extra raftinel-only lines.
func (b *Bench) startMonitorsWith(sys System, dir string, hosts []string, masters []masterSpec, extra []string) (c *cluster, err error) {
	for try := 0; try < 3; try++ {
		if err = freshDir(dir); err != nil {
			return nil, err
		}
		if c, err = b.startMonitorsOnce(sys, dir, hosts, masters, extra); err == nil || !strings.Contains(err.Error(), "in use") {
			return c, err
		}
	}
	return nil, err
}

func (b *Bench) startMonitorsOnce(sys System, dir string, hosts []string, masters []masterSpec, extra []string) (*cluster, error) {
	lines := b.monitorLines(masters, b.cfg.Quorum)
	c := &cluster{sys: sys}
	switch sys {
	case Raftinel:
		// A secret per bench run: multi-node clusters require one.
		own := append([]string{"raft-secret " + b.secret}, b.cfg.RaftinelLines...)
		rc, err := harness.StartCluster(harness.ClusterOptions{
			Bin: b.cfg.RaftinelBin, Size: len(hosts), Dir: dir, Hosts: hosts,
			Lines: append(append(own, extra...), lines...),
		})
		if err != nil {
			return nil, err
		}
		c.nodes = rc.Nodes
	case Sentinel:
		for i, h := range hosts {
			ndir := filepath.Join(dir, fmt.Sprintf("sentinel%d", i+1))
			if err := os.MkdirAll(filepath.Join(ndir, "data"), 0o755); err != nil {
				return nil, err
			}
			// announce-ip: redis-sentinel dials from 127.0.0.1 whatever it
			// binds to, so without it the others would learn that address.
			n, err := harness.NewNode(harness.NodeOptions{
				Bin: b.cfg.SentinelBin, Host: h, Dir: ndir, Args: b.cfg.SentinelArgs,
				Lines: append([]string{"sentinel announce-ip " + h}, lines...),
			})
			if err != nil {
				return nil, err
			}
			c.nodes = append(c.nodes, n)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(c.nodes))
		for i, n := range c.nodes {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = n.Start() }()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			c.close()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown system %q", sys)
	}
	for _, n := range c.nodes {
		c.clients = append(c.clients, redis.NewSentinelClient(&redis.Options{
			Addr: n.Addr(), DialTimeout: 500 * time.Millisecond,
			ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
		}))
	}
	return c, nil
}

func (c *cluster) close() {
	for _, cl := range c.clients {
		cl.Close()
	}
	for _, n := range c.nodes {
		n.Kill()
	}
}

func (c *cluster) addrs() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.Addr())
	}
	return out
}

// masterAddr is node i's answer to GET-MASTER-ADDR-BY-NAME ("" on error).
func (c *cluster) masterAddr(ctx context.Context, i int, name string) string {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	v, err := c.clients[i].GetMasterAddrByName(ctx, name).Result()
	if err != nil || len(v) != 2 {
		return ""
	}
	return net.JoinHostPort(v[0], v[1])
}

// agreedMaster is the address every node answers, "" when they differ.
func (c *cluster) agreedMaster(ctx context.Context, name string) string {
	first := ""
	for i := range c.nodes {
		a := c.masterAddr(ctx, i, name)
		if a == "" || (first != "" && a != first) {
			return ""
		}
		first = a
	}
	return first
}

// knowsSet reports whether every node sees replicas replicas and the other
// monitors of name: the state a failover can start from.
func (c *cluster) knowsSet(ctx context.Context, name string, replicas int) bool {
	for _, cl := range c.clients {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		m, err := cl.Master(cctx, name).Result()
		cancel()
		if err != nil || m["flags"] != "master" || m["num-slaves"] != strconv.Itoa(replicas) ||
			m["num-other-sentinels"] != strconv.Itoa(len(c.nodes)-1) {
			return false
		}
	}
	return true
}

// redisSet is a master and its replicas.
type redisSet struct {
	master   *harness.Redis
	replicas []*harness.Redis
}

// startSet starts a master on hosts[0] and a replica on each other host.
// A server on an address other than 127.0.0.1 also dials from it
// (bind-source-addr), so that a partition can tell its traffic apart.
func startSet(dir string, hosts []string) (*redisSet, error) {
	opts := func(i int, h string) harness.RedisOptions {
		o := harness.RedisOptions{Host: h, Dir: filepath.Join(dir, fmt.Sprintf("redis%d", i+1))}
		if h != "127.0.0.1" {
			o.Lines = []string{"bind-source-addr " + h}
		}
		return o
	}
	m, err := startRedis(opts(0, hosts[0]))
	if err != nil {
		return nil, err
	}
	s := &redisSet{master: m}
	for i, h := range hosts[1:] {
		o := opts(i+1, h)
		o.ReplicaOf = m
		r, err := startRedis(o)
		if err != nil {
			s.close()
			return nil, err
		}
		s.replicas = append(s.replicas, r)
	}
	err = waitUntil(10*time.Second, func() bool {
		for _, r := range s.replicas {
			if info, err := r.Info("replication"); err != nil || info["master_link_status"] != "up" {
				return false
			}
		}
		return true
	})
	if err != nil {
		s.close()
		return nil, fmt.Errorf("replicas linked: %w", err)
	}
	return s, nil
}

// startRedis is harness.StartRedis, tried up to 3 times: the free port it
// picks can be taken (by an outgoing connection's ephemeral port on a busy
// machine) before redis-server binds it.
func startRedis(o harness.RedisOptions) (r *harness.Redis, err error) {
	for try := 0; try < 3; try++ {
		if r, err = harness.StartRedis(o); err == nil || !strings.Contains(err.Error(), "already in use") {
			return r, err
		}
	}
	return nil, err
}

func (s *redisSet) all() []*harness.Redis { return append([]*harness.Redis{s.master}, s.replicas...) }

func (s *redisSet) byAddr(addr string) *harness.Redis {
	for _, r := range s.all() {
		if r.Addr() == addr {
			return r
		}
	}
	return nil
}

func (s *redisSet) close() {
	for _, r := range s.all() {
		if r != nil {
			r.Kill()
		}
	}
}

// isReplicaOf reports whether r replicates from master.
func isReplicaOf(r, master *harness.Redis) bool {
	info, err := r.Info("replication")
	return err == nil && info["role"] == "slave" && info["master_host"] == master.Host &&
		info["master_port"] == strconv.Itoa(master.Port)
}

// waitUntil is wait.Until for the bench: a timeout is ErrNotReady, which
// the scenarios report as a run that did not get ready.
func waitUntil(timeout time.Duration, cond func() bool) error {
	if err := wait.Until(context.Background(), timeout, "ready", cond); err != nil {
		return fmt.Errorf("%w within %v", ErrNotReady, timeout)
	}
	return nil
}

// freshDir empties dir: a data dir left by an earlier run (with -work) would
// hold another cluster's Raft state.
func freshDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}

func hosts(n int, host string) []string { return strings.Fields(strings.Repeat(host+" ", n)) }

// rolesWait bounds how long raftRoles waits for an election that is still
// going on (a cluster just started on a loaded machine).
const rolesWait = 10 * time.Second

// raftRoles returns the raftinel leader and one follower of c, waiting at
// most rolesWait for both to exist (nil for what is missing by then).
func raftRoles(c *cluster) (leader, follower *harness.Node) {
	_ = waitUntil(rolesWait, func() bool {
		leader, follower = raftRolesNow(c)
		return leader != nil && follower != nil
	})
	return leader, follower
}

// raftRolesNow is raftRoles without waiting.
func raftRolesNow(c *cluster) (leader, follower *harness.Node) {
	for _, n := range c.nodes {
		info, err := n.Info("raft")
		if err != nil {
			return nil, nil
		}
		switch info["raft_state"] {
		case "leader":
			leader = n
		case "follower":
			if follower == nil {
				follower = n
			}
		}
	}
	return leader, follower
}
