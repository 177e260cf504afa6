// Package atomicfile writes the small files a node keeps in its dir (the
// cluster id, formation candidates, its own link settings and pending
// changes): whole or not at all, durable, readable by the node's user only
// (some hold credentials).
package atomicfile

import (
	"fmt"
	"os"
)

// Write replaces path with b: it writes path.tmp (mode 0600), syncs it and
// renames it over path. On error the temporary file is removed and the
// error names path.
func Write(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
