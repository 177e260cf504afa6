//go:build e2e

package sentinelproto

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
)

// Differential tests: the same requests to a real redis-sentinel 7.0 (Debian's
// redis-sentinel package, which scripts/deps.sh installs) and to this package must get
// the same bytes. Only state-independent requests are compared (the real
// sentinel's master is unreachable, ours is a fake); replies whose order
// Redis leaves unspecified (dict order) are compared sorted.

// step is one request: a command, or raw bytes when raw != "".
type step struct {
	args   []string
	raw    string
	frames int           // reply frames to read (Pub/Sub confirmations), default 1
	sorted bool          // compare with unspecified order removed
	words  bool          // ... also the order of words inside strings (ACL rules follow dict order)
	wait   time.Duration // how long to wait for the reply, default 3 s
}

func s(args ...string) step       { return step{args: args} }
func sSorted(args ...string) step { return step{args: args, sorted: true} }
func sRaw(raw string) step        { return step{raw: raw} }

// sN expects n frames whose order Redis leaves unspecified.
func sN(n int, args ...string) step { return step{args: args, frames: n, sorted: true} }

var helloID = regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)

// exchange runs steps on one connection and returns the replies, one per
// step ("<closed>" once the server closed the connection).
func exchange(t *testing.T, addr string, steps []step) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var out []string
	for _, st := range steps {
		req := st.raw
		if req == "" {
			req = encode(st.args...)
		}
		wait := st.wait
		if wait == 0 {
			wait = 3 * time.Second
		}
		_ = c.SetDeadline(time.Now().Add(wait))
		if _, err := c.Write([]byte(req)); err != nil {
			out = append(out, "<closed>")
			continue
		}
		var frames []string
		for i := 0; i < max(st.frames, 1); i++ {
			f, err := readFrame(br)
			if err != nil {
				frames = append(frames, "<closed>")
				break
			}
			f = helloID.ReplaceAllString(f, "$$2\r\nid\r\n:ID\r\n")
			if st.words {
				f = canonical(f, true)
			} else if st.sorted && st.frames == 0 {
				f = canonical(f, false)
			}
			frames = append(frames, f)
		}
		if st.frames > 0 {
			sort.Strings(frames)
		}
		out = append(out, strings.Join(frames, ""))
	}
	return out
}

// canonical re-renders a reply with every array sorted, recursively, and
// with the words of every string sorted too when words is set.
func canonical(raw string, words bool) string {
	v, _ := parseFrame(raw)
	var render func(v any) string
	render = func(v any) string {
		l, ok := v.([]any)
		if !ok {
			s := fmt.Sprintf("%v", v)
			if words {
				w := strings.Fields(s)
				sort.Strings(w)
				s = strings.Join(w, " ")
			}
			return s
		}
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = render(e)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, " ") + "]"
	}
	return render(v)
}

// without72 removes, from a canonical (sorted) reply, the commands
// redis-sentinel 7.0 lacks (notIn70: their COMMAND INFO entries or their
// names), so that raftinel's additions compare equal to redis-sentinel 7.0.
var without72 = func() *regexp.Regexp {
	var names []string
	for n := range notIn70 {
		names = append(names, regexp.QuoteMeta(n))
	}
	alt := "(" + strings.Join(names, "|") + ")"
	return regexp.MustCompile(` ?\[[^\[\]]*(\[[^\[\]]*\][^\[\]]*)*` + alt + `\]| ?` + alt + `\b`)
}()

func diff(t *testing.T, real, ours string, seqs [][]step) {
	t.Helper()
	for _, seq := range seqs {
		want, got := exchange(t, real, seq), exchange(t, ours, seq)
		for i := range seq {
			if seq[i].sorted || seq[i].words {
				got[i] = without72.ReplaceAllString(got[i], "")
			}
			if want[i] != got[i] {
				t.Errorf("%q %q:\nredis-sentinel %q\n      raftinel %q", seq[i].args, seq[i].raw, want[i], got[i])
			}
		}
	}
}

