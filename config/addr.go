package config

import (
	"net"
	"strconv"
	"strings"
)

// RaftAddr is the node's announced address, which is also its Raft server
// address (Raft shares the Sentinel port): announce-ip, else the first
// specific bind address, else 127.0.0.1; then announce-port if set, else
// tls-port when peers use TLS (tls-replication yes, or port 0), else port. Wildcard binds ("*", "0.0.0.0", "::", "::*") are skipped because
// peers cannot dial them; Redis's "-" prefix (optional bind) is dropped.
func (c *Config) RaftAddr() string {
	host := c.AnnounceIP
	if host == "" {
		host = firstSpecificBind(c.Bind)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	port := c.Port
	if c.TLS.Port > 0 && (c.TLS.Replication || c.Port == 0) {
		port = c.TLS.Port // peers speak TLS to this node (Sentinel: the hello port is tls-port)
	}
	if c.AnnouncePort != 0 {
		port = c.AnnouncePort
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func firstSpecificBind(binds []string) string {
	for _, b := range binds {
		b = strings.TrimPrefix(b, "-")
		switch b {
		case "", "*", "::*", "0.0.0.0", "::":
			continue
		}
		return b
	}
	return ""
}
