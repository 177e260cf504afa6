//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

func followers(c *harness.Cluster, leader *harness.Node) []*harness.Node {
	var out []*harness.Node
	for _, n := range c.Nodes {
		if n != leader && n.Running() {
			out = append(out, n)
		}
	}
	return out
}

func myids(t *testing.T, nodes []*harness.Node) map[string]string {
	ids := map[string]string{}
	for _, n := range nodes {
		ids[n.Addr()] = mustDo(t, n, "SENTINEL", "MYID")
	}
	return ids
}

// Issue 3, acceptance 1: a write sent to a follower is answered +OK and
// visible on all nodes within 1 s; SENTINELS on each lists the other two.
func TestClusterFollowerWriteAndSentinels(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, fastLines...)
	leader, err := c.WaitLeader(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	f := followers(c, leader)[0]
	start := time.Now()
	if s := mustDo(t, f, "SENTINEL", "MONITOR", "mymaster", m.Host, itoa(m.Port), "2"); s != "OK" {
		t.Fatalf("MONITOR on a follower: %q", s)
	}
	// read-your-write on the node that answered
	if got := masterAddr(f, "mymaster"); got != m.Addr() {
		t.Fatalf("follower answers %q right after its own write", got)
	}
	redistest.WaitFor(t, time.Second-time.Since(start), "visible on all nodes within 1 s", func() bool {
		for _, n := range c.Nodes {
			if masterAddr(n, "mymaster") != m.Addr() {
				return false
			}
		}
		return true
	})
	ids := myids(t, c.Nodes)
	redistest.WaitFor(t, 5*time.Second, "SENTINELS lists the two others on every node", func() bool {
		for _, n := range c.Nodes {
			s, err := n.Do("SENTINEL", "SENTINELS", "mymaster")
			if err != nil {
				return false
			}
			maps := splitMaps(s, 14)
			if len(maps) != 2 {
				return false
			}
			for _, mm := range maps {
				addr := mm["ip"] + ":" + mm["port"]
				if addr == n.Addr() || ids[addr] != mm["name"] || mm["runid"] != mm["name"] || mm["flags"] != "sentinel" {
					return false
				}
			}
			if harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))["num-other-sentinels"] != "2" {
				return false
			}
		}
		return true
	})
	if s := mustDo(t, f, "SENTINEL", "CKQUORUM", "mymaster"); s != "OK 3 usable Sentinels. Quorum and failover authorization can be reached" {
		t.Fatalf("CKQUORUM: %q", s)
	}
	info := harness.ParseInfo(mustDo(t, f, "INFO", "sentinel"))
	if !strings.HasSuffix(info["master0"], ",slaves=0,sentinels=3") {
		t.Fatalf("INFO sentinel master0: %q", info["master0"])
	}
}

// Issue 3, acceptance 2: stop all nodes and start them again; then restart
// only the leader. Same state and myids, a leader within a few seconds.
func TestClusterFullRestartAndLeaderRestart(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, fastLines...)
	leader, _ := c.WaitLeader(5 * time.Second)
	mustDo(t, leader, "SENTINEL", "MONITOR", "mymaster", m.Host, itoa(m.Port), "2")
	mustDo(t, leader, "SENTINEL", "SET", "mymaster", "down-after-milliseconds", "4321")
	ids := myids(t, c.Nodes)
	for _, n := range c.Nodes {
		n.Kill()
	}
	start := time.Now()
	for _, n := range c.Nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	leader, err := c.WaitLeader(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("leader %v after a full restart", time.Since(start).Round(time.Millisecond))
	check := func(when string) {
		t.Helper()
		if got := myids(t, c.Nodes); len(got) != 3 || got[c.Nodes[0].Addr()] != ids[c.Nodes[0].Addr()] ||
			got[c.Nodes[1].Addr()] != ids[c.Nodes[1].Addr()] || got[c.Nodes[2].Addr()] != ids[c.Nodes[2].Addr()] {
			t.Fatalf("%s: myids changed: %v -> %v", when, ids, got)
		}
		redistest.WaitFor(t, 5*time.Second, when+": state on every node", func() bool {
			return everyMasterField(c.Nodes, "mymaster", "down-after-milliseconds", "4321")
		})
	}
	check("full restart")
	leader.Kill()
	start = time.Now()
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitLeader(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("leader %v after restarting the leader", time.Since(start).Round(time.Millisecond))
	check("leader restart")
}

// Issue 3, acceptance 3: kill -9 of the leader: a new leader, writes work.
func TestClusterKillLeader(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, fastLines...)
	leader, _ := c.WaitLeader(5 * time.Second)
	mustDo(t, leader, "SENTINEL", "MONITOR", "mymaster", m.Host, itoa(m.Port), "2")
	killed := time.Now()
	leader.Kill()
	var next *harness.Node
	redistest.WaitFor(t, 10*time.Second, "a new leader", func() bool {
		next = c.Leader()
		return next != nil && next != leader
	})
	took := time.Since(killed)
	t.Logf("new leader %s %v after kill -9 of the leader", next.Addr(), took.Round(time.Millisecond))
	f := followers(c, next)[0]
	if s := mustDo(t, f, "SENTINEL", "SET", "mymaster", "quorum", "1"); s != "OK" {
		t.Fatalf("write after re-election: %q", s)
	}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 5*time.Second, "restarted old leader catches up", func() bool {
		s, err := leader.Do("SENTINEL", "MASTER", "mymaster")
		return err == nil && harness.FlatMap(s)["quorum"] == "1"
	})
}

