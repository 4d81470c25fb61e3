package core

import (
	"strconv"
	"strings"
	"time"
)

// startFailoverIfNeeded starts a failover attempt (§4.3); true if started.
// It needs ODOWN, no failover under way, and 2 × failover-timeout since
// the last attempt or the last vote given to another sentinel, so that a
// sentinel does not compete with a leader it just voted for.
func (c *Core) startFailoverIfNeeded(m *Instance, now time.Time) bool {
	if m.Flags&FlagODown == 0 || m.Flags&FlagFailoverInProgress != 0 {
		return false
	}
	if now.Sub(m.FailoverStartTime) < 2*m.FailoverTimeout {
		// Say once per blocked attempt why nothing happens (Redis logs
		// "Next failover delay" at notice level; the core has no logger,
		// so it goes out as a log-only debug event).
		if !m.FailoverDelayLogged.Equal(m.FailoverStartTime) {
			m.FailoverDelayLogged = m.FailoverStartTime
			next := m.FailoverStartTime.Add(2 * m.FailoverTimeout)
			c.event(LevelDebug, "failover-delay", m,
				"Next failover delay: I will not start a failover before "+next.UTC().Format(time.RFC3339))
		}
		return false
	}
	c.startFailover(m, now)
	return true
}

// startFailover is sentinelStartFailover: a new epoch for this attempt,
// and a start time with random jitter so that sentinels which saw ODOWN at
// the same moment do not all ask for votes at once.
func (c *Core) startFailover(m *Instance, now time.Time) {
	m.FailoverState = FailoverWaitStart
	m.Flags |= FlagFailoverInProgress
	c.CurrentEpoch++
	m.FailoverEpoch = c.CurrentEpoch
	// Redis persists the new epoch only with the vote that follows; mark
	// it now so a crash in between cannot reuse the epoch.
	c.markDirty()
	c.eventRaw(LevelWarning, "+new-epoch", m, strconv.FormatUint(c.CurrentEpoch, 10))
	c.event(LevelWarning, "+try-failover", m, "")
	m.FailoverStartTime = now.Add(c.jitter())
	m.FailoverStateChange = now
}

// Failover starts a forced failover (SENTINEL FAILOVER); errors carry the
// exact reply text ("INPROG Failover already in progress", "NOGOODSLAVE
// No suitable replica to promote", "ERR No such master with that name").
// A forced failover needs neither ODOWN nor the election: the wait_start
// step still casts this sentinel's vote in the new epoch (+vote-for-leader,
// as redis-sentinel shows) but proceeds whatever the count.
func (c *Core) Failover(name string, now time.Time) error {
	m := c.Masters[name]
	if m == nil {
		return errNoSuchMaster
	}
	if m.Flags&FlagFailoverInProgress != 0 {
		return coreError("INPROG Failover already in progress")
	}
	if c.selectReplica(m, now) == nil {
		return coreError("NOGOODSLAVE No suitable replica to promote")
	}
	c.startFailover(m, now)
	m.Flags |= FlagForceFailover
	return nil
}

// failoverStateMachine advances m's failover (§4.5, §4.6) by at most one
// step per tick.
func (c *Core) failoverStateMachine(m *Instance, now time.Time) {
	if m.Kind != KindMaster || m.Flags&FlagFailoverInProgress == 0 {
		return
	}
	switch m.FailoverState {
	case FailoverWaitStart:
		c.failoverWaitStart(m, now)
	case FailoverSelectSlave:
		c.failoverSelectReplica(m, now)
	case FailoverSendSlaveofNoone:
		c.failoverSendSlaveOfNoOne(m, now)
	case FailoverWaitPromotion:
		c.failoverWaitPromotion(m, now)
	case FailoverReconfSlaves:
		c.failoverReconfNextReplica(m, now)
	}
}

// setFailoverState moves m to state s, stamping the change time the
// timeouts count from.
func setFailoverState(m *Instance, s FailoverState, now time.Time) {
	m.FailoverState = s
	m.FailoverStateChange = now
}

// failoverWaitStart runs the election: go on if this sentinel won it (or
// the failover is forced), give up after min(election-timeout,
// failover-timeout) otherwise.
func (c *Core) failoverWaitStart(m *Instance, now time.Time) {
	leader := c.getLeader(m, m.FailoverEpoch, now)
	isLeader := leader != "" && strings.EqualFold(leader, c.MyID)
	if !isLeader && m.Flags&FlagForceFailover == 0 {
		timeout := c.Timing.ElectionTimeout
		if m.FailoverTimeout < timeout {
			timeout = m.FailoverTimeout
		}
		if now.Sub(m.FailoverStartTime) > timeout {
			c.event(LevelWarning, "-failover-abort-not-elected", m, "")
			c.abortFailover(m, now)
		}
		return
	}
	c.event(LevelWarning, "+elected-leader", m, "")
	if c.SimFailure&SimCrashAfterElection != 0 {
		c.shell.Exit(99)
		return
	}
	setFailoverState(m, FailoverSelectSlave, now)
	c.event(LevelWarning, "+failover-state-select-slave", m, "")
}

