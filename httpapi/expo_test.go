package httpapi

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func render(t *testing.T, e *exposition) string {
	t.Helper()
	var b strings.Builder
	if err := e.writeTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The exact text of every kind: families sorted by name, series by label
// values, empty families left out, label values and help escaped.
func TestExpositionExactText(t *testing.T) {
	c := newVec(desc{"t_events_total", "Events\\seen,\nby kind."}, "kind", "node")
	c.add(1, "b", "n1")
	c.add(2, "a", "n2")
	c.add(0.5, "a", "n1")
	g := newVec(desc{"t_empty", "Never set."}, "x")
	h := newHistogram([]float64{0.5, 1, 2})
	for _, v := range []float64{0.25, 0.5, 1.5, 3} {
		h.Observe(v)
	}
	e := newExposition()
	c.write(e, "counter")
	g.write(e, "gauge")
	e.gauge(desc{"t_gauge", "A gauge."}, -1.5e-7)
	e.gauge(desc{"t_label", "Escaped."}, 1, "v", "a\\b\"c\nd")
	e.histogram(desc{"t_hist", "A histogram."}, h)
	e.summary(desc{"t_sum", "A summary."}, []float64{0, 0.5, 1}, []float64{0.001, 0.002, 0.25}, 0.5, 3)
	e.counter(desc{"a_first", "Sorted first."}, math.Inf(1))
	want := `# HELP a_first Sorted first.
# TYPE a_first counter
a_first +Inf
# HELP t_events_total Events\\seen,\nby kind.
# TYPE t_events_total counter
t_events_total{kind="a",node="n1"} 0.5
t_events_total{kind="a",node="n2"} 2
t_events_total{kind="b",node="n1"} 1
# HELP t_gauge A gauge.
# TYPE t_gauge gauge
t_gauge -1.5e-07
# HELP t_hist A histogram.
# TYPE t_hist histogram
t_hist_bucket{le="0.5"} 2
t_hist_bucket{le="1"} 2
t_hist_bucket{le="2"} 3
t_hist_bucket{le="+Inf"} 4
t_hist_sum 5.25
t_hist_count 4
# HELP t_label Escaped.
# TYPE t_label gauge
t_label{v="a\\b\"c\nd"} 1
# HELP t_sum A summary.
# TYPE t_sum summary
t_sum{quantile="0"} 0.001
t_sum{quantile="0.5"} 0.002
t_sum{quantile="1"} 0.25
t_sum_sum 0.5
t_sum_count 3
`
	if got := render(t, e); got != want {
		t.Fatalf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

// Buckets are cumulative, an upper bound includes its own value, and +Inf
// (with values above every bound and NaN) equals _count.
func TestHistogramCumulativeBuckets(t *testing.T) {
	h := newTestHist()
	for _, v := range []float64{0, 0.0001, 0.00011, 0.001, 0.3, 1, 1.0001, 50, math.NaN()} {
		h.Observe(v)
	}
	e := newExposition()
	e.histogram(desc{"h", "h"}, h)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(render(t, e)), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			got[k] = v
		}
	}
	for k, v := range map[string]string{
		`h_bucket{le="0.0001"}`: "2", `h_bucket{le="0.00025"}`: "3", `h_bucket{le="0.001"}`: "4",
		`h_bucket{le="0.25"}`: "4", `h_bucket{le="0.5"}`: "5", `h_bucket{le="1"}`: "6",
		`h_bucket{le="+Inf"}`: "9", `h_count`: "9", `h_sum`: "NaN",
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if n := strings.Count(render(t, e), "h_bucket{"); n != len(latencyBuckets)+1 {
		t.Errorf("%d buckets, want %d", n, len(latencyBuckets)+1)
	}
}

// Updates from many goroutines while scrapes run lose nothing (and the
// race detector sees no unguarded access).
func TestConcurrentUpdates(t *testing.T) {
	met := NewMetrics()
	src := &fakeSource{st: Status{Masters: []MasterStatus{{Name: "m1", Status: MasterOK}}}}
	s := New(src, met, nil)
	const workers, each = 4, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	scraped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				scraped <- n
				return
			default:
				e := newExposition()
				collector{src: s.src, met: s.met}.write(e)
				if err := e.writeTo(io.Discard); err != nil {
					panic(err)
				}
				n++
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				met.ObservePing(time.Millisecond)
				met.Event("+try-failover", "master m1 127.0.0.1 7000")
				met.Event("-failover-abort-no-good-slave", "master m1 127.0.0.1 7000")
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-scraped
	if got := histCount(met.probe); got != workers*each {
		t.Errorf("probe count %d, want %d", got, workers*each)
	}
	if got := met.started.get("m1"); got != workers*each {
		t.Errorf("started %v, want %d", got, workers*each)
	}
	if got := met.aborted.get("m1", "no-good-slave"); got != workers*each {
		t.Errorf("aborted %v, want %d", got, workers*each)
	}
}

// ObservePing runs per PING: it must not allocate.
func TestObservePingAllocationFree(t *testing.T) {
	met := NewMetrics()
	if n := testing.AllocsPerRun(100, func() { met.ObservePing(3 * time.Millisecond) }); n != 0 {
		t.Fatalf("ObservePing allocates %v times", n)
	}
}

// The Go runtime and process metrics kept from client_golang's default
// collectors are served with their types, and plausible values.
func TestRuntimeAndProcessMetrics(t *testing.T) {
	base := serve(t, &fakeSource{}, NewMetrics())
	resp, m := get(t, base+"/metrics")
	if resp != 200 {
		t.Fatalf("/metrics: %d", resp)
	}
	r, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if ct := r.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	types := map[string]string{}
	values := map[string]float64{}
	for _, line := range strings.Split(m, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" {
			types[f[2]] = f[3]
		} else if len(f) == 2 && !strings.HasPrefix(line, "#") {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Errorf("bad value in %q", line)
			}
			values[f[0]] = v
		}
	}
	for name, typ := range map[string]string{
		"go_goroutines": "gauge", "go_info": "gauge", "go_memstats_alloc_bytes": "gauge",
		"go_memstats_heap_inuse_bytes": "gauge", "go_gc_duration_seconds": "summary",
		"go_memstats_alloc_bytes_total": "counter", "go_threads": "gauge",
		"process_resident_memory_bytes": "gauge", "process_cpu_seconds_total": "counter",
		"process_open_fds": "gauge", "process_start_time_seconds": "gauge", "process_max_fds": "gauge",
	} {
		if types[name] != typ {
			t.Errorf("%s has type %q, want %q", name, types[name], typ)
		}
	}
	if !strings.Contains(m, `go_info{version="go`) || !strings.Contains(m, `go_gc_duration_seconds{quantile="0.5"}`) {
		t.Errorf("go_info or the GC pause quantiles missing:\n%s", m)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"} {
		if values[name] <= 0 {
			t.Errorf("%s = %v, want > 0", name, values[name])
		}
	}
	// Started after 2020 and not after this scrape.
	if st := values["process_start_time_seconds"]; st < 1.5e9 || st > float64(time.Now().Unix()+1) {
		t.Errorf("process_start_time_seconds = %v", st)
	}
}
