//go:build linux && !race

package resp

import (
	"syscall"
	"unsafe"
)

// Reads, writes and epoll_wait(0) on the loop's non-blocking descriptors
// never block, so they are made without telling the scheduler (no
// entersyscall/exitsyscall): cheaper, and the Go runtime's monitor thread
// does not see a P sitting in a system call and hand it over.

func sysRead(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_READ, fd, p) }

func sysWrite(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_WRITE, fd, p) }

func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// pollNow is epoll_wait with a zero timeout.
func pollNow(epfd int, events []epollEvent) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
