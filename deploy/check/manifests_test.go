package check

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

const kubeDir = "../kubernetes"

// manifests decodes every resource that deploy/kubernetes/kustomization.yaml
// lists (it has no transformers, so this is what `kubectl apply -k` sends).
func manifests(t *testing.T) objects {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(kubeDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v (only resources are expected: anything else would change what is applied)", err)
	}
	var objs objects
	for _, r := range k.Resources {
		data, err := os.ReadFile(filepath.Join(kubeDir, r))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, decodeAll(t, r, data)...)
	}
	return objs
}

// allBytes is a raft-secret with every byte value, newline, quotes and
// backslash included: write-config.sh must carry it unchanged.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestManifests(t *testing.T) {
	objs := manifests(t)
	validate(t, objs)
	for _, o := range objs {
		if o.Namespace != "" || o.Kind == "Namespace" {
			t.Errorf("%s/%s names a namespace: the manifests take it from the context (kubectl -n)", o.Kind, o.Name)
		}
	}
	// No namespace written in any text either: DNS names are built from
	// the pod's own namespace.
	svcName := regexp.MustCompile(`[^\s."]+\.svc\.`)
	for _, cm := range all[*corev1.ConfigMap](objs) {
		for k, v := range cm.Data {
			for _, m := range svcName.FindAllString(v, -1) {
				if m != "@POD_NAMESPACE@.svc." && m != "$POD_NAMESPACE.svc." {
					t.Errorf("ConfigMap/%s %s: %q: the namespace must come from the pod", cm.Name, k, m)
				}
			}
		}
	}
	if script, err := os.ReadFile("../helm/raftinel/files/write-config.sh"); err != nil {
		t.Fatal(err)
	} else if got := get[*corev1.ConfigMap](t, objs, "ConfigMap", "raftinel-config").Data["write-config.sh"]; got != string(script) {
		t.Error("ConfigMap/raftinel-config write-config.sh differs from deploy/helm/raftinel/files/write-config.sh: keep one script")
	}

	for _, ns := range []string{"shop", "raftinel-prod"} {
		t.Run(ns, func(t *testing.T) {
			secret := allBytes()
			cfgs := checkRaftinel(t, objs, raftinelWant{
				sts: "raftinel", ns: ns, domain: "cluster.local", replicas: 3, pdbMax: 1,
				secrets: map[string]map[string][]byte{"raftinel-raft-secret": {"raft-secret": secret}},
				secret:  secret,
			})
			// The monitored master is redis-0 by its stable name, in the
			// same namespace, on a port of the redis Service.
			redisSvc := get[*corev1.Service](t, objs, "Service", "redis")
			for i, c := range cfgs {
				if len(c.Masters) != 1 || c.Masters[0].Host != "redis-0.redis."+ns+".svc.cluster.local" || !servicePort(redisSvc, c.Masters[0].Port) {
					t.Errorf("raftinel-%d monitors %+v, want redis-0.redis.%s.svc.cluster.local on a port of Service/redis", i, c.Masters, ns)
				}
			}
		})
	}

	// Redis: three pods behind a headless Service that publishes not-ready
	// addresses, with a readiness probe and a PDB; the start script reads
	// its namespace from the downward API.
	redis := get[*appsv1.StatefulSet](t, objs, "StatefulSet", "redis")
	if redis.Spec.Replicas == nil || *redis.Spec.Replicas != 3 || redis.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Error("StatefulSet/redis: want 3 replicas (a master and two replicas), Parallel")
	}
	rsvc := get[*corev1.Service](t, objs, "Service", redis.Spec.ServiceName)
	if rsvc.Spec.ClusterIP != corev1.ClusterIPNone || !rsvc.Spec.PublishNotReadyAddresses ||
		!labels.SelectorFromSet(rsvc.Spec.Selector).Matches(labels.Set(redis.Spec.Template.Labels)) {
		t.Errorf("Service/%s must be headless, publish not-ready addresses and select the redis pods", rsvc.Name)
	}
	rc := container(t, redis.Spec.Template.Spec.Containers, "redis")
	if rc.ReadinessProbe == nil {
		t.Error("redis has no readiness probe")
	}
	p := newPod(t, objs, redis, 0, "shop", nil)
	if p.env(rc)["POD_NAMESPACE"] != "shop" {
		t.Error("redis: POD_NAMESPACE must come from the downward API")
	}
	if get[*corev1.ConfigMap](t, objs, "ConfigMap", "redis-start").Data["start.sh"] == "" {
		t.Error("ConfigMap/redis-start has no start.sh")
	}
}

// A Secret without a usable raft-secret stops the pod in Init with a
// message that names the problem, instead of starting a node without it.
func TestManifestsEmptySecret(t *testing.T) {
	objs := manifests(t)
	sts := get[*appsv1.StatefulSet](t, objs, "StatefulSet", "raftinel")
	p := newPod(t, objs, sts, 0, "shop", map[string]map[string][]byte{"raftinel-raft-secret": {"raft-secret": nil}})
	err := p.runInit(busybox(t))
	if err == nil || !strings.Contains(err.Error(), "missing or empty") {
		t.Fatalf("init with an empty raft-secret: %v, want a failure naming it", err)
	}
}
