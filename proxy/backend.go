package proxy

import (
	"context"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/routing"
)

// readInfo classifies a read being routed again (no cursor, no pin).
var readInfo = routing.Lookup([]byte("get"), nil)

// batchAcrossClients: requests for a node are written once per loop
// iteration (after all the iteration's client reads) instead of once per
// client read. See the package doc.
var batchAcrossClients = true

// node is one Redis node as one loop uses it.
type node struct {
	addr   string
	lg     *loopGroup
	shared *backendConn // the loop's multiplexed connection (nil until needed)
	// outstanding counts requests sent and unanswered on all the loop's
	// connections to the node (least-outstanding balancing).
	outstanding int64
	// downUntil keeps a node that failed a dial out of read balancing.
	downUntil int64
	probing   bool // a ROLE probe is under way
	conns     int
	commands  uint64
	errors    uint64
}

type bcState uint8

const (
	bcDialing bcState = iota
	bcHandshake
	bcReady
	bcClosed
)

// failKind says why a backend connection ended, which decides what
// happens to its requests and to the node.
type failKind uint8

const (
	failLost      failKind = iota // closed by the peer or an I/O error
	failRefused                   // the dial failed
	failTimeout                   // reply or handshake timeout
	failProto                     // the node broke RESP
	failAuth                      // node-user/node-pass refused
	failNotMaster                 // ROLE did not say master
	failStale                     // the node no longer has the role it was pinned for
	failClient                    // the owning client went away or moved
)

type hsStep uint8

const (
	hsAuth hsStep = iota + 1
	hsRole
)

// backendConn is a connection to a node, owned by one loop: shared (all
// the loop's clients, pipelined) or private (one pinned client).
type backendConn struct {
	lp *loop
	lg *loopGroup
	nd *node
	gc gnet.Conn

	state     bcState
	private   bool
	forMaster bool    // writes go on it: ROLE is checked first
	owner     *client // private: the client it is pinned to
	// passthrough: a pub/sub pipe, bytes flow without request matching.
	passthrough bool

	q slotQueue // requests in order; the last unsent of them are not written yet
	// wbuf holds the requests' bytes from the oldest unanswered one on:
	// [acked, sent) are written and unanswered, [sent, len) not written.
	// Written requests are kept until answered so that one refused with
	// -READONLY can be held and retried.
	wbuf         []byte
	sent, acked  int
	unsent       int // slots at the back of q not written
	unsentMaster int // of which master-bound
	dirty        bool

	hs      []hsStep // handshake replies still expected
	hsBuf   []byte
	hsSince int64

	sc        replyScanner
	headSince int64 // when the front request became the front
}

// sharedConn returns the loop's shared connection to nd, dialling it if
// needed.
func (lp *loop) sharedConn(nd *node, forMaster bool) *backendConn {
	if bc := nd.shared; bc != nil && bc.state != bcClosed {
		return bc
	}
	bc := lp.newBackendConn(nd, false, nil, forMaster)
	nd.shared = bc
	return bc
}

// newBackendConn creates a connection and starts dialling it.
func (lp *loop) newBackendConn(nd *node, private bool, owner *client, forMaster bool) *backendConn {
	bc := &backendConn{lp: lp, lg: nd.lg, nd: nd, private: private, owner: owner, forMaster: forMaster}
	lp.conns = append(lp.conns, bc)
	nd.conns++
	lp.dial(bc)
	return bc
}

// dial connects from a goroutine with the connect timeout and enrolls the
// connection on the loop; the loop never waits.
func (lp *loop) dial(bc *backendConn) {
	addr := bc.nd.addr
	timeout := bc.lg.g.connTimeout
	el := lp.el
	go func() {
		d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err == nil {
			var ch <-chan gnet.RegisteredResult
			ch, err = el.Enroll(gnet.NewContext(context.Background(), bc), c)
			if err == nil {
				select {
				case res := <-ch:
					err = res.Err
				case <-time.After(timeout + 5*time.Second):
					// The loop is gone or stuck (shutdown): nothing to report to.
					return
				}
			} else {
				c.Close()
			}
		}
		if err != nil {
			lp.execute(func() { lp.backendFail(bc, "connect: "+err.Error(), failRefused) })
		}
	}()
}

