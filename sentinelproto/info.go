package sentinelproto

import (
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/raftinel/raftinel/config"
	"github.com/raftinel/raftinel/resp"
)

// infoSections are Sentinel's INFO sections in output order; "raft" and
// "links" are raftinel's and are only shown by default/all/everything or
// when asked.
var infoSections = []string{"server", "clients", "stats", "cpu", "sentinel", "raft", "links"}

// INFO [section ...]
func cmdInfo(x *cmdCtx) {
	var want [8]bool // by index in infoSections
	every := len(x.args) == 1
	for _, a := range x.args[1:] {
		var kb [16]byte
		name := string(lowerASCII(kb[:0], a))
		switch name {
		case "default", "all", "everything":
			every = true
		}
		for i, sec := range infoSections {
			if sec == name {
				want[i] = true
			}
		}
	}
	w := infoWriter{b: x.ss().scratch[:0], st: x.c.Stats()}
	first := true
	for i, sec := range infoSections {
		if !every && !want[i] {
			continue
		}
		if !first {
			w.b = append(w.b, "\r\n"...)
		}
		first = false
		x.s.infoSection(&w, sec)
	}
	x.r.bulkBytes(w.b)
	x.ss().keepScratch(w.b)
}

// infoWriter appends "key:value\r\n" lines; st are the connection
// server's counters, read once (resp.Conn.Stats).
type infoWriter struct {
	b  []byte
	st resp.Stats
}

