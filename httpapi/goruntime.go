package httpapi

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The Go runtime metrics client_golang's Go collector exported by default,
// under the same names and help texts, read from runtime.ReadMemStats,
// debug.ReadGCStats and runtime/metrics at scrape time.

var (
	descGCDuration = desc{"go_gc_duration_seconds", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles."}
	descGOGC       = desc{"go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent."}
	descMemLimit   = desc{"go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes."}
	descGoroutines = desc{"go_goroutines", "Number of goroutines that currently exist."}
	descGoInfo     = desc{"go_info", "Information about the Go environment."}
	descMaxProcs   = desc{"go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads."}
	descThreads    = desc{"go_threads", "Number of OS threads created."}

	gcQuantiles = []float64{0, 0.25, 0.5, 0.75, 1}
)

// memStat is one go_memstats_* gauge or counter.
type memStat struct {
	desc
	counter bool
	value   func(*runtime.MemStats) float64
}

var memStats = []memStat{
	{desc{"go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapAlloc) }},
	{desc{"go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes."}, true, func(m *runtime.MemStats) float64 { return float64(m.TotalAlloc) }},
	{desc{"go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.BuckHashSys) }},
	{desc{"go_memstats_frees_total", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects."}, true, func(m *runtime.MemStats) float64 { return float64(m.Frees) }},
	{desc{"go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.GCSys) }},
	{desc{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapAlloc) }},
	{desc{"go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapIdle) }},
	{desc{"go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes"}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapInuse) }},
	{desc{"go_memstats_heap_objects", "Number of currently allocated objects. Equals to /gc/heap/objects:objects."}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapObjects) }},
	{desc{"go_memstats_heap_released_bytes", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapReleased) }},
	{desc{"go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.HeapSys) }},
	{desc{"go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection."}, false, func(m *runtime.MemStats) float64 { return float64(m.LastGC) / 1e9 }},
	{desc{"go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects."}, true, func(m *runtime.MemStats) float64 { return float64(m.Mallocs) }},
	{desc{"go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.MCacheInuse) }},
	{desc{"go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.MCacheSys) }},
	{desc{"go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.MSpanInuse) }},
	{desc{"go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.MSpanSys) }},
	{desc{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.NextGC) }},
	{desc{"go_memstats_other_sys_bytes", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.OtherSys) }},
	{desc{"go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.StackInuse) }},
	{desc{"go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes."}, false, func(m *runtime.MemStats) float64 { return float64(m.StackSys) }},
	{desc{"go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte."}, false, func(m *runtime.MemStats) float64 { return float64(m.Sys) }},
}

// writeGoRuntime adds the go_* families.
func writeGoRuntime(e *exposition) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, s := range memStats {
		if s.counter {
			e.counter(s.desc, s.value(&ms))
		} else {
			e.gauge(s.desc, s.value(&ms))
		}
	}

	// Pause quantiles over the last pauses the runtime keeps (up to 256),
	// as client_golang's Go collector computed them before runtime/metrics.
	gc := debug.GCStats{PauseQuantiles: make([]time.Duration, len(gcQuantiles))}
	debug.ReadGCStats(&gc)
	q := make([]float64, len(gcQuantiles))
	if gc.NumGC > 0 {
		for i, d := range gc.PauseQuantiles {
			q[i] = d.Seconds()
		}
	}
	e.summary(descGCDuration, gcQuantiles, q, gc.PauseTotal.Seconds(), uint64(gc.NumGC))

	rm := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(rm)
	if rm[0].Value.Kind() == metrics.KindUint64 {
		e.gauge(descGOGC, float64(rm[0].Value.Uint64()))
	}
	if rm[1].Value.Kind() == metrics.KindUint64 {
		e.gauge(descMemLimit, float64(rm[1].Value.Uint64()))
	}
	e.gauge(descGoroutines, float64(runtime.NumGoroutine()))
	e.gauge(descGoInfo, 1, "version", runtime.Version())
	e.gauge(descMaxProcs, float64(runtime.GOMAXPROCS(0)))
	threads, _ := runtime.ThreadCreateProfile(nil)
	e.gauge(descThreads, float64(threads))
}
