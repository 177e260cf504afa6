//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/internal/harness"
	"github.com/raftinel/raftinel/internal/redistest"
	"github.com/raftinel/raftinel/node"
	"go.uber.org/zap"
)

// faultDialer lets a test cut one in-process node off from Redis addresses:
// existing connections are shut down and new ones refused. It keeps a
// duplicate of every socket it dialed and shuts the socket down through
// it: the pinger takes a dialed socket over (a dup of its descriptor, the
// connection closed), so closing the connection the dialer returned did
// not cut a probe that had connected before the cut.
type faultDialer struct {
	mu    sync.Mutex
	cut   map[string]bool
	conns map[string][]*os.File
}

func newFaultDialer() *faultDialer {
	return &faultDialer{cut: map[string]bool{}, conns: map[string][]*os.File{}}
}

func (f *faultDialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	f.mu.Lock()
	cut := f.cut[addr]
	f.mu.Unlock()
	if cut {
		return nil, fmt.Errorf("dial %s: cut off by the test", addr)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	dup, err := c.(*net.TCPConn).File()
	if err != nil {
		c.Close()
		return nil, err
	}
	f.mu.Lock()
	f.conns[addr] = append(f.conns[addr], dup)
	f.mu.Unlock()
	return c, nil
}

func (f *faultDialer) Cut(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cut[addr] = true
	for _, dup := range f.conns[addr] {
		// shutdown acts on the socket, so every descriptor of it fails
		_ = syscall.Shutdown(int(dup.Fd()), syscall.SHUT_RDWR)
		dup.Close()
	}
	f.conns[addr] = nil
}

// inProcCluster runs three nodes in this process, each with its own dialer.
type inProcCluster struct {
	nodes   []*node.Node
	dialers []*faultDialer
	addrs   []string
	logs    []string
}

func startInProc(t *testing.T, lines ...string) *inProcCluster {
	t.Helper()
	c := &inProcCluster{}
	for i := 0; i < 3; i++ {
		c.addrs = append(c.addrs, fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t, "127.0.0.1")))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	secret := harness.NewSecret()
	for i, a := range c.addrs {
		_, port, _ := net.SplitHostPort(a)
		dir := t.TempDir()
		text := strings.Join(append([]string{"bind 127.0.0.1", "port " + port, "dir " + dir,
			"raft-peers " + strings.Join(c.addrs, " "), "raft-secret " + secret}, lines...), "\n")
		cfg, err := config.Parse(strings.NewReader(text), "inproc.conf", nil)
		if err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(dir, "node.log")
		f, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		log := zap.New(zapCore(f))
		d := newFaultDialer()
		n, err := node.New(cfg, log, node.WithRedisDialer(d.Dial))
		if err != nil {
			t.Fatal(err)
		}
		c.nodes, c.dialers, c.logs = append(c.nodes, n), append(c.dialers, d), append(c.logs, logPath)
		wg.Add(1)
		go func() { defer wg.Done(); _ = n.Run(ctx) }()
		_ = i
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.logs {
				b, _ := os.ReadFile(p)
				t.Logf("---- %s ----\n%s", p, lastN(string(b), 40))
			}
		}
	})
	return c
}

