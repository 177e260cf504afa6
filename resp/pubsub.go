package resp

import (
	"sort"
	"sync"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/internal/glob"
)

// PubSubQueueLen bounds the messages queued for one subscriber. Publish
// never waits: a subscriber that falls this far behind is disconnected,
// like Redis's pubsub client-output-buffer-limit (Sentinel events are ~100
// bytes, so this is ~100 KB).
const PubSubQueueLen = 1024

// pubMsg is one queued delivery; pattern is set for pmessage.
type pubMsg struct {
	pattern, channel, payload string
}

type patternSubs struct {
	clients map[*Conn]struct{}
	known   map[string]bool // match result for each known channel
}

// hub routes published messages to subscribers.
type hub struct {
	known    []string // Options.KnownChannels
	mu       sync.RWMutex
	channels map[string]map[*Conn]struct{}
	patterns map[string]*patternSubs
}

func newHub(known []string) *hub {
	return &hub{known: known, channels: map[string]map[*Conn]struct{}{}, patterns: map[string]*patternSubs{}}
}

// knownMatches matches pattern against every known channel once, in the
// subscriber's goroutine: a hostile pattern costs its own connection, not
// the publisher.
func (h *hub) knownMatches(pattern string) map[string]bool {
	m := make(map[string]bool, len(h.known))
	for _, ch := range h.known {
		m[ch] = glob.Match(pattern, ch)
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
func (h *hub) add(c *Conn, name string, pattern bool, known map[string]bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if pattern {
		ps := h.patterns[name]
		if ps == nil {
			ps = &patternSubs{clients: map[*Conn]struct{}{}, known: known}
			h.patterns[name] = ps
		}
		ps.clients[c] = struct{}{}
		return
	}
	set := h.channels[name]
	if set == nil {
		set = map[*Conn]struct{}{}
		h.channels[name] = set
	}
	set[c] = struct{}{}
}

// remove unregisters c (c.mu held).
func (h *hub) remove(c *Conn, name string, pattern bool) {
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

func (h *hub) unsubscribeAll(c *Conn) {
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
	c.subs.Store(0)
}

// counts returns pubsub_channels and pubsub_patterns for INFO.
func (h *hub) counts() (int, int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.channels), len(h.patterns)
}

// deliver queues m without blocking; a full queue disconnects the client.
func (c *Conn) deliver(m pubMsg) {
	select {
	case c.push <- m:
	default:
		c.s.log.Warn("disconnecting a subscriber that does not read its messages",
			zap.Uint64("client", c.id), zap.String("addr", c.raddr), zap.Int("queued", PubSubQueueLen))
		c.Close()
	}
}

// startPusher creates the queue and its writer on the first subscription
// (c.mu held; c.push is never changed afterwards).
func (c *Conn) startPusher() {
	if c.push != nil {
		return
	}
	c.push = make(chan pubMsg, PubSubQueueLen)
	go c.pushLoop()
}

// pushLoop writes queued messages, in the protocol the connection speaks
// at that moment, skipping those for subscriptions dropped in the
// meantime. It flushes at least every flushAt bytes, so a subscriber that
// does not read blocks here and its queue fills (then deliver disconnects
// it).
func (c *Conn) pushLoop() {
	for {
		var m pubMsg
		select {
		case <-c.done:
			return
		case m = <-c.push:
		}
		c.wmu.Lock()
		c.writeMsg(m)
		for more := true; more && c.pending() < flushAt; {
			select {
			case m = <-c.push:
				c.writeMsg(m)
			default:
				more = false
			}
		}
		c.flushLocked()
		c.wmu.Unlock()
	}
}

// writeMsg frames one message (wmu held).
func (c *Conn) writeMsg(m pubMsg) {
	c.mu.Lock()
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
	r := Reply{proto: c.Proto()}
	if m.pattern != "" {
		r.Push(4)
		r.Bulk("pmessage")
		r.Bulk(m.pattern)
	} else {
		r.Push(3)
		r.Bulk("message")
	}
	r.Bulk(m.channel)
	r.Bulk(m.payload)
	c.writeLocked(r.b)
}

// Subscribe is SUBSCRIBE (pattern false) and PSUBSCRIBE: it registers the
// names and writes one confirmation each, holding the output lock so that
// no message of a new subscription can be written before its
// confirmation. The command's own Reply stays empty.
func (c *Conn) Subscribe(names [][]byte, pattern bool) {
	var known map[string]map[string]bool
	if pattern {
		known = map[string]map[string]bool{}
		for _, a := range names {
			if _, ok := known[string(a)]; !ok {
				known[string(a)] = c.s.hub.knownMatches(string(a))
			}
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writeLocked(c.changeSubs(names, pattern, true, known))
}

// Unsubscribe is UNSUBSCRIBE and PUNSUBSCRIBE: it drops the named
// subscriptions, or all of that kind; each name is confirmed, subscribed
// or not.
func (c *Conn) Unsubscribe(names [][]byte, pattern bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writeLocked(c.changeSubs(names, pattern, false, nil))
}

// Subscriptions returns the subscribed channels and patterns.
func (c *Conn) Subscriptions() (chans, pats []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.chans {
		chans = append(chans, ch)
	}
	for p := range c.pats {
		pats = append(pats, p)
	}
	return chans, pats
}

// changeSubs updates c's subscriptions and the hub, and returns the
// confirmations (one per name; a bare UNSUBSCRIBE names every subscription,
// or answers a null name when there is none).
func (c *Conn) changeSubs(args [][]byte, pattern, add bool, known map[string]map[string]bool) []byte {
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
	r := Reply{proto: c.Proto()}
	count := func() int64 { return int64(len(c.chans) + len(c.pats)) }
	if len(names) == 0 {
		r.Push(3)
		r.Bulk(kind)
		r.NullBulk()
		r.Int(count())
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
			c.s.hub.add(c, n, pattern, known[n])
		case !add && had:
			delete(set, n)
			c.s.hub.remove(c, n, pattern)
		}
		c.subs.Store(int32(len(c.chans) + len(c.pats)))
		r.Push(3)
		r.Bulk(kind)
		r.Bulk(n)
		r.Int(count())
	}
	return r.b
}
