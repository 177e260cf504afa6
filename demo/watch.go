package demo

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftinel/raftinel/internal/harness"
)

// snapshot is what the screen shows, polled every Options.Refresh.
type snapshot struct {
	redis []redisRow
	nodes []nodeRow
}

type redisRow struct {
	name, addr string
	pid        int
	state      string // running|stopped|killed
	role       string // master|slave|"" (no answer)
	offset     int64
	link       string // a replica's master link: "up"/"down" and its master
}

type nodeRow struct {
	name, addr string
	pid        int
	state      string // running|killed
	raft       string // leader|follower|candidate|""
	term       string
	answer     string // address answered for the master, or the error
}

// poll queries every process at once, each bounded by timeout.
func (p *procs) poll(timeout time.Duration) snapshot {
	var s snapshot
	s.redis = make([]redisRow, len(p.redis))
	s.nodes = make([]nodeRow, len(p.nodes))
	p.mu.Lock()
	stopped := p.stopped
	p.mu.Unlock()
	var wg sync.WaitGroup
	for i, r := range p.redis {
		row := &s.redis[i]
		*row = redisRow{name: p.redisName(r), addr: r.Addr(), pid: r.PID(), state: "running"}
		switch {
		case !r.Running():
			row.state, row.pid = "killed", 0
			continue
		case r == stopped:
			row.state = "stopped"
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			txt, err := do(row.addr, timeout, "INFO", "replication")
			if err != nil {
				return
			}
			info := harness.ParseInfo(txt)
			row.role = info["role"]
			row.offset, _ = strconv.ParseInt(info["master_repl_offset"], 10, 64)
			if row.role == "slave" {
				row.link = info["master_link_status"] + " -> " + info["master_host"] + ":" + info["master_port"]
			}
		}()
	}
	for i, n := range p.nodes {
		row := &s.nodes[i]
		*row = nodeRow{name: p.nodeName(n), addr: n.Addr(), pid: n.PID(), state: "running"}
		if !n.Running() {
			row.state, row.pid = "killed", 0
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if txt, err := do(row.addr, timeout, "INFO", "raft"); err == nil {
				info := harness.ParseInfo(txt)
				row.raft, row.term = info["raft_state"], info["raft_term"]
			}
			txt, err := do(row.addr, timeout, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName)
			if h, port, ok := splitPair(txt); err == nil && ok {
				row.answer = h + ":" + port
			} else if err != nil {
				row.answer = "error: " + err.Error()
			}
		}()
	}
	wg.Wait()
	return s
}

// event is one Pub/Sub message from a node.
type event struct {
	at               time.Time
	node             string
	channel, payload string
}

// subscribe reads PSUBSCRIBE * from one node until ctx ends, reconnecting
// when the node goes away (it may be killed and restarted).
func subscribe(ctx context.Context, name, addr string, out func(event)) {
	for ctx.Err() == nil {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { c.Close() })
			readEvents(c, name, out)
			stop()
			c.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func readEvents(c net.Conn, name string, out func(event)) {
	if _, err := c.Write(harness.Encode("PSUBSCRIBE", "*")); err != nil {
		return
	}
	br := bufio.NewReader(c)
	for {
		msg, err := harness.ReadReply(br)
		if err != nil {
			return
		}
		// pmessage, pattern, channel, payload
		f := strings.SplitN(msg, "\n", 4)
		if len(f) == 4 && f[0] == "pmessage" {
			out(event{at: time.Now(), node: name, channel: f[2], payload: f[3]})
		}
	}
}

// eventLog keeps the recent events. Every node publishes the events of
// every committed entry, so the same event arrives up to three times: a
// copy seen within dedupWindow is dropped.
type eventLog struct {
	mu     sync.Mutex
	list   []event
	recent map[string]time.Time
	keep   int
}

const dedupWindow = 3 * time.Second

func newEventLog(keep int) *eventLog { return &eventLog{recent: map[string]time.Time{}, keep: keep} }

// add returns false for a duplicate.
func (l *eventLog) add(e event) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := e.channel + " " + e.payload
	if at, ok := l.recent[key]; ok && e.at.Sub(at) < dedupWindow {
		return false
	}
	l.recent[key] = e.at
	for k, at := range l.recent {
		if e.at.Sub(at) >= dedupWindow {
			delete(l.recent, k)
		}
	}
	l.list = append(l.list, e)
	if len(l.list) > l.keep {
		l.list = l.list[len(l.list)-l.keep:]
	}
	return true
}

func (l *eventLog) last(n int) []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.list) > n {
		return append([]event(nil), l.list[len(l.list)-n:]...)
	}
	return append([]event(nil), l.list...)
}
