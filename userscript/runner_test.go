package userscript

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(ch, p string) { e.mu.Lock(); e.got = append(e.got, ch+" "+p); e.mu.Unlock() }
func (e *events) has(prefix string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range e.got {
		if strings.HasPrefix(g, prefix) {
			return true
		}
	}
	return false
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func start(t *testing.T, cfg Config) (*Runner, *events) {
	ev := &events{}
	r := New(cfg, nil, ev.add)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r, ev
}

func TestArgumentsAndSuccess(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	s := script(t, `echo "$@" >> `+out)
	r, ev := start(t, Config{})
	r.Schedule(s, "+switch-master", "mymaster 127.0.0.1 1 127.0.0.1 2")
	redistest.WaitFor(t, 5*time.Second, "script ran", func() bool {
		b, _ := os.ReadFile(out)
		return string(b) == "+switch-master mymaster 127.0.0.1 1 127.0.0.1 2\n"
	})
	redistest.WaitFor(t, 5*time.Second, "queue empty", func() bool { _, q := r.Counts(); return q == 0 })
	if len(ev.got) != 0 {
		t.Fatalf("events for a successful script: %v", ev.got)
	}
}

func TestRetryOnExit1ThenFinalErrorOnExit2(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	// exits 1 twice, then 2
	s := script(t, `n=$(cat `+counter+` 2>/dev/null || echo 0); n=$((n+1)); echo $n > `+counter+`; [ $n -ge 3 ] && exit 2; exit 1`)
	r, ev := start(t, Config{RetryDelay: 20 * time.Millisecond})
	r.Schedule(s)
	redistest.WaitFor(t, 5*time.Second, "-script-error", func() bool { return ev.has("-script-error " + s + " 0 2") })
	b, _ := os.ReadFile(counter)
	if strings.TrimSpace(string(b)) != "3" {
		t.Fatalf("ran %s times, want 3 (two retries)", b)
	}
	if _, q := r.Counts(); q != 0 {
		t.Fatal("a final error leaves the queue")
	}
}

func TestMaxRetries(t *testing.T) {
	counter := filepath.Join(t.TempDir(), "n")
	s := script(t, `echo x >> `+counter+`; exit 1`)
	r, _ := start(t, Config{RetryDelay: time.Millisecond, MaxRetries: 3})
	r.Schedule(s)
	redistest.WaitFor(t, 5*time.Second, "gave up", func() bool { _, q := r.Counts(); return q == 0 })
	b, _ := os.ReadFile(counter)
	if n := strings.Count(string(b), "x"); n != 4 {
		t.Fatalf("ran %d times, want 1 + 3 retries", n)
	}
}

func TestTimeoutKillsAndReports(t *testing.T) {
	s := script(t, `sleep 30`)
	r, ev := start(t, Config{MaxRuntime: 100 * time.Millisecond, MaxRetries: 1, RetryDelay: time.Hour})
	r.Schedule(s)
	redistest.WaitFor(t, 5*time.Second, "running", func() bool { n, _ := r.Counts(); return n == 1 })
	p := r.Pending()
	if len(p) != 1 || !p[0].Running || p[0].PID == 0 {
		t.Fatalf("pending: %+v", p)
	}
	redistest.WaitFor(t, 5*time.Second, "-script-timeout", func() bool { return ev.has("-script-timeout " + s + " ") })
	redistest.WaitFor(t, 5*time.Second, "scheduled for retry", func() bool {
		p := r.Pending()
		return len(p) == 1 && !p[0].Running && p[0].RetryNum == 1
	})
}

func TestConcurrencyLimitAndFullQueue(t *testing.T) {
	s := script(t, `sleep 30`)
	r, _ := start(t, Config{MaxRunning: 2, MaxQueue: 3})
	for i := 0; i < 5; i++ {
		r.Schedule(s, string(rune('a'+i)))
	}
	redistest.WaitFor(t, 5*time.Second, "two running", func() bool { n, _ := r.Counts(); return n == 2 })
	n, q := r.Counts()
	if n != 2 || q != 3 {
		t.Fatalf("running %d queued %d, want 2 and a full queue of 3", n, q)
	}
}

func TestMissingScriptIsAnError(t *testing.T) {
	r, ev := start(t, Config{})
	r.Schedule("/nonexistent/script")
	redistest.WaitFor(t, 5*time.Second, "-script-error", func() bool { return ev.has("-script-error /nonexistent/script 99 0") })
}

// A relative script name is taken from Dir, as redis-sentinel (chdir'ed
// into dir) runs it, never looked up in PATH.
func TestRelativeScriptResolvesAgainstDir(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	for d, who := range map[string]string{dir: "dir", elsewhere: "path"} {
		if err := os.WriteFile(filepath.Join(d, "notify.sh"), []byte("#!/bin/sh\necho "+who+" \"$0\" >> "+out+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", elsewhere+string(os.PathListSeparator)+os.Getenv("PATH"))
	r, _ := start(t, Config{Dir: dir})
	r.Schedule("notify.sh")
	redistest.WaitFor(t, 5*time.Second, "script ran", func() bool { b, _ := os.ReadFile(out); return len(b) > 0 })
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "dir ") {
		t.Fatalf("ran %q, want the one in dir", b)
	}
	if p := r.Pending(); len(p) > 0 && p[0].Argv[0] != "notify.sh" {
		t.Fatalf("pending shows %q, want the name as configured", p[0].Argv[0])
	}
}
