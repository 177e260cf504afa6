package acl

import (
	"sync"
	"time"
)

// LogReason is why an entry was logged (ACL LOG "reason").
type LogReason string

// Reasons, as ACL LOG names them.
const (
	ReasonCommand LogReason = "command"
	ReasonKey     LogReason = "key"
	ReasonChannel LogReason = "channel"
	ReasonAuth    LogReason = "auth"
)

// DefaultLogLen is Redis's acllog-max-len default.
const DefaultLogLen = 128

// groupWindow: a denial like a recent one (same reason, object, user)
// within this window bumps that entry's count instead of adding one.
const groupWindow = 60 * time.Second

// LogEntry is one ACL LOG entry.
type LogEntry struct {
	Count      int64
	Reason     LogReason
	Context    string // always "toplevel" on a Sentinel port (no MULTI, no scripts)
	Object     string // command full name, channel, or the AUTH/HELLO argv[0]
	Username   string
	Time       time.Time // last occurrence
	ClientInfo string    // CLIENT INFO line of the last client
}

// Log is the ACL LOG: newest first, bounded.
type Log struct {
	mu      sync.Mutex
	max     int
	entries []LogEntry
}

// NewLog returns a log keeping at most max entries (DefaultLogLen if <= 0).
func NewLog(max int) *Log {
	if max <= 0 {
		max = DefaultLogLen
	}
	return &Log{max: max}
}

// Add records e (Count and Context are filled in). Like Redis, it looks at
// the 10 newest entries for a similar one to update.
func (l *Log) Add(e LogEntry) {
	if e.Context == "" {
		e.Context = "toplevel"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < len(l.entries) && i < 10; i++ {
		c := l.entries[i]
		d := e.Time.Sub(c.Time)
		if d < 0 {
			d = -d
		}
		if c.Reason == e.Reason && c.Context == e.Context && c.Object == e.Object && c.Username == e.Username && d <= groupWindow {
			c.Count++
			c.Time, c.ClientInfo = e.Time, e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = c
			return
		}
	}
	e.Count = 1
	l.entries = append([]LogEntry{e}, l.entries...)
	if len(l.entries) > l.max {
		l.entries = l.entries[:l.max]
	}
}

// Entries returns up to n entries, newest first (n < 0: none).
func (l *Log) Entries(n int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	n = max(0, min(n, len(l.entries)))
	return append([]LogEntry(nil), l.entries[:n]...)
}

// Reset empties the log (ACL LOG RESET).
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
