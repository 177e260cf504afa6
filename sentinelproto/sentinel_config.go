package sentinelproto

import (
	"strconv"
	"strings"

	"github.com/raftinel/raftinel/internal/glob"
	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// SENTINEL CONFIG GET/SET as in Redis 7.2: several parameters per call,
// SET validated as a whole before anything changes. resolve-hostnames,
// announce-hostnames, sentinel-user and sentinel-pass are cluster-wide and
// go through the log in one entry; announce-ip, announce-port (this node's
// own address) and loglevel (its own logger) stay node-local.

// configNames are CONFIG GET's parameters in Sentinel's order.
var configNames = []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port",
	"sentinel-user", "sentinel-pass", "loglevel"}

// logLevels are the loglevel values Redis accepts.
var logLevels = []string{"debug", "verbose", "notice", "warning", "nothing"}

// value returns a parameter's value as CONFIG GET shows it.
func (g globalConfig) value(name string) string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	switch name {
	case "resolve-hostnames":
		return yn(g.resolveHostnames)
	case "announce-hostnames":
		return yn(g.announceHostnames)
	case "announce-ip":
		return g.announceIP
	case "announce-port":
		return strconv.Itoa(g.announcePort)
	case "sentinel-user":
		return g.sentinelUser
	case "sentinel-pass":
		return g.sentinelPass
	case "loglevel":
		return g.logLevel
	}
	return ""
}

// SENTINEL CONFIG GET <pattern> [<pattern> ...] | SET <param> <value> [...]
func cmdSentinelConfig(x *cmdCtx) {
	switch {
	case len(x.args) < 4:
		x.r.err("ERR wrong number of arguments for 'sentinel|config' command")
	case x.argIs(2, "set") && len(x.args) >= 5:
		x.s.configSet(x)
	case x.argIs(2, "get"):
		x.s.configGet(x)
	default:
		x.r.err("ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...] / SET <param> <value> [<param> <value> ...] are supported.")
	}
}

// configGet answers each parameter once, in the order the patterns first
// match it (Redis 7.2's sentinelConfigGetCommand).
func (s *Server) configGet(x *cmdCtx) {
	g := s.globalConfig()
	seen := map[string]bool{}
	var out []string
	for _, a := range x.args[3:] {
		pattern := string(a)
		for _, name := range configNames {
			if !seen[name] && glob.MatchFold(pattern, name) {
				seen[name] = true
				out = append(out, name, g.value(name))
			}
		}
	}
	x.r.pairs(out)
}

// configSet checks every pair (known parameter, no duplicate, a value,
// a valid value) before changing anything, then commits the cluster-wide
// pairs in one log entry and, once that succeeded, sets the local ones.
func (s *Server) configSet(x *cmdCtx) {
	seen := map[string]bool{}
	var replicated, local []string
	for i := 3; i < len(x.args); i += 2 {
		opt := cstr(x.args[i], -1)
		param := strings.ToLower(opt)
		if !isConfigName(param) {
			x.r.err("ERR Invalid argument '" + opt + "' to SENTINEL CONFIG SET")
			return
		}
		if seen[param] {
			x.r.err("ERR Duplicate argument '" + opt + "' to SENTINEL CONFIG SET")
			return
		}
		seen[param] = true
		if i+1 == len(x.args) {
			x.r.err("ERR Missing argument '" + opt + "' value")
			return
		}
		val := x.arg(i + 1)
		if !validConfigValue(param, x.args[i+1]) {
			x.r.err("ERR Invalid value '" + cstr(x.args[i+1], -1) + "' to SENTINEL CONFIG SET '" + opt + "'")
			return
		}
		if _, ok := model.ConfigParams[param]; ok {
			replicated = append(replicated, param, val)
		} else {
			local = append(local, param, val)
		}
	}
	if len(replicated) > 0 {
		if _, err := x.apply(&model.ConfigSet{Pairs: replicated}); err != nil {
			x.fail(err)
			return
		}
	}
	for i := 0; i < len(local); i += 2 {
		s.setLocal(local[i], local[i+1])
	}
	for i := 0; i < len(replicated); i += 2 {
		s.log.Info("sentinel config set", zap.String("param", replicated[i]), zap.Uint64("client", x.c.ID()))
	}
	x.r.ok()
}

func isConfigName(p string) bool {
	for _, n := range configNames {
		if n == p {
			return true
		}
	}
	return false
}

// validConfigValue is Redis 7.2's check of one value.
func validConfigValue(param string, v []byte) bool {
	switch param {
	case "announce-port":
		n, ok := parseLong(v)
		return ok && n >= 0 && n <= 65535
	case "loglevel":
		for _, l := range logLevels {
			if strings.EqualFold(string(v), l) {
				return true
			}
		}
		return false
	}
	if check, ok := model.ConfigParams[param]; ok {
		return check(string(v))
	}
	return true
}

// setLocal sets a node-local parameter already validated.
func (s *Server) setLocal(param, val string) {
	l := s.local
	l.mu.Lock()
	switch param {
	case "announce-ip":
		l.cfg.announceIP = val
	case "announce-port":
		n, _ := strconv.Atoi(val)
		l.cfg.announcePort = n
	case "loglevel":
		val = strings.ToLower(val)
		l.cfg.logLevel = val
	}
	l.mu.Unlock()
	if param == "loglevel" {
		if s.o.OnLogLevel != nil {
			s.o.OnLogLevel(val)
		}
		s.log.Warn("loglevel changed", zap.String("loglevel", val))
	}
}

// globalConfig is this node's config-file values overridden by those set
// cluster-wide through the log (SENTINEL CONFIG SET of resolve-hostnames,
// announce-hostnames, sentinel-user, sentinel-pass on any node).
func (s *Server) globalConfig() globalConfig {
	g := s.local.get()
	if s.o.Cluster == nil {
		return g
	}
	s.o.Cluster.Read(func(st *model.State) {
		if v, ok := st.ConfigValue("resolve-hostnames"); ok {
			g.resolveHostnames = v == "yes"
		}
		if v, ok := st.ConfigValue("announce-hostnames"); ok {
			g.announceHostnames = v == "yes"
		}
		if v, ok := st.ConfigValue("sentinel-user"); ok {
			g.sentinelUser = v
		}
		if v, ok := st.ConfigValue("sentinel-pass"); ok {
			g.sentinelPass = v
		}
	})
	return g
}
