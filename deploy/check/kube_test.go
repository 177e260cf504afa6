package check

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
)

// strictDecoder decodes YAML into the typed Kubernetes objects (built-in
// kinds and the Prometheus Operator's ServiceMonitor) the way the API
// server does with strict field validation: an unknown or duplicated field,
// a field in the wrong case or of the wrong type is an error.
var strictDecoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientscheme.AddToScheme, monitoringv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

// object is one decoded document.
type object struct {
	Kind, Name, Namespace string
	Obj                   runtime.Object
}

// objects is a set of decoded documents, in order.
type objects []object

// decodeAll decodes every document of a YAML stream strictly; what fails
// is reported against source.
func decodeAll(t *testing.T, source string, data []byte) objects {
	t.Helper()
	var out objects
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", source, i, err)
		}
		var probe map[string]any
		if err := utilyaml.Unmarshal(doc, &probe); err != nil {
			t.Fatalf("%s: document %d: %v", source, i, err)
		}
		if len(probe) == 0 {
			continue // only comments
		}
		obj, gvk, err := strictDecoder.Decode(doc, nil, nil)
		if err != nil {
			t.Errorf("%s: document %d (%s/%s): %v", source, i, probe["kind"], name(probe), err)
			continue
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, object{Kind: gvk.Kind, Name: m.GetName(), Namespace: m.GetNamespace(), Obj: obj})
	}
}

func name(doc map[string]any) any {
	m, _ := doc["metadata"].(map[string]any)
	return m["name"]
}

// get returns the object of that kind and name as T, or fails the test.
func get[T runtime.Object](t *testing.T, objs objects, kind, name string) T {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			v, ok := o.Obj.(T)
			if !ok {
				t.Fatalf("%s/%s is a %T", kind, name, o.Obj)
			}
			return v
		}
	}
	var zero T
	t.Fatalf("%s/%s is missing (have %v)", kind, name, objs.keys())
	return zero
}

// all returns every object of type T.
func all[T runtime.Object](objs objects) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.Obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (objs objects) keys() []string {
	var k []string
	for _, o := range objs {
		k = append(k, o.Kind+"/"+o.Name)
	}
	return k
}
