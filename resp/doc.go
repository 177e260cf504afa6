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
// connection from a goroutine of its own, as this package did before and
// still does for TLS connections and off Linux (Options.NoEventLoop
// forces it). Its Append helpers build the replies here. For an
// unpipelined request a goroutine per connection pays a read that finds
// nothing, a park and a wake-up through the Go scheduler (futex calls, an
// idle P spinning for work) on top of the request itself. On Linux the
// plain TCP connections are served instead by one epoll loop
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
// Figures (2 shared cores, noisy; ratios matter): BenchmarkUnpipelined
// (50 clients, one PING in flight each, whole process) 12.6 us per request
// in the loop against 18.1 us with a goroutine per connection (medians
// of 3, ranges 10.9-15.2 and 13.7-18.6). End to end (cmd/raftinel-bench,
// docs/benchmarks.md) the node's CPU per unpipelined
// GET-MASTER-ADDR-BY-NAME stays about 1.5 times redis-sentinel's (16 vs
// 10.5 us: the kernel's loopback TCP dominates both), and pipelined
// (-P 16) it went from 2.0 to 1.2 times (1.4 vs 1.2 us), mostly from the
// replies rendered once per state rather than from the loop.
package resp
