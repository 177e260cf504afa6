package check

import (
	"context"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

const chartDir = "../helm/raftinel"

// fullValues sets every option the chart has: 5 nodes, the user's own
// Secrets, masters, a ServiceMonitor, another cluster domain.
const fullValues = `
replicaCount: 5
clusterDomain: k8s.example.internal
raftSecret: {existingSecret: my-raft, key: token}
secretConfig: {existingSecret: my-conf, key: secret.conf}
masters:
  - {name: mymaster, host: redis-0.redis.shop.svc.k8s.example.internal, port: 6379, quorum: 3,
     downAfterMilliseconds: 5000, failoverTimeout: 60000, parallelSyncs: 2}
  - {name: cache, host: cache.shop.svc.k8s.example.internal, port: 6380, quorum: 2}
extraConfig: |
  raft-stale-after 3000
serviceMonitor: {enabled: true, interval: 15s, labels: {release: prometheus}}
podAnnotations: {example.com/team: cache}
resources: {requests: {cpu: 100m, memory: 128Mi}}
persistence: {size: 2Gi, storageClass: fast}
`

func values(t *testing.T, y string) map[string]any {
	t.Helper()
	v := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// renderFiles renders the chart as `helm template` does (release "demo"),
// or as `helm install` does when cluster is given: lookup then finds the
// Secrets in it.
func renderFiles(t *testing.T, vals map[string]any, ns string, cluster map[string]*unstructured.Unstructured) (map[string]string, error) {
	t.Helper()
	ch := loadChart(t)
	caps := common.DefaultCapabilities.Copy()
	caps.APIVersions = append(caps.APIVersions, "monitoring.coreos.com/v1")
	rv, err := util.ToRenderValuesWithSchemaValidation(ch, vals, common.ReleaseOptions{Name: "demo", Namespace: ns, Revision: 1, IsInstall: true}, caps, false)
	if err != nil {
		return nil, err
	}
	if cluster == nil {
		return engine.Render(ch, rv)
	}
	return engine.RenderWithClientProvider(ch, rv, fakeCluster(cluster))
}

// render renders and strictly decodes every object; it returns them and
// NOTES.txt.
func render(t *testing.T, vals map[string]any, ns string, cluster map[string]*unstructured.Unstructured) (objects, string) {
	t.Helper()
	files, err := renderFiles(t, vals, ns, cluster)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var objs objects
	notes := ""
	for _, n := range names {
		if strings.HasSuffix(n, "NOTES.txt") {
			notes = files[n]
			continue
		}
		objs = append(objs, decodeAll(t, n, []byte(files[n]))...)
	}
	validate(t, objs)
	for _, o := range objs {
		if o.Namespace != ns {
			t.Errorf("%s/%s is in namespace %q, want the release's %q", o.Kind, o.Name, o.Namespace, ns)
		}
	}
	return objs, notes
}

// TestHelmLint is `helm lint --strict`: no error and no warning, with the
// default values and with every option set.
func TestHelmLint(t *testing.T) {
	for name, vals := range map[string]string{"defaults": "", "full": fullValues} {
		l := lint.RunAll(chartDir, values(t, vals), "shop")
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("lint (%s): %s", name, m)
			} else {
				t.Logf("lint (%s): %s", name, m)
			}
		}
	}
}

func TestHelmDefaults(t *testing.T) {
	objs, notes := render(t, nil, "shop", nil)
	// The generated Secret: random, kept on uninstall.
	sec := get[*corev1.Secret](t, objs, "Secret", "demo-raftinel-raft-secret")
	secret := sec.Data["raft-secret"]
	if !regexp.MustCompile(`^[A-Za-z0-9]{48}$`).Match(secret) {
		t.Errorf("generated raft-secret %q: want 48 random letters and digits", secret)
	}
	if sec.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("the generated Secret must be kept on uninstall, as the nodes' volumes are")
	}
	cfgs := checkRaftinel(t, objs, raftinelWant{
		sts: "demo-raftinel", ns: "shop", domain: "cluster.local", replicas: 3, pdbMax: 1,
		secrets: map[string]map[string][]byte{sec.Name: sec.Data}, secret: secret,
	})
	for _, c := range cfgs {
		if len(c.Masters) != 0 {
			t.Errorf("masters %+v, want none by default", c.Masters)
		}
	}
	if len(all[*monitoringv1.ServiceMonitor](objs)) != 0 {
		t.Error("a ServiceMonitor is rendered by default: it needs the Prometheus Operator's CRD")
	}
	if !strings.Contains(notes, "demo-raftinel-0.demo-raftinel-headless.shop.svc.cluster.local:26379") {
		t.Errorf("NOTES.txt does not list the nodes' addresses:\n%s", notes)
	}
}

