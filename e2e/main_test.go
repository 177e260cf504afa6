//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// bin is the raftinel binary under test, built once (with -race when the
// tests run with -race, so races inside the nodes fail the run too).
var bin string

func TestMain(m *testing.M) {
	harness.Main(m, raceEnabled, func(b string) { bin = b })
}

// fast timers for tests: the algorithm is the same, only shorter.
var fastLines = []string{
	"raft-heartbeat-timeout 150", "raft-election-timeout 150", "raft-leader-lease-timeout 100",
	"raft-stale-after 1000", "info-period 1000",
}

func monitorLines(name string, m *redistest.Server, quorum int, downAfterMs int) []string {
	return []string{
		fmt.Sprintf("sentinel monitor %s %s %d %d", name, m.Host, m.Port, quorum),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", name, downAfterMs),
		fmt.Sprintf("sentinel failover-timeout %s %d", name, 10000),
	}
}

func startNode(t *testing.T, lines ...string) *harness.Node {
	t.Helper()
	n, err := harness.StartNode(harness.NodeOptions{Bin: bin, Dir: filepath.Join(t.TempDir(), "node"), Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	harness.DumpOnFailure(t, n)
	return n
}

// runNodes starts nodes built by the test (custom peers or ports), kills
// them when it ends, and returns them as a cluster.
func runNodes(t *testing.T, nodes ...*harness.Node) *harness.Cluster {
	t.Helper()
	for _, n := range nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Kill)
	}
	harness.DumpOnFailure(t, nodes...)
	return &harness.Cluster{Nodes: nodes}
}

func startClusterTB(tb testing.TB, size int, lines ...string) (*harness.Cluster, error) {
	return harness.StartCluster(harness.ClusterOptions{Bin: bin, Size: size, Dir: tb.TempDir(), Lines: lines})
}

func startCluster(t *testing.T, size int, lines ...string) *harness.Cluster {
	t.Helper()
	c, err := startClusterTB(t, size, lines...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	harness.DumpOnFailure(t, c.Nodes...)
	return c
}

// sentinelAddrs returns the nodes' addresses for a client's sentinel list.
func sentinelAddrs(nodes ...*harness.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Addr())
	}
	return out
}

// everyMasterField reports whether every node answers SENTINEL MASTER
// name with field equal to want.
func everyMasterField(nodes []*harness.Node, name, field, want string) bool {
	for _, n := range nodes {
		s, err := n.Do("SENTINEL", "MASTER", name)
		if err != nil || harness.FlatMap(s)[field] != want {
			return false
		}
	}
	return true
}

// masterAddr asks a node GET-MASTER-ADDR-BY-NAME.
func masterAddr(n *harness.Node, name string) string {
	s, err := n.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
	if err != nil || s == "" {
		return ""
	}
	p := strings.Split(s, "\n")
	if len(p) != 2 {
		return ""
	}
	return p[0] + ":" + p[1]
}

func failoverClient(addrs []string, name string) *redis.Client {
	return redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: name, SentinelAddrs: addrs,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
		MaxRetries: -1,
	})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func bg() context.Context { return context.Background() }

func itoa(i int) string { return strconv.Itoa(i) }

func zapCore(f *os.File) zapcore.Core {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	return zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(f), zapcore.InfoLevel)
}
