package backend

// WAIT and FAILOVER (the master side's commands; REPLICAOF/SLAVEOF are the
// replica side's, in repl_replica.go).

import (
	"fmt"
	"math"
	"strings"
	"time"

	"go.uber.org/zap"
)

func init() {
	register(
		&Command{Name: "wait", Arity: 3, Flags: FlagNoScript, Group: "generic", Since: "3.0.0",
			Summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
			ACL:     []string{"connection"}, Proc: waitCommand},
		&Command{Name: "failover", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagStale, Group: "server", Since: "6.2.0",
			Summary: "Start a coordinated failover between this server and one of its replicas.", Proc: failoverCommand},
	)
}

// Hooks the replica side installs for FAILOVER and PSYNC FAILOVER (called
// with s.mu held):
//
//	replicationSetMasterHook(s, host, port): become a replica of host:port
//	    (what REPLICAOF host port does, without a reply). While
//	    s.repl.failover.state == failoverInProgress the handshake must send
//	    "PSYNC <replid> <offset> FAILOVER" and then call
//	    s.failoverPsyncResult(ok) with whether the target accepted it
//	    (+CONTINUE / +FULLRESYNC) or not (any error).
//	replicationUnsetMasterHook(s): become a master (REPLICAOF NO ONE:
//	    shiftReplicationID, disconnectReplicas, ...).
var (
	replicationSetMasterHook   func(s *Server, host string, port int)
	replicationUnsetMasterHook func(s *Server)
)

// --- WAIT -------------------------------------------------------------------

// waitState is a client blocked in WAIT.
type waitState struct {
	offset      int64
	numReplicas int64
	timer       *time.Timer
}

// ackedReplicas counts online replicas whose ACK reached off
// (replicationCountAcksByOffset).
func (s *Server) ackedReplicas(off int64) int64 {
	n := int64(0)
	for _, rc := range s.repl.replicas {
		if rc.state == replOnline && rc.ackOff >= off {
			n++
		}
	}
	return n
}

