// Package proxy is warden's gateway: fixed write, read and smart ports per
// master group on gnet event loops, following the master through a
// topology Source (embedded sentinel, external sentinels, static checks).
//
// # Threading
//
// One gnet engine serves every listener (gnet.Rotate), multicore: one event
// loop per CPU. Everything a client touches lives on its loop: its backend
// connections (dialled from a goroutine with a timeout, then Enrolled on the
// client's own loop), the per-loop backend pools (one shared, pipelined
// connection per node), the hold queues, the counters. Handlers never block
// and never lock; other goroutines reach a loop only through
// EventLoop.Execute (topology changes, the ticker, Stats). A group's
// topology is an immutable *Topology behind an atomic pointer: the hot path
// reads it with one atomic load per command.
//
// # Forwarding
//
// Requests are framed with resp.ReadCommand and forwarded as their original
// bytes, never re-encoded. Requests from all the clients of a loop bound
// for one node are batched into one write(2) per loop iteration (a task
// queued with Execute runs after the iteration's I/O events): with 50
// non-pipelined clients the node sees a few large reads instead of 50 small
// ones. Replies are framed by replyScanner and matched one for one with the
// requests of each backend connection; each client has a FIFO of slots, so
// replies go out in request order even when pipelined reads went to
// different replicas.
//
// # Failover
//
// See hold.go: writes wait in a bounded hold queue while no master is
// confirmed; nothing new is written to a master that is no longer
// confirmed, and a master connection that refuses, drops, or answers
// -READONLY/-MASTERDOWN/-LOADING makes the loop suspect it (writes are held,
// the Source is asked to re-check) until the topology changes or a fresh
// ROLE probe says master again.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/tcpopt"
	"github.com/wardenhq/warden/routing"
)

// Defaults for zero values, for callers that did not Normalize the Config
// (the same values as configfile.go's).
const (
	fallbackFailoverHold   = 5 * time.Second
	fallbackHoldQueue      = 10000
	fallbackMaxReplicaLag  = 1 << 20
	fallbackConnectTimeout = time.Second
	fallbackReplyTimeout   = 10 * time.Second

	// clientKeepAlive is the TCP keepalive period of client connections,
	// the default tcp-keepalive of Redis.
	clientKeepAlive = 300 * time.Second

	// tickInterval is how often each loop checks its timers (hold
	// expiry, reply timeouts, stalled clients, suspect probes).
	tickInterval = 50 * time.Millisecond
	// idleCheckEvery: client idle timeouts are checked once a second.
	idleCheckEvery = time.Second
	// probeInterval spaces ROLE probes of a suspect master.
	probeInterval = 200 * time.Millisecond
	// recheckInterval rate-limits Source.Recheck calls per loop and group.
	recheckInterval = 100 * time.Millisecond
	// nodeBackoff keeps a node that failed a dial out of read balancing
	// for a while.
	nodeBackoff = 500 * time.Millisecond
	// queryBufLimit is Redis's client-query-buffer-limit: a client whose
	// unparsed input exceeds it is closed.
	queryBufLimit = 1 << 30
	// statsTimeout bounds how long Stats waits for a busy loop.
	statsTimeout = time.Second
	// failoverHistory bounds the FailoverRecord history.
	failoverHistory = 32
)

type portRole uint8

const (
	roleWrite portRole = iota
	roleRead
	roleSmart
)

func (r portRole) String() string {
	switch r {
	case roleRead:
		return "read"
	case roleSmart:
		return "smart"
	}
	return "write"
}

// Proxy is the gateway. New builds it, Start opens the listeners and starts
// the sources, Close stops everything.
type Proxy struct {
	cfg    *Config
	log    *zap.Logger
	groups []*group
	byName map[string]*group
	lns    []*listener
	byAddr map[string]*listener // resolved listen address → listener

	requirePass string
	maxClients  int64
	idleTimeout int64 // ns, 0 = never
	outputLimit int
	clients     atomic.Int64

	base time.Time // monotonic origin of the loops' clocks

	eng      gnet.Engine
	booted   chan struct{}
	engDone  chan error
	started  atomic.Bool
	closing  atomic.Bool
	stopTick chan struct{}
	tickDone chan struct{}
	closeMu  sync.Mutex
	closed   bool

	loopsMu sync.Mutex
	loops   atomic.Pointer[[]*loop] // copy on write
	byLoop  sync.Map                // gnet.EventLoop → *loop
}

