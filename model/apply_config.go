package model

import "strings"

// SENTINEL CONFIG SET of a cluster-wide parameter is a ConfigSet entry:
// Pairs holds parameters and their values. The parameters are those that
// must agree across the cluster (how names are resolved and shown, how
// nodes log in to each other); announce-ip and announce-port stay
// node-local because they are the node's own address (its Raft identity).

// ConfigParams are the replicated SENTINEL CONFIG parameters with their
// value check.
var ConfigParams = map[string]func(string) bool{
	"resolve-hostnames":  isYesNo,
	"announce-hostnames": isYesNo,
	"sentinel-user":      func(string) bool { return true },
	"sentinel-pass":      func(string) bool { return true },
}

func isYesNo(v string) bool { return strings.EqualFold(v, "yes") || strings.EqualFold(v, "no") }

// ApplyConfig validates every parameter/value pair first, then sets them
// (yes/no stored lower-case). Pure; nothing is published (Sentinel has no
// event for CONFIG SET).
func ApplyConfig(st *State, pairs []string) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return refuse(ErrInvalidSetting, "Invalid number of arguments to SENTINEL CONFIG SET")
	}
	for i := 0; i < len(pairs); i += 2 {
		p, v := strings.ToLower(pairs[i]), pairs[i+1]
		ok, known := ConfigParams[p]
		if !known {
			return refuse(ErrUnknownSetting, "Invalid argument '%s' to SENTINEL CONFIG SET", pairs[i])
		}
		if !ok(v) {
			return refuse(ErrInvalidSetting, "Invalid value '%s' to SENTINEL CONFIG SET '%s'", v, pairs[i])
		}
	}
	if st.Config == nil {
		st.Config = map[string]string{}
	}
	for i := 0; i < len(pairs); i += 2 {
		p, v := strings.ToLower(pairs[i]), pairs[i+1]
		if p == "resolve-hostnames" || p == "announce-hostnames" {
			v = strings.ToLower(v)
		}
		st.Config[p] = v
	}
	return nil
}

// ConfigValue returns a replicated SENTINEL CONFIG value, if one was set
// through the log; otherwise each node uses its config file's value.
func (s *State) ConfigValue(param string) (string, bool) {
	v, ok := s.Config[param]
	return v, ok
}
