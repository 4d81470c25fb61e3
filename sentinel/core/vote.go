package core

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// IsMasterDownByAddr answers SENTINEL IS-MASTER-DOWN-BY-ADDR (§1.6): down
// is this sentinel's own view; leader/leaderEpoch the (possibly earlier)
// vote, "*"/0 when runid is "*" or the master is unknown.
//
// Votes are granted even when this sentinel does not think the master is
// down, and during TILT (which only forces down to false): the election
// must be able to finish even if this sentinel's own view lags.
func (c *Core) IsMasterDownByAddr(a Addr, reqEpoch uint64, runid string, now time.Time) (down bool, leader string, leaderEpoch uint64) {
	m := c.MasterByAddr(a)
	if m == nil {
		return false, "*", 0
	}
	down = !c.Tilt && m.Flags&FlagSDown != 0
	leader = "*"
	if runid != "*" {
		leader, leaderEpoch = c.voteLeader(m, reqEpoch, runid, now)
		if leader == "" {
			// No vote on record (only a leader-epoch loaded from the
			// config): Redis answers "*" with that epoch.
			leader = "*"
		}
	}
	return down, leader, leaderEpoch
}

// voteLeader is sentinelVoteLeader (§4.4): adopt a newer epoch, then vote
// for runid if this sentinel has not voted for m in reqEpoch yet (first
// come, first served), and return the vote on record, which may be an
// earlier one for another runid.
func (c *Core) voteLeader(m *Instance, reqEpoch uint64, runid string, now time.Time) (string, uint64) {
	if reqEpoch > c.CurrentEpoch {
		c.CurrentEpoch = reqEpoch
		c.markDirty()
		c.eventRaw(LevelWarning, "+new-epoch", m, strconv.FormatUint(c.CurrentEpoch, 10))
	}
	if m.LeaderEpoch < reqEpoch && c.CurrentEpoch <= reqEpoch {
		m.Leader = runid
		m.LeaderEpoch = c.CurrentEpoch
		c.markDirty()
		c.eventRaw(LevelWarning, "+vote-for-leader", m, m.Leader+" "+strconv.FormatUint(m.LeaderEpoch, 10))
		// Having voted for someone else, hold back our own attempt for
		// 2 × failover-timeout so that the elected leader can finish.
		if !strings.EqualFold(m.Leader, c.MyID) {
			m.FailoverStartTime = now.Add(c.jitter())
		}
	}
	return m.Leader, m.LeaderEpoch
}

// getLeader is sentinelGetLeader (§4.5): the runid that won m's election
// for epoch, or "" if nobody has yet. Peers' votes count when recorded in
// the current epoch; this sentinel then votes in epoch for the most voted
// runid (itself if nobody has votes) and counts its vote if it landed in
// epoch. The winner needs a majority of the known sentinels (+1 for
// itself) and at least quorum votes.
func (c *Core) getLeader(m *Instance, epoch uint64, now time.Time) string {
	voters := len(m.Sentinels) + 1
	counts := make(map[string]int)
	for _, s := range m.Sentinels {
		if s.Leader != "" && s.LeaderEpoch == c.CurrentEpoch {
			counts[s.Leader]++
		}
	}
	// Redis takes the first runid with the most votes in hash order; we
	// take the smallest such runid so that runs are reproducible.
	winner, maxVotes := "", 0
	for _, id := range sortedVoteIDs(counts) {
		if counts[id] > maxVotes {
			winner, maxVotes = id, counts[id]
		}
	}
	want := winner
	if want == "" {
		want = c.MyID
	}
	myVote, myEpoch := c.voteLeader(m, epoch, want, now)
	if myVote != "" && myEpoch == epoch {
		counts[myVote]++
		if counts[myVote] > maxVotes {
			winner, maxVotes = myVote, counts[myVote]
		}
	}
	if winner != "" && (maxVotes < voters/2+1 || maxVotes < m.Quorum) {
		winner = ""
	}
	return winner
}

// sortedVoteIDs lists a vote table's runids in order.
func sortedVoteIDs(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