// group is one master group as the proxy serves it.
type group struct {
	idx  int
	name string
	cfg  GroupConfig
	src  Source
	topo topologyCell

	hold         int64 // ns; < 0: no hold
	holdQueue    int64
	maxLag       int64
	balance      string
	readFallback bool
	connTimeout  time.Duration
	replyTimeout int64 // ns

	held atomic.Int64 // requests in the hold queues of all loops

	foMu sync.Mutex
	fo   failoverTracker
}

// listener is one listening address: a group's write, read or smart port.
type listener struct {
	idx     int
	g       *group
	role    portRole
	cfgAddr string
	addr    string // bound host:port
	key     string // "<group>/<role>"
}

// New checks cfg and prepares the proxy; sources maps each group name to
// its topology source. Nothing listens before Start.
func New(cfg *Config, sources map[string]Source, log *zap.Logger) (*Proxy, error) {
	if cfg == nil {
		return nil, errors.New("proxy: nil config")
	}
	if log == nil {
		log = zap.NewNop()
	}
	if len(cfg.Groups) == 0 {
		return nil, errors.New("proxy: no group configured")
	}
	p := &Proxy{
		cfg:         cfg,
		log:         log,
		byName:      make(map[string]*group),
		byAddr:      make(map[string]*listener),
		requirePass: cfg.RequirePass,
		maxClients:  int64(cfg.MaxClients),
		idleTimeout: int64(cfg.ClientIdleTimeout),
		outputLimit: int(cfg.ClientOutputLimit),
		base:        time.Now(),
		booted:      make(chan struct{}),
		engDone:     make(chan error, 1),
		stopTick:    make(chan struct{}),
		tickDone:    make(chan struct{}),
	}
	empty := []*loop{}
	p.loops.Store(&empty)
	for i := range cfg.Groups {
		gc := cfg.Groups[i]
		if gc.Name == "" {
			return nil, fmt.Errorf("proxy: group %d has no name", i)
		}
		if _, dup := p.byName[gc.Name]; dup {
			return nil, fmt.Errorf("proxy: group %q configured twice", gc.Name)
		}
		src := sources[gc.Name]
		if src == nil {
			return nil, fmt.Errorf("proxy: group %q has no topology source", gc.Name)
		}
		if gc.Write == "" && gc.Read == "" && gc.Smart == "" {
			return nil, fmt.Errorf("proxy: group %q has no listener", gc.Name)
		}
		if _, err := routing.NewBalancer(gc.ReadBalance); err != nil {
			return nil, fmt.Errorf("proxy: group %q: %w", gc.Name, err)
		}
		g := &group{idx: i, name: gc.Name, cfg: gc, src: src, balance: gc.ReadBalance}
		g.hold = int64(gc.FailoverHold)
		if gc.FailoverHold == 0 {
			g.hold = int64(fallbackFailoverHold)
		}
		g.holdQueue = int64(gc.HoldQueue)
		if g.holdQueue <= 0 {
			g.holdQueue = fallbackHoldQueue
		}
		g.maxLag = gc.MaxReplicaLag
		if g.maxLag == 0 {
			g.maxLag = fallbackMaxReplicaLag
		}
		g.readFallback = gc.ReadFallback == nil || *gc.ReadFallback
		g.connTimeout = gc.BackendConnectTimeout
		if g.connTimeout <= 0 {
			g.connTimeout = fallbackConnectTimeout
		}
		g.replyTimeout = int64(gc.BackendReplyTimeout)
		if g.replyTimeout <= 0 {
			g.replyTimeout = int64(fallbackReplyTimeout)
		}
		p.groups = append(p.groups, g)
		p.byName[g.name] = g
		for _, l := range []struct {
			addr string
			role portRole
		}{{gc.Write, roleWrite}, {gc.Read, roleRead}, {gc.Smart, roleSmart}} {
			if l.addr == "" {
				continue
			}
			addr, err := listenAddr(l.addr, cfg.Bind)
			if err != nil {
				return nil, fmt.Errorf("proxy: group %q %s listener: %w", gc.Name, l.role, err)
			}
			p.lns = append(p.lns, &listener{idx: len(p.lns), g: g, role: l.role, cfgAddr: addr,
				key: g.name + "/" + l.role.String()})
		}
	}
	return p, nil
}

// listenAddr turns a configured listener address into host:port (a bare
// port takes the bind address, 127.0.0.1 when unset).
func listenAddr(s, bind string) (string, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		if bind == "" {
			bind = "127.0.0.1"
		}
		s = net.JoinHostPort(bind, s)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", err
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", fmt.Errorf("invalid port in %q", s)
	}
	return net.JoinHostPort(host, port), nil
}

