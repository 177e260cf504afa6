package sentinelproto

import (
	"net/netip"
	"sort"
	"strconv"

	"github.com/raftinel/raftinel/model"
)

// Queries are answered from what was rendered once per version of the
// replicated state: an immutable view, built on the first query after the
// state changed, swapped in atomically and read without a lock. The hot
// query, SENTINEL GET-MASTER-ADDR-BY-NAME (every client asks it on every
// connect), is then a map lookup and a copy of pre-rendered bytes; INFO
// and the instance maps find each master's and replica's address strings
// (the monitor's keys) ready instead of formatting them per request.
// Bursts of log entries cost one build, at the next query.

// versioned is a Cluster whose state carries a change counter
// (consensus.Store): without one, replies are built from the state on
// every query.
type versioned interface{ StateVersion() uint64 }

// renderedState is what was rendered from one version of the state.
type renderedState struct {
	version uint64
	masters map[string]*masterView
	names   []string // sorted: MASTERS and INFO order
	// hostnames is set when a master or replica is stored by hostname
	// (shown resolved unless announce-hostnames is yes).
	hostnames bool
}

// masterView is one master as rendered.
type masterView struct {
	name     string
	addr     instRef
	odown    bool
	replicas []instRef
	// addrReply is the GET-MASTER-ADDR-BY-NAME reply; nil for a master
	// stored by hostname, whose shown address may need a lookup.
	addrReply []byte
}

// instRef is an instance's address and its host:port string (the
// monitor's key).
type instRef struct {
	addr model.Addr
	key  string
}

// rendered returns the view of the current state, building it if the
// state moved; nil when the Cluster has no version.
func (s *Server) rendered() *renderedState {
	vc, ok := s.o.Cluster.(versioned)
	if !ok {
		return nil
	}
	ver := vc.StateVersion()
	if v := s.sv.Load(); v != nil && v.version == ver {
		return v
	}
	v := s.render(ver)
	// Keep the newest: a build that raced with a newer one must not
	// replace it.
	for {
		old := s.sv.Load()
		if old != nil && old.version >= v.version {
			return v
		}
		if s.sv.CompareAndSwap(old, v) {
			return v
		}
	}
}

// render builds the view; ver was read before the state, so a change in
// between only makes the next query build again.
func (s *Server) render(ver uint64) *renderedState {
	v := &renderedState{version: ver}
	old := s.sv.Load()
	s.o.Cluster.Read(func(st *model.State) {
		v.masters = make(map[string]*masterView, len(st.Masters))
		v.names = make([]string, 0, len(st.Masters))
		for name, m := range st.Masters {
			if m == nil {
				continue // answered as unknown, as a lookup of it would
			}
			var prev *masterView
			if old != nil {
				prev = old.masters[name]
			}
			mv := &masterView{name: name, addr: ref(m.Addr, prev, -1), odown: m.ODown}
			mv.replicas = make([]instRef, len(m.Replicas))
			for i, r := range m.Replicas {
				mv.replicas[i] = ref(r, prev, i)
				v.hostnames = v.hostnames || !isIP(r.Host)
			}
			if isIP(m.Addr.Host) {
				if prev != nil && prev.addr.addr == m.Addr && prev.addrReply != nil {
					mv.addrReply = prev.addrReply // never written: shared
				} else {
					mv.addrReply = renderAddr(m.Addr)
				}
			} else {
				v.hostnames = true
			}
			v.masters[name] = mv
			v.names = append(v.names, name)
		}
	})
	sort.Strings(v.names)
	return v
}

// ref is a's instRef, reusing the previous view's string when it is the
// same address (i < 0: the master, else replica i).
func ref(a model.Addr, prev *masterView, i int) instRef {
	if prev != nil {
		if i < 0 && prev.addr.addr == a {
			return prev.addr
		}
		if i >= 0 && i < len(prev.replicas) && prev.replicas[i].addr == a {
			return prev.replicas[i]
		}
	}
	return instRef{addr: a, key: a.String()}
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// renderAddr is the GET-MASTER-ADDR-BY-NAME reply for a: the same bytes in
// RESP2 and RESP3.
func renderAddr(a model.Addr) []byte {
	port := strconv.Itoa(a.Port)
	b := make([]byte, 0, 24+len(a.Host)+len(port))
	b = append(b, "*2\r\n$"...)
	b = strconv.AppendInt(b, int64(len(a.Host)), 10)
	b = append(b, "\r\n"...)
	b = append(b, a.Host...)
	b = append(b, "\r\n$"...)
	b = strconv.AppendInt(b, int64(len(port)), 10)
	b = append(b, "\r\n"...)
	b = append(b, port...)
	return append(b, "\r\n"...)
}

// masterViews returns every master in MASTERS order, rendered (from the
// state directly when the Cluster has no version).
func (s *Server) masterViews() []*masterView {
	if v := s.rendered(); v != nil {
		out := make([]*masterView, len(v.names))
		for i, n := range v.names {
			out[i] = v.masters[n]
		}
		return out
	}
	var out []*masterView
	s.o.Cluster.Read(func(st *model.State) {
		for _, n := range st.MasterNames() {
			if m := st.Masters[n]; m != nil {
				mv := &masterView{name: n, addr: ref(m.Addr, nil, -1), odown: m.ODown}
				for _, r := range m.Replicas {
					mv.replicas = append(mv.replicas, ref(r, nil, 0))
				}
				out = append(out, mv)
			}
		}
	})
	return out
}

// replicaKeys returns the host:port strings of m's replicas, from the
// rendered state when it has them.
func (s *Server) replicaKeys(m *model.Master) []string {
	keys := make([]string, len(m.Replicas))
	var mv *masterView
	if v := s.rendered(); v != nil {
		mv = v.masters[m.Name]
	}
	for i, a := range m.Replicas {
		if mv != nil && i < len(mv.replicas) && mv.replicas[i].addr == a {
			keys[i] = mv.replicas[i].key
		} else {
			keys[i] = a.String()
		}
	}
	return keys
}

// addrKey is the host:port string of m's address (see replicaKeys).
func (s *Server) addrKey(m *model.Master) string {
	if v := s.rendered(); v != nil {
		if mv := v.masters[m.Name]; mv != nil && mv.addr.addr == m.Addr {
			return mv.addr.key
		}
	}
	return m.Addr.String()
}
