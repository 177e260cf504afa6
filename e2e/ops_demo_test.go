//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
)

// demoBuild builds cmd/raftinel-demo once, next to bin (removed with it),
// with the race detector when the tests run with it: its nodes are the
// same binary, run with a config path.
var demoBuild = sync.OnceValues(func() (string, error) {
	return harness.BuildCommand(filepath.Dir(bin), "raftinel-demo", raceEnabled)
})

// demoBin returns the raftinel-demo binary.
func demoBin(t *testing.T) string {
	t.Helper()
	b, err := demoBuild()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var pidRE = regexp.MustCompile(`pid=(\d+)`)

// demoPIDs returns every PID the demo says it started.
func demoPIDs(out string) []int {
	var pids []int
	for _, m := range pidRE.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		pids = append(pids, p)
	}
	return pids
}

// running reports whether pid is a live process (a zombie, dead but not
// yet reaped by whoever inherited it, is not).
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) state ...": the state follows the last ')'
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// checkGone fails the test for every PID still alive.
func checkGone(t *testing.T, pids []int) {
	t.Helper()
	if len(pids) < 6 {
		t.Fatalf("the demo reported %d PIDs, want at least 6", len(pids))
	}
	for _, p := range pids {
		if running(p) {
			t.Errorf("pid %d started by the demo is still there", p)
		}
	}
}

