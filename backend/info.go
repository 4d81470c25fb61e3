package backend

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// INFO, with Redis 7.0's sections, field names and field order (Sentinel,
// client libraries and the Redis test suite parse them). Fields that
// describe machinery warden does not have (Lua, forks, defrag, I/O threads,
// tracking) carry the value Redis shows when that machinery is idle.

// replicationStats, when set by the replication code, supplies the
// replication counters of the Stats section.
var replicationStats func(s *Server) ReplicationStats

// ReplicationStats are the replication counters INFO Stats shows.
type ReplicationStats struct {
	SyncFull, SyncPartialOK, SyncPartialErr int64
	NetInput, NetOutput                     int64 // replication traffic in bytes
}

// infoSectionOrder is the order Redis prints sections in, whatever the
// order they were asked in.
var infoSectionOrder = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu",
	"modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}

var infoDefaultSections = map[string]bool{"server": true, "clients": true, "memory": true, "persistence": true,
	"stats": true, "replication": true, "cpu": true, "modules": true, "errorstats": true, "cluster": true, "keyspace": true}

// genInfo builds the INFO text for the requested section arguments.
func (s *Server) genInfo(args [][]byte) string {
	want := map[string]bool{}
	all := false
	dflt := len(args) == 0 // sections added with AddInfoSection are default ones
	if len(args) == 0 {
		want = infoDefaultSections
	}
	for _, a := range args {
		switch name := strings.ToLower(string(a)); name {
		case "default":
			dflt = true
			for k := range infoDefaultSections {
				want[k] = true
			}
		case "all", "everything":
			all = true
		case "module_list":
			want["modules"] = true
		default:
			want[name] = true
		}
	}
	var b strings.Builder
	for _, sec := range infoSectionOrder {
		if !all && !want[sec] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		s.infoSection(&b, sec)
	}
	s.addedInfoSections(&b, func(name string) bool { return all || dflt || want[name] })
	return b.String()
}

// infoWriter writes "name:value\r\n" lines.
type infoWriter struct{ b *strings.Builder }

func (w infoWriter) kv(name string, v any) {
	w.b.WriteString(name)
	w.b.WriteByte(':')
	switch x := v.(type) {
	case string:
		w.b.WriteString(x)
	case int:
		w.b.WriteString(strconv.Itoa(x))
	case int64:
		w.b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		w.b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		w.b.WriteString(strconv.FormatFloat(x, 'f', 2, 64))
	default:
		fmt.Fprint(w.b, x)
	}
	w.b.WriteString("\r\n")
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (s *Server) infoSection(b *strings.Builder, sec string) {
	w := infoWriter{b}
	switch sec {
	case "server":
		b.WriteString("# Server\r\n")
		s.infoServer(w)
	case "clients":
		b.WriteString("# Clients\r\n")
		s.infoClients(w)
	case "memory":
		b.WriteString("# Memory\r\n")
		s.infoMemory(w)
	case "persistence":
		b.WriteString("# Persistence\r\n")
		if persistenceInfo != nil {
			persistenceInfo(s, b)
		} else {
			s.infoPersistenceDefault(w)
		}
	case "stats":
		b.WriteString("# Stats\r\n")
		s.infoStats(w)
	case "replication":
		b.WriteString("# Replication\r\n")
		if replicationInfo != nil {
			replicationInfo(s, b)
		} else {
			s.infoReplicationDefault(w)
		}
	case "cpu":
		b.WriteString("# CPU\r\n")
		infoCPU(w)
	case "modules":
		b.WriteString("# Modules\r\n")
	case "commandstats":
		b.WriteString("# Commandstats\r\n")
		names := make([]string, 0, len(s.stats.cmdStats))
		for n := range s.stats.cmdStats {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			st := s.stats.cmdStats[n]
			if st.calls == 0 && st.failed == 0 && st.rejected == 0 {
				continue
			}
			perCall := 0.0
			if st.calls > 0 {
				perCall = float64(st.usec) / float64(st.calls)
			}
			fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				infoSafe(n), st.calls, st.usec, perCall, st.rejected, st.failed)
		}
	case "errorstats":
		b.WriteString("# Errorstats\r\n")
		codes := make([]string, 0, len(s.stats.errorsByCode))
		for code := range s.stats.errorsByCode {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", infoSafe(code), s.stats.errorsByCode[code])
		}
	case "latencystats":
		// Per-command latency histograms are not kept.
		b.WriteString("# Latencystats\r\n")
	case "cluster":
		b.WriteString("# Cluster\r\n")
		w.kv("cluster_enabled", 0)
	case "keyspace":
		b.WriteString("# Keyspace\r\n")
		for _, db := range s.dbs {
			if keys, exp := db.Size(), db.ExpiresCount(); keys > 0 || exp > 0 {
				fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.id, keys, exp, db.avgTTL)
			}
		}
	}
}

