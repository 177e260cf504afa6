package sentinelproto

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// SENTINEL read subcommands (spec §2, §2.1; checklist 7-14, 26, 35, 38).

var (
	masterKeys = strings.Fields(`name ip port runid flags link-pending-commands link-refcount
		last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds info-refresh
		role-reported role-reported-time config-epoch num-slaves num-other-sentinels quorum
		failover-timeout parallel-syncs`)
	replicaKeys = strings.Fields(`name ip port runid flags link-pending-commands link-refcount
		last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds info-refresh
		role-reported role-reported-time master-link-down-time master-link-status master-host
		master-port slave-priority slave-repl-offset replica-announced`)
	sentinelKeys = strings.Fields(`name ip port runid flags link-pending-commands link-refcount
		last-ping-sent last-ok-ping-reply last-ping-reply down-after-milliseconds last-hello-message
		voted-leader voted-leader-epoch`)
)

// mapOf sends a command and decodes its single map reply.
func mapOf(t *testing.T, c *rawConn, args ...string) ([]string, map[string]string) {
	t.Helper()
	v, _ := parseFrame(c.do(args...))
	return flatMap(t, v)
}

// mapsOf decodes an array of maps.
func mapsOf(t *testing.T, c *rawConn, args ...string) [][]string {
	t.Helper()
	raw := c.do(args...)
	v, _ := parseFrame(raw)
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%q: not an array: %q", args, raw)
	}
	var out [][]string
	for _, m := range l {
		keys, vals := flatMap(t, m)
		kv := []string{}
		for _, k := range keys {
			kv = append(kv, k, vals[k])
		}
		out = append(out, kv)
	}
	return out
}

func TestSentinelMaster(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	raw := c.do("SENTINEL", "MASTER", "mymaster")
	if !strings.HasPrefix(raw, "*40\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n6379\r\n") {
		t.Fatalf("MASTER RESP2: %q", raw)
	}
	keys, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster")
	if !reflect.DeepEqual(keys, masterKeys) {
		t.Fatalf("keys:\n%v\nwant\n%v", keys, masterKeys)
	}
	want := map[string]string{"runid": testRunID, "flags": "master", "link-refcount": "1", "last-ping-sent": "0",
		"down-after-milliseconds": "30000", "role-reported": "master", "config-epoch": "0", "num-slaves": "2",
		"num-other-sentinels": "2", "quorum": "2", "failover-timeout": "180000", "parallel-syncs": "1"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if rt := m["role-reported-time"]; rt < "59000" || len(rt) != 5 {
		t.Errorf("role-reported-time %q", rt)
	}
	// MASTERS holds the same map; RESP3 makes it a %20 map of bulk strings.
	all := mapsOf(t, c, "SENTINEL", "MASTERS")
	if len(all) != 1 || all[0][1] != "mymaster" || len(all[0]) != 40 {
		t.Fatalf("MASTERS: %v", all)
	}
	c.do("HELLO", "3")
	raw = c.do("SENTINEL", "MASTER", "mymaster")
	if !strings.HasPrefix(raw, "%20\r\n$4\r\nname\r\n") || !strings.Contains(raw, "$6\r\nquorum\r\n$1\r\n2\r\n") {
		t.Fatalf("MASTER RESP3: %q", raw)
	}
	if raw = c.do("SENTINEL", "MASTERS"); !strings.HasPrefix(raw, "*1\r\n%20\r\n") {
		t.Fatalf("MASTERS RESP3: %q", raw)
	}
}

func TestSentinelReplicas(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	reps := mapsOf(t, c, "SENTINEL", "REPLICAS", "mymaster")
	slaves := mapsOf(t, c, "SENTINEL", "slaves", "mymaster")
	if len(reps) != 2 {
		t.Fatalf("REPLICAS: %v", reps)
	}
	for i, r := range reps {
		var keys []string
		for j := 0; j < len(r); j += 2 {
			keys = append(keys, r[j])
		}
		if !reflect.DeepEqual(keys, replicaKeys) {
			t.Fatalf("replica keys %v", keys)
		}
		_, s := flatMap(t, toAny(slaves[i]))
		_, m := flatMap(t, toAny(r))
		for _, k := range []string{"name", "ip", "port", "flags", "master-link-status", "slave-priority", "replica-announced"} {
			if m[k] != s[k] {
				t.Errorf("SLAVES and REPLICAS differ on %s", k)
			}
		}
	}
	_, m := flatMap(t, toAny(reps[0]))
	want := map[string]string{"name": "127.0.0.1:6380", "ip": "127.0.0.1", "port": "6380", "flags": "slave",
		"role-reported": "slave", "master-link-down-time": "0", "master-link-status": "ok", "master-host": "127.0.0.1",
		"master-port": "6379", "slave-priority": "100", "slave-repl-offset": "1234", "replica-announced": "1"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	// replica-announced:0 hides a replica from REPLICAS only (checklist 15).
	e.mon.set("mymaster", addrR2.String(), func(v *view.Instance) { v.ReplicaAnnounced = false })
	if reps = mapsOf(t, c, "SENTINEL", "REPLICAS", "mymaster"); len(reps) != 1 || reps[0][1] != "127.0.0.1:6380" {
		t.Fatalf("unannounced replica listed: %v", reps)
	}
	if _, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster"); m["num-slaves"] != "2" {
		t.Fatalf("num-slaves %s", m["num-slaves"])
	}
	// A replica never seen: Sentinel's defaults.
	e.state(func(st *model.State) {
		st.Masters["mymaster"].Replicas = append(st.Masters["mymaster"].Replicas, model.Addr{Host: "::1", Port: 7000})
	})
	reps = mapsOf(t, c, "SENTINEL", "REPLICAS", "mymaster")
	_, m = flatMap(t, toAny(reps[len(reps)-1]))
	want = map[string]string{"name": "[::1]:7000", "ip": "::1", "runid": "", "flags": "slave,disconnected",
		"info-refresh": "0", "role-reported": "slave", "master-link-status": "err", "master-host": "?",
		"master-port": "0", "slave-priority": "100", "slave-repl-offset": "0", "replica-announced": "1"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("unseen replica %s = %q, want %q", k, m[k], v)
		}
	}
}

