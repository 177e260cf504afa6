// Package policy owns what a node proposes or does when, as pure functions
// of the replicated state and this node's observations. node is the wiring
// around it: loops and timers, reading the store, calling the monitor and
// proposing to the log; policy decides, with no clocks (time arrives as an
// argument), no I/O and no goroutines.
//
//   - observe.go: which SDOWN opinions of this node to propose (model.Observe),
//     holding a "down" back for one down-after after the node regains
//     contact with the leader.
//   - targets.go: which instances the monitor watches and with which link
//     settings, and which peers it probes with which credentials.
//   - replicas.go: when a replica found in a master's INFO is proposed, and
//     which INFO wakes the failover engine.
//   - hello.go: which hello messages go to which instance, and which
//     PUBLISH outcomes are news worth a log line.
//   - scripts.go: which event runs which user script with which arguments,
//     and whether this node's own config allows a script that came through
//     the log.
//   - admit.go: what a leader checks of a change another node forwarded:
//     which SENTINEL SET options pass its script rules, and which client
//     command (for its ACL) the change corresponds to.
//
// The failover engine's decisions are in failover (decide.go, select.go).
package policy
