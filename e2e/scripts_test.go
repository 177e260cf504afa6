//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
)

// Issue 5: notification-script and client-reconfig-script run with
// Sentinel's arguments on every node; SENTINEL SET of a script is refused
// by default (deny-scripts-reconfig) and PENDING-SCRIPTS shows the queue.
func TestScriptsRunOnFailover(t *testing.T) {
	dir := t.TempDir()
	notify := filepath.Join(dir, "notify.sh")
	reconf := filepath.Join(dir, "reconf.sh")
	// scripts run in the node's dir: each node writes its own files
	os.WriteFile(notify, []byte("#!/bin/sh\necho \"$@\" >> notify.log\n"), 0o755)
	os.WriteFile(reconf, []byte("#!/bin/sh\necho \"$@\" >> reconf.log\n"), 0o755)
	e := newFailoverEnv(t, 1000,
		"sentinel notification-script mymaster "+notify,
		"sentinel client-reconfig-script mymaster "+reconf)
	n0 := e.nodes[0]
	if _, err := n0.Do("SENTINEL", "SET", "mymaster", "notification-script", "/bin/true"); err == nil ||
		!strings.HasPrefix(err.Error(), "ERR Reconfiguration of scripts path is denied") {
		t.Fatalf("SET notification-script: %v", err)
	}
	old := e.set.Master
	old.Kill()
	var newMaster *redistest.Server
	redistest.WaitFor(t, 15*time.Second, "failover", func() bool {
		for _, r := range e.set.Replicas {
			if e.allAnswer(r.Addr()) {
				newMaster = r
				return true
			}
		}
		return false
	})
	read := func(n int, f string) string {
		b, _ := os.ReadFile(filepath.Join(e.nodes[n].Dir, "data", f))
		return string(b)
	}
	sw := "+switch-master mymaster " + old.Host + " " + itoa(old.Port) + " " + newMaster.Host + " " + itoa(newMaster.Port)
	tail := " start " + old.Host + " " + itoa(old.Port) + " " + newMaster.Host + " " + itoa(newMaster.Port)
	redistest.WaitFor(t, 5*time.Second, "scripts on every node", func() bool {
		leaders := 0
		for i := range e.nodes {
			nl, rl := read(i, "notify.log"), read(i, "reconf.log")
			if !strings.Contains(nl, "+sdown master mymaster "+old.Host) || !strings.Contains(nl, "+odown master mymaster") ||
				!strings.Contains(nl, sw) {
				return false
			}
			switch strings.TrimSpace(rl) {
			case "mymaster leader" + tail:
				leaders++
			case "mymaster observer" + tail:
			default:
				return false
			}
		}
		return leaders == 1
	})
	redistest.WaitFor(t, 5*time.Second, "the script queue drains", func() bool {
		s, err := n0.Do("SENTINEL", "PENDING-SCRIPTS")
		return err == nil && s == ""
	})
}
