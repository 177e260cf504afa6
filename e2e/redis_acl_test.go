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

// RedisACL is the minimal ACL raftinel needs on monitored Redis instances,
// exactly as docs/redis-acl.md gives it: every command raftinel sends
// (AUTH and HELLO need no permission).
const RedisACL = "-@all +ping +info +client|setname +client|kill +client|pause +client|unpause +slaveof +config|rewrite +multi +exec +publish &__sentinel__:hello"

// redisACLSet starts a master and two replicas whose default user has a
// password (replication logs in as default) and whose user "raftinel"
// has exactly RedisACL.
func redisACLSet(t *testing.T, extra ...string) (*harness.Redis, []*harness.Redis) {
	t.Helper()
	lines := append([]string{"user raftinel on >rpw " + RedisACL}, extra...)
	start := func(name string, of *harness.Redis) *harness.Redis {
		r, err := harness.StartRedis(harness.RedisOptions{Dir: filepath.Join(t.TempDir(), name), Password: "defpw", Lines: lines, ReplicaOf: of})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Kill)
		return r
	}
	m := start("m", nil)
	rs := []*harness.Redis{start("r1", m), start("r2", m)}
	for _, r := range rs {
		redistest.WaitFor(t, 15*time.Second, "replica link up", func() bool {
			info, err := r.Info("replication")
			return err == nil && info["master_link_status"] == "up"
		})
	}
	return m, rs
}

