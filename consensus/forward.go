package consensus

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// Forwarding: a follower hands a write (or a registered leader-only request
// such as SENTINEL FAILOVER) to the leader over an authenticated RPC stream
// on the Sentinel port, then waits until it has applied the resulting index
// itself, so the client that asked sees its own write on any node.

const maxFrame = 4 << 20

// RPC kinds the store handles itself.
const (
	rpcApply = "apply"
	rpcJoin  = "join"
	rpcSync  = "sync"
	rpcPing  = "ping" // liveness probe of the peer gate (reach.go), answered by any member
	// rpcClusterID asks a member for the cluster id without asking to be
	// added (joinLoop: a node an operator added learns the id this way).
	rpcClusterID = "cluster-id"
)

type rpcRequest struct {
	Kind   string        `json:"kind"`
	Data   []byte        `json:"data"`
	Client *model.Client `json:"client,omitempty"` // the client a change is made for (admit.go)
}

type rpcResponse struct {
	Index   uint64 `json:"index,omitempty"`
	Value   int64  `json:"value,omitempty"`
	Data    []byte `json:"data,omitempty"`
	ErrKind string `json:"err_kind,omitempty"`
	ErrMsg  string `json:"err_msg,omitempty"`
}

// Handler serves a registered RPC kind on the leader.
type Handler func(ctx context.Context, data []byte) ([]byte, error)

// wireErrors names errors so they survive the trip (errors.Is keeps
// working on the follower). Other packages add theirs with RegisterError.
var (
	wireMu     sync.RWMutex
	wireErrors = map[string]error{
		"not-leader": model.ErrNotLeader, "no-leader": model.ErrNoLeader, "stale": model.ErrStale,
		"no-such-master": model.ErrNoSuchMaster, "duplicate-master": model.ErrDuplicateMaster,
		"invalid-port": model.ErrInvalidPort, "invalid-quorum": model.ErrInvalidQuorum,
		"invalid-setting": model.ErrInvalidSetting, "unknown-setting": model.ErrUnknownSetting,
		"inprog": model.ErrFailoverInProgress, "epoch-mismatch": model.ErrEpochMismatch,
		"not-a-replica": model.ErrNotAReplica, "no-good-slave": model.ErrNoGoodSlave, "step-out-of-order": model.ErrStepOutOfOrder,
		"unknown-command": model.ErrUnknownCommand, "unknown-entry": model.ErrUnknownEntry, "auth": ErrAuth,
		"no-secret": ErrNoSecret, "refused": model.ErrRefused, "no-perm": model.ErrNoPerm, "timeout": model.ErrTimeout,
		"shutdown": ErrShutdown, "set-conflict": model.ErrSetConflict, "log-version": model.ErrLogVersion,
	}
)

// RegisterError makes a named error of another package survive forwarding.
func RegisterError(name string, err error) {
	wireMu.Lock()
	wireErrors[name] = err
	wireMu.Unlock()
}

func encodeError(err error, r *rpcResponse) {
	if err == nil {
		return
	}
	r.ErrMsg = err.Error()
	wireMu.RLock()
	defer wireMu.RUnlock()
	for name, e := range wireErrors {
		if errors.Is(err, e) {
			r.ErrKind = name
			return
		}
	}
}

func decodeError(r *rpcResponse) error {
	if r.ErrMsg == "" && r.ErrKind == "" {
		return nil
	}
	wireMu.RLock()
	kind := wireErrors[r.ErrKind]
	wireMu.RUnlock()
	if kind == nil {
		return errors.New(r.ErrMsg)
	}
	if r.ErrMsg == kind.Error() {
		return kind
	}
	return &model.Error{Kind: kind, Msg: r.ErrMsg}
}

func writeFrame(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hdr := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(hdr, uint32(len(b)))
	_, err = w.Write(append(hdr, b...))
	return err
}

