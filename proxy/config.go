package proxy

import "time"

// Config is the proxy's configuration (`warden proxy -c proxy.yaml`); the
// YAML keys are the yaml tags. Defaults are applied by DefaultConfig and
// (*Config).Normalize.
type Config struct {
	// HTTP is the address of the stats and metrics server ("" = off);
	// default 127.0.0.1:8404.
	HTTP string `yaml:"http"`
	// RequirePass protects every listener (clients send AUTH / HELLO
	// AUTH); never logged.
	RequirePass string `yaml:"requirepass"`
	MaxClients  int    `yaml:"maxclients"`
	// ClientIdleTimeout closes idle client connections (0 = never).
	ClientIdleTimeout time.Duration `yaml:"client-idle-timeout"`
	// ClientOutputLimit cuts off a client whose pending replies exceed it
	// (bytes).
	ClientOutputLimit int64 `yaml:"client-output-limit"`
	// Bind applies to every listener given as a bare port.
	Bind   string        `yaml:"bind"`
	Groups []GroupConfig `yaml:"groups"`
	// Logging.
	LogFile  string `yaml:"logfile"`
	LogLevel string `yaml:"loglevel"`
}

// GroupConfig is one master group: its listeners and where its topology
// comes from.
type GroupConfig struct {
	Name  string `yaml:"name"`  // the sentinel master name, e.g. mymaster
	Write string `yaml:"write"` // write listener address, e.g. 127.0.0.1:5000
	Read  string `yaml:"read"`  // read listener address ("" = none)
	Smart string `yaml:"smart"` // optional: reads to replicas, the rest to the master

	// Exactly one topology source:
	Embedded  *EmbeddedConfig `yaml:"embedded-sentinel"`
	Sentinels *ExternalConfig `yaml:"sentinels"`
	Static    *StaticConfig   `yaml:"static"`

	// Credentials the proxy uses towards the nodes (masterauth-style).
	NodeUser string `yaml:"node-user"`
	NodePass string `yaml:"node-pass"`

	// FailoverHold bounds how long write-port requests wait for a new
	// master (default 5s); HoldQueue bounds how many (default 10000).
	FailoverHold time.Duration `yaml:"failover-hold"`
	HoldQueue    int           `yaml:"hold-queue"`
	// MaxReplicaLag excludes replicas lagging more than this (bytes of
	// offset; default 1 MiB) from the read port.
	MaxReplicaLag int64 `yaml:"max-replica-lag"`
	// ReadBalance is "round-robin" (default) or "least-outstanding".
	ReadBalance string `yaml:"read-balance"`
	// ReadFallback sends reads to the master when no replica is healthy
	// (default true).
	ReadFallback *bool `yaml:"read-fallback"`
	// BackendConnectTimeout and BackendReplyTimeout bound backend dials
	// and replies (defaults 1s and 10s; blocking commands excepted).
	BackendConnectTimeout time.Duration `yaml:"backend-connect-timeout"`
	BackendReplyTimeout   time.Duration `yaml:"backend-reply-timeout"`
}

// EmbeddedConfig runs a sentinel in-process: a full member of the quorum
// with its own client port and its own sentinel.conf (which it rewrites).
type EmbeddedConfig struct {
	ConfigFile string `yaml:"config"` // sentinel.conf path (required)
}

// ExternalConfig follows external sentinels (real or warden).
type ExternalConfig struct {
	Addrs        []string      `yaml:"addrs"`
	User         string        `yaml:"user"`
	Pass         string        `yaml:"pass"`
	PollInterval time.Duration `yaml:"poll-interval"`
}

// StaticConfig lists the nodes and checks them HAProxy-style (PING + INFO
// replication every Interval; a node is down after Fall failed checks and
// up again after Rise good ones).
type StaticConfig struct {
	Nodes    []string      `yaml:"nodes"`
	Interval time.Duration `yaml:"interval"`
	Fall     int           `yaml:"fall"`
	Rise     int           `yaml:"rise"`
}
