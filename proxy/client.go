package proxy

import (
	"crypto/subtle"
	"strconv"

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/routing"
)

// Pinning. A client that starts connection state on the node (routing's Pin
// flags) gets a private backend connection to one node and sends
// everything on it while the state lasts:
//
//   - MULTI until EXEC/DISCARD, WATCH until EXEC/DISCARD/UNWATCH (the pin
//     ends when EXEC, DISCARD or UNWATCH is sent: the node ends the state
//     whatever it answers);
//   - blocking commands (BLPOP, XREAD BLOCK, WAIT, ...) for that command
//     only: later commands wait for its reply before going elsewhere;
//   - SELECT n (n != 0), CLIENT SETNAME/TRACKING/ID..., HELLO 3 or HELLO
//     SETNAME for the rest of the client connection (or RESET);
//   - SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE: the private connection turns into a
//     byte pipe in both directions for the rest of the connection (or
//     RESET): pub/sub replies do not pair one for one with commands
//     (SUBSCRIBE a b answers twice, messages come unasked), so the proxy
//     stops matching. Every command is then forwarded as is and the node
//     enforces the pub/sub context. RESET ends it (replies still in flight
//     on the pipe are dropped).
//
// Ordering across connections: a client's commands may go to different
// connections (shared ones, its private one). Before a pin starts, and
// before a command leaves the private connection for a shared one, the
// client's earlier requests must all be answered: the client is stalled
// (its input stays in gnet's buffer) and woken when they are. So a pipeline
// "LPUSH k x; BLPOP k 0" runs in order on the node, like against Redis.
// Reads balanced over replicas are not ordered with each other (they
// commute), and on the smart port reads are not ordered after writes (they
// go to replicas, as with any replica read).
//
// The private connection is kept after a pin ends, for the next one, unless
// the next pin needs another node.

// client is one client connection, owned by its loop.
type client struct {
	gc gnet.Conn
	lp *loop
	ln *listener
	lg *loopGroup

	head, tail *slot // replies owed, in request order
	pending    int   // slots waiting for a node's reply (or held)
	held       int   // of which in a hold queue

	out   []byte // replies to write at the end of the callback
	dirty bool

	need int // input bytes needed before the next command can be framed

	priv        *backendConn // private connection (pinned, or kept idle)
	lastPrivate bool         // the last command went to priv
	cursor      *node        // node of the last SCAN-family read (cursors are per node)

	lastActive int64
	stallSince int64

	prev, next *client

	closed       bool // OnClose ran
	closing      bool // a close is queued
	quit         bool // close once the owed replies are written
	authed       bool
	resp3        bool
	inMulti      bool
	watching     bool
	pinLife      bool
	passthrough  bool
	txDirty      bool // a write was refused inside MULTI on the read port
	stalled      bool
	stallMaster  bool // stalled until a master is confirmed (or failover-hold)
	stallExpired bool
	wakeQueued   bool
}

func (cl *client) addr() string {
	if cl.gc == nil || cl.gc.RemoteAddr() == nil {
		return ""
	}
	return cl.gc.RemoteAddr().String()
}

// pinned reports whether every command must go to the private connection.
func (cl *client) pinned() bool { return cl.inMulti || cl.watching || cl.pinLife || cl.passthrough }

func (cl *client) push(s *slot) {
	s.next = nil
	if cl.tail == nil {
		cl.head = s
	} else {
		cl.tail.next = s
	}
	cl.tail = s
}

// clientList is an intrusive list of a loop's clients (idle checks).
type clientList struct{ root client }

func (l *clientList) init() { l.root.next, l.root.prev = &l.root, &l.root }

func (l *clientList) first() *client {
	if l.root.next == &l.root {
		return nil
	}
	return l.root.next
}

func (l *clientList) add(cl *client) {
	cl.prev, cl.next = l.root.prev, &l.root
	l.root.prev.next = cl
	l.root.prev = cl
}

