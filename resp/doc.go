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
// consensus log, a DNS lookup, a pause) calls Conn.Detach, so that it never
// holds up the server's other connections; its connection's next command
// waits for it.
//
// # Why not redcon's server
//
// tidwall/redcon (the RESP library the design names) serves each
// connection from a goroutine of its own, and so does this package's
// goroutine path (TLS connections, other systems, and whenever
// Options.NoEventLoop is set, as the Sentinel port does); its Append
// helpers build the replies here. The path is this package's own rather
// than redcon.Serve because the reader enforces Redis's request limits
// and one memory budget shared by all connections. For an
// unpipelined request a goroutine per connection pays a read that finds
// nothing, a park and a wake-up through the Go scheduler (futex calls, an
// idle P spinning for work) on top of the request itself. With the loop
// (the default of Options on Linux) plain TCP connections are served by one epoll loop
// (loop_linux.go), as Redis serves them from its one thread: one read per
// readiness event, every complete request in the buffer run in turn, one
// write for all their replies; a handler that may block detaches and its
// connection reads nothing until it is done, so replies stay in order.
// What it must get right, each with a test in both modes: requests split
// anywhere across reads, pipelines that fill the socket (the loop stops
// reading a client with more than 64 KiB of unwritten replies: memory per
// client stays bounded), a client closing while its detached command
// runs, QUIT after replies the socket has not taken yet (closed once they
// are written), Pub/Sub pushes to slow subscribers (their writer waits
// for the socket, then the subscriber is dropped as in Redis).
//
// Figures (2 shared cores, noisy): BenchmarkUnpipelined (50 clients, one
// PING in flight each, client and server in one process) favours the
// loop, 12.6 us per request against 18.1 us (medians of 3). In a real
// node the result reverses: one node, redis-benchmark -c 50, 3 alternating
// rounds, the loop cost 21.2 us of CPU per unpipelined
// GET-MASTER-ADDR-BY-NAME against 17.1 us with goroutines (throughput
// 36.8k against 41.4k req/s) and 1.6-1.8 against 1.4 us pipelined. So
// the Sentinel port (sentinelproto.Options.EventLoop) keeps a goroutine
// per connection, like redcon, and the loop stays available, tested in
// both modes, until a profile of the node explains the difference.
package resp
