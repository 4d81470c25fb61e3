package backend

import "time"

// Options is the node's configuration: one field per redis.conf directive
// warden implements. The zero value is not meaningful; start from
// DefaultOptions, which holds Redis 7.0's defaults. Fields that CONFIG SET
// may change at run time are read under the server lock.
type Options struct {
	// SentinelMode makes the node a Redis Sentinel's client port, as
	// redis-server --sentinel: the sentinel command table, HELLO and INFO
	// in their sentinel forms, and no persistence (sentinelmode.go).
	SentinelMode bool

	Bind          []string // addresses to listen on; default loopback only
	Port          int
	ProtectedMode bool
	RequirePass   string
	Databases     int
	MaxClients    int
	Timeout       time.Duration // idle client timeout; 0 = never
	TCPKeepAlive  time.Duration
	Hz            int
	LogFile       string // "" = stdout
	LogLevel      string // debug, verbose, notice, warning
	Dir           string
	DBFilename    string
	Daemonize     bool
	PidFile       string
	ConfigFile    string // absolute path of the file read at start, for CONFIG REWRITE
	ProtoMaxBulk  int64
	QueryBufLimit int64
	OutputLimits  [3]OutputLimit // normal, replica, pubsub
	MaxMemory     int64
	MaxMemPolicy  string
	MaxMemSamples int
	// The deletions expiry and eviction make are propagated as UNLINK
	// instead of DEL (lazyfree-lazy-expire, lazyfree-lazy-eviction). Go's
	// collector frees memory in the background either way.
	LazyfreeExpire   bool
	LazyfreeEviction bool
	NotifyKeyspace   string // notify-keyspace-events flags as given
	SlowlogSlower    int64  // microseconds; negative disables
	SlowlogMaxLen    int
	// Encoding thresholds of the small collection encodings (see
	// t_hash.go and t_set.go): hash-max-listpack-entries,
	// hash-max-listpack-value (bytes) and set-max-intset-entries.
	HashMaxListpackEntries int
	HashMaxListpackValue   int
	SetMaxIntsetEntries    int
	// zset-max-listpack-entries and zset-max-listpack-value (bytes): a
	// sorted set reports "listpack" while within both (see t_zset.go).
	ZsetMaxListpackEntries int
	ZsetMaxListpackValue   int

	// The fields below are parsed by config.go (file, command line, CONFIG
	// SET); the features that use them read them under the server lock.
	TCPBacklog              int
	Save                    []SavePoint // RDB save points; empty = no automatic saves
	StopWritesOnBgsaveError bool
	RDBCompression          bool
	RDBChecksum             bool
	AppendOnly              bool
	AppendFsync             string // always, everysec, no
	AppendFilename          string
	AppendDirname           string
	AOFLoadTruncated        bool
	AOFUseRDBPreamble       bool
	AOFTimestampEnabled     bool
	NoAppendfsyncOnRewrite  bool
	AutoAOFRewritePercent   int
	AutoAOFRewriteMinSize   int64

	// Replication.
	MasterHost                  string // replicaof host; "" = this node is a master
	MasterPort                  int
	MasterAuth                  string
	MasterUser                  string
	ReplicaReadOnly             bool
	ReplicaServeStaleData       bool
	ReplPingPeriod              time.Duration
	ReplTimeout                 time.Duration
	ReplBacklogSize             int64
	ReplBacklogTTL              time.Duration
	ReplDisklessSync            bool
	ReplDisklessSyncDelay       time.Duration
	ReplDisklessSyncMaxReplicas int
	ReplDisklessLoad            string // disabled, on-empty-db, swapdb
	ReplDisableTCPNoDelay       bool
	MinReplicasToWrite          int
	MinReplicasMaxLag           time.Duration
	ReplicaPriority             int
	ReplicaAnnounceIP           string
	ReplicaAnnouncePort         int
	ReplicaAnnounced            bool
	ReplicaLazyFlush            bool
	ReplicaIgnoreMaxmemory      bool
	ShutdownTimeout             time.Duration

	// Encoding thresholds (OBJECT ENCODING follows them).
	ListMaxListpackSize  int
	ListCompressDepth    int
	StreamNodeMaxBytes   int64
	StreamNodeMaxEntries int64

	// Eviction and protection.
	MaxMemTenacity         int
	LFULogFactor           int
	LFUDecayTime           int    // minutes
	EnableDebugCommand     string // no, yes, local
	EnableProtectedConfigs string // no, yes, local

	// Directives that were accepted for compatibility; kept so CONFIG GET
	// answers them. Keys are lower-case directive names.
	Extra map[string]string
}