func (l *clientList) remove(cl *client) {
	if cl.prev == nil {
		return
	}
	cl.prev.next, cl.next.prev = cl.next, cl.prev
	cl.prev, cl.next = nil, nil
}

func (lp *loop) newClient(c gnet.Conn, l *listener) *client {
	cl := &client{gc: c, lp: lp, ln: l, lg: lp.groups[l.g.idx], authed: lp.p.requirePass == "", lastActive: lp.now}
	lp.clients.add(cl)
	lp.nclients++
	return cl
}

// next returns the list successor of cl, nil at the end.
func (lp *loop) nextClient(cl *client) *client {
	if cl.next == &lp.clients.root {
		return nil
	}
	return cl.next
}

// clientClosed is OnClose: the client's owed replies are dropped, its
// requests in flight are orphaned (their replies are discarded, held ones
// never sent), its private connection closed.
func (lp *loop) clientClosed(cl *client, _ error) {
	if cl.closed {
		return
	}
	cl.closed, cl.closing = true, true
	lp.p.clients.Add(-1)
	lp.lnStats[cl.ln.idx].conns--
	lp.clients.remove(cl)
	lp.nclients--
	for s := cl.head; s != nil; {
		next := s.next
		if s.flags&sDone != 0 {
			lp.freeSlot(s)
		} else {
			s.cl = nil // its backend or hold queue recycles it
		}
		s = next
	}
	cl.head, cl.tail = nil, nil
	if bc := cl.priv; bc != nil {
		cl.priv = nil
		bc.owner = nil
		lp.backendFail(bc, "client closed", failClient)
	}
	cl.out = nil
}

// closeClient queues a close; OnClose does the cleanup.
func (lp *loop) closeClient(cl *client) {
	if cl.closing {
		return
	}
	cl.closing = true
	_ = cl.gc.Close()
}

// wake queues an OnTraffic for a stalled client.
func (lp *loop) wake(cl *client) {
	if cl.wakeQueued || cl.closing {
		return
	}
	cl.wakeQueued = true
	_ = cl.gc.Wake(nil)
}

// clientTraffic frames and dispatches every complete command buffered.
func (lp *loop) clientTraffic(cl *client) gnet.Action {
	lp.now = lp.p.now()
	cl.wakeQueued = false
	c := cl.gc
	if cl.closing || cl.quit {
		_, _ = c.Discard(-1)
		return gnet.None
	}
	cl.lastActive = lp.now
	if cl.need > 0 && c.InboundBuffered() < cl.need {
		return gnet.None // a large argument is still arriving
	}
	cl.stalled = false
	if cl.passthrough {
		lp.passthroughTraffic(cl)
		lp.endClientCallback()
		return gnet.None
	}
	buf, _ := c.Peek(-1)
	pos := 0
	st := &lp.lnStats[cl.ln.idx]
	for pos < len(buf) && !cl.stalled && !cl.quit && !cl.closing && !cl.passthrough {
		lim := resp.Limits{Unauthenticated: !cl.authed}
		args, n, need, err := resp.ReadCommandNeed(buf[pos:], lim, lp.args)
		if err != nil {
			lp.p.log.Debug("client protocol error", zap.String("event", "client-protocol-error"),
				zap.String("addr", cl.addr()), zap.Error(err))
			lp.localString(cl, "ERR "+err.Error())
			cl.quit = true
			pos = len(buf)
			break
		}
		if n == 0 {
			cl.need = 0
			if need > 64<<10 {
				cl.need = pos + need
			}
			break
		}
		cl.need = 0
		if len(args) == 0 {
			pos += n
			continue
		}
		lp.args = args[:0]
		if !lp.command(cl, args, buf[pos:pos+n]) {
			break // stalled: the command stays buffered
		}
		st.commands++
		pos += n
	}
	if pos > 0 {
		_, _ = c.Discard(pos)
		if cl.need > 0 {
			cl.need -= pos
		}
	}
	if cl.passthrough && !cl.stalled && c.InboundBuffered() > 0 {
		lp.passthroughTraffic(cl)
	}
	if c.InboundBuffered() > queryBufLimit {
		lp.p.log.Warn("client query buffer limit reached, closing the client",
			zap.String("event", "client-query-limit"), zap.String("addr", cl.addr()))
		lp.closeClient(cl)
	}
	lp.endClientCallback()
	return gnet.None
}

