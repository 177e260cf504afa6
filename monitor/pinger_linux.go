//go:build linux

package monitor

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/raftinel/raftinel/internal/rawio"
)

// pinger drives every PING probe of a Monitor from one goroutine, as
// Sentinel does from its event loop: epoll tells which probe sockets have
// replies, one heap of send times says which probes are due, and PINGs due
// within a tenth of their period of each other go out together, so that
// probes of the same period fall into step and a whole round costs one
// wake-up instead of one timer, one goroutine switch and a deadline timer
// per probe (a goroutine per probe measured about 40 us of CPU per PING,
// half of it the Go runtime waking and parking goroutines). Per PING the
// pinger makes one write and one read, and no allocation.
//
// It owns sockets dialed by the Monitor itself (Config.Dial unset, or
// Config.ExclusiveDial): a dial runs on a goroutine of its own, then the
// socket is taken out of Go's poller (duplicated, the net.Conn closed).
// Probes keep their goroutine when the dialer is someone else's (tests
// injecting faults wrap the connections) and on other systems.
type pinger struct {
	m    *Monitor
	ctx  context.Context
	epfd int
	mb   *rawio.Mailbox // work from other goroutines

	// Owned by the pinger goroutine.
	sends  probeHeap // connected probes by next PING
	timers probeHeap // probes by ping deadline or next dial
	byFD   map[int]*probe
	rbuf   []byte
	w      *rawio.Waiter
}

// probeEv is a probe's state in the pinger (pinger goroutine only).
type probeEv struct {
	fd       int // -1: not connected
	st       linkState
	pre      prelude
	stage    int  // replies still expected after the next one (0: the PING's is next; -1 = none): see answering
	publish  bool // a hello PUBLISH went in front of the PING (hellopub.go)
	sentAt   time.Time
	nextSend time.Time
	timerAt  time.Time // ping deadline while a PING is out, else the next dial
	lastDial time.Time
	dialing  bool
	dialed   bool // a dial was started
	removed  bool
	partial  []byte // a reply cut by a read
	sendIdx  int    // index in sends, -1
	timerIdx int    // index in timers, -1
}

const (
	stageNone = -1
	stagePing = 0
)

// newPinger returns a pinger for m; run drives it.
func newPinger(m *Monitor, ctx context.Context) (*pinger, error) {
	epfd, mb, w, err := rawio.NewLoop()
	if err != nil {
		return nil, err
	}
	return &pinger{m: m, ctx: ctx, epfd: epfd, mb: mb, w: w, byFD: map[int]*probe{}, rbuf: make([]byte, 4096)}, nil
}

// add starts driving p.
func (pg *pinger) add(p *probe) {
	p.pg = pg
	p.ev = &probeEv{fd: -1, stage: stageNone, sendIdx: -1, timerIdx: -1}
	p.mu.Lock()
	if p.pendingSince.IsZero() {
		p.pendingSince = time.Now() // counted from link creation, as the goroutine driver does
	}
	p.firstDialQueued = true
	p.mu.Unlock()
	pg.post(func() { pg.dial(p) })
}

// remove stops driving p and closes its socket.
func (pg *pinger) remove(p *probe) {
	pg.post(func() {
		ev := p.ev
		ev.removed = true
		pg.drop(p, nil)
		pg.timers.remove(p, false)
	})
}

// settingsChanged applies new settings: another address, password or
// rename map reconnects; another period reschedules.
func (pg *pinger) settingsChanged(p *probe) {
	pg.post(func() {
		ev := p.ev
		if ev.removed {
			return
		}
		s := p.set.Load()
		if ev.fd >= 0 && ev.st.key != s.connKey {
			pg.drop(p, nil)
			pg.dial(p)
			return
		}
		if ev.fd >= 0 && ev.stage == stageNone {
			pg.scheduleSend(p, ev.sentAt.Add(s.period))
		}
	})
}

// run is the pinger goroutine.
func (pg *pinger) run() {
	events := make([]unix.EpollEvent, 128)
	for {
		n, err := pg.w.Wait(events, pg.next())
		for {
			if err != nil {
				pg.m.log.Error("pinger: epoll_wait failed, PINGs stop", zap.Error(err))
				return
			}
			if !pg.handle(events[:n]) {
				pg.shutdown()
				return
			}
			if n < len(events) {
				break
			}
			// More sockets may be ready than events holds: read their
			// replies before the deadlines are looked at.
			n, err = rawio.PollNow(pg.epfd, events)
		}
		pg.due(time.Now())
	}
}

// handle processes ready events; false when the mailbox is closed.
func (pg *pinger) handle(events []unix.EpollEvent) bool {
	for _, e := range events {
		fd := int(e.Fd)
		if fd == pg.mb.FD() {
			if !pg.mb.Run() {
				return false
			}
			continue
		}
		if p := pg.byFD[fd]; p != nil {
			pg.readable(p)
		}
	}
	return true
}