// OutputLimit is one class of client-output-buffer-limit.
type OutputLimit struct {
	Hard, Soft  int64
	SoftSeconds int
}

// Client classes for OutputLimits.
const (
	classNormal = iota
	classReplica
	classPubsub
)

// DefaultOptions returns Redis 7.0's defaults.
func DefaultOptions() *Options {
	return &Options{
		Bind:          []string{"127.0.0.1", "-::1"},
		Port:          6379,
		ProtectedMode: true,
		Databases:     16,
		MaxClients:    10000,
		TCPKeepAlive:  300 * time.Second,
		Hz:            10,
		LogLevel:      "notice",
		Dir:           ".",
		DBFilename:    "dump.rdb",
		ProtoMaxBulk:  512 << 20,
		QueryBufLimit: 1 << 30,
		OutputLimits: [3]OutputLimit{
			{},
			{Hard: 256 << 20, Soft: 64 << 20, SoftSeconds: 60},
			{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60},
		},
		MaxMemPolicy:           "noeviction",
		MaxMemSamples:          5,
		SlowlogSlower:          10000,
		SlowlogMaxLen:          128,
		HashMaxListpackEntries: 512, // Redis 7.0's compiled-in default (redis.conf says the same)
		HashMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		ZsetMaxListpackEntries: 128,
		ZsetMaxListpackValue:   64,
		Extra:                  map[string]string{},

		TCPBacklog:              511,
		Save:                    []SavePoint{{3600, 1}, {300, 100}, {60, 10000}},
		StopWritesOnBgsaveError: true,
		RDBCompression:          true,
		RDBChecksum:             true,
		AppendFsync:             "everysec",
		AppendFilename:          "appendonly.aof",
		AppendDirname:           "appendonlydir",
		AOFLoadTruncated:        true,
		AOFUseRDBPreamble:       true,
		AutoAOFRewritePercent:   100,
		AutoAOFRewriteMinSize:   64 << 20,

		ReplicaReadOnly:        true,
		ReplicaServeStaleData:  true,
		ReplPingPeriod:         10 * time.Second,
		ReplTimeout:            60 * time.Second,
		ReplBacklogSize:        1 << 20,
		ReplBacklogTTL:         3600 * time.Second,
		ReplDisklessSync:       true,
		ReplDisklessSyncDelay:  5 * time.Second,
		ReplDisklessLoad:       "disabled",
		MinReplicasMaxLag:      10 * time.Second,
		ReplicaPriority:        100,
		ReplicaAnnounced:       true,
		ReplicaIgnoreMaxmemory: true,
		ShutdownTimeout:        10 * time.Second,

		ListMaxListpackSize:  -2,
		StreamNodeMaxBytes:   4096,
		StreamNodeMaxEntries: 100,

		MaxMemTenacity:         10,
		LFULogFactor:           10,
		LFUDecayTime:           1,
		EnableDebugCommand:     "no",
		EnableProtectedConfigs: "no",
	}
}

// SavePoint is one "save <seconds> <changes>" rule: snapshot when at least
// Changes writes happened in the last Seconds seconds.
type SavePoint struct {
	Seconds int64
	Changes int64
}
