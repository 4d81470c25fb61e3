package core

import "strconv"

// CKQuorum is SENTINEL CKQUORUM: the status text on success, or an error
// with the full NOQUORUM text (§4.8). It tells an operator whether, with
// the sentinels currently reachable, ODOWN could be reached (quorum) and a
// failover authorised (majority of all known sentinels).
func (c *Core) CKQuorum(name string) (string, error) {
	m := c.Masters[name]
	if m == nil {
		return "", errNoSuchMaster
	}
	usable, noQuorum, noMajority := quorumReachable(m)
	n := strconv.Itoa(usable)
	if !noQuorum && !noMajority {
		return "OK " + n + " usable Sentinels. Quorum and failover authorization can be reached", nil
	}
	msg := "NOQUORUM " + n + " usable Sentinels. "
	if noQuorum {
		msg += "Not enough available Sentinels to reach the specified quorum for this master"
	}
	if noMajority {
		if noQuorum {
			msg += ". "
		}
		msg += "Not enough available Sentinels to reach the majority and authorize a failover"
	}
	return "", coreError(msg)
}

// quorumReachable is sentinelIsQuorumReachable: usable counts this
// sentinel and every peer not SDOWN/ODOWN; voters every known sentinel.
func quorumReachable(m *Instance) (usable int, noQuorum, noMajority bool) {
	usable = 1
	for _, s := range m.Sentinels {
		if s.Flags&(FlagSDown|FlagODown) == 0 {
			usable++
		}
	}
	voters := len(m.Sentinels) + 1
	return usable, usable < m.Quorum, usable < voters/2+1
}
