package sentinelproto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/raftinel/raftinel/model"
	"go.uber.org/zap"
)

// SENTINEL subcommands that change state. Each validates its arguments with
// Sentinel's rules and texts, then proposes one model.Entry; the FSM
// has the last word (duplicates, unknown names) and its refusal is the reply.

// resolveTimeout bounds the DNS lookup of MONITOR with resolve-hostnames yes.
const resolveTimeout = 2 * time.Second

// apply proposes cmd, stamped with this node's id and wall clock.
func (x *cmdCtx) apply(cmd model.Entry) (model.Result, error) {
	h := cmd.Head()
	h.AtMs = time.Now().UnixMilli()
	h.Node = x.s.o.MyID
	ctx, cancel := x.applyCtx()
	defer cancel()
	return x.s.o.Cluster.Apply(ctx, cmd)
}

// lookupMasterForWrite first catches this node up with the leader, so a
// command that validates against the state never judges a master by a
// lagging follower's copy (a MONITOR just committed elsewhere).
func (x *cmdCtx) lookupMasterForWrite(i int) *model.Master {
	ctx, cancel := x.applyCtx()
	defer cancel()
	if err := x.s.o.Cluster.Sync(ctx); err != nil {
		x.fail(err)
		return nil
	}
	return x.lookupMaster(i)
}

// SENTINEL MONITOR <name> <ip> <port> <quorum>
func cmdSentinelMonitor(x *cmdCtx) {
	quorum, ok := parseLong(x.args[5])
	if !ok {
		x.r.err("ERR Invalid quorum")
		return
	}
	port, ok := parseLong(x.args[4])
	if !ok {
		x.r.err("ERR Invalid port")
		return
	}
	if quorum <= 0 {
		x.r.err("ERR Quorum must be 1 or greater.")
		return
	}
	host, ok := x.s.resolveHost(x.arg(3))
	if !ok {
		x.r.err("ERR Invalid IP address or hostname specified")
		return
	}
	if port < 0 || port > 65535 {
		x.r.err("ERR Invalid port number.")
		return
	}
	if quorum > 1<<30 {
		x.r.err("ERR Invalid quorum")
		return
	}
	_, err := x.apply(&model.Monitor{Master: x.arg(2),
		Addr: model.Addr{Host: host, Port: int(port)}, Quorum: int(quorum), Pairs: x.s.local.monitorDefaults()})
	if err != nil {
		x.fail(err)
		return
	}
	x.okSaved()
}

// resolveHost is anetResolve: an IP literal (stored in canonical form, as
// Sentinel stores what inet_ntop prints), or with resolve-hostnames yes any
// name that resolves (a name stays a name in the replicated state).
func (s *Server) resolveHost(host string) (string, bool) {
	if ip, ok := parseNumericHost(host); ok {
		return ip.String(), true
	}
	if !s.globalConfig().resolveHostnames || host == "" {
		return "", false
	}
	ctx, cancel := context.WithTimeout(s.ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	return host, err == nil && len(addrs) > 0
}

// parseNumericHost accepts what getaddrinfo(AI_NUMERICHOST) accepts: IPv6,
// dotted IPv4 and the inet_aton short forms ("127.1", "0x7f.1", "2130706433").
func parseNumericHost(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.WithZone(""), true
	}
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v [4]uint64
	for i, p := range parts {
		n, ok := parseCNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		v[i] = n
	}
	last := len(parts) - 1
	for i := 0; i < last; i++ {
		if v[i] > 255 {
			return netip.Addr{}, false
		}
	}
	if v[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	u := v[last]
	for i := 0; i < last; i++ {
		u |= v[i] << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}), true
}

// parseCNumber parses like strtoul base 0: 0x.. hex, 0.. octal, decimal.
func parseCNumber(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		p, base = p[2:], 16
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" || strings.ContainsAny(p, "+-_") {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 32)
	return n, err == nil
}

// SENTINEL REMOVE <name>
func cmdSentinelRemove(x *cmdCtx) {
	if x.lookupMasterForWrite(2) == nil {
		return
	}
	if _, err := x.apply(&model.Remove{Master: x.arg(2)}); err != nil {
		x.fail(err)
		return
	}
	x.okSaved()
}

