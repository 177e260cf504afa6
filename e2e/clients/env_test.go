//go:build e2e

package clients

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
)

const masterName = "mymaster"

// Passwords of the auth environment.
const (
	sentinelPass = "node-secret"
	redisPass    = "redis-secret"
)

// downAfterMs is what a careful user sets on a LAN; everything else in
// raftinel's configuration is left at its default.
const downAfterMs = 1000

// env is a redis-server master with two replicas watched by a 3-node
// raftinel cluster, all on loopback; with auth, every redis-server has
// requirepass (and masterauth) and every node requirepass.
type env struct {
	t       *testing.T
	redis   []*harness.Redis // [0] is the initial master
	cluster *harness.Cluster
	nodes   []*harness.Node
	spass   string
	rpass   string
}

func newEnv(t *testing.T, auth bool) *env {
	t.Helper()
	e := &env{t: t}
	if auth {
		e.spass, e.rpass = sentinelPass, redisPass
	}
	dir := t.TempDir()
	m := e.startRedis(filepath.Join(dir, "redis0"), nil)
	for i := 1; i <= 2; i++ {
		e.startRedis(filepath.Join(dir, fmt.Sprintf("redis%d", i)), m)
	}
	for _, r := range e.redis[1:] {
		redistest.WaitFor(t, 15*time.Second, "replica "+r.Addr()+" link up", func() bool {
			info, err := r.Info("replication")
			return err == nil && info["master_link_status"] == "up"
		})
	}
	lines := []string{
		fmt.Sprintf("sentinel monitor %s %s %d 2", masterName, m.Host, m.Port),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", masterName, downAfterMs),
	}
	if auth {
		lines = append(lines, fmt.Sprintf("sentinel auth-pass %s %s", masterName, redisPass))
	}
	c, err := harness.StartCluster(harness.ClusterOptions{Bin: bin, Size: 3, Dir: filepath.Join(dir, "nodes"), Lines: lines, Password: e.spass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	e.cluster, e.nodes = c, c.Nodes
	harness.DumpOnFailure(t, c.Nodes...)
	e.waitStreaming(m)
	redistest.WaitFor(t, 15*time.Second, "every node knows the master and both replicas", func() bool {
		for _, n := range e.nodes {
			s, err := n.Do("SENTINEL", "MASTER", masterName)
			if err != nil {
				return false
			}
			mm := harness.FlatMap(s)
			if mm["num-slaves"] != "2" || mm["flags"] != "master" || mm["port"] != strconv.Itoa(m.Port) {
				return false
			}
			// a replica-only client skips replicas flagged disconnected
			if s, err = n.Do("SENTINEL", "REPLICAS", masterName); err != nil || !slices.Equal(harness.ReplicaFlags(s), []string{"slave", "slave"}) {
				return false
			}
		}
		return true
	})
	return e
}

func (e *env) startRedis(dir string, master *harness.Redis) *harness.Redis {
	e.t.Helper()
	r, err := harness.StartRedis(harness.RedisOptions{Dir: dir, ReplicaOf: master, Password: e.rpass})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(r.Kill)
	e.redis = append(e.redis, r)
	return r
}

// waitStreaming waits until m streams writes to both replicas. After a
// diskless full sync the replica reports its link up at once, but the
// master keeps the replication stream back until the replica's first
// REPLCONF ACK (up to a second later): a master killed in between takes
// every write of that second with it, whatever the sentinels do.
func (e *env) waitStreaming(m *harness.Redis) {
	e.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), Password: e.rpass})
	defer c.Close()
	ctx := context.Background()
	redistest.WaitFor(e.t, 15*time.Second, "the master streams writes to both replicas", func() bool {
		if err := c.Set(ctx, "env:ready", "1", 0).Err(); err != nil {
			return false
		}
		n, err := c.Wait(ctx, 2, 200*time.Millisecond).Result()
		return err == nil && n == 2
	})
}

// config is a client's configuration: every node, in order.
func (e *env) config(prefix string) config {
	var addrs []string
	for _, n := range e.nodes {
		addrs = append(addrs, n.Addr())
	}
	return config{sentinels: addrs, master: masterName, sentinelPass: e.spass, redisPass: e.rpass, prefix: prefix, period: 50 * time.Millisecond}
}

// answer returns the master address every running node answers, or "".
func (e *env) answer() string {
	agreed := ""
	for _, n := range e.nodes {
		if !n.Running() {
			continue
		}
		s, err := n.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)
		if err != nil {
			return ""
		}
		a := strings.Replace(s, "\n", ":", 1)
		if agreed != "" && a != agreed {
			return ""
		}
		agreed = a
	}
	return agreed
}

// master returns the redis-server every node names as the master.
func (e *env) master() *harness.Redis {
	e.t.Helper()
	var m *harness.Redis
	redistest.WaitFor(e.t, 10*time.Second, "every node answers the same master", func() bool {
		m = e.byAddr(e.answer())
		return m != nil
	})
	return m
}

func (e *env) byAddr(addr string) *harness.Redis {
	for _, r := range e.redis {
		if r.Addr() == addr {
			return r
		}
	}
	return nil
}

func (e *env) byPort(port int) *harness.Redis {
	for _, r := range e.redis {
		if r.Port == port {
			return r
		}
	}
	return nil
}

// missing returns the keys absent from the server r.
func (e *env) missing(r *harness.Redis, keys []string) []string {
	e.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), Password: e.rpass})
	defer c.Close()
	var out []string
	for i := 0; i < len(keys); i += 500 {
		j := min(i+500, len(keys))
		vals, err := c.MGet(context.Background(), keys[i:j]...).Result()
		if err != nil {
			e.t.Fatalf("MGET on %s: %v", r.Addr(), err)
		}
		for k, v := range vals {
			if v == nil {
				out = append(out, keys[i+k])
			}
		}
	}
	return out
}
