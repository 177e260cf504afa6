//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/internal/harness"
)

// Issue 14: errors found when a node starts name the file, the line and
// the directive like parse errors, and damaged or lost Raft state stops the
// node with the file and what to do (docs/operations.md), never a panic or
// a silent new bootstrap.
func TestStartErrorsAreClear(t *testing.T) {
	// An address this host does not have: the bind line is named.
	n, out := refusedStart(t, harness.NodeOptions{Bin: bin, Dir: filepath.Join(t.TempDir(), "bind"),
		Lines: []string{"bind 127.0.0.1 10.255.255.254"}})
	if want := "raftinel: " + n.Conf + ":4: 'bind': listen on port "; !strings.HasPrefix(string(out), want) {
		t.Fatalf("bind: want %q, got:\n%s", want, out)
	}

	// A node that ran, whose raft.db is then deleted, damaged or emptied.
	node := startNode(t)
	node.Term(5e9)
	db := filepath.Join(node.Dir, "data", "raft.db")
	orig, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string]func() error{
		"deleted": func() error { return os.Remove(db) },
		"emptied": func() error { return os.Truncate(db, 0) },
		"overwritten": func() error {
			b := append([]byte(nil), orig...)
			for i := 0; i < 8192 && i < len(b); i++ {
				b[i] = 0xab // both meta pages
			}
			return os.WriteFile(db, b, 0o600)
		},
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		_ = os.Truncate(node.Log, 0)
		if err := node.Start(); err == nil {
			node.Kill()
			t.Fatalf("%s raft.db: the node started", name)
		}
		b, _ := os.ReadFile(node.Log)
		s := string(b)
		if !strings.HasPrefix(s, "raftinel: ") || !strings.Contains(s, db) || !strings.Contains(s, "docs/operations.md") ||
			strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Fatalf("%s raft.db:\n%s", name, s)
		}
		if err := os.WriteFile(db, orig, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Intact again, it starts.
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
}
