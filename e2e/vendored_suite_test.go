//go:build e2e

package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendoredSuiteIsUnmodified: third_party/redis-sentinel-suite is Redis
// 7.2.6's Sentinel suite and its runner exactly as the workspace's
// conformance kit has them (scripts/conformance.sh runs it when
// ../shared/conformance is absent). Every file must match the committed
// checksum list, no file may be added, and where the workspace's kit is
// present it must match the same list.
func TestVendoredSuiteIsUnmodified(t *testing.T) {
	sums := readSums(t, filepath.Join("..", "third_party", "redis-sentinel-suite.sha256"))
	if len(sums) < 30 {
		t.Fatalf("checksum list has %d entries", len(sums))
	}
	checkTree(t, filepath.Join("..", "third_party", "redis-sentinel-suite"), sums)
	if shared := filepath.Join("..", "..", "shared", "conformance"); dirExists(shared) {
		checkTree(t, shared, sums)
	}
}

func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		sums[filepath.Clean(name)] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

func checkTree(t *testing.T, root string, sums map[string]string) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		want, ok := sums[rel]
		if !ok {
			t.Errorf("%s: %s is not in the checksum list", root, rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		if got := hex.EncodeToString(h[:]); got != want {
			t.Errorf("%s: %s differs from the checksum list", root, rel)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(sums) {
		t.Errorf("%s: %d files, checksum list has %d", root, seen, len(sums))
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
