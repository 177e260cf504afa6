package consensus

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/raftinel/raftinel/internal/redistest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// rawPeer opens a stream of kind to addr and returns the connection.
func rawPeer(t *testing.T, addr string, kind byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte{kind}); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAll reads what the peer sends until it closes or goes quiet for d.
func readAll(c net.Conn, d time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	var out []byte
	buf := make([]byte, 256)
	for {
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// Before a peer proves the secret, the node sends only a version byte and
// a fresh nonce: not whether a secret is set, not the cluster id (the
// first handshake sent both in its greeting). A wrong proof ends the
// stream without another byte.
func TestPeerHandshakeRevealsNothingBeforeProof(t *testing.T) {
	nodes := newCluster(t, 1, nil)
	leaderOf(t, nodes)
	var nonces [][]byte
	for _, kind := range []byte{headerRaft, headerRPC} {
		c := rawPeer(t, nodes[0].addr, kind)
		hello := make([]byte, 1+nonceLen)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, hello); err != nil || hello[0] != handshakeVersion {
			t.Fatalf("kind %d: greeting %x (%v)", kind, hello, err)
		}
		more, err := readAll(c, 300*time.Millisecond)
		var ne net.Error
		if len(more) != 0 || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("kind %d: the version and nonce were followed by %x (%v), want silence until the peer's proof", kind, more, err)
		}
		id := nodes[0].store.cid.get()
		if bytes.Contains(hello, id[:4]) {
			t.Fatalf("greeting %x carries the cluster id %x", hello, id)
		}
		nonces = append(nonces, hello[1:])
		forged := make([]byte, nonceLen+32)
		_, _ = rand.Read(forged)
		if _, err := c.Write(append([]byte{handshakeVersion}, forged...)); err != nil {
			t.Fatal(err)
		}
		rest, err := readAll(c, 3*time.Second)
		if len(rest) != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("kind %d: after a wrong proof the node sent %x (%v), want nothing and a close", kind, rest, err)
		}
	}
	if bytes.Equal(nonces[0], nonces[1]) {
		t.Fatal("two streams got the same nonce")
	}
}

