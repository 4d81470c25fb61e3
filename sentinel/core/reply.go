package core

import (
	"strings"
	"time"
)

// Reply delivers the reply to req; r is nil when the connection was lost
// before it came. It dispatches on req.Op (OpAskMaster goes to
// askMasterReply).
//
// A nil reply settles nothing: the connection is gone and LinkDown (or the
// core's own closeLink) resets the pending count. A real reply settles one
// pending command per command of the request, on the link it was sent on.
// Replies for instances removed in the meantime, or that came over a link
// the instance no longer uses, are not acted on.
func (c *Core) Reply(req *Request, r *Reply, now time.Time) {
	if req == nil || req.Inst == nil {
		return
	}
	if r != nil {
		l := req.Link
		if l == nil {
			l = req.Inst.Link
		}
		l.PendingCommands -= len(req.Cmds)
		if l.PendingCommands < 0 {
			l.PendingCommands = 0
		}
	}
	ri := req.Inst
	if ri.removed {
		return
	}
	if req.Link != nil && req.Link != ri.Link {
		// Sent on a link ri has left since (a reset to a new address, a
		// sentinel entry moved to a shared link): the answer describes a
		// connection that no longer serves ri.
		return
	}
	switch req.Op {
	case OpAskMaster:
		// The failover side reads nil replies too (nothing to record).
		c.askMasterReply(req, r, now)
		return
	case OpSlaveOf, OpScriptKill:
		// Effects are observed through INFO and PING.
		return
	}
	if r == nil {
		return
	}
	switch req.Op {
	case OpPing:
		c.pingReply(ri, r, now)
	case OpInfo:
		if r.Kind == ReplyBulk {
			c.refreshInstanceInfo(ri, r.Str, now)
		}
	case OpHello:
		// A failed PUBLISH is retried on the next tick.
		if r.Kind != ReplyError {
			ri.LastPubTime = now
		}
	}
}

// pingReply handles a PING reply (§3.2). Any reply shows the connection
// works; only +PONG, -LOADING and -MASTERDOWN show the instance is
// available. A master in its reboot window leaves it only on +PONG
// (§4.1). An SDOWN instance answering -BUSY is stuck in a script: it gets
// one SCRIPT KILL.
func (c *Core) pingReply(ri *Instance, r *Reply, now time.Time) {
	l := ri.Link
	if r.Kind == ReplyStatus || r.Kind == ReplyError {
		switch {
		case strings.HasPrefix(r.Str, "PONG") ||
			strings.HasPrefix(r.Str, "LOADING") ||
			strings.HasPrefix(r.Str, "MASTERDOWN"):
			l.LastAvailTime = now
			l.ActPingTime = time.Time{}
			if ri.Flags&FlagMasterReboot != 0 && strings.HasPrefix(r.Str, "PONG") {
				ri.Flags &^= FlagMasterReboot
			}
		case strings.HasPrefix(r.Str, "BUSY") &&
			ri.Flags&FlagSDown != 0 && ri.Flags&FlagScriptKillSent == 0:
			c.send(ri, OpScriptKill, now, command(ri, "SCRIPT", "KILL"))
			// Marked even if the link refused it: Redis tries once per
			// SDOWN period.
			ri.Flags |= FlagScriptKillSent
		}
	}
	l.LastPongTime = now
}
