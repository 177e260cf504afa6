package sentinelproto

import (
	"sort"
	"sync"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/internal/glob"
)

// pubsubQueueLen bounds the events queued for one subscriber. Publish never
// waits: a subscriber that falls this far behind is disconnected, like
// Redis's pubsub client-output-buffer-limit (Sentinel events are ~100 bytes,
// so this is ~100 KB; a failover of one master emits about 20).
const pubsubQueueLen = 1024

// helloChannel is the only channel PUBLISH accepts.
const helloChannel = "__sentinel__:hello"

// knownEvents are the channels Sentinel publishes (spec §4). PSUBSCRIBE
// matches its patterns against them once, in the subscriber's goroutine, so
// that Publish does a map lookup instead of glob matching: a hostile pattern
// costs its own connection, not the node's event path.
var knownEvents = []string{
	"+monitor", "-monitor", "+set", "+reset-master", "+slave", "+sentinel", "+sdown", "-sdown",
	"+odown", "-odown", "+new-epoch", "+try-failover", "+vote-for-leader", "+elected-leader",
	"+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
	"+failover-state-wait-promotion", "+promoted-slave", "+failover-state-reconf-slaves",
	"+slave-reconf-sent", "+slave-reconf-inprog", "+slave-reconf-done", "+slave-reconf-sent-be",
	"-slave-reconf-sent-timeout", "+failover-end-for-timeout", "+failover-end", "+switch-master",
	"+config-update-from", "-failover-abort-not-elected", "-failover-abort-no-good-slave",
	"-failover-abort-slave-timeout", "+convert-to-slave", "+fix-slave-config", "+role-change",
	"-role-change", "+reboot", "+sentinel-address-switch", "+sentinel-invalid-addr",
	"+sentinel-address-update", "+tilt", "-tilt", "-script-error", "-script-timeout",
}

// pubMsg is one queued delivery; pattern is set for pmessage.
type pubMsg struct {
	pattern, channel, payload string
}

type patternSubs struct {
	clients map[*client]struct{}
	known   map[string]bool // match result for each knownEvents channel
}

// hub routes published events to subscribers.
type hub struct {
	mu       sync.RWMutex
	channels map[string]map[*client]struct{}
	patterns map[string]*patternSubs
}

func newHub() *hub {
	return &hub{channels: map[string]map[*client]struct{}{}, patterns: map[string]*patternSubs{}}
}

func knownMatches(pattern string) map[string]bool {
	m := make(map[string]bool, len(knownEvents))
	for _, ev := range knownEvents {
		m[ev] = glob.Match(pattern, ev)
	}
	return m
}

func (h *hub) publish(channel, payload string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for c := range h.channels[channel] {
		c.deliver(pubMsg{channel: channel, payload: payload})
		n++
	}
	for pat, ps := range h.patterns {
		match, ok := ps.known[channel]
		if !ok {
			match = glob.Match(pat, channel)
		}
		if !match {
			continue
		}
		for c := range ps.clients {
			c.deliver(pubMsg{pattern: pat, channel: channel, payload: payload})
			n++
		}
	}
	return n
}

// add registers c for a channel or pattern (c.mu held).
func (h *hub) add(c *client, name string, pattern bool, known map[string]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if pattern {
		ps := h.patterns[name]
		if ps == nil {
			ps = &patternSubs{clients: map[*client]struct{}{}, known: known}
			h.patterns[name] = ps
		}
		ps.clients[c] = struct{}{}
		return
	}
	set := h.channels[name]
	if set == nil {
		set = map[*client]struct{}{}
		h.channels[name] = set
	}
	set[c] = struct{}{}
}

// remove unregisters c (c.mu held).
func (h *hub) remove(c *client, name string, pattern bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if pattern {
		if ps := h.patterns[name]; ps != nil {
			delete(ps.clients, c)
			if len(ps.clients) == 0 {
				delete(h.patterns, name)
			}
		}
		return
	}
	if set := h.channels[name]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.channels, name)
		}
	}
}

func (h *hub) unsubscribeAll(c *client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.chans {
		h.remove(c, ch, false)
	}
	for p := range c.pats {
		h.remove(c, p, true)
	}
	clear(c.chans)
	clear(c.pats)
}

// counts returns pubsub_channels and pubsub_patterns for INFO.
func (h *hub) counts() (int, int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.channels), len(h.patterns)
}

// deliver queues m without blocking; a full queue disconnects the client.
func (c *client) deliver(m pubMsg) {
	select {
	case c.out <- m:
	default:
		c.s.log.Warn("disconnecting a subscriber that does not read its events",
			zap.Uint64("client", c.id), zap.String("addr", c.raddr), zap.Int("queued", pubsubQueueLen))
		c.close()
	}
}