// backendOpened is OnOpen of a backend connection: send the handshake
// (AUTH with the node credentials, ROLE for a master connection), or the
// queued requests when there is none.
func (lp *loop) backendOpened(bc *backendConn, c gnet.Conn) ([]byte, gnet.Action) {
	lp.now = lp.p.now()
	bc.gc = c
	if bc.state == bcClosed {
		return nil, gnet.Close // abandoned while dialling
	}
	g := bc.lg.g
	var out []byte
	bc.hs = bc.hs[:0]
	if g.cfg.NodePass != "" {
		if g.cfg.NodeUser != "" {
			out = resp.AppendCommandStrings(out, "AUTH", g.cfg.NodeUser, g.cfg.NodePass)
		} else {
			out = resp.AppendCommandStrings(out, "AUTH", g.cfg.NodePass)
		}
		bc.hs = append(bc.hs, hsAuth)
	}
	if bc.forMaster {
		out = append(out, roleProbe...)
		bc.hs = append(bc.hs, hsRole)
	}
	if len(bc.hs) > 0 {
		bc.state = bcHandshake
		bc.hsSince = lp.now
		return out, gnet.None
	}
	bc.state = bcReady
	bc.headSince = lp.now
	b := lp.takeWrite(bc)
	if len(b) > 0 {
		out = append(out, b...) // gnet copies what the socket does not take
		lp.afterWrite(bc)
	}
	return out, gnet.None
}

// backendClosed is OnClose of a backend connection.
func (lp *loop) backendClosed(bc *backendConn, err error) {
	if bc.state == bcClosed {
		return
	}
	lp.now = lp.p.now()
	why := "closed by the node"
	if err != nil {
		why = err.Error()
	}
	bc.gc = nil // closing: nothing more to write or close on it
	lp.backendFail(bc, why, failLost)
	lp.flushClients()
}

// backendTraffic frames the node's replies and hands each to its request's
// client.
func (lp *loop) backendTraffic(bc *backendConn) gnet.Action {
	lp.now = lp.p.now()
	c := bc.gc
	if bc.state == bcClosed {
		_, _ = c.Discard(-1)
		return gnet.Close
	}
	buf, _ := c.Peek(-1)
	if bc.passthrough && len(bc.hs) == 0 {
		if cl := bc.owner; cl != nil && !cl.closing {
			cl.out = append(cl.out, buf...)
			lp.markDirty(cl)
		}
		_, _ = c.Discard(len(buf))
		lp.flushClients()
		return gnet.None
	}
	pos := 0
	for pos < len(buf) && bc.state != bcClosed {
		n, done, err := bc.sc.scan(buf[pos:])
		if err != nil {
			lp.p.log.Warn("node broke the protocol, closing the connection", zap.String("event", "backend-protocol-error"),
				zap.String("node", bc.nd.addr), zap.Error(err))
			lp.backendFail(bc, "protocol error: "+err.Error(), failProto)
			break
		}
		if n == 0 && !done {
			break
		}
		chunk := buf[pos : pos+n]
		pos += n
		if len(bc.hs) > 0 {
			bc.hsBuf = append(bc.hsBuf, chunk...)
			if done {
				lp.handshakeReply(bc)
			}
			if bc.passthrough && len(bc.hs) == 0 && bc.state == bcReady {
				// The rest is the pub/sub stream.
				if cl := bc.owner; cl != nil && !cl.closing {
					cl.out = append(cl.out, buf[pos:]...)
					lp.markDirty(cl)
				}
				pos = len(buf)
			}
			continue
		}
		lp.replyChunk(bc, chunk, done)
	}
	if bc.state != bcClosed {
		_, _ = c.Discard(pos)
	}
	lp.flushClients()
	return gnet.None
}

