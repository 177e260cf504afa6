package httpapi

import (
	"strings"
	"sync"
	"time"
)

// Metrics holds the counters a node feeds as things happen: failovers
// counted from the events of committed log entries (every node applies
// every entry, so every node counts the same failovers, whoever led them)
// and the latency of the liveness probes. Gauges that describe the present
// (Raft state, master status) are read from the Source at scrape time.
type Metrics struct {
	started      *vec // counters
	succeeded    *vec
	aborted      *vec
	lastSwitch   *vec // gauges
	lastFailover *vec
	probe        *histogram

	mu    sync.Mutex
	tryAt map[string]time.Time // master -> when its running failover started
	now   func() time.Time
}

// NewMetrics returns zeroed metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		started: newVec(desc{"raftinel_failovers_started_total",
			"Failover attempts committed (+try-failover), including those that found no good replica."}, "master"),
		succeeded: newVec(desc{"raftinel_failovers_succeeded_total",
			"Failovers that ended (+failover-end)."}, "master"),
		aborted: newVec(desc{"raftinel_failovers_aborted_total",
			"Failovers aborted before the switch (-failover-abort-<reason>)."}, "master", "reason"),
		lastSwitch: newVec(desc{"raftinel_failover_last_switch_seconds",
			"Last failover: from its start (+try-failover) to +switch-master, as seen by this node."}, "master"),
		lastFailover: newVec(desc{"raftinel_failover_last_duration_seconds",
			"Last failover: from its start (+try-failover) to +failover-end, as seen by this node."}, "master"),
		probe: newHistogram(latencyBuckets),
		tryAt: map[string]time.Time{},
		now:   time.Now,
	}
}

// Event counts failovers from a committed event (node.publish calls it for
// every event). Payloads are Sentinel's: "+try-failover master <name> <ip>
// <port>", "+switch-master <name> <old ip> <old port> <new ip> <new port>".
func (m *Metrics) Event(channel, payload string) {
	switch {
	case channel == "+try-failover":
		name := masterName(payload)
		m.started.add(1, name)
		m.mu.Lock()
		m.tryAt[name] = m.now()
		m.mu.Unlock()
	case channel == "+switch-master":
		name, _, _ := strings.Cut(payload, " ")
		if d, ok := m.since(name, false); ok {
			m.lastSwitch.set(d.Seconds(), name)
		}
	case channel == "+failover-end":
		// The duration first: a scrape that sees the count move must see
		// the duration of the failover it counts.
		name := masterName(payload)
		if d, ok := m.since(name, true); ok {
			m.lastFailover.set(d.Seconds(), name)
		}
		m.succeeded.add(1, name)
	case strings.HasPrefix(channel, "-failover-abort-"):
		name := masterName(payload)
		m.aborted.add(1, name, strings.TrimPrefix(channel, "-failover-abort-"))
		m.mu.Lock()
		delete(m.tryAt, name)
		m.mu.Unlock()
	}
}

// since is the time since the master's failover started on this node
// (false when this node did not see the start, e.g. it joined later).
func (m *Metrics) since(name string, end bool) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at, ok := m.tryAt[name]
	if end {
		delete(m.tryAt, name)
	}
	if !ok {
		return 0, false
	}
	return m.now().Sub(at), true
}

// masterName takes <name> out of "master <name> <ip> <port>".
func masterName(payload string) string {
	f := strings.Fields(payload)
	if len(f) >= 2 && f[0] == "master" {
		return f[1]
	}
	return payload
}

// ObservePing records one probe round trip (monitor.Config.PingRTT).
func (m *Metrics) ObservePing(rtt time.Duration) { m.probe.Observe(rtt.Seconds()) }

// touch makes a master's counters exist (at 0) before its first failover,
// so that rate() and alerts see them from the start.
func (m *Metrics) touch(master string) {
	m.started.add(0, master)
	m.succeeded.add(0, master)
}

var descProbe = desc{"raftinel_probe_latency_seconds", "Round trip of the PINGs that probe Redis instances."}

func (m *Metrics) write(e *exposition) {
	m.started.write(e, "counter")
	m.succeeded.write(e, "counter")
	m.aborted.write(e, "counter")
	m.lastSwitch.write(e, "gauge")
	m.lastFailover.write(e, "gauge")
	e.histogram(descProbe, m.probe)
}
