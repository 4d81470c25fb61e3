package proxy

import "time"

// StatsSnapshot is what /metrics, /status and the stats page render: a
// copy taken on request, merged from the event loops' own counters (which
// are never locked on the hot path).
type StatsSnapshot struct {
	Taken     time.Time
	Uptime    time.Duration
	Listeners []ListenerStats
	Groups    []GroupStats
	Failovers []FailoverRecord // most recent last, bounded history
}

// ListenerStats is one listener's counters.
type ListenerStats struct {
	Group, Role, Addr string // Role: write, read, smart
	Conns             int64  // open client connections
	Accepted          uint64
	Rejected          uint64 // maxclients, AUTH failures
	Commands          uint64
	Errors            uint64 // error replies sent (own and forwarded)
	// Latency of forwarded commands (request in to reply out), as
	// cumulative buckets in seconds for a Prometheus histogram.
	LatencyBuckets []Bucket
	LatencyCount   uint64
	LatencySum     float64 // seconds
}

// Bucket is one cumulative histogram bucket: Count observations <= Le
// seconds.
type Bucket struct {
	Le    float64
	Count uint64
}

// GroupStats is one group's topology and backend health.
type GroupStats struct {
	Topology Topology
	Backends []BackendStats
	Held     int // requests waiting in the failover hold queue now
	// FailoverCount counts the group's master changes since start: the
	// history in StatsSnapshot.Failovers is bounded, a counter must not be.
	FailoverCount uint64
}

// BackendStats is one backend node as the data path uses it.
type BackendStats struct {
	Addr     string
	Role     string // master, replica
	Healthy  bool
	Conns    int   // open backend connections (all loops)
	Inflight int64 // requests written to the node and not answered yet
	Commands uint64
	Errors   uint64
}

// FailoverRecord is one master change as the proxy lived it: the failover
// timeline in the logs and on /status.
type FailoverRecord struct {
	Group    string
	From, To string
	Detected time.Time // master no longer trusted
	Switched time.Time // new master confirmed
	Resumed  time.Time // first write acknowledged by the new master
	Held     int       // requests that waited in the hold queue
	Expired  int       // requests refused after failover-hold
}
