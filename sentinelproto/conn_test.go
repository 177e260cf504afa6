package sentinelproto

import (
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/model"
)

// Connection-level behaviour, byte for byte against redis-sentinel 7.0.15
// captures (spec §1, checklist 1-6, 38, 44, 45).

func TestPingRole(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+PONG\r\n", "PING")
	c.expect("$2\r\nhi\r\n", "PING", "hi")
	c.expect("-ERR wrong number of arguments for 'ping' command\r\n", "PING", "a", "b")
	c.expect("*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n", "ROLE")
	c.expect("-ERR wrong number of arguments for 'role' command\r\n", "ROLE", "x")
	c.expect("+PONG\r\n", "ping") // lower case
}

func TestHello(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("*12\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n", "HELLO", "2")
	c.expect("%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:1\r\n$4\r\nmode\r\n$8\r\nsentinel\r\n$7\r\nmodules\r\n*0\r\n", "HELLO", "3")
	c.expect("-NOPROTO unsupported protocol version\r\n", "HELLO", "4")
	c.expect("-ERR Protocol version is not an integer or out of range\r\n", "HELLO", "abc")
	c.expect("-ERR Syntax error in HELLO option 'FOO'\r\n", "HELLO", "2", "FOO")
	c.expect("-ERR Syntax error in HELLO option 'SETNAME'\r\n", "HELLO", "2", "SETNAME")
	c.expect("-ERR Syntax error in HELLO option 'AUTH'\r\n", "HELLO", "3", "AUTH", "x")
	// Still RESP3 after the errors; HELLO without a version keeps it.
	if got := c.do("HELLO"); !strings.HasPrefix(got, "%6\r\n") {
		t.Fatalf("HELLO: %q", got)
	}
	c.do("HELLO", "3", "SETNAME", "foo")
	c.expect("$3\r\nfoo\r\n", "CLIENT", "GETNAME")
	c.expect("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "HELLO", "3", "SETNAME", "a b")
}

func TestUnknownCommands(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("-ERR unknown command 'GET', with args beginning with: 'foo' \r\n", "GET", "foo")
	c.expect("-ERR unknown command 'QUIT', with args beginning with: \r\n", "QUIT")
	c.expect("-ERR unknown command 'SELECT', with args beginning with: '0' \r\n", "SELECT", "0")
	c.expect("-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' \r\n", "CONFIG", "GET", "port")
	c.expect("-ERR unknown command 'SSUBSCRIBE', with args beginning with: 'x' \r\n", "SSUBSCRIBE", "x")
	// Arguments are cut at 128 bytes in total and at NUL, like "%.*s".
	long := strings.Repeat("a", 200)
	c.expect("-ERR unknown command 'GET', with args beginning with: '"+strings.Repeat("a", 128)+"' \r\n", "GET", long)
	c.expect("-ERR unknown command 'GET', with args beginning with: 'ab' \r\n", "GET", "ab\x00cd")
	// Newlines in arguments never break the framing.
	c.expect("-ERR unknown command 'GET', with args beginning with: 'a  b' \r\n", "GET", "a\r\nb")
	c.expect("+PONG\r\n", "PING") // connection kept
}

func TestCommandTable(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect(":15\r\n", "COMMAND", "COUNT")
	c.expect("-ERR wrong number of arguments for 'command|count' command\r\n", "COMMAND", "COUNT", "x")
	c.expect("-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n", "COMMAND", "FOO")
	c.expect("*1\r\n$-1\r\n", "COMMAND", "INFO", "foo")
	c.expect("-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "ping", "x")
	c.expect("-ERR Invalid command specified\r\n", "COMMAND", "GETKEYS", "get", "x")
	// COMMAND INFO ping, exactly as 7.0.15 in RESP2.
	c.expect("*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n", "COMMAND", "INFO", "ping")
	c.do("HELLO", "3")
	c.expect("*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n~1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@fast\r\n+@connection\r\n~2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n~0\r\n~0\r\n", "COMMAND", "INFO", "ping")
	v, _ := parseFrame(c.do("COMMAND"))
	if l := v.([]any); len(l) != 15 {
		t.Fatalf("COMMAND: %d entries", len(l))
	}
	v, _ = parseFrame(c.do("COMMAND", "LIST", "FILTERBY", "PATTERN", "sentinel|g*"))
	if l := v.([]any); len(l) != 2 || l[0] != "sentinel|get-master-addr-by-name" || l[1] != "sentinel|get-primary-addr-by-name" {
		t.Fatalf("COMMAND LIST: %v", l)
	}
	v, _ = parseFrame(c.do("COMMAND", "DOCS", "ping"))
	if l := v.([]any); len(l) != 2 || l[0] != "ping" {
		t.Fatalf("COMMAND DOCS: %v", l)
	}
	if got := c.do("COMMAND", "HELP"); !strings.HasPrefix(got, "*21\r\n+COMMAND <subcommand>") {
		t.Fatalf("COMMAND HELP: %q", got)
	}
}

func TestArityAndSubcommands(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("-ERR wrong number of arguments for 'sentinel' command\r\n", "SENTINEL")
	c.expect("-ERR wrong number of arguments for 'client' command\r\n", "CLIENT")
	c.expect("-ERR wrong number of arguments for 'acl' command\r\n", "ACL")
	c.expect("-ERR unknown subcommand 'FOO'. Try SENTINEL HELP.\r\n", "SENTINEL", "FOO")
	c.expect("-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n", "client", "foo")
	c.expect("-ERR unknown subcommand 'FOO'. Try ACL HELP.\r\n", "ACL", "FOO")
	c.expect("-ERR wrong number of arguments for 'sentinel|set' command\r\n", "SENTINEL", "SET", "mymaster", "quorum")
	c.expect("-ERR wrong number of arguments for 'sentinel|myid' command\r\n", "SENTINEL", "MYID", "x")
	c.expect("-ERR wrong number of arguments for 'subscribe' command\r\n", "SUBSCRIBE")
	c.expect("-ERR wrong number of arguments for 'publish' command\r\n", "PUBLISH", "a")
}

func TestClientCommands(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect(":1\r\n", "CLIENT", "ID")
	c.expect("$-1\r\n", "CLIENT", "GETNAME")
	c.expect("+OK\r\n", "CLIENT", "SETNAME", "foo")
	c.expect("$3\r\nfoo\r\n", "CLIENT", "GETNAME")
	c.expect("-ERR wrong number of arguments for 'client|setname' command\r\n", "CLIENT", "SETNAME", "a", "b")
	c.expect("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "x")
	c.expect("-ERR unknown subcommand 'MAINT_NOTIFICATIONS'. Try CLIENT HELP.\r\n", "CLIENT", "MAINT_NOTIFICATIONS", "ON", "moving-endpoint-type", "internal-ip")
	c.expect("+OK\r\n", "CLIENT", "TRACKING", "ON", "OPTIN")
	c.expect("+OK\r\n", "CLIENT", "CACHING", "YES")
	c.expect("-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n", "CLIENT", "TRACKING", "ON", "OPTOUT")
	c.expect("*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\noptin\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n", "CLIENT", "TRACKINGINFO")
	c.expect("+OK\r\n", "CLIENT", "TRACKING", "OFF")
	c.expect(":-1\r\n", "CLIENT", "GETREDIR")
	c.expect("-ERR The client ID you want redirect to does not exist\r\n", "CLIENT", "TRACKING", "ON", "REDIRECT", "999")
	c.expect("-ERR Unknown client type 'foo'\r\n", "CLIENT", "LIST", "TYPE", "foo")
	c.expect("-ERR No such client\r\n", "CLIENT", "KILL", "1.2.3.4:5")
	c.expect(":0\r\n", "CLIENT", "KILL", "ID", "999")
	c.expect("-ERR client-id should be greater than 0\r\n", "CLIENT", "KILL", "ID", "abc")
	c.expect("-ERR syntax error\r\n", "CLIENT", "REPLY", "FOO")
	info := c.do("CLIENT", "INFO")
	if !strings.Contains(info, "id=1 addr=") || !strings.Contains(info, " name=foo ") ||
		!strings.Contains(info, "cmd=client|info user=default redir=-1 resp=2 lib-name=x lib-ver=\n") {
		t.Fatalf("CLIENT INFO: %q", info)
	}
	c.do("HELLO", "3")
	if info := c.do("CLIENT", "LIST"); !strings.HasPrefix(info, "=") || !strings.Contains(info, "txt:id=1 ") {
		t.Fatalf("CLIENT LIST in RESP3 is verbatim: %q", info)
	}
	if got := c.do("CLIENT", "HELP"); !strings.HasPrefix(got, "*48\r\n+CLIENT <subcommand>") {
		t.Fatalf("CLIENT HELP: %q", got)
	}
}

func TestClientReplyAndKill(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.send("CLIENT", "REPLY", "OFF")
	c.send("PING")
	c.expect("+OK\r\n", "CLIENT", "REPLY", "ON")
	c.send("CLIENT", "REPLY", "SKIP")
	c.send("PING", "skipped")
	c.expect("$4\r\nseen\r\n", "PING", "seen")

	victim := e.dial()
	victim.expect(":2\r\n", "CLIENT", "ID")
	c.expect(":1\r\n", "CLIENT", "KILL", "ID", "2")
	if !victim.eof() {
		t.Fatal("killed client still open")
	}
	c.expect("+PONG\r\n", "PING")
	c.expect(":1\r\n", "CLIENT", "KILL", "ID", "1", "SKIPME", "no")
	if !c.eof() {
		t.Fatal("self-kill did not close")
	}
}

func TestClientPause(t *testing.T) {
	e := newEnv(t)
	a, b := e.dial(), e.dial()
	a.expect("+OK\r\n", "CLIENT", "PAUSE", "300")
	start := time.Now()
	b.expect("+PONG\r\n", "PING")
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("PING not held by CLIENT PAUSE (%v)", d)
	}
	a.expect("-ERR timeout is negative\r\n", "CLIENT", "PAUSE", "-1")
	a.expect("-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n", "CLIENT", "PAUSE", "10", "FOO")
	a.expect("+OK\r\n", "CLIENT", "PAUSE", "10000", "WRITE")
	b.expect("+PONG\r\n", "PING") // no write commands in Sentinel
	a.expect("+OK\r\n", "CLIENT", "UNPAUSE")
}

// CLIENT SETINFO (Redis 7.2): lib-name and lib-ver end CLIENT LIST and
// CLIENT INFO lines; an empty value clears; names are checked like
// CLIENT SETNAME's.
func TestClientSetInfo(t *testing.T) {
	e := newEnv(t)
	c, other := e.dial(), e.dial()
	c.expect("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.26.8)")
	c.expect("+OK\r\n", "client", "setinfo", "lib-ver", "9.23.0")
	c.expect("-ERR Unrecognized option 'LIB-FOO'\r\n", "CLIENT", "SETINFO", "LIB-FOO", "x")
	c.expect("-ERR LIB-VER cannot contain spaces, newlines or special characters.\r\n", "CLIENT", "SETINFO", "LIB-VER", "1 2")
	c.expect("-ERR lib-name cannot contain spaces, newlines or special characters.\r\n", "CLIENT", "SETINFO", "lib-name", "a\nb")
	c.expect("-ERR wrong number of arguments for 'client|setinfo' command\r\n", "CLIENT", "SETINFO", "LIB-NAME")
	if info := c.do("CLIENT", "INFO"); !strings.HasSuffix(info, " resp=2 lib-name=go-redis(,go1.26.8) lib-ver=9.23.0\n\r\n") {
		t.Fatalf("CLIENT INFO: %q", info)
	}
	list := other.do("CLIENT", "LIST")
	if !strings.Contains(list, " lib-name=go-redis(,go1.26.8) lib-ver=9.23.0\n") || !strings.Contains(list, " lib-name= lib-ver=\n") {
		t.Fatalf("CLIENT LIST: %q", list)
	}
	c.expect("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "")
	if info := c.do("CLIENT", "INFO"); !strings.HasSuffix(info, " lib-name= lib-ver=9.23.0\n\r\n") {
		t.Fatalf("CLIENT INFO after clearing: %q", info)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RequirePass = "pw" })
	c := e.dial()
	c.expect("-NOAUTH Authentication required.\r\n", "PING")
	c.expect("-NOAUTH Authentication required.\r\n", "SENTINEL", "MYID")
	c.expect("-NOAUTH Authentication required.\r\n", "CLIENT", "SETINFO", "LIB-NAME", "x")
	c.expect("-ERR wrong number of arguments for 'client|id' command\r\n", "CLIENT", "ID", "x")
	c.expect("-NOAUTH Authentication required.\r\n", "SUBSCRIBE", "x")
	c.expect("-ERR unknown command 'GET', with args beginning with: 'x' \r\n", "GET", "x")
	c.expect("-ERR wrong number of arguments for 'sentinel' command\r\n", "SENTINEL")
	helloErr := "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
	c.expect(helloErr, "HELLO", "3")
	c.expect(helloErr, "HELLO")
	c.expect("-NOPROTO unsupported protocol version\r\n", "HELLO", "4")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO", "3", "AUTH", "default", "bad")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "bad")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "default")
	c.expect("-ERR syntax error\r\n", "AUTH", "a", "b", "c")
	if got := c.do("HELLO", "3", "AUTH", "default", "pw"); !strings.HasPrefix(got, "%6\r\n") {
		t.Fatalf("HELLO AUTH: %q", got)
	}
	c.expect("+PONG\r\n", "PING")

	d := e.dial()
	d.expect("+OK\r\n", "AUTH", "pw")
	d.expect("+OK\r\n", "AUTH", "default", "pw")
	d.expect("*1\r\n$93\r\nuser default on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* +@all\r\n", "ACL", "LIST")
	// Before AUTH, Redis limits the request size.
	f := e.dial()
	f.sendRaw("*11\r\n")
	f.expect("-ERR Protocol error: unauthenticated multibulk length\r\n")
	g := e.dial()
	g.sendRaw("*2\r\n$20000\r\n")
	if got := g.read(); got != "-ERR Protocol error: unauthenticated bulk length\r\n" || !g.eof() {
		t.Fatalf("unauthenticated bulk: %q", got)
	}
}

func TestAuthWithoutPassword(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", "AUTH", "x")
	c.expect("+OK\r\n", "AUTH", "default", "x")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "foo", "x")
	if got := c.do("HELLO", "3", "AUTH", "default", "x"); !strings.HasPrefix(got, "%6\r\n") {
		t.Fatalf("HELLO AUTH without password: %q", got)
	}
	c.expect("$7\r\ndefault\r\n", "ACL", "WHOAMI")
	c.expect("*1\r\n$7\r\ndefault\r\n", "ACL", "USERS")
	c.expect("*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n", "ACL", "LIST")
	c.expect("-ERR Unknown category 'foo'\r\n", "ACL", "CAT", "foo")
	c.expect("*5\r\n$7\r\npublish\r\n$11\r\nunsubscribe\r\n$10\r\npsubscribe\r\n$9\r\nsubscribe\r\n$12\r\npunsubscribe\r\n", "ACL", "CAT", "pubsub")
	c.expect("-ERR The 'default' user cannot be removed\r\n", "ACL", "DELUSER", "default")
	c.expect("-ERR Command 'get' not found\r\n", "ACL", "DRYRUN", "default", "get")
	c.expect("+OK\r\n", "ACL", "DRYRUN", "default", "sentinel", "masters")
	if got := c.do("ACL", "GENPASS", "5"); got[:4] != "$2\r\n" {
		t.Fatalf("ACL GENPASS 5: %q", got)
	}
}

func TestShutdownAndPublish(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("-ERR syntax error\r\n", "SHUTDOWN", "FOO")
	c.expect("-ERR No shutdown in progress.\r\n", "SHUTDOWN", "ABORT")
	c.expect("-ERR syntax error\r\n", "SHUTDOWN", "NOSAVE", "ABORT")
	c.expect("-ERR Only HELLO messages are accepted by Sentinel instances.\r\n", "PUBLISH", "foo", "bar")
	c.expect(":1\r\n", "PUBLISH", "__sentinel__:hello", "x")
	c.send("SHUTDOWN", "NOSAVE")
	if !c.eof() {
		t.Fatal("SHUTDOWN kept the connection")
	}
	select {
	case <-e.shutdown:
	case <-time.After(5 * time.Second):
		t.Fatal("Options.Shutdown not called")
	}
}

func TestPanicIsContained(t *testing.T) {
	e := newEnv(t)
	e.state(func(st *model.State) { st.Masters["broken"] = nil }) // a bug elsewhere
	c := e.dial()
	c.expect("-ERR internal error\r\n", "SENTINEL", "MASTERS")
	c.expect("+PONG\r\n", "PING")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
}

func TestLimitsAndClose(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.MaxClients = 2; c.Timeout = 300 * time.Millisecond })
	a, sub := e.dial(), e.dial()
	a.expect("+PONG\r\n", "PING")
	sub.expect(frame2("subscribe", "x", ":1"), "SUBSCRIBE", "x")
	third := e.dial()
	if got := third.read(); got != "-ERR max number of clients reached\r\n" || !third.eof() {
		t.Fatalf("over maxclients: %q", got)
	}
	// Idle clients are closed after `timeout`, subscribers are not.
	if !a.eof() {
		t.Fatal("idle client kept")
	}
	sub.expect("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
	// Close ends every connection.
	_ = e.srv.Close()
	if !sub.eof() {
		t.Fatal("Close kept a connection")
	}
}