// A full cycle with exactly the documented ACL: kill -9 of the master
// (promotion, re-pointing), the old master's return (demotion), and a
// coordinated SENTINEL FAILOVER (CLIENT PAUSE / UNPAUSE). No command of
// user raftinel is refused anywhere (ACL LOG), CLIENT PAUSE really ran. A
// password changed on a replica afterwards is loud: the replica is shown
// disconnected with the reason, in INFO links and SENTINEL REPLICAS.
func TestFailoverWithMinimalRedisACL(t *testing.T) {
	m, rs := redisACLSet(t)
	all := append([]*harness.Redis{m}, rs...)
	lines := append(append([]string{}, fastLines...),
		"sentinel monitor mymaster "+m.Host+" "+itoa(m.Port)+" 2",
		"sentinel down-after-milliseconds mymaster 1000", "sentinel failover-timeout mymaster 10000",
		"sentinel auth-user mymaster raftinel", "sentinel auth-pass mymaster rpw")
	c := startCluster(t, 3, lines...)
	nodes := c.Nodes
	agree := func(addr string) bool {
		for _, n := range nodes {
			if masterAddr(n, "mymaster") != addr {
				return false
			}
		}
		return true
	}
	redistest.WaitFor(t, 10*time.Second, "both replicas known, no link errors", func() bool {
		for _, n := range nodes {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			links, _ := n.Info("links")
			if err != nil || harness.FlatMap(s)["num-slaves"] != "2" || harness.FlatMap(s)["flags"] != "master" || links["link_errors"] != "0" {
				return false
			}
		}
		return true
	})

	// kill -9: promotion and re-pointing.
	m.Kill()
	var promoted, other *harness.Redis
	redistest.WaitFor(t, 15*time.Second, "every node answers a replica as the new master", func() bool {
		for i, r := range rs {
			if agree(r.Addr()) {
				promoted, other = r, rs[1-i]
				return true
			}
		}
		return false
	})
	redistest.WaitFor(t, 10*time.Second, "the other replica follows the new master", func() bool {
		info, err := other.Info("replication")
		return err == nil && info["master_port"] == itoa(promoted.Port) && info["master_link_status"] == "up"
	})
	// The old master returns as a master and is demoted.
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 10*time.Second, "old master demoted", func() bool {
		info, err := m.Info("replication")
		return err == nil && info["role"] == "slave" && info["master_port"] == itoa(promoted.Port) && info["master_link_status"] == "up"
	})
	redistest.WaitFor(t, 10*time.Second, "both replicas known with links up", func() bool {
		for _, n := range nodes {
			for _, rm := range splitMaps(mustDo(t, n, "SENTINEL", "REPLICAS", "mymaster"), 21) {
				if rm["flags"] != "slave" || rm["master-link-status"] != "ok" {
					return false
				}
			}
		}
		return true
	})

	// every node sees no failover running (the last re-pointing, with its
	// CLIENT KILL, is done)
	failoverEnded := func() bool {
		for _, n := range nodes {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			if err != nil || strings.Contains(harness.FlatMap(s)["flags"], "failover_in_progress") {
				return false
			}
		}
		return true
	}
	redistest.WaitFor(t, 15*time.Second, "the failover ended on every node", failoverEnded)

	// Coordinated SENTINEL FAILOVER: CLIENT PAUSE on the old master.
	if s, err := nodes[1].Do("SENTINEL", "FAILOVER", "mymaster"); err != nil || s != "OK" {
		t.Fatalf("SENTINEL FAILOVER: %q %v", s, err)
	}
	var second *harness.Redis
	redistest.WaitFor(t, 15*time.Second, "manual failover switches", func() bool {
		for _, r := range []*harness.Redis{m, other} {
			if agree(r.Addr()) {
				second = r
				return true
			}
		}
		return false
	})
	redistest.WaitFor(t, 10*time.Second, "the previous master follows the new one", func() bool {
		info, err := promoted.Info("replication")
		return err == nil && info["role"] == "slave" && info["master_port"] == itoa(second.Port)
	})
	// Ran, and accepted: a leader that takes the failover over sends them
	// again (the pause is not in the log), so at least once each.
	redistest.WaitFor(t, 5*time.Second, "CLIENT PAUSE and UNPAUSE ran on the old master", func() bool {
		stats, err := promoted.Info("commandstats")
		return err == nil && ranClean(stats["cmdstat_client|pause"]) && ranClean(stats["cmdstat_client|unpause"])
	})
	redistest.WaitFor(t, 15*time.Second, "the SENTINEL FAILOVER ended on every node", failoverEnded)
	for _, r := range all {
		if log, err := r.Do("ACL", "LOG"); err != nil || strings.Contains(log, "raftinel") {
			t.Errorf("%s: a command of user raftinel was refused: %q %v", r.Addr(), log, err)
		}
	}

	// A password changed on a replica is loud.
	victim := other
	if second == other {
		victim = m
	}
	if _, err := victim.Do("ACL", "SETUSER", "raftinel", "resetpass", ">changed"); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.Do("CLIENT", "KILL", "USER", "raftinel"); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 10*time.Second, "the refusal in INFO links and SENTINEL REPLICAS on every node", func() bool {
		for _, n := range nodes {
			links, err := n.Info("links")
			if err != nil || links["link_refusals"] != "1" || !strings.Contains(links["link_error0"], "addr="+victim.Addr()+",error=AUTH: WRONGPASS") {
				return false
			}
			for _, rm := range splitMaps(mustDo(t, n, "SENTINEL", "REPLICAS", "mymaster"), 21) {
				if rm["name"] == victim.Addr() && !strings.Contains(rm["flags"], "disconnected") {
					return false
				}
			}
		}
		return true
	})
	if _, err := victim.Do("ACL", "SETUSER", "raftinel", "resetpass", ">rpw"); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 10*time.Second, "the replica is usable again", func() bool {
		for _, n := range nodes {
			if links, err := n.Info("links"); err != nil || links["link_errors"] != "0" {
				return false
			}
		}
		return true
	})
}

// ranClean reports whether an INFO commandstats entry shows at least one
// call and no call refused or failed.
func ranClean(stat string) bool {
	f := map[string]string{}
	for _, kv := range strings.Split(stat, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	return atoi(f["calls"]) >= 1 && f["rejected_calls"] == "0" && f["failed_calls"] == "0"
}
