package consensus

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// Why raft.db is checked in a child process
//
// bbolt reads its file through an mmap and trusts the page headers: on a
// damaged file it builds slices and page pointers from garbage offsets
// and counts. Most of that ends in a panic or a fault that openDisk
// recovers, but not all of it: a cycle in the page tree makes a cursor
// append to its stack until the machine runs out of memory (one damaged
// test file took 22 GB before the OOM killer), and the Go runtime aborts
// the process with "found pointer to free object" / "found bad pointer in
// Go heap" when the GC meets what bbolt left behind. Neither recover()
// nor debug.SetPanicOnFault catches those; the node died with a Go
// runtime fatal instead of ErrStateCorrupt.
//
// So, before the node opens raft.db itself, a child process (this same
// executable, told by checkEnv to do nothing but the check) opens it
// read-only and runs bbolt's own consistency check (Tx.Check: every page
// reachable or free, none twice, types, key order, the freelist) and the
// log walk openDisk does (verifyLog), with its memory capped (checkMemory)
// and within checkTimeout. Whatever the file does to the child, a clean
// exit means it reads back; an error, a panic, a runtime fatal, running
// out of memory or time means it is damaged (checkVerdict; a signal from
// outside does not). Only a file that passed is opened in-process.
//
// The entry point is this package's init, not a subcommand: every binary
// that can open raft.db links this package (cmd/raftinel, every test
// binary that starts a node), so each of them can check a file by
// re-running itself, and none needs a TestMain or a flag for it. A
// variable the parent puts in the child's environment alone selects it.
const checkEnv = "RAFTINEL_CHECK_RAFT_DB"

// checkTimeout bounds the child: a check that neither ends nor runs out
// of memory (a loop in a damaged page tree) is a damaged file. Reading
// an intact raft.db takes milliseconds per megabyte.
const checkTimeout = 2 * time.Minute

// checkMemory is the heap the child may grow by (on Linux, RLIMIT_DATA
// over what it uses at start): the check holds a few words per page and
// one log entry at a time, while a damaged length or a loop would
// otherwise take the whole machine (and the Redis next to it). The file
// itself is mapped shared and does not count.
const checkMemory = 256 << 20

// checkMaxStack bounds the child's goroutine stacks: bbolt walks the page
// tree recursively, and a cycle in it recurses forever.
const checkMaxStack = 64 << 20

// The child's exit codes; any other code (2 for a Go panic or runtime
// fatal) is a damaged file too.
const (
	checkExitDamaged = 3 // the reason is on stdout
	checkExitLocked  = 4 // another process holds raft.db
)

func init() {
	if path := os.Getenv(checkEnv); path != "" {
		code, msg := checkHere(path)
		fmt.Fprint(os.Stdout, msg)
		os.Exit(code)
	}
}

// errCheckLocked is what the check reports when raft.db is locked.
var errCheckLocked = errors.New("locked")

// checkApart checks raft.db in a child process; a missing or empty file
// has nothing to check (Open creates it). It returns errCheckLocked, a
// plain error for a check that could not be run, or the reason the file
// is damaged wrapped in errDamaged.
func checkApart(path string) error {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil
	}
	exe, err := selfExecutable()
	if err != nil {
		return fmt.Errorf("cannot check %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Args = []string{os.Args[0]}
	// GOTRACEBACK=none: a runtime fatal prints its reason, not every stack.
	cmd.Env = append(os.Environ(), checkEnv+"="+path, "GOTRACEBACK=none")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	// Its own process group: a ^C at the terminal is for the node, not
	// for the check (which would read as a damaged file).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return errDamaged{fmt.Sprintf("checking it did not end within %s", checkTimeout)}
	case err != nil && !errors.As(err, &exit):
		return fmt.Errorf("cannot check %s: %w", path, err)
	}
	return checkVerdict(path, cmd.ProcessState, stdout.Bytes(), stderr.Bytes())
}

