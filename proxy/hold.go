package proxy

import (
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/routing"
)

// Failover handling on the data path.
//
// Each loop keeps, per group, the master it writes to (loopGroup.master),
// derived from the group's published Topology and from what the loop itself
// saw of that master:
//
//   - MasterConfirmed: writes go to Topology.Master.
//   - MasterChanging / MasterUnknown: write-port requests (and every
//     master-bound request of the smart and read ports) wait in the loop's
//     hold queue, in arrival order, at most failover-hold; when a master is
//     confirmed the queue is flushed to it before any newer request, so a
//     client's writes keep their order. A request that waits longer gets
//     "-TRYAGAIN failover in progress: ..." (TRYAGAIN: it surely did not
//     run, and clients such as go-redis retry it). A full queue (hold-queue
//     requests over all loops) refuses at once with the same error class.
//   - Suspect: the loop stops trusting a confirmed master on its own when
//     a connection to it is refused or lost, when it answers -READONLY,
//     -MASTERDOWN or -LOADING to a write, or when a fresh connection's ROLE
//     does not say master. Writes are then held as above, the Source is
//     asked to re-check (Recheck, rate-limited), and the suspicion ends
//     with the next published topology or with a ROLE probe (every 200 ms
//     while requests wait) that finds the node master again.
//
// What is retried and what is not: a request is moved to the hold queue
// (and later sent to the new master) only when it surely did not run: it
// was never written (queued behind a dial that failed, or still in the
// loop's batch when the master stopped being trusted), or the master
// refused it with -READONLY, -MASTERDOWN or -LOADING, which Redis answers
// before executing anything. A request written to a master whose
// connection then dropped or timed out may have run: it gets an error reply
// saying so, never a silent retry (that could apply a write twice).
//
// Nothing is written to a master from the moment the loop sees it is no
// longer confirmed: the batch written at the end of each loop iteration
// checks the topology again, and requests still in it go to the hold queue.
// Connections pinned to that master (MULTI, WATCH, SUBSCRIBE, SELECT,
// HELLO 3...) are closed together with their clients, since their state on
// the old master cannot move; the clients reconnect, as after a Redis
// failover.

// loopGroup is a group as one loop sees it.
type loopGroup struct {
	lp *loop
	g  *group

	nodes map[string]*node

	topo     *Topology // the topology master and replicas were derived from
	master   *node     // where writes go; nil while none is usable
	replicas []*node   // replicas fit for reads
	cands    []routing.Candidate
	bal      *routing.Balancer

	hold    slotQueue
	stalled []*client // clients waiting for a master to start a pin

	suspect     *node
	lastProbe   int64
	lastRecheck int64
	awaitResume bool // a failover switched: the first acknowledged write closes its record
}

func newLoopGroup(lp *loop, g *group) *loopGroup {
	bal, _ := routing.NewBalancer(g.balance) // checked in New
	return &loopGroup{lp: lp, g: g, nodes: make(map[string]*node), bal: bal}
}

// node returns the loop's node for addr, creating it.
func (lg *loopGroup) node(addr string) *node {
	nd := lg.nodes[addr]
	if nd == nil {
		nd = &node{addr: addr, lg: lg}
		lg.nodes[addr] = nd
	}
	return nd
}

// masterNode is the hot path's question: where do writes go now? nil means
// hold.
func (lg *loopGroup) masterNode() *node {
	if t := lg.g.topo.Load(); t != lg.topo {
		lg.refresh()
	}
	return lg.master
}

// refresh derives master and replicas from the group's current topology
// and reacts to what changed.
func (lg *loopGroup) refresh() {
	t := lg.g.topo.Load()
	if t == nil || t == lg.topo {
		return
	}
	old := lg.topo
	lg.topo = t
	if lg.suspect != nil && (old == nil || t.Generation != old.Generation) {
		lg.suspect = nil // the source re-evaluated: trust it again
	}
	oldMaster := lg.master
	lg.derive()
	if lg.master != nil && lg.master != oldMaster {
		lg.awaitResume = true // closes the failover record, if one is open
	}
	lg.dropStalePins()
	lg.masterAvailable()
}

// derive computes master and replicas from lg.topo and lg.suspect.
func (lg *loopGroup) derive() {
	t := lg.topo
	lg.master = nil
	if t.State == MasterConfirmed && t.Master != "" {
		if m := lg.node(t.Master); m != lg.suspect {
			lg.master = m
		}
	}
	lg.replicas = lg.replicas[:0]
	for i := range t.Replicas {
		r := &t.Replicas[i]
		if r.Down || !r.LinkUp || r.Loading || r.Addr == t.Master {
			continue
		}
		if lg.g.maxLag > 0 && r.LagBytes > lg.g.maxLag {
			continue
		}
		lg.replicas = append(lg.replicas, lg.node(r.Addr))
	}
}

