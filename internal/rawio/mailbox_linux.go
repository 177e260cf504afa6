//go:build linux

package rawio

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Mailbox hands functions to an event loop's goroutine: Post, from any
// goroutine, queues one and wakes the loop through an eventfd registered
// in its epoll set; the loop calls Run when that descriptor (FD) is ready.
type Mailbox struct {
	fd      int
	mu      sync.Mutex
	tasks   []func()
	woken   bool
	stopped bool
}

// NewMailbox creates the eventfd and registers it with epfd.
func NewMailbox(epfd int) (*Mailbox, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Mailbox{fd: fd}, nil
}

// FD is the descriptor that is ready when something was posted.
func (m *Mailbox) FD() int { return m.fd }

// Post queues f for the loop; after Stop it is dropped.
func (m *Mailbox) Post(f func()) {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	m.tasks = append(m.tasks, f)
	wake := !m.woken
	m.woken = true
	m.mu.Unlock()
	if wake {
		one := [8]byte{1}
		_, _ = unix.Write(m.fd, one[:])
	}
}

// Run runs what was posted (on the loop goroutine); false once stopped:
// the loop then ends.
func (m *Mailbox) Run() bool {
	var b [8]byte
	_, _ = unix.Read(m.fd, b[:])
	m.mu.Lock()
	tasks := m.tasks
	m.tasks = nil
	m.woken = false
	m.mu.Unlock()
	for _, f := range tasks {
		f()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.stopped
}

// Stop makes Run report the end once everything posted before has run.
func (m *Mailbox) Stop() {
	m.Post(func() {
		m.mu.Lock()
		m.stopped = true
		m.mu.Unlock()
	})
}

// Close closes the eventfd.
func (m *Mailbox) Close() error { return unix.Close(m.fd) }

// NewLoop creates what an event loop needs: an epoll descriptor, a
// Mailbox registered with it and a Waiter over it (whose Close closes the
// epoll descriptor).
func NewLoop() (epfd int, mb *Mailbox, w *Waiter, err error) {
	epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return -1, nil, nil, err
	}
	if mb, err = NewMailbox(epfd); err != nil {
		unix.Close(epfd)
		return -1, nil, nil, err
	}
	if w, err = NewWaiter(epfd); err != nil {
		mb.Close()
		unix.Close(epfd)
		return -1, nil, nil, err
	}
	return epfd, mb, w, nil
}