// failoverSelectReplica picks the replica to promote or aborts; it has no
// timeout of its own because it always leaves the state at once.
func (c *Core) failoverSelectReplica(m *Instance, now time.Time) {
	r := c.selectReplica(m, now)
	if r == nil {
		c.event(LevelWarning, "-failover-abort-no-good-slave", m, "")
		c.abortFailover(m, now)
		return
	}
	c.event(LevelWarning, "+selected-slave", r, "")
	r.Flags |= FlagPromoted
	m.PromotedReplica = r
	setFailoverState(m, FailoverSendSlaveofNoone, now)
	c.event(LevelNotice, "+failover-state-send-slaveof-noone", r, "")
}

// failoverSendSlaveOfNoOne sends the promotion transaction once the chosen
// replica is reachable, retrying every tick until failover-timeout. The
// reply is not awaited: the promotion is observed in the replica's INFO.
func (c *Core) failoverSendSlaveOfNoOne(m *Instance, now time.Time) {
	r := m.PromotedReplica
	if r.Link.Disconnected(KindReplica) {
		if now.Sub(m.FailoverStateChange) > m.FailoverTimeout {
			c.event(LevelWarning, "-failover-abort-slave-timeout", m, "")
			c.abortFailover(m, now)
		}
		return
	}
	if !c.sendSlaveOf(r, Addr{}, now) {
		return
	}
	c.event(LevelNotice, "+failover-state-wait-promotion", r, "")
	setFailoverState(m, FailoverWaitPromotion, now)
}

// failoverWaitPromotion only handles the timeout; the way out is
// promotedReplicaReportsMaster, driven by the replica's INFO.
func (c *Core) failoverWaitPromotion(m *Instance, now time.Time) {
	if now.Sub(m.FailoverStateChange) > m.FailoverTimeout {
		c.event(LevelWarning, "-failover-abort-slave-timeout", m, "")
		c.abortFailover(m, now)
	}
}

// abortFailover is sentinelAbortFailover, possible up to wait_promotion.
// FailoverStartTime is kept, so the next attempt waits 2 × failover-timeout.
func (c *Core) abortFailover(m *Instance, now time.Time) {
	m.Flags &^= FlagFailoverInProgress | FlagForceFailover
	setFailoverState(m, FailoverNone, now)
	if r := m.PromotedReplica; r != nil {
		r.Flags &^= FlagPromoted
		m.PromotedReplica = nil
	}
}

// promotedReplicaReportsMaster is called from INFO processing when ri, the
// promoted replica of a failover in wait_promotion, reports role:master
// (§4.6 wait_promotion exit). The master's config epoch becomes the
// failover epoch: that is what makes every other sentinel adopt the new
// master from this sentinel's hellos, which are forced out at once.
func (c *Core) promotedReplicaReportsMaster(ri *Instance, now time.Time) {
	m := ri.Master
	if ri.Kind != KindReplica || m == nil || ri.Flags&FlagPromoted == 0 ||
		m.Flags&FlagFailoverInProgress == 0 || m.FailoverState != FailoverWaitPromotion {
		return
	}
	m.ConfigEpoch = m.FailoverEpoch
	setFailoverState(m, FailoverReconfSlaves, now)
	c.markDirty()
	c.event(LevelWarning, "+promoted-slave", ri, "")
	if c.SimFailure&SimCrashAfterPromotion != 0 {
		c.shell.Exit(99)
		return
	}
	c.event(LevelWarning, "+failover-state-reconf-slaves", m, "")
	c.callClientReconfigScript(m, "leader", m.Addr, ri.Addr)
	c.forceHelloUpdateForMaster(m)
}

// callClientReconfigScript queues the master's client-reconfig-script as
// `<master-name> <role> start <from-ip> <from-port> <to-ip> <to-port>`
// (§4.12); role is "leader" or "observer".
func (c *Core) callClientReconfigScript(m *Instance, role string, from, to Addr) {
	if m.ClientReconfigScript == "" {
		return
	}
	c.shell.RunScript(m.ClientReconfigScript, m.Name, role, "start",
		c.announcedHost(from), strconv.Itoa(from.Port),
		c.announcedHost(to), strconv.Itoa(to.Port))
}

