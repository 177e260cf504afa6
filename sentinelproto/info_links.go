package sentinelproto

import (
	"strconv"
	"strings"
)

// INFO's "# Links" section (raftinel): every monitored instance whose link
// has an error, so that a password or ACL that stops working on a Redis
// instance is visible without reading logs (lessons: ACL changes silently
// broke failover, redis/redis#9772). Refusals (AUTH, NOAUTH, NOPERM) are
// counted apart: such an instance is shown disconnected and is never
// promoted.
func (s *Server) infoLinks() [][2]string {
	type bad struct{ master, addr, err string }
	var list []bad
	refused := 0
	for _, m := range s.masterViews() {
		for i := -1; i < len(m.replicas); i++ {
			a := m.addr
			if i >= 0 {
				a = m.replicas[i]
			}
			v, ok := s.viewKey(m.name, a.key)
			if !ok || v.LastError == "" {
				continue
			}
			list = append(list, bad{m.name, a.key, v.LastError})
			if isRefusal(v.LastError) {
				refused++
			}
		}
	}
	kv := [][2]string{
		{"link_errors", strconv.Itoa(len(list))},
		{"link_refusals", strconv.Itoa(refused)},
	}
	for i, b := range list {
		kv = append(kv, [2]string{"link_error" + strconv.Itoa(i),
			"master=" + b.master + ",addr=" + b.addr + ",error=" + oneLine(b.err)})
	}
	return kv
}

// isRefusal reports an authentication or permission refusal in a link
// error ("AUTH: WRONGPASS ...", "PING: NOAUTH ...", "INFO: NOPERM ...").
func isRefusal(e string) bool {
	if strings.HasPrefix(e, "AUTH: ") {
		return true
	}
	_, msg, ok := strings.Cut(e, ": ")
	return ok && (strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOPERM"))
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
