package view

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target is one monitored Redis instance. Links are per (Master, Addr): two
// master names watching one address have separate links.
type Target struct {
	Master    string // master name
	Addr      string // host:port as stored; hostnames are resolved at every dial
	IsMaster  bool   // false for replicas
	DownAfter time.Duration
	// AuthUser/AuthPass are the master's auth-user/auth-pass; replicas use
	// the master's.
	AuthUser, AuthPass string
	// Rename maps lower-case command names to their rename-command names.
	// It applies to every command sent, PING, INFO, AUTH and CLIENT included.
	Rename map[string]string
	// RebootDownAfter is master-reboot-down-after-period, 0 = off.
	RebootDownAfter time.Duration
}

// Same reports whether t and u are the same target, settings included.
func (t Target) Same(u Target) bool {
	return t.Master == u.Master && t.Addr == u.Addr && t.IsMaster == u.IsMaster && t.DownAfter == u.DownAfter &&
		t.AuthUser == u.AuthUser && t.AuthPass == u.AuthPass && t.RebootDownAfter == u.RebootDownAfter &&
		maps.Equal(t.Rename, u.Rename)
}

// SameTargets reports whether a and b hold the same targets in the same
// order.
func SameTargets(a, b []Target) bool { return slices.EqualFunc(a, b, Target.Same) }

// PeerTarget is another raftinel node's Sentinel port, as the monitor is
// asked to probe it.
type PeerTarget struct{ ID, Addr, AuthUser, AuthPass string }

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
var ErrBadHello = errors.New("malformed hello message")

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
