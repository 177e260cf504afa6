package resp

import (
	"errors"
	"sync"
)

// Request limits. Redis's own (networking.c, at its default settings):
// an inline request or a header line ends within 64 KiB, a request has at
// most INT_MAX arguments, an argument at most proto-max-bulk-len (512 MB),
// and before AUTH at most 10 arguments of at most 16 KiB. Redis also closes
// a client whose query buffer passes client-query-buffer-limit (1 GB).
//
// raftinel holds a request's arguments as they arrive (never allocating
// from a declared length), and bounds what unfinished and running requests
// hold in memory by one budget shared by all connections, of the size of
// client-query-buffer-limit: one client may send a request of up to 1 GiB,
// as to Redis, but no number of clients can make a node hold more than
// that (plus 64 KiB per request, which every request may use whatever the
// budget, so that ordinary commands are always served). A request that
// would pass the budget closes its connection without a reply, as Redis
// does at its query buffer limit.
const (
	inlineMax        = 64 * 1024 // PROTO_INLINE_MAX_SIZE: a line without its terminator
	maxMultibulk     = 1<<31 - 1 // INT_MAX arguments
	protoMaxBulkLen  = 512 << 20 // proto-max-bulk-len
	queryBufferLimit = 1 << 30   // client-query-buffer-limit: the default shared budget
	unauthMaxArgs    = 10        // before AUTH: at most 10 arguments ...
	unauthMaxBulk    = 16384     // ... of at most 16 KiB each

	// freeRequestBytes of every request are not charged to the budget.
	freeRequestBytes = 64 * 1024
	// bigArg (PROTO_MBULK_BIG_ARG) and larger arguments are read straight
	// into their own buffer, grown as their bytes arrive.
	bigArg = 32 * 1024
	// bigArgFirst is the first buffer of a big argument; it doubles as
	// needed, up to the argument's length.
	bigArgFirst = 256 * 1024
	// argOverhead is charged per argument on top of its bytes (its slice
	// header), so that millions of empty arguments are bounded too.
	argOverhead = 24
	readChunk   = 16 * 1024
	// maxBufferBytes bounds the read buffer: a header line, a small
	// argument and a read.
	maxBufferBytes = inlineMax + bigArg + readChunk
)

// errBudget closes a connection whose request would pass the shared
// request memory budget (logged, no reply).
var errBudget = errors.New("request memory budget exhausted (client-query-buffer-limit)")

// memBudget is the request memory all connections together may hold.
type memBudget struct {
	mu          sync.Mutex
	used, limit int64
}

func newMemBudget(limit int64) *memBudget {
	if limit <= 0 {
		limit = queryBufferLimit
	}
	return &memBudget{limit: limit}
}

func (b *memBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *memBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// inUse is what requests hold now (tests).
func (b *memBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// charge counts n more bytes of the current request, taking budget for
// what passes freeRequestBytes.
func (rr *reqReader) charge(n int) error {
	rr.charged += int64(n)
	want := rr.charged - freeRequestBytes
	if want <= rr.held || rr.budget == nil {
		return nil
	}
	if !rr.budget.take(want - rr.held) {
		return errBudget
	}
	rr.held = want
	return nil
}

// release gives back the budget of the previous request (its arguments
// are no longer used once the next one is read, or the connection ends).
func (rr *reqReader) release() {
	if rr.held > 0 && rr.budget != nil {
		rr.budget.give(rr.held)
	}
	rr.held, rr.charged = 0, 0
}

// readBig fills rr.big, the argument of rr.bulkLen >= bigArg bytes, from
// the buffer and then straight from the source, growing it (and charging
// the budget) as its bytes arrive; then it skips the two bytes after it
// unchecked, as Redis does.
func (rr *reqReader) readBig() error {
	n := rr.bulkLen
	arg := rr.big
	defer func() { rr.big = arg }()
	if k := min(rr.buffered(), n-len(arg)); k > 0 {
		arg = append(arg, rr.buf[rr.start:rr.start+k]...)
		rr.start += k
	}
	for len(arg) < n {
		if len(arg) == cap(arg) {
			grown := min(2*cap(arg), n)
			if err := rr.charge(grown - cap(arg)); err != nil {
				return err
			}
			na := make([]byte, len(arg), grown)
			copy(na, arg)
			arg = na
		}
		if rr.beforeRead != nil {
			rr.beforeRead()
		}
		m, err := rr.r.Read(arg[len(arg):cap(arg)])
		arg = arg[:len(arg)+m]
		if m == 0 {
			if err == nil {
				err = errNoProgress
			}
			return err
		}
	}
	for rr.buffered() < 2 {
		if err := rr.fill(); err != nil {
			return err
		}
	}
	rr.start += 2
	return nil
}
