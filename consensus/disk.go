package consensus

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// lockTimeout bounds the wait for raft.db's file lock: another process
// using the same dir is an error, not a node that hangs at start.
const lockTimeout = 2 * time.Second

// ErrStateCorrupt and ErrStateLost name what is wrong with the Raft state
// in dir; the full error names the file and what the operator does
// (docs/operations.md, "Lost or damaged Raft state").
var (
	ErrStateCorrupt = errors.New("raft state is damaged")
	ErrStateLost    = errors.New("raft state is missing")
)

// stableKeys are the stable-store keys hashicorp/raft keeps in raft.db.
var stableKeys = []string{"CurrentTerm", "LastVoteTerm", "LastVoteCand"}

// disk is the Raft state of one dir: raft.db (log and stable store) and
// the file snapshots.
type disk struct {
	bolt     *raftboltdb.BoltStore
	snaps    *raft.FileSnapshotStore
	existing bool               // a log, a term or a snapshot is there
	id       [clusterIDLen]byte // cluster-id, zero when there is none
}

func damagedErr(path string, what any) error {
	return fmt.Errorf("%w: %s: %v; move it away and restore it from a backup, or rejoin this node as a new member (docs/operations.md, \"Lost or damaged Raft state\")", ErrStateCorrupt, path, what)
}

func lockedErr(path, dir string) error {
	return fmt.Errorf("%s is locked: another raftinel (or a process) uses dir %s", path, dir)
}

// CheckDisk checks dir's raft.db in a child process (diskcheck.go):
// ErrStateCorrupt naming the file when it is damaged. Open does it unless
// Options.DiskChecked says the caller already did; a node calls it before
// it opens its ports, so that peers find the port closed (and retry at
// once when it opens) rather than open and unserved while the check runs.
func CheckDisk(dir string) error {
	path := filepath.Join(dir, "raft.db")
	var why errDamaged
	switch err := checkApart(path); {
	case errors.Is(err, errCheckLocked):
		return lockedErr(path, dir)
	case errors.As(err, &why):
		return damagedErr(path, why)
	default:
		return err
	}
}

// openDisk opens and checks dir's Raft state before Raft reads it:
//
//   - raft.db is checked by bbolt's consistency check and read end to end
//     (every log entry and the stable store) in a child process first
//     (diskcheck.go), so a damaged file is an error naming it here instead
//     of a panic inside bbolt later, in a goroutine nothing can recover,
//     or a Go runtime fatal nothing can catch;
//   - a log that begins after index 1 needs the snapshot it was compacted
//     into;
//   - a dir whose cluster-id shows it belonged to a cluster but whose Raft
//     state is gone (raft.db deleted or emptied) is refused: bootstrapping
//     again from the config file would bring back the config's old view
//     (its old master) over what the cluster has decided since.
func openDisk(dir string, checked bool, hl hclog.Logger) (d *disk, err error) {
	path := filepath.Join(dir, "raft.db")
	damaged := func(what any) error { return damagedErr(path, what) }
	d = &disk{}
	// Should the file change between the check and here, bbolt's panics
	// on damaged pages (freelist, branch bounds) and faults (SIGBUS) on a
	// mapping read past the end of a file cut short still become errors.
	// (A panicking open leaks its file lock until the process exits; it
	// exits on this error.)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			d.closeQuietly()
			d, err = nil, damaged(p)
		}
	}()
	locked := func() error { return lockedErr(path, dir) }
	if !checked {
		if err := CheckDisk(dir); err != nil {
			return nil, err
		}
	}
	d.bolt, err = raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: &bbolt.Options{Timeout: lockTimeout}})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, locked()
	}
	if err != nil {
		return nil, damaged(err)
	}
	if d.snaps, err = raft.NewFileSnapshotStoreWithLogger(dir, 2, hl); err != nil {
		d.closeQuietly()
		return nil, fmt.Errorf("dir %s: snapshots: %w", dir, err)
	}
	if d.existing, err = raft.HasExistingState(d.bolt, d.bolt, d.snaps); err != nil {
		d.closeQuietly()
		return nil, damaged(err)
	}
	if d.id, err = loadClusterID(dir); err != nil {
		d.closeQuietly()
		return nil, err
	}
	if err := d.checkComplete(dir, path); err != nil {
		d.closeQuietly()
		return nil, err
	}
	return d, nil
}

// checkComplete refuses a dir whose state is partly gone.
func (d *disk) checkComplete(dir, path string) error {
	var zero [clusterIDLen]byte
	if !d.existing && d.id != zero {
		return fmt.Errorf("%w: %s holds no Raft log, but %s shows this node belonged to cluster %x: "+
			"restore raft.db from a backup, or remove %s and rejoin with raft-join (docs/operations.md, \"Lost or damaged Raft state\"); "+
			"raftinel does not bootstrap again over a cluster it belonged to",
			ErrStateLost, path, filepath.Join(dir, clusterIDFile), d.id, clusterIDFile)
	}
	first, err := d.bolt.FirstIndex()
	if err != nil || first <= 1 {
		return err
	}
	snaps, err := d.snaps.List()
	if err != nil {
		return fmt.Errorf("dir %s: snapshots: %w", dir, err)
	}
	if len(snaps) == 0 {
		return fmt.Errorf("%w: the log in %s starts at entry %d but %s holds no snapshot of the entries before it: "+
			"restore the snapshots from a backup, or rejoin this node as a new member (docs/operations.md, \"Lost or damaged Raft state\")",
			ErrStateLost, path, first, filepath.Join(dir, "snapshots"))
	}
	return nil
}

func (d *disk) closeQuietly() {
	if d == nil || d.bolt == nil {
		return
	}
	defer func() { _ = recover() }()
	_ = d.bolt.Close()
}
