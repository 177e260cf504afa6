package server

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/node"
)

// `raftinel demo` (the old spelling, in scripts and habits) says in one
// line where the demo went, unless a config file is called demo.
func TestDemoSaysWhereTheDemoIs(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	for _, where := range []string{"no file named demo", "a directory named demo (the source tree)"} {
		if code := Main([]string{"demo"}, &out, &errOut); code != 2 {
			t.Fatalf("%s: exit %d, want 2", where, code)
		}
		if got := errOut.String(); got != DemoHint+"\n" || !strings.Contains(got, "go run ./cmd/raftinel-demo") {
			t.Fatalf("%s: stderr %q, want the hint", where, got)
		}
		if out.Len() != 0 {
			t.Fatalf("%s: stdout %q", where, out.String())
		}
		errOut.Reset()
		if err := os.Mkdir("demo", 0o755); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	if err := os.Remove("demo"); err != nil {
		t.Fatal(err)
	}

	// A config file named demo is loaded like any other (this one fails
	// to load, with the config error).
	if err := os.WriteFile("demo", []byte("no-such-directive 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := Main([]string{"demo"}, &out, &errOut); code != 1 {
		t.Fatalf("config file demo: exit %d, want 1", code)
	}
	if got := errOut.String(); strings.Contains(got, DemoHint) || !strings.Contains(got, "no-such-directive") {
		t.Fatalf("config file demo: stderr %q, want its config error", got)
	}
}

func TestHelpAndVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	if got := errOut.String(); !strings.Contains(got, "raftinel /path/to/sentinel.conf") || !strings.Contains(got, "go run ./cmd/raftinel-demo") {
		t.Fatalf("--help: %q", got)
	}
	out.Reset()
	if code := Main([]string{"--version"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "raftinel "+node.Version) {
		t.Fatalf("--version: exit %d, %q", code, out.String())
	}
}