// startPusher creates the queue and its writer on the first subscription
// (c.mu held; c.out is never changed afterwards).
func (c *client) startPusher() {
	if c.out != nil {
		return
	}
	c.out = make(chan pubMsg, pubsubQueueLen)
	go c.pushLoop()
}

// pushLoop writes queued events, in the protocol the connection speaks at
// that moment, skipping those for subscriptions dropped in the meantime. It
// flushes at least every flushAt bytes, so a subscriber that does not read
// blocks here and its queue fills (then deliver disconnects it).
func (c *client) pushLoop() {
	for {
		var m pubMsg
		select {
		case <-c.done:
			return
		case m = <-c.out:
		}
		c.wmu.Lock()
		c.writeMsg(m)
		for more := true; more && c.unflushed < flushAt; {
			select {
			case m = <-c.out:
				c.writeMsg(m)
			default:
				more = false
			}
		}
		c.flushLocked()
		c.wmu.Unlock()
	}
}

// writeMsg frames one event (wmu held).
func (c *client) writeMsg(m pubMsg) {
	c.mu.Lock()
	r := reply{proto: c.proto}
	subscribed := false
	if m.pattern != "" {
		_, subscribed = c.pats[m.pattern]
	} else {
		_, subscribed = c.chans[m.channel]
	}
	c.mu.Unlock()
	if !subscribed {
		return
	}
	if m.pattern != "" {
		r.push(4)
		r.bulk("pmessage")
		r.bulk(m.pattern)
	} else {
		r.push(3)
		r.bulk("message")
	}
	r.bulk(m.channel)
	r.bulk(m.payload)
	c.writeLocked(r.b)
}

func cmdSubscribe(x *cmdCtx)    { x.s.subscribe(x, false) }
func cmdPsubscribe(x *cmdCtx)   { x.s.subscribe(x, true) }
func cmdUnsubscribe(x *cmdCtx)  { x.s.unsubscribe(x, false) }
func cmdPunsubscribe(x *cmdCtx) { x.s.unsubscribe(x, true) }

// subscribe registers and confirms holding c.wmu, so that no event of a new
// subscription can be written before its confirmation.
func (s *Server) subscribe(x *cmdCtx, pattern bool) {
	var known map[string]map[string]bool
	if pattern {
		known = map[string]map[string]bool{}
		for _, a := range x.args[1:] {
			if _, ok := known[string(a)]; !ok {
				known[string(a)] = knownMatches(string(a))
			}
		}
	}
	c := x.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writeLocked(s.changeSubs(c, x.args[1:], pattern, true, known))
}

// unsubscribe drops the named subscriptions, or all of that kind; each name
// is confirmed, subscribed or not.
func (s *Server) unsubscribe(x *cmdCtx, pattern bool) {
	c := x.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writeLocked(s.changeSubs(c, x.args[1:], pattern, false, nil))
}

// changeSubs updates c's subscriptions and the hub, and returns the
// confirmations (one per name; a bare UNSUBSCRIBE names every subscription,
// or answers a null name when there is none).
func (s *Server) changeSubs(c *client, args [][]byte, pattern, add bool, known map[string]map[string]bool) []byte {
	kind := "subscribe"
	if !add {
		kind = "unsubscribe"
	}
	if pattern {
		kind = "p" + kind
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.chans
	if pattern {
		set = c.pats
	}
	names := make([]string, 0, len(args))
	for _, a := range args {
		names = append(names, string(a))
	}
	if len(names) == 0 { // bare (P)UNSUBSCRIBE, in subscription order
		for n := range set {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return set[names[i]] < set[names[j]] })
	}
	r := reply{proto: c.proto}
	if len(names) == 0 {
		r.push(3)
		r.bulk(kind)
		r.nullBulk()
		r.int(int64(c.subCount()))
	}
	if add {
		c.startPusher()
	}
	for _, n := range names {
		_, had := set[n]
		switch {
		case add && !had:
			c.subSeq++
			set[n] = c.subSeq
			s.hub.add(c, n, pattern, known[n])
		case !add && had:
			delete(set, n)
			s.hub.remove(c, n, pattern)
		}
		r.push(3)
		r.bulk(kind)
		r.bulk(n)
		r.int(int64(c.subCount()))
	}
	return r.b
}

// PUBLISH channel message: Sentinel accepts only hello messages, answers 1
// and relays nothing. raftinel learns its peers from Raft, so the hello is
// not processed further.
func cmdPublish(x *cmdCtx) {
	if x.arg(1) != helloChannel {
		x.r.err("ERR Only HELLO messages are accepted by Sentinel instances.")
		return
	}
	x.r.int(1)
}
