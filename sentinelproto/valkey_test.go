package sentinelproto

import (
	"strings"
	"testing"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/view"
)

// Valkey 8's primary spellings (valkey src/sentinel.c sentinelCommand and
// src/commands/sentinel-*primar*.json): each answers exactly what its
// master spelling answers, in both protocols, errors included; each is its
// own subcommand for COMMAND and ACL, as in Valkey.
func TestValkeyPrimarySpellings(t *testing.T) {
	e := newEnv(t)
	e.mon.set("mymaster", addrM.String(), func(v *view.Instance) { v.SDown = true })
	pairs := [][2][]string{
		{{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, {"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster"}},
		{{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"}, {"sentinel", "get-primary-addr-by-name", "nosuch"}},
		{{"SENTINEL", "MASTER", "nosuch"}, {"SENTINEL", "PRIMARY", "nosuch"}},
		{{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*"}, {"SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*"}},
		{{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"}, {"SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"}},
	}
	for _, proto := range []string{"2", "3"} {
		c := e.dial()
		c.do("HELLO", proto)
		for _, p := range pairs {
			if a, b := c.do(p[0]...), c.do(p[1]...); a != b {
				t.Errorf("RESP%s %q = %q, %q = %q", proto, p[0], a, p[1], b)
			}
		}
		// Maps with ages in them: the same keys in the same order.
		for _, p := range [][2][]string{{{"SENTINEL", "MASTERS"}, {"SENTINEL", "PRIMARIES"}},
			{{"SENTINEL", "MASTER", "mymaster"}, {"SENTINEL", "PRIMARY", "mymaster"}}} {
			if a, b := keysOf(c.do(p[0]...)), keysOf(c.do(p[1]...)); a != b || !strings.Contains(a, "down-after-milliseconds") {
				t.Errorf("RESP%s %q keys %s, %q keys %s", proto, p[0], a, p[1], b)
			}
		}
	}
	c := e.dial()
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster")
	c.expect("-ERR wrong number of arguments for 'sentinel|primary' command\r\n", "SENTINEL", "PRIMARY")
	c.expect("-ERR wrong number of arguments for 'sentinel|primaries' command\r\n", "SENTINEL", "PRIMARIES", "x")
	c.expect("-ERR wrong number of arguments for 'sentinel|is-primary-down-by-addr' command\r\n", "SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", "a")
	// COMMAND INFO and DOCS as Valkey's json files describe them.
	c.expect("*1\r\n*10\r\n$33\r\nsentinel|get-primary-addr-by-name\r\n:3\r\n*1\r\n+admin\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n",
		"COMMAND", "INFO", "sentinel|get-primary-addr-by-name")
	c.expect("*2\r\n$18\r\nsentinel|primaries\r\n*8\r\n$7\r\nsummary\r\n$38\r\nReturns a list of monitored primaries.\r\n$5\r\nsince\r\n$5\r\n8.0.0\r\n$5\r\ngroup\r\n$8\r\nsentinel\r\n$10\r\ncomplexity\r\n$39\r\nO(N) where N is the number of primaries\r\n",
		"COMMAND", "DOCS", "sentinel|primaries")
}

// The primary spellings are their own ACL commands, as in Valkey: allowing
// sentinel|get-master-addr-by-name does not allow its primary spelling.
func TestValkeyPrimarySpellingsACL(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.Users = []string{"app on >pw -@all +sentinel|get-master-addr-by-name", "v on >pw -@all +sentinel|get-primary-addr-by-name"}
	})
	c := e.dial()
	c.expect("+OK\r\n", "AUTH", "app", "pw")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
	c.expect("-NOPERM this user has no permissions to run the 'sentinel|get-primary-addr-by-name' command\r\n", "SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster")
	c.expect("+OK\r\n", "AUTH", "v", "pw")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster")
}

// keysOf lists the keys of the flat maps in a reply (every other string of
// each innermost list), to compare replies whose values are ages.
func keysOf(raw string) string {
	v, _ := parseFrame(raw)
	var out []string
	var walk func(v any)
	walk = func(v any) {
		l, ok := v.([]any)
		if !ok {
			return
		}
		flat := true
		for _, e := range l {
			if _, isList := e.([]any); isList {
				flat = false
				walk(e)
			}
		}
		if flat {
			for i := 0; i < len(l); i += 2 {
				out = append(out, l[i].(string))
			}
		}
	}
	walk(v)
	return strings.Join(out, ",")
}
