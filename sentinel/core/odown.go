package core

import (
	"strconv"
	"time"
)

// checkObjectivelyDown sets or clears ODOWN (§4.2) with +odown/-odown:
// the master is ODOWN while this sentinel has it SDOWN and, counting
// itself, at least quorum sentinels said so in a recent
// IS-MASTER-DOWN-BY-ADDR reply. ODOWN only decides detection; the failover
// still needs an election.
func (c *Core) checkObjectivelyDown(m *Instance, now time.Time) {
	// Redis forgets stale replies in its ask loop, which runs right after
	// this check; doing it here as well keeps a peer that went silent
	// more than AskStale ask periods ago from counting even for one tick.
	c.expireAskReplies(m, now)
	agree, odown := 0, false
	if m.Flags&FlagSDown != 0 {
		agree = 1 // this sentinel
		for _, s := range m.Sentinels {
			if s.Flags&FlagMasterDown != 0 {
				agree++
			}
		}
		odown = agree >= m.Quorum
	}
	switch {
	case odown && m.Flags&FlagODown == 0:
		m.Flags |= FlagODown
		m.ODownSince = now
		c.event(LevelWarning, "+odown", m, "#quorum "+strconv.Itoa(agree)+"/"+strconv.Itoa(m.Quorum))
	case !odown && m.Flags&FlagODown != 0:
		m.Flags &^= FlagODown
		c.event(LevelWarning, "-odown", m, "")
	}
}

// expireAskReplies drops what each peer said about m (its master_down flag
// and its vote) once its last IS-MASTER-DOWN-BY-ADDR reply is older than
// AskStale ask periods: a peer that stopped answering must neither keep
// the master ODOWN nor keep counting in an election.
func (c *Core) expireAskReplies(m *Instance, now time.Time) {
	stale := AskStale * c.Timing.AskPeriod
	for _, s := range m.Sentinels {
		if now.Sub(s.LastMasterDownReplyTime) > stale {
			s.Flags &^= FlagMasterDown
			s.Leader = ""
		}
	}
}

// askMasterStateToOtherSentinels sends SENTINEL is-master-down-by-addr to
// peers while m is SDOWN (§3.2, §4.3); force skips the ask-period wait.
// The request carries this sentinel's runid (a vote request) while a
// failover is under way, "*" (a plain question) otherwise.
func (c *Core) askMasterStateToOtherSentinels(m *Instance, now time.Time, force bool) {
	c.expireAskReplies(m, now)
	if m.Flags&FlagSDown == 0 {
		return
	}
	runid := "*"
	if m.FailoverState != FailoverNone {
		runid = c.MyID
	}
	for _, s := range sortedInstances(m.Sentinels) {
		if s.removed || !s.Link.CC {
			continue
		}
		// The wait counts from the last reply, not the last request, as
		// in Redis: a peer that does not answer is asked again every tick.
		if !force && now.Sub(s.LastMasterDownReplyTime) < c.askPeriod(m) {
			continue
		}
		req := c.send(s, OpAskMaster, now, command(s, "SENTINEL", "is-master-down-by-addr",
			c.announcedHost(m.Addr), strconv.Itoa(m.Addr.Port),
			strconv.FormatUint(c.CurrentEpoch, 10), runid))
		if req != nil {
			// The shell only queues the request; the reply comes back
			// through a later Core.Reply, which reads Master.
			req.Master = m
		}
	}
}

// askMasterReply handles a peer's IS-MASTER-DOWN-BY-ADDR reply (§1.6); r
// is nil when the link was lost. Only the exact shape a real sentinel sends
// (integer, bulk string, integer) is accepted; anything else is dropped
// silently, as Redis does, so a peer that answers oddly never counts.
func (c *Core) askMasterReply(req *Request, r *Reply, now time.Time) {
	s := req.Inst
	if r == nil || s == nil || s.removed || s.Kind != KindSentinel {
		return
	}
	if r.Kind != ReplyArray || len(r.Elems) != 3 ||
		r.Elems[0].Kind != ReplyInt || r.Elems[1].Kind != ReplyBulk || r.Elems[2].Kind != ReplyInt {
		return
	}
	s.LastMasterDownReplyTime = now
	if r.Elems[0].Int == 1 {
		s.Flags |= FlagMasterDown
	} else {
		s.Flags &^= FlagMasterDown
	}
	if leader := r.Elems[1].Str; leader != "*" {
		s.Leader = leader
		s.LeaderEpoch = uint64(r.Elems[2].Int)
	}
}

// askPeriod is how often peers are asked about m while it is SDOWN: the
// ask-period, or, while m is down by the refused fast path, at most half
// of down-after-refused-milliseconds, so that a peer that answered "not
// down" a moment before its own fast detection is asked again soon.
func (c *Core) askPeriod(m *Instance) time.Duration {
	p := c.Timing.AskPeriod
	if m.DownAfterRefused > 0 && !m.Link.RefusedSince.IsZero() && m.DownAfterRefused/2 < p {
		p = m.DownAfterRefused / 2
	}
	return p
}
