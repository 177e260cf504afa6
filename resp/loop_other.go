//go:build !linux

package resp

import (
	"net"
	"sync/atomic"
)

// Without epoll every connection has a goroutine of its own.

type evState struct{}

type loop struct{ now atomic.Int64 }

func (s *Server) serveNew(nc net.Conn) { go s.serveConn(nc) }

func (lp *loop) post(func())                {}
func (lp *loop) closeConn(*Conn)            {}
func (lp *loop) closeUnregistered(*Conn)    {}
func (lp *loop) detach(*Conn, func(*Reply)) {}
func (lp *loop) flushLocked(*Conn)          {}
func (lp *loop) waitDrainLocked(*Conn)      {}
func (lp *loop) stop()                      {}
