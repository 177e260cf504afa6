// Package model owns raftinel's replicated state and the only function that
// changes it. Every node holds one State; it changes only by Apply, called
// by consensus with each committed log entry, in log order, on every node.
//
//   - state.go: State (masters, their replicas, settings, failovers in
//     progress, the nodes' registered ids) and Addr. A hostname stays a
//     hostname in the state; it is resolved when dialing.
//   - command.go: one Go type per log operation (Monitor, Remove, Set,
//     SetIf, Reset, Observe, ODown, AddReplica, FailoverStart,
//     FailoverState, SwitchMaster, Reconf, FailoverEnd, FailoverAbort,
//     Announce, RegisterNode, ConfigSet, SeedConfig), each embedding the
//     Header every entry has (proposer's myid, wall clock, format version,
//     log index), behind the closed interface Entry; Op names each in the
//     log, and LogVersion/Version the entry format versions.
//   - wire.go: the log encoding (Encode, Decode), one JSON object per
//     entry whose field names predate the typed entries and never change
//     within a version (command_golden_test.go): an entry this build
//     cannot decode, of a later version or with an unknown Op, is an
//     error, never skipped (consensus stops applying there).
//   - apply.go, apply_failover.go, apply_config.go: Apply, a pure function
//     of the state and one Entry, dispatching on its type to one function
//     per operation. No clocks, randomness or I/O: time travels in
//     Header.AtMs. It returns the Sentinel events (Event) the entry
//     produces, which every node then publishes. Failover steps carry
//     their epoch and are refused when it is not the running failover's,
//     which fences a deposed leader's late proposals.
//   - apply_setif.go: a SENTINEL SET a node accepted without a leader
//     (raft-serve-stale) arrives later as a compare-and-set (SetIf, entry
//     version 2): all or nothing, ErrSetConflict otherwise.
//   - settings.go: per-master settings, SENTINEL SET's parsing and rules,
//     and Error, a refusal whose text is the reply.
//   - errors.go: the named errors every writer shares (Apply's refusals,
//     the log's, the failover engine's), mapped to replies in one place
//     (sentinelproto/errors.go).
//   - client.go: the client a change is made for, carried with a change a
//     follower forwards so that the leader applies its own ACL too.
//
// Readers (the protocol layer, the failover engine, node's policy) take a
// *State inside a read callback of consensus and never keep it; they import
// model and view, never consensus or monitor (internal/layout enforces it).
package model
