package model

// Member is one Raft voter or non-voter as this node sees the configuration.
type Member struct {
	ID     string // the node's myid (Raft server ID)
	Addr   string // its announced Sentinel address host:port (Raft address)
	Voter  bool
	Leader bool // the current leader as known by this node
	Self   bool
}
