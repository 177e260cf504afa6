//go:build e2e

package config

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSameBannerAsRedis feeds configs that redis-sentinel refuses to the
// real redis-server (Debian package redis-server) and checks that raftinel
// refuses them at the same line with the same words. Cases where raftinel
// is deliberately stricter or different are not listed here.
func TestSameBannerAsRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not installed (scripts/deps.sh)")
	}
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec.sh")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const mon = "sentinel monitor m 127.0.0.1 6379 2\n"
	cases := []string{
		"port 1\nfoo bar\n",
		"port 1 2",
		"port 26379 # comment",
		"port abc",
		"port +5",
		"port 007",
		"port 70000",
		"tls-port x",
		"maxclients 0",
		"timeout -1",
		"syslog-facility x",
		"tls-auth-clients x",
		"daemonize maybe",
		"bind 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17",
		"user",
		"user default on nopass\nuser a on\nuser default off",
		"rename-command PING P\nrename-command ping Q",
		"hz",
		"port 1\ndir \"/tmp\n",
		`port "26379"x`,
		"logfile 'x",
		"port 26379\nsentinel monitor m1 127.0.0.1 6379 0\n",
		"sentinel monitor m 127.0.0.1 6379 x",
		"sentinel foo bar\n",
		"sentinel monitor m 127.0.0.1 6379",
		mon + mon,
		"sentinel monitor m localhost 6379 2",
		"sentinel resolve-hostnames no\nsentinel monitor m db.example 6379 2",
		"sentinel monitor m 127.0.0.1 70000 2",
		mon + "sentinel down-after-milliseconds x 1000",
		mon + "sentinel auth-pass M p",
		"sentinel down-after-milliseconds m 0\n" + mon,
		mon + "sentinel failover-timeout m -5",
		mon + "sentinel master-reboot-down-after-period m -1",
		mon + "sentinel notification-script m /nonexistent/x.sh",
		mon + "sentinel client-reconfig-script m " + noexec,
		mon + "sentinel rename-command m PING a\nsentinel rename-command m ping b",
		mon + "sentinel known-replica m 127.0.0.1 1\nsentinel known-slave m 127.0.0.1 1",
		mon + "sentinel known-replica m replica-1 1",
		mon + "sentinel known-sentinel m 127.0.0.1 1 x\nsentinel known-sentinel m 127.0.0.2 1 x",
		mon + "sentinel known-sentinel m 127.0.0.1 99999 x",
		"sentinel myid abc",
		"sentinel deny-scripts-reconfig x",
		"sentinel resolve-hostnames x",
		"sentinel announce-hostnames x",
		"SENTINEL Bogus 1",
		"sentinel foo\nsentinel monitor m 127.0.0.1 6379 0\n",
		"sentinel monitor m 127.0.0.1 6379 0\nsentinel myid x\n",
		"sentinel foo\nport x\n",
		"  \tsentinel foo bar  \r\n",
	}
	version := regexp.MustCompile(`\(Redis ([^)]+)\)`)
	for i, text := range cases {
		path := filepath.Join(dir, "c.conf")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// --port 0 makes a config Redis unexpectedly accepts exit at once.
		cmd := exec.CommandContext(ctx, bin, path, "--sentinel", "--port", "0")
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		_ = cmd.Run()
		cancel()
		out := stderr.String()
		at := strings.Index(out, "\n*** FATAL CONFIG FILE ERROR")
		if at < 0 {
			t.Errorf("case %d %q: redis-server did not refuse it: %q", i, text, out)
			continue
		}
		redisBanner := out[at:]
		m := version.FindStringSubmatch(redisBanner)
		if m == nil {
			t.Fatalf("no version in %q", redisBanner)
		}
		e := mustFail(t, text)
		if got := e.Banner(m[1]); got != redisBanner {
			t.Errorf("case %d %q:\nraftinel %q\nredis    %q", i, text, got, redisBanner)
		}
	}
}
