package bench

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Summary is min / median / p90 / max of samples (nearest rank).
type Summary struct {
	N                     int
	Min, Median, P90, Max time.Duration
	Failed                int // trials where the event never came
}

// Summarize sorts a copy of samples.
func Summarize(samples []time.Duration, failed int) Summary {
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	out := Summary{N: len(s), Failed: failed}
	if len(s) == 0 {
		return out
	}
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1 // nearest rank, 1-based
		return s[min(max(i, 0), len(s)-1)]
	}
	out.Min, out.Max = s[0], s[len(s)-1]
	out.P90 = rank(0.9)
	if len(s)%2 == 1 {
		out.Median = s[len(s)/2]
	} else {
		out.Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return out
}

// String renders "min / median / p90 / max" in ms.
func (s Summary) String() string {
	if s.N == 0 {
		return fmt.Sprintf("none (%d failed)", s.Failed)
	}
	out := fmt.Sprintf("%s / %s / %s / %s", ms(s.Min), ms(s.Median), ms(s.P90), ms(s.Max))
	if s.Failed > 0 {
		out += fmt.Sprintf(" (%d of %d missing)", s.Failed, s.N+s.Failed)
	}
	return out
}

func ms(d time.Duration) string {
	return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// cpuTime is the user+system CPU time a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// the command name (field 2) may hold spaces: fields count after ')'
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// mem is a process's resident memory: VmRSS (code pages mapped from the
// binary and libraries included) and its anonymous part (heap, stacks).
type mem struct{ rss, anon int64 }

// memory reads VmRSS and /proc/<pid>/smaps_rollup's Anonymous.
func memory(pid int) (mem, error) {
	rss, err := rssBytes(pid)
	if err != nil {
		return mem{}, err
	}
	m := mem{rss: rss}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return m, nil // older kernels: RSS only
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Anonymous:"); ok {
			if fs := strings.Fields(v); len(fs) == 2 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				m.anon = n * 1024
			}
		}
	}
	return m, nil
}

// rssBytes is VmRSS of a process.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			fs := strings.Fields(v)
			if len(fs) == 2 && fs[1] == "kB" {
				n, err := strconv.ParseInt(fs[0], 10, 64)
				return n * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// Spread is the median and range of repeated measurements.
type Spread struct {
	N                int
	Median, Min, Max float64
}

// spreadOf summarizes xs (empty: N 0).
func spreadOf(xs []float64) Spread {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	out := Spread{N: len(s)}
	if len(s) == 0 {
		return out
	}
	out.Min, out.Max = s[0], s[len(s)-1]
	if len(s)%2 == 1 {
		out.Median = s[len(s)/2]
	} else {
		out.Median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return out
}

// Format renders "median (min–max)" with f formatting each number.
func (s Spread) Format(f func(float64) string) string {
	if s.N == 0 {
		return "-"
	}
	if s.N == 1 {
		return f(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.Median), f(s.Min), f(s.Max))
}

// durations turns durations into milliseconds for a Spread.
func durationsMs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}
