package policy

import (
	"time"

	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// FollowerDiscoveryDelay: a follower proposes a replica it found in a
// master's INFO only if the cluster still does not know it this long after
// the follower first saw it. The leader proposes at once; without the delay
// every node would propose every replica (three log entries for one fact,
// and at start-up with many masters a burst that delays them all), while
// with it a replica only a follower can see (the leader cut off from its
// master) is still added, at that follower's next INFO after the delay.
const FollowerDiscoveryDelay = 2 * time.Second

// ReplicaKnown reports whether the cluster needs no entry for addr, listed
// in the INFO of master: the master is not monitored (any more), or addr is
// already its address or one of its replicas.
func ReplicaKnown(s *model.State, master string, addr model.Addr) bool {
	m := s.Masters[master]
	return m == nil || m.Addr == addr || m.HasReplica(addr)
}

// ProposeReplica reports whether this node proposes an unknown replica
// now: at once on the leader, on a follower once it has seen the replica
// unknown since firstSeen for FollowerDiscoveryDelay.
func ProposeReplica(leader bool, firstSeen, now time.Time) bool {
	return leader || now.Sub(firstSeen) >= FollowerDiscoveryDelay
}

// InfoWake is what an INFO reply on the leader wakes in the failover
// engine.
type InfoWake int

const (
	WakeNothing     InfoWake = iota
	WakeEngine               // an evaluation now: a failover of the master is running
	WakeCorrections          // an evaluation with the corrections now: a replica target says it is a master (an old master back, to demote)
)

// InfoWakes decides what an INFO reply v of target t wakes on the leader:
// the corrections for a replica target claiming to be master, the engine
// for any INFO about a master whose failover is running, else nothing.
func InfoWakes(s *model.State, t view.Target, v view.Instance) InfoWake {
	if !t.IsMaster && v.Role == "master" {
		return WakeCorrections
	}
	if m := s.Masters[t.Master]; m != nil && m.Failover != nil {
		return WakeEngine
	}
	return WakeNothing
}