func TestDifferentialNoAuth(t *testing.T) {
	real := startRealSentinel(t)
	ours := newEnv(t).addr
	diff(t, real, ours, [][]step{
		{s("PING"), s("PING", "hi"), s("PING", "a", "b"), s("ROLE"), s("ROLE", "x"), s("ping")},
		{s("GET", "foo"), s("QUIT"), s("SELECT", "0"), s("CONFIG", "GET", "port"), s("GET", strings.Repeat("a", 200), "b"),
			s("MULTI"), s("EXEC"), s("RESET"), s("ECHO", "x"), s("SSUBSCRIBE", "x")},
		{s("COMMAND", "COUNT"), s("COMMAND", "COUNT", "x"), s("COMMAND", "FOO"), s("COMMAND", "INFO", "ping"),
			s("COMMAND", "INFO", "foo"), s("COMMAND", "INFO", "sentinel|myid", "foo", "client|kill"),
			s("COMMAND", "GETKEYS", "ping", "x"), s("COMMAND", "GETKEYS", "get", "x"), s("COMMAND", "GETKEYS"),
			s("COMMAND", "LIST", "FILTERBY", "MODULE", "x"), s("COMMAND", "LIST", "FOO"), s("COMMAND", "HELP"),
			sSorted("COMMAND"), sSorted("COMMAND", "LIST"), sSorted("COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"),
			sSorted("COMMAND", "LIST", "FILTERBY", "PATTERN", "s*"), sSorted("COMMAND", "INFO", "sentinel")},
		{s("SENTINEL"), s("SENTINEL", "FOO"), s("SENTINEL", "MYID", "x"), s("SENTINEL", "SET", "mymaster", "quorum"),
			s("SENTINEL", "HELP"), s("SENTINEL", "DEBUG"), s("SENTINEL", "DEBUG", "foo", "1"),
			s("SENTINEL", "DEBUG", "info-period"), s("SENTINEL", "DEBUG", "info-period", "0"),
			s("SENTINEL", "DEBUG", "INFO-PERIOD", "x"), s("SENTINEL", "DEBUG", "info-period", "10000", "ping-period", "x")},
		// CONFIG GET/SET with several parameters and loglevel are 7.2's
		// (TestSentinelConfig); the one-parameter forms are the same.
		{s("SENTINEL", "CONFIG", "GET", "nomatch"), s("SENTINEL", "CONFIG", "GET", "ANNOUNCE-*"),
			s("SENTINEL", "CONFIG", "SET", "foo", "bar"), s("SENTINEL", "CONFIG", "SET", "announce-port", "abc"),
			s("SENTINEL", "CONFIG", "SET", "ANNOUNCE-PORT", "70000"), s("SENTINEL", "CONFIG", "SET", "announce-port", "-1"),
			s("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "maybe"), s("SENTINEL", "CONFIG", "SET", "announce-port", "12"),
			s("SENTINEL", "CONFIG", "GET", "announce-port")},
		{s("SENTINEL", "SIMULATE-FAILURE", "help"), s("SENTINEL", "SIMULATE-FAILURE", "foo"), s("SENTINEL", "SIMULATE-FAILURE", "help", "foo"),
			s("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"), s("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "x", "*"),
			s("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "10.0.0.1", "1", "0", "*"), s("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "foo", "99999", "0", "abc"),
			s("SENTINEL", "INFO-CACHE", "nosuch"), s("SENTINEL", "PENDING-SCRIPTS"), s("SENTINEL", "FLUSHCONFIG")},
		{s("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"), s("SENTINEL", "MASTER", "nosuch"), s("SENTINEL", "REPLICAS", "nosuch"),
			s("SENTINEL", "SLAVES", "nosuch"), s("SENTINEL", "SENTINELS", "nosuch"), s("SENTINEL", "FAILOVER", "nosuch"),
			s("SENTINEL", "CKQUORUM", "nosuch"), s("SENTINEL", "REMOVE", "nosuch"), s("SENTINEL", "SET", "nosuch", "quorum", "2"),
			s("SENTINEL", "SET", "nosuch", "foo"), s("SENTINEL", "RESET", "nomatch*")},
		{s("SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "abc"), s("SENTINEL", "MONITOR", "x", "127.0.0.1", "abc", "0"),
			s("SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "0"), s("SENTINEL", "MONITOR", "x", "localhost", "6379", "2"),
			s("SENTINEL", "MONITOR", "x", "127.0.0.1", "70000", "2"), s("SENTINEL", "MONITOR", "x", "localhost", "70000", "2"),
			s("SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "1", "2"), s("SENTINEL", "MONITOR", "x", "1.2.3", "1", "2")},
		{s("SENTINEL", "SET", "mymaster", "quorum", "0"), s("SENTINEL", "SET", "mymaster", "foo", "1"),
			s("SENTINEL", "SET", "mymaster", "rename-command", "PING"), s("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "abc"),
			s("SENTINEL", "SET", "mymaster", "master-reboot-down-after-period", "-1"),
			s("SENTINEL", "SET", "mymaster", "notification-script", "/bin/true"),
			s("SENTINEL", "SET", "mymaster", "client-reconfig-script", "/bin/true"),
			s("SENTINEL", "SET", "mymaster", "quorum", "2", "quorum"), s("SENTINEL", "SET", "mymaster", "quorum", "2")},
		{s("CLIENT"), s("CLIENT", "FOO"), s("CLIENT", "GETNAME"),
			s("CLIENT", "SETNAME", "a", "b"), s("CLIENT", "SETNAME", "a b"), s("CLIENT", "SETNAME", "foo"), s("CLIENT", "GETNAME"),
			s("CLIENT", "REPLY", "FOO"), s("CLIENT", "KILL", "1.2.3.4:5"), s("CLIENT", "KILL", "ID", "99999"),
			s("CLIENT", "KILL", "ID", "abc"), s("CLIENT", "KILL", "FOO", "bar"), s("CLIENT", "KILL", "TYPE", "foo"),
			s("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "maybe"), s("CLIENT", "KILL", "USER", "nobody"), s("CLIENT", "KILL", "ID", "1", "TYPE"),
			s("CLIENT", "LIST", "TYPE", "foo"), s("CLIENT", "LIST", "ID", "abc"), s("CLIENT", "LIST", "FOO"),
			s("CLIENT", "LIST", "TYPE", "pubsub"), s("CLIENT", "LIST", "ID", "0"), s("CLIENT", "HELP")},
		{s("CLIENT", "TRACKING", "FOO"), s("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"), s("CLIENT", "TRACKING", "ON", "OPTIN", "BCAST"),
			s("CLIENT", "TRACKING", "ON", "PREFIX", "a"), s("CLIENT", "TRACKING", "ON", "REDIRECT", "x"),
			s("CLIENT", "TRACKING", "ON", "REDIRECT", "0"), s("CLIENT", "TRACKINGINFO"), s("CLIENT", "CACHING", "YES"),
			s("CLIENT", "TRACKING", "ON", "BCAST"), s("CLIENT", "TRACKINGINFO"), s("CLIENT", "TRACKING", "ON", "OPTIN"),
			s("CLIENT", "TRACKING", "OFF"), s("CLIENT", "TRACKING", "ON", "OPTIN"), s("CLIENT", "CACHING", "YES"),
			s("CLIENT", "CACHING", "NO"), s("CLIENT", "CACHING", "maybe"), s("CLIENT", "TRACKING", "ON", "OPTOUT"),
			s("CLIENT", "TRACKING", "ON", "NOLOOP"), s("CLIENT", "TRACKINGINFO"), s("CLIENT", "GETREDIR")},
		{s("CLIENT", "UNBLOCK", "1"), s("CLIENT", "UNBLOCK", "abc"), s("CLIENT", "UNBLOCK", "1", "FOO"), s("CLIENT", "NO-EVICT", "foo"),
			s("CLIENT", "NO-EVICT", "ON"), s("CLIENT", "PAUSE", "abc"), s("CLIENT", "PAUSE", "-1"), s("CLIENT", "PAUSE", "10", "FOO"),
			s("CLIENT", "PAUSE", "0", "ALL"), s("CLIENT", "UNPAUSE")},
		{s("ACL"), s("ACL", "FOO"), s("ACL", "WHOAMI"), s("ACL", "WHOAMI", "x"), s("ACL", "USERS"), s("ACL", "LIST"), s("ACL", "CAT"),
			s("ACL", "CAT", "foo"), s("ACL", "CAT", "a", "b"), sSorted("ACL", "CAT", "pubsub"), sSorted("ACL", "CAT", "admin"),
			s("ACL", "GETUSER", "default"), s("ACL", "GETUSER", "nobody"), s("ACL", "LOG", "RESET"), s("ACL", "LOG", "abc"),
			s("ACL", "LOG", "a", "b"), s("ACL", "LOAD"), s("ACL", "SAVE"), s("ACL", "DELUSER", "default"), s("ACL", "DELUSER", "foo"),
			s("ACL", "DRYRUN", "default", "ping"), s("ACL", "DRYRUN", "default", "get"), s("ACL", "DRYRUN", "nobody", "ping"),
			s("ACL", "DRYRUN", "default", "sentinel", "foo"), s("ACL", "GENPASS", "0"), s("ACL", "GENPASS", "abc"), s("ACL", "HELP")},
		{s("HELLO", "4"), s("HELLO", "abc"), s("HELLO", "2", "FOO"), s("HELLO", "2", "SETNAME"), s("HELLO", "3", "AUTH", "x"),
			s("HELLO", "2"), s("HELLO", "3", "SETNAME", "foo"), s("CLIENT", "GETNAME"), s("HELLO")},
		{s("AUTH", "x"), s("AUTH", "default", "x"), s("AUTH", "foo", "x"), s("AUTH", "a", "b", "c"), s("HELLO", "3", "AUTH", "default", "x")},
		{s("UNSUBSCRIBE"), s("PUNSUBSCRIBE"), sN(2, "UNSUBSCRIBE", "a", "b"), s("SUBSCRIBE", "+sdown"), s("SENTINEL", "MASTERS"),
			s("HELLO", "3"), s("CLIENT", "ID"), s("PING"), s("PING", "x"), s("SUBSCRIBE", "+sdown"), s("SUBSCRIBE", "+odown"),
			s("PSUBSCRIBE", "*"), s("UNSUBSCRIBE", "+odown"), s("UNSUBSCRIBE"), s("PING"),
			s("PUNSUBSCRIBE", "nope"), s("PUNSUBSCRIBE"), s("PING")},
		{s("PUBLISH", "foo", "bar"), s("PUBLISH", "__sentinel__:hello", "x"), s("PUBLISH", "a"), s("SHUTDOWN", "FOO"),
			s("SHUTDOWN", "ABORT"), s("SHUTDOWN", "NOSAVE", "ABORT"), s("SHUTDOWN", "SAVE", "NOSAVE"),
			s("INFO", "replication"), s("INFO", "a", "b", "c")},
		{s("HELLO", "3"), s("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"), s("SENTINEL", "CONFIG", "GET", "*-host*"), s("SENTINEL", "DEBUG"),
			s("COMMAND", "INFO", "ping"), s("COMMAND", "INFO", "foo"), s("CLIENT", "TRACKINGINFO"), s("ACL", "GETUSER", "default"),
			s("UNSUBSCRIBE"), s("SUBSCRIBE", "+sdown"), s("PING"), s("PING", "x"), s("CLIENT", "GETNAME"), s("SENTINEL", "MASTER", "nosuch"),
			s("SENTINEL", "SIMULATE-FAILURE", "help"), s("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "10.0.0.1", "1", "0", "*"),
			s("UNSUBSCRIBE", "x"), s("PUNSUBSCRIBE")},
		// Framing (each protocol error closes the connection).
		{sRaw("*0\r\n*-1\r\nPING\r\n"), sRaw("*1\r\n$4\r\nPINGxx\r\n"), sRaw("\r\n\r\n  \r\nPING  a\r\n"), sRaw("PING\n"),
			sRaw("ping 'a b'\r\n"), sRaw("*1\r\nPING\r\n"), s("PING")},
		{sRaw("PING \"a\\x41\\x4g\"\r\n"), sRaw("PING 'it\\'s'\r\n"), sRaw("PING \"a\\tb\\q\"\r\n"),
			sRaw("PING a\"b c\"\r\n"), sRaw("PING \"a\" \r\n"), sRaw("PING \x0bx\x0c\r\n"),
			sRaw("PING ''\r\n"), sRaw("\xff\xfe x\r\n"), sRaw("*1\n$4\r\nPING\r\n"), sRaw("*1\r\n$4\rxPING\r\n")},
		// strchr stops at NUL: the line never ends (until the 64 KB limit).
		{{raw: "PING a\x00b c\r\n", wait: 300 * time.Millisecond}},
		{{raw: "*1\r\n$4\x00\r\nPING\r\n", wait: 300 * time.Millisecond}},
		{sRaw("PING \x00" + strings.Repeat("x", 70000) + "\r\n"), s("PING")},
		{sRaw("PING a\"b c\"d\r\n"), s("PING")},
		{sRaw("PING 'a\r\n"), s("PING")},
		{sRaw("*abc\r\n"), s("PING")},
		{sRaw("*1\r\n$-1\r\n"), s("PING")},
		{sRaw("*1\r\n$600000000\r\n"), s("PING")},
		{sRaw("PING \"a\r\n"), s("PING")},
		{sRaw("*2\r\n$4\r\nPING\r\n+x\r\n"), s("PING")},
	})
}

func TestDifferentialAuth(t *testing.T) {
	real := startRealSentinel(t, "requirepass pw")
	ours := newEnv(t, func(c *config.Config) { c.RequirePass = "pw" }).addr
	diff(t, real, ours, [][]step{
		{s("PING"), s("QUIT"), s("GET", "x"), s("HELLO", "3"), s("HELLO"), s("HELLO", "2"), s("HELLO", "4"),
			s("HELLO", "3", "AUTH", "default", "bad"), s("AUTH", "bad"), s("AUTH", "default"), s("AUTH", "a", "b", "c"),
			s("CLIENT", "ID"), s("CLIENT", "ID", "x"), s("SUBSCRIBE", "x"),
			s("UNSUBSCRIBE"), s("COMMAND", "COUNT"), s("SENTINEL"), s("SENTINEL", "FOO"), s("SENTINEL", "MYID"),
			s("SENTINEL", "SET", "m", "quorum"), s("PUBLISH", "a", "b"), s("PING", "a", "b"), s("SHUTDOWN"),
			s("HELLO", "3", "AUTH", "default", "pw"), s("PING"), s("ACL", "LIST"), s("ACL", "GETUSER", "default"),
			s("AUTH", "pw"), s("AUTH", "default", "pw"), s("AUTH", "default", "bad")},
		{s("HELLO", "2", "AUTH", "foo", "pw"), s("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n"), s("CLIENT", "GETNAME")},
		{sRaw("*11\r\n"), s("PING")},
		{sRaw("*2\r\n$20000\r\n"), s("PING")},
		{sRaw("*10\r\n$16384\r\n" + strings.Repeat("a", 16384) + "\r\n" + strings.Repeat("$1\r\nb\r\n", 9)), s("PING")},
	})
}

// startRealSentinel runs redis-sentinel on a free port; it is killed by PID
// when the test ends. Without the binary the test is skipped, except under
// CI (CI=true), where scripts/deps.sh installs it and its absence fails.
func startRealSentinel(t *testing.T, conf ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Fatal("redis-sentinel not installed (scripts/deps.sh: apt-get install -y redis-sentinel): no live comparison")
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.Contains(string(out), "v=7.0.") {
		t.Fatalf("differential tests compare with redis-sentinel 7.0.x (Debian's), have %q", out)
	}
	dir := t.TempDir()
	port, deadPort := freePort(t), freePort(t)
	lines := append([]string{
		fmt.Sprintf("port %d", port), "bind 127.0.0.1", "dir " + dir, "logfile " + filepath.Join(dir, "log"),
		fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2", deadPort),
	}, conf...)
	file := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return addr
		}
		if i > 200 {
			t.Fatal("real sentinel did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
