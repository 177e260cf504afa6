//go:build e2e

package sentinelproto

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
)

// ACL on the Sentinel port, compared byte for byte with redis-sentinel
// 7.0.15: users from the config file, AUTH/HELLO AUTH as those users,
// NOPERM for commands and channels, ACL SETUSER/GETUSER/LIST/DRYRUN and
// their errors. Replies whose rule order depends on Redis's dict order are
// compared sorted.

func aclConfLines() []string {
	lines := []string{"requirepass pw"}
	for _, u := range aclUsers {
		lines = append(lines, "user "+u)
	}
	return lines
}

func TestDifferentialACL(t *testing.T) {
	real := startRealSentinel(t, aclConfLines()...)
	ours := newEnv(t, aclConfig).addr
	auth := func(u, p string) step { return s("AUTH", u, p) }
	diff(t, real, ours, [][]step{
		{s("AUTH", "pw"), sW("ACL", "LIST"), s("ACL", "USERS"), sW("ACL", "GETUSER", "alice"), sW("ACL", "GETUSER", "bob"),
			sW("ACL", "GETUSER", "erin"), s("ACL", "GETUSER", "nobody"), s("ACL", "WHOAMI"),
			s("ACL", "DRYRUN", "bob", "sentinel", "masters"), s("ACL", "DRYRUN", "bob", "subscribe", "bar"),
			s("ACL", "DRYRUN", "bob", "subscribe", "foo1", "foo2"), s("ACL", "DRYRUN", "bob", "ping"),
			s("ACL", "DRYRUN", "nobody", "ping"), s("ACL", "DRYRUN", "bob", "nosuch"), s("ACL", "DRYRUN", "erin", "sentinel", "get-master-addr-by-name", "x"),
			s("ACL", "DRYRUN", "erin", "role"), s("ACL", "DRYRUN", "erin", "sentinel", "set", "m", "quorum", "1"),
			s("ACL", "DRYRUN", "alice", "publish", "x", "y")},
		{s("AUTH", "default", "pw"), s("ACL", "SETUSER", "x", "+nosuch"), s("ACL", "SETUSER", "x", "+@nosuch"),
			s("ACL", "SETUSER", "x", "foo"), s("ACL", "SETUSER", "x", "#abc"), s("ACL", "SETUSER", "x", "<nope"),
			s("ACL", "SETUSER", "x", "&*", "&foo"), s("ACL", "SETUSER", "x", "~*", "~foo"),
			s("ACL", "SETUSER", "x", "+sentinel|masters|x"), s("ACL", "SETUSER", "x", "+sentinel|"),
			s("ACL", "SETUSER", "x", "(+ping"), s("ACL", "SETUSER", "a b"), s("ACL", "SETUSER", "x", "%"),
			s("ACL", "SETUSER", "x", "%RR~y"), s("ACL", "SETUSER", "x", "-ping|x"), s("ACL", "USERS"),
			s("ACL", "SETUSER", "x", "+ping|x", "+ping|X", "%R~a", "%W~a", "%W~b", "&c", "(+role ~k)"), sW("ACL", "GETUSER", "x"),
			s("ACL", "SETUSER", "y", "reset"), s("ACL", "SETUSER", "z", "+@all", "-@slow"), sW("ACL", "LIST"),
			s("ACL", "DELUSER", "x", "y", "nobody"), s("ACL", "DELUSER", "default", "z"), s("ACL", "USERS")},
		{s("PING"), auth("bob", "bad"), auth("dave", "dpw"), s("PING"), auth("bob", "bpw"), s("PING"), s("ACL", "WHOAMI"),
			s("SENTINEL", "MASTERS"), s("SENTINEL", "MASTERS", "extra"), s("SENTINEL"), s("SUBSCRIBE", "bar"),
			s("PSUBSCRIBE", "foo*"), s("PUBLISH", "foo1", "x"), s("CLIENT", "ID"), s("HELLO", "3"), s("SENTINEL", "MASTERS"),
			s("SUBSCRIBE", "foo1", "bar"), s("SUBSCRIBE", "foo1"), s("PING"), s("SENTINEL", "MYID"), s("AUTH", "alice", "apw"),
			s("SENTINEL", "SET", "mymaster", "quorum", "2"), s("SENTINEL", "MYID", "x"), s("ACL", "WHOAMI")},
		{s("HELLO", "3", "AUTH", "carol", "anything"), s("PING"), s("ACL", "WHOAMI"), s("AUTH", "pw"), s("ACL", "WHOAMI")},
		{s("HELLO", "2", "AUTH", "erin", "epw"), s("PING"), s("ROLE"), s("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"), s("SENTINEL", "MYID"),
			s("CLIENT", "SETNAME", "x"), s("SUBSCRIBE", "a")},
		{s("CLIENT", "KILL", "USER", "bob"), s("AUTH", "pw"), s("CLIENT", "KILL", "USER", "nobody"), s("CLIENT", "KILL", "USER", "carol")},
	})
}

