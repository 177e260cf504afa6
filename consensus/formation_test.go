package consensus

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

func TestDecideFormation(t *testing.T) {
	a, b, c, d := "10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"
	abc := []string{a, b, c}
	rep := func(addr string, known ...string) formationReport {
		return formationReport{Addr: addr, Expect: 3, Known: known}
	}
	formed := func(addr string, members ...string) formationReport {
		return formationReport{Addr: addr, Formed: true, Members: members, Cluster: "cid"}
	}
	tests := []struct {
		name      string
		in        formationInput
		bootstrap bool
		conflict  bool
		status    string
	}{
		{"alone", formationInput{Self: a, Expect: 3, Known: []string{a}}, false, false, "found 1 of 3"},
		{"two of three", formationInput{Self: a, Expect: 3, Known: []string{a, b}, Reports: map[string]formationReport{b: rep(b, a, b)}}, false, false, "found 2 of 3"},
		{"an address not asked yet", formationInput{Self: a, Expect: 3, Known: abc, Unprobed: 1,
			Reports: map[string]formationReport{b: rep(b, abc...), c: rep(c, abc...)}}, false, false, "asking 1 discovered"},
		{"a candidate not answered yet", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: rep(b, abc...)}}, false, false, "waiting for " + c + " to answer"},
		{"a candidate that knows fewer", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: rep(b, abc...), c: rep(c, b, c)}}, false, false, "waiting for " + c + " to agree"},
		{"all agree", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: rep(b, c, a, b), c: rep(c, abc...)}}, true, false, "bootstrapping"},
		{"one already bootstrapped the same set", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: formed(b, abc...), c: rep(c, abc...)}}, true, false, "bootstrapping"},
		{"a candidate knows four", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: rep(b, a, b, c, d), c: rep(c, abc...)}}, false, false, "to agree"},
		{"four found", formationInput{Self: a, Expect: 3, Known: []string{a, b, c, d}}, false, true, "more than raft-bootstrap-expect 3"},
		{"another expectation", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: {Addr: b, Expect: 5, Known: abc}, c: rep(c, abc...)}}, false, true, "raft-bootstrap-expect 5"},
		{"a cluster without this node", formationInput{Self: d, Expect: 3, Known: []string{d},
			Reports: map[string]formationReport{a: formed(a, abc...)}}, false, true, "RAFT ADD " + d},
		{"a cluster with this node", formationInput{Self: c, Expect: 3, Known: []string{c},
			Reports: map[string]formationReport{a: formed(a, abc...)}}, false, false, "includes this node"},
		{"a formed candidate with another set", formationInput{Self: a, Expect: 3, Known: abc,
			Reports: map[string]formationReport{b: formed(b, b, c, d), c: rep(c, abc...)}}, false, true, "does not include this node"},
	}
	for _, tc := range tests {
		v := decideFormation(tc.in)
		if v.Bootstrap != tc.bootstrap || v.Conflict != tc.conflict || !strings.Contains(v.Status, tc.status) {
			t.Errorf("%s: %+v, want bootstrap=%v conflict=%v status ~ %q", tc.name, v, tc.bootstrap, tc.conflict, tc.status)
		}
		if v.Bootstrap && strings.Join(v.Voters, " ") != strings.Join(tc.in.Known, " ") {
			t.Errorf("%s: voters %v", tc.name, v.Voters)
		}
	}
}

// expectNodes prepares size nodes with raft-bootstrap-expect expect (not
// started); every address answers "raftinel" to the INFO question.
func expectNodes(t *testing.T, size, expect int) []*testNode {
	t.Helper()
	var nodes []*testNode
	for i := 0; i < size; i++ {
		addr := freeAddr(t)
		n := &testNode{addr: addr, dir: t.TempDir()}
		n.o = fastOptions()
		n.o.MyID = fmt.Sprintf("%040d", i+1)
		n.o.BootstrapExpect = expect
		n.o.IsRaftinel = func(context.Context, string) (bool, error) { return true, nil }
		nodes = append(nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
	})
	return nodes
}

