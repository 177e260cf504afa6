package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Hello messages (spec §6.5): every Sentinel publishes, every 2 s, on
// __sentinel__:hello of every master and replica it monitors,
//
//	<ip>,<port>,<myid>,<current-epoch>,<master-name>,<master-ip>,<master-port>,<master-config-epoch>
//
// and learns the other Sentinels from what the others publish. raftinel
// publishes the same messages so that redis-sentinel nodes of a mixed
// deployment, and tooling that reads the channel, see it. It never adopts
// anything from a hello it receives (docs/divergence.md): a hello arrives
// unauthenticated through Redis, and anyone who can PUBLISH on a Redis can
// forge one. Before its cluster exists a node reads hellos only to find
// addresses worth asking whether they are raftinel nodes; membership is
// then proved by the raft-secret handshake (consensus/formation.go).

// HelloChannel is Sentinel's discovery channel.
const HelloChannel = "__sentinel__:hello"

// Hello is one hello message.
type Hello struct {
	IP           string // the sender's announced address
	Port         int
	MyID         string
	CurrentEpoch uint64
	Master       string // master name
	MasterIP     string // the master's current address, as the sender knows it
	MasterPort   int
	ConfigEpoch  uint64 // the master's config epoch
}

// Addr is the sender's host:port.
func (h Hello) Addr() string { return net.JoinHostPort(h.IP, strconv.Itoa(h.Port)) }

// String renders the message exactly as Sentinel does (8 comma-separated
// fields; a receiver ignores any other count).
func (h Hello) String() string {
	return h.IP + "," + strconv.Itoa(h.Port) + "," + h.MyID + "," + strconv.FormatUint(h.CurrentEpoch, 10) + "," +
		h.Master + "," + h.MasterIP + "," + strconv.Itoa(h.MasterPort) + "," + strconv.FormatUint(h.ConfigEpoch, 10)
}

// ErrBadHello is returned by ParseHello.
var ErrBadHello = errors.New("monitor: malformed hello message")

// ParseHello parses a hello message. It is stricter than Sentinel (which
// reads the numbers with atoi): the message is unauthenticated input, so
// anything but 8 fields with valid ports and epochs and a non-empty
// address, id and master name is refused.
func ParseHello(s string) (Hello, error) {
	f := strings.Split(s, ",")
	if len(f) != 8 {
		return Hello{}, fmt.Errorf("%w: %d fields", ErrBadHello, len(f))
	}
	var h Hello
	var err error
	bad := func(what string) (Hello, error) { return Hello{}, fmt.Errorf("%w: %s", ErrBadHello, what) }
	h.IP, h.MyID, h.Master, h.MasterIP = f[0], f[2], f[4], f[5]
	if h.IP == "" || h.MyID == "" || h.Master == "" || h.MasterIP == "" {
		return bad("empty field")
	}
	if h.Port, err = strconv.Atoi(f[1]); err != nil || h.Port < 1 || h.Port > 65535 {
		return bad("port")
	}
	if h.MasterPort, err = strconv.Atoi(f[6]); err != nil || h.MasterPort < 1 || h.MasterPort > 65535 {
		return bad("master port")
	}
	if h.CurrentEpoch, err = strconv.ParseUint(f[3], 10, 64); err != nil {
		return bad("current epoch")
	}
	if h.ConfigEpoch, err = strconv.ParseUint(f[7], 10, 64); err != nil {
		return bad("config epoch")
	}
	return h, nil
}

// ErrLinkDown is returned by PublishHello when the instance's command link
// is not connected.
var ErrLinkDown = errors.New("monitor: link down")

// PublishHello publishes a hello on the command link of addr monitored
// under master, as Sentinel does: only when the link is connected (a link
// that is down is for the INFO loop to reconnect), with the message built
// from the link's local IP (Sentinel's address when announce-ip is unset).
func (m *Monitor) PublishHello(ctx context.Context, master, addr string, build func(localIP string) string) error {
	in, err := m.instance(master, addr)
	if err != nil {
		return err
	}
	in.cmd.mu.Lock()
	c := in.cmd.c
	ip := ""
	if c != nil {
		ip = localIP(c.nc)
	}
	in.cmd.mu.Unlock()
	if c == nil {
		return ErrLinkDown
	}
	_, err = in.do(ctx, []string{"PUBLISH", HelloChannel, build(ip)})
	return err
}

// localIP is the IP of nc's local end ("" if unknown).
func localIP(nc net.Conn) string {
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	if h, _, err := net.SplitHostPort(nc.LocalAddr().String()); err == nil {
		return h
	}
	return ""
}
