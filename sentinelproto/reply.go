package sentinelproto

import (
	"strconv"

	"github.com/raftinel/raftinel/resp"
)

// reply is the handlers' short-named view of a command's resp.Reply.
type reply struct{ *resp.Reply }

func (r reply) resp3() bool            { return r.RESP3() }
func (r reply) simple(s string)        { r.Simple(s) }
func (r reply) ok()                    { r.OK() }
func (r reply) err(s string)           { r.Error(s) }
func (r reply) int(n int64)            { r.Int(n) }
func (r reply) bulk(s string)          { r.Bulk(s) }
func (r reply) bulkBytes(b []byte)     { r.BulkBytes(b) }
func (r reply) bulkInt(n int64)        { r.BulkInt(n) }
func (r reply) nullBulk()              { r.NullBulk() }
func (r reply) nullArray()             { r.NullArray() }
func (r reply) array(n int)            { r.Array(n) }
func (r reply) mapLen(n int)           { r.Map(n) }
func (r reply) setLen(n int)           { r.Set(n) }
func (r reply) push(n int)             { r.Push(n) }
func (r reply) verbatim(s string)      { r.Verbatim(s) }
func (r reply) bulks(items []string)   { r.Bulks(items) }
func (r reply) simples(items []string) { r.Simples(items) }
func (r reply) pairs(kv []string)      { r.Pairs(kv) }
func (r reply) double(f float64)       { r.Double(f) }

// itoa is strconv.FormatInt for the many numeric fields.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// parseLong is Redis's string2ll.
func parseLong(b []byte) (int64, bool) { return resp.ParseLong(b) }
