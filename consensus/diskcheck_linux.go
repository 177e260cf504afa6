package consensus

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// limitMemory caps the growth of this process's data segment at budget
// over what it holds now (RLIMIT_DATA over VmData; the Go heap is private
// writable memory, a file mapped shared is not) and returns what puts the
// old limit back.
func limitMemory(budget uint64) (restore func()) {
	restore = func() {}
	var old syscall.Rlimit
	status, err := os.ReadFile("/proc/self/status")
	if err != nil || syscall.Getrlimit(syscall.RLIMIT_DATA, &old) != nil {
		return restore
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmData:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil || kb<<10+budget > old.Cur {
				return restore
			}
			if syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: kb<<10 + budget, Max: old.Max}) == nil {
				restore = func() { _ = syscall.Setrlimit(syscall.RLIMIT_DATA, &old) }
			}
			return restore
		}
	}
	return restore
}
