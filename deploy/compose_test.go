// Package deploy holds the deployment examples (docker-compose.yml at the
// repository root, deploy/compose, deploy/kubernetes). No container engine
// runs in CI, so these tests check them structurally: required keys, ports
// and peer names consistent with the configs they mount, and every
// raftinel config loads with config.Load exactly as the node would.
package deploy

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/config"
	"gopkg.in/yaml.v3"
)

// y walks decoded YAML: y(doc, "spec", "template", 0, ...) returns nil when
// a step is missing.
func y(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// loadConf loads a raftinel config as `raftinel <path> <args...>` would.
func loadConf(t *testing.T, path string, args []string) *config.Config {
	t.Helper()
	c, err := config.Load(path, args)
	if err != nil {
		t.Fatalf("%s %v: %v", path, args, err)
	}
	return c
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%q: %v", addr, err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func TestComposeFile(t *testing.T) {
	root := filepath.Join("..")
	doc := readYAML(t, filepath.Join(root, "docker-compose.yml"))
	services, _ := y(doc, "services").(map[string]any)
	volumes, _ := y(doc, "volumes").(map[string]any)
	for _, name := range []string{"redis-master", "redis-replica-1", "redis-replica-2", "raftinel-1", "raftinel-2", "raftinel-3", "client"} {
		if services[name] == nil {
			t.Fatalf("service %s is missing", name)
		}
	}
	for name, svc := range services {
		if y(svc, "image") == nil && y(svc, "build") == nil {
			t.Errorf("service %s has neither image nor build", name)
		}
		if deps, ok := y(svc, "depends_on").(map[string]any); ok {
			for d := range deps {
				if services[d] == nil {
					t.Errorf("service %s depends on unknown service %s", name, d)
				}
			}
		}
		for _, v := range strs(y(svc, "volumes")) {
			src := strings.SplitN(v, ":", 2)[0]
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := volumes[src]; !ok {
					t.Errorf("service %s uses undeclared volume %s", name, src)
				}
			}
		}
		for _, p := range strs(y(svc, "ports")) {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %q beyond the host's loopback", name, p)
			}
		}
	}
	// Redis: replicas follow redis-master on the port it listens on and
	// announce their service names.
	masterCmd := strs(y(services, "redis-master", "command"))
	masterPort := argAfter(masterCmd, "--port")
	for _, name := range []string{"redis-master", "redis-replica-1", "redis-replica-2"} {
		cmd := strs(y(services, name, "command"))
		if got := argAfter(cmd, "--replica-announce-ip"); got != name {
			t.Errorf("%s announces %q, want its service name", name, got)
		}
		if y(services, name, "healthcheck", "test") == nil {
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
	// raftinel: each node's mounted config loads, announces the service
	// name, lists the three services as peers and monitors redis-master.
	for i := 1; i <= 3; i++ {
		name := "raftinel-" + strconv.Itoa(i)
		svc := services[name]
		var conf, dataVol, dataDir string
		for _, v := range strs(y(svc, "volumes")) {
			p := strings.Split(v, ":")
			switch {
			case len(p) == 3 && p[1] == "/etc/raftinel/sentinel.conf":
				if p[2] != "ro" {
					t.Errorf("%s: config %s is not mounted read-only", name, v)
				}
				conf = filepath.Join(root, p[0])
			case len(p) == 2:
				dataVol, dataDir = p[0], p[1]
			}
		}
		if conf == "" || dataVol == "" {
			t.Fatalf("%s: volumes %v lack the config or a data volume", name, y(svc, "volumes"))
		}
		cmd := strs(y(svc, "command"))
		if len(cmd) == 0 || cmd[0] != "/etc/raftinel/sentinel.conf" {
			t.Fatalf("%s: command %v does not start from the mounted config", name, cmd)
		}
		c := loadConf(t, conf, cmd[1:])
		if c.RaftAddr() != name+":"+strconv.Itoa(c.Port) {
			t.Errorf("%s announces %s", name, c.RaftAddr())
		}
		if !slices.Contains(c.Raft.Peers, c.RaftAddr()) || len(c.Raft.Peers) != 3 {
			t.Errorf("%s: raft-peers %v must list the 3 nodes, itself (%s) included", name, c.Raft.Peers, c.RaftAddr())
		}
		for _, p := range c.Raft.Peers {
			h, port := hostPort(t, p)
			if services[h] == nil || port != c.Port {
				t.Errorf("%s: peer %s is not a raftinel service on port %d", name, p, c.Port)
			}
		}
		if !c.ResolveHostnames || !c.AnnounceHostnames {
			t.Errorf("%s: resolve-hostnames and announce-hostnames must be yes", name)
		}
		if c.Dir != dataDir {
			t.Errorf("%s: dir %s is not the data volume's mount point %s", name, c.Dir, dataDir)
		}
		if len(c.Masters) != 1 || c.Masters[0].Host != "redis-master" || strconv.Itoa(c.Masters[0].Port) != masterPort {
			t.Errorf("%s: monitors %+v, want redis-master:%s", name, c.Masters, masterPort)
		}
		hc := strings.Join(strs(y(svc, "healthcheck", "test")), " ")
		if c.HTTPPort == 0 || !strings.Contains(hc, "127.0.0.1:"+strconv.Itoa(c.HTTPPort)+"/readyz") {
			t.Errorf("%s: healthcheck %q does not ask /readyz on http-port %d", name, hc, c.HTTPPort)
		}
	}
	if dep := y(services, "client", "depends_on"); dep == nil {
		t.Error("the client does not wait for raftinel")
	}
}

// argAfter returns the argument after flag in a command.
func argAfter(cmd []string, flag string) string {
	if i := slices.Index(cmd, flag); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}

var ipv4 = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)

// No example names an address beyond loopback (0.0.0.0 is a bind
// wildcard, not a destination).
func TestExamplesNameNoOutsideAddress(t *testing.T) {
	files := []string{filepath.Join("..", "docker-compose.yml"), filepath.Join("..", "Dockerfile")}
	for _, pat := range []string{"compose/*", "kubernetes/*"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
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
