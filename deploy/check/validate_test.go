package check

import (
	"fmt"
	"path"
	"reflect"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validate checks what the API server would refuse and strict decoding
// does not catch (names, labels, required fields, references inside an
// object), and the references between objects: every selector selects
// pods, every probe and ServiceMonitor names a port that exists.
func validate(t *testing.T, objs objects) {
	t.Helper()
	errf := func(o object, format string, args ...any) {
		t.Helper()
		t.Errorf("%s/%s: %s", o.Kind, o.Name, fmt.Sprintf(format, args...))
	}
	seen := map[string]bool{}
	for _, o := range objs {
		if seen[o.Kind+"/"+o.Name] {
			errf(o, "defined twice")
		}
		seen[o.Kind+"/"+o.Name] = true
		m, _ := meta.Accessor(o.Obj)
		nameCheck := validation.IsDNS1123Subdomain
		if o.Kind == "Service" {
			nameCheck = validation.IsDNS1035Label
		}
		for _, e := range nameCheck(o.Name) {
			errf(o, "name: %s", e)
		}
		for k, v := range m.GetLabels() {
			for _, e := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				errf(o, "label %s=%s: %s", k, v, e)
			}
		}
		for k := range m.GetAnnotations() {
			for _, e := range validation.IsQualifiedName(strings.ToLower(k)) {
				errf(o, "annotation %s: %s", k, e)
			}
		}
		switch x := o.Obj.(type) {
		case *corev1.ConfigMap:
			for k := range x.Data {
				for _, e := range validation.IsConfigMapKey(k) {
					errf(o, "key %s: %s", k, e)
				}
			}
		case *corev1.Service:
			if len(x.Spec.Selector) == 0 {
				errf(o, "no selector")
			}
			if len(x.Spec.Ports) == 0 {
				errf(o, "no ports")
			}
			for _, p := range x.Spec.Ports {
				if len(x.Spec.Ports) > 1 && p.Name == "" {
					errf(o, "port %d needs a name", p.Port)
				}
				if p.Name != "" {
					for _, e := range validation.IsValidPortName(p.Name) {
						errf(o, "port name %s: %s", p.Name, e)
					}
				}
				for _, e := range validation.IsValidPortNum(int(p.Port)) {
					errf(o, "port %d: %s", p.Port, e)
				}
			}
			if len(podsSelectedBy(objs, labels.SelectorFromSet(x.Spec.Selector))) == 0 {
				errf(o, "selector %v selects no pod template", x.Spec.Selector)
			}
			for _, p := range x.Spec.Ports {
				for _, ps := range podsSelectedBy(objs, labels.SelectorFromSet(x.Spec.Selector)) {
					if p.TargetPort.Type == intstr.String && findPort(ps, p.TargetPort) == nil {
						errf(o, "targetPort %s is no container port of the pods it selects", p.TargetPort.String())
					}
				}
			}
		case *appsv1.StatefulSet:
			sel, err := metaSelector(x.Spec.Selector)
			if err != nil || sel.Empty() {
				errf(o, "selector %v: %v", x.Spec.Selector, err)
			} else if !sel.Matches(labels.Set(x.Spec.Template.Labels)) {
				errf(o, "selector %v does not match its pod labels %v", x.Spec.Selector, x.Spec.Template.Labels)
			}
			if x.Spec.ServiceName == "" {
				errf(o, "no serviceName")
			}
			claims := map[string]bool{}
			for _, c := range x.Spec.VolumeClaimTemplates {
				claims[c.Name] = true
				if _, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; !ok || len(c.Spec.AccessModes) == 0 {
					errf(o, "volume claim %s needs accessModes and a storage request", c.Name)
				}
			}
			validatePod(t, o, &x.Spec.Template.Spec, claims)
		case *policyv1.PodDisruptionBudget:
			sel, err := metaSelector(x.Spec.Selector)
			if err != nil || sel.Empty() || len(podsSelectedBy(objs, sel)) == 0 {
				errf(o, "selector %v selects no pod template (%v)", x.Spec.Selector, err)
			}
			if (x.Spec.MaxUnavailable == nil) == (x.Spec.MinAvailable == nil) {
				errf(o, "needs exactly one of maxUnavailable and minAvailable")
			}
		case *monitoringv1.ServiceMonitor:
			sel, err := metaSelector(&x.Spec.Selector)
			if err != nil || sel.Empty() {
				errf(o, "selector %v: %v", x.Spec.Selector, err)
				continue
			}
			var svcs []*corev1.Service
			for _, s := range all[*corev1.Service](objs) {
				if sel.Matches(labels.Set(s.Labels)) {
					svcs = append(svcs, s)
				}
			}
			if len(svcs) != 1 {
				errf(o, "selector %v selects %d Services, want 1", x.Spec.Selector, len(svcs))
				continue
			}
			for _, ep := range x.Spec.Endpoints {
				if !servicePortNamed(svcs[0], ep.Port) {
					errf(o, "endpoint port %q is not a port of Service/%s", ep.Port, svcs[0].Name)
				}
				if !strings.HasPrefix(ep.Path, "/") {
					errf(o, "endpoint path %q", ep.Path)
				}
			}
		}
	}
}

