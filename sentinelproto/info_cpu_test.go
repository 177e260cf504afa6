package sentinelproto

import (
	"strings"
	"testing"
	"time"
)

// INFO's CPU lines are read again only once cpuInfoTTL has passed (or the
// clock went back); in between the same lines are served.
func TestCPUInfoReusedWithinTTL(t *testing.T) {
	reads := 0
	c := &cpuInfo{read: func() cpuTimes {
		reads++
		return cpuTimes{sys: float64(reads), user: 0.5}
	}}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at    time.Duration
		reads int
		sys   string
	}{
		{0, 1, "used_cpu_sys:1.000000\r\n"},
		{cpuInfoTTL / 2, 1, "used_cpu_sys:1.000000\r\n"},
		{cpuInfoTTL - time.Nanosecond, 1, "used_cpu_sys:1.000000\r\n"},
		{cpuInfoTTL, 2, "used_cpu_sys:2.000000\r\n"},
		{cpuInfoTTL / 2, 3, "used_cpu_sys:3.000000\r\n"}, // clock stepped back
		{cpuInfoTTL / 2, 3, "used_cpu_sys:3.000000\r\n"},
	}
	for i, st := range steps {
		got := string(c.section(t0.Add(st.at)))
		if reads != st.reads || !strings.HasPrefix(got, st.sys) || !strings.Contains(got, "used_cpu_user:0.500000\r\n") {
			t.Fatalf("step %d: %d reads, lines %q; want %d reads, %q first", i, reads, got, st.reads, st.sys)
		}
	}
	if n := strings.Count(string(c.section(t0)), "\r\n"); n != 6 {
		t.Fatalf("%d lines, want 6", n)
	}
}
