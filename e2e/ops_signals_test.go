//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/load"
	"github.com/raftinel/raftinel/internal/redistest"
)

// Acceptance 3 of the ops issue: SIGTERM on the Raft leader hands
// leadership over before the process exits; no master fails over, and a
// go-redis FailoverClient writing every 20 ms sees no error.
func TestOpsSigtermLeaderHandsOver(t *testing.T) {
	e := newFailoverEnv(t, 1000)
	w := watchSwitches(t, e.nodes)
	tries := subscribe(t, e.nodes[0], "+try-failover")
	wr := load.Start(load.Options{Sentinels: sentinelAddrs(e.nodes...), Period: 20 * time.Millisecond})
	halted := false
	defer func() {
		if !halted {
			wr.Stop()
		}
	}()
	redistest.WaitFor(t, 5*time.Second, "writes flowing", func() bool { return !wr.LastAck().IsZero() })
	leader, err := e.cluster.WaitLeader(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if leader == e.nodes[0] { // keep the +try-failover subscription on a node that stays
		tries = subscribe(t, e.nodes[1], "+try-failover")
	}
	before, _ := leader.Info("raft")
	master := e.set.Master.Addr()
	sent := time.Now()
	exitCode := make(chan int, 1)
	go func() { exitCode <- leader.Term(10 * time.Second) }()
	var next *harness.Node
	redistest.WaitFor(t, 5*time.Second, "another node leads", func() bool {
		for _, n := range e.nodes {
			if info, err := n.Info("raft"); n != leader && err == nil && info["raft_state"] == "leader" {
				next = n
				return true
			}
		}
		return false
	})
	moved := time.Since(sent)
	if code := <-exitCode; code != 0 {
		t.Fatalf("the leader exited with %d after SIGTERM", code)
	}
	if _, err := e.cluster.WaitLeader(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGTERM -> %s leads after %v, old leader exited after %v", next.Addr(), moved.Round(time.Millisecond), time.Since(sent).Round(time.Millisecond))
	after, _ := next.Info("raft")
	if atoi(after["raft_term"]) <= atoi(before["raft_term"]) {
		t.Fatalf("term %s -> %s: leadership did not move", before["raft_term"], after["raft_term"])
	}
	b, _ := os.ReadFile(leader.Log)
	if !strings.Contains(string(b), "leadership transferred before shutdown") {
		t.Fatalf("the old leader did not transfer leadership; its log ends:\n%s", tail(string(b), 15))
	}
	// Keep writing through the change and for a while after it.
	mark := time.Now()
	redistest.WaitFor(t, 10*time.Second, "writes acknowledged a second after the new leader", func() bool {
		return wr.LastAck().After(mark.Add(time.Second))
	})
	res := wr.Stop()
	acked, errs := res.Keys(), res.Kinds()
	halted = true
	if len(errs) != 0 {
		t.Fatalf("the FailoverClient saw errors: %v", errs)
	}
	if len(acked) == 0 {
		t.Fatal("no write acknowledged")
	}
	if w.count() != 0 {
		t.Fatalf("+switch-master was published: %v", w.got)
	}
	select {
	case m := <-tries.Channel():
		t.Fatalf("a failover was tried: %s", m.Payload)
	default:
	}
	for _, n := range e.nodes {
		if n.Running() && masterAddr(n, "mymaster") != master {
			t.Fatalf("%s answers %s, want the unchanged master %s", n.Addr(), masterAddr(n, "mymaster"), master)
		}
	}
	if missed := missing(t, master, acked); len(missed) != 0 {
		t.Fatalf("%d acknowledged writes missing", len(missed))
	}
}

// SIGHUP reopens the log file, as logrotate expects.
func TestOpsSighupReopensLog(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "raftinel.log")
	n, err := harness.StartNode(harness.NodeOptions{Bin: bin, Dir: filepath.Join(dir, "node"), Lines: []string{"logfile " + logPath}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	harness.DumpOnFailure(t, n)
	redistest.WaitFor(t, 5*time.Second, "the log file has the start line", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "raftinel node started")
	})
	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(n.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	redistest.WaitFor(t, 5*time.Second, "SIGHUP creates a new log file", func() bool {
		_, err := os.Stat(logPath)
		return err == nil
	})
	if code := n.Term(10 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	now, _ := os.ReadFile(logPath)
	old, _ := os.ReadFile(rotated)
	if !strings.Contains(string(now), "signal received, shutting down") || !strings.Contains(string(now), "raftinel node stopped") {
		t.Fatalf("the reopened log lacks the shutdown lines:\n%s", now)
	}
	if strings.Contains(string(old), "signal received") {
		t.Fatal("the rotated file still received lines after SIGHUP")
	}
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
