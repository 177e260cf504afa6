package consensus

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"time"
)

// Peer authentication for Raft and RPC streams. Two checks:
//
//   - Cluster identity: each side sends its cluster id (16 bytes, zero when
//     it has none yet, see clusterid.go). Two non-zero ids that differ end
//     the stream: a node of another raftinel cluster that reuses an address
//     (a recycled pod IP, a port reused by another test) can never send
//     this cluster heartbeats, votes or entries.
//   - raft-secret: the secret never crosses the wire: both sides send a
//     random nonce and prove they know the secret with an HMAC over both
//     nonces and the stream kind, so a proof cannot be replayed on another
//     connection or for another stream kind. A node with a secret refuses a
//     peer without one in both directions.
//
//	server -> client: flag (1: secret required) + server nonce (16) + server cluster id (16)
//	client -> server: client cluster id (16)
//	client -> server: client nonce (16) + HMAC(secret, "c"|kind|Ns|Nc)   [if flag = 1]
//	server -> client: HMAC(secret, "s"|kind|Ns|Nc)                       [if flag = 1]

const (
	nonceLen         = 16
	handshakeTimeout = 5 * time.Second
)

func mac(secret []byte, role byte, kind byte, ns, nc []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte{role, kind})
	h.Write(ns)
	h.Write(nc)
	return h.Sum(nil)
}

// serverHandshake runs on an accepted stream whose header byte (kind) has
// been read.
func serverHandshake(c net.Conn, kind byte, secret []byte, cid *clusterID) error {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	defer c.SetDeadline(time.Time{})
	ns := make([]byte, nonceLen)
	if _, err := rand.Read(ns); err != nil {
		return err
	}
	flag := byte(0)
	if len(secret) > 0 {
		flag = 1
	}
	own := cid.get()
	hello := append(append([]byte{flag}, ns...), own[:]...)
	if _, err := c.Write(hello); err != nil {
		return err
	}
	var theirs [clusterIDLen]byte
	if _, err := io.ReadFull(c, theirs[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrAuth, err)
	}
	if !compatible(own, theirs) {
		return fmt.Errorf("%w: %s belongs to another raftinel cluster (%x, ours %x)", ErrAuth, c.RemoteAddr(), theirs, own)
	}
	if flag == 0 {
		return nil
	}
	buf := make([]byte, nonceLen+sha256.Size)
	if _, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("%w: %v", ErrAuth, err)
	}
	nc, proof := buf[:nonceLen], buf[nonceLen:]
	if !hmac.Equal(proof, mac(secret, 'c', kind, ns, nc)) {
		return fmt.Errorf("%w: wrong raft-secret from %s", ErrAuth, c.RemoteAddr())
	}
	_, err := c.Write(mac(secret, 's', kind, ns, nc))
	return err
}

// clientHandshake runs on a dialed stream after writing the header byte.
func clientHandshake(c net.Conn, kind byte, secret []byte, cid *clusterID) error {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	defer c.SetDeadline(time.Time{})
	hdr := make([]byte, 1+nonceLen+clusterIDLen)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return fmt.Errorf("%w: %v", ErrAuth, err)
	}
	flag, ns := hdr[0], hdr[1:1+nonceLen]
	var theirs [clusterIDLen]byte
	copy(theirs[:], hdr[1+nonceLen:])
	own := cid.get()
	if _, err := c.Write(own[:]); err != nil {
		return err
	}
	if !compatible(own, theirs) {
		return fmt.Errorf("%w: peer %s belongs to another raftinel cluster (%x, ours %x)", ErrAuth, c.RemoteAddr(), theirs, own)
	}
	switch {
	case flag == 0 && len(secret) == 0:
		return nil
	case flag == 0:
		return fmt.Errorf("%w: peer %s has no raft-secret", ErrAuth, c.RemoteAddr())
	case len(secret) == 0:
		return fmt.Errorf("%w: peer %s requires raft-secret", ErrAuth, c.RemoteAddr())
	}
	nc := make([]byte, nonceLen)
	if _, err := rand.Read(nc); err != nil {
		return err
	}
	if _, err := c.Write(append(nc, mac(secret, 'c', kind, ns, nc)...)); err != nil {
		return err
	}
	proof := make([]byte, sha256.Size)
	if _, err := io.ReadFull(c, proof); err != nil {
		return fmt.Errorf("%w: peer %s refused our raft-secret", ErrAuth, c.RemoteAddr())
	}
	if !hmac.Equal(proof, mac(secret, 's', kind, ns, nc)) {
		return fmt.Errorf("%w: peer %s has a different raft-secret", ErrAuth, c.RemoteAddr())
	}
	return nil
}

// dialStream dials addr (a hostname is resolved now, at dial time), writes
// the header byte and authenticates.
func dialStream(dial func(network, addr string, timeout time.Duration) (net.Conn, error), addr string, kind byte, secret []byte, cid *clusterID, timeout time.Duration) (net.Conn, error) {
	if dial == nil {
		dial = net.DialTimeout
	}
	c, err := dial("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte{kind}); err != nil {
		c.Close()
		return nil, err
	}
	if err := clientHandshake(c, kind, secret, cid); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// authListener authenticates every accepted stream before handing it on;
// refused streams are closed and reported through onRefuse.
type authListener struct {
	net.Listener
	kind     byte
	secret   []byte
	cid      *clusterID
	onRefuse func(error)
	out      chan net.Conn
	done     chan struct{}
}

func newAuthListener(ln net.Listener, kind byte, secret []byte, cid *clusterID, onRefuse func(error)) *authListener {
	a := &authListener{Listener: ln, kind: kind, secret: secret, cid: cid, onRefuse: onRefuse, out: make(chan net.Conn), done: make(chan struct{})}
	go a.loop()
	return a
}

func (a *authListener) loop() {
	for {
		c, err := a.Listener.Accept()
		if err != nil {
			close(a.done)
			return
		}
		go func() {
			if err := serverHandshake(c, a.kind, a.secret, a.cid); err != nil {
				if a.onRefuse != nil {
					a.onRefuse(err)
				}
				c.Close()
				return
			}
			select {
			case a.out <- c:
			case <-a.done:
				c.Close()
			}
		}()
	}
}

func (a *authListener) Accept() (net.Conn, error) {
	select {
	case c := <-a.out:
		return c, nil
	case <-a.done:
		return nil, net.ErrClosed
	}
}
