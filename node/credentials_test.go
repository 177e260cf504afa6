package node

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCredentialsOverrideReplicatedPersistAndFollowTheIncarnation(t *testing.T) {
	dir := t.TempDir()
	c, err := loadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if u, p := c.effective("m", 5, "ru", "rp"); u != "ru" || p != "rp" {
		t.Fatalf("no override: %q %q", u, p)
	}
	if err := c.set("m", 5, []string{"auth-pass", "secret"}); err != nil {
		t.Fatal(err)
	}
	if u, p := c.effective("m", 5, "ru", "rp"); u != "ru" || p != "secret" {
		t.Fatalf("pass overridden: %q %q", u, p)
	}
	if err := c.set("m", 5, []string{"AUTH-USER", "u", "auth-pass", ""}); err != nil {
		t.Fatal(err)
	}
	if u, p := c.effective("m", 5, "ru", "rp"); u != "u" || p != "" {
		t.Fatalf("empty pass overrides too: %q %q", u, p)
	}
	if u, p := c.effective("m", 6, "ru", "rp"); u != "ru" || p != "rp" {
		t.Fatalf("another incarnation of m: %q %q", u, p)
	}
	if fi, err := os.Stat(filepath.Join(dir, credentialsFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	// a restart reads them back
	c2, err := loadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if u, p := c2.effective("m", 5, "ru", "rp"); u != "u" || p != "" {
		t.Fatalf("after reload: %q %q", u, p)
	}
	// a state not caught up yet (no masters replayed) forgets nothing
	if err := c2.forget(map[string]uint64{}, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := c2.effective("m", 5, "ru", "rp"); u != "u" {
		t.Fatal("override forgotten before the state was complete")
	}
	// REMOVE + MONITOR: the new incarnation forgets the override, on disk too
	if err := c2.forget(map[string]uint64{"m": 9}, false); err != nil {
		t.Fatal(err)
	}
	c3, err := loadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c3.m) != 0 {
		t.Fatalf("forgotten override still stored: %+v", c3.m)
	}
	if err := c3.set("m", 9, []string{"quorum", "2"}); err == nil {
		t.Fatal("a replicated option stored as a node credential")
	}
	// a removed master's override goes once the state is complete
	if err := c3.set("gone", 3, []string{"auth-pass", "x"}); err != nil {
		t.Fatal(err)
	}
	if err := c3.forget(map[string]uint64{}, true); err != nil || len(c3.m) != 0 {
		t.Fatalf("removed master kept: %+v %v", c3.m, err)
	}
	if err := os.WriteFile(filepath.Join(dir, credentialsFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCredentials(dir); err == nil {
		t.Fatal("a corrupt credentials file loads")
	}
}
