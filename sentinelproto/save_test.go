package sentinelproto

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/raftinel/raftinel/config"
)

// Sentinel answers "Failed to save config file" when it cannot rewrite its
// config file after MONITOR, REMOVE, SET or FLUSHCONFIG (its suite replaces
// the file by a directory). raftinel never writes the file but says the
// same when the file it would restart with is no longer readable.
func TestConfigFileGoneIsASaveError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(file, []byte("port 26379\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *config.Config) { c.File = file })
	c := e.dial()
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "quorum", "3")
	c.expect("+OK\r\n", "SENTINEL", "FLUSHCONFIG")
	if err := os.Rename(file, file+".bak"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(file, 0o755); err != nil {
		t.Fatal(err)
	}
	const fail = "-ERR Failed to save config file. Check server logs.\r\n"
	c.expect(fail, "SENTINEL", "SET", "mymaster", "quorum", "2")
	c.expect(fail, "SENTINEL", "FLUSHCONFIG")
	c.expect(fail, "SENTINEL", "MONITOR", "other", "127.0.0.1", "6380", "2")
	c.expect(fail, "SENTINEL", "REMOVE", "other")
	if _, m := mapOf(t, c, "SENTINEL", "MASTER", "mymaster"); m["quorum"] != "2" {
		t.Fatalf("the change is applied anyway, as in Sentinel: quorum %s", m["quorum"])
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".bak", file); err != nil {
		t.Fatal(err)
	}
	c.expect("+OK\r\n", "SENTINEL", "SET", "mymaster", "quorum", "3")
}
