package sentinelproto

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Hostnames in replies. raftinel stores an address as configured (a
// hostname stays a hostname, resolved at every dial; lessons: pod IPs
// change). Sentinel shows IPs unless announce-hostnames is yes, so with
// announce-hostnames no a stored hostname is shown as the address it
// resolves to now. Lookups are cached for Options.HostCacheTTL and bounded
// by resolveTimeout; a name that does not resolve is shown as stored.
// Events (+switch-master ...) carry the stored value: they are built by
// the log, which does no I/O (docs/divergence.md).

// DefaultHostCacheTTL is how long a resolved hostname is reused in replies.
const DefaultHostCacheTTL = time.Second

type hostEntry struct {
	ip string // "" when the lookup failed
	at time.Time
}

// hostCache resolves hostnames for replies.
type hostCache struct {
	ttl    time.Duration
	lookup func(ctx context.Context, host string) ([]string, error)
	mu     sync.Mutex
	m      map[string]hostEntry
}

func newHostCache(ttl time.Duration) *hostCache {
	if ttl <= 0 {
		ttl = DefaultHostCacheTTL
	}
	return &hostCache{ttl: ttl, lookup: net.DefaultResolver.LookupHost, m: map[string]hostEntry{}}
}

// ip returns the first address host resolves to, or "" (cached either way).
func (h *hostCache) ip(ctx context.Context, host string) string {
	now := time.Now()
	h.mu.Lock()
	e, ok := h.m[host]
	h.mu.Unlock()
	if ok && now.Sub(e.at) < h.ttl {
		return e.ip
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	e = hostEntry{at: now}
	if addrs, err := h.lookup(ctx, host); err == nil && len(addrs) > 0 {
		e.ip = addrs[0]
	}
	h.mu.Lock()
	if len(h.m) > 1024 {
		clear(h.m) // names come from the state; this only bounds a pathological case
	}
	h.m[host] = e
	h.mu.Unlock()
	return e.ip
}

// shownHost is how a stored host appears in replies (see above).
func (s *Server) shownHost(host string) string {
	if _, err := netip.ParseAddr(host); err == nil || host == "" {
		return host
	}
	if s.globalConfig().announceHostnames {
		return host
	}
	if ip := s.hosts.ip(s.ctx, host); ip != "" {
		return ip
	}
	return host
}
