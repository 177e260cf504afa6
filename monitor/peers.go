package monitor

import (
	"context"
	"sync"
	"time"

	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// peer is another raftinel node, probed with PING on its Sentinel port every
// second, as Sentinel probes its peers. Any reply refreshes LastPingReply;
// only PONG (or LOADING/MASTERDOWN) is a valid one, so -NOAUTH counts as a
// reply but not as a sign of health.
type peer struct {
	m      *Monitor
	p      view.PeerTarget
	probe  *probe
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	authErr string
}

func newPeer(m *Monitor, p view.PeerTarget) *peer {
	pr := &peer{m: m, p: p, done: make(chan struct{})}
	pr.probe = newProbe(peerSettings(m.cfg, p), m.cfg.Dial, pr)
	return pr
}

func (pr *peer) start(ctx context.Context, wg *sync.WaitGroup) {
	ctx, pr.cancel = context.WithCancel(ctx)
	if pg := pr.m.pinger; pg != nil {
		pg.add(pr.probe)
		close(pr.done)
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pr.done)
		pr.probe.run(ctx)
	}()
}

func (pr *peer) stop() {
	if pr.cancel != nil {
		pr.cancel()
	}
	pr.probe.stop()
}

func (pr *peer) update(p view.PeerTarget) {
	pr.mu.Lock()
	pr.p = p
	pr.mu.Unlock()
	pr.probe.update(peerSettings(pr.m.cfg, p))
}

func (pr *peer) view() view.Peer {
	ps := pr.probe.state()
	pr.mu.Lock()
	v := view.Peer{ID: pr.p.ID, Addr: pr.p.Addr}
	pr.mu.Unlock()
	v.Connected = ps.connected
	v.PingPendingSince = ps.pendingSince
	v.LastOKPing = ps.lastOK
	v.LastPingReply = ps.lastReply
	return v
}

func (pr *peer) probeLost()        {}
func (pr *peer) probeRecovered()   {}
func (pr *peer) changed(time.Time) {}

// authResult implements authSink: logged once per change.
func (pr *peer) authResult(ok bool, msg []byte) {
	pr.mu.Lock()
	var logFail, logOK bool
	switch {
	case ok && pr.authErr != "":
		pr.authErr, logOK = "", true
	case !ok && pr.authErr != string(msg):
		pr.authErr, logFail = string(msg), true
	}
	p, e := pr.p, pr.authErr
	pr.mu.Unlock()
	if logFail {
		pr.m.log.Warn("peer auth failed", zap.String("peer", p.ID), zap.String("addr", p.Addr), zap.String("err", e))
	} else if logOK {
		pr.m.log.Info("peer auth ok", zap.String("peer", p.ID), zap.String("addr", p.Addr))
	}
}