// handshakeReply checks one complete handshake reply.
func (lp *loop) handshakeReply(bc *backendConn) {
	v, _, err := resp.ParseReply(bc.hsBuf, resp.ReplyLimits{})
	bc.hsBuf = bc.hsBuf[:0]
	step := bc.hs[0]
	bc.hs = bc.hs[1:]
	if err != nil {
		lp.backendFail(bc, "handshake: "+err.Error(), failProto)
		return
	}
	switch step {
	case hsAuth:
		if v.IsError() {
			lp.p.log.Error("node refused the proxy's credentials", zap.String("event", "backend-auth-failed"),
				zap.String("node", bc.nd.addr), zap.String("reply", v.Str))
			lp.backendFail(bc, "authentication failed", failAuth)
			return
		}
	case hsRole:
		switch {
		case v.IsError():
			// ROLE refused (renamed, ACL): the topology is the only word.
			lp.p.log.Warn("node refused ROLE; trusting the topology alone", zap.String("event", "backend-role-unknown"),
				zap.String("node", bc.nd.addr), zap.String("reply", v.Str))
		case len(v.Elems) == 0 || v.Elems[0].Str != "master":
			role := ""
			if len(v.Elems) > 0 {
				role = v.Elems[0].Str
			}
			lp.p.log.Warn("node does not report role master: no write goes to it", zap.String("event", "backend-not-master"),
				zap.String("node", bc.nd.addr), zap.String("role", role))
			lp.backendFail(bc, "role "+role, failNotMaster)
			return
		}
		if bc.nd.probing {
			bc.lg.probeResult(bc.nd, true)
		}
	}
	if len(bc.hs) == 0 {
		bc.state = bcReady
		bc.headSince = lp.now
		if bc.nd.probing && !bc.forMaster {
			lp.probe(bc.nd)
		}
		lp.writeBackend(bc)
	}
}

// replyChunk handles bytes of the reply at the front of bc's queue (a whole
// reply when done).
func (lp *loop) replyChunk(bc *backendConn, chunk []byte, done bool) {
	if bc.sc.top == '>' && bc.private {
		// A RESP3 push (pub/sub message, tracking invalidation): it
		// answers no request.
		if cl := bc.owner; cl != nil && !cl.closing {
			cl.out = append(cl.out, chunk...)
			lp.markDirty(cl)
		}
		return
	}
	s := bc.q.front()
	if s == nil || bc.unsent == bc.q.len() {
		lp.backendFail(bc, "reply without a request", failProto)
		return
	}
	if !done {
		switch {
		case s.flags&sProbe != 0:
			s.buf = append(s.buf, chunk...)
		case s.cl != nil && s.replace == nil:
			if s.cl.head == s {
				s.cl.out = append(s.cl.out, chunk...)
				lp.markDirty(s.cl)
			} else {
				s.buf = append(s.buf, chunk...)
			}
		}
		return
	}
	bc.q.pop()
	bc.headSince = lp.now
	reqAt := bc.acked
	bc.acked += s.reqLen
	nd := bc.nd
	nd.outstanding--
	nd.commands++
	isErr := bc.sc.top == '-' || bc.sc.top == '!'
	if isErr {
		nd.errors++
	}
	kind := bc.sc.kind
	lg := bc.lg
	switch {
	case s.flags&sProbe != 0:
		s.buf = append(s.buf, chunk...)
		v, _, err := resp.ParseReply(s.buf, resp.ReplyLimits{})
		isMaster := err == nil && !v.IsError() && len(v.Elems) > 0 && v.Elems[0].Str == "master"
		lp.freeSlot(s)
		lg.probeResult(nd, isMaster)
	case s.flags&sHidden != 0:
		lp.freeSlot(s)
	case isErr && bc.sc.top == '-' && kind != errOther && (s.flags&sMaster != 0 || bc.forMaster):
		// The master refused to run it: it is not (or not yet) a usable
		// master. The request did not run, so it can wait for one.
		lg.setSuspect(nd, kindReason(kind))
		if s.flags&sMaster != 0 && !bc.private && s.cl != nil && lg.holdSlot(s, bc.wbuf[reqAt:reqAt+s.reqLen]) {
			break
		}
		lp.complete(s, chunk, true)
	default:
		if !isErr && s.flags&sMaster != 0 && lg.awaitResume && nd == lg.master {
			lg.awaitResume = false
			lp.p.noteResumed(lg.g)
		}
		lp.complete(s, chunk, isErr)
	}
	lp.compact(bc)
}

