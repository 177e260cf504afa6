//go:build linux && race

package resp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Under the race detector the loop's I/O goes through package syscall,
// whose annotations order it with the other side's net.Conn calls as Go's
// own poller does (no false reports in tests that synchronize through a
// socket).

func sysRead(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }

func sysWrite(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

func pollNow(epfd int, events []epollEvent) (int, error) { return unix.EpollWait(epfd, events, 0) }
