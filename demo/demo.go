// Package demo is `raftinel-demo` (cmd/raftinel-demo): a local cluster over
// real processes where a user can watch a failover happen. It starts a
// redis-server master with two replicas and three raftinel nodes on free
// loopback ports (the nodes are this same binary, run again with a config
// path: see IsNodeArgs), shows a live
// view (Redis roles and offsets, Raft roles, the address each node answers,
// a go-redis client's writes, and the events the nodes publish), and lets
// the user break things with one key: kill or SIGSTOP the master, kill the
// Raft leader, restart, ask for SENTINEL FAILOVER. Every process it starts
// it stops on exit, Ctrl-C or SIGTERM. A non-interactive mode (--auto,
// --script) runs the same steps for tests and CI.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// Options configure a demo run.
type Options struct {
	Bin             string        // raftinel binary the nodes run (default: this executable)
	Dir             string        // data dir (default: a new temporary dir, removed at exit)
	DownAfter       time.Duration // down-after-milliseconds of the master
	FailoverTimeout time.Duration // failover-timeout (a new automatic failover waits twice this)
	Refresh         time.Duration // screen refresh period
	Script          []string      // non-interactive steps; nil = interactive
	In              io.Reader
	Out             io.Writer
}

// IsNodeArgs reports whether args (a command line without the program
// name) start one of the demo's nodes rather than the demo: the nodes are
// the demo's own binary run with a config path first (harness.NodeOptions),
// and the demo itself takes flags only.
func IsNodeArgs(args []string) bool {
	return len(args) > 0 && args[0] != "" && !strings.HasPrefix(args[0], "-")
}

// Main runs `raftinel-demo [flags]` and returns the exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("raftinel-demo", flag.ContinueOnError)
	fs.SetOutput(errOut)
	auto := fs.Bool("auto", false, "non-interactive: kill -9 the master, wait for +switch-master, print the duration, exit")
	script := fs.String("script", "", "non-interactive steps, comma-separated: "+strings.Join(stepNames(), ","))
	dir := fs.String("dir", "", "data dir (default: a temporary dir removed at exit)")
	downAfter := fs.Int("down-after", 1000, "down-after-milliseconds of the master")
	foTimeout := fs.Int("failover-timeout", 5000, "failover-timeout in ms (a new automatic failover of the same master waits twice this)")
	fs.Usage = func() {
		fmt.Fprintf(errOut, "Usage: raftinel-demo [flags]   (from the source tree: go run ./cmd/raftinel-demo [flags])\n\nKeys: %s\n\nFlags:\n", keyHelp)
		fs.PrintDefaults()
		fmt.Fprintf(errOut, "\nraftinel-demo /path/to/sentinel.conf [--directive value ...] runs one raftinel node, as raftinel does: it is how the demo starts its nodes.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	o := Options{DownAfter: time.Duration(*downAfter) * time.Millisecond,
		FailoverTimeout: time.Duration(*foTimeout) * time.Millisecond, Refresh: 250 * time.Millisecond,
		Dir: *dir, In: in, Out: out}
	switch {
	case *auto && *script != "":
		fmt.Fprintln(errOut, "raftinel-demo: use --auto or --script, not both")
		return 2
	case *auto:
		o.Script = autoScript
	case *script != "":
		o.Script = strings.Split(*script, ",")
		if err := checkScript(o.Script); err != nil {
			fmt.Fprintf(errOut, "raftinel-demo: %v\n", err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := Run(ctx, o); err != nil {
		fmt.Fprintf(errOut, "raftinel-demo: %v\n", err)
		return 1
	}
	return 0
}

// Run starts the processes, runs the view or the script, and stops every
// process before it returns, whatever happened.
func Run(ctx context.Context, o Options) (err error) {
	if _, err := harness.RedisBinary(); err != nil {
		return err // ErrNoRedis says how to install it
	}
	if o.Bin == "" {
		if o.Bin, err = os.Executable(); err != nil {
			return fmt.Errorf("cannot find the raftinel binary: %w", err)
		}
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Refresh <= 0 {
		o.Refresh = 250 * time.Millisecond
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "raftinel-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.Dir)
	}
	s := newSession(o)
	s.say("starting redis-server x3 and raftinel x3 on 127.0.0.1 (data and logs in %s)", o.Dir)
	s.p, err = startProcs(o, s.say)
	if err != nil {
		return err
	}
	defer s.stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.watch(ctx)
	if o.Script != nil {
		return s.runScript(ctx, o.Script)
	}
	return s.interactive(ctx)
}

// session is one running demo.
type session struct {
	o      Options
	p      *procs
	events *eventLog
	client *client
	wg     sync.WaitGroup

	outMu sync.Mutex
	lines bool // non-interactive: say prints lines

	mu       sync.Mutex
	status   string    // last action's outcome, shown under the view
	action   string    // what the running failover measurement started with
	actionAt time.Time // when
	switches int       // +switch-master seen
	ready    bool      // waitReady passed (shown on the interactive screen)
	switchCh chan struct{}
	result   string // last measured failover
	base     int    // switch count before the last timed action
	// the last timed action, kept after its switch (wait-client)
	lastAction   string
	lastActionAt time.Time
}

func newSession(o Options) *session {
	return &session{o: o, events: newEventLog(200), lines: o.Script != nil, switchCh: make(chan struct{})}
}

// say reports progress: a line in script mode, the status line otherwise.
func (s *session) say(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.status = msg
	s.mu.Unlock()
	if s.lines || s.p == nil {
		s.println("demo: " + msg)
	}
}

func (s *session) println(line string) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprintln(s.o.Out, line)
}

// watch starts the event subscriptions and the client.
func (s *session) watch(ctx context.Context) {
	var addrs []string
	for _, n := range s.p.nodes {
		addrs = append(addrs, n.Addr())
		name, addr := s.p.nodeName(n), n.Addr()
		s.wg.Add(1)
		go func() { defer s.wg.Done(); subscribe(ctx, name, addr, s.onEvent) }()
	}
	s.client = newClient(addrs)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.client.run(ctx, 100*time.Millisecond) }()
}

func (s *session) onEvent(e event) {
	if !s.events.add(e) {
		return
	}
	if s.lines {
		s.println(fmt.Sprintf("event %s %s %s", e.node, e.channel, e.payload))
	}
	if e.channel != "+switch-master" {
		return
	}
	s.mu.Lock()
	s.switches++
	close(s.switchCh)
	s.switchCh = make(chan struct{})
	if s.action != "" {
		s.result = fmt.Sprintf("%s -> +switch-master in %.3f s", s.action, e.at.Sub(s.actionAt).Seconds())
		s.action = ""
	} else {
		s.result = "+switch-master (no action of the demo started it)"
	}
	res := s.result
	s.mu.Unlock()
	if s.lines {
		s.println("demo: failover: " + res)
	}
}

// waitSwitch waits for a +switch-master beyond base.
func (s *session) waitSwitch(ctx context.Context, base int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		n, ch := s.switches, s.switchCh
		s.mu.Unlock()
		if n > base {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("no +switch-master within %v", timeout)
		}
	}
}

// stop ends the watchers and kills every process, then checks they are
// gone.
func (s *session) stop() {
	s.p.close()
	s.wg.Wait()
	pids := s.p.allPIDs()
	alive := 0
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			alive++
		}
	}
	if alive == 0 {
		s.println(fmt.Sprintf("demo: stopped; all %d processes it started are gone", len(pids)))
	} else {
		s.println(fmt.Sprintf("demo: %d of %d processes it started are still running", alive, len(pids)))
	}
}