func formed(n *testNode) bool { return n.store != nil && n.store.Forming() == nil }

func clusterIDOf(t *testing.T, n *testNode) string {
	t.Helper()
	for _, kv := range n.store.RaftInfo() {
		if kv[0] == "raft_cluster_id" {
			return kv[1]
		}
	}
	t.Fatal("no raft_cluster_id")
	return ""
}

func infoField(n *testNode, key string) string {
	for _, kv := range n.store.RaftInfo() {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// Three nodes that each hear of one other form one cluster: the reports
// carry the rest. Until then they are stale and say why.
func TestFormationByDiscovery(t *testing.T) {
	nodes := expectNodes(t, 3, 3)
	for _, n := range nodes {
		startNode(t, n)
	}
	for _, n := range nodes {
		if err := n.store.Forming(); err == nil || n.store.Fresh() == nil {
			t.Fatalf("a node without peers is formed (%v) or fresh", err)
		}
	}
	if s := infoField(nodes[0], "raft_formation_status"); !strings.Contains(s, "found 1 of 3") {
		t.Fatalf("status before any hint: %q", s)
	}
	for i, n := range nodes {
		n.store.FormationHint(nodes[(i+1)%3].addr)
	}
	redistest.WaitFor(t, 15*time.Second, "all formed", func() bool { return formed(nodes[0]) && formed(nodes[1]) && formed(nodes[2]) })
	l := leaderOf(t, nodes)
	if _, err := l.store.Apply(context.Background(), monitorCmd("m", 6379)); err != nil {
		t.Fatal(err)
	}
	id := clusterIDOf(t, nodes[0])
	if want := deriveClusterID([]string{nodes[0].addr, nodes[1].addr, nodes[2].addr}); id != hex.EncodeToString(want[:]) {
		t.Fatalf("cluster id %s, want the one derived from the three voters", id)
	}
	for _, n := range nodes {
		redistest.WaitFor(t, 5*time.Second, "the entry on "+n.addr, func() bool { return hasMaster(n, "m") })
		if got := clusterIDOf(t, n); got != id {
			t.Fatalf("%s: cluster id %s, want %s", n.addr, got, id)
		}
		if len(n.store.Members()) != 3 || n.store.MemberCount() != 3 {
			t.Fatalf("%s: members %v, count %d", n.addr, n.store.Members(), n.store.MemberCount())
		}
		if infoField(n, "raft_members") != "3" || infoField(n, "raft_voters") != "3" {
			t.Fatalf("%s: INFO raft_members %q raft_voters %q", n.addr, infoField(n, "raft_members"), infoField(n, "raft_voters"))
		}
		for _, k := range []string{"raft_term", "raft_commit_index", "raft_last_log_index", "raft_applied_index"} {
			if v, err := strconv.ParseUint(infoField(n, k), 10, 64); err != nil || v == 0 {
				t.Fatalf("%s: INFO %s %q", n.addr, k, infoField(n, k))
			}
		}
		if b, err := os.ReadFile(filepath.Join(n.dir, clusterIDFile)); err != nil || strings.TrimSpace(string(b)) != id {
			t.Fatalf("%s: cluster-id file %q %v", n.addr, b, err)
		}
		if infoField(n, "raft_formation") != "formed" {
			t.Fatalf("%s: INFO raft_formation %q", n.addr, infoField(n, "raft_formation"))
		}
	}

	// A restart with state runs no formation and keeps the cluster.
	nodes[1].stop()
	startNode(t, nodes[1])
	if nodes[1].store.form != nil || nodes[1].store.Forming() != nil {
		t.Fatal("a node with Raft state formed again")
	}
	redistest.WaitFor(t, 5*time.Second, "the restarted node back", func() bool { return nodes[1].store.Fresh() == nil })
	if got := clusterIDOf(t, nodes[1]); got != id {
		t.Fatalf("after restart: cluster id %s", got)
	}
}

// Four nodes expecting three form nothing and say why; a node that finds an
// existing cluster it is not part of does not bootstrap either.
func TestFormationRefusesExtraNodes(t *testing.T) {
	nodes := expectNodes(t, 4, 3)
	for _, n := range nodes {
		startNode(t, n)
	}
	for _, n := range nodes {
		for _, o := range nodes {
			n.store.FormationHint(o.addr)
		}
	}
	redistest.WaitFor(t, 10*time.Second, "every node blocked", func() bool {
		for _, n := range nodes {
			if infoField(n, "raft_formation") != "blocked" {
				return false
			}
		}
		return true
	})
	for _, n := range nodes {
		if formed(n) || len(n.store.Members()) != 0 {
			t.Fatalf("%s formed a cluster with four nodes expecting three", n.addr)
		}
		if s := infoField(n, "raft_formation_status"); !strings.Contains(s, "found 4 raftinel nodes") {
			t.Fatalf("%s: status %q", n.addr, s)
		}
	}
}

func TestFormationLateNodeDoesNotBootstrap(t *testing.T) {
	nodes := expectNodes(t, 4, 3)
	for _, n := range nodes[:3] {
		startNode(t, n)
		n.store.FormationHint(nodes[0].addr)
	}
	redistest.WaitFor(t, 15*time.Second, "three formed", func() bool { return formed(nodes[0]) && formed(nodes[1]) && formed(nodes[2]) })
	late := nodes[3]
	startNode(t, late)
	late.store.FormationHint(nodes[2].addr)
	redistest.WaitFor(t, 10*time.Second, "the late node blocked", func() bool { return infoField(late, "raft_formation") == "blocked" })
	if s := infoField(late, "raft_formation_status"); !strings.Contains(s, "RAFT ADD "+late.addr) {
		t.Fatalf("status %q", s)
	}
	if formed(late) || len(nodes[0].store.Members()) != 3 {
		t.Fatal("the late node formed or joined by itself")
	}
}

// A node restarted in the middle of formation keeps the candidates it had
// found (the formation file): its set never shrinks.
func TestFormationSurvivesRestart(t *testing.T) {
	nodes := expectNodes(t, 3, 3)
	startNode(t, nodes[0])
	startNode(t, nodes[1])
	nodes[0].store.FormationHint(nodes[1].addr)
	redistest.WaitFor(t, 10*time.Second, "two know each other", func() bool {
		return infoField(nodes[0], "raft_formation_found") == "2" && infoField(nodes[1], "raft_formation_found") == "2"
	})
	nodes[1].stop()
	startNode(t, nodes[1])
	if got := infoField(nodes[1], "raft_formation_found"); got != "2" {
		t.Fatalf("after a restart the node found %s candidates, want the 2 it had", got)
	}
	startNode(t, nodes[2])
	nodes[2].store.FormationHint(nodes[1].addr)
	redistest.WaitFor(t, 15*time.Second, "all formed", func() bool { return formed(nodes[0]) && formed(nodes[1]) && formed(nodes[2]) })
	id := clusterIDOf(t, nodes[0])
	for _, n := range nodes[1:] {
		if clusterIDOf(t, n) != id {
			t.Fatal("two cluster ids")
		}
	}
}

// A raftinel node with another raft-secret is no candidate.
func TestFormationIgnoresOtherSecret(t *testing.T) {
	nodes := expectNodes(t, 4, 3)
	nodes[3].o.Secret = "another-secret"
	for _, n := range nodes {
		startNode(t, n)
		for _, o := range nodes {
			n.store.FormationHint(o.addr)
		}
	}
	redistest.WaitFor(t, 15*time.Second, "three formed", func() bool { return formed(nodes[0]) && formed(nodes[1]) && formed(nodes[2]) })
	if formed(nodes[3]) {
		t.Fatal("the node with another secret formed")
	}
	for _, m := range nodes[0].store.Members() {
		if m.Addr == nodes[3].addr {
			t.Fatal("the node with another secret is a member")
		}
	}
}
