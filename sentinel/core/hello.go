package core

import (
	"strconv"
	"strings"
	"time"
)

// Hello processes a hello payload received on a pub/sub connection or
// through PUBLISH from a peer (§3.4): it discovers the sending sentinel
// (or its new address), adopts a newer current epoch, and adopts a newer
// configuration of the master — switching to the address it names when
// the leader of a failover says the master moved.
//
// Payloads that mention our own id (our own hellos coming back), that do
// not have exactly 8 fields, or that name an unknown master are ignored,
// as in Redis. Beyond Redis, a hello whose ports or epochs are not numbers
// or whose addresses are not valid is ignored as a whole: Redis would read
// such fields as 0 and create a sentinel that can never be reached, or
// announce a switch it then cannot make.
func (c *Core) Hello(payload string, now time.Time) {
	if c.MyID != "" && strings.Contains(payload, c.MyID) {
		return
	}
	f := strings.Split(payload, ",")
	if len(f) != 8 {
		return
	}
	m := c.Masters[f[4]]
	if m == nil || m.Kind != KindMaster {
		return
	}
	runid := f[2]
	if runid == "" {
		return
	}
	sAddr, ok := c.parseAddr(f[0], f[1])
	if !ok {
		return
	}
	mAddr, ok := c.parseAddr(f[5], f[6])
	if !ok {
		return
	}
	curEpoch, err := strconv.ParseUint(f[3], 10, 64)
	if err != nil {
		return
	}
	cfgEpoch, err := strconv.ParseUint(f[7], 10, 64)
	if err != nil {
		return
	}

	si := c.helloSentinel(m, sAddr, runid, now)

	if curEpoch > c.CurrentEpoch {
		c.CurrentEpoch = curEpoch
		c.markDirty()
		c.eventRaw(LevelWarning, "+new-epoch", m, strconv.FormatUint(c.CurrentEpoch, 10))
	}

	// A greater config epoch is the outcome of a later failover ("last
	// failover wins"): adopt it, and follow it if it names another
	// address. The epoch is adopted even when the address is the same.
	if si != nil && m.ConfigEpoch < cfgEpoch {
		m.ConfigEpoch = cfgEpoch
		// Redis flushes only when the address changes (through the
		// reset); the epoch alone is persisted too, so that a restart
		// does not forget it.
		c.markDirty()
		if mAddr.Port != m.Addr.Port || !c.sameHost(m.Addr.Host, mAddr.Host) {
			c.event(LevelWarning, "+config-update-from", si, "")
			old := m.Addr
			c.eventRaw(LevelWarning, "+switch-master", m, m.Name+" "+c.announcedHost(old)+" "+
				strconv.Itoa(old.Port)+" "+mAddr.Host+" "+strconv.Itoa(mAddr.Port))
			if err := c.resetMasterAndChangeAddress(m, mAddr, now); err == nil {
				if m.ClientReconfigScript != "" {
					c.shell.RunScript(m.ClientReconfigScript, m.Name, "observer", "start",
						c.announcedHost(old), strconv.Itoa(old.Port),
						c.announcedHost(m.Addr), strconv.Itoa(m.Addr.Port))
				}
			}
			// The reset keeps the sentinels; look the entry up again in
			// case it was re-created.
			if s := m.Sentinels[runid]; s != nil {
				si = s
			}
		}
	}

	if si != nil {
		si.LastHelloTime = now
	}
}

// helloSentinel finds the sentinel a hello comes from among m's
// sentinels, or records it (§3.4 step 1):
//   - same runid at another address: the sentinel moved; the old entry is
//     replaced (+sentinel-address-switch) and every other master's entry
//     for that runid takes the new address too;
//   - another runid at that address: the old one is gone (a sentinel
//     restarted with a new id); it is removed from every master
//     (+sentinel-invalid-addr) and the new one added (+sentinel).
//
// Returns nil only if an entry of that name exists that does not carry
// the runid (which the tables never hold; Redis fails the same way).
func (c *Core) helloSentinel(m *Instance, addr Addr, runid string, now time.Time) *Instance {
	for _, s := range sortedInstances(m.Sentinels) {
		if s.RunID == runid && s.Addr.Port == addr.Port && c.sameHost(s.Addr.Host, addr.Host) {
			return s
		}
	}

	removed := c.removeSentinelByRunID(m, runid)
	if removed > 0 {
		c.event(LevelNotice, "+sentinel-address-switch", m,
			"ip "+addr.Host+" port "+strconv.Itoa(addr.Port)+" for "+runid)
	} else {
		for _, other := range sortedInstances(m.Sentinels) {
			if other.RunID == "" || other.Addr.Port != addr.Port || !c.sameHost(other.Addr.Host, addr.Host) {
				continue
			}
			c.event(LevelNotice, "+sentinel-invalid-addr", other, "")
			gone := other.RunID
			for _, mm := range sortedInstances(c.Masters) {
				c.removeSentinelByRunID(mm, gone)
			}
			break
		}
	}

	if _, taken := m.Sentinels[runid]; taken {
		return nil
	}
	si := c.newInstance(KindSentinel, runid, addr, m, now)
	// Sentinels have no INFO to learn their runid from; the hello is it.
	si.RunID = runid
	if removed == 0 {
		c.event(LevelNotice, "+sentinel", si, "")
	}
	c.shareLink(si)
	if removed > 0 {
		c.updateSentinelAddressInAllMasters(si)
	}
	c.markDirty()
	return si
}

// removeSentinelByRunID forgets m's sentinel entries with that runid and
// returns how many there were.
func (c *Core) removeSentinelByRunID(m *Instance, runid string) int {
	if runid == "" {
		return 0
	}
	n := 0
	for _, s := range sortedInstances(m.Sentinels) {
		if s.RunID == runid {
			delete(m.Sentinels, s.Name)
			c.releaseInstance(s)
			n++
		}
	}
	return n
}

// updateSentinelAddressInAllMasters copies si's new address to the entries
// of the same sentinel under the other masters, and closes the
// connections of all of them, which still go to the old address; the next
// reconnect dials the new one.
func (c *Core) updateSentinelAddressInAllMasters(si *Instance) {
	n := 0
	closed := make(map[*Link]bool)
	for _, m := range sortedInstances(c.Masters) {
		var match *Instance
		for _, s := range sortedInstances(m.Sentinels) {
			if s.RunID == si.RunID {
				match = s
				break
			}
		}
		if match == nil {
			continue
		}
		l := match.Link
		// Only links the shell knows about (opened at least once) need
		// closing; a fresh entry's link has nothing to close.
		if !closed[l] && (l.CC || l.PC || !l.LastReconnTime.IsZero()) {
			closed[l] = true
			c.closeLink(l, true, true)
		}
		if match == si {
			continue
		}
		match.Addr = si.Addr
		n++
	}
	if n > 0 {
		c.event(LevelNotice, "+sentinel-address-update", si,
			strconv.Itoa(n)+" additional matching instances")
	}
}