// infoSafe is getSafeInfoString: the separators of INFO lines cannot
// appear in a name.
func infoSafe(s string) string {
	return strings.NewReplacer(":", "_", "\r", "_", "\n", "_").Replace(s)
}

var unameOnce = sync.OnceValue(func() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return runtime.GOOS
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " +
		unix.ByteSliceToString(u.Machine[:])
})

func (s *Server) infoServer(w infoWriter) {
	now := s.timeNow()
	uptime := int64(0)
	if !s.startTime.IsZero() {
		uptime = int64(now.Sub(s.startTime).Seconds())
	}
	exe, _ := os.Executable()
	api := "epoll"
	if runtime.GOOS != "linux" {
		api = "kqueue"
	}
	w.kv("redis_version", RedisVersion)
	w.kv("redis_git_sha1", "00000000")
	w.kv("redis_git_dirty", 0)
	w.kv("redis_build_id", "0")
	mode := "standalone"
	if s.opts.SentinelMode {
		mode = "sentinel"
	}
	w.kv("redis_mode", mode)
	w.kv("os", unameOnce())
	w.kv("arch_bits", strconv.IntSize)
	w.kv("monotonic_clock", "POSIX clock_gettime")
	w.kv("multiplexing_api", api)
	w.kv("atomicvar_api", "go-atomic")
	w.kv("gcc_version", "0.0.0")
	w.kv("process_id", os.Getpid())
	w.kv("process_supervised", "no")
	w.kv("run_id", s.runID)
	w.kv("tcp_port", s.opts.Port)
	w.kv("server_time_usec", now.UnixMicro())
	w.kv("uptime_in_seconds", uptime)
	w.kv("uptime_in_days", uptime/86400)
	w.kv("hz", clampHz(s.opts.Hz))
	w.kv("configured_hz", s.opts.Hz)
	w.kv("lru_clock", s.lruClock()&(1<<24-1))
	w.kv("executable", exe)
	w.kv("config_file", s.opts.ConfigFile)
	w.kv("io_threads_active", 0)
}

func (s *Server) infoClients(w infoWriter) {
	replicas, maxOut := 0, 0
	for _, c := range s.clients {
		if c.flags&flagReplica != 0 && c.flags&flagMonitor == 0 {
			replicas++
		}
		maxOut = max(maxOut, len(c.reply))
	}
	w.kv("connected_clients", len(s.clients)-replicas)
	w.kv("cluster_connections", 0)
	w.kv("maxclients", s.opts.MaxClients)
	w.kv("client_recent_max_input_buffer", 0)
	w.kv("client_recent_max_output_buffer", maxOut)
	w.kv("blocked_clients", s.blockedClients())
	w.kv("tracking_clients", 0)
	w.kv("clients_in_timeout_table", s.clientsInTimeoutTable())
}