// endClientCallback writes what the callback produced.
func (lp *loop) endClientCallback() {
	if !batchAcrossClients {
		lp.flushBackends()
	}
	lp.flushClients()
}

// passthroughTraffic forwards a pub/sub client's bytes to its private
// connection, command by command (RESET is the proxy's).
func (lp *loop) passthroughTraffic(cl *client) {
	c := cl.gc
	bc := cl.priv
	buf, _ := c.Peek(-1)
	pos := 0
	for pos < len(buf) {
		args, n, err := resp.ReadCommand(buf[pos:], resp.Limits{}, lp.args)
		if err != nil {
			lp.forwardRaw(bc, buf[:pos])
			cl.out = append(cl.out, "-ERR "+err.Error()+"\r\n"...)
			lp.markDirty(cl)
			cl.quit = true
			_, _ = c.Discard(-1)
			return
		}
		if n == 0 {
			break
		}
		if len(args) > 0 {
			lp.args = args[:0]
			if eqFold(args[0], "reset") {
				lp.forwardRaw(bc, buf[:pos])
				_, _ = c.Discard(pos + n)
				lp.resetClient(cl)
				cl.out = append(cl.out, replyReset...)
				lp.markDirty(cl)
				if c.InboundBuffered() > 0 {
					lp.wake(cl)
				}
				return
			}
		}
		pos += n
	}
	lp.forwardRaw(bc, buf[:pos])
	_, _ = c.Discard(pos)
}

// forwardRaw appends bytes to a pass-through connection.
func (lp *loop) forwardRaw(bc *backendConn, b []byte) {
	if len(b) == 0 || bc == nil || bc.state == bcClosed {
		return
	}
	bc.wbuf = append(bc.wbuf, b...)
	lp.markBackendDirty(bc)
}

// command handles one framed command; raw is its bytes. It returns false
// when the client must stall (the command is not consumed).
func (lp *loop) command(cl *client, args [][]byte, raw []byte) bool {
	var sub []byte
	if len(args) > 1 {
		sub = args[1]
	}
	info := routing.Lookup(args[0], sub)
	f := info.Flags
	if !cl.authed && !noAuthCommand(info.Name) {
		lp.local(cl, replyNoAuth)
		return true
	}
	if f&routing.Refused != 0 {
		lp.localString(cl, info.RefusedError())
		return true
	}
	if f&routing.Local != 0 {
		return lp.localCommand(cl, info, args, raw)
	}
	// Writes on the read port get Redis's replica error, except blocking
	// pops outside a transaction: clients park them on whatever port they
	// read from, so they go to the master (pinTarget) and work on both
	// ports; inside MULTI they would be plain writes.
	if cl.ln.role == roleRead && f&routing.Write != 0 && (f&routing.PinBlocking == 0 || cl.inMulti) {
		if cl.inMulti {
			cl.txDirty = true
		}
		lp.local(cl, replyReadonly)
		return true
	}
	if cl.pinned() {
		return lp.toPrivate(cl, info, args, raw)
	}
	if f&routing.Pins != 0 && needsPin(info, args) {
		return lp.startPin(cl, info, args, raw)
	}
	return lp.route(cl, info, raw)
}

// noAuthCommand: what an unauthenticated client may send (Redis's no-auth
// commands).
func noAuthCommand(name string) bool {
	switch name {
	case "auth", "hello", "quit", "reset":
		return true
	}
	return false
}

