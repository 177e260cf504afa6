package monitor

import "bytes"

// The pinger (pinger_linux.go) reads its sockets itself, so it parses the
// replies it gets there with these two functions instead of the reader of
// resp.go: what it needs of a reply is its kind, the text of a status and
// where the next reply starts, without allocating.

// statusReply parses the reply at the start of b as status() does: its
// type byte, the text of a simple string or error, and its length; size 0
// when incomplete. Other reply types are skipped whole.
func statusReply(b []byte) (kind byte, msg []byte, size int, err error) {
	if len(b) == 0 {
		return 0, nil, 0, nil
	}
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		if len(b) > maxLineLen {
			return 0, nil, 0, protoErr("line longer than %d bytes", maxLineLen)
		}
		return 0, nil, 0, nil
	}
	kind = b[0]
	switch kind {
	case '+', '-':
		return kind, b[1:i], i + 2, nil
	}
	n, err := skipReply(b, 0)
	return kind, nil, n, err
}

// skipReply returns the length of the complete reply at b (0: incomplete).
func skipReply(b []byte, depth int) (int, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return 0, nil
	}
	if i == 0 {
		return 0, protoErr("empty line")
	}
	switch b[0] {
	case '+', '-', ':':
		return i + 2, nil
	case '$':
		n, err := parseLen(b[1:i])
		if err != nil || n < 0 {
			return i + 2, err
		}
		if n > maxLineLen {
			return 0, protoErr("bulk of %d bytes in reply to PING", n)
		}
		if len(b) < i+2+int(n)+2 {
			return 0, nil
		}
		return i + 2 + int(n) + 2, nil
	case '*':
		n, err := parseLen(b[1:i])
		if err != nil || n < 0 {
			return i + 2, err
		}
		if depth >= maxDepth || n > 1024 {
			return 0, protoErr("array in reply to PING")
		}
		off := i + 2
		for j := int64(0); j < n; j++ {
			k, err := skipReply(b[off:], depth+1)
			if err != nil || k == 0 {
				return 0, err
			}
			off += k
		}
		return off, nil
	}
	return 0, protoErr("unexpected type byte %q", b[0])
}
