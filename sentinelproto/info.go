package sentinelproto

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// infoSections are Sentinel's INFO sections in output order; "raft" and
// "links" are raftinel's and are only shown by default/all/everything or
// when asked.
var infoSections = []string{"server", "clients", "stats", "cpu", "sentinel", "raft", "links"}

// INFO [section ...]
func cmdInfo(x *cmdCtx) {
	want := map[string]bool{}
	if len(x.args) == 1 {
		want["default"] = true
	}
	for _, a := range x.args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	every := want["default"] || want["all"] || want["everything"]
	var parts []string
	for _, sec := range infoSections {
		if !every && !want[sec] {
			continue
		}
		parts = append(parts, x.s.infoSection(sec))
	}
	x.r.bulk(strings.Join(parts, "\r\n"))
}

// infoSection renders "# Name\r\nkey:value\r\n...".
func (s *Server) infoSection(sec string) string {
	var kv [][2]string
	title := strings.ToUpper(sec[:1]) + sec[1:]
	switch sec {
	case "server":
		kv = s.infoServer()
	case "clients":
		kv = s.infoClients()
	case "stats":
		kv = s.infoStats()
	case "cpu":
		title = "CPU"
		kv = infoCPU()
	case "sentinel":
		kv = s.infoSentinel()
	case "raft":
		if s.o.Cluster != nil {
			kv = s.o.Cluster.RaftInfo()
		}
		if s.o.Pending != nil {
			// masters with SENTINEL SET changes not committed yet (pending)
			kv = append(kv, [2]string{"raft_pending_settings", strconv.Itoa(s.o.Pending.PendingCount())})
		}
	case "links":
		kv = s.infoLinks()
	}
	var b strings.Builder
	b.WriteString("# " + title + "\r\n")
	for _, p := range kv {
		b.WriteString(p[0] + ":" + p[1] + "\r\n")
	}
	return b.String()
}

func (s *Server) infoServer() [][2]string {
	now := time.Now()
	uptime := int64(now.Sub(s.start).Seconds())
	exe, _ := os.Executable()
	cfgFile := ""
	if s.cfg.File != "" {
		cfgFile, _ = filepath.Abs(s.cfg.File)
	}
	h := fnv.New64a()
	h.Write([]byte(s.o.RaftinelVersion))
	return [][2]string{
		{"redis_version", s.o.Version},
		{"redis_git_sha1", "00000000"},
		{"redis_git_dirty", "0"},
		{"redis_build_id", strconv.FormatUint(h.Sum64(), 16)},
		{"redis_mode", "sentinel"},
		{"os", osName()},
		{"arch_bits", strconv.Itoa(strconv.IntSize)},
		{"monotonic_clock", "POSIX clock_gettime"},
		{"multiplexing_api", multiplexingAPI()},
		{"atomicvar_api", "c11-builtin"},
		{"gcc_version", "0.0.0"},
		{"process_id", strconv.Itoa(os.Getpid())},
		{"process_supervised", "no"},
		{"run_id", s.o.RunID},
		{"tcp_port", strconv.Itoa(s.cfg.Port)},
		{"server_time_usec", itoa(now.UnixMicro())},
		{"uptime_in_seconds", itoa(uptime)},
		{"uptime_in_days", itoa(uptime / 86400)},
		{"hz", "10"},
		{"configured_hz", "10"},
		{"lru_clock", itoa(now.Unix() & (1<<24 - 1))},
		{"executable", exe},
		{"config_file", cfgFile},
		{"io_threads_active", "0"},
		{"raftinel_version", s.o.RaftinelVersion},
	}
}

func (s *Server) infoClients() [][2]string {
	tracking := 0
	for _, c := range s.clientList() {
		c.mu.Lock()
		if c.track.on {
			tracking++
		}
		c.mu.Unlock()
	}
	return [][2]string{
		{"connected_clients", strconv.Itoa(s.numClients())},
		{"cluster_connections", "0"},
		{"maxclients", strconv.Itoa(s.cfg.MaxClients)},
		{"client_recent_max_input_buffer", itoa(s.stats.maxInput.Load())},
		{"client_recent_max_output_buffer", "0"},
		{"blocked_clients", "0"},
		{"tracking_clients", strconv.Itoa(tracking)},
		{"clients_in_timeout_table", "0"},
	}
}

