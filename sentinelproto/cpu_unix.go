//go:build unix

package sentinelproto

import (
	"runtime"
	"syscall"
)

type cpuTimes struct{ sys, user, childSys, childUser, threadSys, threadUser float64 }

// cpuUsage reads getrusage for the process, its children and (on Linux,
// RUSAGE_THREAD) the calling thread; elsewhere the thread figures repeat the
// process's.
func cpuUsage() cpuTimes {
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	var self, children, thread syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	thread = self
	if runtime.GOOS == "linux" {
		const rusageThread = 1 // RUSAGE_THREAD
		_ = syscall.Getrusage(rusageThread, &thread)
	}
	return cpuTimes{
		sys: sec(self.Stime), user: sec(self.Utime),
		childSys: sec(children.Stime), childUser: sec(children.Utime),
		threadSys: sec(thread.Stime), threadUser: sec(thread.Utime),
	}
}
