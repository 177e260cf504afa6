// Package consensus is the only place raftinel's shared state changes: it
// orders model entries (model.Entry) through a Raft log and applies them with
// model.Apply on every node. It wraps hashicorp/raft (log and stable store
// in bbolt via raft-boltdb/v2, file snapshots) with a thin FSM:
//
//   - the state machine itself is package model: model.Apply is a pure
//     function of the state and one typed model.Entry; consensus only
//     encodes and decodes entries (model.Encode, model.Decode) and never
//     interprets one.
//   - fsm.go: raft.FSM around it (snapshots are the JSON state), the applied
//     index a follower waits for before answering a forwarded write, and
//     the event hand-off (entries already in the log at start are replays
//     and publish nothing).
//   - store.go / api.go / admin.go / join.go: Open (bootstrap from
//     raft-peers: every voter bootstraps the same configuration, or join,
//     or form by discovery), Apply from any node, Sync (a read barrier),
//     Fresh (design rule 8); admin.go: Members, RaftInfo, the RAFT admin
//     operations. A leadership transfer (a SIGTERM'd leader,
//     RAFT TRANSFER-LEADERSHIP) that raft reports timed out still counts
//     when another node leads within two more election timeouts.
//   - mux.go: one port for clients, Raft and RPC; the first byte of a
//     connection tells them apart (0x01 Raft, 0x02 RPC, anything else RESP).
//     Accept errors are retried, silent connections closed, and every
//     connection counts toward maxclients.
//   - transport.go / reach.go: the Raft transport over the mux. After a
//     replication call to a peer fails, the leader's next one waits until
//     the peer answers a probe (an authenticated RPC ping every 50 ms)
//     instead of failing at once: hashicorp/raft backs off up to ~10 s per
//     failed AppendEntries, so a follower back from a restart or a long
//     cut got its log seconds late. Waiting is what a slow network does
//     to an RPC anyway, so safety is untouched; the wait ends when this
//     node stops leading, the peer leaves the configuration or the store
//     closes. Votes and TimeoutNow are never held. Replication is not
//     pipelined (noPipeline: raft v1.7.3's pipeline can deadlock on a
//     rejected AppendEntries and silently stop replicating to a follower
//     whose heartbeats go on).
//   - handshake.go / clusterid.go: peer streams are authenticated by
//     raft-secret, a mutual HMAC challenge over nonces from both sides, the
//     role, the stream kind and a version byte; nothing about the cluster
//     is sent before the peer has proved the secret. A node of several
//     refuses to start without a secret (or raft-insecure); a single node
//     without one serves no peer stream. A cluster id (derived from the
//     bootstrap voters, learned on join) then refuses streams from another
//     cluster that reaches a reused address. Refusals are logged with the
//     peer's address, rate-limited (refusals.go).
//   - forward.go / admit.go: the RPC stream a follower uses to hand a
//     write (or a registered leader-only request such as SENTINEL
//     FAILOVER) to the leader, which first checks it against its own
//     configuration (Options.Admit, given a Proposal with the typed entry:
//     scripts, ACL, with the client's user carried along; what to check is
//     policy/admit.go). Named errors survive the trip (RegisterError).
//   - formation.go / form.go: raft-bootstrap-expect N. A node without
//     Raft state asks the addresses it hears of (hello messages, handed in
//     by the node) whether they are raftinel, then for their report over
//     an authenticated stream; the candidates it found are kept in dir and
//     never shrink, and once exactly N agree each bootstraps the same
//     sorted voter set (formation.go argues why there is never a second
//     cluster).
//   - disk.go / diskcheck.go: raft.db is checked in full at start, in a
//     child process (the same executable, selected by an environment
//     variable in this package's init) where bbolt's crashes on a damaged
//     file cannot take the node down; damaged or partly lost state is an
//     error naming the file, never a panic, a runtime fatal or a new
//     bootstrap over a cluster the node belonged to.
//   - fsm.go: an entry that model.Decode refuses (a later version,
//     an unknown op, a field it cannot decode) stops the FSM there (no
//     skipping, no snapshot past it) and the node with it (Options.OnHalt).
//     docs/operations.md, "Rolling upgrades".
//
// Identity: a node's Raft server ID and address are both its announced
// Sentinel address (host:port, a hostname stays a name and is resolved at
// dial time), so `raft-peers` needs no ids. Each node then registers its
// 40-hex myid for that address through the log (model.RegisterNode); SENTINEL SENTINELS
// shows myids.
//
// Where it departs from a textbook Raft service: reads are served from the
// local FSM without a read index (clients of Sentinel tolerate a few ms of
// lag); instead a node refuses address queries once it has not heard from
// a leader for raft-stale-after, and after start or a stale period until
// it has caught up with the leader (catchup.go). AwaitFresh, used for
// client queries, waits for that catch-up (at most raft-stale-after)
// rather than answering -STALE to a node that is merely just restarted. Writes that validate against the state
// first call Sync, which makes the leader run a Barrier and the follower
// wait for that index.
package consensus
