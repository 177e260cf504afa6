package config

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// maxMillis is the largest millisecond count a time.Duration can hold.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// parseRedisInt parses an integer the way Redis's string2ll does for
// standard server configs: optional '-', digits, no '+', no leading zeros,
// no spaces. Keeping Redis's strictness means `port 007` fails here as it
// fails in redis-server.
func parseRedisInt(s string) (int64, bool) {
	d := strings.TrimPrefix(s, "-")
	if d == "" || (d[0] == '0' && (len(d) > 1 || len(d) < len(s))) {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// parseNumber parses a decimal integer, allowing a sign and leading zeros as
// C's atoi does, but not atoi's silent acceptance of trailing junk. Used for
// `sentinel` values (Sentinel reads them with atoi) and raftinel's own.
func parseNumber(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// parseYesNo is Redis's yesnotoi: case-insensitive yes/no.
func parseYesNo(s string) (v, ok bool) {
	switch {
	case strings.EqualFold(s, "yes"):
		return true, true
	case strings.EqualFold(s, "no"):
		return false, true
	}
	return false, false
}

// parsePort accepts 1..65535. Sentinel itself accepts 0 (and atoi's 0 for
// garbage); a monitored instance on port 0 can never be reached, so raftinel
// refuses it at start-up instead.
func parsePort(s string) (int, bool) {
	v, ok := parseNumber(s)
	if !ok || v < 1 || v > 65535 {
		return 0, false
	}
	return int(v), true
}

// isIPLiteral reports whether s is an IPv4 or IPv6 address (zone allowed),
// which is what getaddrinfo accepts with AI_NUMERICHOST.
func isIPLiteral(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// isHostname checks DNS-name syntax: dot-separated labels of letters,
// digits, '-' and '_' (seen in real deployments), each 1..63 bytes, 253 in
// all, optional trailing dot, the last label not all digits (RFC 3696 2:
// "999.1.1.1" is a bad IP address, not a name). It does not resolve
// anything.
func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '-' || c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

// checkHostPort validates a raftinel "host:port" address (IPv6 in
// brackets). Hostnames are allowed and not resolved. It returns "" or a
// reason fragment.
func checkHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "expected host:port"
	}
	if !isIPLiteral(host) && !isHostname(host) {
		return "invalid host"
	}
	if _, ok := parsePort(port); !ok {
		return "invalid port"
	}
	return ""
}

// quote shows a user-supplied value inside a reason, on one line.
func quote(s string) string { return "'" + oneLine(s) + "'" }
