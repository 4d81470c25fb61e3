package core

import "time"

// checkSubjectivelyDown sets or clears SDOWN (§4.1) with +sdown/-sdown.
// The instance is down in this sentinel's own view when:
//   - it has not answered acceptably for more than down-after: measured
//     from the oldest unanswered PING, or, with no PING pending but a
//     connection down, from the last acceptable reply;
//   - it is a master that has reported role:slave for longer than
//     down-after plus two INFO periods (enough INFO replies to be sure);
//   - it is a master that rebooted while master-reboot-down-after-period
//     is set and has not answered +PONG for longer than that period
//     (-LOADING keeps it "available" for the first rule, not this one);
//   - warden's opt-in fast path: down-after-refused-milliseconds is set,
//     and its port has refused every connection since its last acceptable
//     reply longer ago than that (the process is gone, not slow).
func (c *Core) checkSubjectivelyDown(ri *Instance, now time.Time) {
	l := ri.Link
	var elapsed time.Duration
	switch {
	case !l.ActPingTime.IsZero():
		elapsed = now.Sub(l.ActPingTime)
	case l.Disconnected(ri.Kind):
		elapsed = now.Sub(l.LastAvailTime)
	}

	down := elapsed > ri.DownAfter || refusedDown(ri, now) ||
		(ri.Kind == KindMaster && ri.RoleReported == KindReplica &&
			now.Sub(ri.RoleReportedTime) > ri.DownAfter+2*c.Timing.InfoPeriod) ||
		(ri.Flags&FlagMasterReboot != 0 &&
			now.Sub(ri.MasterRebootSince) > ri.MasterRebootDownAfter)

	switch {
	case down && ri.Flags&FlagSDown == 0:
		c.event(LevelWarning, "+sdown", ri, "")
		ri.SDownSince = now
		ri.Flags |= FlagSDown
	case !down && ri.Flags&FlagSDown != 0:
		c.event(LevelWarning, "-sdown", ri, "")
		// SDownSince stays: the convert-to-slave and fix-slave-config
		// rules look at when the instance was last down.
		ri.Flags &^= FlagSDown | FlagScriptKillSent
	}
}
