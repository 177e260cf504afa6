// Package monitor is the part of a raftinel node that watches Redis. It runs
// on every node, owns the node's connections to every monitored instance and
// to the other nodes, and produces this node's own, local view: PING
// liveness, INFO fields, discovered replicas and the node's subjective
// verdict (SDOWN). It decides nothing cluster-wide: SDOWN transitions, INFO
// results and replica sightings go to a Reporter, and consensus turns them
// into log entries (design rule 3: fast-changing data stays local).
//
// # Two links per instance
//
// Each instance gets a probe and a command link:
//
//   - The probe is a raw connection used for PING only, one PING at a time.
//     On Linux, when the monitor dials its own connections, one goroutine
//     (the pinger) drives every probe over epoll, sending the PINGs that
//     fall due together; otherwise each probe has a goroutine that pings
//     synchronously with a read deadline. Liveness must never wait behind data collection: in
//     Sentinel a pending INFO delayed PINGs and so detection
//     (redis/redis#2819). A PING unanswered for the ping timeout closes the
//     probe connection and the next one is sent on a fresh connection: a
//     healed partition answers at once on a new connection, while the old one
//     may sit in TCP retransmission backoff for seconds. (Not while the
//     monitor is behind on its dials, dials.go: then the reconnect would only
//     queue, so the probe waits on for its reply.) The send time of the
//     oldest unanswered PING survives reconnects, so this never shortens or
//     hides an outage.
//   - The command link carries INFO, Do and Transaction, one exchange at a
//     time under a mutex; a slow command (a BLPOP, a CONFIG REWRITE) delays
//     only INFO, never a PING. Periodic INFO is sent by one scheduler for
//     all instances (infosched.go: a heap of due times, at most infoAtOnce
//     exchanges in flight), not by a goroutine and a timer per instance;
//     INFOs due within a tenth of their period go out together, as PINGs do.
//
// Both send AUTH (when configured) and CLIENT SETNAME sentinel-<id>-cmd
// pipelined with their first command, and every command name goes through
// the master's rename-command map. The RESP codec is the package's own: the
// monitor sends nothing else (no HELLO, no CLIENT SETINFO), so Sentinel's
// minimal ACL (+client +subscribe +publish +ping +info +multi +slaveof
// +config +exec) suffices, and replies are read with bounds so that a broken
// server cannot exhaust memory.
//
// # Timers are settings
//
// Every period is derived from the target's down-after (see targetSettings)
// or taken from Config, never hard-wired, because detection time is the
// product and a test or an operator must be able to shrink every timer
// together. SDOWN is decided by one scheduler goroutine for all instances:
// it evaluates an instance when its inputs change or when its SDOWN
// deadline (oldest unanswered PING + down-after, ...) comes, passes at least
// Config.SDownCheckPeriod (10 ms) apart, so a verdict lands within that of
// its deadline -- in practice about a millisecond after it. It sleeps in
// between: on the machines measured, a bare 10 ms ticker cost more CPU than
// pinging 300 instances. Waiting uses reused timers, never polling loops,
// and a PING allocates nothing, so an idle monitor costs about one write
// and one read per instance per ping period, made as raw system calls
// (package rawio: an ordinary one from an idle process wakes the Go
// runtime's monitor thread, which then polls for a millisecond).
//
// # Hello messages and TILT
//
// hello.go publishes Sentinel's hello messages (PublishHello) and parses
// them; where the pinger runs, a hello rides in the write of the
// instance's next PING instead of an exchange on the command link
// (hellopub.go); hellolink.go is a standalone Pub/Sub and
// command link for a node that has no targets yet (forming its cluster),
// and one-shot queries (QueryPeer, QueryInstance). Nothing received in a
// hello changes anything here. tilt.go detects stalls of the process on
// the monotonic clock: silence from before a stall is no SDOWN evidence,
// and TILT lasts until fresh probes re-confirm every instance.
package monitor
