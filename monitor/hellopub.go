package monitor

import (
	"github.com/raftinel/raftinel/view"
)

// Hello PUBLISHes ride on PINGs.
//
// When the pinger drives an instance's probe (Linux, the monitor dialing
// its own connections), PublishHello does not run an exchange of its own on
// the command link: it leaves the message on the probe, and the pinger
// writes it in front of the probe's next PING, in the same write. Redis
// answers both in order, so the PUBLISH's reply is read with the PING's,
// in the same wake-up. Sentinel's event loop gets the same effect: the
// hello and the PING it queues in one timer pass leave in one write.
//
// Why: at one PING per second (Sentinel's period), a hello every 2 s on
// every master and replica was a third of an idle node's exchanges, and
// the costliest: a goroutine, a context timer, a write and a parked read
// per publish (perf, 100 masters x 2 replicas: about a fifth of a
// follower's samples). Now it costs a few bytes more in a write and a
// read that happen anyway.
//
// What it changes: a hello leaves with the next PING, so at most one ping
// period after the hello round (100 ms by default; a second at Sentinel's
// period, within the 2 s hello period), and a hello queued before the last
// one left replaces it. The PUBLISH goes before the PING so that the PING
// stays the last reply of the write, as the pinger's accounting expects;
// PUBLISH never blocks, so the PING's round trip grows by microseconds.
// The outcome of a publish (an ACL refusing PUBLISH, say) is known only
// when its reply is read, so PublishHello reports the outcome of the
// previous hello of that probe: a refusal shows one round late, which is
// all its log line needs.

// queueHello leaves a hello for the probe's next PING and returns the
// outcome of the last one published this way: ErrLinkDown when the probe
// is not connected (nothing is queued, as Sentinel publishes only on a
// connected link), the Redis error that refused it, or nil.
func (p *probe) queueHello(build func(localIP string) string) error {
	p.mu.Lock()
	connected, ip, refused := p.connected, p.localIP, p.helloErr
	p.mu.Unlock()
	if !connected {
		return ErrLinkDown
	}
	msg := build(ip)
	p.hello.Store(&msg)
	if refused != "" {
		return RedisError(refused)
	}
	return nil
}

// setLocalIP records the local IP of a new connection.
func (p *probe) setLocalIP(ip string) {
	p.mu.Lock()
	p.localIP = ip
	p.mu.Unlock()
}

// appendHello appends the queued hello, if any, as a PUBLISH (its name
// renamed) and reports whether it did.
func (p *probe) appendHello(b []byte, s *linkSettings) ([]byte, bool) {
	msg := p.hello.Swap(nil)
	if msg == nil {
		return b, false
	}
	return appendCommand(b, renamed(s.rename, "PUBLISH"), view.HelloChannel, *msg), true
}

// helloReplied records a hello's reply: kind '-' is a refusal.
func (p *probe) helloReplied(kind byte, msg []byte) {
	p.mu.Lock()
	switch {
	case kind != '-':
		p.helloErr = ""
	case p.helloErr != string(msg): // no allocation for the same refusal again
		p.helloErr = string(msg)
	}
	p.mu.Unlock()
}

// sent names a command of a probe's write. They go out in this order:
// AUTH and CLIENT SETNAME (a new connection's handshake, each when
// needed), a hello's PUBLISH (when one is queued), PING.
type sent int

const (
	sentAuth sent = iota
	sentSetName
	sentHello
	sentPing
)

// answering says which command of the write the next reply answers, when
// stage more replies are expected after it (the PING's is the last, stage
// 0), pre says which handshake commands went out and publish whether a
// hello did.
func answering(stage int, pre prelude, publish bool) sent {
	var seq [4]sent
	n := 0
	for _, c := range []struct {
		on bool
		s  sent
	}{{pre.auth, sentAuth}, {pre.hello, sentSetName}, {publish, sentHello}, {true, sentPing}} {
		if c.on {
			seq[n] = c.s
			n++
		}
	}
	if i := n - 1 - stage; i >= 0 && i < n {
		return seq[i]
	}
	return sentPing
}
