// Package consensus is the only place raftinel's shared state changes. It
// wraps hashicorp/raft (log and stable store in bbolt via raft-boltdb/v2,
// file snapshots) with a thin FSM:
//
//   - apply.go / apply_failover.go: the state machine, a pure function of
//     the state and one Command. No clocks, randomness or I/O; time travels
//     in Command.AtMs. It returns the Sentinel events the entry produces.
//     Failover steps carry their epoch and are refused when it is not the
//     running failover's, which fences a deposed leader's late proposals.
//   - fsm.go: raft.FSM around it (snapshots are the JSON state), the applied
//     index a follower waits for before answering a forwarded write, and
//     the event hand-off (entries already in the log at start are replays
//     and publish nothing).
//   - store.go / api.go: Open (bootstrap from raft-peers: every voter
//     bootstraps the same configuration, or join), Apply from any node,
//     Sync (a read barrier), Fresh (design rule 8), Members, RaftInfo, the
//     RAFT admin operations.
//   - mux.go: one port for clients, Raft and RPC; the first byte of a
//     connection tells them apart (0x01 Raft, 0x02 RPC, anything else RESP).
//   - transport.go / reach.go: the Raft transport over the mux. After a
//     replication call to a peer fails, the leader's next one waits until
//     the peer answers a probe (an authenticated RPC ping every 50 ms)
//     instead of failing at once: hashicorp/raft backs off up to ~10 s per
//     failed AppendEntries, so a follower back from a restart or a long
//     cut got its log seconds late. Waiting is what a slow network does
//     to an RPC anyway, so safety is untouched; the wait ends when this
//     node stops leading, the peer leaves the configuration or the store
//     closes. Votes and TimeoutNow are never held.
//   - handshake.go / clusterid.go: a cluster id (derived from the bootstrap
//     voters, learned on join) refuses streams from another cluster that
//     reaches a reused address; raft-secret is an HMAC challenge in both
//     directions over both nonces and the stream kind, never sent.
//   - forward.go: the RPC stream a follower uses to hand a write (or a
//     registered leader-only request such as SENTINEL FAILOVER) to the
//     leader. Named errors survive the trip (RegisterError).
//
// Identity: a node's Raft server ID and address are both its announced
// Sentinel address (host:port, a hostname stays a name and is resolved at
// dial time), so `raft-peers` needs no ids. Each node then registers its
// 40-hex myid for that address through the log (OpNode); SENTINEL SENTINELS
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
