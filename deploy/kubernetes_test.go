package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// manifests decodes every document of deploy/kubernetes/*.yaml, indexed by
// "Kind/name".
func manifests(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	out := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc == nil {
				continue
			}
			kind, name := str(doc["kind"]), str(y(doc, "metadata", "name"))
			if kind == "Kustomization" {
				for _, r := range strs(doc["resources"]) {
					if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
						t.Errorf("kustomization lists %s: %v", r, err)
					}
				}
				continue
			}
			if kind == "" || name == "" || doc["apiVersion"] == nil {
				t.Fatalf("%s: a document lacks apiVersion, kind or metadata.name", f)
			}
			out[kind+"/"+name] = doc
		}
	}
	return out
}

func need(t *testing.T, m map[string]map[string]any, key string) map[string]any {
	t.Helper()
	d := m[key]
	if d == nil {
		t.Fatalf("%s is missing from deploy/kubernetes", key)
	}
	return d
}

// podLabelsMatch checks a selector against the pod template's labels.
func podLabelsMatch(sel, labels any) bool {
	s, _ := sel.(map[string]any)
	l, _ := labels.(map[string]any)
	if len(s) == 0 {
		return false
	}
	for k, v := range s {
		if str(l[k]) != str(v) {
			return false
		}
	}
	return true
}

// checkStatefulSet verifies what both StatefulSets need: a headless
// Service of serviceName that publishes not-ready pods, selectors that
// match, volume claims and mounts that agree, and a PDB.
func checkStatefulSet(t *testing.T, m map[string]map[string]any, name string) (sts, svc map[string]any) {
	sts = need(t, m, "StatefulSet/"+name)
	labels := y(sts, "spec", "template", "metadata", "labels")
	if !podLabelsMatch(y(sts, "spec", "selector", "matchLabels"), labels) {
		t.Errorf("StatefulSet/%s: selector does not match its pod labels", name)
	}
	svcName := str(y(sts, "spec", "serviceName"))
	svc = need(t, m, "Service/"+svcName)
	if str(y(svc, "spec", "clusterIP")) != "None" || str(y(svc, "spec", "publishNotReadyAddresses")) != "true" {
		t.Errorf("Service/%s must be headless and publish not-ready addresses", svcName)
	}
	if !podLabelsMatch(y(svc, "spec", "selector"), labels) {
		t.Errorf("Service/%s does not select the %s pods", svcName, name)
	}
	if str(y(sts, "spec", "podManagementPolicy")) != "Parallel" {
		t.Errorf("StatefulSet/%s: podManagementPolicy must be Parallel (pods need each other to become ready)", name)
	}
	if ns := str(y(sts, "metadata", "namespace")); ns == "" || m["Namespace/"+ns] == nil {
		t.Errorf("StatefulSet/%s: namespace %q is not created", name, ns)
	}
	claims := map[string]bool{}
	for i := 0; y(sts, "spec", "volumeClaimTemplates", i) != nil; i++ {
		claims[str(y(sts, "spec", "volumeClaimTemplates", i, "metadata", "name"))] = true
	}
	vols := map[string]any{}
	for i := 0; y(sts, "spec", "template", "spec", "volumes", i) != nil; i++ {
		v := y(sts, "spec", "template", "spec", "volumes", i)
		vols[str(y(v, "name"))] = v
	}
	c := y(sts, "spec", "template", "spec", "containers", 0)
	for i := 0; y(c, "volumeMounts", i) != nil; i++ {
		vm := str(y(c, "volumeMounts", i, "name"))
		if !claims[vm] && vols[vm] == nil {
			t.Errorf("StatefulSet/%s mounts unknown volume %s", name, vm)
		}
		if cm := str(y(vols[vm], "configMap", "name")); cm != "" {
			if m["ConfigMap/"+cm] == nil {
				t.Errorf("StatefulSet/%s mounts missing ConfigMap/%s", name, cm)
			}
			if str(y(c, "volumeMounts", i, "readOnly")) != "true" {
				t.Errorf("StatefulSet/%s mounts ConfigMap/%s writable", name, cm)
			}
		}
	}
	if len(claims) == 0 {
		t.Errorf("StatefulSet/%s has no PersistentVolumeClaim template", name)
	}
	pdb := need(t, m, "PodDisruptionBudget/"+name)
	if !podLabelsMatch(y(pdb, "spec", "selector", "matchLabels"), labels) || str(y(pdb, "spec", "maxUnavailable")) != "1" {
		t.Errorf("PodDisruptionBudget/%s must select the pods with maxUnavailable 1", name)
	}
	return sts, svc
}

