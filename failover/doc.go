// Package failover runs on the Raft leader only. It turns committed
// observations into decisions and decisions into actions on Redis:
//
//   - ODOWN: at least `quorum` current voters whose latest committed
//     observation is "down", unless a replica still vouches for the master
//     (replica witness, design rule 9).
//   - Failover: a sequence of committed steps (design rule 6): start(epoch,
//     candidate) -> promotion sent -> candidate confirmed role:master ->
//     switch-master -> replicas re-pointed (parallel-syncs) -> end. Every
//     step is recorded before the next action, so a new leader resumes from
//     the log: it re-sends the same promotion to the same candidate in the
//     same epoch, never a second one.
//   - Replica choice (select.go): Sentinel's exclusions and order, plus
//     design rule 10: a replica whose master_replid is neither the
//     master's nor one the master had before its last restarts (a master
//     restarted without persistence starts a new history; its replicas
//     hold the old one until they resync) is never promoted.
//   - Corrections: an instance claiming to be master that is not the
//     recorded master is demoted as soon as it is reachable (design rule 7).
//
// Masters are evaluated side by side (at most evaluateAtOnce at a time),
// and a tick does not wait for the evaluations it queued (evalqueue.go):
// each master's next evaluation waits only for its own previous one, so a
// master waiting on a round trip holds up no other, not even for a tick;
// one worker evaluates the queue, and helpers join it only when masters
// wait longer than evaluateAlone, so an idle tick starts one goroutine.
// Failover starts share the epoch counter and are committed in batches
// (starts.go): starts that queue while one commits go together, with
// consecutive epochs, in one Raft round trip; a master going ODOWN commits
// its ODOWN in its start's batch, right before it. The evaluation that
// starts a failover goes on to its promotion (driveStarted) instead of
// leaving it to the next tick. Between a start and its promotion no INFO
// is asked: the candidate was chosen from views taken since the quorum
// formed (the witness's sampling), and the promotion is confirmed by a
// fresh INFO only once it is recorded.
//
// The idle tick is cheap: the masters are copied from the state only when
// its version moved since the last tick (Engine.copies), the suspicion
// check reads only the master's silence from the monitor (the SDOWN
// clock's origin, so suspicion and SDOWN count silence by one rule), and
// corrections read each replica's view once, allocating nothing when there
// is nothing to correct (BenchmarkEngineIdleStep).
//
// Before any action on Redis the leader confirms it still leads, in the
// term it began in, and that the state the action was decided on still
// holds (guard.go): a deposed leader never touches Redis.
//
// The decisions are pure functions (decide.go, select.go) with table tests;
// engine.go and the files it calls only read state, call those functions
// and talk to Redis through the small Redis interface below.
//
// Tests: the engine's scenarios (a full failover, a leader deposed mid-way,
// failover-timeout, a replica that never syncs, a promotion failing half
// way, SIMULATE-FAILURE crash points, a coordinated SENTINEL FAILOVER,
// corrections) run without processes against fakes of the log and of Redis
// (engine*_test.go, fakelog_test.go, fakeredis_test.go), stepping the
// engine and ageing committed timestamps instead of sleeping; guard_test.go
// checks the guard against a real redis-server.
package failover
