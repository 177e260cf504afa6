package acl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testTable is a slice of Sentinel's command table with its real
// categories: enough to exercise containers, no-auth commands, channels.
func testTable() *Table {
	adm := []string{"@admin", "@slow", "@dangerous"}
	return NewTable([]*Command{
		{Name: "ping", Categories: []string{"@fast", "@connection"}},
		{Name: "auth", Categories: []string{"@fast", "@connection"}, NoAuth: true},
		{Name: "publish", Categories: []string{"@pubsub", "@fast"}, Channels: PublishChannel},
		{Name: "subscribe", Categories: []string{"@pubsub", "@slow"}, Channels: SubscribeChannels},
		{Name: "psubscribe", Categories: []string{"@pubsub", "@slow"}, Channels: PatternChannels},
		{Name: "role", Categories: []string{"@admin", "@fast", "@dangerous"}},
		{Name: "sentinel", Categories: adm, Subs: []*Command{
			{Name: "sentinel|masters", Categories: adm},
			{Name: "sentinel|set", Categories: adm},
			{Name: "sentinel|help", Categories: []string{"@slow"}},
		}},
	})
}

func TestRuleErrors(t *testing.T) {
	hash := HashPassword("pw")
	cases := []struct{ op, want string }{
		{"+nosuch", "Unknown command or category name in ACL"},
		{"+@nosuch", "Unknown command or category name in ACL"},
		{"-ping|x", "Unknown command or category name in ACL"},
		{"-sentinel|set|x", "Unknown command or category name in ACL"},
		{"+sentinel|nosuch", "Unknown command or category name in ACL"},
		{"foo", "Syntax error"},
		{"+sentinel|", "Syntax error"},
		{"%", "Syntax error"},
		{"%RR~x", "Syntax error"},
		{"~a b", "Syntax error"},
		{"&a\tb", "Syntax error"},
		{"#abc", "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{"#" + strings.ToUpper(hash), "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{"<nope", "The password you are trying to remove from the user does not exist"},
		{"!" + hash, "The password you are trying to remove from the user does not exist"},
		{"+sentinel|masters|x", "Allowing first-arg of a subcommand is not supported"},
		{"(foo)", "Syntax error"},
	}
	for _, c := range cases {
		r := NewRegistry(testTable())
		_, _, err := r.SetUser("x", []string{"on", c.op})
		var re *RuleError
		if !errors.As(err, &re) || re.Err.Error() != c.want || re.Op != c.op {
			t.Errorf("%q: got %v, want %q", c.op, err, c.want)
			continue
		}
		if want := "Error in ACL SETUSER modifier '" + c.op + "': " + c.want; err.Error() != want {
			t.Errorf("%q: text %q", c.op, err)
		}
		if r.User("x") != nil {
			t.Errorf("%q: a failed SETUSER created the user", c.op)
		}
	}
	r := NewRegistry(testTable())
	for _, ops := range [][]string{{"~*", "~foo"}, {"&*", "&foo"}} {
		if _, _, err := r.SetUser("x", ops); err == nil || !strings.Contains(err.Error(), "Adding a pattern after the * pattern") {
			t.Errorf("%v: %v", ops, err)
		}
	}
	if _, _, err := r.SetUser("a b", nil); !errors.Is(err, ErrUsernameSpaces) {
		t.Errorf("space in name: %v", err)
	}
	if _, _, err := r.SetUser("x", []string{"(+ping", "~x"}); err == nil || err.Error() != "Unmatched parenthesis in acl selector starting at '(+ping'." {
		t.Errorf("unclosed selector: %v", err)
	}
}

func TestSetUserIsAtomic(t *testing.T) {
	r := NewRegistry(testTable())
	if _, _, err := r.SetUser("u", []string{"on", ">a", "+ping"}); err != nil {
		t.Fatal(err)
	}
	before := r.List()
	if _, _, err := r.SetUser("u", []string{"off", "-ping", "+nosuch"}); err == nil {
		t.Fatal("want an error")
	}
	if after := r.List(); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("changed by a failed SETUSER:\n%v\n%v", before, after)
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		rules []string
		argv  []string
		want  Verdict
		pos   int
	}{
		{[]string{"+@all"}, []string{"sentinel", "set", "m", "quorum", "2"}, Allowed, 0},
		{[]string{"+@all", "-sentinel|set"}, []string{"sentinel", "set", "m", "quorum", "2"}, DeniedCommand, 0},
		{[]string{"+@all", "-sentinel|set"}, []string{"sentinel", "masters"}, Allowed, 0},
		{[]string{"-@all", "+sentinel"}, []string{"sentinel", "help"}, Allowed, 0},
		{[]string{"-@all", "+@admin"}, []string{"sentinel", "help"}, Allowed, 0}, // the container takes its subcommands
		{[]string{"+@all", "-@admin"}, []string{"sentinel", "help"}, DeniedCommand, 0},
		{[]string{"-@all", "+@slow", "-sentinel"}, []string{"sentinel", "help"}, DeniedCommand, 0},
		{[]string{"-@all", "+@slow", "-sentinel", "+sentinel|help"}, []string{"sentinel", "help"}, Allowed, 0},
		{[]string{"-@all"}, []string{"auth", "x"}, Allowed, 0}, // no_auth
		{[]string{"-@all", "+ping|hi"}, []string{"ping", "HI"}, Allowed, 0},
		{[]string{"-@all", "+ping|hi"}, []string{"ping"}, DeniedCommand, 0},
		{[]string{"-@all", "+ping|hi", "-ping"}, []string{"ping", "hi"}, DeniedCommand, 0},
		{[]string{"-@all", "+ping|hi", "+@all"}, []string{"ping", "x"}, Allowed, 0},
		{[]string{"+@all"}, []string{"subscribe", "a", "b"}, DeniedChannel, 1}, // resetchannels by default
		{[]string{"+@all", "&a*"}, []string{"subscribe", "ab", "b"}, DeniedChannel, 2},
		{[]string{"+@all", "&a*", "&b"}, []string{"subscribe", "ab", "b"}, Allowed, 0},
		{[]string{"+@all", "&a*"}, []string{"psubscribe", "ab*"}, DeniedChannel, 1}, // patterns match literally
		{[]string{"+@all", "&a*"}, []string{"psubscribe", "a*"}, Allowed, 0},
		{[]string{"+@all", "allchannels"}, []string{"psubscribe", "*"}, Allowed, 0},
		{[]string{"+@all", "&x"}, []string{"publish", "x", "y"}, Allowed, 0},
		{[]string{"+@all", "&x"}, []string{"publish", "y", "x"}, DeniedChannel, 1},
		{[]string{"-@all", "+ping"}, []string{"subscribe", "a"}, DeniedCommand, 0},
		// Selectors: any one that allows wins; else the worst error.
		{[]string{"-@all", "(+sentinel|masters)"}, []string{"sentinel", "masters"}, Allowed, 0},
		{[]string{"-@all", "(+subscribe &a)", "(+subscribe &b)"}, []string{"subscribe", "a", "b"}, DeniedChannel, 2},
		{[]string{"-@all", "(+subscribe &a)", "(+subscribe &b)"}, []string{"subscribe", "b"}, Allowed, 0},
		{[]string{"+@all", "clearselectors", "(+role)", "clearselectors", "-role"}, []string{"role"}, DeniedCommand, 0},
	}
	for _, c := range cases {
		tab := testTable()
		r := NewRegistry(tab)
		u, _, err := r.SetUser("u", append([]string{"on"}, c.rules...))
		if err != nil {
			t.Fatalf("%v: %v", c.rules, err)
		}
		cmd := tab.Lookup(c.argv[0])
		if len(cmd.Subs) > 0 && len(c.argv) > 1 {
			cmd = tab.Lookup(c.argv[0] + "|" + c.argv[1])
		}
		argv := make([][]byte, len(c.argv))
		for i, a := range c.argv {
			argv[i] = []byte(a)
		}
		v, pos := r.Check(u, cmd, argv)
		if v != c.want || pos != c.pos {
			t.Errorf("%v %v: got %v@%d, want %v@%d", c.rules, c.argv, v, pos, c.want, c.pos)
		}
	}
}

