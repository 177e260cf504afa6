package resp

import (
	"fmt"
	"net"
	"sort"
	"syscall"
	"time"
)

// What CLIENT LIST and CLIENT INFO show of a connection.

// Info renders the connection's CLIENT LIST line like Redis 7.2
// (catClientInfoString): 7.0's fields, then lib-name and lib-ver.
func (c *Conn) Info(now time.Time) string {
	c.mu.Lock()
	sess := c.sess
	nsub, npsub := len(c.chans), len(c.pats)
	c.mu.Unlock()
	flags := ""
	if nsub+npsub > 0 {
		flags += "P"
	}
	if sess.Tracking.On {
		flags += "t"
		if sess.Tracking.BCast {
			flags += "B"
		}
	}
	if sess.NoEvict {
		flags += "e"
	}
	if flags == "" {
		flags = "N"
	}
	redir := int64(-1)
	if sess.Tracking.On {
		redir = sess.Tracking.Redirect
	}
	cmd := "NULL"
	if p := c.lastCmd.Load(); p != nil {
		cmd = *p
	}
	user := ""
	if u := c.User(); u != nil {
		user = u.Name()
	}
	qbuf, rbs, argvMem := c.qbuf.Load(), c.rbs.Load(), c.argvMem.Load()
	idle := now.Sub(time.Unix(0, c.lastAct.Load()))
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 multi=-1 qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=0 rbs=%d rbp=%d obl=0 oll=0 omem=0 tot-mem=%d events=r cmd=%s user=%s redir=%d resp=%d lib-name=%s lib-ver=%s",
		c.id, c.raddr, c.laddr, c.fd, sess.Name, int64(now.Sub(c.created).Seconds()), int64(idle.Seconds()),
		flags, nsub, npsub, qbuf, rbs-qbuf, argvMem, rbs, rbs, rbs+argvMem,
		cmd, user, redir, c.Proto(), sess.LibName, sess.LibVer)
}

// Type is Redis's getClientType for the clients this server has: pubsub or
// normal.
func (c *Conn) Type() string {
	if c.SubCount() > 0 {
		return "pubsub"
	}
	return "normal"
}

func sortConns(cs []*Conn) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// connFD returns the socket's descriptor for CLIENT LIST, or -1.
func connFD(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}