func kindReason(k errKind) string {
	switch k {
	case errReadonly:
		return "readonly"
	case errMasterDown:
		return "masterdown"
	case errLoading:
		return "loading"
	}
	return "error"
}

// compact drops answered request bytes from wbuf.
func (lp *loop) compact(bc *backendConn) {
	switch {
	case bc.acked == len(bc.wbuf):
		bc.wbuf = bc.wbuf[:0]
		bc.sent, bc.acked = 0, 0
		if cap(bc.wbuf) > 1<<20 {
			bc.wbuf = nil
		}
	case bc.acked > 64<<10 && bc.acked > len(bc.wbuf)/2:
		n := copy(bc.wbuf, bc.wbuf[bc.acked:])
		bc.wbuf = bc.wbuf[:n]
		bc.sent -= bc.acked
		bc.acked = 0
	}
}

// complete hands a whole reply to its client.
func (lp *loop) complete(s *slot, chunk []byte, isErr bool) {
	cl := s.cl
	if cl == nil {
		lp.freeSlot(s)
		return
	}
	cl.pending--
	st := &lp.lnStats[cl.ln.idx]
	if s.flags&sTimed != 0 {
		st.observe(lp.now - s.start)
	}
	if s.replace != nil {
		chunk = s.replace
		isErr = chunk[0] == '-'
		s.buf = s.buf[:0]
	}
	if isErr {
		st.errors++
	}
	if cl.head == s {
		cl.out = append(cl.out, chunk...)
		lp.markDirty(cl)
		cl.head = s.next
		if cl.head == nil {
			cl.tail = nil
		}
		lp.freeSlot(s)
		if cl.head != nil {
			lp.deliver(cl)
		}
	} else {
		s.buf = append(s.buf, chunk...)
		s.flags |= sDone
	}
	if cl.stalled && cl.pending == 0 {
		lp.wake(cl)
	}
}

// enqueue creates a slot for a client's request and queues it on bc.
func (lp *loop) enqueue(bc *backendConn, cl *client, raw []byte, flags slotFlags) *slot {
	s := lp.newSlot(cl)
	s.flags = flags
	cl.push(s)
	cl.pending++
	lp.enqueueSlot(bc, s, raw)
	return s
}

// enqueueSlot queues an existing slot's request bytes on bc.
func (lp *loop) enqueueSlot(bc *backendConn, s *slot, raw []byte) {
	s.bc = bc
	s.reqLen = len(raw)
	s.sent = lp.now
	if bc.q.len() == 0 {
		bc.headSince = lp.now
	}
	bc.q.push(s)
	bc.wbuf = append(bc.wbuf, raw...)
	bc.unsent++
	if s.flags&sMaster != 0 {
		bc.unsentMaster++
	}
	bc.nd.outstanding++
	lp.markBackendDirty(bc)
	if len(bc.wbuf)-bc.sent > 256<<10 {
		lp.writeBackend(bc) // a big batch: do not let it grow
	}
}

// markBackendDirty schedules bc's write at the end of the loop iteration.
func (lp *loop) markBackendDirty(bc *backendConn) {
	if bc.dirty {
		return
	}
	bc.dirty = true
	lp.flushQ = append(lp.flushQ, bc)
	if batchAcrossClients && !lp.flushOn {
		lp.flushOn = true
		if err := lp.el.Execute(context.Background(), lp.flushFn); err != nil {
			lp.flushOn = false
		}
	}
}