func (w *infoWriter) kv(k, v string) {
	w.b = append(w.b, k...)
	w.b = append(w.b, ':')
	w.b = append(w.b, v...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) kvInt(k string, n int64) {
	w.b = append(w.b, k...)
	w.b = append(w.b, ':')
	w.b = strconv.AppendInt(w.b, n, 10)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) pairs(kv [][2]string) {
	for _, p := range kv {
		w.kv(p[0], p[1])
	}
}

// infoSection appends "# Name\r\nkey:value\r\n...".
func (s *Server) infoSection(w *infoWriter, sec string) {
	title := strings.ToUpper(sec[:1]) + sec[1:]
	if sec == "cpu" {
		title = "CPU"
	}
	w.b = append(w.b, "# "...)
	w.b = append(w.b, title...)
	w.b = append(w.b, "\r\n"...)
	switch sec {
	case "server":
		s.infoServer(w)
	case "clients":
		s.infoClients(w)
	case "stats":
		s.infoStats(w)
	case "cpu":
		w.b = append(w.b, s.cpu.section(time.Now())...)
	case "sentinel":
		s.infoSentinel(w)
	case "raft":
		if s.o.Cluster != nil {
			w.pairs(s.o.Cluster.RaftInfo())
		}
		if s.o.Pending != nil {
			// masters with SENTINEL SET changes not committed yet (pending)
			w.kvInt("raft_pending_settings", int64(s.o.Pending.PendingCount()))
		}
	case "links":
		w.pairs(s.infoLinks())
	}
}

// staticServerInfo are the fields of INFO server that never change,
// computed once (some cost a system call or a file read).
type staticServerInfo struct {
	buildID, osName, pid, exe, cfgFile string
}

func newStaticServerInfo(o Options, cfg *config.Config) staticServerInfo {
	exe, _ := os.Executable()
	cfgFile := ""
	if cfg.File != "" {
		cfgFile, _ = filepath.Abs(cfg.File)
	}
	h := fnv.New64a()
	h.Write([]byte(o.RaftinelVersion))
	return staticServerInfo{buildID: strconv.FormatUint(h.Sum64(), 16), osName: osName(),
		pid: strconv.Itoa(os.Getpid()), exe: exe, cfgFile: cfgFile}
}

func (s *Server) infoServer(w *infoWriter) {
	now := time.Now()
	uptime := int64(now.Sub(s.start).Seconds())
	st := &s.static
	w.kv("redis_version", s.o.Version)
	w.kv("redis_git_sha1", "00000000")
	w.kv("redis_git_dirty", "0")
	w.kv("redis_build_id", st.buildID)
	w.kv("redis_mode", "sentinel")
	w.kv("os", st.osName)
	w.kvInt("arch_bits", strconv.IntSize)
	w.kv("monotonic_clock", "POSIX clock_gettime")
	w.kv("multiplexing_api", multiplexingAPI())
	w.kv("atomicvar_api", "c11-builtin")
	w.kv("gcc_version", "0.0.0")
	w.kv("process_id", st.pid)
	w.kv("process_supervised", "no")
	w.kv("run_id", s.o.RunID)
	w.kvInt("tcp_port", int64(s.cfg.Port))
	w.kvInt("server_time_usec", now.UnixMicro())
	w.kvInt("uptime_in_seconds", uptime)
	w.kvInt("uptime_in_days", uptime/86400)
	w.kv("hz", "10")
	w.kv("configured_hz", "10")
	w.kvInt("lru_clock", now.Unix()&(1<<24-1))
	w.kv("executable", st.exe)
	w.kv("config_file", st.cfgFile)
	w.kv("io_threads_active", "0")
	w.kv("raftinel_version", s.o.RaftinelVersion)
}

func (s *Server) infoClients(w *infoWriter) {
	w.kvInt("connected_clients", int64(s.rs.NumClients()))
	w.kv("cluster_connections", "0")
	w.kvInt("maxclients", int64(s.cfg.MaxClients))
	w.kvInt("client_recent_max_input_buffer", w.st.MaxInputBuffer)
	w.kv("client_recent_max_output_buffer", "0")
	w.kv("blocked_clients", "0")
	w.kvInt("tracking_clients", int64(s.rs.TrackingClients()))
	w.kv("clients_in_timeout_table", "0")
}

func (s *Server) infoStats(w *infoWriter) {
	st := w.st
	kbps := func(k string, n int64) {
		w.b = append(w.b, k...)
		w.b = append(w.b, ':')
		w.b = strconv.AppendFloat(w.b, float64(n)/1024, 'f', 2, 64)
		w.b = append(w.b, "\r\n"...)
	}
	zero := func(keys ...string) {
		for _, k := range keys {
			w.kv(k, "0")
		}
	}
	w.kvInt("total_connections_received", st.Connections)
	w.kvInt("total_commands_processed", st.Commands)
	w.kvInt("instantaneous_ops_per_sec", st.OpsPerSec)
	w.kvInt("total_net_input_bytes", st.NetIn)
	w.kvInt("total_net_output_bytes", st.NetOut)
	zero("total_net_repl_input_bytes", "total_net_repl_output_bytes")
	kbps("instantaneous_input_kbps", st.InPerSec)
	kbps("instantaneous_output_kbps", st.OutPerSec)
	w.kv("instantaneous_input_repl_kbps", "0.00")
	w.kv("instantaneous_output_repl_kbps", "0.00")
	w.kvInt("rejected_connections", st.Rejected)
	zero("sync_full", "sync_partial_ok", "sync_partial_err", "expired_keys")
	w.kv("expired_stale_perc", "0.00")
	zero("expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds",
		"evicted_keys", "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time",
		"keyspace_hits", "keyspace_misses")
	w.kvInt("pubsub_channels", int64(st.PubSubChannels))
	w.kvInt("pubsub_patterns", int64(st.PubSubPatterns))
	zero("pubsubshard_channels", "latest_fork_usec", "total_forks", "migrate_cached_sockets",
		"slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
		"active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time",
		"tracking_total_keys", "tracking_total_items", "tracking_total_prefixes", "unexpected_error_replies")
	w.kvInt("total_error_replies", st.Errors)
	w.kv("dump_payload_sanitizations", "0")
	w.kvInt("total_reads_processed", st.Reads)
	w.kvInt("total_writes_processed", st.Writes)
	zero("io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands")
}

// memberCounter is a Cluster that counts its members without building
// the list (consensus.Store).
type memberCounter interface{ MemberCount() int }

func (s *Server) infoSentinel(w *infoWriter) {
	var sentinels int64
	if mc, ok := s.o.Cluster.(memberCounter); ok {
		sentinels = int64(max(mc.MemberCount(), 1))
	} else {
		sentinels = int64(max(len(s.members()), 1))
	}
	running, queued := 0, 0
	if s.o.Scripts != nil {
		running, queued = s.o.Scripts.Counts()
	}
	masters := s.masterViews()
	w.kvInt("sentinel_masters", int64(len(masters)))
	for _, p := range s.tiltInfo() {
		w.kv(p[0], p[1])
	}
	w.kvInt("sentinel_running_scripts", int64(running))
	w.kvInt("sentinel_scripts_queue_length", int64(queued))
	w.kvInt("sentinel_simulate_failure_flags", s.local.simFailure.Load())
	for i, m := range masters {
		status := "ok"
		if m.odown {
			status = "odown"
		} else if v, ok := s.viewKey(m.name, m.addr.key); ok && v.SDown {
			status = "sdown"
		}
		w.b = append(w.b, "master"...)
		w.b = strconv.AppendInt(w.b, int64(i), 10)
		w.b = append(w.b, ":name="...)
		w.b = append(w.b, m.name...)
		w.b = append(w.b, ",status="...)
		w.b = append(w.b, status...)
		w.b = append(w.b, ",address="...)
		w.b = append(w.b, s.shownHost(m.addr.addr.Host)...)
		w.b = append(w.b, ':')
		w.b = strconv.AppendInt(w.b, int64(m.addr.addr.Port), 10)
		w.b = append(w.b, ",slaves="...)
		w.b = strconv.AppendInt(w.b, int64(len(m.replicas)), 10)
		w.b = append(w.b, ",sentinels="...)
		w.b = strconv.AppendInt(w.b, sentinels, 10)
		w.b = append(w.b, "\r\n"...)
	}
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
