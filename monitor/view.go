package monitor

import "github.com/raftinel/raftinel/view"

// The monitor writes the view package's types; these names keep its own
// code and older callers short.
type (
	InstanceView = view.Instance
	ReplicaLine  = view.ReplicaLine
	PeerView     = view.Peer
)
