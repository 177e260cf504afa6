// Package server is the raftinel command: `raftinel /path/to/sentinel.conf
// [--directive value ...]`, started the way redis-sentinel is. It is wiring
// only: config, logging, signals, exit codes. cmd/raftinel is this and
// nothing else; cmd/raftinel-demo runs it too, for the nodes the demo
// starts (so the server binary does not link the demo).
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/node"
	"go.uber.org/zap"
)

// DemoHint is what `raftinel demo` says: the demo is its own command, so
// that the server binary does not link it (go-redis, the process harness).
const DemoHint = "raftinel: the demo is its own command: go run ./cmd/raftinel-demo (from the source tree), or raftinel-demo"

func usage(w io.Writer) {
	fmt.Fprintf(w, `raftinel %s, a Raft-backed drop-in replacement for redis-sentinel

Usage:
  raftinel /path/to/sentinel.conf [--directive value ...]
  raftinel --version

The demo (a local cluster over real redis-server processes) is
go run ./cmd/raftinel-demo
`, node.Version)
}

// Main runs the command with args (os.Args[1:]) and returns the exit code.
// The version goes to stdout; the usage, errors and (without logfile) the
// log go to stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "help":
			usage(stderr)
			return 0
		case "-v", "--version", "version":
			fmt.Fprintf(stdout, "raftinel %s (sentinel protocol %s)\n", node.Version, node.RedisVersion)
			return 0
		case "demo":
			// not a config file named demo (in the source tree, demo is
			// the package's directory)
			if fi, err := os.Stat("demo"); err != nil || fi.IsDir() {
				fmt.Fprintln(stderr, DemoHint)
				return 2
			}
		}
	}
	path := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		path, args = args[0], args[1:]
	}
	cfg, err := config.Load(path, args)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) && ce.Line > 0 {
			fmt.Fprint(stderr, ce.Banner(node.RedisVersion))
		}
		fmt.Fprintf(stderr, "raftinel: %v\n", err)
		return 1
	}
	log, level, logFile, err := newLogger(cfg.Path(cfg.LogFile), cfg.LogLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "raftinel: %v\n", cfg.Errorf("logfile", "logfile %s: %v", cfg.LogFile, err))
		return 1
	}
	defer log.Sync()
	if cfg.Daemonize {
		log.Warn("daemonize yes is not supported: running in the foreground (use a supervisor)")
	}
	for _, d := range cfg.Ignored {
		log.Debug("directive accepted and ignored", zap.String("directive", d.Directive), zap.Int("line", d.Line))
	}
	// A start-up failure once the log is open goes where redis-server puts
	// it: to the log file when one is configured, stderr staying empty
	// (Redis's own test suite counts anything on a server's stderr as a
	// crash), else to stderr.
	fail := func(err error) int {
		if logFile != nil {
			log.Error("start-up failed", zap.Error(err))
		} else {
			fmt.Fprintf(stderr, "raftinel: %v\n", err)
		}
		return 1
	}
	n, err := node.New(cfg, log, node.WithLogLevel(level))
	if err != nil {
		return fail(err)
	}
	if cfg.PidFile != "" {
		if err := os.WriteFile(cfg.Path(cfg.PidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fail(cfg.Errorf("pidfile", "pidfile %s: %v", cfg.PidFile, err))
		}
		defer os.Remove(cfg.Path(cfg.PidFile))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			if s == syscall.SIGHUP {
				if logFile != nil {
					if err := logFile.Reopen(); err != nil {
						log.Warn("reopening log file failed", zap.Error(err))
					}
				}
				continue
			}
			log.Info("signal received, shutting down", zap.String("signal", s.String()))
			cancel()
		}
	}()
	if err := n.Run(ctx); err != nil {
		log.Error("node stopped with an error", zap.Error(err))
		return 1
	}
	return 0
}
