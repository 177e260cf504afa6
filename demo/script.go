package demo

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/wait"
	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/view"
)

// autoScript is --auto: one kill -9 of the master, timed.
var autoScript = []string{"kill-master", "wait-switch", "wait-client", "quit"}

// Step timeouts of the non-interactive mode.
const (
	readyTimeout  = 30 * time.Second
	switchTimeout = 30 * time.Second
	leaderTimeout = 15 * time.Second
)

// steps are the non-interactive verbs; each returns what it did.
var steps = map[string]func(ctx context.Context, s *session) (string, error){
	"kill-master": func(_ context.Context, s *session) (string, error) {
		return s.timed("kill -9 of master", s.p.killMaster)
	},
	"stop-master": func(_ context.Context, s *session) (string, error) {
		return s.timed("SIGSTOP of master", func() (string, error) {
			if s.p.isStopped() {
				return "", fmt.Errorf("a master is already stopped")
			}
			what, _, err := s.p.toggleStopMaster()
			return what, err
		})
	},
	"cont-master": func(_ context.Context, s *session) (string, error) {
		if !s.p.isStopped() {
			return "", fmt.Errorf("no master is stopped")
		}
		return s.p.contMaster(), nil
	},
	"kill-leader": func(_ context.Context, s *session) (string, error) { return s.p.killLeader() },
	"restart":     func(_ context.Context, s *session) (string, error) { return s.p.restart(s.say) },
	"failover": func(_ context.Context, s *session) (string, error) {
		return s.timed("SENTINEL FAILOVER", s.p.failover)
	},
	"wait-switch": func(ctx context.Context, s *session) (string, error) {
		return "", s.waitSwitch(ctx, s.base, switchTimeout)
	},
	"wait-client": func(ctx context.Context, s *session) (string, error) {
		s.mu.Lock()
		what, at := s.lastAction, s.lastActionAt
		s.mu.Unlock()
		var ack time.Time
		err := wait.Until(ctx, switchTimeout, "a write acknowledged after "+what, func() bool {
			ack = s.client.lastAck()
			return ack.After(at)
		})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("client: writes acknowledged again %.3f s after %s", ack.Sub(at).Seconds(), what), nil
	},
	"wait-leader": func(ctx context.Context, s *session) (string, error) {
		n, err := s.waitLeader(ctx, leaderTimeout)
		if err != nil {
			return "", err
		}
		return "Raft leader is " + s.p.nodeName(n) + " " + n.Addr(), nil
	},
	"wait-ready": func(ctx context.Context, s *session) (string, error) {
		return "", s.waitReady(ctx, readyTimeout)
	},
	"quit": func(context.Context, *session) (string, error) { return "", nil },
}

func stepNames() []string {
	var out []string
	for k := range steps {
		out = append(out, k)
	}
	out = append(out, "sleep:<ms>")
	sort.Strings(out)
	return out
}

func checkScript(script []string) error {
	for _, st := range script {
		st = strings.TrimSpace(st)
		if ms, ok := strings.CutPrefix(st, "sleep:"); ok {
			if _, err := strconv.Atoi(ms); err != nil {
				return fmt.Errorf("step %q: sleep:<milliseconds>", st)
			}
			continue
		}
		if steps[st] == nil {
			return fmt.Errorf("unknown step %q (steps: %s)", st, strings.Join(stepNames(), ", "))
		}
	}
	return nil
}

// timed runs an action whose failover the demo measures from the moment
// it starts (a SENTINEL FAILOVER may switch before its reply arrives), and
// remembers the switch count wait-switch waits beyond.
func (s *session) timed(name string, act func() (string, error)) (string, error) {
	s.mu.Lock()
	at := time.Now()
	s.action, s.actionAt, s.base = name, at, s.switches
	s.mu.Unlock()
	what, err := act()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.action == name && s.actionAt == at {
			s.action = ""
		}
		return "", err
	}
	if s.action == name && s.actionAt == at {
		s.action = what // still waiting: show the full description
	}
	s.lastAction, s.lastActionAt = what, at
	return what, nil
}

func (s *session) switchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.switches
}

// runScript waits until the cluster is ready, then runs the steps in order.
func (s *session) runScript(ctx context.Context, script []string) error {
	if err := s.waitReady(ctx, readyTimeout); err != nil {
		return err
	}
	s.say("ready: every node knows the master and both replicas, which have the client's first write; the client is writing")
	for _, st := range script {
		st = strings.TrimSpace(st)
		if st == "quit" {
			break
		}
		if ms, ok := strings.CutPrefix(st, "sleep:"); ok {
			d, _ := strconv.Atoi(ms)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(d) * time.Millisecond):
			}
			continue
		}
		what, err := steps[st](ctx, s)
		if err != nil {
			return fmt.Errorf("step %s: %w", st, err)
		}
		if what != "" {
			s.say("%s", what)
		}
	}
	ok, errs, _, v := s.client.stats()
	s.say("client: %d INCR acknowledged, %d errors, counter %d", ok, errs, v)
	return nil
}

// waitReady waits until every node knows the master with both replicas,
// the nodes agree on a leader, the client has written once, and both
// replicas have acknowledged that write. Why the last: after a diskless
// full sync a Redis master streams nothing to the replica until the
// replica's first REPLCONF ACK, up to a second later; a master killed in
// that second takes the writes it acknowledged meanwhile with it, whatever
// the failover does, and the demo would show acknowledged writes lost.
func (s *session) waitReady(ctx context.Context, timeout time.Duration) error {
	written := int64(-1) // the master's replication offset after the client's first write
	return wait.Until(ctx, timeout, "the cluster to be ready", func() bool {
		for _, n := range s.p.nodes {
			txt, err := do(n.Addr(), time.Second, "SENTINEL", "MASTER", MasterName)
			if err != nil || harness.FlatMap(txt)["num-slaves"] != "2" {
				return false
			}
		}
		if _, err := s.agreedLeader(); err != nil {
			return false
		}
		if ok, _, _, _ := s.client.stats(); ok == 0 {
			return false
		}
		m, err := s.p.currentMaster()
		if err != nil {
			return false
		}
		txt, err := do(m.Addr(), time.Second, "INFO", "replication")
		if err != nil {
			return false
		}
		var v view.Instance
		monitor.ParseInfo(txt, &v)
		if written < 0 {
			written = v.ReplOffset
			return false
		}
		return replicasAt(v.ConnectedReplicas, written) >= 2
	})
}

// replicasAt counts the replicas of a master's INFO that are online with
// an acknowledged offset of at least off.
func replicasAt(replicas []view.ReplicaLine, off int64) int {
	n := 0
	for _, r := range replicas {
		if r.State == "online" && r.Offset >= off {
			n++
		}
	}
	return n
}

func (s *session) waitLeader(ctx context.Context, timeout time.Duration) (n *harness.Node, err error) {
	err = wait.Until(ctx, timeout, "an agreed Raft leader", func() bool {
		n, err = s.agreedLeader()
		return err == nil
	})
	return n, err
}

// agreedLeader is the leader when every running node names it.
func (s *session) agreedLeader() (*harness.Node, error) {
	l, err := s.p.leader()
	if err != nil {
		return nil, err
	}
	for _, n := range s.p.nodes {
		if !n.Running() {
			continue
		}
		txt, err := do(n.Addr(), time.Second, "INFO", "raft")
		if err != nil {
			return nil, err
		}
		if got := harness.ParseInfo(txt)["raft_leader"]; got != l.Addr() {
			return nil, fmt.Errorf("%s names leader %q, not %s", s.p.nodeName(n), got, l.Addr())
		}
	}
	return l, nil
}