// After SETUSER of the default user, connections follow its new rules at
// once; DELUSER and SETUSER narrowing channels drop the affected clients.
func TestDifferentialACLChanges(t *testing.T) {
	real := startRealSentinel(t)
	ours := newEnv(t).addr
	diff(t, real, ours, [][]step{
		{s("ACL", "SETUSER", "default", "-role"), s("ROLE"), s("ACL", "SETUSER", "default", "resetpass", ">pw"), s("PING"),
			s("ACL", "LIST"), s("ACL", "SETUSER", "default", "nopass", "+@all")},
	})
	for _, addr := range []string{real, ours} {
		c1 := dialAuthed(t, addr, "")
		send(t, c1, "ACL", "SETUSER", "u", "on", "nopass", "+@all", "&a*")
		sub := dialAuthed(t, addr, "u")
		send(t, sub, "SUBSCRIBE", "ab")
		other := dialAuthed(t, addr, "u")
		if got := send(t, c1, "ACL", "SETUSER", "u", "resetchannels", "&b*"); got != "+OK\r\n" {
			t.Fatalf("%s: SETUSER %q", addr, got)
		}
		if got := send(t, sub, "PING"); got != "<closed>" {
			t.Errorf("%s: subscriber to a revoked channel: %q", addr, got)
		}
		if got := send(t, other, "PING"); got != "+PONG\r\n" {
			t.Errorf("%s: non-subscriber: %q", addr, got)
		}
		if got := send(t, c1, "ACL", "DELUSER", "u"); got != ":1\r\n" {
			t.Errorf("%s: DELUSER %q", addr, got)
		}
		if got := send(t, other, "PING"); got != "<closed>" {
			t.Errorf("%s: client of a deleted user: %q", addr, got)
		}
	}
}

// ACL LOAD and SAVE with an aclfile; error texts name the file, which is
// replaced by FILE for the comparison.
func TestDifferentialACLFile(t *testing.T) {
	rdir, odir := t.TempDir(), t.TempDir()
	rfile, ofile := filepath.Join(rdir, "users.acl"), filepath.Join(odir, "users.acl")
	content := "user default on >pw ~* &* +@all\nuser bob on >bpw +ping &x\n"
	for _, f := range []string{rfile, ofile} {
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	real := startRealSentinel(t, "aclfile "+rfile)
	ours := newEnv(t, func(c *config.Config) { c.ACLFile = ofile }).addr
	run := func(addr, file string, args ...string) string {
		c := dialAuthed(t, addr, "")
		send(t, c, "AUTH", "pw")
		return strings.ReplaceAll(send(t, c, args...), file, "FILE")
	}
	same := func(args ...string) {
		t.Helper()
		if a, b := run(real, rfile, args...), run(ours, ofile, args...); a != b {
			t.Errorf("%q:\nredis-sentinel %q\n      raftinel %q", args, a, b)
		}
	}
	same("ACL", "LIST")
	same("ACL", "SETUSER", "carol", "on", "nopass", "-@all", "+ping")
	same("ACL", "SAVE")
	rb, _ := os.ReadFile(rfile)
	ob, _ := os.ReadFile(ofile)
	if string(rb) != string(ob) {
		t.Errorf("ACL SAVE wrote\n%s\nvs redis-sentinel\n%s", ob, rb)
	}
	same("ACL", "LOAD")
	same("ACL", "LIST")
	bad := "user bob on +nosuch\nfoo bar\nuser bob on\nuser x (+ping\n"
	for _, f := range []string{rfile, ofile} {
		_ = os.WriteFile(f, []byte(bad), 0o644)
	}
	same("ACL", "LOAD")
	same("ACL", "LIST")
	for _, f := range []string{rfile, ofile} {
		_ = os.Remove(f)
	}
	same("ACL", "LOAD")
}

// Protected mode: with no password, only 127.0.0.1 and ::1 may connect.
func TestDifferentialProtectedMode(t *testing.T) {
	real := startRealSentinel(t, "protected-mode yes")
	ours := newEnv(t, func(c *config.Config) { c.ProtectedMode = true }).addr
	first := func(addr, src string) string {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", src, err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = c.Write([]byte("PING\r\n"))
		b, _ := bufio.NewReader(c).ReadString('\n')
		return b
	}
	for _, src := range []string{"127.0.0.1", "127.0.0.2"} {
		if a, b := first(real, src), first(ours, src); a != b {
			t.Errorf("from %s:\nredis-sentinel %q\n      raftinel %q", src, a, b)
		}
	}
	if got := first(ours, "127.0.0.2"); !strings.HasPrefix(got, "-DENIED Redis is running in protected mode") {
		t.Errorf("not refused: %q", got)
	}
}

// sW compares a reply with arrays and the words of every string sorted.
func sW(args ...string) step { return step{args: args, words: true} }
