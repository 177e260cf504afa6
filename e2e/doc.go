// Package e2e runs real raftinel processes against real redis-server
// processes on loopback, driven by real clients (redis-cli, go-redis).
//
// Its tests are built with the e2e tag: go test -tags e2e ./e2e/
package e2e
