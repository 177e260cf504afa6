// Package clients proves that the Sentinel clients people use work with
// raftinel unchanged: redis-cli, go-redis (FailoverClient and
// FailoverClusterClient), rueidis, redis-py, ioredis and node-redis each
// run against a 3-node raftinel cluster over real redis-server processes
// (a master and two replicas) on loopback, through discovery, replica
// reads, SENTINEL FAILOVER and a kill -9 of the master under writes, a
// sentinel down, +switch-master through the client's pub/sub API, and
// passwords on the nodes and on Redis.
//
// The Go clients run in-process; redis-py and the Node.js clients run as
// small scripts of this folder that print JSON lines (driver_test.go). The
// Node.js packages are pinned by package.json and package-lock.json and
// installed with `npm ci` when node_modules is missing; redis-py is
// Debian's python3-redis, run by /usr/bin/python3 (scripts/deps.sh
// installs both).
//
// Its tests are built with the e2e tag: go test -tags e2e ./e2e/clients/
package clients
