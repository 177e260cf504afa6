package failover

import (
	"strconv"

	"github.com/raftinel/raftinel/model"
)

// The transaction Sentinel sends for promotion, re-pointing, demotion and
// corrections (spec §6.9): SLAVEOF (not REPLICAOF), CONFIG REWRITE so the
// change survives a restart, then kill the instance's normal and pubsub
// clients so that clients which only notice a failover when their
// connection breaks (redis-py, ioredis) reconnect and ask again. The
// monitor wraps it in MULTI/EXEC, pipelined, and applies rename-command.
func reconfigure(to *model.Addr) [][]string {
	slaveof := []string{"SLAVEOF", "NO", "ONE"}
	if to != nil {
		slaveof = []string{"SLAVEOF", to.Host, strconv.Itoa(to.Port)}
	}
	return [][]string{
		slaveof,
		{"CONFIG", "REWRITE"},
		{"CLIENT", "KILL", "TYPE", "normal"},
		{"CLIENT", "KILL", "TYPE", "pubsub"},
	}
}
