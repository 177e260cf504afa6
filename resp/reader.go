package resp

import (
	"bytes"
	"errors"
	"io"

	"github.com/raftinel/raftinel/internal/sdsargs"
)

// protoError is a malformed request. The reply is `-ERR Protocol error: <msg>`
// and the connection is closed afterwards, as Redis does.
type protoError struct{ msg string }

func (e *protoError) Error() string { return "Protocol error: " + e.msg }

var errNoProgress = io.ErrNoProgress

// reqReader splits the byte stream of one connection into commands, with the
// framing and error texts of Redis (processMultibulkBuffer and
// processInlineBuffer), within the limits of limits.go. It keeps at most one
// request in memory.
//
// Every piece of a half-read request (the argument count, the arguments so
// far, a bulk header already consumed, a big argument being filled) is kept
// in the struct, so that next can resume where it stopped.
//
// Arguments are not copied: they point into the read buffer, capacity-capped
// so that appending to one never touches another, and they are valid until
// the next call to next. When the buffer must move while a request is half
// read, the arguments read so far are copied out first (spill). Arguments
// of bigArg bytes and more are read into a buffer of their own.
//
// Why not redcon.Reader: its buffer only shrinks when it happens to be empty
// at a read boundary, so a client that pipelines steadily with a partial
// command at the end of every read makes it double forever (40 MB of PINGs
// grew it to 64 MB in a test), and its framing differs from Redis's in small
// ways (it rejects `*0`, checks the CRLF after a bulk, quotes inline
// arguments differently). Replies still go through redcon's Append helpers.
type reqReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	beforeRead func()        // called before a read that may block (flush replies)
	newBuf     func() []byte // a fresh read buffer after takeBuf (nil: allocate readChunk)
	budget     *memBudget
	charged    int64 // bytes of the current request (arguments and overhead)
	held       int64 // budget taken for it: what passes freeRequestBytes

	// multibulk state of the request being read
	need    int      // arguments still expected, 0 = between requests
	args    [][]byte // arguments read so far (the array is reused)
	spilled int      // args[spilled:] point into buf
	bulkLen int      // length of the bulk whose header was consumed, -1 = none
	big     []byte   // the big argument being read (bulkLen bytes in the end)
	slab    []byte   // backing store of spilled arguments
}

func newReqReader(r io.Reader, budget *memBudget) *reqReader {
	return &reqReader{r: r, buf: make([]byte, readChunk), budget: budget, bulkLen: -1}
}

// buffered is the number of bytes read from the connection but not yet
// consumed.
func (rr *reqReader) buffered() int { return rr.end - rr.start }

// capacity is the size of the read buffer (CLIENT LIST qbuf + qbuf-free).
func (rr *reqReader) capacity() int { return len(rr.buf) }

// idle reports that nothing is buffered and no request is half read: the
// read buffer can be given back (takeBuf) until the next read.
func (rr *reqReader) idle() bool {
	return rr.need == 0 && rr.bulkLen < 0 && rr.big == nil && rr.start == rr.end && rr.buf != nil
}

// takeBuf removes the read buffer (idle only); fill gets a new one from
// newBuf. The arguments of the last request must no longer be used.
func (rr *reqReader) takeBuf() []byte {
	b := rr.buf
	rr.buf, rr.start, rr.end = nil, 0, 0
	return b
}

// next returns the arguments of the next command, valid until the next
// call. unauth applies Redis's limits for clients that have not
// authenticated yet.
func (rr *reqReader) next(unauth bool) ([][]byte, error) {
	if rr.need == 0 {
		rr.release() // the previous request is over
	}
	for {
		var args [][]byte
		var done bool
		var err error
		if rr.need == 0 {
			args, done, err = rr.requestStart(unauth) // empty lines and *0 loop
		} else {
			args, done, err = rr.bulk(unauth)
		}
		if err != nil || done {
			return args, err
		}
	}
}

