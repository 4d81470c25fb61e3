package proxy

import (
	"context"
	"sort"
	"time"
)

// Counters live in each loop, written only by that loop with plain
// (non-atomic) increments; Stats copies them on each loop (Execute) and
// merges the copies, so the hot path never locks and never shares a cache
// line with another loop.

// latencyBounds are the latency histogram's bucket bounds in seconds
// (Prometheus "le"), from 100 µs to 10 s.
var latencyBounds = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10}

var latencyBoundsNs = func() (b [len(latencyBounds)]int64) {
	for i, s := range latencyBounds {
		b[i] = int64(s * float64(time.Second))
	}
	return b
}()

// listenerCounters are one listener's counters in one loop.
type listenerCounters struct {
	conns    int64
	accepted uint64
	rejected uint64
	commands uint64
	errors   uint64
	lat      [len(latencyBounds) + 1]uint64 // per bucket, the last is +Inf
	latCount uint64
	latSum   int64 // ns
}

func (c *listenerCounters) observe(ns int64) {
	i := 0
	for i < len(latencyBoundsNs) && ns > latencyBoundsNs[i] {
		i++
	}
	c.lat[i]++
	c.latCount++
	c.latSum += ns
}

func (c *listenerCounters) add(o *listenerCounters) {
	c.conns += o.conns
	c.accepted += o.accepted
	c.rejected += o.rejected
	c.commands += o.commands
	c.errors += o.errors
	for i := range c.lat {
		c.lat[i] += o.lat[i]
	}
	c.latCount += o.latCount
	c.latSum += o.latSum
}

type backendKey struct {
	group int
	addr  string
}

type backendSnap struct {
	conns    int
	inflight int64
	commands uint64
	errors   uint64
	down     bool
}

type loopSnapshot struct {
	listeners []listenerCounters
	backends  map[backendKey]backendSnap
}

// snapshot copies the loop's counters (on the loop).
func (lp *loop) snapshot() loopSnapshot {
	s := loopSnapshot{
		listeners: append([]listenerCounters(nil), lp.lnStats...),
		backends:  make(map[backendKey]backendSnap),
	}
	// In flight means written and unanswered: what is queued for the end
	// of the iteration has not reached the node and can still be held.
	unsent := make(map[*node]int64)
	for _, bc := range lp.conns {
		if bc.unsent > 0 {
			unsent[bc.nd] += int64(bc.unsent)
		}
	}
	for _, lg := range lp.groups {
		for addr, nd := range lg.nodes {
			s.backends[backendKey{lg.g.idx, addr}] = backendSnap{conns: nd.conns, inflight: nd.outstanding - unsent[nd],
				commands: nd.commands, errors: nd.errors, down: nd.downUntil > lp.now}
		}
	}
	return s
}

// Stats merges the loops' counters with the topologies and the failover
// history. A loop too busy to answer within a second is left out.
func (p *Proxy) Stats() StatsSnapshot {
	now := time.Now()
	loops := *p.loops.Load()
	ch := make(chan loopSnapshot, len(loops))
	asked := 0
	if !p.closing.Load() {
		for _, lp := range loops {
			lp := lp
			if err := lp.el.Execute(context.Background(), runFunc(func() { lp.now = p.now(); ch <- lp.snapshot() })); err == nil {
				asked++
			}
		}
	}
	snaps := make([]loopSnapshot, 0, asked)
	timeout := time.After(statsTimeout)
collect:
	for i := 0; i < asked; i++ {
		select {
		case s := <-ch:
			snaps = append(snaps, s)
		case <-timeout:
			break collect
		}
	}
	out := StatsSnapshot{Taken: now, Uptime: now.Sub(p.base)}
	for _, l := range p.lns {
		var c listenerCounters
		for i := range snaps {
			c.add(&snaps[i].listeners[l.idx])
		}
		ls := ListenerStats{Group: l.g.name, Role: l.role.String(), Addr: l.addr, Conns: c.conns,
			Accepted: c.accepted, Rejected: c.rejected, Commands: c.commands, Errors: c.errors,
			LatencyCount: c.latCount, LatencySum: float64(c.latSum) / float64(time.Second)}
		var cum uint64
		for i, le := range latencyBounds {
			cum += c.lat[i]
			ls.LatencyBuckets = append(ls.LatencyBuckets, Bucket{Le: le, Count: cum})
		}
		out.Listeners = append(out.Listeners, ls)
	}
	for _, g := range p.groups {
		gs := GroupStats{Held: int(g.held.Load())}
		t := g.topo.Load()
		if t != nil {
			gs.Topology = *t
			gs.Topology.Replicas = append([]Replica(nil), t.Replicas...)
		}
		merged := make(map[string]*BackendStats)
		var order []string
		for i := range snaps {
			for k, b := range snaps[i].backends {
				if k.group != g.idx {
					continue
				}
				m := merged[k.addr]
				if m == nil {
					m = &BackendStats{Addr: k.addr, Role: roleOf(t, k.addr), Healthy: true}
					merged[k.addr] = m
					order = append(order, k.addr)
				}
				m.Conns += b.conns
				m.Inflight += b.inflight
				m.Commands += b.commands
				m.Errors += b.errors
				m.Healthy = m.Healthy && !b.down
			}
		}
		sort.Strings(order)
		for _, a := range order {
			gs.Backends = append(gs.Backends, *merged[a])
		}
		g.foMu.Lock()
		gs.FailoverCount = g.fo.switches
		out.Failovers = append(out.Failovers, g.fo.records()...)
		g.foMu.Unlock()
		out.Groups = append(out.Groups, gs)
	}
	sort.SliceStable(out.Failovers, func(i, j int) bool { return out.Failovers[i].Detected.Before(out.Failovers[j].Detected) })
	return out
}

// roleOf names a node's role in a topology.
func roleOf(t *Topology, addr string) string {
	if t == nil {
		return "unknown"
	}
	if t.Master == addr {
		return "master"
	}
	for _, r := range t.Replicas {
		if r.Addr == addr {
			return "replica"
		}
	}
	return "unknown"
}
