// Package bench measures raftinel against redis-sentinel on the same machine
// in the same run, with identical settings, and reports both and their
// ratio. It backs cmd/raftinel-bench.
//
// Why a package of its own: the figures decide whether raftinel is better
// than what users run today, so they must come from real processes (real
// redis-server instances, real raftinel nodes, real redis-sentinel
// processes, the real go-redis failover client and redis-benchmark), never
// from an imitation, and the exact method must be written down with the
// figures (docs/benchmarks.md). Every scenario starts its own processes on
// free loopback ports, stops them by PID, and bounds every wait.
//
// Scenarios (each run for both systems, alternating, on fresh clusters):
//   - failover: kill -9 or SIGSTOP of the master of a master + 2 replicas
//     set watched by 3 monitors (quorum 2): time to the first +odown, the
//     first +switch-master, every monitor answering the new master, the
//     first write acknowledged through go-redis NewFailoverClient, and the
//     time until the old master, back, is a replica again.
//   - loss: acknowledged writes missing from the final master after a crash,
//     a manual SENTINEL FAILOVER and a partition of the master from the
//     monitors and replicas (internal/netfault).
//   - throughput: redis-benchmark against one monitor, pipelined and not.
//   - footprint: RSS and CPU of idle monitors watching 1, 100 and 500
//     masters, and the time until every monitor reports every master ok.
package bench
