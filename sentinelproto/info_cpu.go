package sentinelproto

import (
	"strconv"
	"sync"
	"time"
)

// cpuInfoTTL is how long INFO's "# CPU" section, once rendered, is reused.
// Reading it costs three getrusage calls (the process's, whose kernel side
// walks every thread of the Go runtime, its children's and the thread's):
// a fifth of an INFO's CPU when clients ask INFO back to back. Within
// 100 ms the used_cpu_* figures move by at most 0.1 s per core.
const cpuInfoTTL = 100 * time.Millisecond

// cpuInfo keeps the last rendered "# CPU" lines.
type cpuInfo struct {
	read func() cpuTimes // cpuUsage; replaced in tests

	mu    sync.Mutex
	at    time.Time // when lines were rendered (zero: never)
	lines []byte    // never written once published: appended by readers
}

func newCPUInfo() *cpuInfo { return &cpuInfo{read: cpuUsage} }

// section returns the section's lines as of now, rendering them again when
// the last rendering is cpuInfoTTL old (or from the future: a clock step).
func (c *cpuInfo) section(now time.Time) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if age := now.Sub(c.at); c.at.IsZero() || age < 0 || age >= cpuInfoTTL {
		c.lines = renderCPU(c.read())
		c.at = now
	}
	return c.lines
}

func renderCPU(u cpuTimes) []byte {
	var b []byte
	f := func(k string, v float64) {
		b = append(b, k...)
		b = append(b, ':')
		b = strconv.AppendFloat(b, v, 'f', 6, 64)
		b = append(b, "\r\n"...)
	}
	f("used_cpu_sys", u.sys)
	f("used_cpu_user", u.user)
	f("used_cpu_sys_children", u.childSys)
	f("used_cpu_user_children", u.childUser)
	f("used_cpu_sys_main_thread", u.threadSys)
	f("used_cpu_user_main_thread", u.threadUser)
	return b
}
