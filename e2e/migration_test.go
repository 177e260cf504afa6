//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/load"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// The rolling migration of docs/operations.md ("Migrating from
// redis-sentinel"): three redis-sentinel processes (quorum 2) watch a real
// master and two replicas while a go-redis FailoverClient writes through
// them; each sentinel in turn is stopped and a raftinel process started on
// its port with its own config file plus raft-secret and
// raft-bootstrap-expect 3. No failover may happen, every acknowledged
// write must be on the master at the end, the client must see no error,
// and the three raftinel nodes must end as one cluster that answers the
// master and keeps it.
func TestRollingMigrationFromRedisSentinel(t *testing.T) {
	set := redistest.StartSet(t, 2)
	orig := set.Master.Addr()
	base := t.TempDir()
	var sentinels []*harness.Node
	for i := range 3 {
		sentinels = append(sentinels, startRedisSentinel(t, filepath.Join(base, fmt.Sprintf("sentinel%d", i+1)), 0,
			monitorLines("mymaster", set.Master, 2, 1000)...))
	}
	redistest.WaitFor(t, 20*time.Second, "every sentinel knows the replicas and the two other sentinels", func() bool {
		for _, s := range sentinels {
			m, err := s.Do("SENTINEL", "MASTER", "mymaster")
			if err != nil || harness.FlatMap(m)["num-slaves"] != "2" || harness.FlatMap(m)["num-other-sentinels"] != "2" {
				return false
			}
		}
		return true
	})
	epoch0 := harness.FlatMap(mustDo(t, sentinels[0], "SENTINEL", "MASTER", "mymaster"))["config-epoch"]
	addrs := sentinelAddrs(sentinels...)
	switches := watchSwitches(t, sentinels) // go-redis re-subscribes on the same address: raftinel's events too
	w := load.Start(load.Options{Sentinels: addrs, Period: 20 * time.Millisecond})
	time.Sleep(500 * time.Millisecond) // a few writes through redis-sentinel before the first swap
	secret := harness.NewSecret()
	var nodes []*harness.Node
	for i, s := range sentinels {
		start := time.Now()
		conf, err := os.ReadFile(s.Conf) // redis-sentinel keeps its file current
		if err != nil {
			t.Fatal(err)
		}
		if code := s.Term(10 * time.Second); code != 0 {
			t.Fatalf("redis-sentinel %s exited with %d", s.Addr(), code)
		}
		lines := append(strings.Split(strings.TrimSpace(string(conf)), "\n"),
			"dir "+filepath.Join(base, fmt.Sprintf("raftinel%d", i+1), "data"),
			"raft-secret "+secret, "raft-bootstrap-expect 3")
		lines = append(lines, fastLines...)
		n, err := harness.NewNode(harness.NodeOptions{Bin: bin, Dir: filepath.Join(base, fmt.Sprintf("raftinel%d", i+1)), Port: s.Port, Lines: lines})
		if err != nil {
			t.Fatal(err)
		}
		runNodes(t, n)
		up := time.Since(start)
		myid := mustDo(t, n, "SENTINEL", "MYID")
		if !strings.Contains(string(conf), "sentinel myid "+myid) {
			t.Fatalf("raftinel on %s did not take over the sentinel's myid (%s)", n.Addr(), myid)
		}
		// The entry of the sentinel that was there is kept (same address,
		// same myid): a hello from raftinel must refresh it.
		redistest.WaitFor(t, 15*time.Second, "the remaining redis-sentinels hear "+n.Addr(), func() bool {
			for _, o := range sentinels[i+1:] {
				found := false
				for _, p := range sentinelsOf(o, "mymaster") {
					found = found || (p["ip"]+":"+p["port"] == n.Addr() && p["runid"] == myid && !strings.Contains(p["flags"], "down") &&
						time.Duration(atoi(p["last-hello-message"]))*time.Millisecond < time.Since(start)-up)
				}
				if !found {
					return false
				}
			}
			return true
		})
		nodes = append(nodes, n)
		t.Logf("step %d: redis-sentinel %s replaced: raftinel answering after %v, its hello heard by the remaining sentinels after %v",
			i+1, n.Addr(), up.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	formedAt := time.Now()
	redistest.WaitFor(t, 20*time.Second, "one raftinel cluster of three answering the master", func() bool {
		id := raftField(nodes[0], "raft_cluster_id")
		for _, n := range nodes {
			if masterAddr(n, "mymaster") != orig || raftField(n, "raft_voters") != "3" || raftField(n, "raft_cluster_id") != id {
				return false
			}
		}
		return true
	})
	t.Logf("cluster formed and answering %v after the last swap", time.Since(formedAt).Round(time.Millisecond))
	waitReplicasKnown(t, nodes, 2)
	time.Sleep(3 * time.Second) // writes through raftinel; three down-after periods in which nothing may happen
	res := w.Stop()
	acked, errs := res.Keys(), res.Kinds()

	if switches.count() != 0 {
		t.Fatalf("+switch-master during the migration: %v", switches.got)
	}
	for _, n := range nodes {
		m := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))
		if masterAddr(n, "mymaster") != orig || m["config-epoch"] != epoch0 || m["flags"] != "master" {
			t.Fatalf("%s after the migration: master %s, %v (config epoch before %s)", n.Addr(), masterAddr(n, "mymaster"), m, epoch0)
		}
	}
	if set.Master.Role() != "master" || set.Replicas[0].Role() != "slave" || set.Replicas[1].Role() != "slave" {
		t.Fatal("roles changed during the migration")
	}
	for _, s := range append(sentinels, nodes...) {
		if b, _ := os.ReadFile(s.Log); strings.Contains(string(b), "+switch-master") || strings.Contains(string(b), "+try-failover") {
			t.Fatalf("%s logged a failover", s.Addr())
		}
	}
	lost := missing(t, orig, acked)
	t.Logf("writes acknowledged %d, lost %d, client errors %v", len(acked), len(lost), errs)
	if len(lost) != 0 || len(errs) != 0 || len(acked) == 0 {
		t.Fatalf("lost %d of %d acknowledged writes; client errors %v", len(lost), len(acked), errs)
	}
	c := redis.NewSentinelClient(&redis.Options{Addr: nodes[2].Addr()})
	defer c.Close()
	if got, err := c.GetMasterAddrByName(bg(), "mymaster").Result(); err != nil || got[0]+":"+got[1] != orig {
		t.Fatalf("a Sentinel client asks the last node: %v %v", got, err)
	}
}