// needsPin skips pins whose state is the connection's default anyway.
func needsPin(info routing.Info, args [][]byte) bool {
	switch info.Name {
	case "select":
		return !(len(args) == 2 && string(args[1]) == "0")
	case "xread", "xreadgroup":
		for _, a := range args[1:] {
			if eqFold(a, "block") {
				return true
			}
		}
		return false
	}
	return true
}

// route sends an unpinned command to its node by port and flags.
func (lp *loop) route(cl *client, info routing.Info, raw []byte) bool {
	f := info.Flags
	switch cl.ln.role {
	case roleRead:
		if f.Master() {
			return lp.toMaster(cl, raw)
		}
		return lp.toReplica(cl, info, raw)
	case roleSmart:
		if f&routing.Read != 0 {
			return lp.toReplica(cl, info, raw)
		}
	}
	return lp.toMaster(cl, raw)
}

// barrier reports whether cl must wait before using a shared connection:
// its last command went to its private connection and is unanswered.
func (lp *loop) barrier(cl *client) bool {
	if cl.lastPrivate && cl.pending > 0 {
		cl.stalled = true
		return true
	}
	cl.lastPrivate = false
	return false
}

// toMaster sends a command to the group's master, or holds it.
func (lp *loop) toMaster(cl *client, raw []byte) bool {
	if lp.barrier(cl) {
		return false
	}
	lg := cl.lg
	m := lg.masterNode()
	if m != nil && cl.held > 0 {
		lg.flushHold()
	}
	if m == nil {
		s := lp.newSlot(cl)
		s.flags = sTimed | sMaster
		cl.push(s)
		cl.pending++
		if !lg.holdSlot(s, raw) {
			if lg.g.hold < 0 {
				lp.completeLocal(s, replyNoMaster)
			} else {
				lp.completeLocal(s, replyHoldFull)
			}
		}
		return true
	}
	lp.enqueue(lp.sharedConn(m, true), cl, raw, sTimed|sMaster)
	return true
}

// pickReplica chooses a node for a read: a healthy replica, the node of
// the client's last cursor for SCAN-family commands, or the master as the
// fallback; nil when there is none.
func (lp *loop) pickReplica(cl *client, info routing.Info) *node {
	lg := cl.lg
	m := lg.masterNode()
	cursor := info.Flags&routing.Cursor != 0
	if cursor && cl.cursor != nil && cl.cursor.downUntil <= lp.now && (cl.cursor == m || lg.isReplica(cl.cursor)) {
		return cl.cursor
	}
	var nd *node
	if len(lg.replicas) > 0 {
		c := lg.cands[:0]
		for _, r := range lg.replicas {
			c = append(c, routing.Candidate{Healthy: r.downUntil <= lp.now, Outstanding: r.outstanding})
		}
		lg.cands = c
		if i := lg.bal.Pick(c); i >= 0 {
			nd = lg.replicas[i]
		}
	}
	if nd == nil && lg.g.readFallback {
		nd = m
	}
	if cursor {
		cl.cursor = nd
	}
	return nd
}

// toReplica sends a read to a balanced replica.
func (lp *loop) toReplica(cl *client, info routing.Info, raw []byte) bool {
	if lp.barrier(cl) {
		return false
	}
	nd := lp.pickReplica(cl, info)
	if nd == nil {
		lp.local(cl, replyNoReplica)
		return true
	}
	lp.enqueue(lp.sharedConn(nd, nd == cl.lg.master), cl, raw, sTimed)
	return true
}

// pinTarget is the node a new pin goes to, and whether it is the master.
func (lp *loop) pinTarget(cl *client, info routing.Info) (*node, bool) {
	f := info.Flags
	toReplica := false
	switch cl.ln.role {
	case roleRead:
		toReplica = !f.Master()
	case roleSmart:
		toReplica = f&routing.Read != 0
	}
	if toReplica {
		nd := lp.pickReplica(cl, info)
		return nd, nd != nil && nd == cl.lg.master
	}
	return cl.lg.masterNode(), true
}

