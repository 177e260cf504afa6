package check

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/config"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// raftinelWant describes the raftinel deployment under test.
type raftinelWant struct {
	sts      string                       // StatefulSet name
	ns       string                       // namespace the pods run in
	domain   string                       // cluster DNS domain
	replicas int                          // nodes
	secrets  map[string]map[string][]byte // Secrets that exist: name -> key -> value
	secret   []byte                       // the raft-secret every node must end up with
	pdbMax   int                          // the PDB's maxUnavailable; -1: no PDB
}

// checkRaftinel checks the raftinel StatefulSet in objs, its Services and
// PDB, and how the raft-secret reaches the nodes, then simulates every pod
// (its init container under busybox sh) and loads each node's config as
// the node does. It returns the configs, pod by pod.
func checkRaftinel(t *testing.T, objs objects, w raftinelWant) []*config.Config {
	t.Helper()
	sts := get[*appsv1.StatefulSet](t, objs, "StatefulSet", w.sts)
	pod := &sts.Spec.Template.Spec
	podLabels := labels.Set(sts.Spec.Template.Labels)
	if sts.Spec.Replicas == nil || int(*sts.Spec.Replicas) != w.replicas {
		t.Fatalf("StatefulSet/%s: replicas %v, want %d", sts.Name, sts.Spec.Replicas, w.replicas)
	}
	if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("StatefulSet/%s: podManagementPolicy must be Parallel (a lone pod never becomes ready)", sts.Name)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("StatefulSet/%s: pods must run as non-root", sts.Name)
	}
	headless := get[*corev1.Service](t, objs, "Service", sts.Spec.ServiceName)
	if headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service/%s must be headless and publish not-ready addresses (peers resolve each other before any is ready)", headless.Name)
	}
	if !labels.SelectorFromSet(headless.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service/%s does not select the pods", headless.Name)
	}
	main, init := container(t, pod.Containers, "raftinel"), container(t, pod.InitContainers, "config")

	checkSecretPath(t, objs, sts, main, init)

	// Every pod, as it starts.
	var cfgs []*config.Config
	var self []string
	for i := 0; i < w.replicas; i++ {
		self = append(self, fmt.Sprintf("%s-%d.%s.%s.svc.%s", sts.Name, i, headless.Name, w.ns, w.domain))
	}
	for i := 0; i < w.replicas; i++ {
		p := newPod(t, objs, sts, i, w.ns, w.secrets)
		if err := p.runInit(busybox(t)); err != nil {
			t.Fatalf("%s: init: %v", p.name, err)
		}
		c, err := p.load(main)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		cfgs = append(cfgs, c)
		port := fmt.Sprint(c.Port)
		if c.RaftAddr() != self[i]+":"+port {
			t.Errorf("%s announces %s, want its stable name %s:%s", p.name, c.RaftAddr(), self[i], port)
		}
		var want []string
		for _, s := range self {
			want = append(want, s+":"+port)
		}
		if !slices.Equal(c.Raft.Peers, want) {
			t.Errorf("%s: raft-peers %v, want every pod %v", p.name, c.Raft.Peers, want)
		}
		if !c.ResolveHostnames || !c.AnnounceHostnames {
			t.Errorf("%s: resolve-hostnames and announce-hostnames must be yes", p.name)
		}
		if !bytes.Equal([]byte(c.Raft.Secret), w.secret) {
			t.Errorf("%s: raft-secret %q, want the Secret's %q", p.name, c.Raft.Secret, w.secret)
		}
		if cp := findPort(main, intstr.FromString("sentinel")); cp == nil || int(cp.ContainerPort) != c.Port || !servicePort(headless, c.Port) {
			t.Errorf("%s: port %d is not the container port sentinel and a port of Service/%s", p.name, c.Port, headless.Name)
		}
		http := findPort(main, intstr.FromString("http"))
		if c.HTTPPort == 0 || http == nil || int(http.ContainerPort) != c.HTTPPort {
			t.Errorf("%s: http-port %d is not the container port http", p.name, c.HTTPPort)
		}
		for _, pr := range []struct {
			probe *corev1.Probe
			path  string
		}{{main.LivenessProbe, "/healthz"}, {main.ReadinessProbe, "/readyz"}} {
			if pr.probe == nil || pr.probe.HTTPGet == nil || pr.probe.HTTPGet.Path != pr.path ||
				findPort(main, pr.probe.HTTPGet.Port) == nil || int(findPort(main, pr.probe.HTTPGet.Port).ContainerPort) != c.HTTPPort {
				t.Errorf("%s: want a probe GET %s on http-port %d", p.name, pr.path, c.HTTPPort)
			}
		}
		if m := mountAt(main, c.Dir); m == nil || !claimed(sts, m.Name) {
			t.Errorf("%s: dir %s is not on a PersistentVolumeClaim", p.name, c.Dir)
		}
	}

	var pdbs []*policyv1.PodDisruptionBudget
	for _, pdb := range all[*policyv1.PodDisruptionBudget](objs) {
		if pdb.Spec.Selector != nil && selects(pdb.Spec.Selector.MatchLabels, podLabels) {
			pdbs = append(pdbs, pdb)
		}
	}
	switch {
	case w.pdbMax < 0 && len(pdbs) != 0:
		t.Errorf("want no PodDisruptionBudget of the raftinel pods, have %d", len(pdbs))
	case w.pdbMax >= 0 && (len(pdbs) != 1 || pdbs[0].Spec.MaxUnavailable == nil || pdbs[0].Spec.MaxUnavailable.IntValue() != w.pdbMax):
		t.Errorf("want one PodDisruptionBudget of the raftinel pods with maxUnavailable %d, have %d", w.pdbMax, len(pdbs))
	}
	return cfgs
}

