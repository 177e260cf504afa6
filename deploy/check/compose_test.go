package check

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/raftinel/raftinel/config"
)

const repoRoot = "../.."

// loadCompose loads docker-compose.yml with compose-go, the library behind
// `docker compose config`: schema validation, interpolation (no
// environment but an .env file, if any), references between services,
// volumes and networks, paths resolved against the repository root.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithDotEnv, cli.WithInterpolation(true),
		cli.WithResolvedPaths(true), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return p
}

// composeRun maps a service's mounts to local directories: bind mounts to
// their source, named volumes to one directory per volume shared by every
// service (as Docker shares them).
type composeRun struct {
	t       *testing.T
	volumes map[string]string // volume name -> local directory
}

func newComposeRun(t *testing.T) *composeRun {
	return &composeRun{t: t, volumes: map[string]string{}}
}

// local maps a path in service svc to the local file it is.
func (r *composeRun) local(svc types.ServiceConfig, path string) (string, bool) {
	var points []string
	for _, v := range svc.Volumes {
		points = append(points, v.Target)
	}
	i := under(path, points)
	if i < 0 {
		return "", false
	}
	v := svc.Volumes[i]
	dir := v.Source // a bind mount
	if v.Type == types.VolumeTypeVolume {
		if r.volumes[v.Source] == "" {
			r.volumes[v.Source] = r.t.TempDir()
		}
		dir = r.volumes[v.Source]
	} else if v.Type != types.VolumeTypeBind {
		r.t.Fatalf("%s: a %s mount at %s: this simulation knows binds and volumes", svc.Name, v.Type, v.Target)
	}
	rel, _ := filepath.Rel(v.Target, path)
	return filepath.Join(dir, rel), true
}

// composeNode is one raftinel service as it starts.
type composeNode struct {
	name string
	cfg  *config.Config
	conf string // its config file, local
}

// TestComposeConfig is the check that runs without a Docker engine: the
// file loads as `docker compose config` loads it, and every service is
// consistent with the others and with the configs it is given, which are
// written by raftinel-init's script (run here under dash, the redis
// image's sh) and loaded as each node loads its own.
func TestComposeConfig(t *testing.T) {
	p := loadCompose(t)
	t.Logf("compose: docker-compose.yml loaded by compose-go (the `docker compose config` loader): %d services", len(p.Services))
	for _, name := range []string{"redis-master", "redis-replica-1", "redis-replica-2", "raftinel-init", "raftinel-1", "raftinel-2", "raftinel-3", "client"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("service %s is missing", name)
		}
	}
	for name, svc := range p.Services {
		if svc.Image == "" && svc.Build == nil {
			t.Errorf("service %s has neither image nor build", name)
		}
		for _, port := range svc.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("service %s publishes %d on %q, beyond the host's loopback", name, port.Target, port.HostIP)
			}
		}
	}

	// Redis: replicas follow redis-master on the port it listens on and
	// announce their service names.
	masterPort := argAfter(p.Services["redis-master"].Command, "--port")
	for _, name := range []string{"redis-master", "redis-replica-1", "redis-replica-2"} {
		cmd := p.Services[name].Command
		if got := argAfter(cmd, "--replica-announce-ip"); got != name {
			t.Errorf("%s announces %q, want its service name", name, got)
		}
		if hc := p.Services[name].HealthCheck; hc == nil || len(hc.Test) == 0 {
			t.Errorf("%s has no healthcheck", name)
		}
		if name == "redis-master" {
			continue
		}
		i := slices.Index(cmd, "--replicaof")
		if i < 0 || i+2 >= len(cmd) || cmd[i+1] != "redis-master" || cmd[i+2] != masterPort {
			t.Errorf("%s: command %v does not replicate redis-master:%s", name, cmd, masterPort)
		}
	}

	r := newComposeRun(t)
	secret := runComposeInit(t, r, p)
	nodes := composeNodes(t, r, p)
	for _, n := range nodes {
		if n.cfg.Raft.Secret != secret {
			t.Errorf("%s: raft-secret %q, want the generated %q", n.name, n.cfg.Raft.Secret, secret)
		}
		checkPrivate(t, n.conf)
	}
	// A second `up` keeps the secret and rewrites the configs.
	if again := runComposeInit(t, r, p); again != secret {
		t.Errorf("raft-secret changed on the second run: %q then %q", secret, again)
	}
	for _, n := range composeNodes(t, r, p) {
		if n.cfg.Raft.Secret != secret {
			t.Errorf("%s: raft-secret %q after the second run, want %q", n.name, n.cfg.Raft.Secret, secret)
		}
	}
	if deps := p.Services["client"].DependsOn; len(deps) == 0 {
		t.Error("the client does not wait for raftinel")
	}
}

