package layout

import (
	"go/build"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// notInServer are the packages the server binary (cmd/raftinel) must not
// link: the demo and the test and bench support it drives, and go-redis
// they bring; and the Prometheus client library (httpapi writes the text
// format itself). Each is code a running node never calls or can do
// without, and code is RSS: the demo alone cost an idle node about 1 MB,
// the Prometheus client (with protobuf) about 2 MB (issue 16,
// docs/benchmarks.md).
var notInServer = []string{
	module + "demo",
	module + "internal/bench",
	module + "internal/harness",
	module + "internal/redistest",
	"github.com/redis/go-redis/v9",
	"github.com/prometheus/client_golang",
	"github.com/prometheus/client_model",
}

// serverDeps returns every raftinel package that cmd's non-test code links
// and, for each import path, the raftinel package that imports it.
func serverDeps(t *testing.T, root, cmd string) map[string]string {
	t.Helper()
	by := map[string]string{module + cmd: ""}
	todo := []string{module + cmd}
	for len(todo) > 0 {
		pkg := todo[0]
		todo = todo[1:]
		p, err := build.Default.ImportDir(filepath.Join(root, strings.TrimPrefix(pkg, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			if _, ok := by[imp]; ok {
				continue
			}
			by[imp] = pkg
			if strings.HasPrefix(imp, module) {
				todo = append(todo, imp)
			}
		}
	}
	return by
}

// The server binary links no demo, bench or test support: `go run
// ./cmd/raftinel-demo` is the demo (it runs the server for its nodes).
func TestServerBinaryLinksNoDemo(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	deps := serverDeps(t, root, "cmd/raftinel")
	if _, ok := deps[module+"node"]; !ok {
		t.Fatalf("cmd/raftinel does not reach node: the walk is not looking at the server (%d packages)", len(deps))
	}
	var bad []string
	for imp, from := range deps {
		for _, no := range notInServer {
			if imp == no || strings.HasPrefix(imp, no+"/") {
				bad = append(bad, imp+" (imported by "+strings.TrimPrefix(from, module)+")")
			}
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("the server binary (cmd/raftinel) links %s: keep demo, bench and test code in their own commands", strings.Join(bad, ", "))
	}
}