// masterAvailable flushes the hold queue and wakes clients waiting for a
// master, once there is one.
func (lg *loopGroup) masterAvailable() {
	if lg.master == nil {
		return
	}
	lg.flushHold()
	if len(lg.stalled) > 0 {
		st := lg.stalled
		lg.stalled = nil
		for _, cl := range st {
			cl.stallMaster = false
			lg.lp.wake(cl)
		}
	}
}

// dropStalePins closes private connections (and their pinned clients) to
// nodes that no longer hold the role they were pinned for, and, once
// another master is confirmed, the shared connections to the old one: a
// master paused past its failover (SIGSTOP) would otherwise answer the
// writes still queued on them when it resumes, acknowledging writes the
// new master never got. Their requests get the "may or may not have run"
// error instead.
func (lg *loopGroup) dropStalePins() {
	for i := 0; i < len(lg.lp.conns); i++ {
		bc := lg.lp.conns[i]
		if bc.lg != lg || bc.state == bcClosed {
			continue
		}
		if !bc.private {
			if bc.forMaster && lg.master != nil && bc.nd != lg.master {
				lg.lp.p.log.Info("closing shared connections to a replaced master",
					zap.String("event", "old-master-conn-closed"), zap.String("group", lg.g.name),
					zap.String("node", bc.nd.addr))
				lg.lp.backendFail(bc, "node is no longer the master", failStale)
				i--
			}
			continue
		}
		stale := false
		if bc.forMaster {
			stale = bc.nd != lg.master
		} else {
			stale = bc.nd != lg.master && !lg.isReplica(bc.nd)
		}
		if stale {
			lg.lp.p.log.Info("closing a connection pinned to a node that changed role",
				zap.String("event", "pinned-conn-closed"), zap.String("group", lg.g.name),
				zap.String("node", bc.nd.addr))
			lg.lp.backendFail(bc, "node changed role", failStale)
			i--
		}
	}
}

func (lg *loopGroup) isReplica(nd *node) bool {
	for _, r := range lg.replicas {
		if r == nd {
			return true
		}
	}
	return false
}

// setSuspect stops writes to nd until the topology changes or a probe
// finds it master again.
func (lg *loopGroup) setSuspect(nd *node, why string) {
	if lg.suspect == nd {
		return
	}
	if lg.topo == nil || lg.topo.Master != nd.addr {
		return // not the master: nothing to suspect
	}
	lg.suspect = nd
	lg.lastProbe = lg.lp.now
	if lg.master == nd {
		lg.master = nil
	}
	lg.lp.p.log.Warn("master suspect: holding writes and asking for a re-check",
		zap.String("event", "master-suspect"), zap.String("group", lg.g.name),
		zap.String("master", nd.addr), zap.String("reason", why))
	lg.lp.p.noteSuspect(lg.g, nd.addr)
	lg.recheck(why + " " + nd.addr)
	lg.dropStalePins()
}

// recheck asks the source for an immediate re-evaluation (rate-limited).
func (lg *loopGroup) recheck(reason string) {
	if lg.lp.now-lg.lastRecheck < int64(recheckInterval) && lg.lastRecheck != 0 {
		return
	}
	lg.lastRecheck = lg.lp.now
	lg.g.src.Recheck(reason)
}

// probeResult ends or keeps a suspicion after a ROLE answer.
func (lg *loopGroup) probeResult(nd *node, master bool) {
	nd.probing = false
	if lg.suspect != nd {
		return
	}
	if !master {
		lg.recheck("not-master")
		return
	}
	lg.suspect = nil
	lg.lp.p.log.Info("master answers ROLE master again: resuming writes",
		zap.String("event", "master-trusted"), zap.String("group", lg.g.name), zap.String("master", nd.addr))
	lg.derive()
	if lg.master != nil {
		lg.awaitResume = true
		lg.lp.p.noteRecovered(lg.g, nd.addr)
	}
	lg.masterAvailable()
}

// holdSlot puts a request that surely did not run into the hold queue;
// raw is copied. It returns false when the queue is full or holding is
// off (the caller answers an error).
func (lg *loopGroup) holdSlot(s *slot, raw []byte) bool {
	if lg.g.hold < 0 || lg.g.held.Load() >= lg.g.holdQueue {
		return false
	}
	lg.g.held.Add(1)
	s.req = append(s.req[:0], raw...)
	s.sent = lg.lp.now // hold start
	s.bc = nil
	if s.cl != nil {
		s.cl.held++
	}
	lg.hold.push(s)
	lg.lp.p.noteHeld(lg.g, 1)
	return true
}

