package node

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLinkSettingsOverrideReplicatedPersistAndFollowTheIncarnation(t *testing.T) {
	dir := t.TempDir()
	c, err := loadLinkSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	base := link{User: "ru", Pass: "rp", Rename: map[string]string{"config": "CFG"}}
	if got := c.effective("m", 5, base); !reflect.DeepEqual(got, base) {
		t.Fatalf("no override: %+v", got)
	}
	if err := c.set("m", 5, []string{"auth-pass", "secret", "rename-command", "PING", "PONG"}); err != nil {
		t.Fatal(err)
	}
	want := link{User: "ru", Pass: "secret", Rename: map[string]string{"config": "CFG", "ping": "PONG"}}
	if got := c.effective("m", 5, base); !reflect.DeepEqual(got, want) {
		t.Fatalf("pass and rename overridden: %+v", got)
	}
	if base.Rename["ping"] != "" {
		t.Fatal("effective changed the replicated map")
	}
	// an empty password and a command renamed to itself override too
	if err := c.set("m", 5, []string{"AUTH-USER", "u", "auth-pass", "", "rename-command", "config", "config"}); err != nil {
		t.Fatal(err)
	}
	want = link{User: "u", Pass: "", Rename: map[string]string{"ping": "PONG"}}
	if got := c.effective("m", 5, base); !reflect.DeepEqual(got, want) {
		t.Fatalf("empty pass, config not renamed: %+v", got)
	}
	if got := c.effective("m", 6, base); !reflect.DeepEqual(got, base) {
		t.Fatalf("another incarnation of m: %+v", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, linkSettingsFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("settings file: %v %v", fi, err)
	}
	// a restart reads them back
	c2, err := loadLinkSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.effective("m", 5, base); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reload: %+v", got)
	}
	// a state not caught up yet (no masters replayed) forgets nothing
	if err := c2.forget(map[string]uint64{}, false); err != nil {
		t.Fatal(err)
	}
	if got := c2.effective("m", 5, base); got.User != "u" {
		t.Fatal("override forgotten before the state was complete")
	}
	// REMOVE + MONITOR: the new incarnation forgets the override, on disk too
	if err := c2.forget(map[string]uint64{"m": 9}, false); err != nil {
		t.Fatal(err)
	}
	c3, err := loadLinkSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c3.m) != 0 {
		t.Fatalf("forgotten override still stored: %+v", c3.m)
	}
	if err := c3.set("m", 9, []string{"quorum", "2"}); err == nil {
		t.Fatal("a replicated option stored as a link setting")
	}
	// a removed master's override goes once the state is complete
	if err := c3.set("gone", 3, []string{"auth-pass", "x"}); err != nil {
		t.Fatal(err)
	}
	if err := c3.forget(map[string]uint64{}, true); err != nil || len(c3.m) != 0 {
		t.Fatalf("removed master kept: %+v %v", c3.m, err)
	}
	if err := os.WriteFile(filepath.Join(dir, linkSettingsFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadLinkSettings(dir); err == nil {
		t.Fatal("a corrupt settings file loads")
	}
}

// The overrides' generation (policy.TargetCache's linkGen) moves with
// every change of them, and only then: the monitor's targets are worked
// out again for every master when it moves.
func TestLinkSettingsGenerationMovesWithChanges(t *testing.T) {
	c, err := loadLinkSettings(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g0 := c.generation()
	if err := c.set("m", 5, []string{"auth-pass", "secret"}); err != nil {
		t.Fatal(err)
	}
	g1 := c.generation()
	if g1 == g0 {
		t.Fatal("set did not move the generation")
	}
	if err := c.forget(map[string]uint64{"m": 5}, true); err != nil || c.generation() != g1 {
		t.Fatalf("a forget that dropped nothing moved the generation (%v)", err)
	}
	if err := c.forget(map[string]uint64{}, true); err != nil || c.generation() == g1 {
		t.Fatalf("a forget that dropped m's overrides left the generation (%v)", err)
	}
}
