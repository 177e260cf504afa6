package tlsconf

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// DialFunc dials like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// WrapDial returns a dialer that completes a TLS handshake (bounded by ctx)
// on every connection dial opens. A nil dial means net.Dialer.
func WrapDial(dial DialFunc, cfg *tls.Config) DialFunc {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return tc, nil
	}
}

// WrapDialTimeout is WrapDial for consensus's dial signature.
func WrapDialTimeout(dial func(network, addr string, timeout time.Duration) (net.Conn, error), cfg *tls.Config) func(network, addr string, timeout time.Duration) (net.Conn, error) {
	if dial == nil {
		dial = net.DialTimeout
	}
	return func(network, addr string, timeout time.Duration) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return WrapDial(func(ctx context.Context, network, addr string) (net.Conn, error) {
			dl, _ := ctx.Deadline()
			return dial(network, addr, time.Until(dl))
		}, cfg)(ctx, network, addr)
	}
}
