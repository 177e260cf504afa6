//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// fenceOf returns min-replicas-to-write and min-replicas-max-lag of s.
func fenceOf(s *redistest.Server) (string, string) {
	a, err1 := s.Do("CONFIG", "GET", "min-replicas-to-write")
	b, err2 := s.Do("CONFIG", "GET", "min-replicas-max-lag")
	if err1 != nil || err2 != nil {
		return "", ""
	}
	_, x, _ := strings.Cut(a, "\n")
	_, y, _ := strings.Cut(b, "\n")
	return x, y
}

// fence-min-replicas / fence-max-lag: the leader keeps the settings on
// every instance, sets them again on a restarted one, and the master then
// refuses writes when no replica acknowledges.
func TestFenceKeepsMinReplicasOnEveryInstance(t *testing.T) {
	e := newFailoverEnv(t, 1000, "fence-min-replicas 1", "fence-max-lag 2")
	all := append([]*redistest.Server{e.set.Master}, e.set.Replicas...)
	fenced := func(s *redistest.Server) bool {
		n, lag := fenceOf(s)
		return n == "1" && lag == "2"
	}
	redistest.WaitFor(t, 5*time.Second, "fence set on the master and both replicas", func() bool {
		for _, s := range all {
			if !fenced(s) {
				return false
			}
		}
		return true
	})
	if _, err := e.set.Master.Do("SET", "k", "v"); err != nil {
		t.Fatalf("write with both replicas up: %v", err)
	}
	// a restarted replica starts from its config file (no fence): set again
	r := e.set.Replicas[0]
	r.Kill()
	r.Restart()
	if n, _ := fenceOf(r); n != "0" {
		t.Fatalf("restarted replica already fenced (%s): the test proves nothing", n)
	}
	redistest.WaitFor(t, 5*time.Second, "fence set again on the restarted replica", func() bool { return fenced(r) })
	// no replica acknowledges: the master fences itself
	for _, r := range e.set.Replicas {
		r.Kill()
	}
	redistest.WaitFor(t, 10*time.Second, "master refuses writes with NOREPLICAS", func() bool {
		_, err := e.set.Master.Do("SET", "k", "v")
		return err != nil && strings.HasPrefix(err.Error(), "NOREPLICAS")
	})
}
