package monitor

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// probe is the liveness link of one instance or peer: its own connection,
// used for nothing but PING, one goroutine, synchronous. A PING waits for its
// reply at most pingTimeout; then the connection is closed and the next PING
// goes out on a fresh one. The oldest unanswered PING time survives
// reconnects, so reconnecting never hides how long the target has been
// silent.
type probe struct {
	set  atomic.Pointer[linkSettings]
	dial dialFunc
	own  probeOwner
	wake chan struct{} // settings changed
	conn connHolder
	pg   *pinger  // the pinger driving it, nil: its own goroutine (run)
	ev   *probeEv // the pinger's state of it
	// hello is the next hello to PUBLISH in front of a PING (pinger only,
	// hellopub.go), nil: none.
	hello atomic.Pointer[string]

	mu           sync.Mutex
	connected    bool
	inflight     bool      // a PING is on the wire
	pendingSince time.Time // oldest unanswered PING, zero if none
	lastOK       time.Time // last valid reply
	lastReply    time.Time // last reply of any kind
	lastPong     time.Time // last +PONG (clears the reboot state)
	err          string    // why the last exchange was not a valid reply, "" if it was
	lost         bool      // a connection failed; cleared by the next valid reply
	localIP      string    // the connection's local IP (pinger only), for hellos
	helloErr     string    // the last hello's error reply, "" if accepted (pinger only)
	// The first dial's wait for a slot (pinger only): until it starts, the
	// target was never asked, and its silence is no evidence (checkSDown).
	firstDialQueued bool
	firstDialAt     time.Time
}

// probeOwner is told about AUTH outcomes and about the probe losing and
// regaining the target, so that the command link can follow at once
// (notice its own death, send INFO right after a restart) instead of
// waiting for the next INFO period.
type probeOwner interface {
	authSink
	probeLost()
	probeRecovered()
	// changed is called (under the probe's lock) on every change that can
	// move the SDOWN verdict: pending ping set or cleared, connect,
	// disconnect. hint is when the change can first matter; zero means
	// "only if the target is SDOWN now".
	changed(hint time.Time)
}

// probeState is a copy of a probe's liveness fields.
type probeState struct {
	connected, inflight                       bool
	pendingSince, lastOK, lastReply, lastPong time.Time
	err                                       string
	firstDialQueued                           bool
	firstDialAt                               time.Time
}

func newProbe(s *linkSettings, dial dialFunc, own probeOwner) *probe {
	p := &probe{dial: dial, own: own, wake: make(chan struct{}, 1)}
	p.set.Store(s)
	return p
}

func (p *probe) state() probeState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return probeState{
		connected: p.connected, inflight: p.inflight,
		pendingSince: p.pendingSince, lastOK: p.lastOK, lastReply: p.lastReply, lastPong: p.lastPong,
		err: p.err, firstDialQueued: p.firstDialQueued, firstDialAt: p.firstDialAt,
	}
}

// firstDialStarted records that the first dial got its slot (dials.go).
func (p *probe) firstDialStarted() {
	p.mu.Lock()
	if p.firstDialQueued {
		p.firstDialQueued = false
		p.firstDialAt = time.Now()
		p.own.changed(p.firstDialAt.Add(p.set.Load().downAfter))
	}
	p.mu.Unlock()
}

// update installs new settings; a change of address, auth or rename map
// makes the loop reconnect.
func (p *probe) update(s *linkSettings) {
	old := p.set.Swap(s)
	if p.pg != nil {
		p.pg.settingsChanged(p)
		return
	}
	if old.connKey != s.connKey {
		p.conn.kick()
	}
	poke(p.wake)
}

// stop ends the probe's link (either driver).
func (p *probe) stop() {
	if p.pg != nil {
		p.pg.remove(p)
		return
	}
	p.conn.stop()
}

// run pings until ctx ends. The timer is reused and the PING bytes are
// pre-encoded: a steady-state PING allocates nothing.
func (p *probe) run(ctx context.Context) {
	// As Sentinel does at link creation: count from now even before the
	// first PING, so an instance never reached at all is timed too.
	p.mu.Lock()
	if p.pendingSince.IsZero() {
		p.pendingSince = time.Now()
	}
	p.mu.Unlock()
	t := time.NewTimer(time.Hour)
	t.Stop()
	var c *rconn
	var lastDial, nextPing time.Time
	defer func() {
		if c != nil {
			p.drop(c, nil)
		}
	}()
	for ctx.Err() == nil {
		s := p.set.Load()
		if c != nil && c.key != s.connKey {
			p.drop(c, nil)
			c = nil
		}
		if c == nil {
			if !sleepUntil(ctx, t, lastDial.Add(s.reconnect), p.wake) {
				return
			}
			s = p.set.Load()
			lastDial = time.Now()
			nc, err := dialConn(ctx, p.dial, s)
			if err != nil {
				p.failed(err)
				continue
			}
			if !p.conn.attach(nc.nc) {
				return
			}
			c = nc
			p.connectedNow()
			nextPing = time.Time{} // ping a new connection at once
		}
		if !sleepUntil(ctx, t, nextPing, p.wake) {
			return
		}
		if s = p.set.Load(); c.key != s.connKey {
			continue
		}
		if time.Now().Before(nextPing) {
			continue // woken early by a settings change
		}
		if err := p.ping(c, s, &nextPing); err != nil {
			p.drop(c, err)
			c = nil
		}
	}
}

