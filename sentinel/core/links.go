package core

import "time"

// reconnectInstance asks the shell to (re)open ri's link connections that
// are down, at most once a ping period (one second by default) per link
// (sentinelReconnectInstance, §3.1). Port 0 marks an address known to be
// invalid and is never connected.
func (c *Core) reconnectInstance(ri *Instance, now time.Time) {
	l := ri.Link
	if !l.Disconnected(ri.Kind) || ri.Addr.Port == 0 {
		return
	}
	if now.Sub(l.LastReconnTime) < c.Timing.PingPeriod {
		return
	}
	l.LastReconnTime = now
	if !l.CC {
		// A new command connection starts with nothing pending. Redis
		// queues a PING on it before the connection is even up, so the
		// instance counts as "pinged" from this moment: without that, an
		// instance whose port accepts connections but never answers (a
		// SIGSTOPped process) would leave SDOWN as soon as it is
		// reconnected. The PING itself goes out in LinkUp.
		l.PendingCommands = 0
		if l.ActPingTime.IsZero() {
			l.ActPingTime = now
		}
	}
	c.shell.Open(l, ri)
}

// LinkUp records that a connection of l came up (pubsub: the pub/sub one).
// A new command connection is pinged at once, as Redis does right after
// connecting, so that liveness is known without waiting for the PING
// schedule.
func (c *Core) LinkUp(l *Link, pubsub bool, now time.Time) {
	if pubsub {
		l.PC = true
		l.PCConnTime = now
		// The subscription itself counts as activity; the pub/sub health
		// rule then waits for the hellos that should follow.
		l.PCLastActivity = now
		return
	}
	l.CC = true
	l.CCConnTime = now
	l.PendingCommands = 0
	l.RefusedSince = time.Time{}
	if ri := c.linkOwner(l); ri != nil {
		c.sendPing(ri, now)
	}
}

// LinkDown records that a connection of l was lost or failed to connect.
// The shell has already answered that connection's pending requests with
// nil replies, which settle nothing, so the pending count is reset here
// (Redis's instanceLinkCloseConnection).
func (c *Core) LinkDown(l *Link, pubsub bool, now time.Time) {
	if pubsub {
		l.PC = false
		return
	}
	if l.CC && now.Sub(l.CCConnTime) > c.Timing.PingPeriod {
		// A connection that had been working is redialled on the next
		// tick: the reconnect slot may just have been spent on the
		// pub/sub connection, whose loss is often reported first, and a
		// dead process is then only found refusing a second later. One
		// that dies young keeps the once-a-period limit, so a port that
		// accepts and drops at once is not hammered.
		l.LastReconnTime = time.Time{}
	}
	l.CC = false
	l.PendingCommands = 0
	// The instance counts as pinged from the moment its connection is
	// lost (Redis queues a PING on the reconnecting link). Waiting for the
	// reconnect instead would add up to a second when the pub/sub
	// connection's loss, reported first, used up the reconnect slot.
	if l.ActPingTime.IsZero() {
		l.ActPingTime = now
	}
}

// ConnectFailed records how a dial of l's command connection failed
// (after the LinkDown for it): refused means the host actively refused
// the port (ECONNREFUSED), the signature of a process that is gone rather
// than slow or unreachable.
func (c *Core) ConnectFailed(l *Link, refused bool, now time.Time) {
	switch {
	case !refused:
		l.RefusedSince = time.Time{}
	case l.RefusedSince.IsZero():
		l.RefusedSince = now
	}
}

// refusedDown reports whether ri is down by the refused fast path: the
// group has down-after-refused-milliseconds set, the command connection is
// down with its dials refused, and no acceptable reply came for that long.
func refusedDown(ri *Instance, now time.Time) bool {
	d := masterOf(ri).DownAfterRefused
	l := ri.Link
	return d > 0 && !l.CC && !l.RefusedSince.IsZero() && now.Sub(l.LastAvailTime) > d
}

// PubSubActivity records that something arrived on l's pub/sub connection
// (our own hellos echo back on it, so silence means a dead link).
func (c *Core) PubSubActivity(l *Link, now time.Time) {
	l.PCLastActivity = now
}

// closeLink closes connections of l on the core's own initiative (link
// health, address change) and updates the state at once, as Redis's
// instanceLinkCloseConnection does: the shell answers the requests that
// were pending with nil replies later, and those settle nothing. The next
// reconnectInstance opens the connection again.
func (c *Core) closeLink(l *Link, cc, pc bool) {
	if !cc && !pc {
		return
	}
	c.shell.Drop(l, cc, pc)
	if cc {
		l.CC = false
		l.PendingCommands = 0
	}
	if pc {
		l.PC = false
	}
}

// linkOwner finds an instance that uses l (several sentinel entries may
// share it; any of them can carry a request on it), or nil if none does.
func (c *Core) linkOwner(l *Link) *Instance {
	for _, m := range sortedInstances(c.Masters) {
		if m.Link == l {
			return m
		}
		for _, r := range sortedInstances(m.Replicas) {
			if r.Link == l {
				return r
			}
		}
		for _, s := range sortedInstances(m.Sentinels) {
			if s.Link == l {
				return s
			}
		}
	}
	return nil
}