func waitCommand(c *Client) {
	s := c.srv
	if s.isReplica() {
		c.ReplyError("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	num, ok := c.IntArg(1)
	if !ok {
		return
	}
	ms, ok := ParseInt(c.argv[2])
	if !ok {
		c.ReplyError("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.ReplyError("ERR timeout is negative")
		return
	}
	acked := s.ackedReplicas(c.woff)
	if acked >= num || c.denyBlocking() {
		c.ReplyInt(acked)
		return
	}
	ws := &waitState{offset: c.woff, numReplicas: num}
	if s.repl.waits == nil {
		s.repl.waits = map[*Client]*waitState{}
	}
	s.repl.waits[c] = ws
	c.flags |= flagBlocked
	s.blk.blocked++
	if ms > 0 {
		s.blk.withTimeout++
		ws.timer = time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.repl.waits[c] == ws {
				s.endWait(c, s.ackedReplicas(ws.offset))
			}
		})
	}
	// Ask the replicas for an ACK now rather than at their next 1 s tick.
	s.repl.getackPending = true
}

// endWait unblocks a WAIT client with its reply. Caller holds s.mu.
func (s *Server) endWait(c *Client, reply int64) {
	s.unblockWait(c)
	c.ReplyInt(reply)
	s.wake(c)
}

func (s *Server) unblockWait(c *Client) {
	ws := s.repl.waits[c]
	if ws == nil {
		return
	}
	if ws.timer != nil {
		ws.timer.Stop()
		s.blk.withTimeout--
	}
	delete(s.repl.waits, c)
	c.flags &^= flagBlocked
	s.blk.blocked--
}

// processWaiters answers the WAIT clients whose target is reached
// (processClientsWaitingReplicas). Caller holds s.mu.
func (s *Server) processWaiters() {
	for c, ws := range s.repl.waits {
		if n := s.ackedReplicas(ws.offset); n >= ws.numReplicas {
			s.endWait(c, n)
		}
	}
}

// waitClientGone drops a disconnected WAIT client.
func (s *Server) waitClientGone(c *Client) { s.unblockWait(c) }

// replSendGetackIfNeeded feeds one REPLCONF GETACK * after a command that
// blocked in WAIT (Redis does it once per event-loop iteration, in
// beforeSleep), not while clients are paused.
func (s *Server) replSendGetackIfNeeded() {
	if !s.repl.getackPending {
		return
	}
	if s.paused.typ != pauseOff {
		return
	}
	s.repl.getackPending = false
	s.replFeedCommand("REPLCONF", "GETACK", "*")
}

// --- FAILOVER -------------------------------------------------------------------

const (
	failoverNone = iota
	failoverWaitForSync
	failoverInProgress
)

// failoverState is FAILOVER's progress. Guarded by Server.mu.
type failoverState struct {
	state      int
	deadline   time.Time // zero: no TIMEOUT
	force      bool
	targetHost string // "" until chosen
	targetPort int
}

func (f *failoverState) stateName() string {
	switch f.state {
	case failoverWaitForSync:
		return "waiting-for-sync"
	case failoverInProgress:
		return "failover-in-progress"
	}
	return "no-failover"
}

func failoverCommand(c *Client) {
	s := c.srv
	s.replInit()
	f := &s.repl.failover
	if len(c.argv) == 2 && c.ArgIs(1, "abort") {
		if f.state == failoverNone {
			c.ReplyError("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		c.ReplyOK()
		return
	}
	var timeoutMs int64
	force := false
	host := ""
	hostSet := false
	port := int64(0)
	for j := 1; j < len(c.argv); j++ {
		switch {
		case c.ArgIs(j, "timeout") && j+1 < len(c.argv) && timeoutMs == 0:
			v, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			if v <= 0 {
				c.ReplyError("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeoutMs = v
			j++
		case c.ArgIs(j, "to") && j+2 < len(c.argv) && !hostSet:
			v, ok := c.IntArg(j + 2)
			if !ok {
				return
			}
			port = v
			host = string(c.argv[j+1])
			hostSet = true
			j += 2
		case c.ArgIs(j, "force") && !force:
			force = true
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	if f.state != failoverNone {
		c.ReplyError("ERR FAILOVER already in progress.")
		return
	}
	if s.isReplica() {
		c.ReplyError("ERR FAILOVER is not valid when server is a replica.")
		return
	}
	if len(s.repl.replicas) == 0 {
		c.ReplyError("ERR FAILOVER requires connected replicas.")
		return
	}
	if force && (timeoutMs == 0 || !hostSet) {
		c.ReplyError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if hostSet {
		rc := s.findReplica(host, int(port))
		if rc == nil {
			c.ReplyError("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if rc.state != replOnline {
			c.ReplyError("ERR FAILOVER target replica is not online.")
			return
		}
		f.targetHost, f.targetPort = host, int(port)
		s.log.Info(fmt.Sprintf("FAILOVER requested to %s:%d.", host, port), zap.String("event", "failover-requested"))
	} else {
		s.log.Info("FAILOVER requested to any replica.", zap.String("event", "failover-requested"))
	}
	if replicationSetMasterHook == nil {
		c.ReplyError("ERR FAILOVER is not supported by this build")
		f.targetHost, f.targetPort = "", 0
		return
	}
	if timeoutMs > 0 {
		f.deadline = time.UnixMilli(s.nowMs() + timeoutMs)
	}
	f.force = force
	f.state = failoverWaitForSync
	s.pauseClients(pauseForFailover, math.MaxInt64, pauseWrite)
	c.ReplyOK()
}

// findReplica finds a replica by announced (or peer) ip and listening port.
func (s *Server) findReplica(host string, port int) *replicaConn {
	for _, rc := range s.repl.replicas {
		ip := rc.ip
		if ip == "" {
			ip = peerIP(rc.c)
		}
		if strings.EqualFold(ip, host) && rc.port == port {
			return rc
		}
	}
	return nil
}

// failoverCron is updateFailoverStatus, run from the replication cron.
func (s *Server) failoverCron() {
	f := &s.repl.failover
	if f.state != failoverWaitForSync {
		return
	}
	if !f.deadline.IsZero() && !s.timeNow().Before(f.deadline) {
		if f.force {
			s.log.Info(fmt.Sprintf("FAILOVER to %s:%d time out exceeded, failing over.", f.targetHost, f.targetPort),
				zap.String("event", "failover-forced"))
			f.state = failoverInProgress
			replicationSetMasterHook(s, f.targetHost, f.targetPort)
			return
		}
		s.abortFailover("Replica never caught up before timeout")
		return
	}
	s.failoverCheckProgress()
}

// failoverCheckProgress starts the handoff once the target (or any
// replica, without TO) has acknowledged the whole stream.
func (s *Server) failoverCheckProgress() {
	f := &s.repl.failover
	if f.state != failoverWaitForSync {
		return
	}
	var target *replicaConn
	if f.targetHost != "" {
		target = s.findReplica(f.targetHost, f.targetPort)
	} else {
		for _, rc := range s.repl.replicas {
			if rc.ackOff == s.repl.offset {
				ip := rc.ip
				if ip == "" {
					ip = peerIP(rc.c)
				}
				f.targetHost, f.targetPort = ip, rc.port
				target = rc
				break
			}
		}
	}
	if target == nil || target.ackOff != s.repl.offset {
		return
	}
	f.state = failoverInProgress
	s.log.Info(fmt.Sprintf("Failover target %s:%d is synced, failing over.", f.targetHost, f.targetPort),
		zap.String("event", "failover-synced"))
	replicationSetMasterHook(s, f.targetHost, f.targetPort)
}

// failoverPsyncResult is called by the replica side with the target's
// answer to PSYNC ... FAILOVER.
func (s *Server) failoverPsyncResult(accepted bool) {
	if s.repl.failover.state != failoverInProgress {
		return
	}
	if accepted {
		s.clearFailoverState()
		return
	}
	s.abortFailover("Failover target rejected psync request")
}

// abortFailover rolls a failover back (abortFailover).
func (s *Server) abortFailover(why string) {
	f := &s.repl.failover
	if f.state == failoverNone {
		return
	}
	if f.targetHost != "" {
		s.log.Info(fmt.Sprintf("FAILOVER to %s:%d aborted: %s", f.targetHost, f.targetPort, why), zap.String("event", "failover-aborted"))
	} else {
		s.log.Info("FAILOVER to any replica aborted: "+why, zap.String("event", "failover-aborted"))
	}
	if f.state == failoverInProgress && replicationUnsetMasterHook != nil {
		replicationUnsetMasterHook(s)
	}
	s.clearFailoverState()
}

func (s *Server) clearFailoverState() {
	s.repl.failover = failoverState{}
	s.unpauseClients(pauseForFailover)
}
