package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftinel/raftinel/view"
)

// ErrExecAborted is returned by Transaction when EXEC replies with a null
// (the transaction was discarded).
var ErrExecAborted = errors.New("monitor: EXEC aborted")

// cmdLink is the command connection of one instance: INFO, Do and
// Transaction, one at a time under mu. It is separate from the probe so that
// a PING never waits behind INFO or a slow command.
type cmdLink struct {
	set     atomic.Pointer[linkSettings]
	mu      sync.Mutex // serializes use of c
	c       *rconn
	conn    connHolder
	up      atomic.Bool
	pending atomic.Int32  // replies awaited
	seq     atomic.Uint64 // successful dials
}

// drop closes the current connection after a failure (caller holds mu).
func (l *cmdLink) drop() {
	if l.c != nil {
		l.conn.detach(l.c.nc)
		l.c = nil
	}
	l.up.Store(false)
}

// lock takes mu, or gives up when ctx ends first: an exchange that a
// caller stopped waiting for may hold the link until its own deadline, and
// the next caller must not wait longer than it wants to.
func (l *cmdLink) lock(ctx context.Context) error {
	if l.mu.TryLock() {
		return nil
	}
	if ctx.Done() == nil {
		l.mu.Lock()
		return nil
	}
	got := make(chan struct{})
	go func() { l.mu.Lock(); close(got) }()
	select {
	case <-got:
		return nil
	case <-ctx.Done():
		go func() { <-got; l.mu.Unlock() }()
		return ctx.Err()
	}
}

// pastDeadline unblocks a pending read when the caller's context ends.
var pastDeadline = time.Unix(1, 0)

// roundTrip sends, pipelined in one write, what build appends (after AUTH /
// CLIENT SETNAME on a new connection) and reads n replies. It dials first if
// the link is down. An I/O or protocol failure closes the connection (the
// next use reconnects); Redis error replies are returned as RedisError
// values in the slice. The exchange may take until deadline or the link's
// own command timeout, whichever is later (zero deadline: the link's own);
// ctx only bounds how long the caller waits.
func (in *instance) roundTrip(ctx context.Context, deadline time.Time, n int, build func([]byte, *linkSettings) []byte) ([]any, error) {
	l := &in.cmd
	if err := l.lock(ctx); err != nil {
		return nil, err
	}
	unlock := true // false once a goroutine owns the lock (below)
	defer func() {
		if unlock {
			l.mu.Unlock()
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := l.set.Load()
	if l.c != nil && l.c.key != s.connKey {
		l.drop()
	}
	if l.c == nil {
		c, err := dialConn(ctx, in.m.cfg.Dial, s)
		if err != nil {
			l.up.Store(false)
			if ctx.Err() == nil {
				in.setCmdErr(linkErrText("dial", err))
			}
			return nil, err
		}
		if !l.conn.attach(c.nc) {
			return nil, ErrStopped
		}
		l.c = c
		l.up.Store(true)
		l.seq.Add(1)
		in.wakeInfo() // INFO right after the command link connects
	}
	c := l.c
	pre := c.begin(s)
	c.wbuf = build(c.wbuf, s)
	// The connection's deadline is the link's own (cmdTimeout from now, or
	// the caller's deadline when that is later). A caller that stops
	// waiting earlier (the failover engine's short INFO refreshes) does not
	// cut the exchange: that would leave the connection mid-reply and force
	// a new one, and a re-dial may no longer authenticate when the
	// instance's password changed since (Sentinel keeps such a link too).
	if own := time.Now().Add(s.cmdTimeout); own.After(deadline) {
		deadline = own
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		l.drop()
		return nil, err
	}
	l.pending.Add(int32(n))
	finish := func() ([]any, error) {
		replies, err := exchange(c, pre, n, in)
		if err == nil {
			err = c.nc.SetDeadline(time.Time{}) // see probe.ping
		}
		l.pending.Add(-int32(n))
		if err != nil {
			l.drop()
			in.setCmdErr(linkErrText("command link", err))
			return nil, err
		}
		for _, r := range replies {
			if e, ok := r.(RedisError); ok {
				c.noteError(s, []byte(e))
			}
		}
		return replies, nil
	}
	var replies []any
	var err error
	if ctx.Done() == nil {
		replies, err = finish()
	} else {
		// The exchange runs on, holding the link, after the caller left.
		type result struct {
			replies []any
			err     error
		}
		done := make(chan result, 1)
		unlock = false
		go func() {
			defer l.mu.Unlock()
			r, err := finish()
			done <- result{r, err}
		}()
		select {
		case r := <-done:
			replies, err = r.replies, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return replies, err
}

func exchange(c *rconn, pre prelude, n int, sink authSink) ([]any, error) {
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return nil, err
	}
	if err := c.readPrelude(pre, sink); err != nil {
		return nil, err
	}
	out := make([]any, n)
	for i := range out {
		v, err := c.rd.reply()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// commandDeadline is the caller's deadline, else DefaultCommandTimeout.
func commandDeadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(DefaultCommandTimeout)
}

// do runs one command (its name renamed) on the command link.
func (in *instance) do(ctx context.Context, args []string) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("monitor: empty command")
	}
	rs, err := in.roundTrip(ctx, commandDeadline(ctx), 1, func(b []byte, s *linkSettings) []byte {
		return appendRenamed(b, s, args)
	})
	if err != nil {
		return nil, err
	}
	if e, ok := rs[0].(RedisError); ok {
		return nil, e
	}
	return rs[0], nil
}

// transaction sends MULTI, cmds, EXEC in one write and checks EXEC.
func (in *instance) transaction(ctx context.Context, cmds [][]string) error {
	for _, c := range cmds {
		if len(c) == 0 {
			return errors.New("monitor: empty command in transaction")
		}
	}
	rs, err := in.roundTrip(ctx, commandDeadline(ctx), len(cmds)+2, func(b []byte, s *linkSettings) []byte {
		b = appendCommand(b, renamed(s.rename, "MULTI"))
		for _, c := range cmds {
			b = appendRenamed(b, s, c)
		}
		return appendCommand(b, renamed(s.rename, "EXEC"))
	})
	if err != nil {
		return err
	}
	if e, ok := rs[0].(RedisError); ok {
		return fmt.Errorf("MULTI: %w", e)
	}
	switch x := rs[len(rs)-1].(type) {
	case RedisError:
		return fmt.Errorf("EXEC: %w", x)
	case nil:
		return ErrExecAborted
	}
	return nil
}

func appendRenamed(b []byte, s *linkSettings, args []string) []byte {
	name := renamed(s.rename, args[0])
	if name == args[0] {
		return appendCommand(b, args...)
	}
	return appendCommand(b, append([]string{name}, args[1:]...)...)
}

// refresh sends INFO now and applies the reply.
func (in *instance) refresh(ctx context.Context) (view.Instance, error) {
	// The link's own deadline: a caller that wants less stops waiting
	// through ctx, without cutting the exchange (roundTrip).
	rs, err := in.roundTrip(ctx, time.Time{}, 1, func(b []byte, s *linkSettings) []byte {
		return append(b, s.info...)
	})
	if err != nil {
		return in.view(), err
	}
	switch x := rs[0].(type) {
	case string:
		in.setCmdErr("")
		return in.applyInfo(x, time.Now()), nil
	case RedisError:
		in.setCmdErr("INFO: " + string(x))
		return in.view(), x
	}
	err = fmt.Errorf("monitor: unexpected INFO reply of type %T", rs[0])
	in.setCmdErr(err.Error())
	return in.view(), err
}