// checkSecretPath checks that the raft-secret reaches the node only
// through files: a Secret volume mounted in the init container alone, and
// the config it writes on a memory-backed emptyDir that the node mounts
// read-only. No environment variable, command line or ConfigMap holds it.
func checkSecretPath(t *testing.T, objs objects, sts *appsv1.StatefulSet, main, init *corev1.Container) {
	t.Helper()
	pod := &sts.Spec.Template.Spec
	secretVols := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			secretVols[v.Name] = true
		}
	}
	if len(secretVols) == 0 {
		t.Errorf("StatefulSet/%s mounts no Secret: where would raft-secret come from?", sts.Name)
	}
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				t.Errorf("container %s: env %s comes from a Secret (visible in /proc/*/environ of every process it starts)", c.Name, e.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				t.Errorf("container %s: envFrom a Secret", c.Name)
			}
		}
		for _, a := range append(append([]string{}, c.Command...), c.Args...) {
			if strings.Contains(a, "raft-secret") && !strings.HasPrefix(a, "/") {
				t.Errorf("container %s: argument %q: the secret must not be on a command line", c.Name, a)
			}
		}
		for _, m := range c.VolumeMounts {
			if secretVols[m.Name] && c.Name != init.Name {
				t.Errorf("container %s mounts Secret volume %s: only the init container needs it", c.Name, m.Name)
			}
			if secretVols[m.Name] && !m.ReadOnly {
				t.Errorf("container %s mounts Secret volume %s writable", c.Name, m.Name)
			}
		}
	}
	for _, cm := range all[*corev1.ConfigMap](objs) {
		for k, v := range cm.Data {
			for _, line := range strings.Split(v, "\n") {
				if f := strings.Fields(line); len(f) > 0 && f[0] == "raft-secret" {
					t.Errorf("ConfigMap/%s %s has a raft-secret line", cm.Name, k)
				}
			}
		}
	}
	if len(main.Args) == 0 {
		t.Fatalf("container %s has no args", main.Name)
	}
	confMount := mountAt(main, main.Args[0])
	if confMount == nil || !confMount.ReadOnly {
		t.Fatalf("container %s: its config %s must be on a read-only mount", main.Name, main.Args[0])
	}
	var confVol *corev1.Volume
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == confMount.Name {
			confVol = &pod.Volumes[i]
		}
	}
	if confVol == nil || confVol.EmptyDir == nil || confVol.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("the written config (volume %s) must be a memory-backed emptyDir: it holds the secret", confMount.Name)
	}
	if m := mountAt(init, main.Args[0]); m == nil || m.Name != confMount.Name || m.ReadOnly {
		t.Errorf("init container %s must write %s (volume %s)", init.Name, main.Args[0], confMount.Name)
	}
}

func container(t *testing.T, cs []corev1.Container, name string) *corev1.Container {
	t.Helper()
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

// mountAt returns the mount that holds path in container c.
func mountAt(c *corev1.Container, p string) *corev1.VolumeMount {
	var points []string
	for _, m := range c.VolumeMounts {
		points = append(points, m.MountPath)
	}
	if i := under(p, points); i >= 0 {
		return &c.VolumeMounts[i]
	}
	return nil
}

// under returns the index of the mount point that holds path (the
// longest one), or -1.
func under(path string, points []string) int {
	best := -1
	for i, m := range points {
		rel, err := filepath.Rel(m, path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || (best >= 0 && len(m) <= len(points[best])) {
			continue
		}
		best = i
	}
	return best
}

func claimed(sts *appsv1.StatefulSet, volume string) bool {
	for _, c := range sts.Spec.VolumeClaimTemplates {
		if c.Name == volume {
			return true
		}
	}
	return false
}

func servicePort(s *corev1.Service, port int) bool {
	for _, p := range s.Spec.Ports {
		if int(p.Port) == port {
			return true
		}
	}
	return false
}

func selects(sel map[string]string, l labels.Set) bool {
	return len(sel) > 0 && labels.SelectorFromSet(sel).Matches(l)
}