// flushTask runs after the loop iteration's I/O events.
func (lp *loop) flushTask(context.Context) error {
	lp.now = lp.p.now()
	lp.flushOn = false
	lp.flushBackends()
	lp.flushClients()
	return nil
}

// flushBackends writes every dirty backend connection.
func (lp *loop) flushBackends() {
	for i := 0; i < len(lp.flushQ); i++ { // writes may queue more
		bc := lp.flushQ[i]
		lp.flushQ[i] = nil
		bc.dirty = false
		lp.writeBackend(bc)
	}
	lp.flushQ = lp.flushQ[:0]
}

// takeWrite returns the bytes of bc to write now, after the last check
// that master-bound requests still go to the confirmed master: if the
// master changed since they were queued, they are taken back (held, or
// re-routed for reads) and never reach it.
func (lp *loop) takeWrite(bc *backendConn) []byte {
	if bc.state != bcReady || bc.sent == len(bc.wbuf) {
		return nil
	}
	if bc.unsentMaster > 0 && !bc.private && bc.lg.masterNode() != bc.nd {
		lp.pullUnsent(bc)
		if bc.state != bcReady || bc.sent == len(bc.wbuf) {
			return nil
		}
	}
	b := bc.wbuf[bc.sent:]
	bc.sent = len(bc.wbuf)
	bc.unsent, bc.unsentMaster = 0, 0
	return b
}

// afterWrite drops what a pass-through connection wrote (nothing to keep
// for retries there).
func (lp *loop) afterWrite(bc *backendConn) {
	if bc.passthrough {
		bc.wbuf = bc.wbuf[:0]
		bc.sent, bc.acked = 0, 0
	}
}

// writeBackend writes bc's queued requests.
func (lp *loop) writeBackend(bc *backendConn) {
	b := lp.takeWrite(bc)
	if len(b) == 0 {
		return
	}
	gc := bc.gc
	_, _ = gc.Write(b) // an error closes it: OnClose fails its requests
	if bc.state != bcClosed {
		lp.afterWrite(bc)
	}
}

// pullUnsent takes back the master-bound requests of bc not yet written
// (they go to the hold queue); the others stay queued.
func (lp *loop) pullUnsent(bc *backendConn) {
	n := bc.unsent
	if n == 0 {
		return
	}
	slots := make([]*slot, n)
	for i := n - 1; i >= 0; i-- {
		slots[i] = bc.q.popBack()
	}
	raw := append([]byte(nil), bc.wbuf[bc.sent:]...)
	bc.wbuf = bc.wbuf[:bc.sent]
	bc.unsent, bc.unsentMaster = 0, 0
	off := 0
	for _, s := range slots {
		b := raw[off : off+s.reqLen]
		off += s.reqLen
		if s.flags&sHidden != 0 || (s.cl != nil && s.flags&sMaster == 0) {
			bc.q.push(s)
			bc.wbuf = append(bc.wbuf, b...)
			bc.unsent++
			continue
		}
		bc.nd.outstanding--
		lp.reroute(bc, s, b)
	}
}

// reroute finds a new way for a request that was never written.
func (lp *loop) reroute(from *backendConn, s *slot, b []byte) {
	switch {
	case s.flags&sHidden != 0 || s.cl == nil:
		if s.flags&sProbe != 0 {
			from.nd.probing = false
		}
		lp.freeSlot(s)
	case s.flags&sMaster != 0:
		if !from.lg.holdSlot(s, b) {
			lp.completeLocal(s, replyHoldFull)
		}
	default:
		// A read: another replica, or the master as a fallback.
		nd := lp.pickReplica(s.cl, readInfo)
		if nd == nil || nd == from.nd {
			lp.completeLocal(s, replyBackendDown)
			return
		}
		lp.enqueueSlot(lp.sharedConn(nd, nd == from.lg.master), s, b)
	}
}