// Issue 3, acceptance 4: five nodes: two down and everything works; a third
// down and the survivors answer the freshness error after the bound, or the
// old answer with raft-serve-stale yes.
func TestClusterFiveNodesLoseQuorum(t *testing.T) {
	for _, serveStale := range []bool{false, true} {
		name := "fresh-only"
		if serveStale {
			name = "serve-stale"
		}
		t.Run(name, func(t *testing.T) {
			m := redistest.Start(t)
			lines := append([]string{}, fastLines...)
			if serveStale {
				lines = append(lines, "raft-serve-stale yes")
			}
			lines = append(lines, "sentinel monitor mymaster "+m.Host+" "+itoa(m.Port)+" 2")
			c := startCluster(t, 5, lines...)
			leader, _ := c.WaitLeader(5 * time.Second)
			redistest.WaitFor(t, 5*time.Second, "seeded", func() bool { return masterAddr(leader, "mymaster") == m.Addr() })
			// stop two followers, then the leader is still in a majority
			stopped := 0
			for _, n := range c.Nodes {
				if n != leader && stopped < 2 {
					n.Kill()
					stopped++
				}
			}
			f := followers(c, leader)[0]
			if s := mustDo(t, f, "SENTINEL", "SET", "mymaster", "quorum", "3"); s != "OK" {
				t.Fatalf("write with 3 of 5: %q", s)
			}
			if got := masterAddr(f, "mymaster"); got != m.Addr() {
				t.Fatalf("address with 3 of 5: %q", got)
			}
			// a third one: no majority left
			leader.Kill()
			lost := time.Now()
			survivors := followers(c, nil)
			if len(survivors) != 2 {
				t.Fatalf("%d survivors", len(survivors))
			}
			redistest.WaitFor(t, 5*time.Second, "survivors past the freshness bound", func() bool {
				for _, n := range survivors {
					_, err := n.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
					if serveStale != (err == nil) {
						return false
					}
				}
				return true
			})
			t.Logf("answer switched after %v", time.Since(lost).Round(time.Millisecond))
			for _, n := range survivors {
				_, err := n.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
				if serveStale {
					if got := masterAddr(n, "mymaster"); got != m.Addr() {
						t.Fatalf("raft-serve-stale yes: %q", got)
					}
					continue
				}
				if err == nil || !strings.HasPrefix(err.Error(), "STALE ") {
					t.Fatalf("want the STALE error, got %v", err)
				}
				for _, q := range [][]string{{"SENTINEL", "MASTERS"}, {"SENTINEL", "MASTER", "mymaster"}, {"SENTINEL", "REPLICAS", "mymaster"}} {
					if _, err := n.Do(q...); err == nil || !strings.HasPrefix(err.Error(), "STALE ") {
						t.Fatalf("%v: want STALE, got %v", q, err)
					}
				}
				// INFO, PING and ROLE still answer
				if s, err := n.Do("PING"); err != nil || s != "PONG" {
					t.Fatalf("PING: %q %v", s, err)
				}
				if _, err := n.Do("INFO"); err != nil {
					t.Fatalf("INFO: %v", err)
				}
			}
		})
	}
}

