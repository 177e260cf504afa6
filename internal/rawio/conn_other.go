//go:build !linux

package rawio

import "net"

// Wrap returns c: elsewhere connections stay as they are.
func Wrap(c net.Conn) net.Conn { return c }

// Listener is the listener itself elsewhere.
type Listener struct{ net.Listener }
