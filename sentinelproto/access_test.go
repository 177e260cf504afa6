package sentinelproto

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
)

func TestProtectedRefuses(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000} }
	cases := []struct {
		protected, nopass bool
		remote            net.Addr
		want              bool
	}{
		{true, true, tcp("127.0.0.1"), false},
		{true, true, tcp("::1"), false},
		{true, true, tcp("127.0.0.2"), true},
		{true, true, tcp("10.1.2.3"), true},
		{true, true, tcp("2001:db8::1"), true},
		{true, false, tcp("10.1.2.3"), false}, // a password is set
		{false, true, tcp("10.1.2.3"), false}, // protected-mode no
	}
	for _, c := range cases {
		if got := protectedRefuses(c.protected, c.nopass, c.remote); got != c.want {
			t.Errorf("%+v: got %v", c, got)
		}
	}
}

// ACL LOG records denied commands, channels and failed AUTHs with the
// client's info line, newest first, grouping repeats.
func TestACLLogEntries(t *testing.T) {
	addr := newEnv(t, aclConfig).addr
	bob := dialAuthed(t, addr, "")
	send(t, bob, "AUTH", "bob", "bpw")
	send(t, bob, "SENTINEL", "MASTERS")
	send(t, bob, "SENTINEL", "MASTERS")
	send(t, bob, "SUBSCRIBE", "bar")
	send(t, bob, "AUTH", "nobody", "x")
	admin := dialAuthed(t, addr, "")
	send(t, admin, "AUTH", "pw")
	v, _ := parseFrame(send(t, admin, "ACL", "LOG"))
	entries, _ := v.([]any)
	if len(entries) != 3 {
		t.Fatalf("ACL LOG = %v", v)
	}
	want := []map[string]string{
		{"count": "1", "reason": "auth", "object": "AUTH", "username": "nobody", "context": "toplevel"},
		{"count": "1", "reason": "channel", "object": "bar", "username": "bob"},
		{"count": "2", "reason": "command", "object": "sentinel|masters", "username": "bob"},
	}
	for i, e := range entries {
		kv, _ := e.([]any)
		m := map[string]string{}
		for j := 0; j+1 < len(kv); j += 2 {
			m[kv[j].(string)] = fmt.Sprint(kv[j+1])
		}
		for k, w := range want[i] {
			if m[k] != w {
				t.Errorf("entry %d %s = %q, want %q (%v)", i, k, m[k], w, m)
			}
		}
		if !strings.Contains(m["client-info"], " user=") || m["age-seconds"] == "" {
			t.Errorf("entry %d: %v", i, m)
		}
	}
	if m := fmt.Sprint(entries[2]); !strings.Contains(m, "cmd=sentinel|masters user=bob") {
		t.Errorf("client info of a denied command: %s", m)
	}
	if got := send(t, admin, "CLIENT", "LIST"); !strings.Contains(got, "user=bob") || !strings.Contains(got, "user=default") {
		t.Errorf("CLIENT LIST users: %q", got)
	}
	if got := send(t, admin, "ACL", "LOG", "1"); !strings.HasPrefix(got, "*1\r\n") {
		t.Errorf("ACL LOG 1: %q", got)
	}
	send(t, admin, "ACL", "LOG", "RESET")
	if got := send(t, admin, "ACL", "LOG"); got != "*0\r\n" {
		t.Errorf("after RESET: %q", got)
	}
	if got := send(t, admin, "HELLO", "3"); !strings.HasPrefix(got, "%") {
		t.Fatalf("HELLO 3: %q", got)
	}
	send(t, bob, "SENTINEL", "MYID")
	if got := send(t, admin, "ACL", "LOG"); !strings.Contains(got, ",") {
		t.Errorf("RESP3 age-seconds is a double: %q", got)
	}
}

// A config with a bad user line stops start-up with Redis's reason.
func TestLoadACLErrors(t *testing.T) {
	cases := []struct {
		tweak func(*config.Config)
		want  string
	}{
		{func(c *config.Config) { c.Users = []string{"bob on +nosuch"} },
			"Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL"},
		{func(c *config.Config) { c.ACLFile = "/nonexistent/users.acl" },
			"Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/users.acl': No such file or directory"},
	}
	for _, c := range cases {
		cfg := config.Default()
		c.tweak(cfg)
		err := NewServer(Options{Config: cfg}).LoadACL()
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}

func aclConfig(c *config.Config) {
	c.RequirePass = "pw"
	c.Users = aclUsers
}

// dialAuthed opens a connection, authenticated as user (nopass) unless "".
func dialAuthed(t *testing.T, addr, user string) *bufio.ReadWriter {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	if user != "" {
		if got := send(t, rw, "AUTH", user, "x"); got != "+OK\r\n" {
			t.Fatalf("AUTH %s: %q", user, got)
		}
	}
	return rw
}

// send writes one command and reads one reply frame ("<closed>" on EOF).
func send(t *testing.T, rw *bufio.ReadWriter, args ...string) string {
	t.Helper()
	_, _ = rw.WriteString(encode(args...))
	if err := rw.Flush(); err != nil {
		return "<closed>"
	}
	f, err := readFrame(rw.Reader)
	if err != nil {
		return "<closed>"
	}
	return f
}

var aclUsers = []string{
	`alice on >apw +@all -sentinel|set ~* &+*`,
	`bob on >bpw +ping +subscribe &foo*`,
	`carol on nopass -@all +auth`,
	`dave off >dpw +@all`,
	`erin on >epw -@all +@connection (+sentinel|get-master-addr-by-name ~k) (+role)`,
}
