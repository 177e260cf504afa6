//go:build e2e

package sentinelproto

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/model"
	"github.com/redis/go-redis/v9"
)

// Real clients against the fake-backed server: go-redis v9 (RESP2, RESP3,
// SentinelClient, FailoverClient with real redis-servers) and redis-cli.

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGoRedisPlain(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("resp", proto), func(t *testing.T) {
			c := redis.NewClient(&redis.Options{Addr: e.addr, Protocol: proto})
			defer c.Close()
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			info, err := c.Info(ctx).Result()
			if err != nil || !strings.Contains(info, "redis_mode:sentinel") {
				t.Fatalf("INFO: %v %q", err, info)
			}
			if err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch").Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("unknown master: %v", err)
			}
			v, err := c.Do(ctx, "SENTINEL", "MASTER", "mymaster").Result()
			if err != nil {
				t.Fatal(err)
			}
			if proto == 3 {
				if m, ok := v.(map[any]any); !ok || m["quorum"] != "2" || len(m) != 20 {
					t.Fatalf("RESP3 MASTER: %#v", v)
				}
			} else if l, ok := v.([]any); !ok || len(l) != 40 {
				t.Fatalf("RESP2 MASTER: %#v", v)
			}
			if err := c.Do(ctx, "GET", "x").Err(); err == nil ||
				err.Error() != "ERR unknown command 'GET', with args beginning with: 'x' " {
				t.Fatalf("GET: %v", err)
			}
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGoRedisSentinelClient(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	sc := redis.NewSentinelClient(&redis.Options{Addr: e.addr})
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
	if err != nil || len(addr) != 2 || addr[0] != "127.0.0.1" || addr[1] != "6379" {
		t.Fatalf("GetMasterAddrByName: %v %v", addr, err)
	}
	m, err := sc.Master(ctx, "mymaster").Result()
	if err != nil || m["flags"] != "master" || m["num-other-sentinels"] != "2" {
		t.Fatalf("Master: %v %v", m, err)
	}
	reps, err := sc.Replicas(ctx, "mymaster").Result()
	if err != nil || len(reps) != 2 || reps[0]["name"] != "127.0.0.1:6380" {
		t.Fatalf("Replicas: %v %v", reps, err)
	}
	peers, err := sc.Sentinels(ctx, "mymaster").Result()
	if err != nil || len(peers) != 2 || peers[0]["runid"] != testPeer1 {
		t.Fatalf("Sentinels: %v %v", peers, err)
	}
	masters, err := sc.Masters(ctx).Result()
	if err != nil || len(masters) != 1 {
		t.Fatalf("Masters: %v %v", masters, err)
	}
	if s, err := sc.CkQuorum(ctx, "mymaster").Result(); err != nil || !strings.HasPrefix(s, "OK 3 usable Sentinels") {
		t.Fatalf("CkQuorum: %q %v", s, err)
	}
	for name, cmd := range map[string]interface{ Err() error }{
		"Monitor":     sc.Monitor(ctx, "x", "127.0.0.1", "6390", "2"),
		"Set":         sc.Set(ctx, "x", "down-after-milliseconds", "5000"),
		"Remove":      sc.Remove(ctx, "x"),
		"Failover":    sc.Failover(ctx, "mymaster"),
		"FlushConfig": sc.FlushConfig(ctx),
		"Ping":        sc.Ping(ctx),
	} {
		if err := cmd.Err(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n, err := sc.Reset(ctx, "nomatch*").Result(); err != nil || n != 0 {
		t.Fatalf("Reset: %d %v", n, err)
	}
	if err := sc.Master(ctx, "nosuch").Err(); err == nil || err.Error() != "ERR No such master with that name" {
		t.Fatalf("unknown master: %v", err)
	}
	// go-redis's second connection: subscribe +switch-master.
	ps := sc.Subscribe(ctx, "+switch-master", "+replica-reconf-done")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv.Publish("+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380")
	select {
	case msg := <-ps.Channel():
		if msg.Channel != "+switch-master" || msg.Payload != "mymaster 127.0.0.1 6379 127.0.0.1 6380" {
			t.Fatalf("message %+v", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no +switch-master")
	}
}

func TestGoRedisAuth(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RequirePass = "pw" })
	ctx := ctxT(t)
	bad := redis.NewSentinelClient(&redis.Options{Addr: e.addr})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("no password: %v", err)
	}
	for _, proto := range []int{2, 3} {
		sc := redis.NewSentinelClient(&redis.Options{Addr: e.addr, Password: "pw", Protocol: proto})
		if _, err := sc.GetMasterAddrByName(ctx, "mymaster").Result(); err != nil {
			t.Fatalf("resp%d with password: %v", proto, err)
		}
		sc.Close()
	}
}

// NewFailoverClient follows a switch announced on +switch-master, with real
// redis-servers as master and replica.
func TestGoRedisFailoverClient(t *testing.T) {
	m := redistest.Start(t)
	r := redistest.Start(t, redistest.ReplicaOf(m))
	e := newEnv(t)
	hp := func(s *redistest.Server) model.Addr { return model.Addr{Host: s.Host, Port: s.Port} }
	e.state(func(st *model.State) {
		st.Masters["mymaster"].Addr = hp(m)
		st.Masters["mymaster"].Replicas = []model.Addr{hp(r)}
	})
	ctx := ctxT(t)
	fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{e.addr}})
	defer fc.Close()
	if err := fc.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	portOf := func() string {
		info, err := fc.Info(ctx, "server").Result()
		if err != nil {
			return err.Error()
		}
		for _, l := range strings.Split(info, "\r\n") {
			if p, ok := strings.CutPrefix(l, "tcp_port:"); ok {
				return p
			}
		}
		return "?"
	}
	if p := portOf(); p != strconv.Itoa(m.Port) {
		t.Fatalf("connected to %s, want master %d", p, m.Port)
	}
	// The failover, as the log would record it.
	if _, err := r.Do("REPLICAOF", "NO", "ONE"); err != nil {
		t.Fatal(err)
	}
	e.state(func(st *model.State) {
		st.Masters["mymaster"].Addr = hp(r)
		st.Masters["mymaster"].Replicas = []model.Addr{hp(m)}
	})
	e.srv.Publish("+switch-master", fmt.Sprintf("mymaster %s %d %s %d", m.Host, m.Port, r.Host, r.Port))
	deadline := time.Now().Add(10 * time.Second)
	for portOf() != strconv.Itoa(r.Port) {
		if time.Now().After(deadline) {
			t.Fatalf("go-redis still on %s after +switch-master", portOf())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := fc.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func redisCLI(t *testing.T, e *testEnv, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli not installed (scripts/deps.sh)")
	}
	out, err := exec.Command(bin, append([]string{"-p", e.port}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestRedisCLI(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG\n"},
		{[]string{"PING", "hi"}, "hi\n"},
		{[]string{"ROLE"}, "sentinel\nmymaster\n"},
		{[]string{"SENTINEL", "get-master-addr-by-name", "mymaster"}, "127.0.0.1\n6379\n"},
		{[]string{"SENTINEL", "get-master-addr-by-name", "nosuch"}, "\n"},
		{[]string{"COMMAND", "COUNT"}, "15\n"},
		{[]string{"GET", "foo"}, "ERR unknown command 'GET', with args beginning with: 'foo' \n"},
		{[]string{"SENTINEL", "MYID"}, testMyID + "\n"},
		{[]string{"SENTINEL", "MASTER", "nosuch"}, "ERR No such master with that name\n"},
		{[]string{"-3", "HELLO", "3"}, "server redis\nversion 7.0.15\nproto 3\nid "},
		{[]string{"-3", "SENTINEL", "CKQUORUM", "mymaster"}, "OK 3 usable Sentinels. Quorum and failover authorization can be reached\n"},
	} {
		got := redisCLI(t, e, tc.args...)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("redis-cli %v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
	if got := redisCLI(t, e, "-3", "SENTINEL", "MASTER", "mymaster"); !strings.HasPrefix(got, "name mymaster\nip 127.0.0.1\nport 6379\nrunid "+testRunID+"\nflags master\n") {
		t.Errorf("redis-cli -3 MASTER: %q", got)
	}
}

func TestRedisCLIAuth(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RequirePass = "pw" })
	if got := redisCLI(t, e, "PING"); got != "NOAUTH Authentication required.\n\n" {
		t.Fatalf("no auth: %q", got)
	}
	if got := redisCLI(t, e, "--no-auth-warning", "-a", "pw", "SENTINEL", "get-master-addr-by-name", "mymaster"); got != "127.0.0.1\n6379\n" {
		t.Fatalf("with -a: %q", got)
	}
	if got := redisCLI(t, e, "--no-auth-warning", "-3", "-a", "pw", "PING"); got != "PONG\n" {
		t.Fatalf("-3 -a: %q", got)
	}
}