func toAny(kv []string) any {
	l := make([]any, len(kv))
	for i, s := range kv {
		l[i] = s
	}
	return l
}

func TestSentinelSentinels(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	peers := mapsOf(t, c, "SENTINEL", "SENTINELS", "mymaster")
	if len(peers) != 2 {
		t.Fatalf("SENTINELS: %v", peers)
	}
	for i, p := range peers {
		keys, m := flatMap(t, toAny(p))
		if !reflect.DeepEqual(keys, sentinelKeys) {
			t.Fatalf("sentinel keys %v", keys)
		}
		id := []string{testPeer1, testPeer2}[i]
		if m["name"] != id || m["runid"] != id || m["flags"] != "sentinel" || m["ip"] != "127.0.0.1" ||
			m["port"] != fmt.Sprint(26380+i) || m["voted-leader"] != "?" || m["voted-leader-epoch"] != "0" {
			t.Errorf("peer %d: %v", i, m)
		}
	}
	// A peer silent for longer than down-after is s_down; its committed
	// "down" observation shows as master_down.
	e.mon.mu.Lock()
	e.mon.peers[testPeer2] = view.Peer{ID: testPeer2, Connected: false, LastOKPing: time.Now().Add(-time.Minute)}
	e.mon.mu.Unlock()
	e.state(func(st *model.State) {
		m := st.Masters["mymaster"]
		m.Observations = map[string]model.Observation{testPeer1: {Down: true}}
		m.Leader, m.LeaderEpoch = testPeer1, 7
	})
	peers = mapsOf(t, c, "SENTINEL", "SENTINELS", "mymaster")
	_, p1 := flatMap(t, toAny(peers[0]))
	keys2, p2 := flatMap(t, toAny(peers[1]))
	if p1["flags"] != "sentinel,master_down" || p1["voted-leader"] != testPeer1 || p1["voted-leader-epoch"] != "7" {
		t.Errorf("peer1: %v", p1)
	}
	if p2["flags"] != "s_down,sentinel,disconnected" || len(keys2) != 15 || keys2[10] != "s-down-time" {
		t.Errorf("peer2: %v %v", keys2, p2)
	}
}

