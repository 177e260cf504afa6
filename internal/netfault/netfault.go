// Package netfault cuts the network between test processes on one machine.
//
// Why: raftinel's point is to stay correct when the network is not, and a
// partition can only be tested for real by dropping real packets. Every
// process of a test (each redis-server, each raftinel node, the test's own
// client) gets its own loopback address (127.0.x.y; the whole 127/8 is on
// `lo`), and a Net drops the packets between chosen pairs of those
// addresses with an nftables table of its own: a set of (saddr . daddr)
// pairs and one output-hook rule dropping what matches. Dropping (not
// rejecting) leaves connections hanging, as a real partition does.
//
// A Net touches only its own table, and its rules match only the addresses
// it handed out, so traffic that is not the test's is never affected. The
// table is removed on Close, at the end of the test (t.Cleanup), on SIGINT
// or SIGTERM, and tables left by a crashed run (the name carries the PID of
// the process that made them, which no longer exists) are removed when the
// next Net is made.
package netfault

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Prefix starts the name of every table this package makes:
// raftinel_netfault_<pid>_<n>.
const Prefix = "raftinel_netfault_"

// ErrUnavailable says why packets cannot be dropped here.
var ErrUnavailable = errors.New("netfault needs root and nftables (apt-get install -y nftables)")

// Net is one test's nftables table and its loopback addresses.
type Net struct {
	table string
	base  int      // 127.0.<base>.y
	lock  *os.File // holds the flock reserving base

	mu    sync.Mutex
	next  int
	addrs map[string]bool
	cut   map[[2]string]bool // directed pairs currently dropped
	done  bool
}

var (
	seq struct {
		sync.Mutex
		n int
	}
	live    = map[string]*Net{}
	liveMu  sync.Mutex
	sigOnce sync.Once
)

// New makes a Net for tb, removed when tb ends. A test that is not root, or
// a machine without nft, skips with the reason.
func New(tb testing.TB) *Net {
	tb.Helper()
	n, err := Open()
	if errors.Is(err, ErrUnavailable) {
		tb.Skipf("skipped: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := n.Close(); err != nil {
			tb.Errorf("netfault: %v", err)
		}
	})
	return n
}

// Open makes a Net outside a test (Close it).
func Open() (*Net, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: not running as root", ErrUnavailable)
	}
	if nftPath() == "" {
		return nil, fmt.Errorf("%w: nft not found", ErrUnavailable)
	}
	removeStale()
	seq.Lock()
	seq.n++
	k := seq.n
	seq.Unlock()
	n := &Net{
		table: fmt.Sprintf("%s%d_%d", Prefix, os.Getpid(), k),
		addrs: map[string]bool{},
		cut:   map[[2]string]bool{},
	}
	// 127.0.<base>.0/24 per Net, reserved with a lock file so that two test
	// processes running at once never share addresses.
	for i := 0; i < 240 && n.lock == nil; i++ {
		base := 10 + (os.Getpid()*7+k*31+i)%240
		if f := lockBase(base); f != nil {
			n.base, n.lock = base, f
		}
	}
	if n.lock == nil {
		return nil, errors.New("netfault: no free 127.0.x.0/24 block")
	}
	script := fmt.Sprintf(`table inet %[1]s {
  set cut { type ipv4_addr . ipv4_addr; }
  chain out { type filter hook output priority 0; policy accept; ip saddr . ip daddr @cut drop; }
}
`, n.table)
	if err := nft(script); err != nil {
		n.lock.Close()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	liveMu.Lock()
	live[n.table] = n
	liveMu.Unlock()
	sigOnce.Do(handleSignals)
	return n, nil
}

// Table returns the nftables table name (inet family).
func (n *Net) Table() string { return n.table }

// Addr hands out a new loopback address of this Net.
func (n *Net) Addr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		n.next++
		if n.next > 254 {
			panic("netfault: more than 254 addresses in one Net")
		}
		a := fmt.Sprintf("127.0.%d.%d", n.base, n.next)
		if free(a) {
			n.addrs[a] = true
			return a
		}
	}
}

