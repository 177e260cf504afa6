package sentinelproto

import (
	"strconv"

	"github.com/tidwall/redcon"
)

// reply builds one reply in the connection's protocol (2 or 3). It is filled
// without any lock and handed to the connection in one piece, so replies and
// asynchronous Pub/Sub pushes never interleave inside a frame. RESP2 frames
// come from redcon's Append helpers; the RESP3-only types (%, _, >, ~, =) are
// written here.
type reply struct {
	b     []byte
	proto int
	isErr bool // the reply is an error (INFO total_error_replies)
}

func (r *reply) resp3() bool { return r.proto == 3 }

// simple writes +s (newlines replaced by spaces).
func (r *reply) simple(s string) { r.b = redcon.AppendString(r.b, s) }

func (r *reply) ok() { r.b = append(r.b, "+OK\r\n"...) }

// err writes -s; s starts with the error code ("ERR ...", "NOAUTH ...").
// Newlines are replaced by spaces so that client data in a message can never
// break the framing.
func (r *reply) err(s string) {
	r.b = redcon.AppendError(r.b, s)
	r.isErr = true
}

func (r *reply) int(n int64) { r.b = redcon.AppendInt(r.b, n) }

func (r *reply) bulk(s string) { r.b = redcon.AppendBulkString(r.b, s) }

func (r *reply) bulkBytes(b []byte) { r.b = redcon.AppendBulk(r.b, b) }

// bulkInt writes a number as a bulk string, the form Sentinel maps use.
func (r *reply) bulkInt(n int64) { r.bulk(strconv.FormatInt(n, 10)) }

// nullBulk is Redis's addReplyNull: $-1 or _.
func (r *reply) nullBulk() {
	if r.resp3() {
		r.b = append(r.b, "_\r\n"...)
		return
	}
	r.b = append(r.b, "$-1\r\n"...)
}

// nullArray is Redis's addReplyNullArray: *-1 or _.
func (r *reply) nullArray() {
	if r.resp3() {
		r.b = append(r.b, "_\r\n"...)
		return
	}
	r.b = append(r.b, "*-1\r\n"...)
}

func (r *reply) array(n int) { r.b = redcon.AppendArray(r.b, n) }

// mapLen starts a map of n pairs: %n, or a flat *2n array in RESP2.
func (r *reply) mapLen(n int) {
	if r.resp3() {
		r.b = appendHeader(r.b, '%', n)
		return
	}
	r.array(2 * n)
}

// setLen starts a set: ~n, or *n in RESP2.
func (r *reply) setLen(n int) {
	if r.resp3() {
		r.b = appendHeader(r.b, '~', n)
		return
	}
	r.array(n)
}

// push starts an out-of-band frame: >n, or *n in RESP2.
func (r *reply) push(n int) {
	if r.resp3() {
		r.b = appendHeader(r.b, '>', n)
		return
	}
	r.array(n)
}

// verbatim writes a text blob: =len txt:..., or a bulk string in RESP2.
func (r *reply) verbatim(s string) {
	if !r.resp3() {
		r.bulk(s)
		return
	}
	r.b = appendHeader(r.b, '=', len(s)+4)
	r.b = append(r.b, "txt:"...)
	r.b = append(r.b, s...)
	r.b = append(r.b, '\r', '\n')
}

// bulks writes an array of bulk strings.
func (r *reply) bulks(items []string) {
	r.array(len(items))
	for _, s := range items {
		r.bulk(s)
	}
}

// simples writes an array of simple strings (HELP texts).
func (r *reply) simples(items []string) {
	r.array(len(items))
	for _, s := range items {
		r.simple(s)
	}
}

// pairs writes a map of bulk strings from k1, v1, k2, v2, ...
func (r *reply) pairs(kv []string) {
	r.mapLen(len(kv) / 2)
	for _, s := range kv {
		r.bulk(s)
	}
}

func appendHeader(b []byte, c byte, n int) []byte {
	b = append(b, c)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}