// startPin opens (or reuses) the private connection for a command that
// starts connection state.
func (lp *loop) startPin(cl *client, info routing.Info, args [][]byte, raw []byte) bool {
	if cl.pending > 0 {
		cl.stalled = true
		return false
	}
	nd, forMaster := lp.pinTarget(cl, info)
	if nd == nil {
		if !forMaster {
			lp.local(cl, replyNoReplica)
			return true
		}
		if cl.stallExpired || cl.lg.g.hold < 0 {
			cl.stallExpired = false
			lp.local(cl, replyHoldExpired)
			return true
		}
		if !cl.stallMaster {
			cl.stallMaster = true
			cl.stallSince = lp.now
			cl.lg.stalled = append(cl.lg.stalled, cl)
		}
		cl.stalled = true
		return false
	}
	cl.stallMaster, cl.stallExpired = false, false
	if bc := cl.priv; bc != nil && (bc.nd != nd || bc.state == bcClosed || bc.forMaster != forMaster) {
		cl.priv = nil
		bc.owner = nil
		lp.backendFail(bc, "re-pinned elsewhere", failClient)
	}
	if cl.priv == nil {
		cl.priv = lp.newBackendConn(nd, true, cl, forMaster)
	}
	return lp.toPrivate(cl, info, args, raw)
}

// toPrivate sends a command on the client's private connection and keeps
// the pin state.
func (lp *loop) toPrivate(cl *client, info routing.Info, args [][]byte, raw []byte) bool {
	bc := cl.priv
	if bc == nil || bc.state == bcClosed {
		// The pinned connection is gone: the state it carried is lost.
		lp.local(cl, replyPinnedDropped)
		cl.quit = true
		return true
	}
	f := info.Flags
	if f&routing.PinSubscribe != 0 {
		if cl.pending > 0 {
			cl.stalled = true
			return false
		}
		cl.passthrough, bc.passthrough = true, true
		cl.lastPrivate = true
		lp.forwardRaw(bc, raw)
		return true
	}
	flags := sTimed
	if f&routing.PinBlocking != 0 && needsPin(info, args) {
		flags |= sBlocking
		if info.Name == "wait" || info.Name == "waitaof" {
			h := lp.newSlot(nil)
			h.flags = sHidden
			lp.enqueueSlot(bc, h, waitPrelude)
		}
	}
	cl.lastPrivate = true
	switch {
	case f&routing.EndsTx != 0:
		if info.Name == "unwatch" {
			if !cl.inMulti {
				cl.watching = false
			}
			break
		}
		if info.Name == "exec" && cl.txDirty && cl.inMulti {
			s := lp.enqueue(bc, cl, lp.commandBytes("DISCARD"), flags)
			s.replace = replyExecAbort
			cl.inMulti, cl.watching, cl.txDirty = false, false, false
			return true
		}
		cl.inMulti, cl.watching, cl.txDirty = false, false, false
	case f&routing.PinMulti != 0:
		cl.inMulti = true
	case f&routing.PinWatch != 0:
		if !cl.inMulti {
			cl.watching = true
		}
	case f&routing.PinConnState != 0 && needsPin(info, args):
		cl.pinLife = true
	}
	lp.enqueue(bc, cl, raw, flags)
	return true
}

// commandBytes encodes a command the proxy writes itself (into lp.tmp,
// valid until the next call).
func (lp *loop) commandBytes(args ...string) []byte {
	lp.tmp = resp.AppendCommandStrings(lp.tmp[:0], args...)
	return lp.tmp
}