// flushHold sends every held request to the master, oldest first.
func (lg *loopGroup) flushHold() {
	m := lg.master
	if m == nil || lg.hold.len() == 0 {
		return
	}
	n := lg.hold.len()
	for lg.hold.len() > 0 {
		s := lg.hold.pop()
		lg.g.held.Add(-1)
		if s.cl == nil {
			lg.lp.freeSlot(s) // its client left: the request never runs
			continue
		}
		s.cl.held--
		bc := lg.lp.sharedConn(m, true)
		lg.lp.enqueueSlot(bc, s, s.req)
	}
	lg.lp.p.log.Info("hold queue flushed to the master", zap.String("event", "failover-resumed-flush"),
		zap.String("group", lg.g.name), zap.String("master", m.addr), zap.Int("requests", n))
}

// tick expires held requests and stalled clients and probes a suspect
// master.
func (lg *loopGroup) tick() {
	lg.refresh()
	lp := lg.lp
	if lg.g.hold >= 0 {
		expired := 0
		for lg.hold.len() > 0 {
			s := lg.hold.front()
			if lp.now-s.sent < lg.g.hold {
				break
			}
			lg.hold.pop()
			lg.g.held.Add(-1)
			if s.cl == nil {
				lp.freeSlot(s)
				continue
			}
			s.cl.held--
			expired++
			lp.completeLocal(s, replyHoldExpired)
		}
		if expired > 0 {
			lp.p.noteExpired(lg.g, expired)
		}
		if len(lg.stalled) > 0 {
			keep := lg.stalled[:0]
			for _, cl := range lg.stalled {
				if cl.closing || !cl.stallMaster {
					continue
				}
				if lp.now-cl.stallSince >= lg.g.hold {
					cl.stallMaster = false
					cl.stallExpired = true
					lp.wake(cl)
					continue
				}
				keep = append(keep, cl)
			}
			clear(lg.stalled[len(keep):])
			lg.stalled = keep
		}
	}
	if nd := lg.suspect; nd != nil && !nd.probing && (lg.hold.len() > 0 || len(lg.stalled) > 0) &&
		lp.now-lg.lastProbe >= int64(probeInterval) && lg.topo != nil &&
		lg.topo.State == MasterConfirmed && lg.topo.Master == nd.addr {
		lg.lastProbe = lp.now
		lp.probe(nd)
	}
}

// failoverTracker turns topology changes and data-path events into the
// failover timeline (FailoverRecord). It is pure: callers hold the group's
// foMu and log what it reports.
type failoverTracker struct {
	open    *FailoverRecord
	history []FailoverRecord
	// switches counts master changes since start (the history is
	// bounded, so it cannot be counted from it).
	switches uint64
}

// topology observes a newly published topology of group. detected: the
// confirmed master stopped being trusted; switched: a master was confirmed
// after that.
func (f *failoverTracker) topology(group string, prev, t *Topology, now time.Time) (detected, switched bool) {
	prevConfirmed := prev != nil && prev.State == MasterConfirmed && prev.Master != ""
	if prevConfirmed && (t.State != MasterConfirmed || t.Master != prev.Master) &&
		(f.open == nil || !f.open.Switched.IsZero()) {
		f.start(group, prev.Master, now)
		detected = true
	}
	if f.open != nil && f.open.Switched.IsZero() && t.State == MasterConfirmed && t.Master != "" {
		f.open.To = t.Master
		f.open.Switched = now
		switched = true
		if f.open.To != f.open.From {
			f.switches++
		}
	}
	return detected, switched
}

// suspect opens a record when the data path distrusts the master before
// any topology change.
func (f *failoverTracker) suspect(group, master string, now time.Time) bool {
	if f.open != nil && f.open.Switched.IsZero() {
		return false
	}
	f.start(group, master, now)
	return true
}

func (f *failoverTracker) start(group, from string, now time.Time) {
	if f.open != nil {
		f.archive()
	}
	f.open = &FailoverRecord{Group: group, From: from, Detected: now}
}

func (f *failoverTracker) archive() {
	f.history = append(f.history, *f.open)
	if len(f.history) > failoverHistory {
		f.history = append(f.history[:0], f.history[len(f.history)-failoverHistory:]...)
	}
	f.open = nil
}

