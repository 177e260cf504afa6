//go:build linux

package rawio

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Waiter waits for events on an epoll descriptor for an event loop. Under
// load it blocks in epoll_wait, briefly: the cheapest wait when the next
// event is microseconds away. When the last wait found nothing, it parks
// the loop's goroutine in Go's netpoller instead (the epoll descriptor is
// itself pollable): a thread that enters a system call while the process
// is idle wakes the runtime's monitor thread (sysmon), which then polls
// every 20 us for about a millisecond, and a thread blocked in one for
// more than 10 ms has its P taken away; both cost an idle process more
// than its own work.
type Waiter struct {
	epfd int
	f    *os.File
	rc   syscall.RawConn
	hot  bool // the last wait returned events
}

// hotWait bounds a blocking epoll_wait under load.
const hotWait = 2 // ms

// NewWaiter takes over epfd (Close closes it).
func NewWaiter(epfd int) (*Waiter, error) {
	if err := unix.SetNonblock(epfd, true); err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Waiter{epfd: epfd, f: f, rc: rc}, nil
}

// Wait fills events and returns how many are ready; 0 when until (zero:
// no limit) has come first.
func (w *Waiter) Wait(events []unix.EpollEvent, until time.Time) (int, error) {
	n, err := w.wait(events, until)
	w.hot = n > 0
	return n, err
}

func (w *Waiter) wait(events []unix.EpollEvent, until time.Time) (int, error) {
	n, err := PollNow(w.epfd, events)
	if n > 0 || (err != nil && err != unix.EINTR) {
		return n, err
	}
	if w.hot {
		ms := hotWait
		if !until.IsZero() {
			ms = min(ms, max(int(time.Until(until)/time.Millisecond), 0))
		}
		if n, err = unix.EpollWait(w.epfd, events, ms); n > 0 || (err != nil && err != unix.EINTR) {
			return n, err
		}
	}
	if !until.IsZero() && !time.Now().Before(until) {
		return 0, nil
	}
	_ = w.f.SetReadDeadline(until)
	// rc.Read calls the function, and while it returns false parks until
	// the descriptor is readable (or the deadline).
	rerr := w.rc.Read(func(fd uintptr) bool {
		n, err = PollNow(int(fd), events)
		return n > 0 || (err != nil && err != unix.EINTR)
	})
	switch {
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		return 0, nil
	case rerr != nil:
		return 0, rerr
	}
	return n, err
}

// Close closes the epoll descriptor.
func (w *Waiter) Close() error { return w.f.Close() }
