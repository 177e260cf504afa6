package check

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var ipv4 = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)

// No deployment file names an address beyond loopback (0.0.0.0 is a bind
// wildcard, not a destination).
func TestExamplesNameNoOutsideAddress(t *testing.T) {
	files := []string{filepath.Join(repoRoot, "docker-compose.yml"), filepath.Join(repoRoot, "Dockerfile")}
	for _, dir := range []string{"../compose", "../kubernetes", "../helm"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d files found: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ip := range ipv4.FindAllString(string(b), -1) {
			if ip != "0.0.0.0" && !strings.HasPrefix(ip, "127.") {
				t.Errorf("%s names %s", f, ip)
			}
		}
	}
}
