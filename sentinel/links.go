package sentinel

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/sentinel/core"
)

// The links: one goroutine-per-connection TCP client per connection the
// core asks for (Shell.Open). Everything a connection learns goes back into
// the core through with (Sentinel.withCore), from the connection's own
// goroutines; the Shell methods, which the core calls while Sentinel.mu is
// held, only queue work and never block.
//
// Lock order: Sentinel.mu, then shell.mu. Shell methods run under
// Sentinel.mu and take shell.mu; the goroutines take shell.mu alone, and
// never call into the core while holding it (the core calls back into the
// Shell methods).

const (
	// dialTimeout bounds a connection attempt. The core retries at most
	// once per ping period (one second by default), so an attempt ends
	// before the next one is due.
	dialTimeout = time.Second
	// writeTimeout bounds one write. The command stream is small (PING,
	// INFO, hellos), so a write that blocks this long means the peer
	// stopped reading: the connection is closed and the core reconnects.
	writeTimeout = 10 * time.Second
	// maxOutBytes is how much may wait unwritten on a connection before it
	// counts as broken: the core caps what it sends to a link that does
	// not answer, so only a stuck peer gets here.
	maxOutBytes = 16 << 20
	// readBufSize is the reader's buffer; INFO replies fit in it.
	readBufSize = 16 << 10
)

// linkReplyLimits bound what a node or peer can make a link decode (an
// INFO reply is a few KB; nothing legitimate comes near these).
var linkReplyLimits = resp.ReplyLimits{MaxBulk: 64 << 20, MaxLine: 1 << 20, MaxElems: 1 << 20, MaxDepth: 16}

// coreSink is what the links report to: *core.Core in a running sentinel,
// a recorder in tests. Its methods are called only inside shell.with, i.e.
// with the core's lock held.
type coreSink interface {
	LinkUp(l *core.Link, pubsub bool, now time.Time)
	LinkDown(l *core.Link, pubsub bool, now time.Time)
	PubSubActivity(l *core.Link, now time.Time)
	Reply(req *core.Request, r *core.Reply, now time.Time)
	Hello(payload string, now time.Time)
	ConnectFailed(l *core.Link, refused bool, now time.Time)
}

// shellDeps is what the shell needs from its Sentinel, as functions so that
// tests can run the shell without one.
type shellDeps struct {
	// with runs f under the core's lock (Sentinel.withCore).
	with func(f func(c coreSink, now time.Time))
	// handshake is Core.Handshake; called under the core's lock (from
	// Open).
	handshake func(inst *core.Instance, pubsub bool) [][]string
	// timing reads Core.Timing; called under the core's lock (from
	// RunScript and Event).
	timing func() core.Timing
	// publish publishes an event on the client port (nil: none).
	publish func(channel, msg string)
	log     *zap.Logger
	// exit ends the process (SENTINEL SIMULATE-FAILURE).
	exit func(code int)
}

// shell implements core.Shell for a Sentinel: the links (this file), the
// event pipeline (events.go) and the scripts (scripts.go).
type shell struct {
	deps shellDeps
	log  *zap.Logger

	ctx    context.Context // cancelled by stop: aborts dials
	cancel context.CancelFunc
	wg     sync.WaitGroup // connection goroutines

	mu      sync.Mutex
	stopped bool
	conns   map[*conn]struct{} // every live connection, for stop

	events  eventQueue
	scripts scriptRunner
}

// newShell builds the shell of s. It is idle until start.
func newShell(s *Sentinel) *shell {
	return newShellWith(shellDeps{
		with: func(f func(c coreSink, now time.Time)) {
			s.withCore(func(c *core.Core, now time.Time) { f(c, now) })
		},
		handshake: func(inst *core.Instance, pubsub bool) [][]string { return s.core.Handshake(inst, pubsub) },
		timing:    func() core.Timing { return s.core.Timing },
		// s.srv is set by New after the shell is built and before start,
		// so the event goroutine always sees it.
		publish: func(channel, msg string) {
			if s.srv != nil {
				s.srv.PublishMessage(channel, msg)
			}
		},
		log:  s.log,
		exit: os.Exit,
	})
}

func newShellWith(d shellDeps) *shell {
	if d.log == nil {
		d.log = zap.NewNop()
	}
	if d.exit == nil {
		d.exit = os.Exit
	}
	ctx, cancel := context.WithCancel(context.Background())
	sh := &shell{deps: d, log: d.log, ctx: ctx, cancel: cancel, conns: make(map[*conn]struct{})}
	sh.events.init(sh)
	sh.scripts.init(sh)
	return sh
}

