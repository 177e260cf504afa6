package consensus

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/raftinel/raftinel/internal/atomicfile"
)

// clusterIDLen is the size of a cluster id.
const clusterIDLen = 16

// clusterIDFile holds the id in dir.
const clusterIDFile = "cluster-id"

// clusterID is this node's cluster identity. It is derived when a cluster
// is bootstrapped, from the sorted initial voters (so every voter that
// bootstraps from the same raft-peers derives the same id without talking),
// learned from the leader by a node that joins, and kept in dir. Zero means
// "none yet": a node without an id talks to anyone, which is how a joining
// node first reaches the cluster.
type clusterID struct {
	mu sync.RWMutex
	v  [clusterIDLen]byte
}

func (c *clusterID) get() [clusterIDLen]byte {
	if c == nil {
		return [clusterIDLen]byte{}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.v
}

func (c *clusterID) set(v [clusterIDLen]byte) {
	c.mu.Lock()
	c.v = v
	c.mu.Unlock()
}

// compatible reports whether two sides may talk: equal ids, or one unknown.
func compatible(a, b [clusterIDLen]byte) bool {
	var zero [clusterIDLen]byte
	return a == zero || b == zero || a == b
}

// deriveClusterID is the id of a cluster bootstrapped with peers.
func deriveClusterID(peers []string) [clusterIDLen]byte {
	p := append([]string(nil), peers...)
	sort.Strings(p)
	sum := sha256.Sum256([]byte("raftinel-cluster\x00" + strings.Join(p, "\x00")))
	var v [clusterIDLen]byte
	copy(v[:], sum[:])
	return v
}

// loadClusterID reads dir's id; a missing file is "none yet".
func loadClusterID(dir string) ([clusterIDLen]byte, error) {
	var v [clusterIDLen]byte
	b, err := os.ReadFile(filepath.Join(dir, clusterIDFile))
	if errors.Is(err, fs.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != clusterIDLen {
		return v, fmt.Errorf("%s: malformed cluster id", filepath.Join(dir, clusterIDFile))
	}
	copy(v[:], raw)
	return v, nil
}

// storeClusterID writes the id to dir (atomically).
func storeClusterID(dir string, v [clusterIDLen]byte) error {
	return atomicfile.Write(filepath.Join(dir, clusterIDFile), []byte(hex.EncodeToString(v[:])+"\n"))
}
