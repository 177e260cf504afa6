//go:build e2e

package clients

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A driver runs one client library in one of two modes:
//
//   - "basic": discover the master, SET/GET on it, then read from a
//     replica; it emits a "master" and a "replica" event and exits.
//   - "writer": subscribe to +switch-master through the library's pub/sub
//     API, emit "ready", then write one key every period (prefix + i) and
//     emit "write" (with the port of the server that took it) or "error"
//     per attempt, and "switch" per message, until stopped.
//
// Script drivers (Python, Node.js) print the events as JSON lines; Go
// drivers call emit directly. Either way the test reads the same events.
type driver interface {
	start(mode string, cfg config) (*session, error)
}

// config is what a client is given: the sentinel list in the client's
// order, the master name and the passwords (empty: none).
type config struct {
	sentinels    []string
	master       string
	sentinelPass string
	redisPass    string
	prefix       string
	period       time.Duration
}

// event is one line of a driver's output.
type event struct {
	Ev      string `json:"ev"`
	T       int64  `json:"t"` // Unix ms
	I       int    `json:"i"`
	Port    int    `json:"port"`
	Role    string `json:"role"`
	Value   string `json:"value"`
	Step    string `json:"step"`
	Err     string `json:"err"`
	Channel string `json:"channel"`
	Payload string `json:"payload"`
	Type    string `json:"type"`
}

// session is one running driver.
type session struct {
	mu     sync.Mutex
	events []event
	log    bytes.Buffer // stderr of a script, non-event lines
	done   chan struct{}
	err    error  // exit status, valid after done
	halt   func() // asks the driver to stop
	kill   func() // ends a driver that did not stop (scripts)
}

func newSession() *session { return &session{done: make(chan struct{})} }

func (s *session) add(e event) {
	if e.T == 0 {
		e.T = time.Now().UnixMilli()
	}
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

func (s *session) logf(format string, args ...any) {
	s.mu.Lock()
	fmt.Fprintf(&s.log, format, args...)
	s.mu.Unlock()
}

func (s *session) finish(err error) {
	s.err = err
	close(s.done)
}

// all returns a copy of the events so far.
func (s *session) all() []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event(nil), s.events...)
}

// find returns the first event that matches.
func (s *session) find(match func(event) bool) (event, bool) {
	for _, e := range s.all() {
		if match(e) {
			return e, true
		}
	}
	return event{}, false
}

// stop asks the driver to finish and waits for it (bounded); a driver
// that does not finish is killed.
func (s *session) stop() error {
	if s.halt != nil {
		s.halt()
	}
	err := s.wait(20 * time.Second)
	if err != nil && s.kill != nil {
		select {
		case <-s.done:
		default:
			s.kill()
			<-s.done
		}
	}
	return err
}

// wait waits for the driver to exit.
func (s *session) wait(timeout time.Duration) error {
	select {
	case <-s.done:
		return s.err
	case <-time.After(timeout):
		return fmt.Errorf("driver still running after %v", timeout)
	}
}

// report renders the session for a failure message.
func (s *session) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for i, e := range s.events {
		if i > 200 {
			fmt.Fprintf(&b, "... %d more events\n", len(s.events)-i)
			break
		}
		j, _ := json.Marshal(e)
		b.Write(j)
		b.WriteByte('\n')
	}
	if s.log.Len() > 0 {
		l := s.log.String()
		if len(l) > 4000 {
			l = "..." + l[len(l)-4000:]
		}
		b.WriteString("log:\n" + l)
	}
	return b.String()
}

// scriptDriver runs a Python or Node.js file of this folder.
type scriptDriver struct {
	interp string // /usr/bin/python3 or node
	file   string
}

func (d scriptDriver) start(mode string, cfg config) (*session, error) {
	cmd := exec.Command(d.interp, d.file, mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(),
		"RAFTINEL_SENTINELS="+strings.Join(cfg.sentinels, ","),
		"RAFTINEL_MASTER="+cfg.master,
		"RAFTINEL_SENTINEL_PASSWORD="+cfg.sentinelPass,
		"RAFTINEL_REDIS_PASSWORD="+cfg.redisPass,
		"RAFTINEL_KEY_PREFIX="+cfg.prefix,
		fmt.Sprintf("RAFTINEL_PERIOD_MS=%d", cfg.period.Milliseconds()),
		"PYTHONUNBUFFERED=1",
	)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := newSession()
	cmd.Stderr = writerFunc(func(p []byte) { s.logf("%s", p) })
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", d.file, err)
	}
	var once sync.Once
	s.halt = func() { once.Do(func() { stdin.Close() }) }
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Ev == "" {
				s.logf("stdout: %s\n", sc.Bytes())
				continue
			}
			s.add(e)
		}
		_, _ = io.Copy(io.Discard, stdout)
		err := cmd.Wait()
		if err != nil {
			err = fmt.Errorf("%s %s: %w", d.file, mode, err)
		}
		s.finish(err)
	}()
	// A driver that outlives its stop signal is killed: only it, its own
	// process group, by PID.
	s.kill = func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return s, nil
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// goDriver runs a Go client library in-process.
type goDriver struct {
	basic  func(ctx context.Context, cfg config, emit func(event)) error
	writer func(ctx context.Context, cfg config, emit func(event)) error
}

func (d goDriver) start(mode string, cfg config) (*session, error) {
	var fn func(context.Context, config, func(event)) error
	switch mode {
	case "basic":
		fn = d.basic
	case "writer":
		fn = d.writer
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := newSession()
	s.halt = cancel
	go func() {
		defer cancel()
		s.add(event{Ev: "start"})
		err := fn(ctx, cfg, s.add)
		if err != nil && !errors.Is(err, context.Canceled) {
			var se stepError
			step := "run"
			if errors.As(err, &se) {
				step = se.step
			}
			s.add(event{Ev: "fail", Step: step, Err: err.Error()})
		} else {
			err = nil
			s.add(event{Ev: "done"})
		}
		s.finish(err)
	}()
	return s, nil
}

// stepError tags a Go driver's failure with its step.
type stepError struct {
	step string
	err  error
}

func (e stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e stepError) Unwrap() error { return e.err }

func inStep(step string, err error) error {
	if err == nil {
		return nil
	}
	return stepError{step, err}
}

// writeLoop is the Go drivers' writer loop: write returns the port of the
// server that took the key and when it was acknowledged.
func writeLoop(ctx context.Context, cfg config, emit func(event), write func(ctx context.Context, key, value string) (int, time.Time, error)) error {
	for i := 0; ctx.Err() == nil; i++ {
		began := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		port, acked, err := write(wctx, fmt.Sprintf("%s%d", cfg.prefix, i), fmt.Sprint(i))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			emit(event{Ev: "error", I: i, Err: err.Error()})
		} else {
			emit(event{Ev: "write", I: i, Port: port, T: acked.UnixMilli()})
		}
		select {
		case <-ctx.Done():
		case <-time.After(cfg.period - time.Since(began)):
		}
	}
	return nil
}
