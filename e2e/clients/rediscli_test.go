//go:build e2e

package clients

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// redis-cli is not Sentinel-aware: a script asks a sentinel for the master
// (trying the sentinels of its list in order) and then talks to that
// address, one redis-cli process (one connection) per step, which is what
// shell scripts and operators do. -a sends AUTH <pass> first.
var redisCLI = goDriver{basic: cliBasic, writer: cliWriter}

var errCLI = errors.New("redis-cli")

// cli runs redis-cli against addr with -e (a failing command exits
// non-zero); stdin, when not empty, holds several commands for one
// connection.
func cli(ctx context.Context, addr, pass, stdin string, args ...string) ([]string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	a := []string{"-e", "-h", host, "-p", port}
	if pass != "" {
		a = append(a, "--no-auth-warning", "-a", pass)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "redis-cli", append(a, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	text := strings.TrimRight(string(out), "\n")
	if err != nil {
		return nil, fmt.Errorf("%w %s %v: %v: %s", errCLI, addr, args, err, text)
	}
	return strings.Split(text, "\n"), nil
}

// cliMaster asks the sentinels in order until one answers an address.
func cliMaster(ctx context.Context, cfg config) (string, error) {
	var errs []error
	for _, s := range cfg.sentinels {
		l, err := cli(ctx, s, cfg.sentinelPass, "", "SENTINEL", "get-master-addr-by-name", cfg.master)
		if err == nil && len(l) == 2 {
			return net.JoinHostPort(l[0], l[1]), nil
		}
		errs = append(errs, fmt.Errorf("%s: %v %v", s, l, err))
	}
	return "", errors.Join(errs...)
}

// cliReplica asks the sentinels in order for SENTINEL REPLICAS and returns
// the first replica whose flags are exactly "slave".
func cliReplica(ctx context.Context, cfg config) (string, error) {
	var errs []error
	for _, s := range cfg.sentinels {
		l, err := cli(ctx, s, cfg.sentinelPass, "", "SENTINEL", "replicas", cfg.master)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// raw output: the fields of every replica, one per line
		var ip, port string
		for i := 0; i+1 < len(l); i += 2 {
			switch l[i] {
			case "name":
				ip, port = "", ""
			case "ip":
				ip = l[i+1]
			case "port":
				port = l[i+1]
			case "flags":
				if l[i+1] == "slave" && ip != "" && port != "" {
					return net.JoinHostPort(ip, port), nil
				}
			}
		}
		errs = append(errs, fmt.Errorf("%s: no healthy replica in %v", s, l))
	}
	return "", errors.Join(errs...)
}

func cliBasic(ctx context.Context, cfg config, emit func(event)) error {
	key := cfg.prefix + "basic"
	m, err := cliMaster(ctx, cfg)
	if err != nil {
		return inStep("master", err)
	}
	// WAIT counts this connection's writes: same connection as the SET
	l, err := cli(ctx, m, cfg.redisPass, fmt.Sprintf("SET %s hello\nGET %s\nROLE\nCONFIG GET port\nWAIT 2 2000\n", key, key))
	if err != nil {
		return inStep("master", err)
	}
	// OK, hello, ROLE (master, offset, then host/port/offset per replica), port, <port>, <replicas>
	if len(l) < 6 || l[0] != "OK" {
		return inStep("master", fmt.Errorf("unexpected output %q", l))
	}
	port, _ := strconv.Atoi(l[len(l)-2])
	emit(event{Ev: "master", Port: port, Value: l[1], Role: l[2]})
	r, err := cliReplica(ctx, cfg)
	if err != nil {
		return inStep("replica", err)
	}
	l, err = cli(ctx, r, cfg.redisPass, fmt.Sprintf("GET %s\nROLE\nCONFIG GET port\n", key))
	if err != nil || len(l) < 4 {
		return inStep("replica", fmt.Errorf("output %q: %v", l, err))
	}
	port, _ = strconv.Atoi(l[len(l)-1])
	emit(event{Ev: "replica", Port: port, Value: l[0], Role: l[1]})
	return nil
}

func cliWriter(ctx context.Context, cfg config, emit func(event)) error {
	if err := cliSubscribe(ctx, cfg, emit); err != nil {
		return inStep("subscribe", err)
	}
	emit(event{Ev: "ready"})
	return writeLoop(ctx, cfg, emit, func(ctx context.Context, key, value string) (int, time.Time, error) {
		m, err := cliMaster(ctx, cfg)
		if err != nil {
			return 0, time.Time{}, err
		}
		l, err := cli(ctx, m, cfg.redisPass, fmt.Sprintf("SET %s %s\nCONFIG GET port\n", key, value))
		acked := time.Now()
		if err != nil {
			return 0, time.Time{}, err
		}
		if len(l) != 3 || l[0] != "OK" {
			return 0, time.Time{}, fmt.Errorf("%w: unexpected output %q", errCLI, l)
		}
		port, err := strconv.Atoi(l[2])
		return port, acked, err
	})
}

// cliSubscribe runs `redis-cli SUBSCRIBE +switch-master` on the first
// sentinel until ctx ends and turns its output into "switch" events.
func cliSubscribe(ctx context.Context, cfg config, emit func(event)) error {
	host, port, _ := net.SplitHostPort(cfg.sentinels[0])
	a := []string{"-h", host, "-p", port}
	if cfg.sentinelPass != "" {
		a = append(a, "--no-auth-warning", "-a", cfg.sentinelPass)
	}
	cmd := exec.CommandContext(ctx, "redis-cli", append(a, "SUBSCRIBE", "+switch-master")...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_ = cmd.Wait()
	}()
	// raw output: "subscribe", channel, count; then "message", channel,
	// payload per message
	var first []string
	timeout := time.After(5 * time.Second)
	for len(first) < 3 {
		select {
		case l, ok := <-lines:
			if !ok {
				return fmt.Errorf("%w SUBSCRIBE ended: %q", errCLI, first)
			}
			first = append(first, l)
		case <-timeout:
			return fmt.Errorf("%w SUBSCRIBE: no confirmation, got %q", errCLI, first)
		}
	}
	if first[0] != "subscribe" || first[1] != "+switch-master" {
		return fmt.Errorf("%w SUBSCRIBE: %q", errCLI, first)
	}
	go func() {
		var msg []string
		for l := range lines {
			msg = append(msg, l)
			if len(msg) == 3 {
				if msg[0] == "message" {
					emit(event{Ev: "switch", Channel: msg[1], Payload: msg[2]})
				}
				msg = nil
			}
		}
	}()
	return nil
}
