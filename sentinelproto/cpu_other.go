//go:build !unix

package sentinelproto

type cpuTimes struct{ sys, user, childSys, childUser, threadSys, threadUser float64 }

// cpuUsage has no getrusage to read on this platform.
func cpuUsage() cpuTimes { return cpuTimes{} }
