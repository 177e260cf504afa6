//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/view"
	"github.com/redis/go-redis/v9"
)

// sentinelBin is redis-sentinel; the test is skipped without it, except
// under CI (scripts/deps.sh installs it).
func sentinelBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-sentinel")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-sentinel not installed (apt-get install -y redis-sentinel)")
		}
		t.Fatal("redis-sentinel not installed (scripts/deps.sh: apt-get install -y redis-sentinel)")
	}
	return p
}

// startRedisSentinel runs a real redis-sentinel on port (0: a free one)
// with lines, killed when the test ends.
func startRedisSentinel(t *testing.T, dir string, port int, lines ...string) *harness.Node {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := harness.NewNode(harness.NodeOptions{Bin: sentinelBin(t), Dir: dir, Port: port,
		Lines: append([]string{"sentinel announce-ip 127.0.0.1"}, lines...)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	harness.DumpOnFailure(t, n)
	return n
}

// sentinelsOf is SENTINEL SENTINELS <name> on n.
func sentinelsOf(n *harness.Node, name string) []map[string]string {
	c := redis.NewSentinelClient(&redis.Options{Addr: n.Addr()})
	defer c.Close()
	ms, _ := c.Sentinels(bg(), name).Result()
	return ms
}

// helloWatch collects the hello messages published on a Redis.
type helloWatch struct{ got chan view.Hello }

func watchHellos(t *testing.T, addr string) helloWatch {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	sub := c.Subscribe(bg(), view.HelloChannel)
	if _, err := sub.Receive(bg()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close(); c.Close() })
	w := helloWatch{got: make(chan view.Hello, 1024)}
	go func() {
		for m := range sub.Channel() {
			if len(strings.Split(m.Payload, ",")) != 8 {
				t.Errorf("a hello of %d fields: %q", len(strings.Split(m.Payload, ",")), m.Payload)
				continue
			}
			h, err := view.ParseHello(m.Payload)
			if err != nil {
				t.Errorf("malformed hello %q: %v", m.Payload, err)
				continue
			}
			select {
			case w.got <- h:
			default:
			}
		}
	}()
	return w
}

// from waits until every id in ids has published a hello matching ok.
func (w helloWatch) from(t *testing.T, ids map[string]string, ok func(view.Hello) bool) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	deadline := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case h := <-w.got:
			if want[h.MyID] && ok(h) {
				delete(want, h.MyID)
			}
		case <-deadline:
			t.Fatalf("no hello from %v", want)
		}
	}
}

// raftinel publishes Sentinel's hello messages on every monitored master
// and replica; a real redis-sentinel 7 watching the same master lists the
// raftinel nodes as sentinels, and follows raftinel's failover through the
// config epoch of their hellos (it cannot reach its own quorum here).
func TestHelloReadByRedisSentinel(t *testing.T) {
	set := redistest.StartSet(t, 2)
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", set.Master, 2, 1000)...)
	c := startCluster(t, 3, lines...)
	waitReplicasKnown(t, c.Nodes, 2)
	ids := myids(t, c.Nodes)
	port := map[string]int{}
	for _, n := range c.Nodes {
		port[ids[n.Addr()]] = n.Port
	}
	onMaster, onReplica := watchHellos(t, set.Master.Addr()), watchHellos(t, set.Replicas[1].Addr())
	for _, w := range []helloWatch{onMaster, onReplica} {
		w.from(t, ids, func(h view.Hello) bool {
			return h.IP == "127.0.0.1" && h.Port == port[h.MyID] && h.Master == "mymaster" &&
				h.MasterIP == set.Master.Host && h.MasterPort == set.Master.Port && h.CurrentEpoch == 0 && h.ConfigEpoch == 0
		})
	}

	// quorum 5: this redis-sentinel never reaches ODOWN by itself.
	rs := startRedisSentinel(t, filepath.Join(t.TempDir(), "sentinel"), 0,
		"sentinel monitor mymaster "+set.Master.Host+" "+itoa(set.Master.Port)+" 5",
		"sentinel down-after-milliseconds mymaster 1000", "sentinel failover-timeout mymaster 10000")
	redistest.WaitFor(t, 15*time.Second, "the redis-sentinel lists the three raftinel nodes", func() bool {
		seen := 0
		for _, s := range sentinelsOf(rs, "mymaster") {
			if ids[s["ip"]+":"+s["port"]] == s["runid"] && !strings.Contains(s["flags"], "down") {
				seen++
			}
		}
		return seen == 3
	})

	set.Master.Kill()
	e := &failoverEnv{set: set, cluster: c, nodes: c.Nodes}
	nm := e.waitNewMaster(t)
	redistest.WaitFor(t, 15*time.Second, "the redis-sentinel answers raftinel's new master", func() bool { return masterAddr(rs, "mymaster") == nm.Addr() })
	log, _ := os.ReadFile(rs.Log)
	if !strings.Contains(string(log), "+config-update-from") || strings.Contains(string(log), "+elected-leader") {
		t.Fatalf("the redis-sentinel did not take the new master from a raftinel hello (or failed over itself):\n%s", log)
	}
	// The new master's hellos carry the failover's epoch.
	onNew := watchHellos(t, nm.Addr())
	onNew.from(t, ids, func(h view.Hello) bool {
		return h.MasterPort == nm.Port && h.ConfigEpoch > 0 && h.CurrentEpoch >= h.ConfigEpoch
	})
}
