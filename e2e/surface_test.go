//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// The Sentinel surface a user switching from redis-sentinel relies on,
// checked on a 3-node cluster over real Redis (spec §8 checklist items 15,
// 21-25, 31-37, 41, 44, 45, 63), plus SENTINEL SET and CONFIG SET on one
// node seen on all, peers logging in to each other with an ACL user
// (sentinel-user/-pass), and hostnames (resolve-/announce-hostnames).

const nodePass = "npw"

// clientACL is the read-only ACL README ("Security") gives for a client
// library's sentinel user.
const clientACL = "-@all +@connection +sentinel|get-master-addr-by-name +sentinel|masters +sentinel|master +sentinel|replicas +sentinel|slaves +sentinel|sentinels +role +subscribe +psubscribe allchannels"

// eventLog collects the events of a subscription on every node.
type eventLog struct {
	mu  sync.Mutex
	got map[string][]string // node addr -> "channel payload"
}

func watchEvents(t *testing.T, nodes []*harness.Node, pass string, channels ...string) *eventLog {
	t.Helper()
	l := &eventLog{got: map[string][]string{}}
	for _, n := range nodes {
		c := redis.NewSentinelClient(&redis.Options{Addr: n.Addr(), Password: pass})
		sub := c.Subscribe(bg(), channels...)
		for range channels {
			if _, err := sub.Receive(bg()); err != nil {
				t.Fatalf("subscribe on %s: %v", n.Addr(), err)
			}
		}
		t.Cleanup(func() { sub.Close(); c.Close() })
		addr := n.Addr()
		go func() {
			for m := range sub.Channel() {
				l.mu.Lock()
				l.got[addr] = append(l.got[addr], m.Channel+" "+m.Payload)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// onAll reports whether every node published an event equal to ev.
func (l *eventLog) onAll(nodes []*harness.Node, ev string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range nodes {
		found := false
		for _, e := range l.got[n.Addr()] {
			found = found || e == ev
		}
		if !found {
			return false
		}
	}
	return true
}

// doErr runs a command and returns its error text ("" on success).
func doErr(n *harness.Node, args ...string) string {
	_, err := n.Do(args...)
	if err == nil {
		return ""
	}
	return err.Error()
}

func expectErr(t *testing.T, n *harness.Node, want string, args ...string) {
	t.Helper()
	if got := doErr(n, args...); got != want {
		t.Errorf("%v:\n got %q\nwant %q", args, got, want)
	}
}

func expectReply(t *testing.T, n *harness.Node, want string, args ...string) {
	t.Helper()
	got, err := n.Do(args...)
	if err != nil || got != want {
		t.Errorf("%v: got %q, %v; want %q", args, got, err, want)
	}
}

func TestSentinelSurface(t *testing.T) {
	set := redistest.StartSet(t, 2)
	m, r1, r2 := set.Master, set.Replicas[0], set.Replicas[1]
	lines := append(append([]string{}, fastLines...), monitorLines("mymaster", m, 2, 1000)...)
	lines = append(lines, "user peer on >ppw -@all +ping +client|setname", // what a node sends to its peers
		"user app on >apw "+clientACL)
	c, err := harness.StartCluster(harness.ClusterOptions{Bin: bin, Size: 3, Dir: t.TempDir(), Lines: lines, Password: nodePass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	harness.DumpOnFailure(t, c.Nodes...)
	nodes := c.Nodes
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	redistest.WaitFor(t, 10*time.Second, "every node knows both replicas", func() bool {
		return everyMasterField(nodes, "mymaster", "num-slaves", "2")
	})
	events := watchEvents(t, nodes, nodePass, "+set", "+sdown", "-sdown", "+reset-master", "+new-epoch", "+vote-for-leader")

	t.Run("45 requirepass", func(t *testing.T) {
		if _, err := harness.Do(n1.Addr(), "PING"); err == nil || err.Error() != "NOAUTH Authentication required." {
			t.Errorf("PING without AUTH: %v", err)
		}
		if _, err := harness.Do(n1.Addr(), "AUTH", "bad"); err == nil || err.Error() != "WRONGPASS invalid username-password pair or user is disabled." {
			t.Errorf("AUTH bad: %v", err)
		}
		c, err := net.Dial("tcp", n1.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write(harness.Encode("HELLO", "3", "AUTH", "default", nodePass))
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "%6\r\n" {
			t.Errorf("HELLO 3 AUTH default pw: %q %v", line, err)
		}
	})

	t.Run("a client library with the read-only ACL", func(t *testing.T) {
		fc := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: sentinelAddrs(nodes...),
			SentinelUsername: "app", SentinelPassword: "apw", DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
		defer fc.Close()
		if err := fc.Set(bg(), "surface", "1", 0).Err(); err != nil {
			t.Fatalf("go-redis as user app: %v", err)
		}
		redistest.WaitFor(t, 5*time.Second, "go-redis subscribed to +switch-master as app", func() bool {
			for _, n := range nodes {
				if s, _ := n.Do("CLIENT", "LIST"); strings.Contains(s, "cmd=subscribe user=app") {
					return true
				}
			}
			return false
		})
		for _, n := range nodes {
			if s := mustDo(t, n, "ACL", "LOG"); strings.Contains(s, "username\napp") {
				t.Errorf("%s: user app refused: %q", n.Addr(), s)
			}
		}
		expectReply(t, n1, "This user has no permissions to run the 'sentinel|set' command", "ACL", "DRYRUN", "app", "SENTINEL", "SET", "mymaster", "quorum", "1")
	})

	t.Run("21-25 SENTINEL SET", func(t *testing.T) {
		expectErr(t, n1, "ERR Invalid argument '0' for SENTINEL SET 'quorum'", "SENTINEL", "SET", "mymaster", "quorum", "0")
		expectErr(t, n1, "ERR Unknown option or number of arguments for SENTINEL SET 'foo'", "SENTINEL", "SET", "mymaster", "foo", "1")
		expectErr(t, n1, "ERR wrong number of arguments for 'sentinel|set' command", "SENTINEL", "SET", "mymaster", "quorum")
		expectErr(t, n1, "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration",
			"SENTINEL", "SET", "mymaster", "notification-script", "/bin/true")
		prefix := fmt.Sprintf("+set master mymaster %s %d ", m.Host, m.Port)
		expectReply(t, n2, "OK", "SENTINEL", "SET", "mymaster", "auth-pass", "s")
		expectReply(t, n2, "OK", "SENTINEL", "SET", "mymaster", "auth-pass", "")
		// auth-pass is the node's own (node/linksettings.go): +set on n2 only
		redistest.WaitFor(t, 5*time.Second, "+set auth-pass ****** on the node asked", func() bool { return events.onAll(nodes[1:2], prefix+"auth-pass ******") })
		expectReply(t, n1, "OK", "SENTINEL", "SET", "mymaster", "failover-timeout", "10000", "parallel-syncs", "2")
		redistest.WaitFor(t, 5*time.Second, "both +set events on every node", func() bool {
			return events.onAll(nodes, prefix+"failover-timeout 10000") && events.onAll(nodes, prefix+"parallel-syncs 2")
		})
		for _, n := range nodes { // SET on one node, visible in MASTER on all
			mm := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))
			if mm["failover-timeout"] != "10000" || mm["parallel-syncs"] != "2" {
				t.Errorf("%s: MASTER %v", n.Addr(), mm)
			}
		}
	})

	t.Run("31-32 CONFIG GET/SET", func(t *testing.T) {
		got := mustDo(t, n3, "SENTINEL", "CONFIG", "GET", "*")
		var keys []string
		for i, f := range strings.Split(got, "\n") {
			if i%2 == 0 {
				keys = append(keys, f)
			}
		}
		if strings.Join(keys, " ") != "resolve-hostnames announce-hostnames announce-ip announce-port sentinel-user sentinel-pass loglevel" {
			t.Errorf("CONFIG GET *: %q", got)
		}
		expectReply(t, n3, "", "SENTINEL", "CONFIG", "GET", "nomatch")
		expectErr(t, n3, "ERR Invalid value 'abc' to SENTINEL CONFIG SET 'announce-port'", "SENTINEL", "CONFIG", "SET", "announce-port", "abc")
		expectErr(t, n3, "ERR Invalid argument 'foo' to SENTINEL CONFIG SET", "SENTINEL", "CONFIG", "SET", "foo", "bar")
		expectErr(t, n3, "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'", "SENTINEL", "CONFIG", "SET", "resolve-hostnames", "maybe")
	})

	t.Run("sentinel-user and sentinel-pass through CONFIG SET", func(t *testing.T) {
		// The peers log in to each other as the ACL user "peer" (+ping
		// only) once any node sets it; the setting reaches every node.
		expectReply(t, n1, "OK", "SENTINEL", "CONFIG", "SET", "sentinel-user", "peer")
		expectReply(t, n1, "OK", "SENTINEL", "CONFIG", "SET", "sentinel-pass", "ppw")
		redistest.WaitFor(t, 5*time.Second, "every node shows the new sentinel-user", func() bool {
			for _, n := range nodes {
				if s, _ := n.Do("SENTINEL", "CONFIG", "GET", "sentinel-*"); s != "sentinel-user\npeer\nsentinel-pass\nppw" {
					return false
				}
			}
			return true
		})
		redistest.WaitFor(t, 10*time.Second, "each node sees two peers logged in as peer", func() bool {
			for _, n := range nodes {
				if s, _ := n.Do("CLIENT", "LIST"); strings.Count(s, "user=peer") < 2 {
					return false
				}
			}
			return true
		})
		for _, n := range nodes {
			// Logins failed while sentinel-user was set and sentinel-pass not
			// yet; no command of a peer may have been refused.
			if s := mustDo(t, n, "ACL", "LOG"); strings.Contains(s, "reason\ncommand") {
				t.Errorf("%s: a peer's command was refused: %q", n.Addr(), s)
			}
			for _, p := range splitMaps(mustDo(t, n, "SENTINEL", "SENTINELS", "mymaster"), 14) {
				if p["flags"] != "sentinel" {
					t.Errorf("%s: peer %v", n.Addr(), p)
				}
			}
		}
	})

	t.Run("33-34 IS-MASTER-DOWN-BY-ADDR", func(t *testing.T) {
		mp := itoa(m.Port)
		if got := mustDo(t, n2, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", m.Host, mp, "0", "*"); got != "0\n*\n0" {
			t.Errorf("by address: %q", got)
		}
		if got := mustDo(t, n2, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"); got != "0\n*\n0" {
			t.Errorf("unknown address: %q", got)
		}
		id1, id2 := strings.Repeat("1", 40), strings.Repeat("2", 40)
		if got := mustDo(t, n2, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", m.Host, mp, "100", id1); got != "0\n"+id1+"\n100" {
			t.Errorf("vote: %q", got)
		}
		if got := mustDo(t, n2, "SENTINEL", "IS-MASTER-DOWN-BY-ADDR", m.Host, mp, "100", id2); got != "0\n"+id1+"\n100" {
			t.Errorf("second candidate: %q", got)
		}
		redistest.WaitFor(t, 3*time.Second, "+new-epoch and +vote-for-leader on the asked node", func() bool {
			events.mu.Lock()
			defer events.mu.Unlock()
			got := strings.Join(events.got[n2.Addr()], "|")
			return strings.Contains(got, "+new-epoch 100|+vote-for-leader "+id1+" 100")
		})
	})

	t.Run("35-36 INFO-CACHE and DEBUG", func(t *testing.T) {
		cl := redis.NewClient(&redis.Options{Addr: n1.Addr(), Password: nodePass, Protocol: 2})
		defer cl.Close()
		v, err := cl.Do(bg(), "SENTINEL", "INFO-CACHE", "mymaster").Slice()
		if err != nil || len(v) != 2 || v[0] != "mymaster" {
			t.Fatalf("INFO-CACHE: %v %v", v, err)
		}
		entries, _ := v[1].([]any)
		if len(entries) != 3 {
			t.Fatalf("INFO-CACHE entries: %v", v[1])
		}
		for _, e := range entries {
			pair, _ := e.([]any)
			if text, _ := pair[1].(string); len(pair) != 2 || !strings.Contains(text, "# Replication") {
				t.Errorf("INFO-CACHE entry %v", e)
			}
		}
		expectReply(t, n1, "", "SENTINEL", "INFO-CACHE", "nosuch")
		dbg := strings.Split(mustDo(t, n1, "SENTINEL", "DEBUG"), "\n")
		if len(dbg) != 26 || dbg[0] != "INFO-PERIOD" {
			t.Errorf("DEBUG: %q", dbg)
		}
		expectReply(t, n1, "OK", "SENTINEL", "DEBUG", "info-period", "1000")
		expectErr(t, n1, "ERR Unknown option or number of arguments for SENTINEL DEBUG 'foo'", "SENTINEL", "DEBUG", "foo", "1")
	})

	t.Run("41 PUBLISH, 44 CLIENT", func(t *testing.T) {
		expectErr(t, n1, "ERR Only HELLO messages are accepted by Sentinel instances.", "PUBLISH", "foo", "bar")
		expectReply(t, n1, "1", "PUBLISH", "__sentinel__:hello", "x")
		cl := redis.NewClient(&redis.Options{Addr: n1.Addr(), Password: nodePass, Protocol: 2, MaxRetries: -1})
		defer cl.Close()
		conn := cl.Conn()
		defer conn.Close()
		if err := conn.ClientSetName(bg(), "surface").Err(); err != nil {
			t.Fatal(err)
		}
		if name, err := conn.ClientGetName(bg()).Result(); err != nil || name != "surface" {
			t.Errorf("GETNAME %q %v", name, err)
		}
		id, err := conn.ClientID(bg()).Result()
		if err != nil || id <= 0 {
			t.Errorf("CLIENT ID %d %v", id, err)
		}
		if err := conn.Do(bg(), "CLIENT", "SETINFO", "LIB-NAME", "x").Err(); err != nil { // Redis 7.2
			t.Errorf("CLIENT SETINFO: %v", err)
		}
		if err := conn.Do(bg(), "CLIENT", "NO-TOUCH", "ON").Err(); err == nil || !strings.Contains(err.Error(), "unknown subcommand 'NO-TOUCH'") {
			t.Errorf("CLIENT NO-TOUCH: %v", err)
		}
		if id2, err := conn.ClientID(bg()).Result(); err != nil || id2 != id {
			t.Errorf("the connection is kept after the error: %d %v", id2, err)
		}
	})

	t.Run("15 replica-announced no", func(t *testing.T) {
		if _, err := r2.Do("CONFIG", "SET", "replica-announced", "no"); err != nil {
			t.Fatal(err)
		}
		defer r2.Do("CONFIG", "SET", "replica-announced", "yes")
		redistest.WaitFor(t, 10*time.Second, "REPLICAS lists only R1", func() bool {
			reps := splitMaps(mustDo(t, n1, "SENTINEL", "REPLICAS", "mymaster"), 21)
			return len(reps) == 1 && reps[0]["name"] == r1.Addr()
		})
		if mm := harness.FlatMap(mustDo(t, n1, "SENTINEL", "MASTER", "mymaster")); mm["num-slaves"] != "2" {
			t.Errorf("num-slaves %v", mm["num-slaves"])
		}
		if info := harness.ParseInfo(mustDo(t, n1, "INFO", "sentinel")); !strings.Contains(info["master0"], ",slaves=2,") {
			t.Errorf("INFO master0 %q", info["master0"])
		}
	})

	t.Run("63 rename-command", func(t *testing.T) {
		// quorum 4 > 3 nodes: the SDOWN can never become ODOWN here.
		expectReply(t, n1, "OK", "SENTINEL", "SET", "mymaster", "quorum", "4")
		defer n1.Do("SENTINEL", "SET", "mymaster", "quorum", "2")
		// rename-command is how the node asked talks to the instances (as in
		// Sentinel, node/linksettings.go): only n1 sends PONG and sees SDOWN.
		sdown := fmt.Sprintf("+sdown master mymaster %s %d", m.Host, m.Port)
		expectReply(t, n1, "OK", "SENTINEL", "SET", "mymaster", "rename-command", "PING", "PONG")
		redistest.WaitFor(t, 5*time.Second, "the master SDOWN on n1", func() bool { return events.onAll(nodes[:1], sdown) })
		for i, n := range nodes {
			f := harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))["flags"]
			if (i == 0) != strings.Contains(f, "s_down") {
				t.Errorf("%s: flags %q", n.Addr(), f)
			}
		}
		expectReply(t, n1, "OK", "SENTINEL", "SET", "mymaster", "rename-command", "PING", "PING")
		var last []string
		defer func() {
			if t.Failed() {
				t.Logf("flags: %v", last)
			}
		}()
		redistest.WaitFor(t, 5*time.Second, "SDOWN cleared on every node", func() bool {
			last = last[:0]
			for _, n := range nodes {
				last = append(last, harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))["flags"])
			}
			for _, f := range last {
				if f != "master" {
					return false
				}
			}
			return events.onAll(nodes[:1], "-"+sdown[1:])
		})
	})

	t.Run("37 RESET", func(t *testing.T) {
		expectReply(t, n1, "1", "SENTINEL", "RESET", "mymaster")
		redistest.WaitFor(t, 5*time.Second, "+reset-master on every node", func() bool {
			return events.onAll(nodes, fmt.Sprintf("+reset-master master mymaster %s %d", m.Host, m.Port))
		})
		redistest.WaitFor(t, 12*time.Second, "replicas reappear", func() bool {
			for _, n := range nodes {
				if harness.FlatMap(mustDo(t, n, "SENTINEL", "MASTER", "mymaster"))["num-slaves"] != "2" {
					return false
				}
			}
			return true
		})
		expectReply(t, n1, "0", "SENTINEL", "RESET", "nomatch*")
	})

	t.Run("hostnames", func(t *testing.T) {
		single := redistest.Start(t)
		expectErr(t, n2, "ERR Invalid IP address or hostname specified", "SENTINEL", "MONITOR", "named", "localhost", itoa(single.Port), "2")
		expectReply(t, n1, "OK", "SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes") // on n1, used by n2
		redistest.WaitFor(t, 3*time.Second, "resolve-hostnames yes everywhere", func() bool {
			s, _ := n2.Do("SENTINEL", "CONFIG", "GET", "resolve-hostnames")
			return s == "resolve-hostnames\nyes"
		})
		expectReply(t, n2, "OK", "SENTINEL", "MONITOR", "named", "localhost", itoa(single.Port), "2")
		defer n1.Do("SENTINEL", "REMOVE", "named")
		want := "127.0.0.1:" + itoa(single.Port)
		redistest.WaitFor(t, 5*time.Second, "the named master is monitored (resolved when dialing) and shown by IP", func() bool {
			for _, n := range nodes {
				s, err := n.Do("SENTINEL", "MASTER", "named")
				mm := harness.FlatMap(s)
				if err != nil || mm["flags"] != "master" || mm["runid"] == "" || mm["ip"] != "127.0.0.1" || masterAddr(n, "named") != want {
					return false
				}
			}
			return true
		})
		if info := mustDo(t, n3, "INFO", "sentinel"); !strings.Contains(info, "name=named,status=ok,address="+want+",") {
			t.Errorf("INFO: %q", info)
		}
		expectReply(t, n3, "OK", "SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes")
		redistest.WaitFor(t, 3*time.Second, "announce-hostnames yes shows the name on every node", func() bool {
			for _, n := range nodes {
				if masterAddr(n, "named") != "localhost:"+itoa(single.Port) {
					return false
				}
			}
			return true
		})
		expectReply(t, n3, "OK", "SENTINEL", "CONFIG", "SET", "announce-hostnames", "no")
		// announce-ip/-port are node-local: n1's change is not n2's.
		expectReply(t, n1, "OK", "SENTINEL", "CONFIG", "SET", "announce-port", "1234")
		expectReply(t, n2, "announce-port\n0", "SENTINEL", "CONFIG", "GET", "announce-port")
		expectReply(t, n1, "OK", "SENTINEL", "CONFIG", "SET", "announce-port", "0")
	})
}
