//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// expectNode builds (does not start) a raftinel node that forms its
// cluster by discovery: no raft-peers, raft-bootstrap-expect n.
func expectNode(t *testing.T, dir string, port int, secret string, expect int, lines ...string) *harness.Node {
	t.Helper()
	n, err := harness.NewNode(harness.NodeOptions{Bin: bin, Dir: dir, Port: port,
		Lines: append([]string{"raft-secret " + secret, "raft-bootstrap-expect " + itoa(expect)}, lines...)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func raftField(n *harness.Node, key string) string {
	info, err := n.Info("raft")
	if err != nil {
		return ""
	}
	return info[key]
}

// Three raftinel nodes with nothing but the master in common (no
// raft-peers, no known-sentinel lines) find each other through the hello
// channel and form one cluster; a redis-sentinel on the same master is
// told apart (INFO) and not counted. Until the cluster exists a node
// answers -STALE and says why in INFO raft.
func TestFormationThroughHellos(t *testing.T) {
	set := redistest.StartSet(t, 1)
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", set.Master, 2, 1000)...)
	startRedisSentinel(t, filepath.Join(t.TempDir(), "sentinel"), 0, monitorLines("mymaster", set.Master, 2, 1000)...)
	secret := harness.NewSecret()
	var nodes []*harness.Node
	for i := range 3 {
		nodes = append(nodes, expectNode(t, filepath.Join(t.TempDir(), "node"+itoa(i)), 0, secret, 3, lines...))
	}
	runNodes(t, nodes[:2]...)
	redistest.WaitFor(t, 15*time.Second, "the first two find each other", func() bool {
		return raftField(nodes[0], "raft_formation_found") == "2" && raftField(nodes[1], "raft_formation_found") == "2"
	})
	for _, n := range nodes[:2] {
		if _, err := n.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); err == nil || !strings.HasPrefix(err.Error(), "STALE") {
			t.Fatalf("%s answers before its cluster exists: %v", n.Addr(), err)
		}
		info, _ := n.Info("raft")
		if info["raft_formation"] != "waiting" || !strings.Contains(info["raft_formation_status"], "found 2 of 3") {
			t.Fatalf("INFO raft while forming: %v", info)
		}
	}
	runNodes(t, nodes[2])
	redistest.WaitFor(t, 20*time.Second, "one cluster of three answering the master", func() bool {
		for _, n := range nodes {
			if masterAddr(n, "mymaster") != set.Master.Addr() || raftField(n, "raft_voters") != "3" || raftField(n, "raft_formation") != "formed" {
				return false
			}
		}
		return true
	})
	id := raftField(nodes[0], "raft_cluster_id")
	for _, n := range nodes {
		if raftField(n, "raft_cluster_id") != id {
			t.Fatalf("%s: cluster %s, want %s", n.Addr(), raftField(n, "raft_cluster_id"), id)
		}
	}
	// A restart with state does not form again.
	nodes[1].Kill()
	if err := nodes[1].Start(); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 10*time.Second, "the restarted node answers", func() bool { return masterAddr(nodes[1], "mymaster") == set.Master.Addr() })
	if info, _ := nodes[1].Info("raft"); info["raft_cluster_id"] != id || info["raft_formation"] != "" {
		t.Fatalf("after a restart: %v", info)
	}
}
