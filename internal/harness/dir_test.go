package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A relative Dir (raftinel-bench -work w, raftinel-demo --dir d) is made
// absolute before it goes into a config: redis-server changes into its dir
// before it opens its logfile, so a relative pair kept it from starting.
func TestRelativeDirs(t *testing.T) {
	t.Chdir(t.TempDir())
	r, err := StartRedis(RedisOptions{Dir: filepath.Join("w", "redis1")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Kill()
	if !filepath.IsAbs(r.Dir) {
		t.Fatalf("redis Dir %q is not absolute", r.Dir)
	}
	if _, err := os.Stat(filepath.Join("w", "redis1", "redis.log")); err != nil {
		t.Fatalf("the redis log is not under the relative dir: %v", err)
	}
	n, err := NewNode(NodeOptions{Bin: "raftinel", Dir: filepath.Join("w", "node1")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("w", "node1", "sentinel.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "dir " + filepath.Join(n.Dir, "data") + "\n"; !filepath.IsAbs(n.Dir) || !filepath.IsAbs(n.Conf) || !strings.Contains(string(b), want) {
		t.Fatalf("node Dir %q, Conf %q, config:\n%s\nwant a line %q", n.Dir, n.Conf, b, want)
	}
}
