package netfault

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// dial connects from src to dst, bounded by 300 ms.
func dial(src, dst string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 300 * time.Millisecond}
	c, err := d.Dial("tcp", dst)
	if err == nil {
		c.Close()
	}
	return err
}

func listen(t *testing.T, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestCutDropsOnlyTheChosenPairs(t *testing.T) {
	n := New(t)
	a, b, c := n.Addr(), n.Addr(), n.Addr()
	srv := listen(t, a)
	if err := dial(b, srv); err != nil {
		t.Fatalf("before the cut: %v", err)
	}
	if err := n.Cut([]string{a}, []string{b}); err != nil {
		t.Fatal(err)
	}
	if err := dial(b, srv); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("across the cut: %v, want a timeout (dropped, not refused)", err)
	}
	if err := dial(c, srv); err != nil {
		t.Fatalf("another address of the net: %v", err)
	}
	if err := dial("127.0.0.1", srv); err != nil {
		t.Fatalf("an address that is not the net's: %v", err)
	}
	// the reverse direction is cut too: a dialing b
	srvB := listen(t, b)
	if err := dial(a, srvB); err == nil {
		t.Fatal("reverse direction not cut")
	}
	if got := n.Cuts(); len(got) != 2 {
		t.Fatalf("cuts %v", got)
	}
	if err := n.Heal([]string{b}, []string{a}); err != nil {
		t.Fatal(err)
	}
	if err := dial(b, srv); err != nil {
		t.Fatalf("after the heal: %v", err)
	}
	if err := n.Cut([]string{a, b}, []string{c}); err != nil {
		t.Fatal(err)
	}
	if err := n.HealAll(); err != nil {
		t.Fatal(err)
	}
	if err := dial(c, srv); err != nil {
		t.Fatalf("after HealAll: %v", err)
	}
	if err := n.Cut([]string{"127.0.0.1"}, []string{a}); err == nil {
		t.Fatal("cut of an address the net does not own accepted")
	}
}

func TestCloseRemovesTheTableAndStaleTablesGo(t *testing.T) {
	first, err := Open()
	if err != nil {
		t.Skipf("skipped: %v", err)
	}
	first.Close()
	// a table left by a process that no longer exists (PID above pid_max)
	stale := fmt.Sprintf("%s%d_1", Prefix, 1<<23)
	if err := nft("add table inet " + stale + "\n"); err != nil {
		t.Fatal(err)
	}
	n, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	tables := listTables(t)
	if strings.Contains(tables, stale) {
		nft("delete table inet " + stale + "\n")
		t.Fatalf("stale table %s not removed: %s", stale, tables)
	}
	if !strings.Contains(tables, n.Table()) {
		t.Fatalf("table %s missing: %s", n.Table(), tables)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if strings.Contains(listTables(t), n.Table()) {
		t.Fatalf("table %s still there after Close", n.Table())
	}
}

func listTables(t *testing.T) string {
	out, err := exec.Command(nftPath(), "list", "tables").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list tables: %v %s", err, out)
	}
	return string(out)
}