func lastN(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func (c *inProcCluster) logsContain(s string) bool {
	for _, p := range c.logs {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

// namesOther reports whether a node names another address than addr as the
// master: a failover. A node that answers an error (-STALE while Raft
// heartbeats are starved on a loaded machine) names nothing.
func (c *inProcCluster) namesOther(addr string) bool {
	for _, a := range c.addrs {
		s, err := harness.Do(a, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		if err == nil && strings.ReplaceAll(s, "\n", ":") != addr {
			return true
		}
	}
	return false
}

func (c *inProcCluster) answers(addr string) bool {
	for _, a := range c.addrs {
		s, err := harness.Do(a, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		if err != nil || strings.ReplaceAll(s, "\n", ":") != addr {
			return false
		}
	}
	return true
}

// Issue 4, acceptance 3: a healthy master is not failed over when only one
// node is cut off from it, nor when a quorum of nodes is cut off but the
// replicas vouch for it (design rule 9). With the witness switched off the
// same cut does fail over, which shows the test can tell the difference.
//
// "replicas unresponsive": both replicas stop answering (CLIENT PAUSE ALL,
// PING and INFO alike) from 0.8 to 1.5 down-after after the cut, so the
// quorum of "down" forms while no replica can be asked. Their votes are
// unknown, not "no": the verdict waits (at most one down-after) and they
// vouch once they answer again.
func TestNoFailoverOfAHealthyMaster(t *testing.T) {
	cases := []struct {
		name      string
		cut       int  // nodes cut off from the master
		witness   bool // replica-witness
		failover  bool // expected
		pause     bool // replicas unresponsive when the quorum forms
		downAfter int
	}{
		{"one node cut off", 1, true, false, false, 500},
		{"two nodes cut off, replicas vouch", 2, true, false, false, 500},
		{"two nodes cut off, witness off", 2, false, true, false, 500},
		{"two nodes cut off, replicas unresponsive", 2, true, false, true, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := redistest.StartSet(t, 2)
			lines := append(append([]string{}, fastLines...), monitorLines("mymaster", set.Master, 2, tc.downAfter)...)
			if !tc.witness {
				lines = append(lines, "replica-witness no")
			}
			if tc.pause {
				// no periodic INFO in flight during the pause: only the
				// witness's own refreshes meet the paused replicas
				lines = append(lines, "info-period 10000")
			}
			c := startInProc(t, lines...)
			redistest.WaitFor(t, 10*time.Second, "cluster answers the master", func() bool { return c.answers(set.Master.Addr()) })
			redistest.WaitFor(t, 10*time.Second, "replicas known", func() bool {
				s, err := harness.Do(c.addrs[0], "SENTINEL", "MASTER", "mymaster")
				return err == nil && harness.FlatMap(s)["num-slaves"] == "2"
			})
			if tc.pause {
				// and no INFO reading recent enough (2 s) to vouch alone
				redistest.WaitFor(t, 15*time.Second, "replica INFO readings older than 2.5 s on every node", func() bool {
					for _, a := range c.addrs {
						s, err := harness.Do(a, "SENTINEL", "REPLICAS", "mymaster")
						maps := splitMaps(s, 21)
						if err != nil || len(maps) != 2 {
							return false
						}
						for _, m := range maps {
							if atoi(m["info-refresh"]) < 2500 {
								return false
							}
						}
					}
					return true
				})
			}
			// a writer straight to the master keeps the replication stream busy
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					_, _ = set.Master.Do("SET", "k", fmt.Sprint(i))
				}
			}()
			defer func() { close(stop); wg.Wait() }()
			for i := 0; i < tc.cut; i++ {
				c.dialers[i].Cut(set.Master.Addr())
			}
			if tc.pause {
				da := time.Duration(tc.downAfter) * time.Millisecond
				time.Sleep(da * 8 / 10)
				for _, r := range set.Replicas {
					if _, err := r.Do("CLIENT", "PAUSE", fmt.Sprint((da * 7 / 10).Milliseconds()), "ALL"); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.failover {
				redistest.WaitFor(t, 10*time.Second, "a failover", func() bool {
					return c.answers(set.Replicas[0].Addr()) || c.answers(set.Replicas[1].Addr())
				})
				return
			}
			// the cut nodes see the master down ...
			redistest.WaitFor(t, 5*time.Second, "+sdown on the cut node", func() bool { return c.logsContain(`"+sdown", "payload": "master mymaster`) })
			if tc.cut >= 2 {
				redistest.WaitFor(t, 5*time.Second, "the witness veto", func() bool { return c.logsContain("odown vetoed by replica witness") })
			}
			// ... and for 6 x down-after nothing is failed over: no node
			// names another master, no replica is promoted, the master stays
			failedOver := func() bool {
				if c.namesOther(set.Master.Addr()) || set.Master.Role() != "master" {
					return true
				}
				for _, r := range set.Replicas {
					if r.Role() == "master" {
						return true
					}
				}
				return false
			}
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) {
				if failedOver() {
					t.Fatal("the healthy master was failed over")
				}
				time.Sleep(50 * time.Millisecond)
			}
			// every node answers it (a node that was -STALE meanwhile too)
			redistest.WaitFor(t, 10*time.Second, "the cluster still answers the healthy master", func() bool {
				return c.answers(set.Master.Addr())
			})
			if failedOver() || c.logsContain("\tfailover started\t") {
				t.Fatal("the healthy master was failed over")
			}
			if c.logsContain(`"channel": "+odown"`) {
				t.Fatal("+odown for a healthy master")
			}
		})
	}
}
