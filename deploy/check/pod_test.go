package check

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/config"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// podSim is one pod of a StatefulSet with its volumes as local
// directories, so that its containers' commands can run here.
type podSim struct {
	t        *testing.T
	name, ns string
	spec     *corev1.PodSpec
	dirs     map[string]string // volume name -> local directory
}

// newPod lays out pod ordinal i of sts in namespace ns. ConfigMap volumes
// hold the ConfigMap's data (from objs), Secret volumes the data given in
// secrets (Secret name -> key -> value; a missing Secret leaves the pod
// unable to start, as in Kubernetes), emptyDirs and volume claims are
// empty directories.
func newPod(t *testing.T, objs objects, sts *appsv1.StatefulSet, i int, ns string, secrets map[string]map[string][]byte) *podSim {
	t.Helper()
	p := &podSim{t: t, name: sts.Name + "-" + strconv.Itoa(i), ns: ns, spec: &sts.Spec.Template.Spec, dirs: map[string]string{}}
	root := t.TempDir()
	for _, c := range sts.Spec.VolumeClaimTemplates {
		p.dirs[c.Name] = mkdir(t, filepath.Join(root, c.Name))
	}
	for _, v := range p.spec.Volumes {
		dir := mkdir(t, filepath.Join(root, v.Name))
		p.dirs[v.Name] = dir
		switch {
		case v.ConfigMap != nil:
			cm := get[*corev1.ConfigMap](t, objs, "ConfigMap", v.ConfigMap.Name)
			data := map[string][]byte{}
			for k, s := range cm.Data {
				data[k] = []byte(s)
			}
			project(t, dir, data, v.ConfigMap.Items)
		case v.Secret != nil:
			data, ok := secrets[v.Secret.SecretName]
			if !ok {
				t.Fatalf("%s: volume %s needs Secret/%s, which does not exist", p.name, v.Name, v.Secret.SecretName)
			}
			project(t, dir, data, v.Secret.Items)
		case v.EmptyDir != nil:
		default:
			t.Fatalf("%s: volume %s: a source this simulation does not know", p.name, v.Name)
		}
	}
	return p
}

func mkdir(t *testing.T, dir string) string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// project writes a ConfigMap's or a Secret's data as the kubelet does:
// every key, or only the items listed, each at its path.
func project(t *testing.T, dir string, data map[string][]byte, items []corev1.KeyToPath) {
	t.Helper()
	if len(items) == 0 {
		for k := range data {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			t.Fatalf("volume item %s: no such key (have %d keys)", it.Key, len(data))
		}
		if err := os.WriteFile(filepath.Join(dir, it.Path), v, 0o440); err != nil {
			t.Fatal(err)
		}
	}
}

// env is the container's environment: values and downward-API fields
// (metadata.name, metadata.namespace).
func (p *podSim) env(c *corev1.Container) map[string]string {
	p.t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env[e.Name] = p.name
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env[e.Name] = p.ns
		default:
			p.t.Fatalf("%s: container %s env %s: a source this simulation does not know", p.name, c.Name, e.Name)
		}
	}
	return env
}

// argv is the container's command and args with $(VAR) expanded from its
// environment, as the kubelet does.
func (p *podSim) argv(c *corev1.Container) []string {
	env := p.env(c)
	var out []string
	for _, a := range append(append([]string{}, c.Command...), c.Args...) {
		for k, v := range env {
			a = strings.ReplaceAll(a, "$("+k+")", v)
		}
		out = append(out, a)
	}
	return out
}

// local maps a path inside container c to the local directory of the
// volume mounted there (the longest mount path that contains it).
func (p *podSim) local(c *corev1.Container, path string) (string, bool) {
	m := mountAt(c, path)
	if m == nil {
		return "", false
	}
	rel, _ := filepath.Rel(m.MountPath, path)
	return filepath.Join(p.dirs[m.Name], rel), true
}

// runInit runs every init container in order: `sh script args...` under
// sh, with each absolute path argument mapped to the local volume. It
// returns the first failure (the pod would stay in Init).
func (p *podSim) runInit(sh shell) error {
	p.t.Helper()
	for i := range p.spec.InitContainers {
		c := &p.spec.InitContainers[i]
		argv := p.argv(c)
		if len(argv) < 2 || argv[0] != "sh" {
			p.t.Fatalf("%s: init container %s runs %v, not `sh script ...`", p.name, c.Name, argv)
		}
		for j, a := range argv[1:] {
			if l, ok := p.local(c, a); ok {
				argv[1+j] = l
			} else if filepath.IsAbs(a) {
				p.t.Fatalf("%s: init container %s: %s is on no volume", p.name, c.Name, a)
			}
		}
		if _, err := sh.run(p.env(c), argv[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// load loads the config of container c as its process does: the first
// argument is the config file (on a volume), the rest are overrides.
func (p *podSim) load(c *corev1.Container) (*config.Config, error) {
	p.t.Helper()
	argv := p.argv(c)
	if len(argv) == 0 {
		p.t.Fatalf("%s: container %s has no args: it would run the image's default config", p.name, c.Name)
	}
	conf, ok := p.local(c, argv[0])
	if !ok {
		p.t.Fatalf("%s: container %s: config %s is on no volume", p.name, c.Name, argv[0])
	}
	return config.Load(conf, argv[1:])
}
