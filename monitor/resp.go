package monitor

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unsafe"
)

// A small client-side RESP2 codec. The monitor writes every byte it sends
// itself (no HELLO, no CLIENT SETINFO: Sentinel's minimal ACL must suffice),
// and bounds everything it reads so that a broken or hostile server cannot
// make it allocate without limit.

// Bounds on what is read from a server.
const (
	maxLineLen    = 64 << 10  // a simple string, error or length line
	maxBulkLen    = 64 << 20  // one bulk string
	maxArrayLen   = 1 << 20   // elements of one array
	maxReplyBytes = 128 << 20 // all bulk bytes of one (nested) reply
	maxDepth      = 8         // array nesting
	bulkChunk     = 64 << 10  // bulks larger than this grow as data arrives
)

// RedisError is an error reply (`-ERR ...`, `-NOAUTH ...`) from Redis. Inside
// an array (e.g. the EXEC reply) error elements are RedisError values too.
type RedisError string

func (e RedisError) Error() string { return string(e) }

// errProtocol wraps malformed input.
var errProtocol = errors.New("monitor: RESP protocol error")

func protoErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errProtocol}, a...)...)
}

// appendCommand appends one command as a RESP array of bulk strings.
func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// respReader reads replies from a buffered connection.
type respReader struct {
	br     *bufio.Reader
	budget int64 // bulk bytes left for the reply being read
	long   []byte
}

// line returns the next line without its CRLF. The slice is valid until the
// next read. Lines longer than the bufio buffer are assembled up to
// maxLineLen.
func (r *respReader) line() ([]byte, error) {
	l, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], l...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > maxLineLen {
				return nil, protoErr("line longer than %d bytes", maxLineLen)
			}
			l, err = r.br.ReadSlice('\n')
			r.long = append(r.long, l...)
		}
		if len(r.long) > maxLineLen {
			return nil, protoErr("line longer than %d bytes", maxLineLen)
		}
		l = r.long
	}
	if err != nil {
		return nil, err
	}
	if len(l) < 2 || l[len(l)-2] != '\r' {
		return nil, protoErr("line not terminated by CRLF")
	}
	return l[:len(l)-2], nil
}

// parseLen parses the integer after a type byte without allocating.
func parseLen(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, protoErr("bad integer %q", b)
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, protoErr("bad integer")
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, protoErr("bad integer")
		}
		n = n*10 + int64(c-'0')
		if n < 0 {
			return 0, protoErr("integer overflow")
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}

// reply reads one complete reply: string (simple or bulk), int64, []any,
// nil (null bulk or null array), or RedisError (returned as a value, not as
// err). err is set only for I/O and protocol failures, after which the
// connection must be closed.
func (r *respReader) reply() (any, error) {
	r.budget = maxReplyBytes
	return r.value(0)
}

func (r *respReader) value(depth int) (any, error) {
	l, err := r.line()
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, protoErr("empty line")
	}
	switch l[0] {
	case '+':
		return string(l[1:]), nil
	case '-':
		return RedisError(l[1:]), nil
	case ':':
		return parseLen(l[1:])
	case '$':
		n, err := parseLen(l[1:])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		b, err := r.bulk(n)
		if err != nil {
			return nil, err
		}
		// b is freshly allocated and never written again: share it
		// instead of copying (INFO replies are several KB, every few
		// seconds per instance).
		return unsafe.String(unsafe.SliceData(b), len(b)), nil
	case '*':
		n, err := parseLen(l[1:])
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		if n > maxArrayLen {
			return nil, protoErr("array of %d elements", n)
		}
		if depth >= maxDepth {
			return nil, protoErr("arrays nested deeper than %d", maxDepth)
		}
		out := make([]any, 0, min(n, 1024))
		for i := int64(0); i < n; i++ {
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, protoErr("unexpected type byte %q", l[0])
}

// bulk reads n bytes plus CRLF. Memory grows with the data that actually
// arrives, so a forged huge length costs nothing until it is sent.
func (r *respReader) bulk(n int64) ([]byte, error) {
	if n > maxBulkLen {
		return nil, protoErr("bulk of %d bytes", n)
	}
	if r.budget -= n; r.budget < 0 {
		return nil, protoErr("reply larger than %d bytes", maxReplyBytes)
	}
	want := int(n) + 2
	buf := make([]byte, 0, min(want, bulkChunk))
	for len(buf) < want {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow geometrically
		}
		k, err := r.br.Read(buf[len(buf):min(cap(buf), want)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return nil, protoErr("bulk not terminated by CRLF")
	}
	return buf[:n], nil
}

// status reads one reply and returns its type byte and, for simple strings
// and errors, its text (valid until the next read). Other reply types are
// consumed and discarded. It allocates nothing for +/- replies, which is
// what PING, AUTH and CLIENT SETNAME return.
func (r *respReader) status() (byte, []byte, error) {
	l, err := r.br.Peek(1)
	if err != nil {
		return 0, nil, err
	}
	switch l[0] {
	case '+', '-':
		l, err := r.line()
		if err != nil {
			return 0, nil, err
		}
		return l[0], l[1:], nil
	}
	kind := l[0]
	if _, err := r.reply(); err != nil {
		return 0, nil, err
	}
	return kind, nil, nil
}