// recovered ends the wait of a record the data path opened when the master
// it suspected proves master again without a topology change.
func (f *failoverTracker) recovered(master string, now time.Time) bool {
	if f.open == nil || !f.open.Switched.IsZero() {
		return false
	}
	f.open.To = master
	f.open.Switched = now
	return true
}

// held counts requests held during the open failover; first reports the
// first of them.
func (f *failoverTracker) held(n int) (first bool) {
	if f.open == nil || !f.open.Resumed.IsZero() {
		return false
	}
	first = f.open.Held == 0
	f.open.Held += n
	return first
}

func (f *failoverTracker) expired(n int) (first bool) {
	if f.open == nil {
		return false
	}
	first = f.open.Expired == 0
	f.open.Expired += n
	return first
}

// resumed records the first write acknowledged by the new master and
// closes the record; it returns the record, or nil when none waited.
func (f *failoverTracker) resumed(now time.Time) *FailoverRecord {
	if f.open == nil || f.open.Switched.IsZero() {
		return nil
	}
	f.open.Resumed = now
	r := *f.open
	f.archive()
	return &r
}

// records returns the history, the open record last.
func (f *failoverTracker) records() []FailoverRecord {
	out := append([]FailoverRecord(nil), f.history...)
	if f.open != nil {
		out = append(out, *f.open)
	}
	return out
}

// observeTopology logs a published topology and feeds the failover
// timeline.
func (p *Proxy) observeTopology(g *group, prev, t *Topology) {
	p.log.Debug("topology published", zap.String("event", "topology"), zap.String("group", g.name),
		zap.String("master", t.Master), zap.Stringer("state", t.State), zap.Uint64("generation", t.Generation),
		zap.Int("replicas", len(t.Replicas)), zap.String("reason", t.Reason))
	now := time.Now()
	g.foMu.Lock()
	detected, switched := g.fo.topology(g.name, prev, t, now)
	var rec FailoverRecord
	if g.fo.open != nil {
		rec = *g.fo.open
	}
	g.foMu.Unlock()
	if detected {
		p.log.Warn("failover detected: master no longer trusted, holding writes",
			zap.String("event", "failover-detected"), zap.String("group", g.name),
			zap.String("from", rec.From), zap.Stringer("state", t.State), zap.String("reason", t.Reason))
	}
	if switched {
		p.log.Warn("failover switched: new master confirmed",
			zap.String("event", "failover-switched"), zap.String("group", g.name),
			zap.String("from", rec.From), zap.String("to", rec.To),
			zap.Duration("since-detected", rec.Switched.Sub(rec.Detected)))
	}
}

func (p *Proxy) noteSuspect(g *group, master string) {
	g.foMu.Lock()
	opened := g.fo.suspect(g.name, master, time.Now())
	g.foMu.Unlock()
	if opened {
		p.log.Warn("failover detected by the data path: master suspect",
			zap.String("event", "failover-detected"), zap.String("group", g.name), zap.String("from", master))
	}
}

func (p *Proxy) noteRecovered(g *group, master string) {
	g.foMu.Lock()
	ok := g.fo.recovered(master, time.Now())
	g.foMu.Unlock()
	if ok {
		p.log.Warn("failover switched: the suspected master is master again",
			zap.String("event", "failover-switched"), zap.String("group", g.name), zap.String("to", master))
	}
}

func (p *Proxy) noteHeld(g *group, n int) {
	g.foMu.Lock()
	first := g.fo.held(n)
	g.foMu.Unlock()
	if first {
		p.log.Warn("failover: holding write requests", zap.String("event", "failover-held"),
			zap.String("group", g.name), zap.Duration("failover-hold", time.Duration(g.hold)))
	}
}

func (p *Proxy) noteExpired(g *group, n int) {
	g.foMu.Lock()
	first := g.fo.expired(n)
	g.foMu.Unlock()
	p.log.Warn("failover: held requests expired", zap.String("event", "failover-hold-expired"),
		zap.String("group", g.name), zap.Int("requests", n), zap.Bool("first", first))
}

// noteResumed is called by a loop on the first write acknowledged by a new
// master after a switch; only the first loop's call closes the record.
func (p *Proxy) noteResumed(g *group) {
	g.foMu.Lock()
	r := g.fo.resumed(time.Now())
	g.foMu.Unlock()
	if r != nil {
		p.log.Warn("failover resumed: writes acknowledged by the new master",
			zap.String("event", "failover-resumed"), zap.String("group", g.name),
			zap.String("from", r.From), zap.String("to", r.To), zap.Int("held", r.Held),
			zap.Int("expired", r.Expired), zap.Duration("unavailable", r.Resumed.Sub(r.Detected)))
	}
}
