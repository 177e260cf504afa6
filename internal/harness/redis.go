// Package harness starts and controls real processes on loopback for the
// end-to-end tests, the demo and the benchmarks: redis-server instances and
// raftinel nodes. Every process it starts it stops by PID; it never touches
// another process and only binds 127.0.0.0/8 addresses.
package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoRedis says how to install redis-server.
var ErrNoRedis = errors.New("redis-server not found: install it with `apt-get install -y redis-server` (Debian/Ubuntu)")

// RedisBinary returns the path of redis-server.
func RedisBinary() (string, error) {
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", ErrNoRedis
	}
	return p, nil
}

// handedOut holds every port FreePort returned in this process: the kernel
// may give a port just released again, and two callers (two nodes of one
// cluster, a node and its http-port) would then get the same one.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// FreePort returns a free TCP port on host, never one it returned before
// in this process. It picks from below the kernel's ephemeral range
// (testPorts): a port in that range can become the local port of any
// outgoing connection on the machine between FreePort and the bind, or
// while a process a test killed is down before its restart on the same
// port, and the bind then fails with "address already in use".
func FreePort(host string) (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	if lo, hi := testPorts(); hi > lo {
		for range 200 {
			port := lo + rand.IntN(hi-lo+1)
			if handedOut.ports[port] || conformancePort(port) {
				continue
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				continue
			}
			ln.Close()
			handedOut.ports[port] = true
			return port, nil
		}
	}
	var held []net.Listener // refused ports stay bound until one is found
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 100 {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if handedOut.ports[port] {
			held = append(held, ln)
			continue
		}
		ln.Close()
		handedOut.ports[port] = true
		return port, nil
	}
	return 0, errors.New("no free port that was not handed out before")
}

// testPortLow is the lowest port FreePort picks.
const testPortLow = 10000

// testPorts is the range FreePort picks from: testPortLow up to the first
// port of the kernel's ephemeral range; empty (the kernel picks, from the
// ephemeral range) when that range starts too low to leave room.
func testPorts() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0
	}
	first, err := strconv.Atoi(f[0])
	if err != nil || first-1 < testPortLow+1000 {
		return 0, 0
	}
	return testPortLow, first - 1
}

// conformancePort reports the fixed ports Redis's Sentinel suite uses
// (scripts/conformance.sh: 20000-20009 and 30000-30009, with room).
func conformancePort(p int) bool {
	return (p >= 20000 && p < 20100) || (p >= 30000 && p < 30100)
}

// Redis is one redis-server process.
type Redis struct {
	Host string
	Port int
	Dir  string
	// Password is sent with AUTH by Do (the server's requirepass).
	Password string
	proc     *process
}

// RedisOptions configure StartRedis.
type RedisOptions struct {
	Host      string   // default 127.0.0.1
	Port      int      // default: a free port
	Dir       string   // required: data dir (redis.conf and redis.log live here)
	ReplicaOf *Redis   // start as a replica
	Lines     []string // extra redis.conf lines
	// Password sets requirepass and masterauth (replicas authenticate to
	// their master with it) and is used by Do.
	Password string
}