// recorder keeps what one side of a stream wrote.
type recorder struct {
	net.Conn
	wrote bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { r.wrote.Write(p); return r.Conn.Write(p) }

// handshakePair runs serverHandshake against client over a pipe and
// returns the server's error.
func handshakePair(t *testing.T, kind byte, key []byte, client func(c net.Conn)) error {
	t.Helper()
	sc, cc := net.Pipe()
	defer sc.Close()
	done := make(chan struct{})
	go func() { defer close(done); defer cc.Close(); client(cc) }()
	err := serverHandshake(sc, kind, key, &clusterID{})
	sc.Close()
	<-done
	return err
}

// A client's proof is bound to the server's fresh nonce, its role and the
// stream kind: replayed on another stream, presented as the other role or
// for the other kind, it is refused.
func TestPeerHandshakeReplayRefused(t *testing.T) {
	key := []byte("k3y")
	var rec *recorder
	err := handshakePair(t, headerRaft, key, func(c net.Conn) {
		rec = &recorder{Conn: c}
		if err := clientHandshake(rec, headerRaft, key, &clusterID{}); err != nil {
			t.Errorf("the right key: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("the right key, server side: %v", err)
	}
	recorded := rec.wrote.Bytes()[:1+nonceLen+32] // v, Nc, proof
	nc := recorded[1 : 1+nonceLen]
	forge := map[string]func(ns []byte) []byte{
		"replayed proof": func([]byte) []byte { return recorded },
		"server-role proof": func(ns []byte) []byte {
			return append(append([]byte{handshakeVersion}, nc...), mac(key, 's', handshakeVersion, headerRaft, ns, nc)...)
		},
		"proof for another stream kind": func(ns []byte) []byte {
			return append(append([]byte{handshakeVersion}, nc...), mac(key, 'c', handshakeVersion, headerRPC, ns, nc)...)
		},
		"proof without the secret": func(ns []byte) []byte {
			return append(append([]byte{handshakeVersion}, nc...), mac(nil, 'c', handshakeVersion, headerRaft, ns, nc)...)
		},
	}
	for name, f := range forge {
		err := handshakePair(t, headerRaft, key, func(c net.Conn) {
			hello := make([]byte, 1+nonceLen)
			if _, err := io.ReadFull(c, hello); err != nil {
				return
			}
			_, _ = c.Write(f(hello[1:]))
		})
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "wrong raft-secret from") {
			t.Errorf("%s: server said %v", name, err)
		}
	}
	// The right proof over the same nonces still passes (the forgeries
	// failed for what they are, not for the plumbing).
	err = handshakePair(t, headerRaft, key, func(c net.Conn) {
		hello := make([]byte, 1+nonceLen)
		if _, err := io.ReadFull(c, hello); err != nil {
			return
		}
		_, _ = c.Write(append(append([]byte{handshakeVersion}, nc...), mac(key, 'c', handshakeVersion, headerRaft, hello[1:], nc)...))
		var zero [clusterIDLen]byte
		reply := make([]byte, 32+clusterIDLen)
		_, _ = io.ReadFull(c, reply)
		_, _ = c.Write(zero[:])
	})
	if err != nil {
		t.Fatalf("a correct proof: %v", err)
	}
}

// The client checks the server too: a server without the secret gets the
// client's proof but neither its cluster id nor its stream.
func TestPeerHandshakeClientRefusesImpostor(t *testing.T) {
	sc, cc := net.Pipe()
	defer sc.Close()
	errc := make(chan error, 1)
	cid := &clusterID{}
	cid.set([clusterIDLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	go func() {
		err := clientHandshake(cc, headerRPC, []byte("k3y"), cid)
		cc.Close()
		errc <- err
	}()
	ns := make([]byte, nonceLen)
	_, _ = rand.Read(ns)
	if _, err := sc.Write(append([]byte{handshakeVersion}, ns...)); err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, 1+nonceLen+32)
	if _, err := io.ReadFull(sc, msg); err != nil {
		t.Fatal(err)
	}
	fake := make([]byte, 32+clusterIDLen)
	_, _ = rand.Read(fake)
	if _, err := sc.Write(fake); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(sc)
	if err := <-errc; !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "different raft-secret") {
		t.Fatalf("client: %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("the client sent %x to a server that failed its proof", rest)
	}
}

// The version byte: a server refuses a version it does not speak, a
// client refuses a server of the first handshake (flag byte 0 or 1).
func TestPeerHandshakeVersions(t *testing.T) {
	key := []byte("k3y")
	err := handshakePair(t, headerRaft, key, func(c net.Conn) {
		hello := make([]byte, 1+nonceLen)
		if _, err := io.ReadFull(c, hello); err != nil {
			return
		}
		nc := make([]byte, nonceLen)
		_, _ = c.Write(append(append([]byte{1}, nc...), mac(key, 'c', 1, headerRaft, hello[1:], nc)...))
	})
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "unsupported handshake version 1") {
		t.Fatalf("server: %v", err)
	}
	for _, old := range []byte{0, 1} {
		sc, cc := net.Pipe()
		go func() {
			_, _ = sc.Write(append([]byte{old}, make([]byte, nonceLen+clusterIDLen)...))
			_, _ = io.Copy(io.Discard, sc)
		}()
		err := clientHandshake(cc, headerRaft, key, &clusterID{})
		cc.Close()
		sc.Close()
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "upgrade it") {
			t.Fatalf("client facing flag %d: %v", old, err)
		}
	}
}

// A refused stream is logged as a warning with the peer's address.
func TestPeerRefusalIsLoggedWithAddress(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	nodes := newCluster(t, 1, func(_ int, o *Options) { o.Logger = zap.New(core) })
	leaderOf(t, nodes)
	c := rawPeer(t, nodes[0].addr, headerRPC)
	if err := clientHandshake(c, headerRPC, []byte("wrong"), &clusterID{}); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong secret: %v", err)
	}
	peer := c.LocalAddr().String()
	redistest.WaitFor(t, 3*time.Second, "the refusal in the log", func() bool {
		for _, e := range logs.FilterMessage("peer stream refused").All() {
			if strings.Contains(e.ContextMap()["error"].(string), "wrong raft-secret from "+peer) {
				return true
			}
		}
		return false
	})
}

// Refusals are logged at most once per period; the ones in between are
// counted on the next line.
func TestPeerRefusalLogIsRateLimited(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	r := &refusalLog{log: zap.New(core), every: time.Hour}
	for i := 0; i < 50; i++ {
		r.refused(ErrAuth)
	}
	if n := logs.Len(); n != 1 {
		t.Fatalf("%d lines for 50 refusals within the period, want 1", n)
	}
	r.every = 0
	r.refused(ErrAuth)
	all := logs.All()
	if len(all) != 2 || all[1].ContextMap()["refused_since_last_line"] != int64(49) {
		t.Fatalf("after the period: %v", all)
	}
}

// Secure by default: a node of several needs raft-secret (or the explicit
// raft-insecure); a single node without one serves no peer stream and
// cannot grow.
func TestMultiNodeNeedsSecret(t *testing.T) {
	open := func(o Options) error {
		ln := listen(t)
		mux := NewMux(ln)
		go mux.Serve()
		defer mux.Close()
		o.Mux, o.Dir, o.Advertise, o.MyID = mux, t.TempDir(), ln.Addr().String(), strings.Repeat("1", 40)
		if o.Peers != nil {
			o.Peers = append(o.Peers, o.Advertise)
		}
		s, err := Open(o)
		if err == nil {
			s.Close()
		}
		return err
	}
	noSecret := fastOptions()
	noSecret.Secret = ""
	for name, mut := range map[string]func(o *Options){
		"raft-peers": func(o *Options) { o.Peers = []string{"127.0.0.1:1", "127.0.0.1:2"} },
		"raft-join":  func(o *Options) { o.Join = "127.0.0.1:1" },
	} {
		o := noSecret
		mut(&o)
		err := open(o)
		if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "raft-secret") || !strings.Contains(err.Error(), "raft-insecure yes") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s without a secret: %v", name, err)
		}
		o.Insecure = true
		if err := open(o); err != nil {
			t.Errorf("%s with raft-insecure: %v", name, err)
		}
	}

	// A single node without a secret: no peer stream, no RAFT ADD.
	single := newCluster(t, 1, func(_ int, o *Options) { o.Secret = "" })
	leaderOf(t, single)
	for _, kind := range []byte{headerRaft, headerRPC} {
		got, err := readAll(rawPeer(t, single[0].addr, kind), 3*time.Second)
		if len(got) != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("kind %d on a node without a secret: got %x (%v), want a close", kind, got, err)
		}
	}
	if err := single[0].store.Admin(context.Background(), "add", "127.0.0.1:1"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("RAFT ADD without a secret: %v", err)
	}

	// A member of several restarted without its secret (config edited to
	// a single node) refuses to start too: its state holds the others.
	nodes := newCluster(t, 3, nil)
	leaderOf(t, nodes)
	n := nodes[0]
	n.stop()
	n.o.Secret, n.o.Peers = "", nil
	ln, err := net.Listen("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	mux := NewMux(ln)
	go mux.Serve()
	defer mux.Close()
	o := n.o
	o.Mux, o.Dir, o.Advertise = mux, n.dir, n.addr
	if s, err := Open(o); !errors.Is(err, ErrNoSecret) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("restart of a member without its secret: %v", err)
	}
}

// Three nodes with raft-insecure (and no secret) form a cluster.
func TestInsecureClusterForms(t *testing.T) {
	nodes := newCluster(t, 3, func(_ int, o *Options) { o.Secret, o.Insecure = "", true })
	leaderOf(t, nodes)
	f := follower(nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := f.store.Apply(ctx, monitorCmd("m", 6379)); err != nil {
		t.Fatal(err)
	}
}