// start runs the event publisher and the script scheduler. Links start
// when the core opens them.
func (sh *shell) start() {
	sh.events.start()
	sh.scripts.start()
}

// stop closes every connection and waits for their goroutines, kills the
// running scripts and waits for them, then publishes the events still
// queued and stops the publisher. After stop nothing calls into the core.
// The caller must not hold Sentinel.mu (a connection goroutine may be
// waiting for it).
func (sh *shell) stop() {
	sh.mu.Lock()
	sh.stopped = true
	for c := range sh.conns {
		c.closeLocked()
	}
	sh.mu.Unlock()
	sh.cancel()
	sh.wg.Wait()
	sh.scripts.stop()
	sh.events.stop()
}

// report runs f under the core's lock unless the shell is stopping.
func (sh *shell) report(f func(c coreSink, now time.Time)) {
	if sh.isStopped() {
		return
	}
	sh.deps.with(func(c coreSink, now time.Time) {
		if sh.isStopped() {
			return
		}
		f(c, now)
	})
}

func (sh *shell) isStopped() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.stopped
}

// linkHandle is the shell's state of one core.Link (kept in Link.Shell):
// the current command and pub/sub connections, nil when there is none.
type linkHandle struct {
	cc, pc *conn
}

func (h *linkHandle) slot(pubsub bool) **conn {
	if pubsub {
		return &h.pc
	}
	return &h.cc
}

// conn is one TCP connection of a link. Its goroutine dials, reports
// LinkUp, reads replies until the connection ends, and reports the end; a
// second goroutine writes.
type conn struct {
	sh     *shell
	h      *linkHandle
	l      *core.Link // touched only under the core's lock
	pubsub bool
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{} // cap 1: out has bytes

	// Guarded by sh.mu.
	nc      net.Conn // nil until dialled
	dropped bool     // taken out of the link by Drop: no LinkDown for it
	dead    bool     // the connection ended; nothing more is written
	out     []byte   // encoded commands not yet written
	pending []pending
}

// pending is one entry of a command connection's FIFO of expected replies:
// a core request, or the handshake (req == nil), whose replies are read
// and dropped.
type pending struct {
	req  *core.Request
	left int         // replies still expected
	last *core.Reply // the latest of them
}

// current reports whether c is still its link's connection. Caller holds
// sh.mu.
func (c *conn) current() bool { return !c.dropped && *c.h.slot(c.pubsub) == c }

// closeLocked ends the connection: the dial is abandoned or the socket
// closed, which makes the reader return. Caller holds sh.mu.
func (c *conn) closeLocked() {
	c.cancel()
	if c.nc != nil {
		c.nc.Close()
	}
}