// StartRedis starts redis-server with a config file (so CONFIG REWRITE,
// which failovers send, works) and waits until it answers PING.
func StartRedis(o RedisOptions) (*Redis, error) {
	bin, err := RedisBinary()
	if err != nil {
		return nil, err
	}
	if o.Host, o.Port, o.Dir, err = placeProcess(o.Host, o.Port, o.Dir); err != nil {
		return nil, err
	}
	lines := []string{
		"bind " + o.Host, "port " + strconv.Itoa(o.Port), "dir " + o.Dir,
		`save ""`, "appendonly no", "protected-mode no",
		"repl-diskless-sync yes", "repl-diskless-sync-delay 0", "repl-diskless-load disabled",
		"logfile " + filepath.Join(o.Dir, "redis.log"),
	}
	if o.ReplicaOf != nil {
		lines = append(lines, "replicaof "+o.ReplicaOf.Host+" "+strconv.Itoa(o.ReplicaOf.Port))
	}
	if o.Password != "" {
		lines = append(lines, "requirepass "+o.Password, "masterauth "+o.Password)
	}
	lines = append(lines, o.Lines...)
	conf := filepath.Join(o.Dir, "redis.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	r := &Redis{Host: o.Host, Port: o.Port, Dir: o.Dir, Password: o.Password, proc: &process{bin: bin, args: []string{conf}}}
	return r, r.start()
}

// redisStartWait bounds how long start waits for a new redis-server to
// answer PING: generous, as a loaded test machine can take seconds.
const redisStartWait = 30 * time.Second

func (r *Redis) start() error {
	if err := r.proc.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(redisStartWait)
	for r.Ping() != nil {
		if time.Now().After(deadline) || r.proc.exited() {
			log, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
			r.proc.kill()
			return fmt.Errorf("redis-server on %s did not start: %s", r.Addr(), lastLines(string(log), 5))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// placeProcess fills a default host (127.0.0.1), a free port and creates
// the process's directory, which it returns absolute: the paths written
// into a config (dir, logfile) must not depend on the working directory
// of the process reading it (redis-server changes into dir before it
// opens logfile, so a relative pair names a file that is not there).
func placeProcess(host string, port int, dir string) (string, int, string, error) {
	var err error
	if host == "" {
		host = "127.0.0.1"
	}
	if port == 0 {
		if port, err = FreePort(host); err != nil {
			return "", 0, "", err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return "", 0, "", err
	}
	return host, port, dir, os.MkdirAll(dir, 0o755)
}

// Addr returns host:port.
func (r *Redis) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// PID returns the process id (0 when not running).
func (r *Redis) PID() int { return r.proc.pid() }

// Kill sends SIGKILL (kill -9) and waits for the exit.
func (r *Redis) Kill() { r.proc.kill() }

// Stop sends SIGSTOP: the process hangs with its connections open.
func (r *Redis) Stop() { r.proc.signal(syscall.SIGSTOP) }

// Resume sends SIGCONT.
func (r *Redis) Resume() { r.proc.signal(syscall.SIGCONT) }

// Restart starts the server again with its (possibly rewritten) config.
func (r *Redis) Restart() error {
	r.proc.kill()
	return r.start()
}

// Running reports whether the process is alive.
func (r *Redis) Running() bool { return r.proc.pid() != 0 && !r.proc.exited() }

// Do sends one command over a fresh connection (see Do).
func (r *Redis) Do(args ...string) (string, error) { return DoAuth(r.Addr(), r.Password, args...) }

// DoSeq sends cmds over one connection (see DoSeq).
func (r *Redis) DoSeq(cmds ...[]string) ([]string, error) {
	return DoSeq(r.Addr(), r.Password, cmds...)
}

// Ping returns nil when the server answers PONG.
func (r *Redis) Ping() error {
	s, err := r.Do("PING")
	if err == nil && s != "PONG" {
		err = fmt.Errorf("ping: %q", s)
	}
	return err
}

// Info returns INFO <section> as a map.
func (r *Redis) Info(section string) (map[string]string, error) {
	s, err := r.Do("INFO", section)
	if err != nil {
		return nil, err
	}
	return ParseInfo(s), nil
}

// Role returns "master" or "slave" ("" when unreachable).
func (r *Redis) Role() string {
	m, err := r.Info("replication")
	if err != nil {
		return ""
	}
	return m["role"]
}

// ParseInfo turns INFO text into a map.
func ParseInfo(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m
}

// FlatMap turns a flat RESP2 map (as Do and ReadReply join it, one line
// per element) into a map.
func FlatMap(s string) map[string]string {
	p := strings.Split(s, "\n")
	m := map[string]string{}
	for i := 0; i+1 < len(p); i += 2 {
		m[p[i]] = p[i+1]
	}
	return m
}

// ReplicaFlags returns the flags of every replica in a SENTINEL REPLICAS
// reply (as Do joins it, one field per line), in reply order: "slave" is
// a replica whose link is up ("disconnected" is added until it is).
func ReplicaFlags(s string) []string {
	p := strings.Split(s, "\n")
	var out []string
	for i := 0; i+1 < len(p); i += 2 {
		if p[i] == "flags" {
			out = append(out, p[i+1])
		}
	}
	return out
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}
