package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// idFile holds the node's myid in dir: the identity survives restarts
// without rewriting the (possibly read-only) config file.
const idFile = "myid"

// RandomID returns 40 random hex characters (a Sentinel run id / myid).
func RandomID() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// loadIdentity returns the node's myid: the one stored in dir, else the
// config's `sentinel myid`, else a new random one, which is then stored.
// A config myid that contradicts the stored one is an error: the Raft
// membership belongs to the stored identity.
func loadIdentity(dir, configured string) (string, error) {
	path := filepath.Join(dir, idFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		stored := strings.TrimSpace(string(b))
		if len(stored) != 40 {
			return "", fmt.Errorf("%s: malformed myid %q", path, stored)
		}
		if configured != "" && !strings.EqualFold(configured, stored) {
			return "", fmt.Errorf("sentinel myid %s contradicts %s (%s): remove one of them", configured, path, stored)
		}
		return stored, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	id := strings.ToLower(configured)
	if id == "" {
		id = RandomID()
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dir %s is not writable: %w", dir, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("dir %s: %w", dir, err)
	}
	return id, nil
}