// Start binds the listeners, starts the event loops and the topology
// sources. A listener on port 0 gets a free port (see Addrs).
func (p *Proxy) Start() error {
	if !p.started.CompareAndSwap(false, true) {
		return errors.New("proxy: already started")
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = p.startEngine(); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		return err
	}
	for _, g := range p.groups {
		if err := g.src.Start(p.publisher(g)); err != nil {
			p.Close()
			return fmt.Errorf("proxy: group %q: start topology source: %w", g.name, err)
		}
	}
	go p.ticker()
	addrs := make([]string, 0, len(p.lns))
	for _, l := range p.lns {
		addrs = append(addrs, l.key+"="+l.addr)
	}
	p.log.Info("proxy listening", zap.String("event", "proxy-listening"), zap.Strings("listeners", addrs))
	return nil
}

// startEngine resolves port 0 listeners to free ports (gnet reports the
// address it was given, so the proxy picks the port itself to know it),
// and runs gnet until OnBoot.
func (p *Proxy) startEngine() error {
	p.byAddr = make(map[string]*listener)
	urls := make([]string, 0, len(p.lns))
	// The probe listeners stay open until every port is picked: closed at
	// once, the kernel may hand the same port to the next one.
	var probes []net.Listener
	defer func() {
		for _, ln := range probes {
			ln.Close()
		}
	}()
	for _, l := range p.lns {
		addr := l.cfgAddr
		host, port, _ := net.SplitHostPort(addr)
		if port == "0" {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("proxy: listen %s: %w", addr, err)
			}
			probes = append(probes, ln)
			addr = net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		}
		ta, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			return fmt.Errorf("proxy: listener %s: %w", addr, err)
		}
		l.addr = addr
		p.byAddr[ta.String()] = l
		urls = append(urls, "tcp://"+addr)
	}
	for _, ln := range probes {
		ln.Close()
	}
	probes = nil
	p.booted = make(chan struct{})
	h := &handler{p: p}
	errc := make(chan error, 1)
	go func() {
		err := gnet.Rotate(h, urls,
			gnet.WithMulticore(true),
			gnet.WithReusePort(false),
			gnet.WithReuseAddr(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(gnetLogger{p.log.Sugar().Named("gnet")}),
			gnet.WithLogLevel(4),
		)
		errc <- err
	}()
	select {
	case <-p.booted:
		go func() { p.engDone <- <-errc }()
		return nil
	case err := <-errc:
		if err == nil {
			err = errors.New("gnet stopped before it started")
		}
		return fmt.Errorf("proxy: listen on %v: %w", urls, err)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("proxy: listen on %v: timed out", urls)
	}
}

// gnetLogger routes gnet's own messages to zap; its info lines (one per
// start) are debug noise here, and nothing in gnet may exit the process.
type gnetLogger struct{ *zap.SugaredLogger }

func (g gnetLogger) Infof(f string, a ...any)  { g.Debugf(f, a...) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.Errorf(f, a...) }

// Close stops the sources, closes every connection and stops the loops.
// It is idempotent.
func (p *Proxy) Close() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.closing.Store(true)
	var errs []error
	for _, g := range p.groups {
		if err := g.src.Close(); err != nil {
			errs = append(errs, fmt.Errorf("group %q source: %w", g.name, err))
		}
	}
	if !p.started.Load() {
		return errors.Join(errs...)
	}
	close(p.stopTick)
	select {
	case <-p.booted:
	default:
		return errors.Join(errs...)
	}
	<-p.tickDone
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _ = p.eng.Stop(ctx) }()
	select {
	case err := <-p.engDone:
		if err != nil {
			errs = append(errs, err)
		}
	case <-ctx.Done():
		errs = append(errs, errors.New("proxy: event loops did not stop in time"))
	}
	p.log.Info("proxy stopped", zap.String("event", "proxy-stopped"))
	return errors.Join(errs...)
}

// Topology returns a group's current topology (nil for an unknown group or
// before its source published one).
func (p *Proxy) Topology(group string) *Topology {
	g := p.byName[group]
	if g == nil {
		return nil
	}
	return g.topo.Load()
}