// validatePod checks a pod template: containers, ports, env, mounts,
// volumes and probes.
func validatePod(t *testing.T, o object, spec *corev1.PodSpec, claims map[string]bool) {
	t.Helper()
	errf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s/%s: %s", o.Kind, o.Name, fmt.Sprintf(format, args...))
	}
	if len(spec.Containers) == 0 {
		errf("no containers")
	}
	vols := map[string]bool{}
	for _, v := range spec.Volumes {
		if vols[v.Name] || claims[v.Name] {
			errf("volume %s defined twice", v.Name)
		}
		vols[v.Name] = true
		for _, e := range validation.IsDNS1123Label(v.Name) {
			errf("volume %s: %s", v.Name, e)
		}
		if n := setFields(v.VolumeSource); n != 1 {
			errf("volume %s has %d sources, want 1", v.Name, n)
		}
		if s := v.Secret; s != nil && s.DefaultMode != nil && (*s.DefaultMode < 0 || *s.DefaultMode > 0o777) {
			errf("volume %s: defaultMode %o", v.Name, *s.DefaultMode)
		}
		if e := v.EmptyDir; e != nil && e.Medium != corev1.StorageMediumDefault && e.Medium != corev1.StorageMediumMemory {
			errf("volume %s: emptyDir medium %q", v.Name, e.Medium)
		}
	}
	names := map[string]bool{}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if names[c.Name] {
			errf("container %s defined twice", c.Name)
		}
		names[c.Name] = true
		for _, e := range validation.IsDNS1123Label(c.Name) {
			errf("container %s: %s", c.Name, e)
		}
		if c.Image == "" {
			errf("container %s has no image", c.Name)
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			for _, e := range append(validation.IsValidPortName(p.Name), validation.IsValidPortNum(int(p.ContainerPort))...) {
				errf("container %s port %s/%d: %s", c.Name, p.Name, p.ContainerPort, e)
			}
			if ports[p.Name] {
				errf("container %s: port name %s twice", c.Name, p.Name)
			}
			ports[p.Name] = true
		}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				errf("container %s env %s: %s", c.Name, e.Name, msg)
			}
			if f := e.ValueFrom; f != nil && f.FieldRef != nil && !downwardFields[f.FieldRef.FieldPath] {
				errf("container %s env %s: fieldPath %s", c.Name, e.Name, f.FieldRef.FieldPath)
			}
		}
		for _, m := range c.VolumeMounts {
			if !vols[m.Name] && !claims[m.Name] {
				errf("container %s mounts unknown volume %s", c.Name, m.Name)
			}
			if !path.IsAbs(m.MountPath) {
				errf("container %s: mountPath %s is not absolute", c.Name, m.MountPath)
			}
		}
		for what, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
			if p == nil {
				continue
			}
			if n := setFields(p.ProbeHandler); n != 1 {
				errf("container %s %s probe has %d handlers", c.Name, what, n)
			}
			if h := p.HTTPGet; h != nil {
				if findPort(&c, h.Port) == nil {
					errf("container %s %s probe port %s is not a container port", c.Name, what, h.Port.String())
				}
				if !strings.HasPrefix(h.Path, "/") {
					errf("container %s %s probe path %q", c.Name, what, h.Path)
				}
			}
		}
	}
}

// The fieldRef paths the kubelet accepts in env.
var downwardFields = map[string]bool{
	"metadata.name": true, "metadata.namespace": true, "metadata.uid": true, "spec.nodeName": true,
	"spec.serviceAccountName": true, "status.hostIP": true, "status.podIP": true, "status.podIPs": true,
}

// setFields counts the non-nil pointer fields of a struct (the sources of
// a volume, the handlers of a probe).
func setFields(v any) int {
	n := 0
	rv := reflect.ValueOf(v)
	for i := 0; i < rv.NumField(); i++ {
		if f := rv.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			n++
		}
	}
	return n
}

func metaSelector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Nothing(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// podsSelectedBy returns the containers of every pod template whose labels
// the selector matches.
func podsSelectedBy(objs objects, sel labels.Selector) []*corev1.Container {
	var out []*corev1.Container
	for _, s := range all[*appsv1.StatefulSet](objs) {
		if sel.Matches(labels.Set(s.Spec.Template.Labels)) {
			for i := range s.Spec.Template.Spec.Containers {
				out = append(out, &s.Spec.Template.Spec.Containers[i])
			}
		}
	}
	return out
}

// findPort returns the container port a Service targetPort or a probe port
// names (by name or number).
func findPort(c *corev1.Container, p intstr.IntOrString) *corev1.ContainerPort {
	for i, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return &c.Ports[i]
		}
	}
	return nil
}

func servicePortNamed(s *corev1.Service, name string) bool {
	for _, p := range s.Spec.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}
