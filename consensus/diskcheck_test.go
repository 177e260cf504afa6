package consensus

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// bbolt's page layout (go.etcd.io/bbolt/internal/common): a 16-byte page
// header (id, flags, count, overflow), then 16-byte elements; a meta page
// holds the root bucket's page at header+16, the freelist's page at
// header+32 and its txid at header+48.
const (
	pageHeader      = 16
	elemSize        = 16
	branchFlag      = 0x01
	leafFlag        = 0x02
	bucketLeaf      = 0x01
	metaRootOff     = pageHeader + 16
	metaFreelistOff = pageHeader + 32
	metaTxidOff     = pageHeader + 48
	boltPageSize    = 4096
)

// metaPage is the offset of the meta page bbolt uses (the newer one).
func metaPage(data []byte) int {
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(data[off:]) }
	if u64(boltPageSize+metaTxidOff) > u64(metaTxidOff) {
		return boltPageSize
	}
	return 0
}

// logsRootPage finds the page of raft.db's "logs" bucket in data.
func logsRootPage(t *testing.T, data []byte) uint64 {
	t.Helper()
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(data[off:]) }
	u64 := func(off int) uint64 { return binary.LittleEndian.Uint64(data[off:]) }
	root := int(u64(metaPage(data)+metaRootOff)) * boltPageSize
	if data[root+8]&leafFlag == 0 {
		t.Fatalf("root bucket page %d is not a leaf", root/boltPageSize)
	}
	count := int(binary.LittleEndian.Uint16(data[root+10:]))
	for i := 0; i < count; i++ {
		e := root + pageHeader + i*elemSize
		pos, ksize := int(u32(e+4)), int(u32(e+8))
		if u32(e)&bucketLeaf != 0 && string(data[e+pos:e+pos+ksize]) == "logs" {
			return u64(e + pos + ksize) // the bucket's root page
		}
	}
	t.Fatal("no logs bucket in raft.db")
	return 0
}

// A loop in the page tree (a branch page whose last child is itself) made
// the in-process log walk append to a cursor stack until the machine ran
// out of memory: no recover catches that. The check in a child process
// refuses the file, and this process lives on.
func TestLoopInRaftDBIsAnError(t *testing.T) {
	n, path, data := filledRaftDB(t, 40)
	id := logsRootPage(t, data)
	pg := int(id) * boltPageSize
	if data[pg+8]&branchFlag == 0 {
		t.Fatalf("the logs bucket (page %d) is not a branch page; commit more entries", id)
	}
	last := pg + pageHeader + (int(binary.LittleEndian.Uint16(data[pg+10:]))-1)*elemSize
	binary.LittleEndian.PutUint64(data[last+8:], id)
	// Were the file opened here unchecked, this process (not the
	// machine) would run out of memory.
	restore := limitMemory(1 << 30)
	defer restore()
	refusedAsDamaged(t, n, path, data, "multiple references")
}

// A check process that dies (here bbolt panics in its checker goroutine,
// where nothing recovers, on a freelist page of the wrong type) is a
// damaged file, named.
func TestCrashedCheckIsADamagedFile(t *testing.T) {
	n, path, data := filledRaftDB(t, 40)
	free := int(binary.LittleEndian.Uint64(data[metaPage(data)+metaFreelistOff:])) * boltPageSize
	binary.LittleEndian.PutUint16(data[free+8:], 0)
	refusedAsDamaged(t, n, path, data, "crashed the check process (panic: invalid freelist page")
}

// refusedAsDamaged writes data to path and wants n's start refused with
// ErrStateCorrupt naming path, for the reason want.
func refusedAsDamaged(t *testing.T, n *testNode, path string, data []byte, want string) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	err := reopen(t, n)
	if !errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
		t.Fatalf("want %s refused as damaged (%s): %v", path, want, err)
	}
}

// raft.db held by another process is reported as locked by the check, not
// as damaged.
func TestLockedRaftDBIsNamed(t *testing.T) {
	n, path, _ := filledRaftDB(t, 1)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = reopen(t, n)
	if err == nil || errors.Is(err, ErrStateCorrupt) || !strings.Contains(err.Error(), path+" is locked") {
		t.Fatalf("locked: %v", err)
	}
}

// What of a dead check process goes into the error: the line its panic or
// runtime fatal starts with, bounded, else how it ended.
func TestCrashReason(t *testing.T) {
	long := "panic: " + strings.Repeat("x", 2*maxCrashLine)
	for _, c := range []struct{ stderr, want string }{
		{"panic: assertion failed: page 2\n\ngoroutine 7 [running]:\n", "panic: assertion failed: page 2"},
		{"runtime: out of memory: cannot allocate 738197504-byte block\nfatal error: out of memory\n", "fatal error: out of memory"},
		{"runtime: pointer 0x1 to unallocated span\n", "runtime: pointer 0x1 to unallocated span"},
		{"", "signal: killed"},
		{long, long[:maxCrashLine] + "..."},
	} {
		if got := crashReason([]byte(c.stderr), "signal: killed"); got != c.want {
			t.Errorf("%q: got %q, want %q", c.stderr, got, c.want)
		}
	}
}

// How the check process ended decides: real processes end as the child
// can (an exit code, a runtime fatal's code 2, a signal).
func TestCheckVerdict(t *testing.T) {
	const path = "/d/raft.db"
	damagedAs := func(want string) func(error) bool {
		return func(err error) bool {
			var why errDamaged
			return errors.As(err, &why) && why.why == want
		}
	}
	for script, ok := range map[string]func(error) bool{
		"exit 0":                                func(err error) bool { return err == nil },
		"printf 'log not found'; exit 3":        damagedAs("log not found"),
		"exit 4":                                func(err error) bool { return errors.Is(err, errCheckLocked) },
		"echo 'fatal error: fault' >&2; exit 2": damagedAs("reading it crashed the check process (fatal error: fault)"),
		"kill -KILL $$": func(err error) bool {
			var why errDamaged
			return err != nil && !errors.As(err, &why) && strings.Contains(err.Error(), path+" was stopped from outside (signal: killed)")
		},
	} {
		cmd := exec.Command("sh", "-c", script)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		_ = cmd.Run()
		if err := checkVerdict(path, cmd.ProcessState, []byte(stdout.String()), []byte(stderr.String())); !ok(err) {
			t.Errorf("%s: %v", script, err)
		}
	}
}