// bytesToHuman is Redis's: B below 1 KiB, then K, M, G, T, P with two
// decimals.
func bytesToHuman(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	d := float64(n)
	for _, u := range []string{"K", "M", "G", "T", "P"} {
		d /= 1024
		if d < 1024 || u == "P" {
			return fmt.Sprintf("%.2f%s", d, u)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// processRSS reads the resident set size from /proc/self/statm.
func processRSS() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

var systemMemory = sync.OnceValue(func() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
})

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// infoMemory: used_memory is the same estimate maxmemory is enforced
// against (evict.go); the allocator_* figures come from runtime.MemStats
// (allocated = live and not yet collected heap objects, active = heap
// spans in use, resident = heap memory obtained from the OS and not
// returned). The replication buffers are counted in the overhead, as in
// Redis: mem_total_replication_buffers is the backlog plus what replicas
// have yet to be sent (Redis shares one buffer among them; here each
// replica queues its own copy, reported as mem_clients_slaves).
func (s *Server) infoMemory(w infoWriter) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := s.usedMemory()
	m := &s.admin.mem
	m.peak = max(m.peak, used)
	rss := processRSS()
	alloc, active, resident := int64(ms.HeapAlloc), int64(ms.HeapInuse), int64(ms.HeapSys-ms.HeapReleased)
	normal := int64(0)
	for _, c := range s.clients {
		if c.flags&flagReplica == 0 || c.flags&flagMonitor != 0 {
			normal += int64(cap(c.reply))
		}
	}
	backlog, replicas := s.replBufferMemory()
	overhead := m.startup + normal + backlog + replicas
	dataset := max(used-overhead, 0)
	w.kv("used_memory", used)
	w.kv("used_memory_human", bytesToHuman(used))
	w.kv("used_memory_rss", rss)
	w.kv("used_memory_rss_human", bytesToHuman(rss))
	w.kv("used_memory_peak", m.peak)
	w.kv("used_memory_peak_human", bytesToHuman(m.peak))
	w.kv("used_memory_peak_perc", fmt.Sprintf("%.2f%%", ratio(used, m.peak)*100))
	w.kv("used_memory_overhead", overhead)
	w.kv("used_memory_startup", m.startup)
	w.kv("used_memory_dataset", dataset)
	w.kv("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", ratio(dataset, max(used-m.startup, 1))*100))
	w.kv("allocator_allocated", alloc)
	w.kv("allocator_active", active)
	w.kv("allocator_resident", resident)
	w.kv("total_system_memory", systemMemory())
	w.kv("total_system_memory_human", bytesToHuman(systemMemory()))
	w.kv("used_memory_lua", 0)
	w.kv("used_memory_vm_eval", 0)
	w.kv("used_memory_lua_human", "0B")
	w.kv("used_memory_scripts_eval", 0)
	w.kv("number_of_cached_scripts", 0)
	w.kv("number_of_functions", 0)
	w.kv("number_of_libraries", 0)
	w.kv("used_memory_vm_functions", 0)
	w.kv("used_memory_vm_total", 0)
	w.kv("used_memory_vm_total_human", "0B")
	w.kv("used_memory_functions", 0)
	w.kv("used_memory_scripts", 0)
	w.kv("used_memory_scripts_human", "0B")
	w.kv("maxmemory", s.opts.MaxMemory)
	w.kv("maxmemory_human", bytesToHuman(s.opts.MaxMemory))
	w.kv("maxmemory_policy", s.opts.MaxMemPolicy)
	w.kv("allocator_frag_ratio", ratio(active, alloc))
	w.kv("allocator_frag_bytes", active-alloc)
	w.kv("allocator_rss_ratio", ratio(resident, active))
	w.kv("allocator_rss_bytes", resident-active)
	w.kv("rss_overhead_ratio", ratio(rss, resident))
	w.kv("rss_overhead_bytes", rss-resident)
	w.kv("mem_fragmentation_ratio", ratio(rss, used))
	w.kv("mem_fragmentation_bytes", rss-used)
	w.kv("mem_not_counted_for_evict", 0)
	w.kv("mem_replication_backlog", backlog)
	w.kv("mem_total_replication_buffers", backlog+replicas)
	w.kv("mem_clients_slaves", replicas)
	w.kv("mem_clients_normal", normal)
	w.kv("mem_cluster_links", 0)
	w.kv("mem_aof_buffer", 0)
	w.kv("mem_allocator", runtime.Version())
	w.kv("active_defrag_running", 0)
	w.kv("lazyfree_pending_objects", 0)
	w.kv("lazyfreed_objects", 0)
}

