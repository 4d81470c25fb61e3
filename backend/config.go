package backend

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/ds"
	"github.com/wardenhq/warden/internal/redisconf"
)

// Configuration: one table of every redis.conf directive Redis 7.0 knows,
// shared by the config file, the command line, CONFIG GET, CONFIG SET and
// CONFIG REWRITE.
//
// Each directive has Redis's name, alias, kind, bounds, flags and default
// (the defaults were read from a redis-server 7.0.15 with no config file).
// Directives warden implements are bound to an Options field (bindings
// below). The others are still accepted everywhere, with their values
// validated and kept in Options.Extra so that CONFIG GET answers them;
// loading them from a file logs a warning naming them, because they have no
// effect. A directive Redis does not know stops start-up, with the file,
// line and Redis's reason.

type cfgKind int

const (
	cfgBool cfgKind = iota
	cfgInt
	cfgMemory // a byte count: accepts 1gb, 64mb... shows plain bytes
	cfgString
	cfgEnum
	cfgSpecial // own parser and formatter (save, bind, dir, ...)
)

type cfgFlags int

const (
	cfgImmutable   cfgFlags = 1 << iota // CONFIG SET refuses it
	cfgSensitive                        // value redacted from SLOWLOG/MONITOR
	cfgHidden                           // only an exact CONFIG GET name shows it
	cfgProtected                        // CONFIG SET needs enable-protected-configs
	cfgMultiArg                         // takes several words
	cfgDenyLoading                      // CONFIG SET refused while loading
	cfgEmptyIsNull                      // "" means unset (REWRITE removes the line)
	cfgPercent                          // memory value or N%
	cfgOctal                            // octal number
)

// directive is one entry of the table.
type directive struct {
	name, alias string
	kind        cfgKind
	flags       cfgFlags
	min, max    int64
	enum        []string
	def         string // CONFIG GET's answer on a node with no configuration
	bind        *binding
}

// binding ties a directive to Options. Exactly one accessor is set, or get
// and set for special directives. Unbound directives live in Options.Extra.
type binding struct {
	b   func(*Options) *bool
	i   func(*Options) *int
	i64 func(*Options) *int64
	sec func(*Options) *time.Duration // whole seconds
	s   func(*Options) *string
	get func(*Options) string
	set func(o *Options, args []string) error
	// rewrite returns the lines CONFIG REWRITE writes (each as its
	// arguments) and whether they must be written even if the file does
	// not mention the directive yet. nil lines remove the directive.
	rewrite func(o *Options) (lines [][]string, force bool)
}