func TestHelmFullValues(t *testing.T) {
	objs, _ := render(t, values(t, fullValues), "shop", nil)
	for _, s := range all[*corev1.Secret](objs) {
		t.Errorf("Secret/%s rendered: existingSecret names the user's own", s.Name)
	}
	secret := []byte("not \"quoted\"\n")
	cfgs := checkRaftinel(t, objs, raftinelWant{
		sts: "demo-raftinel", ns: "shop", domain: "k8s.example.internal", replicas: 5, pdbMax: 2,
		secrets: map[string]map[string][]byte{
			"my-raft": {"token": secret},
			"my-conf": {"secret.conf": []byte("requirepass s3cret\nsentinel auth-pass mymaster r3dis")},
		},
		secret: secret,
	})
	for i, c := range cfgs {
		if len(c.Masters) != 2 {
			t.Fatalf("node %d: masters %+v", i, c.Masters)
		}
		m := c.Masters[0]
		if m.Name != "mymaster" || m.Host != "redis-0.redis.shop.svc.k8s.example.internal" || m.Port != 6379 || m.Quorum != 3 ||
			m.DownAfter != 5*time.Second || m.FailoverTimeout != time.Minute || m.ParallelSyncs != 2 || m.AuthPass != "r3dis" {
			t.Errorf("node %d: master %+v", i, m)
		}
		if m := c.Masters[1]; m.Name != "cache" || m.Port != 6380 || m.Quorum != 2 {
			t.Errorf("node %d: master %+v", i, m)
		}
		if c.RequirePass != "s3cret" || c.Raft.StaleAfter != 3*time.Second {
			t.Errorf("node %d: secretConfig or extraConfig lines not applied", i)
		}
	}
	sm := get[*monitoringv1.ServiceMonitor](t, objs, "ServiceMonitor", "demo-raftinel")
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Path != "/metrics" || sm.Spec.Endpoints[0].Port != "http" ||
		string(sm.Spec.Endpoints[0].Interval) != "15s" || sm.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor: %+v %v", sm.Spec.Endpoints, sm.Labels)
	}
	for _, cm := range all[*corev1.ConfigMap](objs) {
		if strings.Contains(strings.Join(mapValues(cm.Data), ""), "s3cret") {
			t.Errorf("ConfigMap/%s holds secretConfig", cm.Name)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// One node: no PDB (it could only forbid every drain).
func TestHelmSingleNode(t *testing.T) {
	objs, _ := render(t, values(t, "replicaCount: 1"), "shop", nil)
	sec := get[*corev1.Secret](t, objs, "Secret", "demo-raftinel-raft-secret")
	checkRaftinel(t, objs, raftinelWant{
		sts: "demo-raftinel", ns: "shop", domain: "cluster.local", replicas: 1, pdbMax: -1,
		secrets: map[string]map[string][]byte{sec.Name: sec.Data}, secret: sec.Data["raft-secret"],
	})
}

// The generated secret is made once: an install or upgrade that finds the
// Secret (lookup) keeps its value; `helm template`, which cannot look up,
// makes a new one each time (hence existingSecret for GitOps).
func TestHelmSecretKeptOnUpgrade(t *testing.T) {
	existing := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "demo-raftinel-raft-secret", "namespace": "shop"},
		"data":     map[string]any{"raft-secret": base64.StdEncoding.EncodeToString([]byte("kept-value"))},
	}}
	objs, _ := render(t, nil, "shop", map[string]*unstructured.Unstructured{"demo-raftinel-raft-secret": existing})
	if got := get[*corev1.Secret](t, objs, "Secret", "demo-raftinel-raft-secret").Data["raft-secret"]; string(got) != "kept-value" {
		t.Errorf("upgrade: raft-secret %q, want the existing Secret's value kept", got)
	}
	fresh, _ := render(t, nil, "shop", map[string]*unstructured.Unstructured{})
	again, _ := render(t, nil, "shop", nil)
	a := get[*corev1.Secret](t, fresh, "Secret", "demo-raftinel-raft-secret").Data["raft-secret"]
	b := get[*corev1.Secret](t, again, "Secret", "demo-raftinel-raft-secret").Data["raft-secret"]
	if string(a) == "kept-value" || string(a) == string(b) {
		t.Errorf("first install: raft-secret %q and %q, want two fresh random values", a, b)
	}
}

// values.schema.json refuses what would render a broken config.
func TestHelmSchemaRefuses(t *testing.T) {
	for _, bad := range []string{
		"replicaCount: 0",
		"replicaCount: three",
		"masters: [{name: my master, host: h, port: 6379, quorum: 2}]",
		"masters: [{name: m, host: h, port: 70000, quorum: 2}]",
		"masters: [{name: m, host: h, port: 6379}]",
		"raftSecret: {existingSecret: x, key: ''}",
		"replicas: 3",
		"clusterDomain: Cluster.Local",
	} {
		if _, err := renderFiles(t, values(t, bad), "shop", nil); err == nil {
			t.Errorf("values %q accepted", bad)
		}
	}
}

// fakeCluster answers the chart's lookups from a set of Secrets.
type fakeCluster map[string]*unstructured.Unstructured

func (f fakeCluster) GetClientFor(apiVersion, kind string) (dynamic.NamespaceableResourceInterface, bool, error) {
	return fakeResource{objs: f}, true, nil
}

type fakeResource struct {
	dynamic.NamespaceableResourceInterface // only Get is used
	objs                                   fakeCluster
}

func (r fakeResource) Namespace(string) dynamic.ResourceInterface { return r }

func (r fakeResource) Get(_ context.Context, name string, _ metav1.GetOptions, _ ...string) (*unstructured.Unstructured, error) {
	if o, ok := r.objs[name]; ok {
		return o, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}
