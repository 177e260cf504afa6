package policy

import (
	"sort"
	"time"

	"github.com/raftinel/raftinel/model"
)

// Opinion is this node's SDOWN verdict on the instance at Addr, monitored
// as master. An opinion about an address that is no longer the master's (a
// failover switched it) is stale: it is never proposed, or it would count
// against the new master.
type Opinion struct {
	Down bool
	Addr string
}

// Observation is one model.Observe this node should propose.
type Observation struct {
	Master string
	Addr   model.Addr
	Down   bool
}

// Observations compares this node's opinions (by master name) with its
// committed observations in s and returns the ones to propose, by master
// name. Only the latest opinion matters, so a lost proposal is simply
// returned again next time. A "down" opinion is held back until the node
// has been in contact with a leader (freshFor) for one down-after of the
// master: it may have been formed while the node was cut off from
// everything and must be re-confirmed by fresh probes (lessons: two
// isolated sentinels combined stale "down" views into ODOWN right after
// the heal).
//
// recheck is how long until the first held-back "down" may be proposed
// (0: none is held back), so that a caller can sleep until then.
func Observations(s *model.State, myID string, want map[string]Opinion, freshFor time.Duration) (out []Observation, recheck time.Duration) {
	for name, op := range want {
		m := s.Masters[name]
		if m == nil || op.Addr != m.Addr.String() {
			continue
		}
		if hold := time.Duration(m.DownAfterMs)*time.Millisecond - freshFor; op.Down && hold > 0 {
			if recheck == 0 || hold < recheck {
				recheck = hold
			}
			continue // re-confirm after regaining contact
		}
		if m.Observations[myID].Down != op.Down {
			out = append(out, Observation{Master: name, Addr: m.Addr, Down: op.Down})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Master < out[j].Master })
	return out, recheck
}

// Contact remembers since when this node has been in contact with a Raft
// leader (consensus.Store.Fresh). The zero value has had no contact.
type Contact struct {
	since time.Time
	fresh bool
}

// Update records whether the node is in contact now and returns for how
// long it has been without a break (0 when it is not).
func (c *Contact) Update(fresh bool, now time.Time) time.Duration {
	if fresh && !c.fresh {
		c.since = now
	}
	c.fresh = fresh
	if !fresh {
		return 0
	}
	return now.Sub(c.since)
}
