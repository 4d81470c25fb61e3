package core

import (
	"sort"
	"strings"
	"time"
)

// selectReplica is sentinelSelectSlave (§4.6 "Replica selection"): the
// replica of m to promote, or nil if none qualifies. A replica qualifies
// only if this sentinel has fresh, healthy knowledge of it and it was not
// disconnected from the master for much longer than the master has been
// down (its data would be too old); among those, the lowest
// slave_priority wins, then the highest replication offset, then the
// smallest runid.
func (c *Core) selectReplica(m *Instance, now time.Time) *Instance {
	var maxLinkDown time.Duration
	if m.Flags&FlagSDown != 0 {
		maxLinkDown += now.Sub(m.SDownSince)
	}
	maxLinkDown += 10 * m.DownAfter

	// While the master is SDOWN, replicas get INFO every second, so their
	// INFO must be recent; otherwise the normal 10 s period applies.
	infoValidity := 3 * c.Timing.InfoPeriod
	if m.Flags&FlagSDown != 0 {
		infoValidity = 5 * c.Timing.PingPeriod
	}

	var candidates []*Instance
	for _, r := range sortedInstances(m.Replicas) {
		switch {
		case r.removed,
			r.Flags&(FlagSDown|FlagODown) != 0,
			r.Link.Disconnected(KindReplica),
			now.Sub(r.Link.LastAvailTime) > 5*c.Timing.PingPeriod,
			r.SlavePriority == 0,
			r.InfoRefresh.IsZero() || now.Sub(r.InfoRefresh) > infoValidity,
			r.MasterLinkDownTime > maxLinkDown:
			continue
		}
		candidates = append(candidates, r)
	}
	if len(candidates) == 0 {
		return nil
	}
	// Stable over the name-sorted list so that full ties (no runids) are
	// decided the same way on every run.
	sort.SliceStable(candidates, func(i, j int) bool {
		return compareForPromotion(candidates[i], candidates[j]) < 0
	})
	return candidates[0]
}

// compareForPromotion orders replicas best first (compareSlavesForPromotion):
// lower priority, then greater offset (it processed more of the master's
// data), then the case-insensitively smaller runid, an unknown runid last.
func compareForPromotion(a, b *Instance) int {
	if a.SlavePriority != b.SlavePriority {
		if a.SlavePriority < b.SlavePriority {
			return -1
		}
		return 1
	}
	if a.SlaveReplOffset != b.SlaveReplOffset {
		if a.SlaveReplOffset > b.SlaveReplOffset {
			return -1
		}
		return 1
	}
	switch {
	case a.RunID == "" && b.RunID == "":
		return 0
	case a.RunID == "":
		return 1
	case b.RunID == "":
		return -1
	}
	return strings.Compare(strings.ToLower(a.RunID), strings.ToLower(b.RunID))
}