// next is when the next send or deadline is due (zero: none).
func (pg *pinger) next() time.Time {
	next := time.Time{}
	if len(pg.sends) > 0 {
		next = pg.sends[0].ev.nextSend
	}
	if len(pg.timers) > 0 && (next.IsZero() || pg.timers[0].ev.timerAt.Before(next)) {
		next = pg.timers[0].ev.timerAt
	}
	return next
}

// due sends the PINGs that are due (or within a tenth of their period: they
// go together) and handles the deadlines and dials that have come.
func (pg *pinger) due(now time.Time) {
	for len(pg.timers) > 0 && !pg.timers[0].ev.timerAt.After(now) {
		p := pg.timers[0]
		pg.timers.remove(p, false)
		if p.ev.stage != stageNone && p.ev.fd >= 0 {
			// The reply may be waiting in the socket, unread because the
			// pinger was busy (thousands of dials and replies at once):
			// that is no timeout. Dropping such connections closed them
			// with the reply unread (a reset each), and the reconnects
			// kept the pinger busier still: at 8000 probes it never
			// caught up, and healthy instances flapped SDOWN.
			pg.readable(p)
		}
		if p.ev.stage != stageNone && pg.m.dials.behind() {
			// The reconnect would queue behind the dials already
			// waiting (a node starting thousands of links, or a machine
			// too loaded to answer in time): wait on for this reply. The
			// PING's pending time runs on either way, so SDOWN is not
			// delayed; only a healed partition's fresh connection is.
			p.ev.timerAt = now.Add(p.set.Load().pingTimeout)
			pg.timers.push(p, false)
			continue
		}
		if p.ev.stage != stageNone {
			pg.drop(p, errPingTimeout)
		}
		if p.ev.fd < 0 && !p.ev.dialing && !p.ev.removed {
			pg.dial(p)
		}
	}
	for len(pg.sends) > 0 {
		p := pg.sends[0]
		if p.ev.nextSend.After(now.Add(p.set.Load().period / 10)) {
			break
		}
		pg.sends.remove(p, true)
		pg.send(p, now)
	}
}

// errPingTimeout is an unanswered PING (shown "PING: timeout", as the
// goroutine driver's read deadline).
var errPingTimeout = os.ErrDeadlineExceeded

// send writes a PING (after the handshake on a new connection).
func (pg *pinger) send(p *probe, now time.Time) {
	ev := p.ev
	s := p.set.Load()
	ev.pre = ev.st.begin(s)
	ev.st.wbuf, ev.publish = p.appendHello(ev.st.wbuf, s)
	ev.st.wbuf = append(ev.st.wbuf, s.ping...)
	ev.stage = stagePing
	if ev.publish {
		ev.stage++
	}
	if ev.pre.hello {
		ev.stage++
	}
	if ev.pre.auth {
		ev.stage++
	}
	ev.sentAt = now
	p.pingSent(now, s)
	n, err := rawio.Write(ev.fd, ev.st.wbuf)
	if err == nil && n < len(ev.st.wbuf) {
		err = syscall.EAGAIN // a few bytes that do not fit: the socket is stuck
	}
	if err != nil {
		pg.drop(p, err)
		pg.scheduleDial(p)
		return
	}
	ev.timerAt = now.Add(s.pingTimeout)
	pg.timers.push(p, false)
}

// readable reads p's replies.
func (pg *pinger) readable(p *probe) {
	ev := p.ev
	n, err := rawio.Read(ev.fd, pg.rbuf)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return
	case err != nil:
		pg.drop(p, err)
		pg.scheduleDial(p)
		return
	case n == 0:
		pg.drop(p, io.EOF)
		pg.scheduleDial(p)
		return
	}
	buf := pg.rbuf[:n]
	if len(ev.partial) > 0 {
		ev.partial = append(ev.partial, buf...)
		buf = ev.partial
	}
	for len(buf) > 0 {
		if ev.stage == stageNone {
			pg.drop(p, errProtocol) // a reply nobody asked for
			pg.scheduleDial(p)
			return
		}
		kind, msg, size, perr := statusReply(buf)
		if perr != nil {
			pg.drop(p, perr)
			pg.scheduleDial(p)
			return
		}
		if size == 0 {
			break // incomplete
		}
		pg.reply(p, kind, msg)
		buf = buf[size:]
		if ev.fd < 0 {
			return // dropped meanwhile
		}
	}
	ev.partial = append(ev.partial[:0], buf...)
	if cap(ev.partial) > 64<<10 {
		ev.partial = nil
	}
}

