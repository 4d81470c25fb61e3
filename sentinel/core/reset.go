package core

import (
	"strings"
	"time"

	"github.com/wardenhq/warden/backend/ds"
)

// Reset is SENTINEL RESET: resets every master whose name matches the
// glob pattern (case-sensitive) and returns how many. Each one forgets its
// replicas and sentinels (rediscovered from INFO and hellos within
// seconds), its failover and its vote, and may fail over again at once.
func (c *Core) Reset(pattern string, now time.Time) int {
	n := 0
	for _, m := range sortedInstances(c.Masters) {
		if !ds.Match([]byte(pattern), []byte(m.Name), false) {
			continue
		}
		c.resetMaster(m, false, now)
		c.event(LevelWarning, "+reset-master", m, "")
		n++
	}
	if n > 0 {
		// Redis leaves the file alone here; rewriting drops the
		// known-replica and known-sentinel lines the reset forgot, so a
		// restart does not bring them back.
		c.markDirty()
	}
	return n
}

// resetMaster is sentinelResetMaster: drop the replicas (and the
// sentinels unless keepSentinels), every flag, the failover and the vote,
// the runid, and close the master's connections so they are reopened
// (possibly to a new address). The failover start time goes back to zero
// so a new failover is not held back by the previous one.
func (c *Core) resetMaster(m *Instance, keepSentinels bool, now time.Time) {
	for _, r := range sortedInstances(m.Replicas) {
		c.releaseInstance(r)
	}
	m.Replicas = make(map[string]*Instance)
	if !keepSentinels {
		for _, s := range sortedInstances(m.Sentinels) {
			c.releaseInstance(s)
		}
		m.Sentinels = make(map[string]*Instance)
	}
	// A fresh Link rather than the old one reopened: late callbacks from
	// the closed connections (LinkDown, nil replies) then land on the
	// discarded Link and cannot disturb the new connections.
	c.releaseLink(m)
	l := m.Link
	l.ActPingTime, l.LastAvailTime, l.LastPongTime = now, now, now
	l.LastPingTime = time.Time{}

	m.Flags = 0
	m.Leader = ""
	m.FailoverState = FailoverNone
	m.FailoverStateChange = time.Time{}
	m.FailoverStartTime = time.Time{}
	m.PromotedReplica = nil
	m.RunID = ""
	m.SlaveMasterHost = ""
	m.RoleReported = KindMaster
	m.RoleReportedTime = now
}

// resetMasterAndChangeAddress is sentinelResetMasterAndChangeAddress
// (§4.7), used by the switch and by hellos carrying a newer config: the
// master moves to addr to, keeping its sentinels. The replicas are
// re-created from scratch (+slave for each): the old ones except the one
// at the new address, plus the old master, so that it is watched and
// converted to a replica when it comes back.
func (c *Core) resetMasterAndChangeAddress(m *Instance, to Addr, now time.Time) error {
	if to.Port < 0 || to.Port > 65535 {
		return errInvalidAddr
	}
	if _, ok := c.resolveHost(to.Host); !ok {
		return errInvalidAddr
	}
	var addrs []Addr
	for _, r := range sortedInstances(m.Replicas) {
		if !sameAddr(r.Addr, to) {
			addrs = append(addrs, r.Addr)
		}
	}
	if !sameAddr(m.Addr, to) {
		addrs = append(addrs, m.Addr)
	}
	c.resetMaster(m, true, now)
	m.Addr = to
	m.SDownSince = time.Time{}
	m.ODownSince = time.Time{}
	for _, a := range addrs {
		name := a.String()
		if m.Replicas[name] != nil {
			continue
		}
		r := c.newInstance(KindReplica, name, a, m, now)
		c.event(LevelNotice, "+slave", r, "")
	}
	c.markDirty()
	return nil
}

// sameAddr compares addresses as sentinelAddrOrHostnameEqual does: same
// port, and the host equal ignoring case (hostnames are).
func sameAddr(a, b Addr) bool {
	return a.Port == b.Port && strings.EqualFold(a.Host, b.Host)
}
