package harness

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redislog"
)

// Build compiles cmd/raftinel into dir and returns the binary's path. With
// race the binary is built with the race detector (tests run with -race
// then catch races inside the processes too).
func Build(dir string, race bool) (string, error) { return BuildCommand(dir, "raftinel", race) }

// BuildCommand compiles cmd/<name> of this module into dir/<name> (dir may
// be relative to the caller's working directory) and returns its path.
func BuildCommand(dir, name string, race bool) (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the module")
	}
	out, err := filepath.Abs(filepath.Join(dir, name)) // go build runs in the module root
	if err != nil {
		return "", err
	}
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/"+name)
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, b)
	}
	return out, nil
}

// Node is one raftinel process.
type Node struct {
	Host string
	Port int
	Dir  string
	Conf string // sentinel.conf path
	Log  string // stdout/stderr of the process
	// Password is sent with AUTH by Do (the node's requirepass).
	Password string
	proc     *process
}

// NodeOptions configure StartNode.
type NodeOptions struct {
	Bin   string
	Host  string // default 127.0.0.1
	Port  int    // default: a free port
	Dir   string // data dir; sentinel.conf and node.log are written here
	Lines []string
	Args  []string // extra command-line arguments after the config path
	// Password is the node's requirepass: written to its config and used
	// by Do.
	Password string
}