// reply handles one reply of the sequence sent.
func (pg *pinger) reply(p *probe, kind byte, msg []byte) {
	ev := p.ev
	s := p.set.Load()
	switch answering(ev.stage, ev.pre, ev.publish) {
	case sentPing:
		ev.stage = stageNone
		pg.timers.remove(p, false)
		p.pingReplied(&ev.st, s, kind, msg, ev.sentAt, ev.pre)
		pg.scheduleSend(p, ev.sentAt.Add(s.period))
	case sentHello:
		p.helloReplied(kind, msg)
		ev.stage--
	case sentAuth:
		ev.st.authOK = kind == '+'
		p.own.authResult(ev.st.authOK, msg)
		ev.stage--
	default: // CLIENT SETNAME: ignored, as Sentinel does
		ev.stage--
	}
}

func (pg *pinger) scheduleSend(p *probe, at time.Time) {
	p.ev.nextSend = at
	pg.sends.remove(p, true)
	pg.sends.push(p, true)
}

// scheduleDial plans the next dial, at least the reconnect interval after
// the last one.
func (pg *pinger) scheduleDial(p *probe) {
	ev := p.ev
	if ev.removed || ev.dialing {
		return
	}
	ev.timerAt = ev.lastDial.Add(p.set.Load().reconnect)
	pg.timers.remove(p, false)
	pg.timers.push(p, false)
}

// dial connects p on a goroutine of its own (resolving a hostname now, as
// at every dial) and hands the socket to the pinger.
func (pg *pinger) dial(p *probe) {
	ev := p.ev
	if ev.removed || ev.dialing || ev.fd >= 0 {
		return
	}
	if wait := time.Until(ev.lastDial.Add(p.set.Load().reconnect)); wait > 0 {
		pg.scheduleDial(p)
		return
	}
	ev.dialing = true
	ev.lastDial = time.Now()
	s := p.set.Load()
	ctx := pg.ctx
	if !ev.dialed { // the first: its wait for a slot is no silence of the target
		ctx = context.WithValue(ctx, dialStartKey{}, p.firstDialStarted)
	}
	ev.dialed = true
	go func() {
		fd, ip, err := dialFD(ctx, p.dial, s)
		p.firstDialStarted() // if the dialer never said (no-op otherwise)
		pg.post(func() { pg.dialed(p, s, fd, ip, err) })
	}()
}

// dialFD dials and takes the socket over; ip is its local IP (hellos are
// built with it).
func dialFD(ctx context.Context, dial dialFunc, s *linkSettings) (fd int, ip string, err error) {
	dctx, cancel := context.WithTimeout(ctx, s.dialTimeout)
	defer cancel()
	nc, err := dial(dctx, "tcp", s.addr)
	if err != nil {
		return -1, "", err
	}
	defer nc.Close()
	tcp, ok := nc.(*net.TCPConn)
	if r, isRaw := nc.(interface{ Raw() *net.TCPConn }); isRaw {
		tcp, ok = r.Raw(), true
	}
	if !ok {
		return -1, "", errors.New("not a TCP connection")
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return -1, "", err
	}
	fd = -1
	cerr := raw.Control(func(f uintptr) { fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) })
	if cerr != nil {
		return -1, "", cerr
	}
	return fd, localIP(nc), err
}

// dialed attaches a new socket (or records the failure).
func (pg *pinger) dialed(p *probe, s *linkSettings, fd int, ip string, err error) {
	ev := p.ev
	ev.dialing = false
	if err == nil && (ev.removed || s.connKey != p.set.Load().connKey) {
		unix.Close(fd)
		err = errStale
	}
	if ev.removed {
		return
	}
	if err == nil {
		err = unix.EpollCtl(pg.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		if err != errStale {
			p.failed(err)
		}
		pg.scheduleDial(p)
		return
	}
	ev.fd = fd
	ev.st = newLinkState(s)
	ev.stage = stageNone
	ev.publish = false
	ev.partial = ev.partial[:0]
	pg.byFD[fd] = p
	p.setLocalIP(ip)
	p.connectedNow()
	pg.send(p, time.Now()) // ping a new connection at once
}

var errStale = errors.New("stale dial")

// drop closes p's socket after a failure (err nil: on purpose).
func (pg *pinger) drop(p *probe, err error) {
	ev := p.ev
	pg.sends.remove(p, true)
	pg.timers.remove(p, false)
	ev.stage = stageNone
	ev.publish = false
	ev.partial = ev.partial[:0]
	if ev.fd < 0 {
		return
	}
	_ = unix.EpollCtl(pg.epfd, unix.EPOLL_CTL_DEL, ev.fd, nil)
	unix.Close(ev.fd)
	delete(pg.byFD, ev.fd)
	ev.fd = -1
	p.dropped(err)
}

// post runs f on the pinger goroutine.
func (pg *pinger) post(f func()) { pg.mb.Post(f) }

// stop ends the pinger: every socket is closed.
func (pg *pinger) stop() { pg.mb.Stop() }

func (pg *pinger) shutdown() {
	for _, p := range pg.byFD {
		p.ev.removed = true
		pg.drop(p, nil)
	}
	pg.w.Close()
	pg.mb.Close()
}
