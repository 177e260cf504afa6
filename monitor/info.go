package monitor

import (
	"strconv"
	"strings"

	"github.com/raftinel/raftinel/view"
)

// ParseInfo fills the INFO-derived fields of v from the text of an INFO reply
// (spec §6.3). Every such field is reset first, to its default when the text
// does not mention it: priority 100, offsets 0, master link down,
// master_last_io_seconds_ago -1, replica announced, no replicas, Role "".
// Unknown lines, comments and malformed values are ignored. It sets
// InfoText but no time fields (InfoRefresh, RoleChanged): the caller owns the
// clock.
func ParseInfo(text string, v *view.Instance) {
	v.InfoText = text
	v.RunID = ""
	v.Role = ""
	v.ReplID = ""
	v.ReplOffset = 0
	v.MasterHost = ""
	v.MasterPort = 0
	v.MasterLinkUp = false
	v.MasterLinkDownSinceSec = 0
	v.MasterLastIOSec = -1
	v.SlavePriority = 100
	v.SlaveReplOffset = 0
	v.ReplicaAnnounced = true
	v.ConnectedReplicas = nil

	for len(text) > 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch key {
		case "run_id":
			v.RunID = val
		case "role":
			if val == "master" || val == "slave" {
				v.Role = val
			}
		case "master_replid":
			v.ReplID = val
		case "master_repl_offset":
			v.ReplOffset = atoi64(val, 0)
		case "master_host":
			v.MasterHost = val
		case "master_port":
			v.MasterPort = int(atoi64(val, 0))
		case "master_link_status":
			v.MasterLinkUp = val == "up"
		case "master_link_down_since_seconds":
			v.MasterLinkDownSinceSec = atoi64(val, 0)
		case "master_last_io_seconds_ago":
			v.MasterLastIOSec = atoi64(val, -1)
		case "slave_priority", "replica_priority":
			v.SlavePriority = int(atoi64(val, 100))
		case "slave_repl_offset":
			v.SlaveReplOffset = atoi64(val, 0)
		case "replica_announced":
			v.ReplicaAnnounced = val != "0"
		default:
			if isSlaveKey(key) {
				if r, ok := parseSlaveLine(val); ok {
					v.ConnectedReplicas = append(v.ConnectedReplicas, r)
				}
			}
		}
	}
}

// isSlaveKey matches "slave<digits>".
func isSlaveKey(k string) bool {
	if len(k) < 6 || !strings.HasPrefix(k, "slave") {
		return false
	}
	for _, c := range k[5:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseSlaveLine parses the value of a slaveN line, in the current form
// `ip=127.0.0.1,port=6380,state=online,offset=42,lag=0` or the old form
// `127.0.0.1,6380,online`. A line without a usable address is rejected.
func parseSlaveLine(val string) (view.ReplicaLine, bool) {
	var r view.ReplicaLine
	if !strings.Contains(val, "=") {
		parts := strings.Split(val, ",")
		if len(parts) < 2 {
			return r, false
		}
		r.Host = parts[0]
		r.Port = int(atoi64(parts[1], 0))
		if len(parts) > 2 {
			r.State = parts[2]
		}
	} else {
		for _, f := range strings.Split(val, ",") {
			k, x, _ := strings.Cut(f, "=")
			switch k {
			case "ip":
				r.Host = x
			case "port":
				r.Port = int(atoi64(x, 0))
			case "state":
				r.State = x
			case "offset":
				r.Offset = atoi64(x, 0)
			case "lag":
				r.Lag = atoi64(x, 0)
			}
		}
	}
	if r.Host == "" || r.Host == "?" || r.Port <= 0 || r.Port > 65535 {
		return view.ReplicaLine{}, false
	}
	return r, true
}

func atoi64(s string, def int64) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return def
	}
	return n
}