// Issue 3, acceptance 5, and issue 14: a node with a wrong or missing
// raft-secret cannot join, vote or apply; the cluster logs the refusal with
// the stranger's address. Without any secret a joining node does not even
// start.
func TestClusterSecretRefusesStrangers(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, append([]string{"raft-secret s3cret", "sentinel monitor mymaster " + m.Host + " " + itoa(m.Port) + " 2"}, fastLines...)...)
	leader, _ := c.WaitLeader(5 * time.Second)

	n, b := refusedStart(t, harness.NodeOptions{Bin: bin, Dir: filepath.Join(t.TempDir(), "node"),
		Lines: append([]string{"raft-join " + leader.Addr()}, fastLines...)})
	if !strings.Contains(string(b), n.Conf+":4: 'raft-join': raft-secret is not set") || !strings.Contains(string(b), "raft-insecure yes") {
		t.Fatalf("refusal without a secret:\n%s", b)
	}

	for _, secret := range []string{"raft-secret wrong", "raft-insecure yes"} {
		lines := append([]string{"raft-join " + leader.Addr(), secret}, fastLines...)
		n := startNode(t, lines...)
		t0 := time.Now()
		redistest.WaitFor(t, 10*time.Second, "the refusal in the stranger's log", func() bool {
			b, _ := os.ReadFile(n.Log)
			return strings.Contains(string(b), "raft join failed") && strings.Contains(string(b), "raft-secret")
		})
		t.Logf("%q refused after %v", secret, time.Since(t0))
		// not a member anywhere, and its writes go nowhere
		info := harness.ParseInfo(mustDo(t, leader, "INFO", "raft"))
		if info["raft_members"] != "3" {
			t.Fatalf("%q: members %s", secret, info["raft_members"])
		}
		if _, err := n.Do("SENTINEL", "MONITOR", "evil", m.Host, itoa(m.Port), "1"); err == nil {
			t.Fatalf("%q: write accepted", secret)
		}
		if got := masterAddr(leader, "evil"); got != "" {
			t.Fatalf("%q: write applied", secret)
		}
		n.Kill()
	}
	// The members logged the refusals, naming the peer's address.
	redistest.WaitFor(t, 5*time.Second, "the refusal in a member's log", func() bool {
		for _, cn := range c.Nodes {
			b, _ := os.ReadFile(cn.Log)
			if strings.Contains(string(b), "peer stream refused") && strings.Contains(string(b), "wrong raft-secret from 127.0.0.1:") {
				return true
			}
		}
		return false
	})
}