// NewNode writes the node's sentinel.conf; Start runs it.
func NewNode(o NodeOptions) (*Node, error) {
	var err error
	if o.Host, o.Port, o.Dir, err = placeProcess(o.Host, o.Port, o.Dir); err != nil {
		return nil, err
	}
	n := &Node{Host: o.Host, Port: o.Port, Dir: o.Dir, Conf: filepath.Join(o.Dir, "sentinel.conf"), Log: filepath.Join(o.Dir, "node.log"), Password: o.Password}
	lines := []string{"port " + strconv.Itoa(o.Port), "bind " + o.Host, "dir " + filepath.Join(o.Dir, "data")}
	if o.Password != "" {
		lines = append(lines, "requirepass "+o.Password)
	}
	lines = append(lines, o.Lines...)
	// 0600: the file may hold raft-secret and requirepass.
	if err := os.WriteFile(n.Conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	n.proc = &process{bin: o.Bin, args: append([]string{n.Conf}, o.Args...)}
	return n, nil
}

// StartNode writes the config and starts the node; it returns once the
// node answers PING.
func StartNode(o NodeOptions) (*Node, error) {
	n, err := NewNode(o)
	if err != nil {
		return nil, err
	}
	return n, n.Start()
}

// Start runs the process (again) and waits for PING.
func (n *Node) Start() error {
	f, err := os.OpenFile(n.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	n.proc.out = f
	if err := n.proc.start(); err != nil {
		f.Close()
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if s, err := n.Do("PING"); err == nil && s == "PONG" {
			return nil
		}
		if n.proc.exited() || time.Now().After(deadline) {
			b, _ := os.ReadFile(n.Log)
			n.proc.kill()
			return fmt.Errorf("raftinel on %s did not start: %s", n.Addr(), lastLines(string(b), 8))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Addr returns host:port.
func (n *Node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port)) }

// PID returns the process id (0 when not running).
func (n *Node) PID() int { return n.proc.pid() }

// Running reports whether the process is alive.
func (n *Node) Running() bool { return n.proc.pid() != 0 && !n.proc.exited() }

// Kill sends SIGKILL.
func (n *Node) Kill() { n.proc.kill() }

// Stop sends SIGSTOP; Resume sends SIGCONT.
func (n *Node) Stop()   { n.proc.signal(syscall.SIGSTOP) }
func (n *Node) Resume() { n.proc.signal(syscall.SIGCONT) }

// Term sends SIGTERM and waits (bounded) for a clean exit; it returns the
// exit code (-1 when it had to be killed).
func (n *Node) Term(timeout time.Duration) int {
	n.proc.signal(syscall.SIGTERM)
	ch := make(chan int, 1)
	go func() { ch <- n.proc.wait() }()
	select {
	case code := <-ch:
		return code
	case <-time.After(timeout):
		n.proc.kill()
		return -1
	}
}

// WaitExit waits (bounded) for the process to exit by itself and returns
// its exit code; false when it still runs after timeout.
func (n *Node) WaitExit(timeout time.Duration) (int, bool) {
	ch := make(chan int, 1)
	go func() { ch <- n.proc.wait() }()
	select {
	case code := <-ch:
		return code, true
	case <-time.After(timeout):
		return 0, false
	}
}

// Do sends one command over a fresh connection.
func (n *Node) Do(args ...string) (string, error) { return DoAuth(n.Addr(), n.Password, args...) }

// Info returns INFO <section> as a map.
func (n *Node) Info(section string) (map[string]string, error) {
	s, err := n.Do("INFO", section)
	if err != nil {
		return nil, err
	}
	return ParseInfo(s), nil
}

// Cluster is a set of raftinel nodes formed with raft-peers.
type Cluster struct {
	Nodes []*Node
	// Secret is the cluster's raft-secret (a node that joins needs it).
	Secret string
}

// ClusterOptions configure StartCluster.
type ClusterOptions struct {
	Bin   string
	Size  int
	Dir   string
	Hosts []string // per node (default 127.0.0.1)
	Lines []string // common config lines (sentinel monitor ..., timers)
	// Password is every node's requirepass (see NodeOptions.Password).
	Password string
	// NodeLines, when set, adds lines for node i (0-based) after Lines,
	// e.g. a distinct http-port per node.
	NodeLines func(i int) []string
	// Secret is the nodes' raft-secret; empty: a random one (a node of
	// several refuses to start without one). A raft-secret line in Lines
	// or NodeLines comes later in the file and wins.
	Secret string
}

// NewSecret returns a random raft-secret (64 hex digits).
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// StartCluster starts Size nodes that bootstrap one Raft cluster and waits
// until one of them is leader and all agree on it.
func StartCluster(o ClusterOptions) (*Cluster, error) {
	c := &Cluster{Secret: o.Secret}
	if c.Secret == "" {
		c.Secret = NewSecret()
	}
	var peers []string
	for i := 0; i < o.Size; i++ {
		host := "127.0.0.1"
		if i < len(o.Hosts) {
			host = o.Hosts[i]
		}
		port, err := FreePort(host)
		if err != nil {
			return nil, err
		}
		peers = append(peers, net.JoinHostPort(host, strconv.Itoa(port)))
		c.Nodes = append(c.Nodes, &Node{Host: host, Port: port})
	}
	for i, n := range c.Nodes {
		lines := append([]string{"raft-peers " + strings.Join(peers, " "), "raft-secret " + c.Secret}, o.Lines...)
		if o.NodeLines != nil {
			lines = append(lines, o.NodeLines(i)...)
		}
		nn, err := NewNode(NodeOptions{Bin: o.Bin, Host: n.Host, Port: n.Port, Dir: filepath.Join(o.Dir, fmt.Sprintf("node%d", i+1)), Lines: lines, Password: o.Password})
		if err != nil {
			return nil, err
		}
		c.Nodes[i] = nn
	}
	var wg sync.WaitGroup
	errs := make([]error, len(c.Nodes))
	for i, n := range c.Nodes {
		wg.Add(1)
		go func(i int, n *Node) { defer wg.Done(); errs[i] = n.Start() }(i, n)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.WaitLeader(15 * time.Second); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Leader returns the node that says it is leader, if every running node
// names the same leader.
func (c *Cluster) Leader() *Node {
	var leader *Node
	named := ""
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		info, err := n.Info("raft")
		if err != nil {
			return nil
		}
		if named == "" {
			named = info["raft_leader"]
		}
		if info["raft_leader"] != named || named == "" {
			return nil
		}
		if info["raft_state"] == "leader" {
			leader = n
		}
	}
	return leader
}

// WaitLeader polls until Leader is known.
func (c *Cluster) WaitLeader(timeout time.Duration) (*Node, error) {
	deadline := time.Now().Add(timeout)
	for {
		if l := c.Leader(); l != nil {
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no agreed raft leader within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close kills every node.
func (c *Cluster) Close() {
	for _, n := range c.Nodes {
		if n != nil && n.proc != nil {
			n.Kill()
		}
	}
}

// Main is the TestMain of a package of process tests: it builds the
// raftinel binary once into a temporary directory (with -race when race),
// silences go-redis's logger, calls setup with the binary's path, runs the
// tests, removes the directory and exits with the tests' code.
func Main(m *testing.M, race bool, setup func(bin string)) {
	dir, err := os.MkdirTemp("", "raftinel-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err := Build(dir, race)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	redislog.Silence()
	setup(bin)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// DumpOnFailure prints the last 60 lines of every node's log when t fails
// (or always, with RAFTINEL_DUMP_LOGS set).
func DumpOnFailure(t testing.TB, nodes ...*Node) {
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("RAFTINEL_DUMP_LOGS") == "" {
			return
		}
		for _, n := range nodes {
			b, _ := os.ReadFile(n.Log)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			t.Logf("---- %s (%s) ----\n%s", n.Addr(), n.Log, strings.Join(lines, "\n"))
		}
	})
}