// Acceptance 1 of the ops issue: `raftinel-demo --auto` starts the
// cluster, kills the master, shows +switch-master and its duration, exits
// 0, and leaves none of its processes behind.
func TestOpsDemoAuto(t *testing.T) {
	b := demoBin(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var out syncBuffer
	cmd := exec.CommandContext(ctx, b, "--auto")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = t.TempDir()
	err := cmd.Run()
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatalf("demo --auto: %v", err)
	}
	s := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^demo: kill -9 of master r1 127\.0\.0\.1:\d+ \(pid \d+\)$`),
		regexp.MustCompile(`(?m)^event n\d \+switch-master mymaster 127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$`),
		regexp.MustCompile(`(?m)^demo: failover: kill -9 of master r1 .* -> \+switch-master in \d+\.\d{3} s$`),
		regexp.MustCompile(`(?m)^demo: client: writes acknowledged again \d+\.\d{3} s after kill -9`),
		regexp.MustCompile(`(?m)^demo: stopped; all \d+ processes it started are gone$`),
	} {
		if !want.MatchString(s) {
			t.Errorf("the output lacks %v", want)
		}
	}
	// Every acknowledged INCR is in the counter the new master returned
	// last: the demo kills the master only once both replicas have the
	// client's writes (waitReady), so what its screen shows is a failover
	// that lost no acknowledged write.
	if m := regexp.MustCompile(`(?m)^demo: client: (\d+) INCR acknowledged, \d+ errors, counter (\d+)$`).FindStringSubmatch(s); m == nil {
		t.Error("the output lacks the client's summary")
	} else if acked, counter := atoi(m[1]), atoi(m[2]); counter < acked {
		t.Errorf("%d INCR acknowledged but the counter is %d: acknowledged writes lost", acked, counter)
	}
	checkGone(t, demoPIDs(s))
}

// demoRun is an interactive demo started by a test, its input a pipe.
type demoRun struct {
	cmd   *exec.Cmd
	out   *syncBuffer
	stdin io.WriteCloser
	done  chan error // cmd.Wait's result
}

// startDemo starts `raftinel-demo` (bounded to 120 s) in a temporary
// directory.
func startDemo(t *testing.T) *demoRun {
	t.Helper()
	b := demoBin(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	t.Cleanup(cancel)
	d := &demoRun{out: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd = exec.CommandContext(ctx, b)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.Dir = t.TempDir()
	var err error
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	return d
}

// The interactive demo in line mode (input not a terminal): `k` + Enter
// kills the master and the screen shows the switch and its duration;
// SIGTERM stops the demo and every process it started.
func TestOpsDemoKeysAndSigterm(t *testing.T) {
	d := startDemo(t)
	cmd, out, stdin, done := d.cmd, d.out, d.stdin, d.done
	t.Cleanup(func() {
		if t.Failed() {
			s := out.String()
			t.Logf("demo output (last 4000 bytes):\n%s", s[max(0, len(s)-4000):])
		}
	})
	redistest.WaitFor(t, 60*time.Second, "the demo is ready and the client writes", func() bool {
		s := out.String()
		return strings.Contains(s, "ready: type a key and Enter") && regexp.MustCompile(`[1-9]\d* ok, `).MatchString(s)
	})
	if _, err := io.WriteString(stdin, "k\n"); err != nil {
		t.Fatal(err)
	}
	switched := regexp.MustCompile(`failover\s+kill -9 of master r1 .* -> \+switch-master in \d+\.\d{3} s`)
	redistest.WaitFor(t, 30*time.Second, "the screen shows the switch and its duration", func() bool {
		return switched.MatchString(out.String())
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not exit within 30 s of SIGTERM")
	}
	s := out.String()
	if !strings.Contains(s, "demo: stopped; all ") {
		t.Error("the demo did not report its processes stopped")
	}
	checkGone(t, demoPIDs(s))
}

// A demo killed with SIGKILL cannot stop anything itself: its processes
// die with it (each is started with a parent-death signal).
func TestOpsDemoSigkill(t *testing.T) {
	d := startDemo(t)
	cmd, out, done := d.cmd, d.out, d.done
	redistest.WaitFor(t, 60*time.Second, "the demo is ready", func() bool {
		return strings.Contains(out.String(), "ready: type a key and Enter")
	})
	pids := demoPIDs(out.String())
	if len(pids) < 6 {
		t.Fatalf("the demo reported %d PIDs, want at least 6:\n%s", len(pids), out.String())
	}
	t.Cleanup(func() { // should this test fail: none left behind
		for _, p := range pids {
			if running(p) {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	for _, p := range pids {
		if !running(p) {
			t.Fatalf("pid %d the demo reported is not running", p)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	redistest.WaitFor(t, 10*time.Second, "every process the demo started is gone", func() bool {
		for _, p := range pids {
			if running(p) {
				return false
			}
		}
		return true
	})
	checkGone(t, pids)
}

// The script mode's other steps: SENTINEL FAILOVER, kill -9 of the Raft
// leader, restart; the restarted node's new PID is gone at exit too.
func TestOpsDemoScript(t *testing.T) {
	b := demoBin(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var out syncBuffer
	cmd := exec.CommandContext(ctx, b, "--script", "failover,wait-switch,kill-leader,wait-leader,restart,wait-leader,quit")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = t.TempDir()
	err := cmd.Run()
	s := out.String()
	if err != nil {
		t.Fatalf("demo --script: %v\n%s", err, s)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^demo: failover: SENTINEL FAILOVER mymaster sent to n\d -> \+switch-master in \d+\.\d{3} s$`),
		regexp.MustCompile(`(?m)^demo: kill -9 of Raft leader n\d `),
		regexp.MustCompile(`(?m)^demo: Raft leader is n\d `),
		regexp.MustCompile(`(?m)^demo: restarted 1 process\(es\)$`),
		regexp.MustCompile(`(?m)^demo: stopped; all 7 processes it started are gone$`),
	} {
		if !want.MatchString(s) {
			t.Errorf("the output lacks %v:\n%s", want, s)
		}
	}
	checkGone(t, demoPIDs(s))
}

// Without redis-server the demo says in one line how to install it.
func TestOpsDemoWithoutRedis(t *testing.T) {
	cmd := exec.Command(demoBin(t), "--auto")
	cmd.Env = append(cmd.Environ(), "PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want code 1; output %q", err, out)
	}
	if got := strings.TrimSpace(string(out)); strings.Count(got, "\n") != 0 || !strings.Contains(got, "apt-get install -y redis-server") {
		t.Fatalf("output %q, want one line saying how to install redis-server", got)
	}
}