func TestDescribe(t *testing.T) {
	hash := HashPassword("p2")
	cases := []struct {
		rules []string
		want  string
	}{
		{nil, "off resetchannels -@all"},
		{[]string{"reset"}, "off sanitize-payload resetchannels -@all"},
		{[]string{"on", "nopass", "~*", "&*", "+@all"}, "on nopass ~* &* +@all"},
		{[]string{"on", ">p1", ">p2", "<p1", "+@all", "-sentinel|set"}, "on #" + hash + " resetchannels +@all -sentinel|set"},
		{[]string{"+@all", "-@admin"}, "off resetchannels +@all -@admin"},
		{[]string{"-@all", "+ping", "+subscribe", "&foo*"}, "off resetchannels &foo* -@all +ping +subscribe"},
		{[]string{"%R~a", "%W~a", "%W~b", "~c", "%R"}, "off ~a %W~b ~c %R~ resetchannels -@all"},
		{[]string{"+ping|a", "+ping|B", "+ping|b"}, "off resetchannels -@all +ping|a +ping|B"},
		{[]string{"+@pubsub", "-publish"}, "off resetchannels -@all +@pubsub -publish"},
		{[]string{"(+ping ~y)", "( ~x  )"}, "off resetchannels -@all (~y resetchannels -@all +ping) (~x resetchannels -@all)"},
		{[]string{"skip-sanitize-payload", "allkeys", "allchannels", "nocommands"}, "off skip-sanitize-payload ~* &* -@all"},
	}
	for _, c := range cases {
		tab := testTable()
		r := NewRegistry(tab)
		if _, _, err := r.SetUser("u", c.rules); err != nil {
			t.Fatalf("%v: %v", c.rules, err)
		}
		if got := r.List()[1]; got != "user u "+c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.rules, got, "user u "+c.want)
		}
	}
	// GETUSER of the same.
	r := NewRegistry(testTable())
	_, _, _ = r.SetUser("u", []string{"on", ">p2", "%W~b", "&x", "+@admin", "(+ping)"})
	ui, ok := r.GetUser("u")
	want := UserInfo{Flags: []string{"on"}, Passwords: []string{hash},
		Root:      SelectorInfo{Commands: "-@all +@admin", Keys: "%W~b", Channels: "&x"},
		Selectors: []SelectorInfo{{Commands: "-@all +ping", Keys: "", Channels: ""}}}
	if !ok || strings.Join(ui.Flags, ",") != "on" || ui.Passwords[0] != hash || ui.Root != want.Root || len(ui.Selectors) != 1 || ui.Selectors[0] != want.Selectors[0] {
		t.Errorf("GETUSER = %+v", ui)
	}
	if _, ok := r.GetUser("nobody"); ok {
		t.Error("GETUSER of a missing user")
	}
}

