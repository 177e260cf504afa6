package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/view"
)

func TestEventLogDropsCopiesFromOtherNodes(t *testing.T) {
	l := newEventLog(3)
	t0 := time.Now()
	if !l.add(event{at: t0, node: "n1", channel: "+switch-master", payload: "m a 1 b 2"}) {
		t.Fatal("first copy dropped")
	}
	if l.add(event{at: t0.Add(5 * time.Millisecond), node: "n2", channel: "+switch-master", payload: "m a 1 b 2"}) {
		t.Fatal("second node's copy kept")
	}
	if !l.add(event{at: t0.Add(dedupWindow), node: "n2", channel: "+switch-master", payload: "m a 1 b 2"}) {
		t.Fatal("the same event after the window dropped")
	}
	for i := 0; i < 5; i++ {
		l.add(event{at: t0, node: "n1", channel: "+x", payload: string(rune('a' + i))})
	}
	if got := l.last(10); len(got) != 3 || got[2].payload != "e" {
		t.Fatalf("kept %v, want the last 3", got)
	}
}

func TestCheckScript(t *testing.T) {
	if err := checkScript([]string{"kill-master", "wait-switch", "sleep:100", "restart", "quit"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"kill-everything"}, {"sleep:soon"}} {
		if err := checkScript(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if err := checkScript(autoScript); err != nil {
		t.Fatalf("--auto script: %v", err)
	}
}

func TestRenderShowsWhatHappened(t *testing.T) {
	sc := screen{
		snap: snapshot{
			redis: []redisRow{
				{name: "r1", addr: "127.0.0.1:7001", state: "killed"},
				{name: "r2", addr: "127.0.0.1:7002", pid: 42, state: "running", role: "master", offset: 99},
			},
			nodes: []nodeRow{{name: "n1", addr: "127.0.0.1:26001", pid: 7, state: "running", raft: "leader", term: "3", answer: "127.0.0.1:7002"}},
		},
		events: []event{{at: time.Now(), node: "n1", channel: "+switch-master", payload: "mymaster 127.0.0.1 7001 127.0.0.1 7002"}},
		result: "kill -9 of master r1 -> +switch-master in 1.002 s",
		status: "done", ok: 5, errs: 1, down: time.Second, fo: 5 * time.Second, height: 30,
	}
	lines := render(sc)
	text := strings.Join(lines, "\n")
	for _, want := range []string{"r1     127.0.0.1:7001", "killed", "r2     127.0.0.1:7002        42", "master  99",
		"n1       127.0.0.1:26001", "leader", "127.0.0.1:7002", "+switch-master in 1.002 s",
		"5 ok, 1 errors", "+switch-master mymaster 127.0.0.1 7001 127.0.0.1 7002", keyHelp, "> done"} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	if len(lines) > sc.height {
		t.Errorf("%d lines for a %d-line terminal", len(lines), sc.height)
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour codes without a terminal")
	}
	f := frame([]string{"a", "b"})
	if f != ansiHome+"a"+ansiClearEOL+"\r\nb"+ansiClearEOL+ansiClearDown {
		t.Errorf("frame = %q", f)
	}
}

// The demo's nodes are its own binary run with a config path first
// (harness.NodeOptions); the demo itself takes flags only.
func TestIsNodeArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		node bool
	}{
		{nil, false},
		{[]string{"--auto"}, false},
		{[]string{"-dir", "d"}, false},
		{[]string{"--help"}, false},
		{[]string{""}, false},
		{[]string{"/tmp/raftinel-demo-1/node1/sentinel.conf"}, true},
		{[]string{"sentinel.conf", "--port", "26380"}, true},
	} {
		if got := IsNodeArgs(c.args); got != c.node {
			t.Errorf("IsNodeArgs(%q) = %v, want %v", c.args, got, c.node)
		}
	}
}

// The demo is ready only once both replicas acknowledged the client's
// first write (waitReady): a replica still waiting for its first ACK
// after a full sync shows as online at an older offset.
func TestReplicasAt(t *testing.T) {
	var v view.Instance
	monitor.ParseInfo("# Replication\r\nrole:master\r\nconnected_slaves:3\r\n"+
		"slave0:ip=127.0.0.1,port=6380,state=online,offset=120,lag=0\r\n"+
		"slave1:ip=127.0.0.1,port=6381,state=online,offset=14,lag=1\r\n"+
		"slave2:ip=127.0.0.1,port=6382,state=wait_bgsave,offset=0,lag=0\r\n"+
		"master_repl_offset:120\r\n", &v)
	for _, c := range []struct {
		off  int64
		want int
	}{{0, 2}, {14, 2}, {15, 1}, {120, 1}, {121, 0}} {
		if got := replicasAt(v.ConnectedReplicas, c.off); got != c.want {
			t.Errorf("replicasAt(%d) = %d, want %d", c.off, got, c.want)
		}
	}
	if got := replicasAt(nil, 0); got != 0 {
		t.Errorf("no replicas: %d", got)
	}
}

// Until waitReady passes, the screen says why k should wait (a master
// killed before its replicas have the client's writes takes them along).
func TestRenderSaysWhenReady(t *testing.T) {
	for _, c := range []struct {
		ready bool
		want  string
	}{{false, "waiting until both replicas have the client's writes"}, {true, "press k to kill the master"}} {
		if text := strings.Join(render(screen{ready: c.ready, height: 30}), "\n"); !strings.Contains(text, c.want) {
			t.Errorf("ready=%v: screen lacks %q:\n%s", c.ready, c.want, text)
		}
	}
}