// redisDirectives is Redis 7.0.15's configuration table (src/config.c).
var redisDirectives = []*directive{
	{name: "rdbchecksum", kind: cfgBool, flags: cfgImmutable, def: "yes"},
	{name: "daemonize", kind: cfgBool, flags: cfgImmutable, def: "no"},
	{name: "io-threads-do-reads", kind: cfgBool, flags: cfgImmutable, def: "no"},
	{name: "always-show-logo", kind: cfgBool, flags: cfgImmutable, def: "no"},
	{name: "protected-mode", kind: cfgBool, def: "yes"},
	{name: "rdbcompression", kind: cfgBool, def: "yes"},
	{name: "rdb-del-sync-files", kind: cfgBool, def: "no"},
	{name: "activerehashing", kind: cfgBool, def: "yes"},
	{name: "stop-writes-on-bgsave-error", kind: cfgBool, def: "yes"},
	{name: "set-proc-title", kind: cfgBool, flags: cfgImmutable, def: "yes"},
	{name: "dynamic-hz", kind: cfgBool, def: "yes"},
	{name: "lazyfree-lazy-eviction", kind: cfgBool, def: "no"},
	{name: "lazyfree-lazy-expire", kind: cfgBool, def: "no"},
	{name: "lazyfree-lazy-server-del", kind: cfgBool, def: "no"},
	{name: "lazyfree-lazy-user-del", kind: cfgBool, def: "no"},
	{name: "lazyfree-lazy-user-flush", kind: cfgBool, def: "no"},
	{name: "repl-disable-tcp-nodelay", kind: cfgBool, def: "no"},
	{name: "repl-diskless-sync", kind: cfgBool, def: "yes"},
	{name: "aof-rewrite-incremental-fsync", kind: cfgBool, def: "yes"},
	{name: "no-appendfsync-on-rewrite", kind: cfgBool, def: "no"},
	{name: "cluster-require-full-coverage", kind: cfgBool, def: "yes"},
	{name: "rdb-save-incremental-fsync", kind: cfgBool, def: "yes"},
	{name: "aof-load-truncated", kind: cfgBool, def: "yes"},
	{name: "aof-use-rdb-preamble", kind: cfgBool, def: "yes"},
	{name: "aof-timestamp-enabled", kind: cfgBool, def: "no"},
	{name: "cluster-replica-no-failover", alias: "cluster-slave-no-failover", kind: cfgBool, def: "no"},
	{name: "replica-lazy-flush", alias: "slave-lazy-flush", kind: cfgBool, def: "no"},
	{name: "replica-serve-stale-data", alias: "slave-serve-stale-data", kind: cfgBool, def: "yes"},
	{name: "replica-read-only", alias: "slave-read-only", kind: cfgBool, def: "yes"},
	{name: "replica-ignore-maxmemory", alias: "slave-ignore-maxmemory", kind: cfgBool, def: "yes"},
	{name: "jemalloc-bg-thread", kind: cfgBool, def: "yes"},
	{name: "activedefrag", kind: cfgBool, def: "no"},
	{name: "syslog-enabled", kind: cfgBool, flags: cfgImmutable, def: "no"},
	{name: "cluster-enabled", kind: cfgBool, flags: cfgImmutable, def: "no"},
	{name: "appendonly", kind: cfgBool, flags: cfgDenyLoading, def: "no"},
	{name: "cluster-allow-reads-when-down", kind: cfgBool, def: "no"},
	{name: "cluster-allow-pubsubshard-when-down", kind: cfgBool, def: "yes"},
	{name: "crash-log-enabled", kind: cfgBool, def: "yes"},
	{name: "crash-memcheck-enabled", kind: cfgBool, def: "yes"},
	{name: "use-exit-on-panic", kind: cfgBool, flags: cfgHidden, def: "no"},
	{name: "disable-thp", kind: cfgBool, flags: cfgImmutable, def: "yes"},
	{name: "cluster-allow-replica-migration", kind: cfgBool, def: "yes"},
	{name: "replica-announced", kind: cfgBool, def: "yes"},
	{name: "latency-tracking", kind: cfgBool, def: "yes"},
	{name: "aof-disable-auto-gc", kind: cfgBool, def: "no"},
	{name: "replica-ignore-disk-write-errors", kind: cfgBool, def: "no"},
	{name: "aclfile", kind: cfgString, flags: cfgImmutable, def: ""},
	{name: "unixsocket", kind: cfgString, flags: cfgImmutable | cfgEmptyIsNull, def: ""},
	{name: "pidfile", kind: cfgString, flags: cfgImmutable | cfgEmptyIsNull, def: ""},
	{name: "replica-announce-ip", alias: "slave-announce-ip", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "masteruser", kind: cfgString, flags: cfgSensitive | cfgEmptyIsNull, def: ""},
	{name: "cluster-announce-ip", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "cluster-config-file", kind: cfgString, flags: cfgImmutable, def: "nodes.conf"},
	{name: "cluster-announce-hostname", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "syslog-ident", kind: cfgString, flags: cfgImmutable, def: "redis"},
	{name: "dbfilename", kind: cfgString, flags: cfgProtected, def: "dump.rdb"},
	{name: "appendfilename", kind: cfgString, flags: cfgImmutable, def: "appendonly.aof"},
	{name: "appenddirname", kind: cfgString, flags: cfgImmutable, def: "appendonlydir"},
	{name: "server_cpulist", kind: cfgString, flags: cfgImmutable | cfgEmptyIsNull, def: ""},
	{name: "bio_cpulist", kind: cfgString, flags: cfgImmutable | cfgEmptyIsNull, def: ""},
	{name: "aof_rewrite_cpulist", kind: cfgString, flags: cfgImmutable | cfgEmptyIsNull, def: ""},
	{name: "bgsave_cpulist", kind: cfgString, flags: cfgImmutable | cfgEmptyIsNull, def: ""},
	{name: "ignore-warnings", kind: cfgString, def: ""},
	{name: "proc-title-template", kind: cfgString, def: "{title} {listen-addr} {server-mode}"},
	{name: "bind-source-addr", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "logfile", kind: cfgString, flags: cfgImmutable, def: ""},
	{name: "masterauth", kind: cfgString, flags: cfgSensitive | cfgEmptyIsNull, def: ""},
	{name: "requirepass", kind: cfgString, flags: cfgSensitive | cfgEmptyIsNull, def: ""},
	{name: "supervised", kind: cfgEnum, flags: cfgImmutable, enum: []string{"upstart", "systemd", "auto", "no"}, def: "no"},
	{name: "syslog-facility", kind: cfgEnum, flags: cfgImmutable, enum: []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, def: "local0"},
	{name: "repl-diskless-load", kind: cfgEnum, flags: cfgDenyLoading, enum: []string{"disabled", "on-empty-db", "swapdb"}, def: "disabled"},
	{name: "loglevel", kind: cfgEnum, enum: []string{"debug", "verbose", "notice", "warning"}, def: "notice"},
	{name: "maxmemory-policy", kind: cfgEnum, enum: []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, def: "noeviction"},
	{name: "appendfsync", kind: cfgEnum, enum: []string{"everysec", "always", "no"}, def: "everysec"},
	{name: "oom-score-adj", kind: cfgEnum, enum: []string{"no", "yes", "relative", "absolute"}, def: "no"},
	{name: "acl-pubsub-default", kind: cfgEnum, enum: []string{"allchannels", "resetchannels"}, def: "resetchannels"},
	{name: "sanitize-dump-payload", kind: cfgEnum, enum: []string{"no", "yes", "clients"}, def: "no"},
	{name: "enable-protected-configs", kind: cfgEnum, flags: cfgImmutable, enum: []string{"no", "yes", "local"}, def: "no"},
	{name: "enable-debug-command", kind: cfgEnum, flags: cfgImmutable, enum: []string{"no", "yes", "local"}, def: "no"},
	{name: "enable-module-command", kind: cfgEnum, flags: cfgImmutable, enum: []string{"no", "yes", "local"}, def: "no"},
	{name: "cluster-preferred-endpoint-type", kind: cfgEnum, enum: []string{"ip", "hostname", "unknown-endpoint"}, def: "ip"},
	{name: "propagation-error-behavior", kind: cfgEnum, enum: []string{"ignore", "panic", "panic-on-replicas"}, def: "ignore"},
	{name: "shutdown-on-sigint", kind: cfgEnum, flags: cfgMultiArg, enum: []string{"default", "save", "nosave", "now", "force"}, def: "default"},
	{name: "shutdown-on-sigterm", kind: cfgEnum, flags: cfgMultiArg, enum: []string{"default", "save", "nosave", "now", "force"}, def: "default"},
	{name: "databases", kind: cfgInt, flags: cfgImmutable, min: 1, max: math.MaxInt32, def: "16"},
	{name: "port", kind: cfgInt, min: 0, max: 65535, def: "6379"},
	{name: "io-threads", kind: cfgInt, flags: cfgImmutable, min: 1, max: 128, def: "1"},
	{name: "auto-aof-rewrite-percentage", kind: cfgInt, min: 0, max: math.MaxInt32, def: "100"},
	{name: "cluster-replica-validity-factor", alias: "cluster-slave-validity-factor", kind: cfgInt, min: 0, max: math.MaxInt32, def: "10"},
	{name: "list-max-listpack-size", alias: "list-max-ziplist-size", kind: cfgInt, min: math.MinInt32, max: math.MaxInt32, def: "-2"},
	{name: "tcp-keepalive", kind: cfgInt, min: 0, max: math.MaxInt32, def: "300"},
	{name: "cluster-migration-barrier", kind: cfgInt, min: 0, max: math.MaxInt32, def: "1"},
	{name: "active-defrag-cycle-min", kind: cfgInt, min: 1, max: 99, def: "1"},
	{name: "active-defrag-cycle-max", kind: cfgInt, min: 1, max: 99, def: "25"},
	{name: "active-defrag-threshold-lower", kind: cfgInt, min: 0, max: 1000, def: "10"},
	{name: "active-defrag-threshold-upper", kind: cfgInt, min: 0, max: 1000, def: "100"},
	{name: "lfu-log-factor", kind: cfgInt, min: 0, max: math.MaxInt32, def: "10"},
	{name: "lfu-decay-time", kind: cfgInt, min: 0, max: math.MaxInt32, def: "1"},
	{name: "replica-priority", alias: "slave-priority", kind: cfgInt, min: 0, max: math.MaxInt32, def: "100"},
	{name: "repl-diskless-sync-delay", kind: cfgInt, min: 0, max: math.MaxInt32, def: "5"},
	{name: "maxmemory-samples", kind: cfgInt, min: 1, max: math.MaxInt32, def: "5"},
	{name: "maxmemory-eviction-tenacity", kind: cfgInt, min: 0, max: 100, def: "10"},
	{name: "timeout", kind: cfgInt, min: 0, max: math.MaxInt32, def: "0"},
	{name: "replica-announce-port", alias: "slave-announce-port", kind: cfgInt, min: 0, max: 65535, def: "0"},
	{name: "tcp-backlog", kind: cfgInt, flags: cfgImmutable, min: 0, max: math.MaxInt32, def: "511"},
	{name: "cluster-port", kind: cfgInt, flags: cfgImmutable, min: 0, max: 65535, def: "0"},
	{name: "cluster-announce-bus-port", kind: cfgInt, min: 0, max: 65535, def: "0"},
	{name: "cluster-announce-port", kind: cfgInt, min: 0, max: 65535, def: "0"},
	{name: "cluster-announce-tls-port", kind: cfgInt, min: 0, max: 65535, def: "0"},
	{name: "repl-timeout", kind: cfgInt, min: 1, max: math.MaxInt32, def: "60"},
	{name: "repl-ping-replica-period", alias: "repl-ping-slave-period", kind: cfgInt, min: 1, max: math.MaxInt32, def: "10"},
	{name: "list-compress-depth", kind: cfgInt, min: 0, max: math.MaxInt32, def: "0"},
	{name: "rdb-key-save-delay", kind: cfgInt, flags: cfgHidden, min: math.MinInt32, max: math.MaxInt32, def: "0"},
	{name: "key-load-delay", kind: cfgInt, flags: cfgHidden, min: math.MinInt32, max: math.MaxInt32, def: "0"},
	{name: "active-expire-effort", kind: cfgInt, min: 1, max: 10, def: "1"},
	{name: "hz", kind: cfgInt, min: 0, max: math.MaxInt32, def: "10"},
	{name: "min-replicas-to-write", alias: "min-slaves-to-write", kind: cfgInt, min: 0, max: math.MaxInt32, def: "0"},
	{name: "min-replicas-max-lag", alias: "min-slaves-max-lag", kind: cfgInt, min: 0, max: math.MaxInt32, def: "10"},
	{name: "watchdog-period", kind: cfgInt, flags: cfgHidden, min: 0, max: math.MaxInt32, def: "0"},
	{name: "shutdown-timeout", kind: cfgInt, min: 0, max: math.MaxInt32, def: "10"},
	{name: "repl-diskless-sync-max-replicas", kind: cfgInt, min: 0, max: math.MaxInt32, def: "0"},
	{name: "maxclients", kind: cfgInt, min: 1, max: math.MaxUint32, def: "10000"},
	{name: "unixsocketperm", kind: cfgInt, flags: cfgImmutable | cfgOctal, min: 0, max: 0o777, def: "0"},
	{name: "socket-mark-id", kind: cfgInt, flags: cfgImmutable, min: 0, max: math.MaxUint32, def: "0"},
	{name: "active-defrag-max-scan-fields", kind: cfgInt, min: 1, max: math.MaxInt64, def: "1000"},
	{name: "slowlog-max-len", kind: cfgInt, min: 0, max: math.MaxInt64, def: "128"},
	{name: "acllog-max-len", kind: cfgInt, min: 0, max: math.MaxInt64, def: "128"},
	{name: "busy-reply-threshold", alias: "lua-time-limit", kind: cfgInt, min: 0, max: math.MaxInt64, def: "5000"},
	{name: "cluster-node-timeout", kind: cfgInt, min: 0, max: math.MaxInt64, def: "15000"},
	{name: "slowlog-log-slower-than", kind: cfgInt, min: -1, max: math.MaxInt64, def: "10000"},
	{name: "latency-monitor-threshold", kind: cfgInt, min: 0, max: math.MaxInt64, def: "0"},
	{name: "proto-max-bulk-len", kind: cfgMemory, min: 1024 * 1024, max: math.MaxInt64, def: "536870912"},
	{name: "stream-node-max-entries", kind: cfgInt, min: 0, max: math.MaxInt64, def: "100"},
	{name: "repl-backlog-size", kind: cfgMemory, min: 1, max: math.MaxInt64, def: "1048576"},
	{name: "maxmemory", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "0"},
	{name: "cluster-link-sendbuf-limit", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "0"},
	{name: "hash-max-listpack-entries", alias: "hash-max-ziplist-entries", kind: cfgInt, min: 0, max: math.MaxInt64, def: "512"},
	{name: "set-max-intset-entries", kind: cfgInt, min: 0, max: math.MaxInt64, def: "512"},
	{name: "zset-max-listpack-entries", alias: "zset-max-ziplist-entries", kind: cfgInt, min: 0, max: math.MaxInt64, def: "128"},
	{name: "active-defrag-ignore-bytes", kind: cfgMemory, min: 1, max: math.MaxInt64, def: "104857600"},
	{name: "hash-max-listpack-value", alias: "hash-max-ziplist-value", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "64"},
	{name: "stream-node-max-bytes", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "4096"},
	{name: "zset-max-listpack-value", alias: "zset-max-ziplist-value", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "64"},
	{name: "hll-sparse-max-bytes", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "3000"},
	{name: "tracking-table-max-keys", kind: cfgInt, min: 0, max: math.MaxInt64, def: "1000000"},
	{name: "client-query-buffer-limit", kind: cfgMemory, min: 1024 * 1024, max: math.MaxInt64, def: "1073741824"},
	{name: "maxmemory-clients", kind: cfgMemory, flags: cfgPercent, min: -100, max: math.MaxInt64, def: "0"},
	{name: "repl-backlog-ttl", kind: cfgInt, min: 0, max: math.MaxInt64, def: "3600"},
	{name: "auto-aof-rewrite-min-size", kind: cfgMemory, min: 0, max: math.MaxInt64, def: "67108864"},
	{name: "loading-process-events-interval-bytes", kind: cfgInt, flags: cfgHidden, min: 1024, max: math.MaxInt32, def: "2097152"},
	{name: "tls-port", kind: cfgInt, min: 0, max: 65535, def: "0"},
	{name: "tls-session-cache-size", kind: cfgInt, min: 0, max: math.MaxInt32, def: "20480"},
	{name: "tls-session-cache-timeout", kind: cfgInt, min: 0, max: math.MaxInt32, def: "300"},
	{name: "tls-cluster", kind: cfgBool, def: "no"},
	{name: "tls-replication", kind: cfgBool, def: "no"},
	{name: "tls-auth-clients", kind: cfgEnum, enum: []string{"no", "yes", "optional"}, def: "yes"},
	{name: "tls-prefer-server-ciphers", kind: cfgBool, def: "no"},
	{name: "tls-session-caching", kind: cfgBool, def: "yes"},
	{name: "tls-cert-file", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-key-file", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-key-file-pass", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-client-cert-file", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-client-key-file", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-client-key-file-pass", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-dh-params-file", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-ca-cert-file", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-ca-cert-dir", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-protocols", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-ciphers", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "tls-ciphersuites", kind: cfgString, flags: cfgEmptyIsNull, def: ""},
	{name: "dir", kind: cfgSpecial, flags: cfgProtected | cfgDenyLoading, def: ""},
	{name: "save", kind: cfgSpecial, flags: cfgMultiArg, def: "3600 1 300 100 60 10000"},
	{name: "client-output-buffer-limit", kind: cfgSpecial, flags: cfgMultiArg, def: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
	{name: "oom-score-adj-values", kind: cfgSpecial, flags: cfgMultiArg, def: "0 200 800"},
	{name: "notify-keyspace-events", kind: cfgSpecial, def: ""},
	{name: "bind", kind: cfgSpecial, flags: cfgMultiArg, def: "* -::*"},
	{name: "replicaof", alias: "slaveof", kind: cfgSpecial, flags: cfgImmutable | cfgMultiArg, def: ""},
	{name: "latency-tracking-info-percentiles", kind: cfgSpecial, flags: cfgMultiArg, def: "50 99 99.9"},
}

// bindings are the directives warden implements, by canonical name.
var bindings = map[string]*binding{
	"bind":           {get: getBind, set: setBind, rewrite: rewriteBind},
	"port":           {i: func(o *Options) *int { return &o.Port }},
	"protected-mode": {b: func(o *Options) *bool { return &o.ProtectedMode }},
	"requirepass":    {s: func(o *Options) *string { return &o.RequirePass }},
	"databases":      {i: func(o *Options) *int { return &o.Databases }},
	"maxclients":     {i: func(o *Options) *int { return &o.MaxClients }},
	"timeout":        {sec: func(o *Options) *time.Duration { return &o.Timeout }},
	"tcp-keepalive":  {sec: func(o *Options) *time.Duration { return &o.TCPKeepAlive }},
	"hz":             {i: func(o *Options) *int { return &o.Hz }},
	"logfile":        {s: func(o *Options) *string { return &o.LogFile }},
	"loglevel":       {s: func(o *Options) *string { return &o.LogLevel }},
	"dir":            {get: getDir, set: setDir, rewrite: func(o *Options) ([][]string, bool) { return [][]string{{getDir(o)}}, true }},
	"dbfilename":     {s: func(o *Options) *string { return &o.DBFilename }},
	"daemonize":      {b: func(o *Options) *bool { return &o.Daemonize }},
	"pidfile":        {s: func(o *Options) *string { return &o.PidFile }},

	"proto-max-bulk-len":          {i64: func(o *Options) *int64 { return &o.ProtoMaxBulk }},
	"client-query-buffer-limit":   {i64: func(o *Options) *int64 { return &o.QueryBufLimit }},
	"client-output-buffer-limit":  {get: getOutputLimits, set: setOutputLimits, rewrite: rewriteOutputLimits},
	"maxmemory":                   {i64: func(o *Options) *int64 { return &o.MaxMemory }},
	"maxmemory-policy":            {s: func(o *Options) *string { return &o.MaxMemPolicy }},
	"lazyfree-lazy-expire":        {b: func(o *Options) *bool { return &o.LazyfreeExpire }},
	"lazyfree-lazy-eviction":      {b: func(o *Options) *bool { return &o.LazyfreeEviction }},
	"maxmemory-samples":           {i: func(o *Options) *int { return &o.MaxMemSamples }},
	"maxmemory-eviction-tenacity": {i: func(o *Options) *int { return &o.MaxMemTenacity }},
	"lfu-decay-time":              {i: func(o *Options) *int { return &o.LFUDecayTime }},
	"notify-keyspace-events":      {get: getNotify, set: setNotify},
	"slowlog-log-slower-than":     {i64: func(o *Options) *int64 { return &o.SlowlogSlower }},
	"slowlog-max-len":             {i: func(o *Options) *int { return &o.SlowlogMaxLen }},
	"enable-debug-command":        {s: func(o *Options) *string { return &o.EnableDebugCommand }},
	"enable-protected-configs":    {s: func(o *Options) *string { return &o.EnableProtectedConfigs }},

	"hash-max-listpack-entries": {i: func(o *Options) *int { return &o.HashMaxListpackEntries }},
	"hash-max-listpack-value":   {i: func(o *Options) *int { return &o.HashMaxListpackValue }},
	"set-max-intset-entries":    {i: func(o *Options) *int { return &o.SetMaxIntsetEntries }},
	"zset-max-listpack-entries": {i: func(o *Options) *int { return &o.ZsetMaxListpackEntries }},
	"zset-max-listpack-value":   {i: func(o *Options) *int { return &o.ZsetMaxListpackValue }},
	"list-max-listpack-size":    {i: func(o *Options) *int { return &o.ListMaxListpackSize }},

	"save":                        {get: getSave, set: setSave, rewrite: rewriteSave},
	"stop-writes-on-bgsave-error": {b: func(o *Options) *bool { return &o.StopWritesOnBgsaveError }},
	"rdbcompression":              {b: func(o *Options) *bool { return &o.RDBCompression }},
	"rdbchecksum":                 {b: func(o *Options) *bool { return &o.RDBChecksum }},
	"appendonly":                  {b: func(o *Options) *bool { return &o.AppendOnly }},
	"appendfsync":                 {s: func(o *Options) *string { return &o.AppendFsync }},
	"appendfilename":              {s: func(o *Options) *string { return &o.AppendFilename }},
	"appenddirname":               {s: func(o *Options) *string { return &o.AppendDirname }},
	"aof-load-truncated":          {b: func(o *Options) *bool { return &o.AOFLoadTruncated }},
	"aof-use-rdb-preamble":        {b: func(o *Options) *bool { return &o.AOFUseRDBPreamble }},
	"aof-timestamp-enabled":       {b: func(o *Options) *bool { return &o.AOFTimestampEnabled }},
	"no-appendfsync-on-rewrite":   {b: func(o *Options) *bool { return &o.NoAppendfsyncOnRewrite }},
	"auto-aof-rewrite-percentage": {i: func(o *Options) *int { return &o.AutoAOFRewritePercent }},
	"auto-aof-rewrite-min-size":   {i64: func(o *Options) *int64 { return &o.AutoAOFRewriteMinSize }},

	"replicaof":                       {get: getReplicaOf, set: setReplicaOf, rewrite: rewriteReplicaOf},
	"masterauth":                      {s: func(o *Options) *string { return &o.MasterAuth }},
	"masteruser":                      {s: func(o *Options) *string { return &o.MasterUser }},
	"replica-read-only":               {b: func(o *Options) *bool { return &o.ReplicaReadOnly }},
	"replica-serve-stale-data":        {b: func(o *Options) *bool { return &o.ReplicaServeStaleData }},
	"repl-ping-replica-period":        {sec: func(o *Options) *time.Duration { return &o.ReplPingPeriod }},
	"repl-timeout":                    {sec: func(o *Options) *time.Duration { return &o.ReplTimeout }},
	"repl-backlog-size":               {i64: func(o *Options) *int64 { return &o.ReplBacklogSize }},
	"repl-backlog-ttl":                {sec: func(o *Options) *time.Duration { return &o.ReplBacklogTTL }},
	"repl-diskless-sync":              {b: func(o *Options) *bool { return &o.ReplDisklessSync }},
	"repl-diskless-sync-delay":        {sec: func(o *Options) *time.Duration { return &o.ReplDisklessSyncDelay }},
	"repl-diskless-sync-max-replicas": {i: func(o *Options) *int { return &o.ReplDisklessSyncMaxReplicas }},
	"repl-diskless-load":              {s: func(o *Options) *string { return &o.ReplDisklessLoad }},
	"repl-disable-tcp-nodelay":        {b: func(o *Options) *bool { return &o.ReplDisableTCPNoDelay }},
	"min-replicas-to-write":           {i: func(o *Options) *int { return &o.MinReplicasToWrite }},
	"min-replicas-max-lag":            {sec: func(o *Options) *time.Duration { return &o.MinReplicasMaxLag }},
	"replica-priority":                {i: func(o *Options) *int { return &o.ReplicaPriority }},
	"replica-announce-ip":             {s: func(o *Options) *string { return &o.ReplicaAnnounceIP }},
	"replica-announce-port":           {i: func(o *Options) *int { return &o.ReplicaAnnouncePort }},
	"replica-announced":               {b: func(o *Options) *bool { return &o.ReplicaAnnounced }},
	"replica-ignore-maxmemory":        {b: func(o *Options) *bool { return &o.ReplicaIgnoreMaxmemory }},
	"shutdown-timeout":                {sec: func(o *Options) *time.Duration { return &o.ShutdownTimeout }},
}

// specialSetters give the unbound special directives their parsers; their
// values are kept, normalised, in Options.Extra.
var specialSetters = map[string]func(args []string) (string, error){
	"oom-score-adj-values":              parseOOMScoreAdjValues,
	"latency-tracking-info-percentiles": parsePercentiles,
}

// directiveIndex maps lower-case names and aliases to directives.
var directiveIndex = map[string]*directive{}

func init() {
	for _, d := range redisDirectives {
		d.bind = bindings[d.name]
		directiveIndex[d.name] = d
		if d.alias != "" {
			directiveIndex[d.alias] = d
		}
	}
	for name := range bindings {
		if directiveIndex[name] == nil {
			panic("config binding for unknown directive " + name)
		}
	}
	register(&Command{Name: "config", Arity: -2, Group: "server", Since: "2.0.0",
		Summary: "A container for server configuration commands",
		Sub: map[string]*Command{
			"get": {Name: "config|get", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server",
				Since: "2.0.0", Summary: "Get the values of configuration parameters", Proc: configGetCommand},
			"set": {Name: "config|set", Arity: -4, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server",
				Since: "2.0.0", Summary: "Set configuration parameters to the given values", Proc: configSetCommand},
			"rewrite": {Name: "config|rewrite", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server",
				Since: "2.8.0", Summary: "Rewrite the configuration file with the in memory configuration", Proc: configRewriteCommand},
			"resetstat": {Name: "config|resetstat", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server",
				Since: "2.0.0", Summary: "Reset the stats returned by INFO", Proc: configResetStatCommand},
			"help": {Name: "config|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server",
				Since: "5.0.0", Summary: "Show helpful text about the different subcommands", Proc: configHelpCommand},
		}})
}

// lookupDirective finds a directive by name or alias, case-insensitively.
func lookupDirective(name string) *directive { return directiveIndex[strings.ToLower(name)] }

// ---- values ------------------------------------------------------------

// get is the value CONFIG GET shows.
func (d *directive) get(o *Options) string {
	b := d.bind
	switch {
	case b == nil:
		if v, ok := o.Extra[d.name]; ok {
			return v
		}
		return d.def
	case b.get != nil:
		return b.get(o)
	case b.b != nil:
		return redisconf.FormatBool(*b.b(o))
	case b.i != nil:
		return strconv.Itoa(*b.i(o))
	case b.i64 != nil:
		return strconv.FormatInt(*b.i64(o), 10)
	case b.sec != nil:
		return strconv.FormatInt(int64(*b.sec(o)/time.Second), 10)
	case b.s != nil:
		return *b.s(o)
	}
	return ""
}

// set parses args and stores the value in o. Single-value directives get
// exactly one argument.
func (d *directive) set(o *Options, args []string) error {
	if d.flags&cfgMultiArg == 0 && len(args) != 1 {
		return errors.New("wrong number of arguments")
	}
	if d.kind == cfgSpecial {
		if d.bind != nil {
			return d.bind.set(o, args)
		}
		v, err := specialSetters[d.name](args)
		if err != nil {
			return err
		}
		o.setExtra(d.name, v)
		return nil
	}
	v, n, err := d.parse(args)
	if err != nil {
		return err
	}
	b := d.bind
	switch {
	case b == nil:
		o.setExtra(d.name, v)
	case b.b != nil:
		*b.b(o) = v == "yes"
	case b.i != nil:
		*b.i(o) = int(n)
	case b.i64 != nil:
		*b.i64(o) = n
	case b.sec != nil:
		*b.sec(o) = time.Duration(n) * time.Second
	case b.s != nil:
		*b.s(o) = v
	}
	return nil
}

func (o *Options) setExtra(name, v string) {
	if o.Extra == nil {
		o.Extra = map[string]string{}
	}
	o.Extra[name] = v
}

// parse validates a value of a typed directive as Redis does and returns
// its normal form (what CONFIG GET shows) and, for numbers, its value.
func (d *directive) parse(args []string) (string, int64, error) {
	switch d.kind {
	case cfgBool:
		v, err := redisconf.ParseBool(args[0])
		if err != nil {
			return "", 0, err
		}
		return redisconf.FormatBool(v), 0, nil
	case cfgInt, cfgMemory:
		n, err := d.parseNumber(args[0])
		if err != nil {
			return "", 0, err
		}
		if d.flags&cfgPercent != 0 && n < 0 {
			if n < d.min {
				return "", 0, fmt.Errorf("percentage argument must be less or equal to %d", -d.min)
			}
			return strconv.FormatInt(-n, 10) + "%", n, nil
		}
		if n < d.min || n > d.max {
			if d.flags&cfgOctal != 0 {
				return "", 0, fmt.Errorf("argument must be between %o and %o inclusive", d.min, d.max)
			}
			return "", 0, fmt.Errorf("argument must be between %d and %d inclusive", d.min, d.max)
		}
		if d.flags&cfgOctal != 0 {
			return strconv.FormatInt(n, 8), n, nil
		}
		return strconv.FormatInt(n, 10), n, nil
	case cfgEnum:
		if d.flags&cfgMultiArg != 0 {
			return parseEnumFlags(d, args)
		}
		for _, e := range d.enum {
			if strings.EqualFold(e, args[0]) {
				return e, 0, nil
			}
		}
		return "", 0, errors.New("argument(s) must be one of the following: " + strings.Join(d.enum, ", "))
	case cfgString:
		if err := validString(d.name, args[0]); err != nil {
			return "", 0, err
		}
		return args[0], 0, nil
	}
	return "", 0, fmt.Errorf("directive %s has no parser", d.name)
}

// parseNumber is numericParseString: memory units for memory directives,
// N% for percent ones, octal for octal ones, a strict integer otherwise.
func (d *directive) parseNumber(v string) (int64, error) {
	if d.kind == cfgMemory {
		if n, err := redisconf.ParseMemory(v); err == nil {
			return n, nil
		}
		if d.flags&cfgPercent != 0 && len(v) > 1 && v[len(v)-1] == '%' {
			if n, err := redisconf.ParseInt(v[:len(v)-1]); err == nil && n >= 0 {
				return -n, nil
			}
			return 0, errors.New("argument must be a memory or percent value")
		}
		if d.flags&cfgPercent != 0 {
			return 0, errors.New("argument must be a memory or percent value")
		}
		return 0, errors.New("argument must be a memory value")
	}
	if d.flags&cfgOctal != 0 {
		n, err := strconv.ParseInt(v, 8, 64)
		if err != nil {
			return 0, errors.New("argument couldn't be parsed as an octal number")
		}
		return n, nil
	}
	n, err := redisconf.ParseInt(v)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// parseEnumFlags reads a multi-word enum of bit flags (shutdown-on-sigint):
// the words in any order, shown in table order, "default" alone for none.
func parseEnumFlags(d *directive, args []string) (string, int64, error) {
	set := map[string]bool{}
	for _, a := range args {
		found := false
		for _, e := range d.enum {
			if strings.EqualFold(e, a) {
				set[e], found = true, true
			}
		}
		if !found {
			return "", 0, errors.New("argument(s) must be one of the following: " + strings.Join(d.enum, ", "))
		}
	}
	if set["save"] && set["nosave"] {
		return "", 0, errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	var out []string
	for _, e := range d.enum[1:] {
		if set[e] {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return d.enum[0], 0, nil
	}
	return strings.Join(out, " "), 0, nil
}

// validString holds the extra checks Redis makes on some string values.
func validString(name, v string) error {
	switch name {
	case "dbfilename":
		if v != filepath.Base(v) || strings.ContainsRune(v, '/') {
			return errors.New("dbfilename can't be a path, just a filename")
		}
	case "appendfilename":
		if v == "" {
			return errors.New("appendfilename can't be empty")
		}
		if strings.ContainsRune(v, '/') {
			return errors.New("appendfilename can't be a path, just a filename")
		}
	case "appenddirname":
		if v == "" {
			return errors.New("appenddirname can't be empty")
		}
		if strings.ContainsRune(v, '/') {
			return errors.New("appenddirname can't be a path, just a dirname")
		}
	}
	return nil
}

// ---- special directives ---------------------------------------------------

func getBind(o *Options) string { return strings.Join(o.Bind, " ") }

func setBind(o *Options, args []string) error {
	if len(args) > 16 {
		return errors.New("Too many bind addresses specified.")
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	o.Bind = append([]string(nil), args...)
	return nil
}

func rewriteBind(o *Options) ([][]string, bool) {
	return [][]string{o.Bind}, getBind(o) != getBind(DefaultOptions())
}

// getDir is the absolute directory, as Redis's getcwd.
func getDir(o *Options) string {
	d, err := filepath.Abs(o.Dir)
	if err != nil {
		return o.Dir
	}
	return d
}

// setDir checks that the directory exists, as Redis's chdir does. warden
// does not change its working directory: persistence resolves its files
// against Options.Dir.
func setDir(o *Options, args []string) error {
	if len(args) != 1 {
		return errors.New("wrong number of arguments")
	}
	abs, err := filepath.Abs(args[0])
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(abs); err == nil && !st.IsDir() {
			err = syscall.ENOTDIR
		}
	}
	if err != nil {
		return errors.New(strerror(err))
	}
	o.Dir = abs
	return nil
}

// strerror renders err as C's strerror does ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

func getSave(o *Options) string {
	parts := make([]string, 0, 2*len(o.Save))
	for _, p := range o.Save {
		parts = append(parts, strconv.FormatInt(p.Seconds, 10), strconv.FormatInt(p.Changes, 10))
	}
	return strings.Join(parts, " ")
}

// setSave replaces the save points. A single "" means none.
func setSave(o *Options, args []string) error {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return errors.New("Invalid save parameters")
	}
	points := make([]SavePoint, 0, len(args)/2)
	for j := 0; j < len(args); j += 2 {
		secs, err1 := strconv.ParseInt(args[j], 10, 64)
		changes, err2 := strconv.ParseInt(args[j+1], 10, 64)
		if err1 != nil || err2 != nil || secs < 1 || changes < 0 {
			return errors.New("Invalid save parameters")
		}
		points = append(points, SavePoint{Seconds: secs, Changes: changes})
	}
	o.Save = points
	return nil
}

// rewriteSave writes one line per save point, or save "" so that the
// defaults do not come back on restart; always, as Redis does.
func rewriteSave(o *Options) ([][]string, bool) {
	if len(o.Save) == 0 {
		return [][]string{{""}}, true
	}
	lines := make([][]string, len(o.Save))
	for i, p := range o.Save {
		lines[i] = []string{strconv.FormatInt(p.Seconds, 10), strconv.FormatInt(p.Changes, 10)}
	}
	return lines, true
}

var outputClassNames = [3]string{"normal", "slave", "pubsub"}

func getOutputLimits(o *Options) string {
	parts := make([]string, 0, 3)
	for i, l := range o.OutputLimits {
		parts = append(parts, fmt.Sprintf("%s %d %d %d", outputClassNames[i], l.Hard, l.Soft, l.SoftSeconds))
	}
	return strings.Join(parts, " ")
}

// setOutputLimits reads "<class> <hard> <soft> <soft seconds>" groups; the
// classes not named keep their limits.
func setOutputLimits(o *Options, args []string) error {
	if len(args)%4 != 0 {
		return errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	limits := o.OutputLimits
	for j := 0; j < len(args); j += 4 {
		class := -1
		switch clientTypeByName(args[j]) {
		case clientTypeNormal:
			class = classNormal
		case clientTypeReplica:
			class = classReplica
		case clientTypePubsub:
			class = classPubsub
		}
		if class < 0 {
			return errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, err1 := redisconf.ParseMemory(args[j+1])
		soft, err2 := redisconf.ParseMemory(args[j+2])
		secs, err3 := strconv.ParseInt(args[j+3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
			return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		limits[class] = OutputLimit{Hard: hard, Soft: soft, SoftSeconds: int(secs)}
	}
	o.OutputLimits = limits
	return nil
}

// rewriteOutputLimits writes the classes that differ from the default.
func rewriteOutputLimits(o *Options) ([][]string, bool) {
	def := DefaultOptions().OutputLimits
	var lines [][]string
	for i, l := range o.OutputLimits {
		if l == def[i] {
			continue
		}
		lines = append(lines, []string{outputClassNames[i], redisconf.FormatMemory(l.Hard),
			redisconf.FormatMemory(l.Soft), strconv.Itoa(l.SoftSeconds)})
	}
	return lines, len(lines) > 0
}

func getNotify(o *Options) string {
	f, _ := ParseNotifyFlags(o.NotifyKeyspace)
	return FormatNotifyFlags(f)
}

func setNotify(o *Options, args []string) error {
	f, ok := ParseNotifyFlags(args[0])
	if !ok {
		return errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
	}
	o.NotifyKeyspace = FormatNotifyFlags(f)
	return nil
}

func getReplicaOf(o *Options) string {
	if o.MasterHost == "" {
		return ""
	}
	return o.MasterHost + " " + strconv.Itoa(o.MasterPort)
}

// setReplicaOf reads "<host> <port>" or "no one".
func setReplicaOf(o *Options, args []string) error {
	if len(args) != 2 {
		return errors.New("wrong number of arguments")
	}
	o.MasterHost, o.MasterPort = "", 0
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return nil
	}
	port, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || port < 0 || port > 65535 {
		return errors.New("Invalid master port")
	}
	o.MasterHost, o.MasterPort = args[0], int(port)
	return nil
}

func rewriteReplicaOf(o *Options) ([][]string, bool) {
	if o.MasterHost == "" {
		return nil, false
	}
	return [][]string{{o.MasterHost, strconv.Itoa(o.MasterPort)}}, true
}

func parseOOMScoreAdjValues(args []string) (string, error) {
	if len(args) != 3 {
		return "", errors.New("wrong number of arguments")
	}
	out := make([]string, 3)
	for i, a := range args {
		v, err := strconv.ParseInt(a, 10, 64)
		if err != nil || v < -2000 || v > 2000 {
			return "", errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		out[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(out, " "), nil
}

func parsePercentiles(args []string) (string, error) {
	if len(args) == 1 && args[0] == "" {
		return "", nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		v, ok := ParseFloat([]byte(a))
		if !ok {
			return "", errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if v < 0 || v > 100 {
			return "", errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		out[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(out, " "), nil
}

// rewriteLines is what CONFIG REWRITE writes for d, and whether it must be
// written when the file does not mention d yet (the value differs from the
// default).
func (d *directive) rewriteLines(o *Options) ([][]string, bool) {
	if d.bind != nil && d.bind.rewrite != nil {
		return d.bind.rewrite(o)
	}
	v := d.get(o)
	force := v != d.def
	if d.flags&cfgEmptyIsNull != 0 && v == "" {
		return nil, false
	}
	if d.flags&cfgMultiArg != 0 {
		words := strings.Fields(v)
		if len(words) == 0 {
			words = []string{""}
		}
		return [][]string{words}, force
	}
	if d.kind == cfgMemory && !strings.HasSuffix(v, "%") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			v = redisconf.FormatMemory(n)
		}
	}
	return [][]string{{v}}, force
}

// ---- CONFIG GET / SET / REWRITE / RESETSTAT ------------------------------

// configApply holds the run-time effects of changing a directive, by
// canonical name; other families add theirs in init. prev is the
// configuration before the CONFIG SET. An error undoes the whole command.
var configApply = map[string]func(s *Server, prev *Options) error{
	"requirepass": func(s *Server, prev *Options) error {
		// Without a password the default user is "nopass": every
		// connection counts as authenticated, as in Redis.
		if s.opts.RequirePass == "" {
			for _, c := range s.clients {
				c.authd = true
			}
		}
		return nil
	},
	"maxmemory": func(s *Server, prev *Options) error {
		if s.opts.MaxMemory > 0 {
			if used := s.usedMemory(); used > s.opts.MaxMemory {
				s.log.Warn("WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
					zap.Int64("maxmemory", s.opts.MaxMemory), zap.Int64("used", used))
			}
			s.performEvictions()
		}
		return nil
	},
	"maxmemory-policy": func(s *Server, prev *Options) error {
		s.admin.pool = nil // scores of another policy
		return nil
	},
	"hz": func(s *Server, prev *Options) error {
		s.opts.Hz = clampHz(s.opts.Hz)
		return nil
	},
	"slowlog-max-len": func(s *Server, prev *Options) error {
		s.trimSlowlog()
		return nil
	},
	// The listeners are gnet engines bound at start; moving them at run
	// time is not supported, so a change is refused (and undone).
	"bind": func(s *Server, prev *Options) error {
		return errors.New("warden cannot change its listeners at run time; set bind in the config file and restart")
	},
	"port": func(s *Server, prev *Options) error {
		return errors.New("warden cannot change its listeners at run time; set port in the config file and restart")
	},
}

// cloneOptions copies o deeply enough that setting directives on the copy
// leaves o untouched.
func cloneOptions(o *Options) *Options {
	c := *o
	c.Bind = append([]string(nil), o.Bind...)
	c.Save = append([]SavePoint(nil), o.Save...)
	c.Extra = make(map[string]string, len(o.Extra))
	for k, v := range o.Extra {
		c.Extra[k] = v
	}
	return &c
}

func configGetCommand(c *Client) {
	o := c.srv.opts
	type kv struct{ k, v string }
	var out []kv
	seen := map[string]bool{}
	add := func(name string, d *directive) {
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, kv{name, d.get(o)})
	}
	for _, a := range c.argv[2:] {
		pat := string(a)
		if !strings.ContainsAny(pat, "[*?") {
			if d := lookupDirective(pat); d != nil {
				add(pat, d)
			}
			continue
		}
		for _, d := range redisDirectives {
			if d.flags&cfgHidden != 0 {
				continue // hidden directives need their exact name
			}
			for _, name := range []string{d.name, d.alias} {
				if name != "" && ds.Match(a, []byte(name), true) {
					add(name, d)
				}
			}
		}
	}
	c.ReplyMap(len(out))
	for _, p := range out {
		c.ReplyBulkString(p.k)
		c.ReplyBulkString(p.v)
	}
}

// configSetCommand sets one or more directives atomically: every name is
// checked first, then all values are parsed on a copy of the options, then
// the copy is installed and the run-time effects applied; any failure
// leaves the configuration as it was. Errors are Redis 7.0's.
func configSetCommand(c *Client) {
	s := c.srv
	if len(c.argv)%2 != 0 {
		c.ReplyError(ErrSyntax)
		return
	}
	type pair struct {
		d     *directive
		given string
		value string
	}
	var pairs []pair
	var unknown, errArg, errStr string
	invalid := false
	seen := map[*directive]string{}
	for i := 2; i < len(c.argv); i += 2 {
		name := string(c.argv[i])
		d := lookupDirective(name)
		if d == nil {
			if !invalid {
				unknown, invalid = name, true
			}
			continue
		}
		if invalid {
			continue
		}
		if d.flags&cfgImmutable != 0 || (d.flags&cfgProtected != 0 && !allowProtected(s.opts.EnableProtectedConfigs, c)) {
			errStr = "can't set protected config"
			if d.flags&cfgImmutable != 0 {
				errStr = "can't set immutable config"
			}
			errArg, invalid = name, true
			continue
		}
		// A name and its alias count as different parameters, as in
		// Redis; the same name twice is refused.
		if prev, dup := seen[d]; dup && strings.EqualFold(prev, name) {
			errStr, errArg, invalid = "duplicate parameter", name, true
			continue
		}
		seen[d] = name
		pairs = append(pairs, pair{d: d, given: name, value: string(c.argv[i+1])})
	}
	if invalid {
		if unknown != "" {
			c.ReplyError(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", unknown))
		} else {
			c.ReplyError(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", errArg, errStr))
		}
		return
	}
	prev := cloneOptions(s.opts)
	next := cloneOptions(s.opts)
	var changed []*directive
	var values [][]string
	for _, p := range pairs {
		args := []string{p.value}
		if p.d.flags&cfgMultiArg != 0 {
			// CONFIG SET splits multi-word values on single spaces.
			args = strings.Split(p.value, " ")
		}
		before := p.d.get(next)
		if err := p.d.set(next, args); err != nil {
			name := p.d.name // an alias is its own entry in Redis's table
			if strings.EqualFold(p.given, p.d.alias) {
				name = p.d.alias
			}
			c.ReplyError(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, err))
			return
		}
		if p.d.get(next) != before {
			changed = append(changed, p.d)
			values = append(values, args)
		}
	}
	// Every value parsed: install them. Only the changed fields of the live
	// options are written, since other goroutines read the others.
	for i, d := range changed {
		_ = d.set(s.opts, values[i])
	}
	for _, d := range changed {
		apply := configApply[d.name]
		if apply == nil {
			continue
		}
		if err := apply(s, prev); err != nil {
			s.log.Warn("Failed applying new configuration. Restoring previous settings.",
				zap.String("event", "config-set-failed"), zap.String("directive", d.name), zap.Error(err))
			for _, u := range changed {
				_ = u.set(s.opts, u.argsOf(u.get(prev)))
			}
			for _, u := range changed {
				if f := configApply[u.name]; f != nil && u != d {
					_ = f(s, next)
				}
			}
			c.ReplyError(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", d.name, err))
			return
		}
	}
	c.ReplyOK()
}

// argsOf splits a CONFIG GET value back into set arguments.
func (d *directive) argsOf(v string) []string {
	if d.name == "replicaof" && v == "" {
		return []string{"no", "one"}
	}
	if d.flags&cfgMultiArg == 0 {
		return []string{v}
	}
	if words := strings.Fields(v); len(words) > 0 {
		return words
	}
	return []string{""}
}

// configRewriteCommand writes the running configuration into the file the
// node was started with, following CONFIG REWRITE's rules: directives
// already in the file are updated in place (removed if now unset), others
// are appended only when they differ from the default.
func configRewriteCommand(c *Client) {
	s := c.srv
	path := s.opts.ConfigFile
	if path == "" {
		c.ReplyError("ERR The server is running without a config file")
		return
	}
	present := map[string]string{} // canonical name -> spelling used in the file
	if old, err := redisconf.ParseFile(path); err == nil {
		for _, dir := range old {
			if dir.File != path {
				continue // in an included file, which REWRITE leaves alone
			}
			if d := lookupDirective(dir.Name); d != nil {
				if _, ok := present[d.name]; !ok || dir.Name == d.name {
					present[d.name] = dir.Name
				}
			}
		}
	}
	set := map[string][][]string{}
	var order []string
	for _, d := range redisDirectives {
		lines, force := d.rewriteLines(s.opts)
		key, inFile := present[d.name]
		if !inFile {
			key = d.name
		}
		if lines == nil {
			if inFile {
				set[key] = nil
				order = append(order, key)
			}
			continue
		}
		if !force && !inFile {
			continue
		}
		set[key] = lines
		order = append(order, key)
	}
	if err := redisconf.Rewrite(path, set, order); err != nil {
		s.log.Warn("CONFIG REWRITE failed", zap.String("event", "config-rewrite-failed"), zap.Error(err))
		c.ReplyError("ERR Rewriting config file: " + strerror(err))
		return
	}
	s.log.Info("CONFIG REWRITE executed with success.", zap.String("event", "config-rewrite"))
	c.ReplyOK()
}

// resetStatHooks let other families reset their INFO counters on CONFIG
// RESETSTAT (replication sync counts, ...).
var resetStatHooks []func(s *Server)

// configResetStatCommand zeroes the counters INFO reports, as Redis's
// resetServerStats, resetCommandTableStats and resetErrorTableStats.
func configResetStatCommand(c *Client) {
	s := c.srv
	st := &s.stats
	st.connectionsReceived, st.rejectedConns, st.commandsProcessed = 0, 0, 0
	st.expiredKeys, st.evictedKeys, st.keyspaceHits, st.keyspaceMisses = 0, 0, 0, 0
	st.netInput.Store(0)
	st.netOutput.Store(0)
	st.errorReplies = 0
	st.errorsByCode = map[string]int64{}
	st.cmdStats = map[string]*cmdStat{}
	s.admin.inst = instMetrics{}
	m := &s.admin.mem
	m.peak = s.usedMemory()
	m.exceededTotal = 0
	if !m.exceededSince.IsZero() {
		m.exceededSince = s.timeNow()
	}
	for _, f := range resetStatHooks {
		f(s)
	}
	c.ReplyOK()
}

func configHelpCommand(c *Client) {
	helpReply(c, []string{
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	})
}

// ---- loading -----------------------------------------------------------

// Directives Redis accepts that are not in the configuration table.
var (
	// deprecatedDirectives are silently accepted with one argument.
	deprecatedDirectives = map[string]bool{
		"list-max-ziplist-entries": true, "list-max-ziplist-value": true, "lua-replicate-commands": true,
	}
	// unsupportedDirectives are Redis features warden does not have: the
	// line is accepted and a warning logged. The value is the minimum
	// number of arguments Redis requires.
	unsupportedDirectives = map[string]int{"rename-command": 2, "user": 1, "loadmodule": 1}
)

// LoadConfig builds the options from a redis.conf file (path, may be
// empty) followed by command-line overrides (args, "--port 6380" style,
// as redis-server takes them). A directive warden accepts but ignores is
// logged as a warning; an unknown directive or a bad value fails with a
// *redisconf.LineError naming the file and line.
func LoadConfig(path string, args []string, log *zap.Logger) (*Options, error) {
	if log == nil {
		log = zap.NewNop()
	}
	o := DefaultOptions()
	var dirs []redisconf.Directive
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		o.ConfigFile = abs
		d, err := redisconf.ParseFile(path)
		if err != nil {
			return nil, err
		}
		dirs = d
	}
	if len(args) > 0 {
		d, err := redisconf.ParseArgs(args)
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, d...)
	}
	if err := applyDirectives(o, dirs, log); err != nil {
		return nil, err
	}
	return o, nil
}

// applyDirectives sets each directive in order, as loadServerConfigFromString.
func applyDirectives(o *Options, dirs []redisconf.Directive, log *zap.Logger) error {
	warned := map[string]bool{}
	warn := func(name string, msg string) {
		if !warned[name] {
			warned[name] = true
			log.Warn(msg, zap.String("event", "config-ignored"), zap.String("directive", name))
		}
	}
	saveSeen := false
	for _, dir := range dirs {
		fail := func(reason string) error {
			return &redisconf.LineError{File: dir.File, Line: dir.Line,
				Text: redisconf.FormatLine(append([]string{dir.Name}, dir.Args...)...), Reason: reason}
		}
		d := lookupDirective(dir.Name)
		if d == nil {
			switch n := len(dir.Args); {
			case deprecatedDirectives[dir.Name] && n == 1:
			case unsupportedDirectives[dir.Name] > 0 && n >= unsupportedDirectives[dir.Name] &&
				(dir.Name != "rename-command" || n == 2):
				warn(dir.Name, "directive not supported by warden, ignored")
			case strings.Contains(dir.Name, ".") && n >= 1:
				warn(dir.Name, "module configuration ignored: warden has no modules")
			case dir.Name == "sentinel":
				return fail("sentinel directive while not in sentinel mode")
			case strings.Contains(dir.Name, ".") && n == 0:
				return fail("Module config specified without value")
			default:
				return fail("Bad directive or wrong number of arguments")
			}
			continue
		}
		args := dir.Args
		if d.flags&cfgMultiArg == 0 && len(args) != 1 {
			return fail("wrong number of arguments")
		}
		if d.flags&cfgMultiArg != 0 && len(args) == 1 && args[0] != "" {
			// "--save '900 1'" style: one word holding several.
			words, err := redisconf.SplitArgs(args[0])
			if err != nil {
				return fail("Unbalanced quotes in configuration line")
			}
			args = words
		}
		if d.name == "save" {
			// The first save line replaces the default save points; the
			// following ones add to it.
			if !saveSeen {
				o.Save, saveSeen = nil, true
			}
			if len(args) == 1 && args[0] == "" {
				// save "" clears every save point so far, as in Redis.
				o.Save = nil
				continue
			}
			prev := o.Save
			if err := d.set(o, args); err != nil {
				return fail(err.Error())
			}
			o.Save = append(prev, o.Save...)
			continue
		}
		if err := d.set(o, args); err != nil {
			return fail(err.Error())
		}
		if d.bind == nil {
			warn(d.name, "directive accepted for compatibility, it has no effect in warden")
		}
	}
	o.Hz = clampHz(o.Hz)
	if o.LogFile != "" {
		f, err := os.OpenFile(o.LogFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("Can't open the log file: %s", strerror(err))
		}
		f.Close()
	}
	return nil
}

// directiveNames lists every directive name and alias (for tests).
func directiveNames() []string {
	names := make([]string, 0, len(directiveIndex))
	for n := range directiveIndex {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
