package sentinelproto

import (
	"reflect"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// INFO (spec §3; checklist 39, 40).

// infoOf returns INFO's sections in order and their keys.
func infoOf(t *testing.T, c *rawConn, args ...string) ([]string, map[string][]string, map[string]string) {
	t.Helper()
	raw := c.do(append([]string{"INFO"}, args...)...)
	v, _ := parseFrame(raw)
	text, ok := v.(string)
	if !ok || !strings.HasPrefix(raw, "$") {
		t.Fatalf("INFO is not a bulk string: %q", raw)
	}
	var order []string
	keys := map[string][]string{}
	vals := map[string]string{}
	cur := ""
	for _, line := range strings.Split(text, "\r\n") {
		switch {
		case strings.HasPrefix(line, "# "):
			cur = line[2:]
			order = append(order, cur)
		case line == "":
		default:
			k, v, _ := strings.Cut(line, ":")
			keys[cur] = append(keys[cur], k)
			vals[k] = v
		}
	}
	return order, keys, vals
}

func TestInfo(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	order, _, vals := infoOf(t, c)
	if want := []string{"Server", "Clients", "Stats", "CPU", "Sentinel", "Raft", "Links"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("sections %v", order)
	}
	for k, v := range map[string]string{"redis_version": "7.0.15", "redis_mode": "sentinel", "run_id": testRunID,
		"tcp_port": "26379", "raftinel_version": "0.1.0-test", "connected_clients": "1", "sentinel_masters": "1",
		"sentinel_tilt": "0", "sentinel_tilt_since_seconds": "-1", "raft_state": "Leader", "raft_term": "3",
		"master0": "name=mymaster,status=ok,address=127.0.0.1:6379,slaves=2,sentinels=3"} {
		if vals[k] != v {
			t.Errorf("%s = %q, want %q", k, vals[k], v)
		}
	}
	if vals["total_commands_processed"] == "0" || vals["total_connections_received"] != "1" {
		t.Errorf("counters: %v", vals)
	}
	c.expect("$0\r\n\r\n", "INFO", "replication")
	order, _, _ = infoOf(t, c, "SENTINEL", "server")
	if !reflect.DeepEqual(order, []string{"Server", "Sentinel"}) {
		t.Fatalf("INFO sentinel server: %v", order)
	}
	order, keys, _ := infoOf(t, c, "raft")
	if !reflect.DeepEqual(order, []string{"Raft"}) || !reflect.DeepEqual(keys["Raft"], []string{"raft_state", "raft_term", "raft_leader_id"}) {
		t.Fatalf("INFO raft: %v %v", order, keys)
	}
	for _, arg := range []string{"all", "everything", "default"} {
		if order, _, _ = infoOf(t, c, arg); len(order) != 7 {
			t.Fatalf("INFO %s: %v", arg, order)
		}
	}
	// status: sdown from this node's view, odown from the state.
	e.mon.set("mymaster", addrM.String(), func(v *view.Instance) { v.SDown = true })
	if _, _, vals = infoOf(t, c, "sentinel"); !strings.Contains(vals["master0"], "status=sdown") {
		t.Fatalf("sdown: %q", vals["master0"])
	}
	e.state(func(st *model.State) { st.Masters["mymaster"].ODown = true })
	if _, _, vals = infoOf(t, c, "sentinel"); !strings.Contains(vals["master0"], "status=odown") {
		t.Fatalf("odown: %q", vals["master0"])
	}
	c.do("HELLO", "3")
	if raw := c.do("INFO", "server"); !strings.HasPrefix(raw, "$") {
		t.Fatalf("RESP3 INFO is a bulk string: %q", raw[:10])
	}
}

// INFO links lists every instance whose link has an error; refusals (AUTH,
// NOPERM) are counted apart.
func TestInfoLinks(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	_, _, vals := infoOf(t, c, "links")
	if vals["link_errors"] != "0" || vals["link_refusals"] != "0" {
		t.Fatalf("healthy: %v", vals)
	}
	e.mon.set("mymaster", addrR1.String(), func(v *view.Instance) {
		v.Connected, v.LastError = false, "AUTH: WRONGPASS invalid username-password pair or user is disabled."
	})
	e.mon.set("mymaster", addrR2.String(), func(v *view.Instance) { v.LastError = "dial: connection refused" })
	_, _, vals = infoOf(t, c, "links")
	if vals["link_errors"] != "2" || vals["link_refusals"] != "1" ||
		vals["link_error0"] != "master=mymaster,addr="+addrR1.String()+",error=AUTH: WRONGPASS invalid username-password pair or user is disabled." ||
		vals["link_error1"] != "master=mymaster,addr="+addrR2.String()+",error=dial: connection refused" {
		t.Fatalf("links: %v", vals)
	}
}

// total_commands_processed counts every command whose reply a client can
// have seen, and in INFO's own batch the commands before it (and INFO),
// though connections add their counts to the server's once per batch.
func TestInfoCountsCommandsOfItsBatch(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	count := func(raw string) string {
		for _, line := range strings.Split(raw, "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
				return v
			}
		}
		t.Fatalf("no total_commands_processed in %q", raw)
		return ""
	}
	c.sendRaw(encode("PING") + encode("PING") + encode("INFO", "stats")) // one write: one read on loopback
	c.read()
	c.read()
	if got := count(c.read()); got != "3" {
		t.Fatalf("INFO after two PINGs of its batch: total_commands_processed %s, want 3", got)
	}
	if got := count(e.dial().do("INFO", "stats")); got != "4" {
		t.Fatalf("INFO from another connection: total_commands_processed %s, want 4", got)
	}
}
