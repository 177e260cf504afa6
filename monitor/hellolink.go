package monitor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/raftinel/raftinel/view"
	"go.uber.org/zap"
)

// helloIdleTimeout closes a hello subscription that heard nothing for this
// long and opens a new one (Sentinel closes a Pub/Sub link after 6 s
// without a message; its own hellos come back on it every 2 s).
const helloIdleTimeout = 6 * time.Second

// HelloLink reads and publishes hello messages on one Redis instance over
// its own two connections, Sentinel's Pub/Sub and command links. A node
// uses it before its cluster exists, when the monitor has no targets yet
// (raft-bootstrap-expect); once the cluster exists, hellos go out on the
// monitor's own links (PublishHello).
type HelloLink struct {
	m    *Monitor
	t    view.Target
	set  *linkSettings
	sub  []byte // AUTH, CLIENT SETNAME ...-pubsub, SUBSCRIBE, pipelined
	on   func(view.Hello)
	subC connHolder

	mu   sync.Mutex // the command connection
	c    *rconn
	cmdC connHolder

	errMu   sync.Mutex
	lastErr string
}

// NewHelloLink returns a link to t.Addr (with t's AUTH and rename map)
// that calls on for every well-formed hello heard there; nothing runs
// before Run.
func (m *Monitor) NewHelloLink(t view.Target, on func(view.Hello)) *HelloLink {
	s := targetSettings(m.cfg, t)
	l := &HelloLink{m: m, t: t, set: s, on: on}
	l.sub = append(l.sub, s.auth...)
	if id := m.cfg.MyID; id != "" {
		l.sub = appendCommand(l.sub, renamed(s.rename, "CLIENT"), "SETNAME", "sentinel-"+id[:min(8, len(id))]+"-pubsub")
	}
	l.sub = appendCommand(l.sub, renamed(s.rename, "SUBSCRIBE"), view.HelloChannel)
	return l
}

// Run keeps the subscription up until ctx ends (reconnecting at most once
// per reconnect interval), then closes both connections.
func (l *HelloLink) Run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer l.Close()
	for ctx.Err() == nil {
		start := time.Now()
		err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		l.noteErr(err)
		if !sleepUntil(ctx, t, start.Add(l.set.reconnect), nil) {
			return
		}
	}
}

// Close ends both connections; Run returns.
func (l *HelloLink) Close() {
	l.subC.stop()
	l.cmdC.stop()
}

func (l *HelloLink) noteErr(err error) {
	e := ""
	if err != nil {
		e = err.Error()
	}
	l.errMu.Lock()
	changed := e != l.lastErr
	l.lastErr = e
	l.errMu.Unlock()
	if changed && e != "" {
		l.m.log.Debug("hello link error", zap.String("master", l.t.Master), zap.String("addr", l.t.Addr), zap.String("err", e))
	}
}

// listen subscribes and delivers hellos until the connection fails.
func (l *HelloLink) listen(ctx context.Context) error {
	c, err := dialConn(ctx, l.m.cfg.Dial, l.set)
	if err != nil {
		return err
	}
	if !l.subC.attach(c.nc) {
		return ErrStopped
	}
	defer l.subC.detach(c.nc)
	stop := context.AfterFunc(ctx, func() { c.nc.Close() })
	defer stop()
	if err := c.nc.SetDeadline(time.Now().Add(l.set.cmdTimeout)); err != nil {
		return err
	}
	if _, err := c.nc.Write(l.sub); err != nil {
		return err
	}
	// Replies to AUTH and CLIENT SETNAME, then the subscription.
	if l.set.auth != nil {
		kind, msg, err := c.rd.status()
		if err != nil {
			return err
		}
		if kind == '-' {
			return fmt.Errorf("AUTH: %s", msg)
		}
	}
	if l.m.cfg.MyID != "" {
		if _, _, err := c.rd.status(); err != nil {
			return err
		}
	}
	for {
		if err := c.nc.SetReadDeadline(time.Now().Add(helloIdleTimeout)); err != nil {
			return err
		}
		v, err := c.rd.reply()
		if err != nil {
			return err
		}
		switch x := v.(type) {
		case RedisError:
			return fmt.Errorf("SUBSCRIBE: %s", string(x))
		case []any:
			if len(x) == 3 && x[0] == "message" && x[1] == view.HelloChannel {
				if s, ok := x[2].(string); ok {
					if h, err := view.ParseHello(s); err == nil {
						l.on(h)
					}
				}
			}
		}
	}
}

// Publish sends one hello, built from the command connection's local IP,
// on the link's command connection (dialed when needed).
func (l *HelloLink) Publish(ctx context.Context, build func(localIP string) string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		c, err := dialConn(ctx, l.m.cfg.Dial, l.set)
		if err != nil {
			return err
		}
		if !l.cmdC.attach(c.nc) {
			return ErrStopped
		}
		l.c = c
	}
	c := l.c
	_, err := exchangeOne(ctx, c, l.set, l, append([]string{"PUBLISH", view.HelloChannel}, build(localIP(c.nc))))
	if err != nil {
		l.cmdC.detach(c.nc)
		l.c = nil
	}
	return err
}

// authResult implements authSink (the command connection's AUTH).
func (l *HelloLink) authResult(ok bool, msg []byte) {
	if !ok {
		l.noteErr(fmt.Errorf("AUTH: %s", msg))
	}
}

// exchangeOne sends one command (renamed, after the connection's
// handshake) and reads its reply, within ctx's deadline or the link's
// command timeout. A Redis error reply is returned as err.
func exchangeOne(ctx context.Context, c *rconn, s *linkSettings, sink authSink, args []string) (any, error) {
	deadline := time.Now().Add(s.cmdTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return nil, err
	}
	pre := c.begin(s)
	c.wbuf = appendRenamed(c.wbuf, s, args)
	rs, err := exchange(c, pre, 1, sink)
	if err != nil {
		return nil, err
	}
	if err := c.nc.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	if e, ok := rs[0].(RedisError); ok {
		return nil, e
	}
	return rs[0], nil
}

// QueryPeer sends one command to another node's Sentinel port on a fresh
// connection (with p's AUTH), returns the reply and closes the connection.
// A node that has no cluster yet asks the addresses it heard of whether
// they are raftinel nodes with it (INFO server).
func (m *Monitor) QueryPeer(ctx context.Context, p view.PeerTarget, args ...string) (any, error) {
	return m.query(ctx, peerSettings(m.cfg, p), args)
}

// QueryInstance sends one command (renamed) to a Redis instance that need
// not be monitored, on a fresh connection with t's AUTH, and closes it. A
// node seeding its cluster asks the config file's masters for their role.
func (m *Monitor) QueryInstance(ctx context.Context, t view.Target, args ...string) (any, error) {
	return m.query(ctx, targetSettings(m.cfg, t), args)
}

func (m *Monitor) query(ctx context.Context, s *linkSettings, args []string) (any, error) {
	c, err := dialConn(ctx, m.cfg.Dial, s)
	if err != nil {
		return nil, err
	}
	defer c.nc.Close()
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(pastDeadline) })
	defer stop()
	return exchangeOne(ctx, c, s, nopAuthSink{}, args)
}

type nopAuthSink struct{}

func (nopAuthSink) authResult(bool, []byte) {}