func TestKubernetesManifests(t *testing.T) {
	m := manifests(t)
	rsts, rsvc := checkStatefulSet(t, m, "redis")
	sts, svc := checkStatefulSet(t, m, "raftinel")
	ns := str(y(sts, "metadata", "namespace"))
	c := y(sts, "spec", "template", "spec", "containers", 0)
	// The config as each pod loads it: the ConfigMap file plus the args,
	// with the downward-API variables the pod gets.
	var confMount string
	for i := 0; y(c, "volumeMounts", i) != nil; i++ {
		if str(y(c, "volumeMounts", i, "name")) == "config" {
			confMount = str(y(c, "volumeMounts", i, "mountPath"))
		}
	}
	cmName := ""
	for i := 0; y(sts, "spec", "template", "spec", "volumes", i) != nil; i++ {
		if v := y(sts, "spec", "template", "spec", "volumes", i); str(y(v, "name")) == "config" {
			cmName = str(y(v, "configMap", "name"))
		}
	}
	data, _ := y(need(t, m, "ConfigMap/"+cmName), "data").(map[string]any)
	args := strs(y(c, "args"))
	if len(args) == 0 || filepath.Dir(args[0]) != confMount || data[filepath.Base(args[0])] == nil {
		t.Fatalf("args %v do not start with a file of ConfigMap/%s mounted at %s", args, cmName, confMount)
	}
	env := map[string]string{}
	for i := 0; y(c, "env", i) != nil; i++ {
		env[str(y(c, "env", i, "name"))] = str(y(c, "env", i, "valueFrom", "fieldRef", "fieldPath"))
	}
	if env["POD_NAME"] != "metadata.name" || env["POD_NAMESPACE"] != "metadata.namespace" {
		t.Fatalf("env %v: POD_NAME and POD_NAMESPACE must come from the downward API", env)
	}
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(conf, []byte(str(data[filepath.Base(args[0])])), 0o644); err != nil {
		t.Fatal(err)
	}
	replicas, _ := y(sts, "spec", "replicas").(int)
	httpPort := 0
	for i := 0; i < replicas; i++ {
		pod := "raftinel-" + strconv.Itoa(i)
		var podArgs []string
		for _, a := range args[1:] {
			podArgs = append(podArgs, strings.NewReplacer("$(POD_NAME)", pod, "$(POD_NAMESPACE)", ns).Replace(a))
		}
		cfg := loadConf(t, conf, podArgs)
		want := pod + "." + str(y(svc, "metadata", "name")) + "." + ns + ".svc.cluster.local:" + strconv.Itoa(cfg.Port)
		if cfg.RaftAddr() != want {
			t.Errorf("%s announces %s, want its stable name %s", pod, cfg.RaftAddr(), want)
		}
		if len(cfg.Raft.Peers) != replicas || cfg.Raft.Peers[i] != want {
			t.Errorf("%s: raft-peers %v must list the %d pods in order", pod, cfg.Raft.Peers, replicas)
		}
		if !cfg.ResolveHostnames || !cfg.AnnounceHostnames {
			t.Errorf("%s: resolve-hostnames and announce-hostnames must be yes", pod)
		}
		// The monitored master is redis-0 by its stable name.
		redisHost := "redis-0." + str(y(rsvc, "metadata", "name")) + "." + ns + ".svc.cluster.local"
		if len(cfg.Masters) != 1 || cfg.Masters[0].Host != redisHost || !servicePort(rsvc, cfg.Masters[0].Port) {
			t.Errorf("%s monitors %+v, want %s on a port of Service/redis", pod, cfg.Masters, redisHost)
		}
		if !servicePort(svc, cfg.Port) || !containerPort(c, cfg.Port) {
			t.Errorf("port %d is not exposed by the Service and the container", cfg.Port)
		}
		httpPort = cfg.HTTPPort
		for j := 0; y(c, "volumeMounts", j) != nil; j++ {
			if str(y(c, "volumeMounts", j, "name")) == "data" && str(y(c, "volumeMounts", j, "mountPath")) != cfg.Dir {
				t.Errorf("dir %s is not the data volume's mount point", cfg.Dir)
			}
		}
	}
	if replicas != 3 {
		t.Errorf("raftinel replicas = %d, want 3", replicas)
	}
	if httpPort == 0 || !containerPort(c, httpPort) {
		t.Fatalf("http-port %d is not set or not a container port", httpPort)
	}
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if str(y(c, probe, "httpGet", "path")) != path || str(y(c, probe, "httpGet", "port")) != strconv.Itoa(httpPort) {
			t.Errorf("%s must be GET %s on the http-port %d", probe, path, httpPort)
		}
	}
	if rr, _ := y(rsts, "spec", "replicas").(int); rr != 3 {
		t.Errorf("redis replicas = %d, want a master and two replicas", rr)
	}
	if y(rsts, "spec", "template", "spec", "containers", 0, "readinessProbe") == nil {
		t.Error("redis has no readiness probe")
	}
	if sc := y(sts, "spec", "template", "spec", "securityContext"); str(y(sc, "runAsNonRoot")) != "true" {
		t.Error("raftinel pods must run as non-root")
	}
}

func servicePort(svc any, port int) bool {
	for i := 0; y(svc, "spec", "ports", i) != nil; i++ {
		if str(y(svc, "spec", "ports", i, "port")) == strconv.Itoa(port) {
			return true
		}
	}
	return false
}

func containerPort(c any, port int) bool {
	var ports []string
	for i := 0; y(c, "ports", i) != nil; i++ {
		ports = append(ports, str(y(c, "ports", i, "containerPort")))
	}
	return slices.Contains(ports, strconv.Itoa(port))
}