// localCommand answers the commands the proxy owns: AUTH, QUIT, RESET,
// CLIENT SETINFO, HELLO.
func (lp *loop) localCommand(cl *client, info routing.Info, args [][]byte, raw []byte) bool {
	switch info.Name {
	case "auth":
		lp.auth(cl, args)
	case "quit":
		lp.local(cl, replyOK)
		cl.quit = true
	case "reset":
		if cl.pending > 0 {
			cl.stalled = true
			return false
		}
		lp.resetClient(cl)
		lp.local(cl, replyReset)
	case "client|setinfo":
		lp.clientSetinfo(cl, args)
	case "hello":
		return lp.hello(cl, info, args)
	default:
		// A Local command this proxy does not know: let the node answer.
		return lp.route(cl, info, raw)
	}
	return true
}

// resetClient drops every pin and the proxy's own connection state.
func (lp *loop) resetClient(cl *client) {
	if bc := cl.priv; bc != nil {
		cl.priv = nil
		bc.owner = nil
		lp.backendFail(bc, "client reset", failClient)
	}
	cl.inMulti, cl.watching, cl.pinLife, cl.passthrough, cl.txDirty = false, false, false, false, false
	cl.resp3, cl.lastPrivate, cl.cursor = false, false, nil
	cl.authed = lp.p.requirePass == ""
}

// checkPass compares credentials with the proxy's requirepass (the default
// user is the only user).
func (lp *loop) checkPass(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	rp := lp.p.requirePass
	if rp == "" {
		return true // the default user has nopass
	}
	return subtle.ConstantTimeCompare(pass, []byte(rp)) == 1
}

func (lp *loop) auth(cl *client, args [][]byte) {
	var user, pass []byte
	switch len(args) {
	case 2:
		if lp.p.requirePass == "" {
			lp.local(cl, replyAuthNoPass)
			return
		}
		user, pass = []byte("default"), args[1]
	case 3:
		user, pass = args[1], args[2]
	default:
		lp.local(cl, replyAuthArity)
		return
	}
	if !lp.checkPass(user, pass) {
		lp.lnStats[cl.ln.idx].rejected++
		lp.p.log.Info("client authentication failed", zap.String("event", "auth-failed"), zap.String("addr", cl.addr()))
		lp.local(cl, replyWrongPass)
		return
	}
	cl.authed = true
	lp.local(cl, replyOK)
}

// clientSetinfo checks CLIENT SETINFO as Redis 7.2 does and answers +OK:
// library names describe the client's connection, which the node never
// sees.
func (lp *loop) clientSetinfo(cl *client, args [][]byte) {
	if len(args) != 4 {
		lp.local(cl, replySetinfoArity)
		return
	}
	var attr string
	switch {
	case eqFold(args[2], "lib-name"):
		attr = "lib-name"
	case eqFold(args[2], "lib-ver"):
		attr = "lib-ver"
	default:
		lp.localString(cl, "ERR Unrecognized option '"+string(args[2])+"'")
		return
	}
	for _, c := range args[3] {
		if c < '!' || c > '~' {
			lp.localString(cl, "ERR "+attr+" cannot contain spaces, newlines or special characters.")
			return
		}
	}
	lp.local(cl, replyOK)
}

