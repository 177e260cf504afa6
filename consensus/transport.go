package consensus

import (
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// streamLayer is the raft.StreamLayer over the multiplexed Sentinel port.
// Its address is the node's announced address (possibly a hostname), which
// is also its Raft server ID: every node bootstraps the same configuration
// from `raft-peers` without knowing the others' ids in advance.
type streamLayer struct {
	net.Listener
	advertise string
	auth      peerAuth
	dial      func(network, addr string, timeout time.Duration) (net.Conn, error)
}

func (s *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dialStream(s.dial, string(addr), headerRaft, s.auth, timeout)
}

func (s *streamLayer) Addr() net.Addr { return advertisedAddr(s.advertise) }

// advertisedAddr is a net.Addr that prints as the announced host:port.
type advertisedAddr string

func (a advertisedAddr) Network() string { return "tcp" }
func (a advertisedAddr) String() string  { return string(a) }