// failoverReconfNextReplica points replicas at the promoted one, keeping
// at most parallel-syncs of them resynchronising at a time so that the
// new master is not swamped with full syncs, then checks for the end.
func (c *Core) failoverReconfNextReplica(m *Instance, now time.Time) {
	replicas := sortedInstances(m.Replicas)
	inProgress := 0
	for _, r := range replicas {
		if r.Flags&(FlagReconfSent|FlagReconfInprog) != 0 {
			inProgress++
		}
	}
	for _, r := range replicas {
		if inProgress >= m.ParallelSyncs {
			break
		}
		if r.removed || r.Flags&(FlagPromoted|FlagReconfDone) != 0 {
			continue
		}
		// A replica that never showed progress is counted as done: the
		// failover must end, and the sentinels fix its configuration
		// later (+fix-slave-config). As in Redis it stays counted in
		// inProgress, and falls through to be sent SLAVEOF once more
		// (reconf_done and reconf_sent together), which keeps its
		// parallel-syncs slot until its INFO shows progress.
		if r.Flags&FlagReconfSent != 0 && now.Sub(r.SlaveReconfSentTime) > c.Timing.SlaveReconfTimeout {
			c.event(LevelNotice, "-slave-reconf-sent-timeout", r, "")
			r.Flags &^= FlagReconfSent
			r.Flags |= FlagReconfDone
		}
		if r.Flags&(FlagReconfSent|FlagReconfInprog) != 0 || r.Link.Disconnected(KindReplica) {
			continue
		}
		if c.sendSlaveOf(r, m.PromotedReplica.Addr, now) {
			r.Flags |= FlagReconfSent
			r.SlaveReconfSentTime = now
			c.event(LevelNotice, "+slave-reconf-sent", r, "")
			inProgress++
		}
	}
	c.failoverDetectEnd(m, now)
}

// failoverDetectEnd moves to update_config once every reachable replica is
// reconfigured, or failover-timeout after entering reconf_slaves; on
// timeout the remaining connected replicas get a best-effort SLAVEOF.
// Nothing ends while the promoted replica itself is SDOWN.
func (c *Core) failoverDetectEnd(m *Instance, now time.Time) {
	p := m.PromotedReplica
	if p == nil || p.Flags&FlagSDown != 0 {
		return
	}
	notReconfigured := 0
	for _, r := range m.Replicas {
		if r.Flags&(FlagPromoted|FlagReconfDone) != 0 || r.Flags&FlagSDown != 0 {
			continue
		}
		notReconfigured++
	}
	timeout := now.Sub(m.FailoverStateChange) > m.FailoverTimeout
	if timeout {
		notReconfigured = 0
		c.event(LevelWarning, "+failover-end-for-timeout", m, "")
	}
	if notReconfigured == 0 {
		c.event(LevelWarning, "+failover-end", m, "")
		setFailoverState(m, FailoverUpdateConfig, now)
	}
	if !timeout {
		return
	}
	for _, r := range sortedInstances(m.Replicas) {
		if r.Flags&(FlagPromoted|FlagReconfDone|FlagReconfSent) != 0 || r.Link.Disconnected(KindReplica) {
			continue
		}
		if c.sendSlaveOf(r, p.Addr, now) {
			c.event(LevelNotice, "+slave-reconf-sent-be", r, "")
			r.Flags |= FlagReconfSent
		}
	}
}

// replicaReconfProgress is called at the end of INFO processing for a
// replica of a master in failover: reconf_sent → reconf_inprog (it
// replicates from the promoted replica) → reconf_done (its link is up)
// (§4.6 replica progress). The reported master_host is compared after
// resolution, and as a string when it does not resolve
// (sentinelAddrEqualsHostname's fallback).
func (c *Core) replicaReconfProgress(ri *Instance, now time.Time) {
	m := ri.Master
	if ri.Kind != KindReplica || m == nil || ri.RoleReported != KindReplica ||
		ri.Flags&(FlagReconfSent|FlagReconfInprog) == 0 || m.PromotedReplica == nil {
		return
	}
	p := m.PromotedReplica.Addr
	if ri.Flags&FlagReconfSent != 0 && ri.SlaveMasterHost != "" &&
		(strings.EqualFold(p.Host, ri.SlaveMasterHost) || c.sameHost(p.Host, ri.SlaveMasterHost)) && ri.SlaveMasterPort == p.Port {
		ri.Flags &^= FlagReconfSent
		ri.Flags |= FlagReconfInprog
		c.event(LevelNotice, "+slave-reconf-inprog", ri, "")
	}
	if ri.Flags&FlagReconfInprog != 0 && ri.SlaveMasterLinkUp {
		ri.Flags &^= FlagReconfInprog
		ri.Flags |= FlagReconfDone
		c.event(LevelNotice, "+slave-reconf-done", ri, "")
	}
}

// failoverSwitchToPromoted ends a failover in update_config:
// +switch-master and the reset to the promoted address (§4.6, §4.7).
func (c *Core) failoverSwitchToPromoted(m *Instance, now time.Time) {
	to := m.Addr
	if m.PromotedReplica != nil {
		to = m.PromotedReplica.Addr
	}
	c.eventRaw(LevelWarning, "+switch-master", m, m.Name+" "+
		c.announcedHost(m.Addr)+" "+strconv.Itoa(m.Addr.Port)+" "+
		c.announcedHost(to)+" "+strconv.Itoa(to.Port))
	// An address that no longer resolves leaves the master in
	// update_config, so the switch is retried on the next tick (Redis
	// ignores the error the same way).
	_ = c.resetMasterAndChangeAddress(m, to, now)
}