// ping sends one PING (after the pipelined handshake on a new connection)
// and waits for its reply.
func (p *probe) ping(c *rconn, s *linkSettings, next *time.Time) error {
	now := time.Now()
	*next = now.Add(s.period)
	pre := c.begin(s)
	c.wbuf = append(c.wbuf, s.ping...)
	p.pingSent(now, s)
	if err := c.nc.SetDeadline(now.Add(s.pingTimeout)); err != nil {
		return err
	}
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return err
	}
	if err := c.readPrelude(pre, p.own); err != nil {
		return err
	}
	kind, msg, err := c.rd.status()
	if err != nil {
		return err
	}
	// Disarm the deadline: left armed, its runtime timer would fire later
	// for nothing, one more wake-up per ping.
	if err := c.nc.SetDeadline(time.Time{}); err != nil {
		return err
	}
	p.pingReplied(&c.linkState, s, kind, msg, now, pre)
	return nil
}

// pingSent records a PING going out at now (both drivers).
func (p *probe) pingSent(now time.Time, s *linkSettings) {
	p.mu.Lock()
	if p.pendingSince.IsZero() {
		p.pendingSince = now
		p.own.changed(now.Add(s.downAfter))
	}
	p.inflight = true
	p.mu.Unlock()
}

// pingReplied records the reply to the PING sent at sent (both drivers);
// c is the connection's handshake state.
func (p *probe) pingReplied(c *linkState, s *linkSettings, kind byte, msg []byte, sent time.Time, pre prelude) {
	valid, pong := pingValid(kind, msg)
	now := time.Now()
	recovered := false
	p.mu.Lock()
	p.inflight = false
	p.lastReply = now
	if valid {
		p.lastOK = now
		p.pendingSince = time.Time{}
		p.err = ""
		recovered, p.lost = p.lost, false
		p.own.changed(time.Time{})
		if pong {
			p.lastPong = now
		}
	} else if kind == '-' {
		c.noteError(s, msg)
		if len(p.err) != len("PING: ")+len(msg) || p.err[len("PING: "):] != string(msg) {
			p.err = "PING: " + string(msg)
		}
	} else if p.err == "" {
		p.err = "PING: unexpected reply"
	}
	p.mu.Unlock()
	if valid && s.onRTT != nil && !pre.auth && !pre.hello {
		s.onRTT(now.Sub(sent))
	}
	if recovered {
		p.own.probeRecovered()
	}
}

// connectedNow records a new connection (both drivers).
func (p *probe) connectedNow() {
	p.mu.Lock()
	p.connected = true
	p.own.changed(time.Time{})
	p.mu.Unlock()
}

// deadline is when the target's silence reaches down-after as things stand
// (caller holds mu): the hint for a disconnect.
func (p *probe) deadline(s *linkSettings) time.Time {
	switch {
	case !p.pendingSince.IsZero():
		return p.pendingSince.Add(s.downAfter)
	case !p.lastOK.IsZero():
		return p.lastOK.Add(s.downAfter)
	}
	return time.Now()
}

// drop closes c after an I/O failure (err may be nil on a deliberate close).
func (p *probe) drop(c *rconn, err error) {
	p.conn.detach(c.nc)
	p.dropped(err)
}

// dropped records that the connection was closed (both drivers).
func (p *probe) dropped(err error) {
	p.mu.Lock()
	p.connected = false
	p.own.changed(p.deadline(p.set.Load()))
	p.inflight = false
	lost := err != nil && !p.lost
	if err != nil {
		p.err = linkErrText("PING", err)
		p.lost = true
	}
	p.mu.Unlock()
	if lost {
		p.own.probeLost()
	}
}

// failed records a failed dial.
func (p *probe) failed(err error) {
	p.mu.Lock()
	p.connected = false
	p.own.changed(p.deadline(p.set.Load()))
	p.err = linkErrText("dial", err)
	lost := !p.lost
	p.lost = true
	p.mu.Unlock()
	if lost {
		p.own.probeLost()
	}
}

// linkErrText describes a link failure for LastError.
func linkErrText(op string, err error) string {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return op + ": timeout"
	}
	return op + ": " + err.Error()
}