// requestStart reads the first line of a request. done reports a complete
// inline command in args; otherwise rr.need is set for a multibulk request.
func (rr *reqReader) requestStart(unauth bool) (args [][]byte, done bool, err error) {
	for rr.buffered() == 0 {
		if err := rr.fill(); err != nil {
			return nil, false, err
		}
	}
	if rr.buf[rr.start] != '*' {
		return rr.inline()
	}
	line, err := rr.line('\r', "too big mbulk count string")
	if err != nil {
		return nil, false, err
	}
	n, ok := parseLong(line[1:])
	if !ok || n > maxMultibulk {
		return nil, false, &protoError{"invalid multibulk length"}
	}
	if n > unauthMaxArgs && unauth {
		return nil, false, &protoError{"unauthenticated multibulk length"}
	}
	if n <= 0 {
		return nil, false, nil // Redis ignores *0 and *-1
	}
	rr.need = int(n)
	clear(rr.args)
	if cap(rr.args) > 64 {
		rr.args = nil // a huge request's array is not kept for the next ones
	}
	rr.args = rr.args[:0]
	rr.spilled = 0
	return nil, false, nil
}

// inline reads one telnet-style line.
func (rr *reqReader) inline() ([][]byte, bool, error) {
	line, err := rr.line('\n', "too big inline request")
	if err != nil {
		return nil, false, err
	}
	args, ok := sdsargs.Split(line)
	if !ok {
		return nil, false, &protoError{"unbalanced quotes in request"}
	}
	return args, len(args) > 0, nil
}

// bulk reads one `$<len>\r\n<data>\r\n` argument of a multibulk request.
func (rr *reqReader) bulk(unauth bool) ([][]byte, bool, error) {
	if rr.bulkLen < 0 {
		if err := rr.bulkHeader(unauth); err != nil {
			return nil, false, err
		}
	}
	n := rr.bulkLen
	if rr.big != nil {
		if err := rr.readBig(); err != nil {
			return nil, false, err
		}
		rr.spill() // the invariant: only args[spilled:] point into buf
		rr.args = append(rr.args, rr.big)
		rr.spilled = len(rr.args)
		rr.big = nil
	} else {
		for rr.buffered() < n+2 {
			if err := rr.fill(); err != nil {
				return nil, false, err
			}
		}
		// Like Redis, the two bytes after the data are skipped unchecked.
		var arg []byte
		if n > 0 {
			e := rr.start + n
			arg = rr.buf[rr.start:e:e]
		}
		rr.args = append(rr.args, arg)
		rr.start += n + 2
	}
	rr.bulkLen = -1
	rr.need--
	if rr.need > 0 {
		return nil, false, nil
	}
	return rr.args, true, nil
}

// bulkHeader consumes a `$<len>\r\n` line and charges the argument to the
// budget; a big argument gets its own buffer.
func (rr *reqReader) bulkHeader(unauth bool) error {
	for rr.buffered() == 0 {
		if err := rr.fill(); err != nil {
			return err
		}
	}
	if c := rr.buf[rr.start]; c != '$' {
		rr.need = 0
		return &protoError{"expected '$', got '" + string(c) + "'"}
	}
	line, err := rr.line('\r', "too big bulk count string")
	if err != nil {
		return err
	}
	n, ok := parseLong(line[1:])
	if !ok || n < 0 || n > protoMaxBulkLen {
		return &protoError{"invalid bulk length"}
	}
	if n > unauthMaxBulk && unauth {
		return &protoError{"unauthenticated bulk length"}
	}
	if n >= bigArg {
		size := min(int(n), bigArgFirst)
		if err := rr.charge(size + argOverhead); err != nil {
			return err
		}
		rr.big = make([]byte, 0, size)
	} else if err := rr.charge(int(n) + argOverhead); err != nil {
		return err
	}
	rr.bulkLen = int(n)
	return nil
}

// slabSize is the allocation unit of spilled argument copies.
const slabSize = 512

// spill copies the arguments that point into the read buffer out of it,
// before the buffer moves under a half-read request.
func (rr *reqReader) spill() {
	for i := rr.spilled; i < len(rr.args); i++ {
		rr.args[i] = rr.keep(rr.args[i])
	}
	rr.spilled = len(rr.args)
}

