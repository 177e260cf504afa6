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

// Peer authentication of Raft and RPC streams.
//
// Every stream starts with a mutual challenge over raft-secret; nothing
// about the cluster (whether a secret is set, the cluster id, the
// configuration) crosses the wire before the peer has proved it knows the
// secret. The secret itself never crosses it:
//
//	server -> client: version (1) + server nonce Ns (16)
//	client -> server: version v (1) + client nonce Nc (16) + HMAC(secret, "c" | v | kind | Ns | Nc)
//	server -> client: HMAC(secret, "s" | v | kind | Ns | Nc) + server cluster id (16)   [client proof checked]
//	client -> server: client cluster id (16)                                           [server proof checked]
//
// Both nonces are fresh random values of each connection and both proofs
// cover both, the stream kind and the version, and carry the sender's role:
// a recorded proof is worth nothing on another connection, for another
// stream kind, or reflected back to its sender (replay-safe). The server
// announces the highest version it speaks; the client answers with the one
// it chose (the lower of the two), so a later change of this exchange can
// be negotiated. The first handshake (raftinel 0.1) started with a flag
// byte 0 or 1, so versions start at 2.
//
// The cluster id (clusterid.go) then refuses streams from another raftinel
// cluster that reaches a reused address. A node with raft-insecure yes
// runs the same exchange with an empty key: it talks only to other
// insecure nodes. A node without either serves no peer stream at all
// (store.go).
//
// raft-secret authenticates the opening of a stream, not every frame: an
// attacker who can rewrite packets on the path needs TLS as well
// (tls-replication yes), which protects the stream after it.
const (
	handshakeVersion    byte = 2 // highest version spoken
	handshakeMinVersion byte = 2 // lowest version accepted
	nonceLen                 = 16
	// handshakeTimeout bounds the whole exchange: a peer that stalls in
	// the middle of it is dropped.
	handshakeTimeout = 5 * time.Second
)

func mac(key []byte, role, version, kind byte, ns, nc []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("raftinel-peer\x00"))
	h.Write([]byte{role, version, kind})
	h.Write(ns)
	h.Write(nc)
	return h.Sum(nil)
}

// serverHandshake runs on an accepted stream whose header byte (kind) has
// been read. Its errors wrap ErrAuth and name the peer's address; nothing
// is sent to a peer that failed.
func serverHandshake(c net.Conn, kind byte, key []byte, cid *clusterID) error {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	defer c.SetDeadline(time.Time{})
	ns := make([]byte, nonceLen)
	if _, err := rand.Read(ns); err != nil {
		return err
	}
	if _, err := c.Write(append([]byte{handshakeVersion}, ns...)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrAuth, c.RemoteAddr(), err)
	}
	buf := make([]byte, 1+nonceLen+sha256.Size)
	if _, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("%w: %s: no proof of raft-secret (%v)", ErrAuth, c.RemoteAddr(), err)
	}
	v, nc, proof := buf[0], buf[1:1+nonceLen], buf[1+nonceLen:]
	if v < handshakeMinVersion || v > handshakeVersion {
		return fmt.Errorf("%w: %s: unsupported handshake version %d (an older or newer raftinel?)", ErrAuth, c.RemoteAddr(), v)
	}
	if !hmac.Equal(proof, mac(key, 'c', v, kind, ns, nc)) {
		return fmt.Errorf("%w: wrong raft-secret from %s", ErrAuth, c.RemoteAddr())
	}
	own := cid.get()
	if _, err := c.Write(append(mac(key, 's', v, kind, ns, nc), own[:]...)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrAuth, c.RemoteAddr(), err)
	}
	var theirs [clusterIDLen]byte
	if _, err := io.ReadFull(c, theirs[:]); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrAuth, c.RemoteAddr(), err)
	}
	if !compatible(own, theirs) {
		return fmt.Errorf("%w: %s belongs to another raftinel cluster (%x, ours %x)", ErrAuth, c.RemoteAddr(), theirs, own)
	}
	return nil
}

// clientHandshake runs on a dialed stream after writing the header byte.
func clientHandshake(c net.Conn, kind byte, key []byte, cid *clusterID) error {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	defer c.SetDeadline(time.Time{})
	hello := make([]byte, 1+nonceLen)
	if _, err := io.ReadFull(c, hello); err != nil {
		return fmt.Errorf("%w: peer %s: %v", ErrAuth, c.RemoteAddr(), err)
	}
	v, ns := min(hello[0], handshakeVersion), hello[1:]
	if v < handshakeMinVersion {
		return fmt.Errorf("%w: peer %s speaks handshake version %d, this node needs %d or later (upgrade it)", ErrAuth, c.RemoteAddr(), hello[0], handshakeMinVersion)
	}
	nc := make([]byte, nonceLen)
	if _, err := rand.Read(nc); err != nil {
		return err
	}
	if _, err := c.Write(append(append([]byte{v}, nc...), mac(key, 'c', v, kind, ns, nc)...)); err != nil {
		return fmt.Errorf("%w: peer %s: %v", ErrAuth, c.RemoteAddr(), err)
	}
	reply := make([]byte, sha256.Size+clusterIDLen)
	if _, err := io.ReadFull(c, reply); err != nil {
		return fmt.Errorf("%w: peer %s refused this node's raft-secret", ErrAuth, c.RemoteAddr())
	}
	if !hmac.Equal(reply[:sha256.Size], mac(key, 's', v, kind, ns, nc)) {
		return fmt.Errorf("%w: peer %s has a different raft-secret", ErrAuth, c.RemoteAddr())
	}
	var theirs [clusterIDLen]byte
	copy(theirs[:], reply[sha256.Size:])
	own := cid.get()
	if _, err := c.Write(own[:]); err != nil {
		return fmt.Errorf("%w: peer %s: %v", ErrAuth, c.RemoteAddr(), err)
	}
	if !compatible(own, theirs) {
		return fmt.Errorf("%w: peer %s belongs to another raftinel cluster (%x, ours %x)", ErrAuth, c.RemoteAddr(), theirs, own)
	}
	return nil
}

// peerAuth is how this node authenticates peer streams: with the key
// (raft-secret, or empty with raft-insecure yes), or, when off, not at all:
// it then serves and dials no peer stream.
type peerAuth struct {
	on  bool
	key []byte
	cid *clusterID
}

// dialStream dials addr (a hostname is resolved now, at dial time), writes
// the header byte and authenticates.
func dialStream(dial func(network, addr string, timeout time.Duration) (net.Conn, error), addr string, kind byte, auth peerAuth, timeout time.Duration) (net.Conn, error) {
	if !auth.on {
		return nil, fmt.Errorf("%w: %v: this node talks to no peer", ErrAuth, ErrNoSecret)
	}
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
	if err := clientHandshake(c, kind, auth.key, auth.cid); err != nil {
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
	auth     peerAuth
	onRefuse func(error)
	out      chan net.Conn
	done     chan struct{}
}

func newAuthListener(ln net.Listener, kind byte, auth peerAuth, onRefuse func(error)) *authListener {
	a := &authListener{Listener: ln, kind: kind, auth: auth, onRefuse: onRefuse, out: make(chan net.Conn), done: make(chan struct{})}
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
			err := fmt.Errorf("%w: stream from %s refused: %v", ErrAuth, c.RemoteAddr(), ErrNoSecret)
			if a.auth.on {
				err = serverHandshake(c, a.kind, a.auth.key, a.auth.cid)
			}
			if err != nil {
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
