package node

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/internal/rawio"
)

// sourceDialer fixes the source address of outgoing connections (to Redis
// and to peers). redis-sentinel always dials from the kernel's default
// address (127.0.0.1 on loopback), which makes nodes on several loopback
// addresses indistinguishable to a firewall; raftinel dials from:
//   - `bind-source-addr` when set (every destination), else
//   - its first `bind` address when that is a loopback address other than
//     127.0.0.1, for loopback destinations only (a test or demo giving
//     each process its own 127.x.y.z identity).
type sourceDialer struct {
	src      net.IP
	always   bool // explicit bind-source-addr
	resolver *net.Resolver
}

func newSourceDialer(cfg *config.Config) *sourceDialer {
	if ip := net.ParseIP(cfg.BindSourceAddr); ip != nil {
		return &sourceDialer{src: ip, always: true, resolver: net.DefaultResolver}
	}
	if len(cfg.Bind) > 0 {
		ip := net.ParseIP(strings.TrimPrefix(cfg.Bind[0], "-"))
		if ip != nil && ip.IsLoopback() && !ip.Equal(net.IPv4(127, 0, 0, 1)) && !ip.Equal(net.IPv6loopback) {
			return &sourceDialer{src: ip, resolver: net.DefaultResolver}
		}
	}
	return nil
}

// DialContext dials addr (a hostname is resolved now, at each dial).
func (d *sourceDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	if d == nil {
		return nd.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := d.resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, ip := range ips {
		nd := net.Dialer{}
		if d.always || (ip.IP.IsLoopback() && (ip.IP.To4() == nil) == (d.src.To4() == nil)) {
			nd.LocalAddr = &net.TCPAddr{IP: d.src}
		}
		c, err := nd.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return rawio.Wrap(c), nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// plainDialTimeout is net.DialTimeout with the connection wrapped
// (rawio.Wrap: quiet system calls), for Raft and forwarding streams.
func plainDialTimeout(network, addr string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	return rawio.Wrap(c), nil
}

// DialTimeout adapts DialContext to consensus's dial signature.
func (d *sourceDialer) DialTimeout(network, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, addr)
}