// infoPersistenceDefault is what Redis shows for a node that has not saved
// or loaded anything since it started.
func (s *Server) infoPersistenceDefault(w infoWriter) {
	w.kv("loading", 0)
	w.kv("async_loading", 0)
	w.kv("current_cow_peak", 0)
	w.kv("current_cow_size", 0)
	w.kv("current_cow_size_age", 0)
	w.kv("current_fork_perc", 0.0)
	w.kv("current_save_keys_processed", 0)
	w.kv("current_save_keys_total", 0)
	w.kv("rdb_changes_since_last_save", s.dirty)
	w.kv("rdb_bgsave_in_progress", 0)
	w.kv("rdb_last_save_time", s.startTime.Unix())
	w.kv("rdb_last_bgsave_status", "ok")
	w.kv("rdb_last_bgsave_time_sec", -1)
	w.kv("rdb_current_bgsave_time_sec", -1)
	w.kv("rdb_saves", 0)
	w.kv("rdb_last_cow_size", 0)
	w.kv("rdb_last_load_keys_expired", 0)
	w.kv("rdb_last_load_keys_loaded", 0)
	w.kv("aof_enabled", boolInt(s.opts.AppendOnly))
	w.kv("aof_rewrite_in_progress", 0)
	w.kv("aof_rewrite_scheduled", 0)
	w.kv("aof_last_rewrite_time_sec", -1)
	w.kv("aof_current_rewrite_time_sec", -1)
	w.kv("aof_last_bgrewrite_status", "ok")
	w.kv("aof_rewrites", 0)
	w.kv("aof_rewrites_consecutive_failures", 0)
	w.kv("aof_last_write_status", "ok")
	w.kv("aof_last_cow_size", 0)
	w.kv("module_fork_in_progress", 0)
	w.kv("module_fork_last_cow_size", 0)
}

func (s *Server) infoStats(w infoWriter) {
	var rs ReplicationStats
	if replicationStats != nil {
		rs = replicationStats(s)
	}
	inst := &s.admin.inst
	m := &s.admin.mem
	exceeded := m.exceededTotal
	current := time.Duration(0)
	if !m.exceededSince.IsZero() {
		current = s.timeNow().Sub(m.exceededSince)
	}
	w.kv("total_connections_received", s.stats.connectionsReceived)
	w.kv("total_commands_processed", s.stats.commandsProcessed)
	w.kv("instantaneous_ops_per_sec", int64(avg16(&inst.cmds)))
	w.kv("total_net_input_bytes", s.stats.netInput.Load()+rs.NetInput)
	w.kv("total_net_output_bytes", s.stats.netOutput.Load()+rs.NetOutput)
	w.kv("total_net_repl_input_bytes", rs.NetInput)
	w.kv("total_net_repl_output_bytes", rs.NetOutput)
	w.kv("instantaneous_input_kbps", avg16(&inst.inBps)/1024)
	w.kv("instantaneous_output_kbps", avg16(&inst.outBps)/1024)
	w.kv("instantaneous_input_repl_kbps", 0.0)
	w.kv("instantaneous_output_repl_kbps", 0.0)
	w.kv("rejected_connections", s.stats.rejectedConns)
	w.kv("sync_full", rs.SyncFull)
	w.kv("sync_partial_ok", rs.SyncPartialOK)
	w.kv("sync_partial_err", rs.SyncPartialErr)
	w.kv("expired_keys", s.stats.expiredKeys)
	w.kv("expired_stale_perc", 0.0)
	w.kv("expired_time_cap_reached_count", 0)
	w.kv("expire_cycle_cpu_milliseconds", 0)
	w.kv("evicted_keys", s.stats.evictedKeys)
	w.kv("evicted_clients", 0)
	w.kv("total_eviction_exceeded_time", (exceeded + current).Milliseconds())
	w.kv("current_eviction_exceeded_time", current.Milliseconds())
	w.kv("keyspace_hits", s.stats.keyspaceHits)
	w.kv("keyspace_misses", s.stats.keyspaceMisses)
	w.kv("pubsub_channels", len(s.pubsub.channels))
	w.kv("pubsub_patterns", len(s.pubsub.patterns))
	w.kv("pubsubshard_channels", len(s.pubsub.shard))
	w.kv("latest_fork_usec", 0)
	w.kv("total_forks", 0)
	w.kv("migrate_cached_sockets", 0)
	w.kv("slave_expires_tracked_keys", 0)
	w.kv("active_defrag_hits", 0)
	w.kv("active_defrag_misses", 0)
	w.kv("active_defrag_key_hits", 0)
	w.kv("active_defrag_key_misses", 0)
	w.kv("total_active_defrag_time", 0)
	w.kv("current_active_defrag_time", 0)
	w.kv("tracking_total_keys", 0)
	w.kv("tracking_total_items", 0)
	w.kv("tracking_total_prefixes", 0)
	w.kv("unexpected_error_replies", 0)
	w.kv("total_error_replies", s.stats.errorReplies)
	w.kv("dump_payload_sanitizations", 0)
	w.kv("total_reads_processed", 0)
	w.kv("total_writes_processed", 0)
	w.kv("io_threaded_reads_processed", 0)
	w.kv("io_threaded_writes_processed", 0)
	w.kv("reply_buffer_shrinks", 0)
	w.kv("reply_buffer_expands", 0)
}