// Addrs maps each listener ("<group>/write", "<group>/read",
// "<group>/smart") to the address it is bound to (after Start).
func (p *Proxy) Addrs() map[string]string {
	m := make(map[string]string, len(p.lns))
	for _, l := range p.lns {
		a := l.addr
		if a == "" {
			a = l.cfgAddr
		}
		m[l.key] = a
	}
	return m
}

// publisher returns the function a group's Source publishes through.
func (p *Proxy) publisher(g *group) func(*Topology) {
	return func(t *Topology) {
		if t == nil {
			return
		}
		prev := g.topo.Load()
		g.topo.Store(t)
		p.observeTopology(g, prev, t)
		if p.closing.Load() {
			return
		}
		for _, lp := range *p.loops.Load() {
			lp.execute(func() { lp.groups[g.idx].refresh() })
		}
	}
}

// now is the loops' monotonic clock in nanoseconds.
func (p *Proxy) now() int64 { return int64(time.Since(p.base)) }

// ticker drives every loop's timers.
func (p *Proxy) ticker() {
	defer close(p.tickDone)
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stopTick:
			return
		case <-t.C:
		}
		for _, lp := range *p.loops.Load() {
			if !lp.tickQueued.Swap(true) {
				lp.execute(lp.tick)
			}
		}
	}
}

// loopFor returns the state of a gnet event loop, creating it on the first
// connection the loop serves (it runs on that loop).
func (p *Proxy) loopFor(el gnet.EventLoop) *loop {
	if v, ok := p.byLoop.Load(el); ok {
		return v.(*loop)
	}
	lp := newLoop(p, el)
	p.loopsMu.Lock()
	old := *p.loops.Load()
	lp.idx = len(old)
	nl := append(append([]*loop(nil), old...), lp)
	p.loops.Store(&nl)
	p.byLoop.Store(el, lp)
	p.loopsMu.Unlock()
	return lp
}

// handler is the gnet event handler of client and backend connections:
// a connection's context says which it is.
type handler struct {
	gnet.BuiltinEventEngine
	p *Proxy
}

func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.p.eng = eng
	close(h.p.booted)
	return gnet.None
}

func (h *handler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if bc, ok := c.Context().(*backendConn); ok {
		return bc.lp.backendOpened(bc, c)
	}
	p := h.p
	l := p.byAddr[c.LocalAddr().String()]
	if l == nil {
		p.log.Error("connection on an unknown listener", zap.String("event", "unknown-listener"),
			zap.String("addr", c.LocalAddr().String()))
		return nil, gnet.Close
	}
	lp := p.loopFor(c.EventLoop())
	lp.now = p.now()
	st := &lp.lnStats[l.idx]
	st.accepted++
	if p.closing.Load() {
		return nil, gnet.Close
	}
	if p.maxClients > 0 && p.clients.Load() >= p.maxClients {
		st.rejected++
		return append([]byte(nil), replyMaxClients...), gnet.Close
	}
	p.clients.Add(1)
	st.conns++
	cl := lp.newClient(c, l)
	c.SetContext(cl)
	_ = tcpopt.KeepAlive(c, clientKeepAlive) // a dead client still frees its slot
	return nil, gnet.None
}

func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *client:
		return x.lp.clientTraffic(x)
	case *backendConn:
		return x.lp.backendTraffic(x)
	}
	return gnet.Close
}

func (h *handler) OnClose(c gnet.Conn, err error) gnet.Action {
	switch x := c.Context().(type) {
	case *client:
		x.lp.clientClosed(x, err)
	case *backendConn:
		x.lp.backendClosed(x, err)
	}
	return gnet.None
}

// loop is one event loop's state. Only that loop touches it, except the
// atomic tickQueued.
type loop struct {
	p   *Proxy
	el  gnet.EventLoop
	idx int
	now int64 // the loop's clock, refreshed at each callback

	groups []*loopGroup

	clients  clientList
	nclients int
	conns    []*backendConn // every backend connection of the loop

	free *slot // recycled slots

	dirty   []*client // clients with output to write
	flushQ  []*backendConn
	flushOn bool // a flush task is queued
	flushFn gnet.Runnable

	args [][]byte // ReadCommand's argument buffer
	tmp  []byte   // scratch for rebuilt commands

	tickQueued atomic.Bool
	lastIdle   int64

	lnStats []listenerCounters
}

func newLoop(p *Proxy, el gnet.EventLoop) *loop {
	lp := &loop{p: p, el: el, lnStats: make([]listenerCounters, len(p.lns)), now: p.now()}
	lp.flushFn = gnet.RunnableFunc(lp.flushTask)
	for _, g := range p.groups {
		lp.groups = append(lp.groups, newLoopGroup(lp, g))
	}
	lp.clients.init()
	return lp
}

