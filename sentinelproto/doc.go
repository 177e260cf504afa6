// Package sentinelproto speaks the Redis Sentinel protocol over RESP2/RESP3,
// so that Sentinel clients work against raftinel unchanged (e2e/clients runs
// redis-cli, go-redis, rueidis, redis-py, ioredis and node-redis).
//
// The package decides nothing. What a client is told about masters,
// replicas, epochs and failovers comes from the replicated state
// (Cluster.Read) or, for fast-changing figures such as ping times and INFO
// fields, from this node's own view (Monitor), exactly as Sentinel reports
// its own view. Every change a client asks for (MONITOR, REMOVE, SET, RESET)
// becomes one consensus.Command sent through Cluster.Apply, and SENTINEL
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
// Requests are read by reqReader (Redis's framing, limits and error texts;
// what requests hold in memory is bounded by one budget shared by all
// connections, limits.go) and replies are built per command and written
// with redcon's Writer; a connection's writes are serialized by its mutex so
// that Pub/Sub pushes, which arrive asynchronously, never split a reply.
package sentinelproto