// checkVerdict reads how the check process ended. A Go program that
// panics or hits a runtime fatal exits with code 2; one killed by a
// signal was stopped from outside (an operator, the OOM killer), which
// says nothing about the file.
func checkVerdict(path string, ps *os.ProcessState, stdout, stderr []byte) error {
	switch {
	case ps.Success():
		return nil
	case !ps.Exited():
		return fmt.Errorf("the check of %s was stopped from outside (%s); start again", path, ps)
	case ps.ExitCode() == checkExitLocked:
		return errCheckLocked
	case ps.ExitCode() == checkExitDamaged:
		return errDamaged{string(stdout)}
	default:
		return errDamaged{fmt.Sprintf("reading it crashed the check process (%s)", crashReason(stderr, ps.String()))}
	}
}

// errDamaged carries why the check refused raft.db.
type errDamaged struct{ why string }

func (e errDamaged) Error() string { return e.why }

// selfExecutable is this process's program: /proc/self/exe on Linux,
// which still runs when the file was replaced (an upgrade in place).
func selfExecutable() (string, error) {
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/proc/self/exe"); err == nil {
			return "/proc/self/exe", nil
		}
	}
	return os.Executable()
}

// crashReason is the line a Go panic or runtime fatal starts with (else
// the runtime's first complaint), or how the process ended.
func crashReason(stderr []byte, ended string) string {
	var first string
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			first = line
			break
		}
		if first == "" && strings.HasPrefix(line, "runtime: ") {
			first = line
		}
	}
	if first == "" {
		return ended
	}
	if len(first) > maxCrashLine {
		first = first[:maxCrashLine] + "..."
	}
	return first
}

// maxCrashLine bounds what of the child's last words goes into the error.
const maxCrashLine = 300

// checkHere is the child's side: it reads path read-only (a shared lock,
// released when the child exits, before the parent opens the file) and
// returns the exit code and what to print.
func checkHere(path string) (code int, msg string) {
	limitMemory(checkMemory)
	debug.SetMaxStack(checkMaxStack)
	debug.SetPanicOnFault(true)
	defer func() {
		if p := recover(); p != nil {
			code, msg = checkExitDamaged, fmt.Sprint(p)
		}
	}()
	err := checkBolt(path)
	if errors.Is(err, bbolt.ErrTimeout) {
		return checkExitLocked, ""
	}
	if err != nil {
		return checkExitDamaged, err.Error()
	}
	return 0, ""
}

// checkBolt runs bbolt's consistency check, then reads the log and the
// stable store as openDisk does.
func checkBolt(path string) error {
	ro := &bbolt.Options{ReadOnly: true, Timeout: lockTimeout}
	db, err := bbolt.Open(path, 0o600, ro)
	if err != nil {
		return err
	}
	buckets := 0
	err = db.View(func(tx *bbolt.Tx) error {
		for _, name := range []string{"logs", "conf"} { // raft-boltdb's buckets
			if tx.Bucket([]byte(name)) != nil {
				buckets++
			}
		}
		if err, found := <-tx.Check(); found {
			return err // the first inconsistency
		}
		return nil
	})
	if err != nil {
		// No Close: the checker goroutine may still be reading the
		// mapping, and the child exits now anyway.
		return err
	}
	if err := db.Close(); err != nil || buckets < 2 {
		return err // no buckets: a file bbolt made before raft-boltdb's first write; Open adds them
	}
	d := &disk{}
	if d.bolt, err = raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: ro}); err != nil {
		return err
	}
	defer d.closeQuietly()
	return d.verifyLog()
}

// verifyLog reads every log entry and stable value once.
func (d *disk) verifyLog() error {
	first, err := d.bolt.FirstIndex()
	if err != nil {
		return err
	}
	last, err := d.bolt.LastIndex()
	if err != nil {
		return err
	}
	if first > last && last != 0 {
		return fmt.Errorf("log bounds %d..%d", first, last)
	}
	for i := first; i <= last && last > 0; i++ {
		var l raft.Log
		if err := d.bolt.GetLog(i, &l); err != nil {
			return fmt.Errorf("log entry %d of %d..%d: %w", i, first, last, err)
		}
		if l.Index != i {
			return fmt.Errorf("log entry %d is stored as %d", i, l.Index)
		}
	}
	for _, k := range stableKeys {
		if _, err := d.bolt.Get([]byte(k)); err != nil && !errors.Is(err, raftboltdb.ErrKeyNotFound) {
			return fmt.Errorf("stable key %s: %w", k, err)
		}
	}
	return nil
}