// Open (core.Shell) dials the connections of l that it does not have yet:
// the command connection, and the pub/sub one unless inst is a sentinel.
// A connection that is being dialled, or that ended but whose LinkDown has
// not been delivered yet, still counts as present: the core calls Open
// again after LinkDown.
func (sh *shell) Open(l *core.Link, inst *core.Instance) {
	addr := net.JoinHostPort(inst.Addr.Host, strconv.Itoa(inst.Addr.Port))
	withPC := inst.Kind != core.KindSentinel
	h, _ := l.Shell.(*linkHandle)
	if h == nil {
		h = &linkHandle{}
		l.Shell = h
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.stopped {
		return
	}
	if h.cc == nil {
		h.cc = sh.newConnLocked(h, l, false, addr, sh.deps.handshake(inst, false))
	}
	if withPC && h.pc == nil {
		h.pc = sh.newConnLocked(h, l, true, addr, sh.deps.handshake(inst, true))
	}
}

func (sh *shell) newConnLocked(h *linkHandle, l *core.Link, pubsub bool, addr string, handshake [][]string) *conn {
	ctx, cancel := context.WithCancel(sh.ctx)
	c := &conn{sh: sh, h: h, l: l, pubsub: pubsub, addr: addr, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
	for _, cmd := range handshake {
		c.out = resp.AppendCommandStrings(c.out, cmd...)
	}
	if len(handshake) > 0 && !pubsub {
		// The pub/sub connection needs no accounting: everything on it is
		// activity, and messages are recognised by their shape.
		c.pending = append(c.pending, pending{left: len(handshake)})
	}
	sh.conns[c] = struct{}{}
	sh.wg.Add(1)
	go c.run()
	return c
}

// Drop (core.Shell) closes the named connections of l. The core has
// already marked them down, so no LinkDown follows; their pending requests
// are answered with nil replies from the connection's goroutine.
func (sh *shell) Drop(l *core.Link, cc, pc bool) {
	h, _ := l.Shell.(*linkHandle)
	if h == nil {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, which := range []struct {
		want   bool
		pubsub bool
	}{{cc, false}, {pc, true}} {
		slot := h.slot(which.pubsub)
		if !which.want || *slot == nil {
			continue
		}
		c := *slot
		*slot = nil
		c.dropped = true
		c.closeLocked()
	}
}

// Send (core.Shell) queues req on the command connection of its link.
// Without one (the core thinks the link is up but it was dropped) the nil
// reply comes back asynchronously.
func (sh *shell) Send(req *core.Request) {
	l := req.Link
	if l == nil {
		l = req.Inst.Link
	}
	h, _ := l.Shell.(*linkHandle)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var c *conn
	if h != nil {
		c = h.cc
	}
	if c == nil || sh.stopped {
		sh.answerNilLocked(req)
		return
	}
	c.pending = append(c.pending, pending{req: req, left: len(req.Cmds)})
	if len(req.Cmds) == 0 {
		// Nothing to send, nothing to wait for; answer at once (later).
		c.pending = c.pending[:len(c.pending)-1]
		sh.answerNilLocked(req)
		return
	}
	if c.dead {
		// The reader has ended; its final report answers the FIFO.
		return
	}
	for _, cmd := range req.Cmds {
		c.out = resp.AppendCommandStrings(c.out, cmd...)
	}
	if len(c.out) > maxOutBytes {
		sh.log.Warn("link output backlog too large; closing the connection",
			zap.String("event", "link-backlog"), zap.String("addr", c.addr))
		c.closeLocked()
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// answerNilLocked delivers a nil reply to req from a goroutine of its own,
// since the core cannot be called back from inside a Shell method.
func (sh *shell) answerNilLocked(req *core.Request) {
	if sh.stopped {
		return
	}
	sh.wg.Add(1)
	go func() {
		defer sh.wg.Done()
		sh.report(func(cs coreSink, now time.Time) { cs.Reply(req, nil, now) })
	}()
}

// Exit (core.Shell) ends the process, as SENTINEL SIMULATE-FAILURE asks.
func (sh *shell) Exit(code int) {
	sh.log.Warn("simulated failure: exiting", zap.String("event", "simulate-failure"), zap.Int("code", code))
	_ = sh.log.Sync()
	sh.deps.exit(code)
}

// run is the connection's life: dial, LinkUp, read until the end, then
// the final report.
func (c *conn) run() {
	sh := c.sh
	defer sh.wg.Done()
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(c.ctx, "tcp", c.addr)
	if err != nil {
		c.finish(err)
		if !c.pubsub {
			// Whether the port was actively refused feeds the core's
			// down-after-refused fast path.
			refused := errors.Is(err, syscall.ECONNREFUSED)
			sh.report(func(cs coreSink, now time.Time) { cs.ConnectFailed(c.l, refused, now) })
		}
		return
	}
	sh.mu.Lock()
	if c.dropped || sh.stopped {
		sh.mu.Unlock()
		nc.Close()
		c.finish(net.ErrClosed)
		return
	}
	c.nc = nc
	sh.mu.Unlock()
	sh.wg.Add(1)
	go c.writeLoop(nc)
	select {
	case c.wake <- struct{}{}: // the handshake is queued
	default:
	}
	// Hellos announce the local address of the command connection when
	// announce-ip is not set (Redis reads it from the socket).
	localIP := ""
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		localIP = a.IP.String()
	}
	sh.report(func(cs coreSink, now time.Time) {
		sh.mu.Lock()
		cur := c.current()
		sh.mu.Unlock()
		if cur {
			if !c.pubsub {
				c.l.LocalIP = localIP
			}
			cs.LinkUp(c.l, c.pubsub, now)
		}
	})
	br := bufio.NewReaderSize(nc, readBufSize)
	for {
		v, err := resp.ReadReply(br, linkReplyLimits)
		if err != nil {
			c.finish(err)
			return
		}
		if c.pubsub {
			c.pubsubFrame(v)
		} else {
			c.reply(v)
		}
	}
}

// reply matches a reply on the command connection with the oldest
// request still waiting; the request's last reply goes to the core.
func (c *conn) reply(v resp.Value) {
	if v.Type == '>' {
		// An out-of-band push (only a RESP3 connection gets them; links
		// speak RESP2) answers no request.
		return
	}
	r := toCoreReply(v)
	sh := c.sh
	sh.report(func(cs coreSink, now time.Time) {
		sh.mu.Lock()
		if c.dropped || len(c.pending) == 0 {
			// Dropped: the final report answers the FIFO with nils. An
			// empty FIFO means the peer answered more than was asked.
			sh.mu.Unlock()
			return
		}
		p := &c.pending[0]
		p.left--
		p.last = r
		var done pending
		if p.left == 0 {
			done = *p
			c.pending[0] = pending{}
			c.pending = c.pending[1:]
		}
		sh.mu.Unlock()
		if done.req != nil {
			cs.Reply(done.req, done.last, now)
		}
	})
}

// pubsubFrame reports activity on the pub/sub connection, and hellos.
func (c *conn) pubsubFrame(v resp.Value) {
	payload, hello := helloMessage(v)
	sh := c.sh
	sh.report(func(cs coreSink, now time.Time) {
		sh.mu.Lock()
		cur := c.current()
		sh.mu.Unlock()
		if !cur {
			return
		}
		cs.PubSubActivity(c.l, now)
		if hello {
			cs.Hello(payload, now)
		}
	})
}

// helloMessage recognises a message on the hello channel: ["message",
// channel, payload] as an array (RESP2) or a push frame (RESP3).
func helloMessage(v resp.Value) (string, bool) {
	if (v.Type != '*' && v.Type != '>') || len(v.Elems) != 3 {
		return "", false
	}
	for _, e := range v.Elems {
		if e.Type != '$' && e.Type != '+' || e.Null {
			return "", false
		}
	}
	if !strings.EqualFold(v.Elems[0].Str, "message") || v.Elems[1].Str != core.HelloChannel {
		return "", false
	}
	return v.Elems[2].Str, true
}

// finish ends the connection after a dial failure, a read error or a
// close, and reports it: nil replies for every request still waiting, in
// order, then LinkDown unless the core dropped the connection itself.
func (c *conn) finish(err error) {
	sh := c.sh
	sh.mu.Lock()
	c.dead = true
	c.closeLocked()
	dropped := c.dropped
	sh.mu.Unlock()
	if !dropped && !sh.isStopped() {
		sh.log.Debug("link down", zap.String("event", "link-down"), zap.String("addr", c.addr),
			zap.Bool("pubsub", c.pubsub), zap.Error(err))
	}
	sh.report(func(cs coreSink, now time.Time) {
		sh.mu.Lock()
		pend := c.pending
		c.pending = nil
		down := c.current()
		if down {
			*c.h.slot(c.pubsub) = nil
		}
		sh.mu.Unlock()
		for _, p := range pend {
			if p.req != nil {
				cs.Reply(p.req, nil, now)
			}
		}
		if down {
			cs.LinkDown(c.l, c.pubsub, now)
		}
	})
	sh.mu.Lock()
	delete(sh.conns, c)
	sh.mu.Unlock()
}

// writeLoop writes what Send and the handshake queue, in order, each
// write bounded by writeTimeout. A failed write closes the socket; the
// reader then ends the connection.
func (c *conn) writeLoop(nc net.Conn) {
	sh := c.sh
	defer sh.wg.Done()
	var buf []byte
	for {
		select {
		case <-c.wake:
		case <-c.ctx.Done():
			return
		}
		sh.mu.Lock()
		if c.dead {
			sh.mu.Unlock()
			return
		}
		buf, c.out = c.out, buf[:0]
		sh.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		_ = nc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := nc.Write(buf); err != nil {
			nc.Close()
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil // do not keep a burst's buffer for the link's life
		}
	}
}

// toCoreReply folds a decoded reply into the core's types: RESP3 maps
// become arrays of pairs, sets and pushes arrays, verbatim strings, big
// numbers and doubles bulk strings, booleans integers; attributes are
// dropped.
func toCoreReply(v resp.Value) *core.Reply {
	r := &core.Reply{}
	fillCoreReply(r, v)
	return r
}

func fillCoreReply(r *core.Reply, v resp.Value) {
	if v.Null {
		r.Kind = core.ReplyNull
		return
	}
	switch v.Type {
	case '+':
		r.Kind, r.Str = core.ReplyStatus, v.Str
	case '-', '!':
		r.Kind, r.Str = core.ReplyError, v.Str
	case ':', '#':
		r.Kind, r.Int = core.ReplyInt, v.Int
	case '$', '=', ',', '(':
		r.Kind, r.Str = core.ReplyBulk, v.Str
	case '*', '~', '%', '>':
		r.Kind = core.ReplyArray
		r.Elems = make([]core.Reply, len(v.Elems))
		for i, e := range v.Elems {
			fillCoreReply(&r.Elems[i], e)
		}
	default:
		r.Kind = core.ReplyNull
	}
}
