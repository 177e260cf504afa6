// Package resp is a generic RESP2/RESP3 server: it owns the connections of
// a Redis-protocol port and knows no command. It reads requests with Redis's
// framing, limits and error texts (reader.go, limits.go: what requests hold
// in memory is bounded by one budget shared by all connections), runs them
// through a Handler one at a time per connection, writes the replies the
// handler builds (Reply, with redcon's Append helpers and the RESP3 types),
// delivers Pub/Sub messages (pubsub.go), and keeps the per-connection state
// that Redis's connection commands read and change: protocol version,
// authentication, user, CLIENT SETNAME/SETINFO/TRACKING/REPLY/NO-EVICT,
// subscriptions, CLIENT LIST's line, CLIENT PAUSE, and the counters of INFO
// stats and clients.
//
// The handler decides everything about commands (which exist, who may run
// them, what they answer). A command that may block (a write through a
// consensus log, a DNS lookup, a pause) calls Conn.Detach: the replies
// before it are written first, other connections go on (each has its own
// goroutine), and its connection's next command waits for it.
//
// # Why not redcon's server
//
// tidwall/redcon (the RESP library the design names) serves each
// connection from a goroutine of its own, and so does this package; its
// Append helpers build the replies here. The path is this package's own
// rather than redcon.Serve because the reader enforces Redis's request
// limits and one memory budget shared by all connections. A connection's
// goroutine reads what the socket holds, runs every complete request in
// the buffer in turn and writes all their replies with one write before it
// reads again (beforeRead), so pipelining costs one read and one write per
// batch; a reply backlog past 64 KiB is written at once, so a client that
// does not read its replies is held back by its own socket.
//
// An epoll event loop serving every plain TCP connection from one
// goroutine, as Redis serves them from its one thread, was tried and
// removed (issue 16): in a node it cost more CPU per request than
// goroutines (redis-benchmark -c 50, 2 shared cores, two bench runs back
// to back, each against redis-sentinel:
// 19.5-20.8 against 16.1-16.8 us per unpipelined GET-MASTER-ADDR-BY-NAME,
// 1.8-2.0 against 1.4 us with -P 16), although a benchmark with client and
// server in one process favoured it. docs/benchmarks.md has the figures.
package resp