func TestSentinelFlags(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	now := time.Now()
	e.mon.set("mymaster", addrM.String(), func(v *view.Instance) {
		v.Connected, v.SDown, v.SDownSince = false, true, now.Add(-2*time.Second)
	})
	e.state(func(st *model.State) {
		m := st.Masters["mymaster"]
		m.ODown, m.ODownSinceMs = true, now.Add(-time.Second).UnixMilli()
	})
	keys, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster")
	if m["flags"] != "s_down,o_down,master,disconnected" {
		t.Fatalf("flags %q", m["flags"])
	}
	if keys[10] != "s-down-time" || keys[11] != "o-down-time" || m["s-down-time"] < "2000" || m["o-down-time"] < "1000" {
		t.Fatalf("down times: %v %v", keys, m)
	}
	if got := c.do("INFO", "sentinel"); !strings.Contains(got, "master0:name=mymaster,status=odown,") {
		t.Fatalf("INFO status: %q", got)
	}
	// A forced failover in progress, replica 1 promoted, replica 2 being
	// reconfigured.
	e.state(func(st *model.State) {
		m := st.Masters["mymaster"]
		m.ODown = false
		m.Failover = &model.Failover{Epoch: 3, State: model.StateReconfSlaves, Forced: true,
			Candidate: addrR1, Reconf: map[string]string{addrR2.String(): model.ReconfInprog}}
	})
	e.mon.set("mymaster", addrM.String(), func(v *view.Instance) { v.Connected, v.SDown = true, false })
	keys, m = mapOf(t, c, "SENTINEL", "MASTER", "mymaster")
	if m["flags"] != "master,failover_in_progress,force_failover" || keys[7] != "failover-state" || m["failover-state"] != "reconf_slaves" {
		t.Fatalf("failover flags: %v %v", keys, m)
	}
	reps := mapsOf(t, c, "SENTINEL", "REPLICAS", "mymaster")
	if _, r1 := flatMap(t, toAny(reps[0])); r1["flags"] != "slave,promoted" {
		t.Errorf("candidate flags %q", r1["flags"])
	}
	if _, r2 := flatMap(t, toAny(reps[1])); r2["flags"] != "slave,reconf_inprog" {
		t.Errorf("reconf flags %q", r2["flags"])
	}
	// From the switch on, the master record (the promoted replica) shows no
	// failover flags; replicas keep their reconf flags until the end.
	e.state(func(st *model.State) {
		m := st.Masters["mymaster"]
		m.Failover.Switched, m.Addr, m.Replicas = true, addrR1, []model.Addr{addrM, addrR2}
	})
	if _, m = mapOf(t, c, "SENTINEL", "MASTER", "mymaster"); m["flags"] != "master" || m["port"] != "6380" {
		t.Fatalf("switched flags %q", m["flags"])
	}
	reps = mapsOf(t, c, "SENTINEL", "REPLICAS", "mymaster")
	if _, r := flatMap(t, toAny(reps[0])); r["flags"] != "slave" || r["port"] != "6379" {
		t.Errorf("old master %v", r)
	}
	if _, r := flatMap(t, toAny(reps[1])); r["flags"] != "slave,reconf_inprog" {
		t.Errorf("reconf after switch %q", r["flags"])
	}
}

