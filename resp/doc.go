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
package resp