func TestAuthenticate(t *testing.T) {
	r := NewRegistry(testTable())
	if r.AuthRequired() || !r.DefaultNoPass() {
		t.Fatal("default user starts nopass")
	}
	if r.Authenticate("default", "anything") != r.Default() {
		t.Error("nopass default accepts any password")
	}
	r.SetRequirePass("pw")
	if !r.AuthRequired() || r.Authenticate("default", "x") != nil || r.Authenticate("default", "pw") == nil {
		t.Error("requirepass")
	}
	_, _, _ = r.SetUser("a", []string{">x", ">y"})
	if r.Authenticate("a", "x") != nil {
		t.Error("a user that is off authenticated")
	}
	_, _, _ = r.SetUser("a", []string{"on", "<x"})
	if r.Authenticate("a", "x") != nil || r.Authenticate("a", "y") == nil || r.Authenticate("nobody", "y") != nil {
		t.Error("passwords")
	}
	_, _, _ = r.SetUser("default", []string{"off", "nopass"})
	if !r.AuthRequired() {
		t.Error("a disabled default user requires auth")
	}
	if _, err := r.DelUsers([]string{"a", "default"}); !errors.Is(err, ErrDefaultUser) || r.User("a") == nil {
		t.Errorf("DELUSER default: %v", err)
	}
	if gone, err := r.DelUsers([]string{"a", "nobody"}); err != nil || len(gone) != 1 || r.User("a") != nil {
		t.Errorf("DELUSER: %v %v", gone, err)
	}
}

