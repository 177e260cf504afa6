package config

import (
	"reflect"
	"testing"
)

// Checklist 67: overrides are appended after the file.
func TestCommandLineOverrides(t *testing.T) {
	c := mustParse(t, "port 26379\nsentinel monitor m 127.0.0.1 6379 2\n",
		"--port", "26390", "--sentinel", "monitor", "m2", "127.0.0.1", "6380", "2")
	if c.Port != 26390 {
		t.Errorf("Port = %d", c.Port)
	}
	if len(c.Masters) != 2 || c.Masters[1].Name != "m2" || c.Masters[1].Port != 6380 || c.Masters[1].Quorum != 2 {
		t.Fatalf("Masters = %+v", c.Masters)
	}
	if c.Masters[1].File != CommandLine || c.Masters[1].Line != 3 {
		t.Errorf("m2 location = %s:%d, want %s:3", c.Masters[1].File, c.Masters[1].Line, CommandLine)
	}
}

func TestCommandLineForms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		check func(*Config) bool
	}{
		{"bare --sentinel first", []string{"--sentinel", "--port", "1"}, func(c *Config) bool { return c.Port == 1 }},
		{"bare --sentinel last", []string{"--port", "1", "--sentinel"}, func(c *Config) bool { return c.Port == 1 }},
		{"name and value in one arg", []string{"--port 7"}, func(c *Config) bool { return c.Port == 7 }},
		{"value is literal", []string{"--dir", "/a b/\"c\""}, func(c *Config) bool { return c.Dir == `/a b/"c"` }},
		{"empty value", []string{"--logfile", ""}, func(c *Config) bool { return c.LogFile == "" }},
		{"value starting with --", []string{"--requirepass", "--x--"}, func(c *Config) bool { return c.RequirePass == "--x--" }},
		{"keyword case", []string{"--PORT", "8"}, func(c *Config) bool { return c.Port == 8 }},
		{"--save alone", []string{"--save", "--port", "9"}, func(c *Config) bool { return c.Port == 9 && len(c.Ignored) == 1 }},
		{"--save last", []string{"--save"}, func(c *Config) bool { return len(c.Ignored) == 1 }},
		{"multi values", []string{"--bind", "10.0.0.1", "10.0.0.2"}, func(c *Config) bool {
			return reflect.DeepEqual(c.Bind, []string{"10.0.0.1", "10.0.0.2"})
		}},
		{"override file directive", []string{"--sentinel", "down-after-milliseconds", "m", "500"}, func(c *Config) bool {
			return c.Masters[0].DownAfter.Milliseconds() == 500
		}},
		{"raftinel directive", []string{"--raft-peers", "a:1", "127.0.0.1:26379"}, func(c *Config) bool { return len(c.Raft.Peers) == 2 }},
		{"no args", nil, func(c *Config) bool { return c.Port == 26379 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, "sentinel monitor m 127.0.0.1 6379 2\n", tc.args...)
			if !tc.check(c) {
				t.Errorf("args %q: unexpected config %+v", tc.args, c)
			}
		})
	}
}

func TestCommandLineErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"bad value", "", []string{"--port", "1", "--loglevel", "bad"}, 3, "loglevel",
			"argument(s) must be one of the following: debug, verbose, notice, warning, nothing"},
		{"extra value", "", []string{"--sentinel", "--loglevel", "verbose", "extra"}, 2, "loglevel", "wrong number of arguments"},
		{"sentinel quorum", "", []string{"--sentinel", "monitor", "m", "127.0.0.1", "6379", "0"}, 1, "sentinel monitor", "Quorum must be 1 or greater."},
		{"duplicate master from file", "sentinel monitor m 127.0.0.1 6379 2\n", []string{"--sentinel", "monitor", "m", "127.0.0.1", "6380", "2"}, 1,
			"sentinel monitor", "Duplicate master name."},
		{"value first", "", []string{"6379", "--port", "1"}, 1, "6379", "value without a preceding --option"},
		{"bare --", "", []string{"--"}, 1, "--", "missing option name after '--'"},
		{"unbalanced name", "", []string{`--dir "x`}, 1, "dir", "Unbalanced quotes in configuration line"},
		{"unknown", "", []string{"--foo", "1"}, 1, "foo", "Bad directive or wrong number of arguments"},
	})
	// The banner text quotes values as redis-server does.
	e := mustFail(t, "", "--port", "1", "--loglevel", "bad")
	if e.Text != `loglevel "bad"` {
		t.Errorf("Text = %q", e.Text)
	}
	e = mustFail(t, "", "--sentinel", "monitor", "m", "127.0.0.1", "6379", "0")
	if e.Text != `sentinel "monitor" "m" "127.0.0.1" "6379" "0"` {
		t.Errorf("Text = %q", e.Text)
	}
	// An error in the file is still reported in the file when overrides exist.
	e = mustFail(t, "port x\n", "--port", "1")
	if e.File != "s.conf" || e.Line != 1 {
		t.Errorf("got %v", e)
	}
}
