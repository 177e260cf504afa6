// Package redistest adapts internal/harness to tests: it starts real
// redis-server processes on free loopback ports, fails the test with the
// one line that installs Redis when it is missing, and kills every process
// (by PID) when the test ends.
package redistest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/wait"
)

// Server is one redis-server process.
type Server struct {
	*harness.Redis
	tb testing.TB
}

// Binary returns the redis-server path or fails the test with how to get it.
func Binary(tb testing.TB) string {
	p, err := harness.RedisBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// FreePort returns a free TCP port on host.
func FreePort(tb testing.TB, host string) int {
	tb.Helper()
	p, err := harness.FreePort(host)
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	return p
}

type options struct {
	host      string
	lines     []string
	replicaOf *Server
}

// Option configures a server before start.
type Option func(*options)

// WithArgs adds redis-server directives in command-line form, e.g.
// WithArgs("--requirepass", "x", "--rename-command", "PING", "PONG2").
func WithArgs(args ...string) Option {
	return func(o *options) {
		for _, a := range args {
			if strings.HasPrefix(a, "--") {
				o.lines = append(o.lines, strings.TrimPrefix(a, "--"))
			} else if len(o.lines) > 0 {
				o.lines[len(o.lines)-1] += " " + quote(a)
			}
		}
	}
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \"'\\") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

// WithHost binds the server to another loopback address (127.0.0.0/8).
func WithHost(h string) Option { return func(o *options) { o.host = h } }

// ReplicaOf makes the server a replica of m at start.
func ReplicaOf(m *Server) Option { return func(o *options) { o.replicaOf = m } }

// Start starts a redis-server and waits until it answers PING; it is killed
// when the test ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	ho := harness.RedisOptions{Host: o.host, Dir: tb.TempDir(), Lines: o.lines}
	if o.replicaOf != nil {
		ho.ReplicaOf = o.replicaOf.Redis
	}
	r, err := harness.StartRedis(ho)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Redis: r, tb: tb}
	tb.Cleanup(r.Kill)
	return s
}

// Restart starts the server again on the same port and dir (after Kill).
func (s *Server) Restart() {
	s.tb.Helper()
	if err := s.Redis.Restart(); err != nil {
		s.tb.Fatal(err)
	}
}

// WaitFor polls cond (wait.Until) until it is true, and fails tb if
// timeout passes first. It is the one wait-for helper of the tests.
func WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	if err := wait.Until(context.Background(), timeout, what, cond); err != nil {
		tb.Fatal(err)
	}
}

// Set is a master with replicas, replicating.
type Set struct {
	Master   *Server
	Replicas []*Server
}

// StartSet starts a master and n replicas and waits until every replica
// reports master_link_status:up.
func StartSet(tb testing.TB, n int, opts ...Option) *Set {
	tb.Helper()
	m := Start(tb, opts...)
	set := &Set{Master: m}
	for i := 0; i < n; i++ {
		set.Replicas = append(set.Replicas, Start(tb, append(append([]Option{}, opts...), ReplicaOf(m))...))
	}
	for _, r := range set.Replicas {
		r := r
		WaitFor(tb, 15*time.Second, "replica "+r.Addr()+" link up", func() bool {
			info, err := r.Info("replication")
			return err == nil && info["master_link_status"] == "up"
		})
	}
	if n > 0 {
		// "link up" comes before a freshly synced replica acknowledges the
		// stream (up to a second later); until then its master sends it
		// nothing, so a master killed in between loses its writes
		// whatever the sentinels do, and a replica witness sees no data
		// flowing from a healthy master. Wait for an acknowledged write on
		// every replica: SET and WAIT on one connection, as WAIT counts
		// only its own client's writes (on a fresh connection it returns
		// at once).
		WaitFor(tb, 15*time.Second, "replicas acknowledge the stream", func() bool {
			got, err := m.DoSeq([]string{"SET", "__redistest_warmup", "1"}, []string{"WAIT", strconv.Itoa(n), "1000"})
			return err == nil && len(got) == 2 && got[1] == strconv.Itoa(n)
		})
	}
	return set
}

// Do sends one command to addr over a fresh connection (harness.Do).
func Do(addr string, args ...string) (string, error) { return harness.Do(addr, args...) }