func TestLoadConfig(t *testing.T) {
	r := NewRegistry(testTable())
	if err := r.LoadConfig("pw", []string{`alice on >a +@all -sentinel|set`, `default on nopass ~* &* +@all`}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"user alice on #" + HashPassword("a") + " resetchannels +@all -sentinel|set",
		"user default on nopass sanitize-payload ~* &* +@all", // a `user default` line resets it first
	}
	if got := r.List(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
	err := NewRegistry(testTable()).LoadConfig("", []string{"bob on +nosuch"})
	if err == nil || err.Error() != "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL" {
		t.Errorf("bad rule: %v", err)
	}
}

func TestLoadAndSaveFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	r := NewRegistry(testTable())
	r.SetRequirePass("pw")
	old, _, _ := r.SetUser("old", []string{"on", "nopass"})
	def := r.Default()
	if _, err := r.LoadFile(path); err == nil || err.Error() != "Error loading ACLs, opening file '"+path+"': No such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(path, []byte("user bob on >b +ping\n\nuser carol on nopass +role\n"), 0o600)
	gone, err := r.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0] != old || r.User("old") != nil || r.User("bob") == nil {
		t.Errorf("LOAD replaces the users: gone %v", gone)
	}
	if r.Default() != def || r.Authenticate("default", "") == nil {
		t.Error("a file without default resets the default user to nopass, keeping its identity")
	}
	os.WriteFile(path, []byte("user bob on +nosuch\nfoo bar\nuser bob on\nuser x (+ping\n"), 0o600)
	before := r.List()
	_, err = r.LoadFile(path)
	want := path + ":1: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
		path + ":2 should start with user keyword followed by the username. " +
		"WARNING: Duplicate user 'bob' found on line 3. " +
		path + ":4: Unmatched parenthesis in selector definition." +
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Errorf("bad file:\n got %v\nwant %s", err, want)
	}
	if strings.Join(r.List(), "|") != strings.Join(before, "|") {
		t.Error("a failed LOAD changed the users")
	}
	_, _, _ = r.SetUser("dave", []string{"on", ">d", "(+ping &x)"})
	if err := r.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	r2 := NewRegistry(testTable())
	if _, err := r2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if strings.Join(r2.List(), "|") != strings.Join(r.List(), "|") {
		t.Errorf("SAVE/LOAD round trip:\n%v\n%v", r.List(), r2.List())
	}
}

func TestLog(t *testing.T) {
	l := NewLog(3)
	t0 := time.Unix(1000, 0)
	add := func(obj, user string, at time.Duration) {
		l.Add(LogEntry{Reason: ReasonCommand, Object: obj, Username: user, Time: t0.Add(at), ClientInfo: obj})
	}
	add("ping", "a", 0)
	add("role", "a", time.Second)
	add("ping", "a", 2*time.Second) // grouped, moved to the head
	e := l.Entries(10)
	if len(e) != 2 || e[0].Object != "ping" || e[0].Count != 2 || e[1].Object != "role" || e[0].Context != "toplevel" {
		t.Fatalf("grouping: %+v", e)
	}
	add("ping", "a", 2*time.Minute) // too late to group
	add("x", "a", 0)
	add("y", "a", 0)
	if e := l.Entries(10); len(e) != 3 || e[0].Object != "y" {
		t.Errorf("bounded: %+v", e)
	}
	if len(l.Entries(-1)) != 0 || len(l.Entries(1)) != 1 {
		t.Error("counts")
	}
	l.Reset()
	if len(l.Entries(10)) != 0 {
		t.Error("reset")
	}
}
