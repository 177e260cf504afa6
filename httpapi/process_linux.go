package httpapi

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// The process_* metrics client_golang's process collector exported, read
// from /proc/self like it did (prometheus/procfs). A file that cannot be
// read leaves its metrics out of the scrape.

var (
	descCPU       = desc{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds."}
	descMaxFDs    = desc{"process_max_fds", "Maximum number of open file descriptors."}
	descOpenFDs   = desc{"process_open_fds", "Number of open file descriptors."}
	descRSS       = desc{"process_resident_memory_bytes", "Resident memory size in bytes."}
	descStartTime = desc{"process_start_time_seconds", "Start time of the process since unix epoch in seconds."}
	descVirtual   = desc{"process_virtual_memory_bytes", "Virtual memory size in bytes."}
	descVirtMax   = desc{"process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes."}
)

// errBadProc: a /proc file not laid out as proc(5) says.
var errBadProc = errors.New("httpapi: unexpected /proc format")

// userHZ is the unit of the clock-tick fields of /proc/<pid>/stat
// (USER_HZ, 100 on every Linux ABI Go supports; procfs assumes it too).
const userHZ = 100

func writeProcess(e *exposition) {
	if st, err := readStat(); err == nil {
		e.counter(descCPU, float64(st.utime+st.stime)/userHZ)
		e.gauge(descVirtual, float64(st.vsize))
		e.gauge(descRSS, float64(st.rss*uint64(os.Getpagesize())))
		if boot, err := bootTime(); err == nil {
			e.gauge(descStartTime, float64(boot)+float64(st.starttime)/userHZ)
		}
	}
	if d, err := os.Open("/proc/self/fd"); err == nil {
		names, err := d.Readdirnames(-1)
		d.Close()
		if err == nil {
			e.gauge(descOpenFDs, float64(len(names)))
		}
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		e.gauge(descMaxFDs, float64(lim.Cur))
	}
	if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) == nil {
		e.gauge(descVirtMax, float64(lim.Cur))
	}
}

type procStat struct{ utime, stime, starttime, vsize, rss uint64 }

// readStat parses /proc/self/stat: after "(comm)", field 14 is utime, 15
// stime, 22 starttime, 23 vsize, 24 rss (proc(5), counting from 1).
func readStat() (procStat, error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errBadProc
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 22 {
		return procStat{}, errBadProc
	}
	var st procStat
	for _, x := range []struct {
		dst   *uint64
		field int
	}{{&st.utime, 14}, {&st.stime, 15}, {&st.starttime, 22}, {&st.vsize, 23}, {&st.rss, 24}} {
		if *x.dst, err = strconv.ParseUint(string(f[x.field-3]), 10, 64); err != nil {
			return procStat{}, err
		}
	}
	return st, nil
}

// bootTime is the "btime" line of /proc/stat (seconds since the epoch).
func bootTime() (uint64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			return strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
		}
	}
	return 0, errBadProc
}