// free reports whether nothing listens on a (a port can be bound).
func free(a string) bool {
	ln, err := net.Listen("tcp", a+":0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// Cut drops every packet between each address of a and each of b, both
// directions. Addresses must come from Addr.
func (n *Net) Cut(a, b []string) error { return n.change(a, b, true) }

// Heal undoes Cut for those pairs.
func (n *Net) Heal(a, b []string) error { return n.change(a, b, false) }

func (n *Net) change(a, b []string, drop bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.done {
		return errors.New("netfault: net closed")
	}
	var elems []string
	for _, x := range a {
		for _, y := range b {
			if !n.addrs[x] || !n.addrs[y] {
				return fmt.Errorf("netfault: %s or %s is not an address of this net", x, y)
			}
			if x == y {
				continue
			}
			for _, p := range [][2]string{{x, y}, {y, x}} {
				if n.cut[p] != drop {
					n.cut[p] = drop
					elems = append(elems, p[0]+" . "+p[1])
				}
			}
		}
	}
	if len(elems) == 0 {
		return nil
	}
	verb := "add"
	if !drop {
		verb = "delete"
		for _, e := range elems {
			p := strings.SplitN(e, " . ", 2)
			delete(n.cut, [2]string{p[0], p[1]})
		}
	}
	return nft(fmt.Sprintf("%s element inet %s cut { %s }\n", verb, n.table, strings.Join(elems, ", ")))
}

// HealAll removes every cut.
func (n *Net) HealAll() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.done {
		return nil
	}
	n.cut = map[[2]string]bool{}
	return nft(fmt.Sprintf("flush set inet %s cut\n", n.table))
}

// Cuts returns the dropped directed pairs, sorted ("a>b").
func (n *Net) Cuts() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for p, on := range n.cut {
		if on {
			out = append(out, p[0]+">"+p[1])
		}
	}
	sort.Strings(out)
	return out
}

// Close deletes the table. It is safe to call twice.
func (n *Net) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.done {
		return nil
	}
	n.done = true
	liveMu.Lock()
	delete(live, n.table)
	liveMu.Unlock()
	defer n.lock.Close()
	return nft(fmt.Sprintf("delete table inet %s\n", n.table))
}

// lockBase reserves 127.0.<base>.0/24 for this process (nil when another
// process holds it). The lock goes with the process, also on a crash.
func lockBase(base int) *os.File {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("raftinel-netfault-%d.lock", base)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil
	}
	return f
}

// closeAll deletes every live table of this process (signal path).
func closeAll() {
	liveMu.Lock()
	var nets []*Net
	for _, n := range live {
		nets = append(nets, n)
	}
	liveMu.Unlock()
	for _, n := range nets {
		_ = n.Close()
	}
}

// handleSignals removes the tables on SIGINT/SIGTERM, then lets the signal
// do what it would have done.
func handleSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-ch
		closeAll()
		signal.Reset(syscall.SIGINT, syscall.SIGTERM)
		_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
	}()
}

var tableName = regexp.MustCompile(`table inet (` + Prefix + `(\d+)_\d+)`)

// removeStale deletes tables of this package whose process is gone.
func removeStale() {
	out, err := exec.Command(nftPath(), "list", "tables").Output()
	if err != nil {
		return
	}
	for _, m := range tableName.FindAllStringSubmatch(string(out), -1) {
		pid, _ := strconv.Atoi(m[2])
		if pid == os.Getpid() || alive(pid) {
			continue
		}
		_ = nft(fmt.Sprintf("delete table inet %s\n", m[1]))
	}
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// nftPath finds nft, also where PATH lacks the sbin directories.
func nftPath() string {
	if p, err := exec.LookPath("nft"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nft", "/sbin/nft"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// nft runs an nft script.
func nft(script string) error {
	cmd := exec.Command(nftPath(), "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
