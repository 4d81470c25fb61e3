package proxy

import (
	"sync/atomic"
	"time"
)

// MasterState says how far the proxy trusts a group's master.
type MasterState uint8

const (
	// MasterUnknown: no master confirmed yet (start-up). Write-port
	// requests are held (failover-hold) or refused.
	MasterUnknown MasterState = iota
	// MasterConfirmed: a majority of sentinels (or the embedded sentinel,
	// or the static checks) name Master and the node itself reports
	// role:master. Writes flow to it.
	MasterConfirmed
	// MasterChanging: the confirmed master is no longer trusted (a
	// +switch-master / +odown, a -READONLY/-MASTERDOWN/-LOADING reply from
	// it, a node no longer reporting role:master) and no successor is
	// confirmed yet. No new request goes to Master; write-port requests
	// wait in the bounded hold queue.
	MasterChanging
)

func (s MasterState) String() string {
	switch s {
	case MasterConfirmed:
		return "confirmed"
	case MasterChanging:
		return "changing"
	}
	return "unknown"
}

// Replica is one replica as the topology source sees it.
type Replica struct {
	Addr    string // host:port
	LinkUp  bool   // master_link_status:up
	Loading bool   // loading:1 or -LOADING
	// LagBytes is how far the replica's offset trails the master's
	// (master_repl_offset - slave_repl_offset), -1 when unknown.
	LagBytes int64
	// LagSeconds is the lag INFO reports on the master (slaveN:...,lag=),
	// -1 when unknown.
	LagSeconds int64
	// Down is set when the source considers the replica unreachable
	// (s_down, disconnected, failed checks).
	Down bool
}

// Topology is one master group's state at a moment: immutable once
// published; event loops read it through an atomic pointer and never
// lock on the hot path.
type Topology struct {
	Group string
	// Master is the confirmed master's host:port; during MasterChanging
	// it is the master that was confirmed last (never to be used for new
	// requests), "" if none ever was.
	Master string
	State  MasterState
	// Generation increases with every published topology of the group.
	Generation uint64
	// Since is when State last changed.
	Since    time.Time
	Replicas []Replica
	// Reason says why the state last changed (for logs and /status).
	Reason string
}

// Source produces a group's topology: an embedded sentinel, external
// sentinels, or static active checks (source_*.go). Start begins
// publishing through publish (called from the source's own goroutines,
// never concurrently for one group); Recheck asks for an immediate
// re-evaluation (the data path calls it on -READONLY, -MASTERDOWN,
// -LOADING from the write backend; it must not block); Close stops it.
type Source interface {
	Start(publish func(*Topology)) error
	Recheck(reason string)
	Close() error
}

// topologyCell holds a group's current topology for lock-free reads.
type topologyCell struct{ p atomic.Pointer[Topology] }

func (c *topologyCell) Load() *Topology   { return c.p.Load() }
func (c *topologyCell) Store(t *Topology) { c.p.Store(t) }
