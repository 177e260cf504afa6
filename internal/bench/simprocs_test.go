package bench

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// Simulated sets are served by child processes, perProc sets each, at the
// addresses simSets names; each answers PING and INFO, and close stops
// them all cleanly.
func TestSimTargetsInChildren(t *testing.T) {
	sp, sets, err := startSimTargets(5, 1, 2) // three children: 2, 2 and 1 sets
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.procs) != 3 || len(sets) != 5 {
		t.Fatalf("%d processes, %d sets", len(sp.procs), len(sets))
	}
	for _, addr := range []string{sets[0].master, sets[2].replicas[0], sets[4].master} {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nINFO\r\n")); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		pong, _ := br.ReadString('\n')
		size, _ := br.ReadString('\n')
		info := make([]byte, 200)
		n, _ := br.Read(info)
		c.Close()
		if pong != "+PONG\r\n" || !strings.HasPrefix(size, "$") || !strings.Contains(string(info[:n]), "run_id:") {
			t.Fatalf("%s: %q %q %q", addr, pong, size, info[:n])
		}
	}
	if err := sp.close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", sets[4].master, time.Second); err == nil {
		c.Close()
		t.Fatal("a simulated instance still listens after close")
	}
}
