package resp

import (
	"strconv"
	"strings"
	"testing"

	"github.com/raftinel/raftinel/internal/resptest"
)

// testHandler is a minimal command set for the server's own tests: PING
// [msg], ECHO msg, BATCH (Conn.Batch), QUIT, CLIENT SETNAME/GETNAME,
// SUBSCRIBE/UNSUBSCRIBE, SLOW (detached: waits on the channel the test
// gives), and anything else an error naming the command.
type testHandler struct {
	slow chan struct{}
}

func (h *testHandler) ServeRESP(c *Conn, args [][]byte, r *Reply) {
	cmd := strings.ToLower(string(args[0]))
	c.SetCommand(&cmdNames[0])
	c.Executing(args)
	switch {
	case cmd == "ping" && len(args) == 1:
		r.Simple("PONG")
	case cmd == "ping" && len(args) == 2, cmd == "echo" && len(args) == 2:
		r.BulkBytes(args[1])
	case cmd == "client" && len(args) == 3 && strings.EqualFold(string(args[1]), "setname"):
		name := string(args[2])
		c.UpdateSession(func(s *Session) { s.Name = name })
		r.OK()
	case cmd == "client" && len(args) == 2 && strings.EqualFold(string(args[1]), "getname"):
		r.Bulk(c.Session().Name)
	case cmd == "batch":
		r.Int(int64(c.Batch()))
	case cmd == "quit":
		r.OK()
		c.CloseAfterReply()
	case cmd == "subscribe":
		c.Subscribe(args[1:], false)
	case cmd == "unsubscribe":
		c.Unsubscribe(args[1:], false)
	case cmd == "slow":
		arg := args[1]
		c.Detach(func(r *Reply) {
			<-h.slow
			r.BulkBytes(arg)
		})
	default:
		r.Error("ERR unknown command '" + cmd + "'")
	}
}

var cmdNames = []string{"test"}

type testEnv struct {
	t    testing.TB
	srv  *Server
	h    *testHandler
	addr string
}

func newEnv(t testing.TB, tweak ...func(*Options)) *testEnv {
	t.Helper()
	h := &testHandler{slow: make(chan struct{})}
	o := Options{Handler: h}
	for _, f := range tweak {
		f(&o)
	}
	e := &testEnv{t: t, h: h, srv: NewServer(o)}
	e.addr = resptest.Serve(t, e.srv)
	return e
}

func (e *testEnv) dial() *resptest.Conn { return resptest.Dial(e.t, e.addr) }

func encode(args ...string) string { return resptest.Encode(args...) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
