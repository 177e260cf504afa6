// Package sentinelproto speaks the Redis Sentinel protocol over RESP2/RESP3,
// so that Sentinel clients work against raftinel unchanged (e2e/clients runs
// redis-cli, go-redis, rueidis, redis-py, ioredis and node-redis).
//
// The package decides nothing. What a client is told about masters,
// replicas, epochs and failovers comes from the replicated state
// (Cluster.Read) or, for fast-changing figures such as ping times and INFO
// fields, from this node's own view (Monitor), exactly as Sentinel reports
// its own view. Every change a client asks for (MONITOR, REMOVE, SET, RESET)
// becomes one typed model.Entry sent through Cluster.Apply, and SENTINEL
// FAILOVER is handed to Failover.Manual. Only the log decides (design rule 1);
// this layer validates arguments with Sentinel's rules and texts, maps the
// outcome to a reply (errors.go is the single place for that), and delivers
// the events it is given (Server.Publish) to SUBSCRIBE/PSUBSCRIBE clients.
//
// The few things that are node-local in Sentinel too stay here: connection
// state (AUTH, HELLO, CLIENT), ACL users and the ACL LOG (package acl
// holds the model; access.go wires it), SENTINEL CONFIG announce-* values,
// SENTINEL DEBUG timers, SIMULATE-FAILURE flags and the
// IS-MASTER-DOWN-BY-ADDR vote, and the loglevel. The other SENTINEL CONFIG
// parameters are cluster-wide and go through the log like SENTINEL SET.
//
// The connections themselves belong to package resp, a generic RESP server
// that knows no command: it reads requests (Redis's framing and limits),
// keeps the per-connection state (protocol, user, name, subscriptions,
// CLIENT REPLY ...), delivers Pub/Sub messages and writes replies. This
// package is the Sentinel command table (cmdtable.go) and its handlers:
// Server.ServeRESP applies processCommand's checks (lookup, arity, AUTH,
// ACL, Pub/Sub context) and runs the handler; handlers that may block (a
// write through the log, CLIENT PAUSE) detach from the connection's
// serving loop (resp.Conn.Detach).
package sentinelproto
