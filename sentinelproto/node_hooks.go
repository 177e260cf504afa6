package sentinelproto

import (
	"strconv"
	"time"
)

// Node-local facts other parts of the node read from the protocol server:
// the announced address hello messages carry, and TILT as INFO and
// IS-MASTER-DOWN-BY-ADDR show it.

// Announce returns the address this node announces in hello messages, as
// Sentinel computes it: announce-ip ("" = the local address of the link
// the message goes out on) and announce-port, else tls-port with
// tls-replication, else port. SENTINEL CONFIG SET announce-ip/-port
// changes them at run time.
func (s *Server) Announce() (ip string, port int) {
	g := s.local.get()
	port = s.cfg.Port
	if s.cfg.TLS.Port > 0 && (s.cfg.TLS.Replication || s.cfg.Port == 0) {
		port = s.cfg.TLS.Port
	}
	if g.announcePort != 0 {
		port = g.announcePort
	}
	return g.announceIP, port
}

// tilt reports TILT (Options.Tilt), off without the hook.
func (s *Server) tilt() (bool, time.Time) {
	if s.o.Tilt == nil {
		return false, time.Time{}
	}
	return s.o.Tilt()
}

// tiltInfo is INFO's sentinel_tilt and sentinel_tilt_since_seconds (-1
// outside TILT).
func (s *Server) tiltInfo() [][2]string {
	on, since := s.tilt()
	if !on {
		return [][2]string{{"sentinel_tilt", "0"}, {"sentinel_tilt_since_seconds", "-1"}}
	}
	return [][2]string{{"sentinel_tilt", "1"}, {"sentinel_tilt_since_seconds", strconv.FormatInt(int64(time.Since(since).Seconds()), 10)}}
}
