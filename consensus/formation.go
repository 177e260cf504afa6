package consensus

import (
	"fmt"
	"slices"
	"strings"
)

// Cluster formation by discovery (raft-bootstrap-expect N), the decision.
//
// A node started with raft-bootstrap-expect N and no Raft state forms a
// cluster with the other raftinel nodes it finds instead of reading their
// addresses from raft-peers. Addresses come from hints (hello messages on
// the masters of its config, known-sentinel lines, the nodes that ask it);
// a hint is only a place to ask. A hint becomes a *candidate* when the
// address says it is raftinel (INFO server) and then answers the formation
// RPC over a stream authenticated by raft-secret, reporting itself at that
// very address. Each node keeps the set of candidates it has found (Known,
// itself included) in dir, so it never shrinks, not even across a restart,
// and reports it to whoever asks.
//
// A node bootstraps the voter set V = Known when |V| == N and every other
// member of V reported exactly V (or reported a cluster formed with exactly
// V), with the same N. Every member of V then bootstraps V (the same
// configuration, so the same cluster id, clusterid.go) or, being asked for
// its vote by a member that did, joins it. Why there can be no second
// cluster: two nodes that bootstrap V1 and V2 with a member x in common both
// saw x report them; x's Known only grows, and |V1| == |V2| == N, so
// V1 == V2. A node whose Known grows past N (N+1 nodes appeared) does not
// bootstrap at all and says so; a node that finds an authenticated raftinel
// node already in a cluster that does not include it does not bootstrap
// either and names the cluster to join; a node with Raft state in dir never
// runs formation (store.go). Only disjoint groups of N nodes that never
// hear of each other, 2N nodes configured for N, could form two clusters:
// each node asks every address it has heard of before it decides.

// formationReport is what a node tells another about itself.
type formationReport struct {
	Addr    string   `json:"addr"` // the reporter's Raft address (announced address)
	MyID    string   `json:"myid"`
	Expect  int      `json:"expect"`          // raft-bootstrap-expect, 0 = not forming by discovery
	Known   []string `json:"known,omitempty"` // candidates found, sorted, self included
	Formed  bool     `json:"formed"`          // a member of a cluster
	Members []string `json:"members,omitempty"`
	Cluster string   `json:"cluster,omitempty"` // cluster id, hex
}

// formationInput is everything decideFormation looks at.
type formationInput struct {
	Self     string
	Expect   int
	Known    []string                   // sorted, Self included
	Reports  map[string]formationReport // latest report by address
	Unprobed int                        // hints not asked yet
}

// formationVerdict is what to do now.
type formationVerdict struct {
	Bootstrap bool
	Voters    []string
	// Conflict: the node will not form a cluster without an operator.
	Conflict bool
	Status   string // INFO raft_formation_status and the log
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// decideFormation is the formation rule (see the comment above).
func decideFormation(in formationInput) formationVerdict {
	wait := func(format string, a ...any) formationVerdict {
		return formationVerdict{Status: fmt.Sprintf(format, a...)}
	}
	conflict := func(format string, a ...any) formationVerdict {
		return formationVerdict{Conflict: true, Status: fmt.Sprintf(format, a...)}
	}
	addrs := make([]string, 0, len(in.Reports))
	for a := range in.Reports {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		r := in.Reports[a]
		if !r.Formed {
			continue
		}
		switch {
		case slices.Contains(in.Known, a) && len(in.Known) == in.Expect && sameSet(r.Members, in.Known):
			// a member of V already bootstrapped V: agreement
		case slices.Contains(r.Members, in.Self):
			return wait("%s is in a cluster (%s) that includes this node: waiting for its leader", a, strings.Join(r.Members, " "))
		default:
			return conflict("%s is in a raftinel cluster (id %s, members %s) that does not include this node: "+
				"add this node with RAFT ADD %s on that cluster, or start it with raft-join %s instead of raft-bootstrap-expect",
				a, r.Cluster, strings.Join(r.Members, " "), in.Self, a)
		}
	}
	if len(in.Known) > in.Expect {
		return conflict("found %d raftinel nodes (%s), more than raft-bootstrap-expect %d: set raft-bootstrap-expect %d on every node, or stop the extra ones and remove the file formation from their dir",
			len(in.Known), strings.Join(in.Known, " "), in.Expect, len(in.Known))
	}
	for _, a := range in.Known {
		if r, ok := in.Reports[a]; ok && a != in.Self && !r.Formed && r.Expect != in.Expect {
			return conflict("%s has raft-bootstrap-expect %d, this node %d: every node must expect the same number", a, r.Expect, in.Expect)
		}
	}
	if len(in.Known) < in.Expect {
		return wait("found %d of %d raftinel nodes: %s", len(in.Known), in.Expect, strings.Join(in.Known, " "))
	}
	if in.Unprobed > 0 {
		return wait("asking %d discovered addresses whether they are raftinel nodes", in.Unprobed)
	}
	for _, a := range in.Known {
		if a == in.Self {
			continue
		}
		r, ok := in.Reports[a]
		switch {
		case !ok:
			return wait("waiting for %s to answer", a)
		case !r.Formed && !sameSet(r.Known, in.Known):
			return wait("waiting for %s to agree: it knows %s", a, strings.Join(r.Known, " "))
		}
	}
	return formationVerdict{Bootstrap: true, Voters: slices.Clone(in.Known),
		Status: "bootstrapping " + strings.Join(in.Known, " ")}
}