func TestGetMasterAddr(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "get-master-addr-by-name", "mymaster")
	c.expect("*-1\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch")
	c.expect("*-1\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "MYMASTER") // names are case-sensitive
	c.do("HELLO", "3")
	c.expect("_\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch")
	c.expect("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
}

func TestLookupErrors(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	const noSuch = "-ERR No such master with that name\r\n"
	for _, args := range [][]string{
		{"MASTER", "x"}, {"REPLICAS", "x"}, {"SLAVES", "x"}, {"SENTINELS", "x"}, {"FAILOVER", "x"},
		{"CKQUORUM", "x"}, {"REMOVE", "x"}, {"SET", "x", "quorum", "2"},
	} {
		c.expect(noSuch, append([]string{"SENTINEL"}, args...)...)
	}
	if len(e.fo.calls) != 0 {
		t.Fatal("FAILOVER of an unknown master reached the engine")
	}
}

func TestStale(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	e.cluster.mu.Lock()
	e.cluster.freshErr = fmt.Errorf("last contact 3s ago: %w", model.ErrStale)
	e.cluster.mu.Unlock()
	const stale = "-STALE no contact with a raft leader, ask another sentinel\r\n"
	for _, args := range [][]string{{"GET-MASTER-ADDR-BY-NAME", "mymaster"}, {"MASTERS"},
		{"MASTER", "mymaster"}, {"REPLICAS", "mymaster"}, {"SLAVES", "mymaster"}} {
		c.expect(stale, append([]string{"SENTINEL"}, args...)...)
	}
	// Everything else still answers.
	c.expect("+PONG\r\n", "PING")
	c.expect("$40\r\n"+testMyID+"\r\n", "SENTINEL", "MYID")
	if got := c.do("SENTINEL", "SENTINELS", "mymaster"); !strings.HasPrefix(got, "*2\r\n") {
		t.Fatalf("SENTINELS when stale: %q", got)
	}
	if got := c.do("INFO"); !strings.Contains(got, "# Sentinel") {
		t.Fatalf("INFO when stale: %q", got)
	}
}

// Address queries ask for freshness once per batch of commands whose
// replies leave together; a later batch asks again, and so does a command
// after one that detached (its replies before it were written, and it may
// have waited): a node that went stale meanwhile answers STALE.
func TestFreshIsAskedOncePerBatch(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	const stale = "-STALE no contact with a raft leader, ask another sentinel\r\n"
	addr := "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"
	query := encode("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
	c.sendRaw(strings.Repeat(query, 16)) // one write: one read on loopback
	for i := 0; i < 16; i++ {
		if got := c.read(); got != addr {
			t.Fatalf("reply %d: %q", i, got)
		}
	}
	if n := e.cluster.freshAsk.Load(); n != 1 {
		t.Fatalf("freshness asked %d times for one batch", n)
	}
	goStale := func(f *fakeCluster) { f.freshErr = fmt.Errorf("cut off: %w", model.ErrStale) }
	e.cluster.mu.Lock()
	goStale(e.cluster)
	e.cluster.mu.Unlock()
	c.expect(stale, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")

	e.cluster.mu.Lock()
	e.cluster.freshErr = nil
	e.cluster.onApply = goStale
	e.cluster.mu.Unlock()
	c.sendRaw(query + encode("SENTINEL", "SET", "mymaster", "quorum", "2") + query)
	if got := c.read(); got != addr {
		t.Fatalf("before the detached command: %q", got)
	}
	if got := c.read(); got != "+OK\r\n" {
		t.Fatalf("SENTINEL SET: %q", got)
	}
	if got := c.read(); got != stale {
		t.Fatalf("after a detached command that saw the node go stale: %q", got)
	}
}

func TestCkquorum(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	c.expect("+OK 3 usable Sentinels. Quorum and failover authorization can be reached\r\n", "SENTINEL", "CKQUORUM", "mymaster")
	e.state(func(st *model.State) { st.Masters["mymaster"].Quorum = 4 })
	c.expect("-NOQUORUM 3 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master\r\n", "SENTINEL", "CKQUORUM", "mymaster")
	e.state(func(st *model.State) { st.Masters["mymaster"].Quorum = 2 })
	e.mon.mu.Lock()
	for _, id := range []string{testPeer1, testPeer2} {
		e.mon.peers[id] = view.Peer{ID: id, Connected: true, PingPendingSince: time.Now().Add(-time.Minute)}
	}
	e.mon.mu.Unlock()
	c.expect("-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. Not enough available Sentinels to reach the majority and authorize a failover\r\n", "SENTINEL", "CKQUORUM", "mymaster")
	e.state(func(st *model.State) { st.Masters["mymaster"].Quorum = 1 })
	c.expect("-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover\r\n", "SENTINEL", "CKQUORUM", "mymaster")
}

func TestInfoCacheAndMisc(t *testing.T) {
	e := newEnv(t)
	c := e.dial()
	v, _ := parseFrame(c.do("SENTINEL", "INFO-CACHE", "nosuch", "mymaster", "mymaster"))
	l := v.([]any)
	if len(l) != 2 || l[0] != "mymaster" {
		t.Fatalf("INFO-CACHE: %v", l)
	}
	entries := l[1].([]any)
	if len(entries) != 3 {
		t.Fatalf("INFO-CACHE entries: %v", entries)
	}
	first := entries[0].([]any)
	if _, ok := first[0].(int64); !ok || first[1] != "# Server\r\nrole:master\r\n" {
		t.Fatalf("INFO-CACHE master: %v", first)
	}
	c.expect("*0\r\n", "SENTINEL", "INFO-CACHE", "nosuch")
	c.expect("*0\r\n", "SENTINEL", "PENDING-SCRIPTS")
	c.expect("+OK\r\n", "SENTINEL", "FLUSHCONFIG")
	c.expect("$40\r\n"+testMyID+"\r\n", "SENTINEL", "myid")
	help := c.do("SENTINEL", "HELP")
	if !strings.HasPrefix(help, "*49\r\n+SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CKQUORUM <master-name>\r\n") ||
		!strings.HasSuffix(help, "+HELP\r\n+    Prints this help.\r\n") {
		t.Fatalf("HELP: %q", help)
	}
}