// runFunc adapts a func to gnet.Runnable.
type runFunc func()

func (f runFunc) Run(context.Context) error {
	f()
	return nil
}

// execute runs f on the loop (from any goroutine).
func (lp *loop) execute(f func()) {
	_ = lp.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		lp.now = lp.p.now()
		f()
		lp.flushClients()
		return nil
	}))
}

// tick runs the loop's timers.
func (lp *loop) tick() {
	lp.tickQueued.Store(false)
	for _, lg := range lp.groups {
		lg.tick()
	}
	lp.checkReplyTimeouts()
	if lp.p.idleTimeout > 0 && lp.now-lp.lastIdle >= int64(idleCheckEvery) {
		lp.lastIdle = lp.now
		lp.closeIdleClients()
	}
}

// newSlot takes a slot from the free list.
func (lp *loop) newSlot(cl *client) *slot {
	s := lp.free
	if s != nil {
		lp.free = s.next
		s.next = nil
	} else {
		s = &slot{}
	}
	s.cl = cl
	s.start = lp.now
	return s
}

// freeSlot recycles s; buffers of reasonable size are kept for reuse.
func (lp *loop) freeSlot(s *slot) {
	buf, req := s.buf[:0], s.req[:0]
	if cap(buf) > 4<<10 {
		buf = nil
	}
	if cap(req) > 4<<10 {
		req = nil
	}
	*s = slot{buf: buf, req: req, next: lp.free}
	lp.free = s
}

// markDirty queues cl's output for the end of the current callback.
func (lp *loop) markDirty(cl *client) {
	if !cl.dirty {
		cl.dirty = true
		lp.dirty = append(lp.dirty, cl)
	}
}

// flushClients writes every pending client output: one write(2) per
// client per callback.
func (lp *loop) flushClients() {
	for i := 0; i < len(lp.dirty); i++ { // writes may add clients (closes)
		cl := lp.dirty[i]
		lp.dirty[i] = nil
		cl.dirty = false
		if cl.closed {
			cl.out = cl.out[:0]
			continue
		}
		if len(cl.out) > 0 {
			_, err := cl.gc.Write(cl.out)
			if cap(cl.out) > 64<<10 {
				cl.out = nil
			} else {
				cl.out = cl.out[:0]
			}
			if err != nil || cl.closed {
				continue
			}
			if lim := lp.p.outputLimit; lim > 0 && cl.gc.OutboundBuffered() > lim {
				lp.p.log.Warn("client output limit reached, closing the client",
					zap.String("event", "client-output-limit"), zap.String("addr", cl.addr()),
					zap.Int("pending", cl.gc.OutboundBuffered()))
				// Reset rather than close: the kernel would otherwise keep
				// the queued output of a client that does not read.
				_ = cl.gc.SetLinger(0)
				lp.closeClient(cl)
				continue
			}
		}
		if cl.quit && cl.head == nil {
			lp.closeClient(cl)
		}
	}
	lp.dirty = lp.dirty[:0]
}

// checkReplyTimeouts fails backend connections whose oldest request waits
// longer than the reply timeout (blocking commands excepted).
func (lp *loop) checkReplyTimeouts() {
	for i := 0; i < len(lp.conns); i++ {
		bc := lp.conns[i]
		g := bc.lg.g
		switch bc.state {
		case bcHandshake:
			if lp.now-bc.hsSince > g.replyTimeout {
				lp.backendFail(bc, "handshake timeout", failTimeout)
				i--
			}
		case bcReady:
			if bc.passthrough || bc.q.len() == 0 {
				continue
			}
			h := bc.q.front()
			if h.flags&sBlocking != 0 {
				continue
			}
			since := max(h.sent, bc.headSince)
			if lp.now-since > g.replyTimeout {
				lp.backendFail(bc, "reply timeout", failTimeout)
				i--
			}
		}
	}
}

func (lp *loop) closeIdleClients() {
	lim := lp.p.idleTimeout
	for cl := lp.clients.first(); cl != nil; cl = lp.nextClient(cl) {
		if cl.closing || cl.pending > 0 || cl.passthrough || lp.now-cl.lastActive <= lim {
			continue
		}
		lp.p.log.Debug("closing idle client", zap.String("event", "client-idle-timeout"), zap.String("addr", cl.addr()))
		lp.closeClient(cl)
	}
}