// keep copies an argument. Small arguments share slabs (one allocation for
// many arguments instead of one each); each copy is capacity-capped, so
// appending to one never touches another, and a slab is never reused. An
// empty argument is nil.
func (rr *reqReader) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > slabSize/4 {
		return append([]byte(nil), b...)
	}
	if cap(rr.slab)-len(rr.slab) < len(b) {
		rr.slab = make([]byte, 0, slabSize)
	}
	i := len(rr.slab)
	rr.slab = append(rr.slab, b...)
	return rr.slab[i:len(rr.slab):len(rr.slab)]
}

// line returns the next line and consumes it, like Redis's strchr-based
// parsing: multibulk headers end at '\r' and the byte after it is skipped
// unchecked; inline requests end at '\n' (a '\r' before it is dropped). A
// NUL byte hides the terminator (strchr stops there), so such a line only
// ends with the size limit. Nothing is consumed until the line is whole.
func (rr *reqReader) line(term byte, tooBig string) ([]byte, error) {
	need := 1 // bytes consumed from the terminator on
	if term == '\r' {
		need = 2
	}
	scanned := 0
	for {
		b := rr.buf[rr.start+scanned : rr.end]
		i := bytes.IndexByte(b, term)
		if z := bytes.IndexByte(b, 0); z >= 0 && (i < 0 || z < i) {
			return nil, rr.neverEnds(tooBig)
		}
		if i >= 0 && rr.start+scanned+i+need <= rr.end {
			e := rr.start + scanned + i
			l := rr.buf[rr.start:e]
			rr.start = e + need
			if term == '\n' {
				l = bytes.TrimSuffix(l, []byte{'\r'})
			}
			return l, nil
		}
		if i < 0 {
			scanned = rr.buffered()
		}
		if rr.buffered() > inlineMax {
			return nil, &protoError{tooBig}
		}
		if err := rr.fill(); err != nil {
			return nil, err
		}
	}
}

// neverEnds waits, as Redis does, until the line that cannot end passes the
// size limit.
func (rr *reqReader) neverEnds(tooBig string) error {
	for rr.buffered() <= inlineMax {
		if err := rr.fill(); err != nil {
			return err
		}
	}
	return &protoError{tooBig}
}

// fill reads more bytes, compacting or growing the buffer within
// maxBufferBytes.
func (rr *reqReader) fill() error {
	if rr.buf == nil {
		if rr.newBuf != nil {
			rr.buf = rr.newBuf()
		} else {
			rr.buf = make([]byte, readChunk)
		}
	}
	if rr.need > 0 && (rr.start == rr.end || rr.end == len(rr.buf)) {
		rr.spill() // the buffer moves: arguments read so far are copied out
	}
	if rr.start == rr.end {
		rr.start, rr.end = 0, 0
		if len(rr.buf) > readChunk*4 {
			rr.buf = make([]byte, readChunk)
		}
	}
	if rr.end == len(rr.buf) {
		if rr.start > 0 {
			n := copy(rr.buf, rr.buf[rr.start:rr.end])
			rr.start, rr.end = 0, n
		} else {
			if len(rr.buf) >= maxBufferBytes {
				return &protoError{"request too large"} // cannot happen: lines and small arguments fit
			}
			nb := make([]byte, min(len(rr.buf)*2, maxBufferBytes))
			copy(nb, rr.buf[:rr.end])
			rr.buf = nb
		}
	}
	if rr.beforeRead != nil {
		rr.beforeRead()
	}
	n, err := rr.r.Read(rr.buf[rr.end:])
	rr.end += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// parseLong parses a decimal integer exactly like Redis's string2ll: an
// optional '-', no '+', no spaces, no leading zeros, within int64.
func parseLong(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ParseLong is parseLong for handlers: Redis's string2ll.
func ParseLong(b []byte) (int64, bool) { return parseLong(b) }

// isProtoError reports a malformed request (reply, then close).
func isProtoError(err error) (*protoError, bool) {
	var pe *protoError
	ok := errors.As(err, &pe)
	return pe, ok
}
