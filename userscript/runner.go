// Package userscript runs the user's notification-script and
// client-reconfig-script like Sentinel does (spec §6.12): at most 16 at a
// time, a queue of 256, each killed after a maximum run time; exit code 1
// or a signal means "retry" (up to 10 times, the delay doubling from 30 s),
// exit code 2 or more is a final error reported as -script-error. Scripts
// never block the node: they are queued and run by their own goroutines.
package userscript

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Config holds the limits; every one is a setting (SENTINEL DEBUG
// script-max-runtime / script-retry-delay change them in Sentinel).
type Config struct {
	MaxRunning int           // SENTINEL_SCRIPT_MAX_RUNNING: 16
	MaxQueue   int           // SENTINEL_SCRIPT_MAX_QUEUE: 256
	MaxRuntime time.Duration // SENTINEL_SCRIPT_MAX_RUNTIME: 60 s
	RetryDelay time.Duration // SENTINEL_SCRIPT_RETRY_DELAY: 30 s, doubled per retry
	MaxRetries int           // SENTINEL_SCRIPT_MAX_RETRY: 10
	Dir        string        // relative script paths are resolved here
}

func (c *Config) defaults() {
	if c.MaxRunning == 0 {
		c.MaxRunning = 16
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = 256
	}
	if c.MaxRuntime == 0 {
		c.MaxRuntime = 60 * time.Second
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 30 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 10
	}
}

// SetLimits changes the run time bound and the retry delay at run time
// (SENTINEL DEBUG script-max-runtime / script-retry-delay); 0 keeps a value.
func (r *Runner) SetLimits(maxRuntime, retryDelay time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if maxRuntime > 0 {
		r.cfg.MaxRuntime = maxRuntime
	}
	if retryDelay > 0 {
		r.cfg.RetryDelay = retryDelay
	}
}

// Job is one scheduled or running script, as PENDING-SCRIPTS shows it.
type Job struct {
	Argv     []string
	Running  bool
	PID      int
	Since    time.Time // start time when running, else when it may start
	RetryNum int
}

type job struct {
	argv      []string
	retry     int
	notBefore time.Time
	running   bool
	pid       int
	started   time.Time
}

// Runner queues and runs scripts.
type Runner struct {
	cfg   Config
	log   *zap.Logger
	event func(channel, payload string) // -script-error / -script-timeout

	mu    sync.Mutex
	queue []*job
	wake  chan struct{}
}

// New returns a runner; event publishes the runner's own events.
func New(cfg Config, log *zap.Logger, event func(channel, payload string)) *Runner {
	cfg.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	return &Runner{cfg: cfg, log: log, event: event, wake: make(chan struct{}, 1)}
}

// Schedule queues argv (argv[0] is the script). When the queue is full the
// oldest job that is not running is dropped, as Sentinel does.
func (r *Runner) Schedule(argv ...string) {
	r.mu.Lock()
	if len(r.queue) >= r.cfg.MaxQueue {
		for i, j := range r.queue {
			if !j.running {
				r.log.Warn("script queue full, dropping the oldest job", zap.Strings("argv", j.argv))
				r.queue = append(r.queue[:i], r.queue[i+1:]...)
				break
			}
		}
	}
	if len(r.queue) < r.cfg.MaxQueue {
		r.queue = append(r.queue, &job{argv: argv})
	}
	r.mu.Unlock()
	r.poke()
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Pending lists scheduled and running jobs.
func (r *Runner) Pending() []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Job, 0, len(r.queue))
	for _, j := range r.queue {
		since := j.notBefore
		if j.running {
			since = j.started
		}
		out = append(out, Job{Argv: append([]string(nil), j.argv...), Running: j.running, PID: j.pid, Since: since, RetryNum: j.retry})
	}
	return out
}

// Counts returns the running jobs and the queue length (INFO sentinel).
func (r *Runner) Counts() (running, queued int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.queue {
		if j.running {
			running++
		}
	}
	return running, len(r.queue)
}

// Run starts due jobs until ctx is done; running scripts are killed then.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		next := r.startDue(ctx, &wg)
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		if !next.IsZero() {
			t.Reset(time.Until(next))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// startDue starts what may start and returns when the next retry is due.
func (r *Runner) startDue(ctx context.Context, wg *sync.WaitGroup) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	running := 0
	for _, j := range r.queue {
		if j.running {
			running++
		}
	}
	var next time.Time
	now := time.Now()
	for _, j := range r.queue {
		if j.running {
			continue
		}
		if j.notBefore.After(now) {
			if next.IsZero() || j.notBefore.Before(next) {
				next = j.notBefore
			}
			continue
		}
		if running >= r.cfg.MaxRunning {
			break
		}
		cmd := exec.Command(r.path(j.argv[0]), j.argv[1:]...)
		cmd.Args[0] = j.argv[0]
		cmd.Dir = r.cfg.Dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			// Sentinel reports a fork failure as exit 99, signal 0, no retry.
			r.log.Warn("script failed to start", zap.Strings("argv", j.argv), zap.Error(err))
			r.remove(j)
			r.emit("-script-error", j.argv[0]+" 99 0")
			return time.Now() // the queue changed: look again
		}
		j.running, j.pid, j.started = true, cmd.Process.Pid, now
		running++
		wg.Add(1)
		go func(j *job) {
			defer wg.Done()
			r.wait(ctx, j, cmd)
		}(j)
	}
	return next
}

func (r *Runner) wait(ctx context.Context, j *job, cmd *exec.Cmd) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	r.mu.Lock()
	maxRuntime := r.cfg.MaxRuntime
	r.mu.Unlock()
	timer := time.NewTimer(maxRuntime)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		r.log.Warn("script timed out, killing it", zap.Strings("argv", j.argv), zap.Int("pid", j.pid))
		r.emit("-script-timeout", j.argv[0]+" "+strconv.Itoa(j.pid))
		_ = syscall.Kill(-j.pid, syscall.SIGKILL)
		err = <-done
	case <-ctx.Done():
		_ = syscall.Kill(-j.pid, syscall.SIGKILL)
		<-done
		return
	}
	code, signal := 0, 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			signal = int(ws.Signal())
		} else {
			code = ee.ExitCode()
		}
	}
	r.mu.Lock()
	defer r.poke()
	defer r.mu.Unlock()
	j.running = false
	switch {
	case code == 0 && signal == 0:
		r.remove(j)
	case (code == 1 || signal != 0) && j.retry < r.cfg.MaxRetries:
		j.retry++
		j.notBefore = time.Now().Add(r.cfg.RetryDelay << (j.retry - 1))
		r.log.Info("script will be retried", zap.Strings("argv", j.argv), zap.Int("retry", j.retry), zap.Time("at", j.notBefore))
	default:
		r.remove(j)
		r.log.Warn("script failed", zap.Strings("argv", j.argv), zap.Int("exit", code), zap.Int("signal", signal))
		r.emit("-script-error", j.argv[0]+" "+strconv.Itoa(signal)+" "+strconv.Itoa(code))
	}
}

// path resolves a script name the way redis-sentinel's execve from dir
// does: a relative name is taken from Dir, never looked up in PATH.
func (r *Runner) path(name string) string {
	if filepath.IsAbs(name) || r.cfg.Dir == "" {
		return name
	}
	return filepath.Join(r.cfg.Dir, name)
}

// remove drops j from the queue (mu held).
func (r *Runner) remove(j *job) {
	for i, q := range r.queue {
		if q == j {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			return
		}
	}
}

func (r *Runner) emit(ch, payload string) {
	if r.event != nil {
		go r.event(ch, payload) // never under mu
	}
}
