package check

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestComposeEngine brings docker-compose.yml up with a Docker engine, when
// this machine has one with the compose plugin and every image the stack
// needs already present (the test never pulls: tests reach no registry but
// the Go module proxy, which the image build uses). Without them it says
// so and skips; TestComposeConfig has checked the file without an engine.
// RAFTINEL_COMPOSE_ENGINE=0 skips it too.
func TestComposeEngine(t *testing.T) {
	if reason := engineMissing(t); reason != "" {
		t.Skipf("compose: no engine run (%s); TestComposeConfig ran the config-equivalent checks", reason)
	}
	t.Log("compose: engine run: docker compose up")
	root, _ := filepath.Abs(repoRoot)
	override := filepath.Join(t.TempDir(), "no-ports.yml")
	// Published host ports could clash with what runs here: none.
	if err := os.WriteFile(override, []byte("services:\n  redis-master:\n    ports: !reset []\n  raftinel-1:\n    ports: !reset []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	project := fmt.Sprintf("raftinel-check-%d", os.Getpid())
	compose := func(timeout time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", append([]string{"compose", "-p", project,
			"-f", filepath.Join(root, "docker-compose.yml"), "-f", override}, args...)...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() {
		if out, err := compose(2*time.Minute, "down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	if out, err := compose(15*time.Minute, "up", "-d", "--build", "--pull", "never", "--wait", "--wait-timeout", "300"); err != nil {
		logs, _ := compose(time.Minute, "logs", "--no-color", "--tail", "50")
		t.Fatalf("compose up: %v\n%s\n%s", err, out, logs)
	}
	cli := func(node string, args ...string) string {
		out, err := compose(time.Minute, append([]string{"exec", "-T", "redis-master", "redis-cli", "-h", node, "-p", "26379", "--raw"}, args...)...)
		if err != nil {
			t.Fatalf("redis-cli -h %s %v: %v\n%s", node, args, err, out)
		}
		return out
	}
	// One cluster: every node counts 3 voters and has the same cluster id,
	// so the generated raft-secret let them in.
	ids := map[string]bool{}
	for _, n := range []string{"raftinel-1", "raftinel-2", "raftinel-3"} {
		info := infoFields(cli(n, "INFO", "raft"))
		if info["raft_voters"] != "3" {
			t.Errorf("%s: raft_voters %q, want 3", n, info["raft_voters"])
		}
		ids[info["raft_cluster_id"]] = true
	}
	if len(ids) != 1 {
		t.Errorf("cluster ids %v: the nodes are not one cluster", ids)
	}
	if got := strings.Fields(cli("raftinel-2", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")); len(got) != 2 || got[0] != "redis-master" {
		t.Fatalf("master address %v, want redis-master", got)
	}
	if m, err := compose(time.Minute, "exec", "-T", "raftinel-1", "wget", "-qO-", "http://127.0.0.1:9121/metrics"); err != nil || !strings.Contains(m, "raftinel_raft_state") {
		t.Errorf("/metrics: %v\n%.300s", err, m)
	}
	// A failover moves the master to a replica, by its service name.
	cli("raftinel-1", "SENTINEL", "FAILOVER", "mymaster")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := strings.Fields(cli("raftinel-3", "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
		if len(got) == 2 && strings.HasPrefix(got[0], "redis-replica-") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failover to a replica: master is %v", got)
		}
		time.Sleep(time.Second)
	}
}

// engineMissing says why the stack cannot be brought up here, or "".
func engineMissing(t *testing.T) string {
	if os.Getenv("RAFTINEL_COMPOSE_ENGINE") == "0" {
		return "RAFTINEL_COMPOSE_ENGINE=0"
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker client"
	}
	run := func(args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return exec.CommandContext(ctx, "docker", args...).Run()
	}
	if err := run("info"); err != nil {
		return "no Docker engine answers `docker info`"
	}
	if err := run("compose", "version"); err != nil {
		return "the docker compose plugin is missing"
	}
	images := []string{}
	for _, s := range loadCompose(t).Services {
		if s.Build == nil && s.Image != "" {
			images = append(images, s.Image)
		}
	}
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w := strings.Fields(sc.Text()); len(w) >= 2 && strings.EqualFold(w[0], "FROM") {
			images = append(images, w[1])
		}
	}
	for _, img := range images {
		if err := run("image", "inspect", img); err != nil {
			return "image " + img + " is not present (this test never pulls)"
		}
	}
	return ""
}

// infoFields parses INFO output into its key:value fields.
func infoFields(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			m[k] = v
		}
	}
	return m
}
