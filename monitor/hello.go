package monitor

import (
	"context"
	"errors"
	"net"

	"github.com/raftinel/raftinel/view"
)

// Hello messages (spec §6.5): every Sentinel publishes, every 2 s, on
// __sentinel__:hello of every master and replica it monitors,
//
//	<ip>,<port>,<myid>,<current-epoch>,<master-name>,<master-ip>,<master-port>,<master-config-epoch>
//
// and learns the other Sentinels from what the others publish. raftinel
// publishes the same messages so that redis-sentinel nodes of a mixed
// deployment, and tooling that reads the channel, see it. It never adopts
// anything from a hello it receives (docs/divergence.md): a hello arrives
// unauthenticated through Redis, and anyone who can PUBLISH on a Redis can
// forge one. Before its cluster exists a node reads hellos only to find
// addresses worth asking whether they are raftinel nodes; membership is
// then proved by the raft-secret handshake (consensus/formation.go).

// ErrLinkDown is returned by PublishHello when the instance's command link
// is not connected.
var ErrLinkDown = errors.New("monitor: link down")

// PublishHello publishes a hello to addr monitored under master, as
// Sentinel does: only when the link is connected (a link that is down is
// for its own loop to reconnect), with the message built from the link's
// local IP (Sentinel's address when announce-ip is unset). When the pinger
// drives the instance's probe, the hello leaves with the probe's next PING
// and the result is the previous hello's (hellopub.go); otherwise it is
// published on the command link and the result is its own.
func (m *Monitor) PublishHello(ctx context.Context, master, addr string, build func(localIP string) string) error {
	in, err := m.instance(master, addr)
	if err != nil {
		return err
	}
	if in.probe.pg != nil {
		return in.probe.queueHello(build)
	}
	in.cmd.mu.Lock()
	c := in.cmd.c
	ip := ""
	if c != nil {
		ip = localIP(c.nc)
	}
	in.cmd.mu.Unlock()
	if c == nil {
		return ErrLinkDown
	}
	_, err = in.do(ctx, []string{"PUBLISH", view.HelloChannel, build(ip)})
	return err
}

// HellosQueued reports whether PublishHello only leaves hellos for the
// pinger (it then never waits on the network, and its result is the
// previous hello's); false until Run has started the pinger, and where no
// pinger runs.
func (m *Monitor) HellosQueued() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pinger != nil
}

// localIP is the IP of nc's local end ("" if unknown).
func localIP(nc net.Conn) string {
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	if h, _, err := net.SplitHostPort(nc.LocalAddr().String()); err == nil {
		return h
	}
	return ""
}
