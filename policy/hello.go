package policy

import (
	"github.com/raftinel/raftinel/model"
	"github.com/raftinel/raftinel/view"
)

// HelloJob is one hello message to publish on one instance's link.
type HelloJob struct {
	Master, Addr string
	Hello        view.Hello
}

// Hellos lists the hellos of one round, as Sentinel sends them: for every
// master, one to the master and one to each of its replicas, carrying this
// node's address (ip, port; an empty ip is filled in with the link's local
// address when sent), its current epoch, and the master's address and
// config epoch from the replicated state.
func Hellos(s *model.State, myID, ip string, port int) []HelloJob {
	var jobs []HelloJob
	for _, name := range s.MasterNames() {
		m := s.Masters[name]
		h := view.Hello{IP: ip, Port: port, MyID: myID, CurrentEpoch: s.CurrentEpoch, Master: name,
			MasterIP: m.Addr.Host, MasterPort: m.Addr.Port, ConfigEpoch: m.ConfigEpoch}
		jobs = append(jobs, HelloJob{name, m.Addr.String(), h})
		for _, r := range m.Replicas {
			jobs = append(jobs, HelloJob{name, r.String(), h})
		}
	}
	return jobs
}

// HelloNews says what a hello's outcome on one instance is worth logging,
// given the previous Redis refusal there (prev, "" = none) and this one
// (cur, "" = published): "refused" for a new or different refusal,
// "recovered" when a refusal ended, "" when nothing changed.
func HelloNews(prev, cur string) string {
	switch {
	case cur != "" && cur != prev:
		return "refused"
	case cur == "" && prev != "":
		return "recovered"
	}
	return ""
}