// hello handles HELLO [protover [AUTH user pass] [SETNAME name]]: AUTH is
// checked here and never forwarded; RESP3 or SETNAME pin the client to a
// private connection that receives the HELLO (so its replies are the
// node's own, in the protocol the client asked for); a bare HELLO or HELLO
// 2 goes to the node like any node-local command.
func (lp *loop) hello(cl *client, info routing.Info, args [][]byte) bool {
	ver := 0
	i := 1
	if len(args) > 1 {
		v, err := strconv.Atoi(string(args[1]))
		if err != nil {
			lp.local(cl, replyProtoNotInt)
			return true
		}
		if v < 2 || v > 3 {
			lp.local(cl, replyNoProto)
			return true
		}
		ver, i = v, 2
	}
	var setname []byte
	authOK := false
	for ; i < len(args); i++ {
		switch {
		case eqFold(args[i], "auth") && i+2 < len(args):
			if !lp.checkPass(args[i+1], args[i+2]) {
				lp.lnStats[cl.ln.idx].rejected++
				lp.p.log.Info("client authentication failed", zap.String("event", "auth-failed"),
					zap.String("addr", cl.addr()))
				lp.local(cl, replyWrongPass)
				return true
			}
			authOK = true
			i += 2
		case eqFold(args[i], "setname") && i+1 < len(args):
			setname = args[i+1]
			i++
		default:
			lp.localString(cl, "ERR Syntax error in HELLO option '"+string(args[i])+"'")
			return true
		}
	}
	if !cl.authed && !authOK {
		lp.local(cl, replyHelloNoAuth)
		return true
	}
	fwd := []string{"HELLO"}
	if ver != 0 {
		fwd = append(fwd, strconv.Itoa(ver))
	}
	if setname != nil {
		fwd = append(fwd, "SETNAME", string(setname))
	}
	pin := ver == 3 || setname != nil || cl.pinned()
	if pin && !cl.pinned() && cl.pending > 0 {
		cl.stalled = true
		return false // the HELLO is reframed when the client wakes
	}
	cl.authed = true
	raw := lp.commandBytes(fwd...)
	if !pin {
		return lp.route(cl, info, raw)
	}
	if !cl.pinned() {
		if !lp.startPin(cl, info, nil, raw) {
			return false
		}
	} else if !lp.toPrivate(cl, info, nil, raw) {
		return false
	}
	if ver == 3 {
		cl.resp3 = true
	} else if ver == 2 {
		cl.resp3 = false
	}
	return true
}

// local queues a constant reply in order.
func (lp *loop) local(cl *client, text []byte) {
	s := lp.newSlot(cl)
	s.local = text
	s.flags = sDone
	cl.push(s)
	if text[0] == '-' {
		lp.lnStats[cl.ln.idx].errors++
	}
	if cl.head == s {
		lp.deliver(cl)
	}
}

// localString queues an error reply made of text ("ERR ...").
func (lp *loop) localString(cl *client, text string) {
	s := lp.newSlot(cl)
	s.buf = append(append(append(s.buf[:0], '-'), text...), '\r', '\n')
	s.flags = sDone
	cl.push(s)
	lp.lnStats[cl.ln.idx].errors++
	if cl.head == s {
		lp.deliver(cl)
	}
}

// completeLocal answers a pending slot (held, or on a failed connection)
// with a constant reply.
func (lp *loop) completeLocal(s *slot, text []byte) {
	cl := s.cl
	if cl == nil {
		lp.freeSlot(s)
		return
	}
	cl.pending--
	s.local = text
	s.buf = s.buf[:0]
	s.flags |= sDone
	if text[0] == '-' {
		lp.lnStats[cl.ln.idx].errors++
	}
	if cl.head == s {
		lp.deliver(cl)
	}
	if cl.stalled && cl.pending == 0 {
		lp.wake(cl)
	}
}

// deliver moves the replies at the head of cl's FIFO to its output: every
// complete one, and what has arrived of the first incomplete one (later
// bytes of that reply then go straight to the output).
func (lp *loop) deliver(cl *client) {
	for h := cl.head; h != nil; h = cl.head {
		if len(h.buf) > 0 {
			cl.out = append(cl.out, h.buf...)
			h.buf = h.buf[:0]
			lp.markDirty(cl)
		}
		if h.flags&sDone == 0 {
			return
		}
		if h.local != nil {
			cl.out = append(cl.out, h.local...)
			lp.markDirty(cl)
		}
		cl.head = h.next
		if cl.head == nil {
			cl.tail = nil
		}
		lp.freeSlot(h)
	}
}

// eqFold compares an argument with a lower-case ASCII word, ignoring case.
func eqFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
