package node

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftinel/raftinel/monitor"
	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// formation runs while the node forms its cluster by discovery
// (raft-bootstrap-expect, consensus/formation.go). It gives the store the
// addresses worth asking -- the config's known-sentinel lines and the
// senders of hello messages on the config's masters and known replicas --
// and publishes this node's own hellos there so that the other nodes find
// it. Those hellos claim no epoch (current and config epoch 0): a node
// without a cluster has no view of its own, and a redis-sentinel adopts a
// master address only from a hello with a higher config epoch than its own.
// Nothing heard is trusted: the store asks each address, and only a node
// that proves raft-secret counts.
func (n *Node) formation(ctx context.Context) {
	if n.store.Forming() == nil {
		return
	}
	for _, m := range n.cfg.Masters {
		for _, ks := range m.KnownSentinels {
			n.store.FormationHint(net.JoinHostPort(ks.Host, strconv.Itoa(ks.Port)))
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	heard := func(h view.Hello) {
		if h.MyID != n.myID {
			n.store.FormationHint(h.Addr())
		}
	}
	var links []formationLink
	for _, m := range n.cfg.Masters {
		addrs := []string{net.JoinHostPort(m.Host, strconv.Itoa(m.Port))}
		for _, r := range m.KnownReplicas {
			addrs = append(addrs, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)))
		}
		h := view.Hello{MyID: n.myID, Master: m.Name, MasterIP: m.Host, MasterPort: m.Port}
		for _, a := range addrs {
			l := n.mon.NewHelloLink(view.Target{Master: m.Name, Addr: a, DownAfter: m.DownAfter,
				AuthUser: m.AuthUser, AuthPass: m.AuthPass, Rename: m.RenameCommands}, heard)
			links = append(links, formationLink{l, h})
			wg.Add(1)
			go func() { defer wg.Done(); l.Run(ctx) }()
		}
	}
	n.log.Info("forming the raft cluster by discovery", zap.Int("expect", n.cfg.Raft.BootstrapExpect), zap.Int("hello-links", len(links)))
	n.hello.setLinks(links)
	defer n.hello.setLinks(nil)
	n.helloNow()
	t := time.NewTicker(formationCheck)
	defer t.Stop()
	for n.store.Forming() != nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	// The cluster exists: hellos go out on the monitor's links from now on.
}

// formationCheck is how often formation looks whether the cluster exists.
const formationCheck = 250 * time.Millisecond

// formationLink is a hello link to one configured instance and the hello
// this node publishes there while it forms its cluster.
type formationLink struct {
	l *monitor.HelloLink
	h view.Hello
}

// publishForming publishes the forming node's hellos on its hello links.
func (n *Node) publishForming(ctx context.Context, links []formationLink) {
	ip, port := n.srv.Announce()
	var wg sync.WaitGroup
	for _, k := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = k.l.Publish(ctx, func(local string) string {
				h := k.h
				h.IP, h.Port = ip, port
				if h.IP == "" {
					h.IP = local
				}
				return h.String()
			})
		}()
	}
	wg.Wait()
}

// isRaftinel asks addr (a Sentinel port) whether it is a raftinel node:
// INFO server names raftinel_version there, not on a redis-sentinel. The
// node authenticates like the monitor does towards its peers.
func (n *Node) isRaftinel(ctx context.Context, addr string) (bool, error) {
	if !n.ready.Load() {
		return false, errStopped // asked while New still runs: asked again later
	}
	user, pass := n.cfg.SentinelUser, n.cfg.SentinelPass
	if pass == "" {
		pass = n.cfg.RequirePass
	}
	v, err := n.mon.QueryPeer(ctx, view.PeerTarget{Addr: addr, AuthUser: user, AuthPass: pass}, "INFO", "server")
	if err != nil {
		return false, err
	}
	s, _ := v.(string)
	return strings.Contains(s, "\nraftinel_version:"), nil
}
