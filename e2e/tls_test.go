//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/internal/testcert"
	"github.com/redis/go-redis/v9"
)

// TLS like Redis: three nodes whose Raft, forwarding and peer traffic runs
// over TLS on tls-port (tls-replication yes, mutual), watching Redis
// instances reached over TLS only, with go-redis's FailoverClient speaking
// TLS to the nodes and to Redis, through a kill -9 failover. The plain
// ports stay open only for the test harness's control commands.
func TestTLSClusterAndFailover(t *testing.T) {
	dir := t.TempDir()
	certs, err := testcert.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	tlsLines := []string{
		"tls-cert-file " + certs.Cert, "tls-key-file " + certs.Key, "tls-ca-cert-file " + certs.CA,
		"tls-auth-clients yes", "tls-replication yes",
	}
	startTLSRedis := func(name string, of *harness.Redis, ofPort int) (*harness.Redis, int) {
		port := redistest.FreePort(t, "127.0.0.1")
		lines := append([]string{"tls-port " + itoa(port)}, tlsLines...)
		if of != nil {
			lines = append(lines, "replicaof "+of.Host+" "+itoa(ofPort))
		}
		r, err := harness.StartRedis(harness.RedisOptions{Dir: filepath.Join(dir, name), Lines: lines})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Kill)
		return r, port
	}
	m, mTLS := startTLSRedis("m", nil, 0)
	r1, r1TLS := startTLSRedis("r1", m, mTLS)
	r2, r2TLS := startTLSRedis("r2", m, mTLS)
	for _, r := range []*harness.Redis{r1, r2} {
		redistest.WaitFor(t, 15*time.Second, "replication over TLS", func() bool {
			info, err := r.Info("replication")
			return err == nil && info["master_link_status"] == "up"
		})
	}

	var nodes []*harness.Node
	var peers []string
	secret := harness.NewSecret()
	ports := make([][2]int, 3)
	for i := range ports {
		ports[i] = [2]int{redistest.FreePort(t, "127.0.0.1"), redistest.FreePort(t, "127.0.0.1")}
		peers = append(peers, "127.0.0.1:"+itoa(ports[i][1]))
	}
	for i, p := range ports {
		lines := append(append([]string{"tls-port " + itoa(p[1]), "raft-peers " + strings.Join(peers, " "), "raft-secret " + secret}, tlsLines...), fastLines...)
		lines = append(lines, "sentinel monitor mymaster 127.0.0.1 "+itoa(mTLS)+" 2",
			"sentinel down-after-milliseconds mymaster 1000", "sentinel failover-timeout mymaster 10000")
		n, err := harness.NewNode(harness.NodeOptions{Bin: bin, Port: p[0], Dir: filepath.Join(dir, "n"+itoa(i)), Lines: lines})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	c := runNodes(t, nodes...)
	leader, err := c.WaitLeader(15 * time.Second) // Raft runs on the TLS ports only
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := leader.Info("raft"); info["raft_members"] != "3" || !strings.HasSuffix(info["raft_leader"], ":"+itoa(ports[nodeIndex(nodes, leader)][1])) {
		t.Fatalf("raft over the TLS ports: %v", info)
	}
	redistest.WaitFor(t, 10*time.Second, "Redis monitored over TLS, replicas found at their TLS ports", func() bool {
		for _, n := range nodes {
			s, err := n.Do("SENTINEL", "MASTER", "mymaster")
			if err != nil || harness.FlatMap(s)["flags"] != "master" || harness.FlatMap(s)["num-slaves"] != "2" {
				return false
			}
			reps := mustDo(t, n, "SENTINEL", "REPLICAS", "mymaster")
			if !strings.Contains(reps, "127.0.0.1:"+itoa(r1TLS)) || !strings.Contains(reps, "127.0.0.1:"+itoa(r2TLS)) {
				return false
			}
		}
		return true
	})
	// Writing to a follower forwards over TLS (RPC stream).
	follower := nodes[0]
	if follower == leader {
		follower = nodes[1]
	}
	if s, err := follower.Do("SENTINEL", "SET", "mymaster", "parallel-syncs", "1"); err != nil || s != "OK" {
		t.Fatalf("forwarded SET: %q %v", s, err)
	}

	// Clients: RESP over TLS with a certificate; without one, refused.
	ccfg, err := testcert.ClientConfig(certs)
	if err != nil {
		t.Fatal(err)
	}
	tlsAddrs := append([]string{}, peers...)
	if got := tlsDo(t, tlsAddrs[0], ccfg, "PING"); got != "+PONG\r\n" {
		t.Fatalf("PING over TLS: %q", got)
	}
	anon := ccfg.Clone()
	anon.Certificates = nil
	if got := tlsDo(t, tlsAddrs[0], anon, "PING"); got == "+PONG\r\n" {
		t.Fatal("a client without certificate was served (tls-auth-clients yes)")
	}
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: tlsAddrs, TLSConfig: ccfg,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1})
	defer fc.Close()
	if err := fc.Set(bg(), "k", "before", 0).Err(); err != nil {
		t.Fatalf("go-redis over TLS: %v", err)
	}

	m.Kill()
	var promoted int
	redistest.WaitFor(t, 15*time.Second, "every node answers a replica's TLS address", func() bool {
		for _, p := range []int{r1TLS, r2TLS} {
			all := true
			for _, n := range nodes {
				all = all && masterAddr(n, "mymaster") == "127.0.0.1:"+itoa(p)
			}
			if all {
				promoted = p
				return true
			}
		}
		return false
	})
	redistest.WaitFor(t, 10*time.Second, "go-redis writes to the new master over TLS", func() bool {
		ctx, cancel := context.WithTimeout(bg(), time.Second)
		defer cancel()
		return fc.Set(ctx, "k", "after", 0).Err() == nil
	})
	other := r2
	if promoted == r2TLS {
		other = r1
	}
	redistest.WaitFor(t, 10*time.Second, "the other replica follows the new master over TLS", func() bool {
		info, err := other.Info("replication")
		return err == nil && info["master_port"] == itoa(promoted) && info["master_link_status"] == "up"
	})
}

func nodeIndex(nodes []*harness.Node, n *harness.Node) int {
	for i, x := range nodes {
		if x == n {
			return i
		}
	}
	return 0
}

// tlsDo sends one command over a new TLS connection and returns the first
// reply line ("" when the connection fails).
func tlsDo(t *testing.T, addr string, cfg *tls.Config, args ...string) string {
	t.Helper()
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(harness.Encode(args...)); err != nil {
		return ""
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}
