package node

import (
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/raftinel/raftinel/tlsconf"
)

// setupTLS builds the TLS configurations from the tls-* directives: the
// tls-port listener's, and, with tls-replication yes, the one every
// outgoing link uses (Redis instances, other nodes' Sentinel port, Raft
// and forwarding streams), as redis-sentinel does. raftDial is wrapped in
// place; n.dial is wrapped for the monitor.
func (n *Node) setupTLS(raftDial *func(network, addr string, timeout time.Duration) (net.Conn, error)) error {
	c := n.cfg.TLS
	if c.Port > 0 {
		srv, warns, err := tlsconf.Server(c)
		if err != nil {
			return n.cfg.Errorf("tls-port", "tls-port %d: %v", c.Port, err)
		}
		n.tlsServer = srv
		n.warnTLS(warns)
	}
	if !c.Replication {
		return nil
	}
	cli, warns, err := tlsconf.Client(c)
	if err != nil {
		return n.cfg.Errorf("tls-replication", "tls-replication: %v", err)
	}
	if c.Port == 0 {
		n.warnTLS([]string{"tls-replication yes without tls-port: other nodes reach this one without TLS"})
	} else {
		n.warnTLS(warns)
	}
	n.dial = tlsconf.WrapDial(n.dial, cli)
	*raftDial = tlsconf.WrapDialTimeout(*raftDial, cli)
	return nil
}

func (n *Node) warnTLS(warns []string) {
	for _, w := range warns {
		n.log.Warn("tls directive not applied", zap.String("reason", w))
	}
}