func readFrame(r io.Reader, v any) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return fmt.Errorf("rpc frame of %d bytes is too large", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// rpcClient keeps a few idle authenticated streams per peer.
type rpcClient struct {
	mu   sync.Mutex
	idle map[string][]net.Conn
	auth peerAuth
	dial func(network, addr string, timeout time.Duration) (net.Conn, error)
}

func (c *rpcClient) call(ctx context.Context, addr string, req *rpcRequest) (*rpcResponse, error) {
	conn, err := c.get(ctx, addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	var resp rpcResponse
	if err := writeFrame(conn, req); err != nil {
		conn.Close()
		return nil, err
	}
	if err := readFrame(conn, &resp); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	c.put(addr, conn)
	return &resp, nil
}

func (c *rpcClient) get(ctx context.Context, addr string) (net.Conn, error) {
	c.mu.Lock()
	if l := c.idle[addr]; len(l) > 0 {
		conn := l[len(l)-1]
		c.idle[addr] = l[:len(l)-1]
		c.mu.Unlock()
		return conn, nil
	}
	c.mu.Unlock()
	timeout := 2 * time.Second
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	return dialStream(c.dial, addr, headerRPC, c.auth, timeout)
}

func (c *rpcClient) put(addr string, conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle == nil {
		c.idle = map[string][]net.Conn{}
	}
	if len(c.idle[addr]) >= 4 {
		conn.Close()
		return
	}
	c.idle[addr] = append(c.idle[addr], conn)
}

func (c *rpcClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.idle {
		for _, conn := range l {
			conn.Close()
		}
	}
	c.idle = nil
}

// serveRPC answers requests on one authenticated stream until it closes.
func (s *Store) serveRPC(conn net.Conn) {
	defer conn.Close()
	for {
		var req rpcRequest
		if err := readFrame(conn, &req); err != nil {
			return
		}
		resp := s.handleRPC(&req, conn.RemoteAddr().String())
		if err := writeFrame(conn, resp); err != nil {
			return
		}
	}
}

// handleRPC serves a request, forwarded from the node at from ("" when it
// is this node's own).
func (s *Store) handleRPC(req *rpcRequest, from string) *rpcResponse {
	ctx, cancel := context.WithTimeout(context.Background(), s.applyTimeout)
	defer cancel()
	var resp rpcResponse
	if req.Kind == rpcPing {
		s.pingReply(&resp)
		return &resp
	}
	if req.Kind == rpcJoin {
		// Any member takes a join: the leader adds the node (forwarded
		// when this one is a follower); the answer carries the cluster id.
		_, err := s.Call(ctx, "raft-add", req.Data)
		encodeError(err, &resp)
		id := s.cid.get()
		resp.Data = id[:]
		return &resp
	}
	if req.Kind == rpcClusterID {
		if id := s.cid.get(); id != ([clusterIDLen]byte{}) {
			resp.Data = id[:]
		}
		return &resp
	}
	if req.Kind == rpcFormation {
		return s.serveFormation(req.Data) // any node answers (form.go)
	}
	if !s.IsLeader() {
		encodeError(model.ErrNotLeader, &resp)
		return &resp
	}
	switch req.Kind {
	case rpcApply:
		e, err := model.Decode(req.Data)
		if err != nil {
			encodeError(err, &resp)
			break
		}
		if from != "" {
			if err := s.admit(Proposal{Entry: e, Client: req.Client, From: from}); err != nil {
				s.log.Warn("forwarded change refused", zap.String("from", from), zap.String("op", string(e.Op())), zap.String("master", model.MasterOf(e)), zap.Error(err))
				encodeError(err, &resp)
				break
			}
		}
		res, err := s.applyLocal(e)
		resp.Index, resp.Value = res.Index, res.Value
		encodeError(err, &resp)
	case rpcSync:
		if err := s.raft.Barrier(s.applyTimeout).Error(); err != nil {
			encodeError(fmt.Errorf("%w: %v", model.ErrNotLeader, err), &resp)
			break
		}
		resp.Index = s.AppliedIndex()
	default:
		s.mu.RLock()
		h := s.handlers[req.Kind]
		s.mu.RUnlock()
		if h == nil {
			encodeError(fmt.Errorf("%w: rpc %q", model.ErrUnknownCommand, req.Kind), &resp)
			break
		}
		if from != "" {
			if err := s.admit(Proposal{Kind: req.Kind, Data: req.Data, Client: req.Client, From: from}); err != nil {
				s.log.Warn("forwarded request refused", zap.String("from", from), zap.String("kind", req.Kind), zap.Error(err))
				encodeError(err, &resp)
				break
			}
		}
		data, err := h(ctx, req.Data)
		resp.Data = data
		// The handler's writes are committed; let the caller wait for them.
		resp.Index = s.AppliedIndex()
		encodeError(err, &resp)
	}
	return &resp
}
