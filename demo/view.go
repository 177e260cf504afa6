package demo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// keyHelp is the key line of the screen and of --help.
const keyHelp = "k kill -9 master   s SIGSTOP/SIGCONT master   n kill -9 Raft leader   r restart what was killed   f SENTINEL FAILOVER   q quit"

// ANSI escape codes.
const (
	ansiHome      = "\x1b[H"
	ansiClearEOL  = "\x1b[K"
	ansiClearDown = "\x1b[J"
	ansiAltOn     = "\x1b[?1049h\x1b[?25l" // alternate screen, cursor hidden
	ansiAltOff    = "\x1b[?25h\x1b[?1049l"
	ansiReset     = "\x1b[0m"
	ansiBold      = "\x1b[1m"
	ansiRed       = "\x1b[31m"
	ansiGreen     = "\x1b[32m"
	ansiYellow    = "\x1b[33m"
	ansiCyan      = "\x1b[36m"
	ansiDim       = "\x1b[2m"
)

// screen is the input of render: everything is copied, render is pure.
type screen struct {
	snap     snapshot
	events   []event
	status   string
	result   string // last measured failover
	pending  string // action whose switch is awaited
	ready    bool   // waitReady passed: the replicas have the client's writes
	since    time.Duration
	ok, errs int
	lastErr  string
	counter  int64
	dir      string
	down, fo time.Duration
	color    bool
	height   int
}

// render draws the screen as lines (without line ends).
func render(sc screen) []string {
	c := func(code, s string) string {
		if !sc.color || code == "" {
			return s
		}
		return code + s + ansiReset
	}
	var l []string
	add := func(format string, a ...any) { l = append(l, fmt.Sprintf(format, a...)) }
	add("%s  3 raftinel nodes watch %s (1 master + 2 replicas), down-after %d ms, failover-timeout %d ms",
		c(ansiBold, "raftinel demo"), MasterName, sc.down.Milliseconds(), sc.fo.Milliseconds())
	add("%s", c(ansiDim, "data and logs: "+sc.dir+"  (nodeN/node.log, redisN/redis.log)"))
	add("")
	add("%s", c(ansiBold, fmt.Sprintf(" %-6s %-21s %-8s %-8s %-7s %-10s %s", "REDIS", "ADDRESS", "PID", "STATE", "ROLE", "OFFSET", "REPLICATION")))
	for _, r := range sc.snap.redis {
		role, offset := r.role, strconv.FormatInt(r.offset, 10)
		if role == "" {
			role, offset = "?", "-"
		}
		row := fmt.Sprintf(" %-6s %-21s %-8s %-8s %-7s %-10s %s", r.name, r.addr, pidText(r.pid), r.state, role, offset, r.link)
		switch {
		case r.state == "killed":
			row = c(ansiRed, row)
		case r.state == "stopped":
			row = c(ansiYellow, row)
		case role == "master":
			row = c(ansiGreen, row)
		}
		l = append(l, row)
	}
	add("")
	add("%s", c(ansiBold, fmt.Sprintf(" %-8s %-21s %-8s %-8s %-10s %-5s %s", "RAFTINEL", "ADDRESS", "PID", "STATE", "RAFT", "TERM", "ANSWERS FOR "+MasterName)))
	for _, n := range sc.snap.nodes {
		raft := n.raft
		if raft == "" {
			raft = "?"
		}
		row := fmt.Sprintf(" %-8s %-21s %-8s %-8s %-10s %-5s %s", n.name, n.addr, pidText(n.pid), n.state, raft, n.term, n.answer)
		switch {
		case n.state == "killed":
			row = c(ansiRed, row)
		case raft == "leader":
			row = c(ansiCyan, row)
		}
		l = append(l, row)
	}
	add("")
	add(" client    go-redis FailoverClient, INCR demo:counter every 100 ms: %d ok, %d errors, counter %d", sc.ok, sc.errs, sc.counter)
	if sc.lastErr != "" {
		add("           last error: %s", sc.lastErr)
	}
	switch {
	case sc.pending != "":
		add(" failover  %s", c(ansiYellow, fmt.Sprintf("%s ... %.1f s, waiting for +switch-master", sc.pending, sc.since.Seconds())))
	case sc.result != "":
		add(" failover  %s", c(ansiGreen, sc.result))
	case !sc.ready:
		add(" failover  none yet: waiting until both replicas have the client's writes (a master killed sooner takes them along)")
	default:
		add(" failover  none yet: press k to kill the master")
	}
	add("")
	add("%s", c(ansiBold, " EVENTS (newest last; an event published by several nodes is shown once)"))
	room := sc.height - len(l) - 3
	if room < 3 {
		room = 3
	}
	evs := sc.events
	if len(evs) > room {
		evs = evs[len(evs)-room:]
	}
	for _, e := range evs {
		row := fmt.Sprintf(" %s %s %s %s", e.at.Format("15:04:05.000"), e.node, e.channel, e.payload)
		if e.channel == "+switch-master" {
			row = c(ansiGreen, row)
		} else if strings.HasPrefix(e.channel, "+sdown") || strings.HasPrefix(e.channel, "+odown") {
			row = c(ansiYellow, row)
		}
		l = append(l, row)
	}
	for i := len(evs); i < room; i++ {
		l = append(l, "")
	}
	add("")
	add(" %s", c(ansiBold, keyHelp))
	add(" > %s", sc.status)
	return l
}

func pidText(pid int) string {
	if pid == 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}

// frame turns lines into one terminal write: home, each line cleared to
// its end, the rest of the screen cleared (no flicker of a full clear).
func frame(lines []string) string {
	var b strings.Builder
	b.WriteString(ansiHome)
	for i, l := range lines {
		b.WriteString(l)
		b.WriteString(ansiClearEOL)
		if i < len(lines)-1 {
			b.WriteString("\r\n")
		}
	}
	b.WriteString(ansiClearDown)
	return b.String()
}
