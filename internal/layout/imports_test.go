package layout

import (
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/raftinel/raftinel/"

// allowed lists, for each package that is not wiring, the raftinel packages
// its non-test code may import. A package missing from the table fails the
// test until it is placed: wiring (node, cmd/..., demo) and test support
// (internal/..., e2e) are listed as such.
var allowed = map[string][]string{
	// Leaves.
	"model":         {"internal/glob"},
	"view":          {},
	"config":        {"internal/sdsargs"},
	"userscript":    {},
	"httpapi":       {},
	"resp":          {"internal/glob", "internal/rawio", "internal/sdsargs"},
	"internal/glob": {},
	// Writers: the log of the model, the observer of Redis.
	"consensus": {"internal/atomicfile", "model"},
	"monitor":   {"internal/rawio", "view"},
	// Readers: they take model and view through interfaces they declare.
	"failover":      {"model", "view"},
	"policy":        {"model", "view"},
	"sentinelproto": {"acl", "config", "internal/glob", "model", "resp", "userscript", "view"},
	"acl":           {"config", "internal/glob"},
	"tlsconf":       {"config"},
}

// wiring may import anything; its job is to connect the others.
var wiring = map[string]bool{"node": true, "demo": true}

func isWiringOrTestSupport(pkg string) bool {
	return wiring[pkg] || strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "internal/") ||
		pkg == "e2e" || strings.HasPrefix(pkg, "e2e/") || strings.HasPrefix(pkg, "deploy/")
}

func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx := build.Default
	ctx.BuildTags = append(ctx.BuildTags, "e2e")
	seen := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "third_party") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
			return filepath.SkipDir // another module (deploy/check)
		}
		p, err := ctx.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if len(p.GoFiles) == 0 {
			return nil // tests only
		}
		seen++
		allow, listed := allowed[rel]
		if !listed {
			if !isWiringOrTestSupport(rel) {
				t.Errorf("package %s is not placed in internal/layout's table: add the raftinel packages it may import", rel)
			}
			return nil
		}
		ok := map[string]bool{}
		for _, a := range allow {
			ok[a] = true
		}
		var bad []string
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if dep := strings.TrimPrefix(imp, module); !ok[dep] {
				bad = append(bad, dep)
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%s imports %s; it may import only %v (internal/layout, docs/design.md)", rel, strings.Join(bad, ", "), allow)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("walked only %d packages from %s: the test is not looking at the tree", seen, root)
	}
}