func (s *Server) infoStats() [][2]string {
	st := &s.stats
	chans, pats := s.hub.counts()
	kbps := func(m *meter) string { return fmt.Sprintf("%.2f", float64(m.rate())/1024) }
	kv := [][2]string{
		{"total_connections_received", itoa(st.connections.Load())},
		{"total_commands_processed", itoa(st.commands.Load())},
		{"instantaneous_ops_per_sec", itoa(st.opsRate.rate())},
		{"total_net_input_bytes", itoa(st.netIn.Load())},
		{"total_net_output_bytes", itoa(st.netOut.Load())},
		{"total_net_repl_input_bytes", "0"},
		{"total_net_repl_output_bytes", "0"},
		{"instantaneous_input_kbps", kbps(&st.inRate)},
		{"instantaneous_output_kbps", kbps(&st.outRate)},
		{"instantaneous_input_repl_kbps", "0.00"},
		{"instantaneous_output_repl_kbps", "0.00"},
		{"rejected_connections", itoa(st.rejected.Load())},
	}
	for _, k := range []string{"sync_full", "sync_partial_ok", "sync_partial_err", "expired_keys"} {
		kv = append(kv, [2]string{k, "0"})
	}
	kv = append(kv, [2]string{"expired_stale_perc", "0.00"})
	for _, k := range []string{"expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds",
		"evicted_keys", "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time",
		"keyspace_hits", "keyspace_misses"} {
		kv = append(kv, [2]string{k, "0"})
	}
	kv = append(kv, [2]string{"pubsub_channels", strconv.Itoa(chans)}, [2]string{"pubsub_patterns", strconv.Itoa(pats)})
	for _, k := range []string{"pubsubshard_channels", "latest_fork_usec", "total_forks", "migrate_cached_sockets",
		"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
		"active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time",
		"tracking_total_keys", "tracking_total_items", "tracking_total_prefixes", "unexpected_error_replies"} {
		kv = append(kv, [2]string{k, "0"})
	}
	return append(kv,
		[2]string{"total_error_replies", itoa(st.errors.Load())},
		[2]string{"dump_payload_sanitizations", "0"},
		[2]string{"total_reads_processed", itoa(st.reads.Load())},
		[2]string{"total_writes_processed", itoa(st.writes.Load())},
		[2]string{"io_threaded_reads_processed", "0"},
		[2]string{"io_threaded_writes_processed", "0"},
		[2]string{"reply_buffer_shrinks", "0"},
		[2]string{"reply_buffer_expands", "0"},
	)
}

func infoCPU() [][2]string {
	u := cpuUsage()
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	return [][2]string{
		{"used_cpu_sys", f(u.sys)},
		{"used_cpu_user", f(u.user)},
		{"used_cpu_sys_children", f(u.childSys)},
		{"used_cpu_user_children", f(u.childUser)},
		{"used_cpu_sys_main_thread", f(u.threadSys)},
		{"used_cpu_user_main_thread", f(u.threadUser)},
	}
}

func (s *Server) infoSentinel() [][2]string {
	masters := s.allMasters()
	sentinels := max(len(s.members()), 1)
	running, queued := 0, 0
	if s.o.Scripts != nil {
		running, queued = s.o.Scripts.Counts()
	}
	kv := append([][2]string{{"sentinel_masters", strconv.Itoa(len(masters))}}, s.tiltInfo()...)
	kv = append(kv, [][2]string{
		{"sentinel_running_scripts", strconv.Itoa(running)},
		{"sentinel_scripts_queue_length", strconv.Itoa(queued)},
		{"sentinel_simulate_failure_flags", itoa(s.local.simFailure.Load())},
	}...)
	for i, m := range masters {
		status := "ok"
		if m.ODown {
			status = "odown"
		} else if v, ok := s.view(m.Name, m.Addr); ok && v.SDown {
			status = "sdown"
		}
		kv = append(kv, [2]string{"master" + strconv.Itoa(i), fmt.Sprintf(
			"name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=%d",
			m.Name, status, s.shownHost(m.Addr.Host), m.Addr.Port, len(m.Replicas), sentinels)})
	}
	return kv
}

// osName is uname's "sysname release machine", as Redis prints it.
func osName() string {
	name := runtime.GOOS
	if runtime.GOOS == "linux" {
		name = "Linux"
		if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			name += " " + strings.TrimSpace(string(rel))
		}
	}
	machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if machine == "" {
		machine = runtime.GOARCH
	}
	return name + " " + machine
}

func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	}
	return "select"
}