// runComposeInit runs the raftinel-init service's entrypoint and returns
// the secret it leaves in its volume.
func runComposeInit(t *testing.T, r *composeRun, p *types.Project) string {
	t.Helper()
	svc := p.Services["raftinel-init"]
	if !strings.HasPrefix(svc.Image, "redis:") {
		t.Errorf("raftinel-init runs %s: its script is tested under dash, the redis image's sh", svc.Image)
	}
	argv := append(append([]string{}, svc.Entrypoint...), svc.Command...)
	if len(argv) != 5 || argv[0] != "sh" {
		t.Fatalf("raftinel-init runs %v, want sh SCRIPT SRC OUT OWNER", argv)
	}
	owner := argv[4]
	if owner != "10001:10001" {
		t.Errorf("raftinel-init gives the files to %s, want the image's raftinel user 10001:10001", owner)
	}
	if os.Geteuid() != 0 {
		owner = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
		t.Logf("not root: the files are given to %s instead of 10001:10001", owner)
	}
	args := []string{}
	for _, a := range argv[1:4] {
		l, ok := r.local(svc, a)
		if !ok {
			t.Fatalf("raftinel-init: %s is on no volume", a)
		}
		args = append(args, l)
	}
	if _, err := debianSh(t).run(nil, append(args, owner)...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(args[2], "raft-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).Match(b) {
		t.Fatalf("generated raft-secret %q: want 32 random bytes as 64 hex digits", b)
	}
	checkPrivate(t, filepath.Join(args[2], "raft-secret"))
	return string(b)
}

// checkPrivate: the file is the raftinel user's (when the test can give
// it away) and readable by nobody else.
func checkPrivate(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s has mode %v: it holds the secret", path, st.Mode().Perm())
	}
	if os.Geteuid() == 0 && st.Sys().(*syscall.Stat_t).Uid != 10001 {
		t.Errorf("%s belongs to uid %d, want the raftinel user 10001", path, st.Sys().(*syscall.Stat_t).Uid)
	}
}

// composeNodes checks each raftinel service and loads its config as the
// node does.
func composeNodes(t *testing.T, r *composeRun, p *types.Project) []composeNode {
	t.Helper()
	masterPort := argAfter(p.Services["redis-master"].Command, "--port")
	var nodes []composeNode
	for i := 1; i <= 3; i++ {
		name := "raftinel-" + strconv.Itoa(i)
		svc := p.Services[name]
		for dep, cond := range map[string]string{"raftinel-init": types.ServiceConditionCompletedSuccessfully, "redis-master": types.ServiceConditionHealthy} {
			if svc.DependsOn[dep].Condition != cond {
				t.Errorf("%s must wait for %s to be %s", name, dep, cond)
			}
		}
		cmd := svc.Command
		if len(cmd) == 0 {
			t.Fatalf("%s has no command: it would run the image's default config", name)
		}
		conf, ok := r.local(svc, cmd[0])
		if !ok {
			t.Fatalf("%s: config %s is on no volume", name, cmd[0])
		}
		var dataDir string
		for _, v := range svc.Volumes {
			if strings.HasPrefix(cmd[0], v.Target+"/") && (!v.ReadOnly || v.Source != "raftinel-conf") {
				t.Errorf("%s: its config must come from the raftinel-conf volume, read-only (have %s:%s ro=%v)", name, v.Source, v.Target, v.ReadOnly)
			}
			if v.Type == types.VolumeTypeVolume && !v.ReadOnly {
				dataDir = v.Target
			}
		}
		c, err := config.Load(conf, cmd[1:])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		nodes = append(nodes, composeNode{name: name, cfg: c, conf: conf})
		if c.RaftAddr() != name+":"+strconv.Itoa(c.Port) {
			t.Errorf("%s announces %s", name, c.RaftAddr())
		}
		if !slices.Contains(c.Raft.Peers, c.RaftAddr()) || len(c.Raft.Peers) != 3 {
			t.Errorf("%s: raft-peers %v must list the 3 nodes, itself (%s) included", name, c.Raft.Peers, c.RaftAddr())
		}
		for _, peer := range c.Raft.Peers {
			h, port, err := net.SplitHostPort(peer)
			if _, ok := p.Services[h]; err != nil || !ok || port != strconv.Itoa(c.Port) {
				t.Errorf("%s: peer %s is not a raftinel service on port %d", name, peer, c.Port)
			}
		}
		if !c.ResolveHostnames || !c.AnnounceHostnames {
			t.Errorf("%s: resolve-hostnames and announce-hostnames must be yes", name)
		}
		if c.Dir != dataDir || dataDir == "" {
			t.Errorf("%s: dir %s is not its data volume's mount point %q", name, c.Dir, dataDir)
		}
		if len(c.Masters) != 1 || c.Masters[0].Host != "redis-master" || strconv.Itoa(c.Masters[0].Port) != masterPort {
			t.Errorf("%s: monitors %+v, want redis-master:%s", name, c.Masters, masterPort)
		}
		var hc string
		if svc.HealthCheck != nil {
			hc = strings.Join(svc.HealthCheck.Test, " ")
		}
		if c.HTTPPort == 0 || !strings.Contains(hc, "127.0.0.1:"+strconv.Itoa(c.HTTPPort)+"/readyz") {
			t.Errorf("%s: healthcheck %q does not ask /readyz on http-port %d", name, hc, c.HTTPPort)
		}
		// The file in the repository carries no secret.
		src, err := config.Load(filepath.Join(repoRoot, "deploy", "compose", name+".conf"), nil)
		if err != nil || src.Raft.Secret != "" {
			t.Errorf("deploy/compose/%s.conf: %v, raft-secret %q: the secret is generated, never committed", name, err, src.Raft.Secret)
		}
	}
	return nodes
}

// argAfter returns the argument after flag in a command.
func argAfter(cmd []string, flag string) string {
	if i := slices.Index(cmd, flag); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}