// SENTINEL SET <name> <option> <value> [<option> <value> ...]
//
// Like Sentinel it is not atomic: options are validated left to right and
// those before the first bad one are applied (as one model.Set), then the error
// is the reply. With raft-serve-stale yes a node that cannot reach a Raft
// leader accepts the replicated options as a pending change (acceptsPending).
func cmdSentinelSet(x *cmdCtx) {
	// Only options that go through the log need the leader's state first;
	// this node's own (link settings) are set even when it cannot reach one.
	var m *model.Master
	pending := false // no leader: the replicated options wait on this node
	if x.s.o.LinkSettings != nil && onlyLinkSettings(x.args[3:]) {
		// Still judged by the leader's state when one is reachable: right
		// after a restart this node has not replayed its log yet.
		ctx, cancel := context.WithTimeout(x.s.ctx, x.s.cfg.Raft.StaleAfter)
		_ = x.s.o.Cluster.Sync(ctx)
		cancel()
		m = x.lookupMaster(2)
	} else {
		ctx, cancel := x.applyCtx()
		err := x.s.o.Cluster.Sync(ctx)
		cancel()
		if err != nil && !x.s.acceptsPending(err) {
			x.fail(err)
			return
		}
		pending = err != nil
		m = x.lookupMaster(2)
	}
	if m == nil {
		return
	}
	settings := m.Settings    // a copy: copyMaster cloned the map
	var pairs, local []string // through the log; this node's link settings
	var bad error
	for j := 3; j < len(x.args); {
		opt := x.arg(j)
		n := model.SettingArity(opt)
		if n == 0 || j+n >= len(x.args) {
			bad = model.ApplySetting(&settings, opt, nil)
			break
		}
		vals := make([]string, n)
		for i := range vals {
			vals[i] = x.arg(j + 1 + i)
		}
		if err := x.s.checkScript(opt, vals[0]); err != nil {
			bad = err
			break
		}
		if err := model.ApplySetting(&settings, opt, vals); err != nil {
			bad = err
			break
		}
		if x.s.o.LinkSettings != nil && model.IsLinkSetting(opt) {
			local = append(append(local, opt), vals...)
		} else {
			pairs = append(append(pairs, opt), vals...)
		}
		j += 1 + n
	}
	if len(pairs) > 0 && !pending {
		_, err := x.apply(&model.Set{Master: m.Name, Pairs: pairs})
		switch {
		case err == nil:
			if x.s.o.Pending != nil {
				x.s.o.Pending.Committed(m.Name, m.Created, pairs)
			}
		case x.s.acceptsPending(err):
			pending = true // the entry may have committed: the conditional retry is idempotent
		default:
			x.fail(err)
			return
		}
	}
	if len(pairs) > 0 && pending {
		cm := x.s.committedMaster(m.Name)
		if cm == nil || cm.Created != m.Created {
			x.r.err(errTextNoSuchMaster)
			return
		}
		if err := x.s.o.Pending.SetPending(cm, x.c.User().Name(), pairs); err != nil {
			x.s.log.Warn("saving pending settings failed", zap.String("master", m.Name), zap.Error(err))
			x.r.err(errTextSaveFailed)
			return
		}
	}
	if len(local) > 0 {
		if err := x.s.o.LinkSettings.SetLinkSettings(m.Name, m.Created, local); err != nil {
			x.s.log.Warn("saving link settings failed", zap.String("master", m.Name), zap.Error(err))
			x.r.err(errTextSaveFailed)
			return
		}
	}
	if bad != nil {
		x.fail(bad)
		return
	}
	x.okSaved()
}

// acceptsPending reports whether a SENTINEL SET that failed with err
// becomes a pending change of this node: with raft-serve-stale yes (the
// documented opt-in to Sentinel's answer-anyway behaviour), when no Raft
// leader could be reached. By default it answers -TRYAGAIN.
func (s *Server) acceptsPending(err error) bool {
	return s.o.Pending != nil && s.cfg.Raft.ServeStale && errors.Is(err, model.ErrNoLeader)
}

// onlyLinkSettings reports option/value arguments of SENTINEL SET that are
// all well-formed link settings (anything else takes the log's path, which
// also reports the error).
func onlyLinkSettings(args [][]byte) bool {
	for len(args) > 0 {
		opt := string(args[0])
		n := model.SettingArity(opt)
		if !model.IsLinkSetting(opt) || n == 0 || len(args) < 1+n {
			return false
		}
		args = args[1+n:]
	}
	return true
}

// errTextSaveFailed is Sentinel's reply when it cannot rewrite its config
// file after a change.
const errTextSaveFailed = "ERR Failed to save config file. Check server logs."

// okSaved replies +OK after a change after which Sentinel rewrites its
// config file, or Sentinel's save error when the config file is no longer
// a readable file. raftinel never writes the file (the change is in the
// log, or in dir), but a node whose config file is gone or replaced (by a
// directory, in Sentinel's suite) could not be restarted with it, which is
// what the operator must hear; the change itself stays applied, as
// Sentinel keeps its in-memory change.
func (x *cmdCtx) okSaved() {
	if f := x.s.cfg.File; f != "" {
		if err := readableFile(f); err != nil {
			x.s.log.Warn("config file is not a readable file: the node could not restart with it", zap.String("file", f), zap.Error(err))
			x.r.err(errTextSaveFailed)
			return
		}
	}
	x.r.ok()
}

// readableFile checks that path is a regular file this process can open.
func readableFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// scriptError is a refusal of a script path (I/O checks ApplySetting leaves
// to the caller).
type scriptError string

func (e scriptError) Error() string { return string(e) }

// checkScript applies deny-scripts-reconfig and the executable check to
// notification-script and client-reconfig-script.
func (s *Server) checkScript(opt, path string) error {
	var notExec scriptError
	switch strings.ToLower(opt) {
	case "notification-script":
		notExec = "Notification script seems non existing or non executable"
	case "client-reconfig-script":
		notExec = "Client reconfiguration script seems non existing or non executable"
	default:
		return nil
	}
	if s.cfg.DenyScriptsReconfig {
		return scriptError("Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration")
	}
	if path == "" {
		return nil
	}
	if !s.cfg.Executable(path) {
		return notExec
	}
	return nil
}

// SENTINEL RESET <pattern>: the FSM matches the pattern and counts.
func cmdSentinelReset(x *cmdCtx) {
	res, err := x.apply(&model.Reset{Pattern: x.arg(2)})
	if err != nil {
		x.fail(err)
		return
	}
	x.r.int(res.Value)
}

// SENTINEL FAILOVER <name>: handed to the failover engine.
func cmdSentinelFailover(x *cmdCtx) {
	if x.lookupMasterForWrite(2) == nil {
		return
	}
	ctx, cancel := x.applyCtx()
	defer cancel()
	if err := x.s.o.Failover.Manual(ctx, x.arg(2)); err != nil {
		x.fail(err)
		return
	}
	x.r.ok()
}

// SENTINEL FLUSHCONFIG: raftinel never rewrites its config file; the state
// is always on disk in the Raft log. Like Sentinel it fails when the config
// file cannot be saved (okSaved).
func cmdSentinelFlushConfig(x *cmdCtx) { x.okSaved() }
