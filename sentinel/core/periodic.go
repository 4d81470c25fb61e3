package core

import (
	"strconv"
	"strings"
	"time"
)

// fastInfoPeriod is the INFO period for replicas whose master is failing
// (or that report their master link down): fixed at one second in Redis,
// not a SENTINEL DEBUG setting.
const fastInfoPeriod = time.Second

// sendPeriodicCommands sends INFO, PING and the hello as due (§3.2), and
// closes unhealthy connections (link health rules of §3.2).
//
// Redis evaluates the link health rules inside its SDOWN check, which is
// skipped in TILT; here they also run in TILT, so that a dead connection is
// replaced even while the sentinel does not act on what it sees.
func (c *Core) sendPeriodicCommands(ri *Instance, now time.Time) {
	c.sendDueCommands(ri, now)
	c.checkLinkHealth(ri, now)
}

// sendDueCommands is sentinelSendPeriodicCommands.
func (c *Core) sendDueCommands(ri *Instance, now time.Time) {
	l := ri.Link
	if l.Disconnected(ri.Kind) {
		return
	}
	// These commands are not critical: a link that stopped answering must
	// not pile them up (the health rules below replace such links).
	if l.PendingCommands >= MaxPendingCommands*l.Refcount {
		return
	}

	// A replica of a master that is failing is watched closely, in case
	// another sentinel or an operator promotes it; one reporting its
	// master link down too, to keep the link-down time fresh for the
	// replica selection.
	infoPeriod := c.Timing.InfoPeriod
	if ri.Kind == KindReplica &&
		(ri.Master.Flags&(FlagODown|FlagFailoverInProgress) != 0 || ri.MasterLinkDownTime != 0) {
		infoPeriod = fastInfoPeriod
	}
	// INFO is due again as long as no reply has refreshed InfoRefresh, as
	// in Redis (the pending limit above bounds it).
	if ri.Kind != KindSentinel && (ri.InfoRefresh.IsZero() || now.Sub(ri.InfoRefresh) > infoPeriod) {
		c.send(ri, OpInfo, now, command(ri, "INFO"))
	}

	period := c.pingPeriod(ri)
	if now.Sub(l.LastPongTime) > period && now.Sub(l.LastPingTime) > period/2 {
		c.sendPing(ri, now)
	}

	if now.Sub(ri.LastPubTime) > c.Timing.PublishPeriod {
		c.sendHello(ri, now)
	}
}

// sendPing sends a PING. ActPingTime keeps the time of the oldest PING
// still unanswered, so it is set only when none is pending: the instance
// has been silent since then, however many PINGs followed.
func (c *Core) sendPing(ri *Instance, now time.Time) bool {
	if c.send(ri, OpPing, now, command(ri, "PING")) == nil {
		return false
	}
	l := ri.Link
	l.LastPingTime = now
	if l.ActPingTime.IsZero() {
		l.ActPingTime = now
	}
	return true
}

// sendHello publishes the hello (§3.3) on ri's command connection: to a
// node it reaches the other sentinels subscribed there, to a peer sentinel
// it is handled by its PUBLISH command. Without announce-ip the address is
// the local IP of that connection; while the shell has not reported it the
// hello waits, as Redis skips it when it cannot read the socket's address.
func (c *Core) sendHello(ri *Instance, now time.Time) bool {
	if ri.Link.Disconnected(ri.Kind) {
		return false
	}
	ip := c.AnnounceIP
	if ip == "" {
		ip = ri.Link.LocalIP
	}
	if ip == "" {
		return false
	}
	payload := c.helloPayload(ip, masterOf(ri))
	return c.send(ri, OpHello, now, command(ri, "PUBLISH", HelloChannel, payload)) != nil
}

// helloPayload is the 8-field hello (§3.3): this sentinel's address, id and
// current epoch, then the master's name, current address (the promoted
// replica's during the leader's reconfiguration phase) and config epoch.
func (c *Core) helloPayload(ip string, m *Instance) string {
	port := c.Port
	if c.AnnouncePort != 0 {
		port = c.AnnouncePort
	}
	addr := m.CurrentMasterAddr()
	return strings.Join([]string{
		ip,
		strconv.Itoa(port),
		c.MyID,
		strconv.FormatUint(c.CurrentEpoch, 10),
		m.Name,
		c.announcedHost(addr),
		strconv.Itoa(addr.Port),
		strconv.FormatUint(m.ConfigEpoch, 10),
	}, ",")
}

// forceHelloUpdateForMaster makes the next tick publish hellos to the
// master, its replicas and sentinels at once (after a promotion), so that
// the new config epoch spreads without waiting for the publish period.
// Like Redis, it moves the last publish time back by one period and a
// millisecond rather than zeroing it.
func (c *Core) forceHelloUpdateForMaster(m *Instance) {
	if m.Kind != KindMaster {
		return
	}
	back := c.Timing.PublishPeriod + time.Millisecond
	force := func(ri *Instance) {
		// A zero time is already due.
		if !ri.LastPubTime.IsZero() {
			ri.LastPubTime = ri.LastPubTime.Add(-back)
		}
	}
	force(m)
	for _, s := range m.Sentinels {
		force(s)
	}
	for _, r := range m.Replicas {
		force(r)
	}
}

// checkLinkHealth closes connections that look connected but are not
// working (§3.2), once they have been up long enough
// (MinLinkReconnectPeriod) to not flap:
//   - the command connection when a PING has been pending for more than
//     half the down-after period and no reply of any kind (not even an
//     error) came for as long;
//   - the pub/sub connection when nothing arrived on it for three publish
//     periods: our own hellos come back on it every period.
func (c *Core) checkLinkHealth(ri *Instance, now time.Time) {
	l := ri.Link
	half := ri.DownAfter / 2
	closeCC := l.CC &&
		now.Sub(l.CCConnTime) > c.Timing.MinLinkReconnectPeriod &&
		!l.ActPingTime.IsZero() &&
		now.Sub(l.ActPingTime) > half &&
		now.Sub(l.LastPongTime) > half
	closePC := l.PC &&
		now.Sub(l.PCConnTime) > c.Timing.MinLinkReconnectPeriod &&
		now.Sub(l.PCLastActivity) > 3*c.Timing.PublishPeriod
	c.closeLink(l, closeCC, closePC)
}
