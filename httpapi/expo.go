package httpapi

import (
	"bytes"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The Prometheus text exposition format 0.0.4, written by hand: the client
// library (client_golang, client_model, protobuf) was most of the binary's
// size and so of an idle node's RSS. A scrape builds every family afresh
// (exposition), then writes them sorted by name, the series of a family
// sorted by label values, as client_golang did.

// contentType is what /metrics answers with.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// desc names one metric family and says what it means.
type desc struct{ name, help string }

// exposition is one scrape's families.
type exposition struct {
	fams map[string]*family
}

type family struct {
	desc
	typ    string
	series []series
}

// series is the text of one labelled series (one line, or the lines of a
// histogram or summary) and the key it sorts by.
type series struct {
	key  string
	text []byte
}

func newExposition() *exposition { return &exposition{fams: map[string]*family{}} }

// family returns the scrape's family d, created on first use.
func (e *exposition) family(d desc, typ string) *family {
	f := e.fams[d.name]
	if f == nil {
		f = &family{desc: d, typ: typ}
		e.fams[d.name] = f
	}
	return f
}

// gauge adds one gauge sample; labels are name, value pairs.
func (e *exposition) gauge(d desc, v float64, labels ...string) {
	e.family(d, "gauge").sample(v, labels...)
}

// counter adds one counter sample; labels are name, value pairs.
func (e *exposition) counter(d desc, v float64, labels ...string) {
	e.family(d, "counter").sample(v, labels...)
}

func (f *family) sample(v float64, labels ...string) {
	var b []byte
	b = appendSample(b, f.name, "", labels, v)
	f.series = append(f.series, series{key: sortKey(labels), text: b})
}

// histogram adds an unlabelled histogram: cumulative buckets up to +Inf,
// then _sum and _count.
func (e *exposition) histogram(d desc, h *histogram) {
	counts, sum := h.snapshot()
	var b []byte
	var cum uint64
	for i, n := range counts {
		cum += n
		le := math.Inf(1)
		if i < len(h.bounds) {
			le = h.bounds[i]
		}
		b = appendCount(b, d.name, "_bucket", []string{"le", formatFloat(le)}, cum)
	}
	b = appendSample(b, d.name, "_sum", nil, sum)
	b = appendCount(b, d.name, "_count", nil, cum)
	f := e.family(d, "histogram")
	f.series = append(f.series, series{text: b})
}

// summary adds an unlabelled summary: one line per quantile, _sum, _count.
func (e *exposition) summary(d desc, quantiles, values []float64, sum float64, count uint64) {
	var b []byte
	for i, q := range quantiles {
		b = appendSample(b, d.name, "", []string{"quantile", formatFloat(q)}, values[i])
	}
	b = appendSample(b, d.name, "_sum", nil, sum)
	b = appendCount(b, d.name, "_count", nil, count)
	f := e.family(d, "summary")
	f.series = append(f.series, series{text: b})
}

// writeTo writes the families that have series, sorted by name.
func (e *exposition) writeTo(w io.Writer) error {
	names := make([]string, 0, len(e.fams))
	for n, f := range e.fams {
		if len(f.series) > 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, n := range names {
		f := e.fams[n]
		buf.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
		buf.WriteString("# TYPE " + f.name + " " + f.typ + "\n")
		sort.SliceStable(f.series, func(i, j int) bool { return f.series[i].key < f.series[j].key })
		for _, s := range f.series {
			buf.Write(s.text)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func appendSample(b []byte, name, suffix string, labels []string, v float64) []byte {
	b = appendName(b, name, suffix, labels)
	b = append(b, formatFloat(v)...)
	return append(b, '\n')
}

func appendCount(b []byte, name, suffix string, labels []string, n uint64) []byte {
	b = appendName(b, name, suffix, labels)
	b = strconv.AppendUint(b, n, 10)
	return append(b, '\n')
}

// appendName writes name+suffix{labels} and the space before the value.
func appendName(b []byte, name, suffix string, labels []string) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	if len(labels) > 0 {
		b = append(b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, labels[i]...)
			b = append(b, `="`...)
			b = append(b, labelEscaper.Replace(labels[i+1])...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }

// formatFloat is the format's float: shortest 'g', +Inf, -Inf, NaN.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// sortKey orders the series of a family by their label values.
func sortKey(labels []string) string {
	var k strings.Builder
	for i := 1; i < len(labels); i += 2 {
		k.WriteString(labels[i])
		k.WriteByte(0xff)
	}
	return k.String()
}

// histogram counts observations in fixed buckets (upper bounds inclusive,
// plus +Inf). Observe takes no allocation; the mutex keeps a scrape's
// buckets, sum and count consistent with each other.
type histogram struct {
	bounds []float64 // sorted upper bounds, +Inf implied

	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; len(bounds)+1
	sum    float64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Observe records one value.
func (h *histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v; len for +Inf and NaN
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.mu.Unlock()
}

func (h *histogram) snapshot() ([]uint64, float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]uint64(nil), h.counts...), h.sum
}

// vec is a counter or gauge family with labels, its series created on
// first use (label values in the order of labels).
type vec struct {
	desc
	labels []string

	mu sync.Mutex
	m  map[string]*cell
}

type cell struct {
	values []string
	v      float64
}

func newVec(d desc, labels ...string) *vec {
	return &vec{desc: d, labels: labels, m: map[string]*cell{}}
}

func (v *vec) cell(values []string) *cell {
	k := strings.Join(values, "\xff")
	c := v.m[k]
	if c == nil {
		c = &cell{values: append([]string(nil), values...)}
		v.m[k] = c
	}
	return c
}

// add adds d to the series (a counter's Inc is add(1, ...)).
func (v *vec) add(d float64, values ...string) {
	v.mu.Lock()
	v.cell(values).v += d
	v.mu.Unlock()
}

// set sets the series (gauges).
func (v *vec) set(x float64, values ...string) {
	v.mu.Lock()
	v.cell(values).v = x
	v.mu.Unlock()
}

// get reads the series (0 if it does not exist; it is not created).
func (v *vec) get(values ...string) float64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if c := v.m[strings.Join(values, "\xff")]; c != nil {
		return c.v
	}
	return 0
}

// write adds every series to e as typ ("counter" or "gauge").
func (v *vec) write(e *exposition, typ string) {
	f := e.family(v.desc, typ)
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.m {
		labels := make([]string, 0, 2*len(v.labels))
		for i, n := range v.labels {
			labels = append(labels, n, c.values[i])
		}
		f.sample(c.v, labels...)
	}
}