// defaultReplID is the replication ID of a node no replication code has
// touched: random, chosen once.
func (s *Server) defaultReplID() string {
	if s.admin.replid == "" {
		s.admin.replid = randomHex(40)
	}
	return s.admin.replid
}

// infoReplicationDefault is a master with no replicas, as Redis prints it.
func (s *Server) infoReplicationDefault(w infoWriter) {
	w.kv("role", "master")
	w.kv("connected_slaves", 0)
	if s.opts.MinReplicasToWrite > 0 && s.opts.MinReplicasMaxLag > 0 {
		w.kv("min_slaves_good_slaves", 0)
	}
	w.kv("master_failover_state", "no-failover")
	w.kv("master_replid", s.defaultReplID())
	w.kv("master_replid2", strings.Repeat("0", 40))
	w.kv("master_repl_offset", 0)
	w.kv("second_repl_offset", -1)
	w.kv("repl_backlog_active", 0)
	w.kv("repl_backlog_size", s.opts.ReplBacklogSize)
	w.kv("repl_backlog_first_byte_offset", 0)
	w.kv("repl_backlog_histlen", 0)
}

func rusageTime(tv syscall.Timeval) string {
	return fmt.Sprintf("%d.%06d", tv.Sec, tv.Usec)
}

// infoCPU reports getrusage for the process, its children, and (the
// "main thread" fields) the event-loop thread running INFO.
func infoCPU(w infoWriter) {
	var self, children, thread syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	w.kv("used_cpu_sys", rusageTime(self.Stime))
	w.kv("used_cpu_user", rusageTime(self.Utime))
	w.kv("used_cpu_sys_children", rusageTime(children.Stime))
	w.kv("used_cpu_user_children", rusageTime(children.Utime))
	if err := syscall.Getrusage(unix.RUSAGE_THREAD, &thread); err == nil {
		w.kv("used_cpu_sys_main_thread", rusageTime(thread.Stime))
		w.kv("used_cpu_user_main_thread", rusageTime(thread.Utime))
	}
}

// updateAvgTTL keeps each database's avg_ttl like Redis's expire cycle: a
// sample of TTLs folded into a running average (2% weight per sample).
func (s *Server) updateAvgTTL() {
	now := s.timeNow().UnixMilli()
	for _, db := range s.dbs {
		if len(db.d.ttl) == 0 {
			db.avgTTL = 0
			continue
		}
		var sum, n int64
		visited := 0
		for k := range db.d.ttl {
			if e := db.d.get(k); e != nil && e.expireAt > now {
				sum += e.expireAt - now
				n++
			}
			if visited++; visited >= 20 {
				break
			}
		}
		if n == 0 {
			continue
		}
		avg := sum / n
		if db.avgTTL == 0 {
			db.avgTTL = avg
		}
		db.avgTTL = (db.avgTTL/50)*49 + avg/50
	}
}
