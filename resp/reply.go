package resp

import (
	"strconv"

	"github.com/tidwall/redcon"
)

// Reply builds one reply in the connection's protocol (2 or 3). A handler
// fills it without any lock; the server hands it to the connection in one
// piece, so replies and asynchronous Pub/Sub pushes never interleave inside
// a frame. RESP2 frames come from redcon's Append helpers; the RESP3-only
// types (%, _, >, ~, =, ',') are written here. A Reply is reused from one
// command to the next of a connection: building a reply allocates only when
// it outgrows the buffer it inherited.
type Reply struct {
	b     []byte
	proto int
	isErr bool // the reply is an error (INFO total_error_replies)
}

// NewReply returns an empty reply in protocol proto (2 or 3), for frames
// built outside a command (Pub/Sub pushes, tests).
func NewReply(proto int) *Reply { return &Reply{proto: proto} }

func (r *Reply) reset(proto int) {
	r.b, r.proto, r.isErr = r.b[:0], proto, false
}

// Bytes is the reply built so far.
func (r *Reply) Bytes() []byte { return r.b }

// Proto is the protocol the reply is written in.
func (r *Reply) Proto() int { return r.proto }

// SetProto switches the protocol of what is written next (HELLO answers in
// the protocol it selects).
func (r *Reply) SetProto(p int) { r.proto = p }

// IsErr reports whether an error was written.
func (r *Reply) IsErr() bool { return r.isErr }

// Discard drops what was written (a handler that panicked).
func (r *Reply) Discard() { r.b, r.isErr = r.b[:0], false }

// RESP3 reports whether the reply is in RESP3.
func (r *Reply) RESP3() bool { return r.proto == 3 }

// Raw appends a complete, pre-encoded frame.
func (r *Reply) Raw(b []byte) { r.b = append(r.b, b...) }

// Simple writes +s (newlines replaced by spaces).
func (r *Reply) Simple(s string) { r.b = redcon.AppendString(r.b, s) }

// OK writes +OK.
func (r *Reply) OK() { r.b = append(r.b, "+OK\r\n"...) }

// Error writes -s; s starts with the error code ("ERR ...", "NOAUTH ...").
// Newlines are replaced by spaces so that client data in a message can never
// break the framing.
func (r *Reply) Error(s string) {
	r.b = redcon.AppendError(r.b, s)
	r.isErr = true
}

// Int writes :n.
func (r *Reply) Int(n int64) { r.b = redcon.AppendInt(r.b, n) }

// Bulk writes a bulk string.
func (r *Reply) Bulk(s string) { r.b = redcon.AppendBulkString(r.b, s) }

// BulkBytes writes a bulk string.
func (r *Reply) BulkBytes(b []byte) { r.b = redcon.AppendBulk(r.b, b) }

// BulkInt writes a number as a bulk string, without allocating.
func (r *Reply) BulkInt(n int64) {
	var d [20]byte
	r.b = redcon.AppendBulk(r.b, strconv.AppendInt(d[:0], n, 10))
}

// NullBulk is Redis's addReplyNull: $-1 or _.
func (r *Reply) NullBulk() {
	if r.RESP3() {
		r.b = append(r.b, "_\r\n"...)
		return
	}
	r.b = append(r.b, "$-1\r\n"...)
}

// NullArray is Redis's addReplyNullArray: *-1 or _.
func (r *Reply) NullArray() {
	if r.RESP3() {
		r.b = append(r.b, "_\r\n"...)
		return
	}
	r.b = append(r.b, "*-1\r\n"...)
}

// Array starts an array of n elements.
func (r *Reply) Array(n int) { r.b = redcon.AppendArray(r.b, n) }

// Map starts a map of n pairs: %n, or a flat *2n array in RESP2.
func (r *Reply) Map(n int) {
	if r.RESP3() {
		r.b = appendHeader(r.b, '%', n)
		return
	}
	r.Array(2 * n)
}

// Set starts a set: ~n, or *n in RESP2.
func (r *Reply) Set(n int) {
	if r.RESP3() {
		r.b = appendHeader(r.b, '~', n)
		return
	}
	r.Array(n)
}

// Push starts an out-of-band frame: >n, or *n in RESP2.
func (r *Reply) Push(n int) {
	if r.RESP3() {
		r.b = appendHeader(r.b, '>', n)
		return
	}
	r.Array(n)
}

// Verbatim writes a text blob: =len txt:..., or a bulk string in RESP2.
func (r *Reply) Verbatim(s string) {
	if !r.RESP3() {
		r.Bulk(s)
		return
	}
	r.b = appendHeader(r.b, '=', len(s)+4)
	r.b = append(r.b, "txt:"...)
	r.b = append(r.b, s...)
	r.b = append(r.b, '\r', '\n')
}

// Double is Redis's addReplyDouble: a bulk string in RESP2, ',' in RESP3,
// both "%.17g".
func (r *Reply) Double(f float64) {
	s := strconv.FormatFloat(f, 'g', 17, 64)
	if r.RESP3() {
		r.b = append(append(append(r.b, ','), s...), '\r', '\n')
		return
	}
	r.Bulk(s)
}

// Bulks writes an array of bulk strings.
func (r *Reply) Bulks(items []string) {
	r.Array(len(items))
	for _, s := range items {
		r.Bulk(s)
	}
}

// Simples writes an array of simple strings (HELP texts).
func (r *Reply) Simples(items []string) {
	r.Array(len(items))
	for _, s := range items {
		r.Simple(s)
	}
}

// Pairs writes a map of bulk strings from k1, v1, k2, v2, ...
func (r *Reply) Pairs(kv []string) {
	r.Map(len(kv) / 2)
	for _, s := range kv {
		r.Bulk(s)
	}
}

func appendHeader(b []byte, c byte, n int) []byte {
	b = append(b, c)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}
