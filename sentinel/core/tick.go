package core

import (
	"sort"
	"strconv"
	"time"
)

// Tick runs one round of the sentinel timer (sentinelTimer): the TILT
// check, then for every master, its replicas and its sentinels the link,
// periodic-command, SDOWN, ODOWN and failover steps, and last the switch to
// a promoted replica for failovers that reached update_config. The shell
// calls it after NextTickDelay.
func (c *Core) Tick(now time.Time) {
	c.checkTiltCondition(now)
	var switched []*Instance
	for _, m := range sortedInstances(c.Masters) {
		c.handleInstance(m, now)
		for _, r := range sortedInstances(m.Replicas) {
			if !r.removed {
				c.handleInstance(r, now)
			}
		}
		for _, s := range sortedInstances(m.Sentinels) {
			if !s.removed {
				c.handleInstance(s, now)
			}
		}
		if m.FailoverState == FailoverUpdateConfig {
			switched = append(switched, m)
		}
	}
	for _, m := range switched {
		c.failoverSwitchToPromoted(m, now)
	}
	c.PreviousTime = now
}

// handleInstance is sentinelHandleRedisInstance: monitoring always runs;
// the acting part waits while in TILT.
func (c *Core) handleInstance(ri *Instance, now time.Time) {
	c.reconnectInstance(ri, now)
	c.sendPeriodicCommands(ri, now)
	if c.Tilt {
		if now.Sub(c.TiltStart) < c.Timing.TiltPeriod {
			return
		}
		c.Tilt = false
		c.event(LevelWarning, "-tilt", nil, "#tilt mode exited")
	}
	c.checkSubjectivelyDown(ri, now)
	if ri.Kind == KindMaster {
		c.checkObjectivelyDown(ri, now)
		if c.startFailoverIfNeeded(ri, now) {
			c.askMasterStateToOtherSentinels(ri, now, true)
		}
		c.failoverStateMachine(ri, now)
		c.askMasterStateToOtherSentinels(ri, now, false)
	}
}

// sortedInstances lists a table in name order, so that a seeded test run
// always visits instances the same way.
func sortedInstances(m map[string]*Instance) []*Instance {
	out := make([]*Instance, 0, len(m))
	for _, ri := range m {
		out = append(out, ri)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sendSlaveOf sends ri the reconfiguration transaction (§4.6): SLAVEOF NO
// ONE when to is the zero Addr, SLAVEOF host port otherwise, then CONFIG
// REWRITE and the two CLIENT KILLs that make clients reconnect and ask a
// sentinel again, inside MULTI/EXEC. The replies are ignored: the effect
// is observed through INFO, so an INFO follows on the same connection:
// it runs after EXEC and reports the new role at once, where Redis waits
// for the next INFO period (up to a second during a failover) to notice a
// promotion. Returns false when the command link is down.
func (c *Core) sendSlaveOf(ri *Instance, to Addr, now time.Time) bool {
	host, port := "NO", "ONE"
	if to.Host != "" {
		host, port = c.announcedHost(to), strconv.Itoa(to.Port)
	}
	sent := c.send(ri, OpSlaveOf, now,
		command(ri, "MULTI"),
		command(ri, "SLAVEOF", host, port),
		command(ri, "CONFIG", "REWRITE"),
		command(ri, "CLIENT", "KILL", "TYPE", "normal"),
		command(ri, "CLIENT", "KILL", "TYPE", "pubsub"),
		command(ri, "EXEC")) != nil
	if sent {
		c.send(ri, OpInfo, now, command(ri, "INFO"))
	}
	return sent
}
