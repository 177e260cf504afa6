//go:build linux && race

package rawio

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Read is read(2).
func Read(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }

// Write is write(2).
func Write(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

// PollNow is epoll_wait with a zero timeout.
func PollNow(epfd int, events []unix.EpollEvent) (int, error) {
	return unix.EpollWait(epfd, events, 0)
}