// refusedStart starts a node that must refuse to start and returns it with
// what it printed.
func refusedStart(t *testing.T, o harness.NodeOptions) (*harness.Node, []byte) {
	t.Helper()
	n, err := harness.NewNode(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err == nil {
		n.Kill()
		t.Fatalf("the node on %s started", n.Addr())
	}
	b, _ := os.ReadFile(n.Log)
	return n, b
}

// Issue 14: the default is safe. Nodes of a multi-node cluster without
// raft-secret refuse to start with one line naming the file, the line and
// raft-secret; with raft-insecure yes they run, and say so loudly.
func TestClusterWithoutSecretRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	var peers []string
	ports := []int{redistest.FreePort(t, "127.0.0.1"), redistest.FreePort(t, "127.0.0.1")}
	for _, p := range ports {
		peers = append(peers, "127.0.0.1:"+itoa(p))
	}
	n, b := refusedStart(t, harness.NodeOptions{Bin: bin, Port: ports[0], Dir: filepath.Join(dir, "a"),
		Lines: []string{"raft-peers " + strings.Join(peers, " ")}})
	want := "raftinel: " + n.Conf + ":4: 'raft-peers': raft-secret is not set"
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Fatalf("want one line starting %q, got:\n%s", want, b)
	}

	var nodes []*harness.Node
	for i, p := range ports {
		n, err := harness.NewNode(harness.NodeOptions{Bin: bin, Port: p, Dir: filepath.Join(dir, "insecure"+itoa(i)),
			Lines: append([]string{"raft-peers " + strings.Join(peers, " "), "raft-insecure yes"}, fastLines...)})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	c := runNodes(t, nodes...)
	if _, err := c.WaitLeader(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(nodes[0].Log)
	if !strings.Contains(string(b), "raft-insecure yes: peer streams are NOT authenticated") {
		t.Fatalf("no warning for raft-insecure:\n%s", b)
	}
}

// Issue 3: hostnames are kept as names and resolved when dialing. The
// nodes announce themselves as "localhost" and list each other by name.
func TestClusterPeersByHostname(t *testing.T) {
	var nodes []*harness.Node
	var peers []string
	ports := []int{}
	for i := 0; i < 3; i++ {
		p := redistest.FreePort(t, "127.0.0.1")
		ports = append(ports, p)
		peers = append(peers, "localhost:"+itoa(p))
	}
	m := redistest.Start(t)
	dir := t.TempDir()
	secret := harness.NewSecret()
	for i, p := range ports {
		n, err := harness.NewNode(harness.NodeOptions{Bin: bin, Port: p, Dir: dir + "/n" + itoa(i),
			Lines: append([]string{"sentinel announce-ip localhost", "sentinel resolve-hostnames yes", "sentinel announce-hostnames yes",
				"raft-peers " + strings.Join(peers, " "), "raft-secret " + secret,
				"sentinel monitor mymaster localhost " + itoa(m.Port) + " 2"}, fastLines...)})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	c := runNodes(t, nodes...)
	leader, err := c.WaitLeader(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	info := harness.ParseInfo(mustDo(t, leader, "INFO", "raft"))
	if !strings.HasPrefix(info["raft_leader"], "localhost:") || info["raft_members"] != "3" {
		t.Fatalf("raft info: %v", info)
	}
	redistest.WaitFor(t, 15*time.Second, "the master is answered by name and monitored", func() bool {
		for _, n := range nodes {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			mm := harness.FlatMap(s)
			if err != nil || mm["ip"] != "localhost" || mm["flags"] != "master" || mm["runid"] == "" {
				return false
			}
		}
		return true
	})
	ms := splitMaps(mustDo(t, nodes[0], "SENTINEL", "SENTINELS", "mymaster"), 14)
	if len(ms) != 2 || ms[0]["ip"] != "localhost" {
		t.Fatalf("SENTINELS: %v", ms)
	}
}

// Checklist 26-28: CKQUORUM counts the members this node can reach.
func TestClusterCkquorum(t *testing.T) {
	m := redistest.Start(t)
	c := startCluster(t, 3, append([]string{"sentinel monitor mymaster " + m.Host + " " + itoa(m.Port) + " 2",
		"sentinel down-after-milliseconds mymaster 1000"}, fastLines...)...)
	n := c.Nodes[0]
	redistest.WaitFor(t, 5*time.Second, "all usable", func() bool {
		s, err := n.Do("SENTINEL", "CKQUORUM", "mymaster")
		return err == nil && s == "OK 3 usable Sentinels. Quorum and failover authorization can be reached"
	})
	mustDo(t, n, "SENTINEL", "SET", "mymaster", "quorum", "4")
	redistest.WaitFor(t, 5*time.Second, "quorum 4 is out of reach", func() bool {
		_, err := n.Do("SENTINEL", "CKQUORUM", "mymaster")
		return err != nil && err.Error() == "NOQUORUM 3 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"
	})
	mustDo(t, n, "SENTINEL", "SET", "mymaster", "quorum", "2")
	c.Nodes[1].Stop()
	c.Nodes[2].Stop()
	defer c.Nodes[1].Resume()
	defer c.Nodes[2].Resume()
	redistest.WaitFor(t, 10*time.Second, "two peers paused beyond down-after", func() bool {
		_, err := n.Do("SENTINEL", "CKQUORUM", "mymaster")
		return err != nil && err.Error() == "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover"
	})
}