// backendFail ends a backend connection: its requests are answered
// (never-written ones held or routed again when that is safe), the node is
// suspected or backed off, a pinned client loses its state and is closed.
func (lp *loop) backendFail(bc *backendConn, why string, kind failKind) {
	if bc.state == bcClosed {
		return
	}
	wasReady := bc.state == bcReady
	bc.state = bcClosed
	for i, x := range lp.conns {
		if x == bc {
			copy(lp.conns[i:], lp.conns[i+1:])
			lp.conns[len(lp.conns)-1] = nil
			lp.conns = lp.conns[:len(lp.conns)-1]
			break
		}
	}
	nd, lg := bc.nd, bc.lg
	nd.conns--
	if nd.shared == bc {
		nd.shared = nil
	}
	if bc.gc != nil {
		_ = bc.gc.Close()
	}
	if kind != failClient && kind != failStale {
		lp.p.log.Info("node connection ended", zap.String("event", "backend-down"), zap.String("group", lg.g.name),
			zap.String("node", nd.addr), zap.Bool("private", bc.private), zap.String("reason", why),
			zap.Int("pending", bc.q.len()))
	}
	switch kind {
	case failRefused, failTimeout, failAuth, failNotMaster, failProto:
		nd.downUntil = lp.now + int64(nodeBackoff)
	}
	if nd.probing && (kind == failRefused || kind == failNotMaster || kind == failTimeout || kind == failAuth) {
		lg.probeResult(nd, false)
	}
	isMaster := lg.topo != nil && lg.topo.Master == nd.addr
	if isMaster && kind != failClient && kind != failStale && kind != failAuth && (bc.forMaster || kind != failProto) {
		switch kind {
		case failRefused:
			lg.setSuspect(nd, "refused")
		case failTimeout:
			lg.setSuspect(nd, "timeout")
		case failNotMaster:
			lg.setSuspect(nd, "not-master")
		default:
			if wasReady || kind == failLost {
				lg.setSuspect(nd, "lost")
			}
		}
	}
	lost := replyBackendLost
	switch kind {
	case failTimeout:
		lost = replyReplyTimeout
	case failAuth:
		lost = replyBackendAuth
	case failStale:
		lost = replyPinnedDropped
	}
	nSent := bc.q.len() - bc.unsent
	off := bc.acked
	for i := 0; bc.q.len() > 0; i++ {
		s := bc.q.pop()
		nd.outstanding--
		b := bc.wbuf[off : off+s.reqLen]
		off += s.reqLen
		if i >= nSent && !bc.private && kind != failAuth {
			lp.reroute(bc, s, b) // never written: safe to send elsewhere
			continue
		}
		if s.flags&sHidden != 0 || s.cl == nil {
			if s.flags&sProbe != 0 {
				nd.probing = false
			}
			lp.freeSlot(s)
			continue
		}
		if i >= nSent && kind == failRefused {
			lp.completeLocal(s, replyBackendDown)
			continue
		}
		lp.completeLocal(s, lost)
	}
	bc.wbuf, bc.hsBuf = nil, nil
	bc.sent, bc.acked, bc.unsent, bc.unsentMaster = 0, 0, 0, 0
	if cl := bc.owner; cl != nil {
		bc.owner = nil
		if cl.priv == bc {
			cl.priv = nil
		}
		if cl.pinned() {
			// Its MULTI, WATCH, subscriptions or SELECT lived on that
			// connection: the client must start over.
			cl.inMulti, cl.watching, cl.pinLife, cl.passthrough = false, false, false, false
			cl.quit = true
			lp.markDirty(cl)
		}
		cl.lastPrivate = false
		if cl.stalled && cl.pending == 0 {
			lp.wake(cl)
		}
	}
}

// probe asks a suspect master for its ROLE, on its shared connection.
func (lp *loop) probe(nd *node) {
	nd.probing = true
	bc := nd.shared
	switch {
	case bc == nil || bc.state == bcClosed:
		lp.sharedConn(nd, true) // its handshake checks ROLE
	case bc.state == bcReady:
		s := lp.newSlot(nil)
		s.flags = sHidden | sProbe
		lp.enqueueSlot(bc, s, roleProbe)
	}
	// dialling or in handshake: the handshake's end probes
}
