package httpapi

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the counters a node feeds as things happen: failovers
// counted from the events of committed log entries (every node applies
// every entry, so every node counts the same failovers, whoever led them)
// and the latency of the liveness probes. Gauges that describe the present
// (Raft state, master status) are read from the Source at scrape time.
type Metrics struct {
	started      *prometheus.CounterVec
	succeeded    *prometheus.CounterVec
	aborted      *prometheus.CounterVec
	lastSwitch   *prometheus.GaugeVec
	lastFailover *prometheus.GaugeVec
	probe        prometheus.Histogram

	mu    sync.Mutex
	tryAt map[string]time.Time // master -> when its running failover started
	now   func() time.Time
}

// NewMetrics returns zeroed metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raftinel_failovers_started_total",
			Help: "Failover attempts committed (+try-failover), including those that found no good replica.",
		}, []string{"master"}),
		succeeded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raftinel_failovers_succeeded_total",
			Help: "Failovers that ended (+failover-end).",
		}, []string{"master"}),
		aborted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "raftinel_failovers_aborted_total",
			Help: "Failovers aborted before the switch (-failover-abort-<reason>).",
		}, []string{"master", "reason"}),
		lastSwitch: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "raftinel_failover_last_switch_seconds",
			Help: "Last failover: from its start (+try-failover) to +switch-master, as seen by this node.",
		}, []string{"master"}),
		lastFailover: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "raftinel_failover_last_duration_seconds",
			Help: "Last failover: from its start (+try-failover) to +failover-end, as seen by this node.",
		}, []string{"master"}),
		probe: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "raftinel_probe_latency_seconds",
			Help:    "Round trip of the PINGs that probe Redis instances.",
			Buckets: latencyBuckets,
		}),
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
		m.started.WithLabelValues(name).Inc()
		m.mu.Lock()
		m.tryAt[name] = m.now()
		m.mu.Unlock()
	case channel == "+switch-master":
		name, _, _ := strings.Cut(payload, " ")
		if d, ok := m.since(name, false); ok {
			m.lastSwitch.WithLabelValues(name).Set(d.Seconds())
		}
	case channel == "+failover-end":
		// The duration first: a scrape that sees the count move must see
		// the duration of the failover it counts.
		name := masterName(payload)
		if d, ok := m.since(name, true); ok {
			m.lastFailover.WithLabelValues(name).Set(d.Seconds())
		}
		m.succeeded.WithLabelValues(name).Inc()
	case strings.HasPrefix(channel, "-failover-abort-"):
		name := masterName(payload)
		m.aborted.WithLabelValues(name, strings.TrimPrefix(channel, "-failover-abort-")).Inc()
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
	m.started.WithLabelValues(master)
	m.succeeded.WithLabelValues(master)
}

func (m *Metrics) collect(ch chan<- prometheus.Metric) {
	m.started.Collect(ch)
	m.succeeded.Collect(ch)
	m.aborted.Collect(ch)
	m.lastSwitch.Collect(ch)
	m.lastFailover.Collect(ch)
	m.probe.Collect(ch)
}
