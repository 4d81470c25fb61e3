package proxy

// This file holds what the three topology sources (source_embedded.go,
// source_external.go, source_static.go) share: the constructor that picks
// one, the publisher that turns decisions into immutable *Topology values,
// the node check (PING + INFO replication on a kept, authenticated
// connection, bounded by a timeout), and the pure function that builds the
// replica list from the checks.
//
// Every source follows the same shape: one goroutine (the loop) owns the
// decision state and is the only caller of publish; node checks run on
// their own goroutines, at most one per node at a time, and hand their
// results back to the loop over a channel, so that a hung node delays
// nothing else; Recheck only stores a reason and signals the loop.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
)

const (
	// sourceRefresh is how often the sentinel-based sources re-read their
	// sentinel and check the master and the replicas while a master is
	// confirmed; sourceFastRefresh is how often they re-check the named
	// master while none is (a promotion is then picked up within it).
	sourceRefresh     = time.Second
	sourceFastRefresh = 100 * time.Millisecond
	// nodeReadBuf fits an INFO replication reply with dozens of replicas.
	nodeReadBuf = 16 << 10
)

// nodeReplyLimits bound what a node can make a check decode; an INFO
// section is a few KB.
var nodeReplyLimits = resp.ReplyLimits{MaxBulk: 4 << 20, MaxLine: 64 << 10, MaxElems: 1024, MaxDepth: 4}

// NewSource builds the topology source g asks for: an embedded sentinel
// (g.Embedded), external sentinels (g.Sentinels) or static active checks
// (g.Static); exactly one must be set. Zero timings take the defaults
// Normalize would give. The source keeps g: it must not change afterwards.
// log should already name the group (cmd/warden adds a "group" field);
// the source adds nothing to it.
// Nothing runs and no port opens before Start, but the configuration is
// checked now (for an embedded sentinel, its sentinel.conf is loaded).
func NewSource(g *GroupConfig, log *zap.Logger) (Source, error) {
	if g == nil {
		return nil, errors.New("proxy: nil group config")
	}
	if log == nil {
		log = zap.NewNop()
	}
	if g.Name == "" || strings.IndexFunc(g.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		// Sentinels name the master inside space-separated messages.
		return nil, fmt.Errorf("proxy: invalid group name %q", g.Name)
	}
	if g.NodeUser != "" && g.NodePass == "" {
		return nil, fmt.Errorf("proxy: group %s: node-user set without node-pass", g.Name)
	}
	n := 0
	for _, set := range []bool{g.Embedded != nil, g.Sentinels != nil, g.Static != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("proxy: group %s: %d topology sources set, want exactly one of embedded-sentinel, sentinels, static", g.Name, n)
	}
	tm := defaultTiming(g)
	switch {
	case g.Embedded != nil:
		return newEmbeddedSource(g, log, tm)
	case g.Sentinels != nil:
		return newExternalSource(g, log, tm)
	default:
		return newStaticSource(g, log, tm)
	}
}

// sourceTiming is how often a source looks and how long it waits. Tests
// shrink it; NewSource derives it from the group.
type sourceTiming struct {
	refresh time.Duration // periodic re-evaluation and checks
	fast    time.Duration // re-check of the master while none is confirmed
	timeout time.Duration // one node check: dial, AUTH, PING + INFO
	now     func() time.Time
}

func defaultTiming(g *GroupConfig) sourceTiming {
	tm := sourceTiming{refresh: sourceRefresh, fast: sourceFastRefresh, timeout: g.BackendConnectTimeout, now: time.Now}
	if tm.timeout <= 0 {
		tm.timeout = defaultBackendConnectTimeout
	}
	return tm
}

// stale is how old a check may be and still count: three missed refreshes
// plus one check's worth of waiting.
func (tm sourceTiming) stale() time.Duration { return 3*tm.refresh + tm.timeout }

// lifecycle is the Start/Close bookkeeping every source shares: the
// context that stops its goroutines, and the wait for them.
type lifecycle struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	started bool
	closed  bool
}

func newLifecycle() *lifecycle {
	ctx, cancel := context.WithCancel(context.Background())
	return &lifecycle{ctx: ctx, cancel: cancel}
}

// begin marks the source started; an error if it already was, or is
// closed.
func (l *lifecycle) begin(kind string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return fmt.Errorf("proxy: %s source closed", kind)
	case l.started:
		return fmt.Errorf("proxy: %s source already started", kind)
	}
	l.started = true
	return nil
}

// end stops the goroutines and waits for them; it reports false if the
// source was already closed (Close is idempotent).
func (l *lifecycle) end() bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
	return true
}

// recheckSignal carries Recheck calls to a source's loop without ever
// blocking the caller (the data path's event loops): the latest reason is
// kept, and a burst of calls wakes the loop once.
type recheckSignal struct {
	ch     chan struct{}
	mu     sync.Mutex
	reason string
}

func newRecheckSignal() *recheckSignal { return &recheckSignal{ch: make(chan struct{}, 1)} }

func (r *recheckSignal) signal(reason string) {
	r.mu.Lock()
	r.reason = reason
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

func (r *recheckSignal) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	reason := r.reason
	r.reason = ""
	if reason == "" {
		reason = "recheck requested"
	}
	return reason
}

// publisher numbers and publishes a group's topologies. Only the source's
// loop calls it. A topology is published when the master, its state or
// the replicas change; a change of lag alone is published at most once
// per lagGap (the data path refreshes every event loop on each
// publication, and lag is sampled once per refresh anyway: the next
// periodic update carries it). Since and Reason move
// only with the master or its state, except that while no master was ever
// confirmed (MasterUnknown) the Reason follows the source's current one,
// so that /status says what start-up is waiting for.
type publisher struct {
	group  string
	log    *zap.Logger
	now    func() time.Time
	fn     func(*Topology)
	lagGap time.Duration
	last   *Topology
	lastAt time.Time // when last was published
}

// newPublisher is the publisher of group g's topologies through fn.
func newPublisher(g *GroupConfig, log *zap.Logger, tm sourceTiming, fn func(*Topology)) publisher {
	return publisher{group: g.Name, log: log, now: tm.now, fn: fn, lagGap: tm.refresh}
}

// followEvents subscribes to an event origin (an embedded sentinel, a
// watcher of sentinels), starts it, and runs loop on its events in the
// lifecycle's goroutine until loop returns. Subscribing first means
// nothing the origin says from its start on is missed; the buffer absorbs
// a failover's burst, and a lost event is recovered by the sources'
// periodic re-read.
func followEvents[E any](life *lifecycle, subscribe func(buf int) (<-chan E, func()), start func() error, loop func(<-chan E)) error {
	events, unsubscribe := subscribe(1024)
	if err := start(); err != nil {
		unsubscribe()
		return err
	}
	life.wg.Add(1)
	go func() {
		defer unsubscribe()
		loop(events)
	}()
	return nil
}

// update publishes the topology described unless it equals the last one.
// replicas must not be modified afterwards.
func (p *publisher) update(state MasterState, master, reason string, replicas []Replica) {
	prev := p.last
	t := &Topology{Group: p.group, Master: master, State: state, Replicas: replicas, Reason: reason, Generation: 1}
	if prev != nil {
		t.Generation = prev.Generation + 1
		if prev.State == state && prev.Master == master {
			if slices.Equal(prev.Replicas, replicas) && (state != MasterUnknown || prev.Reason == reason) {
				return
			}
			if sameReplicaHealth(prev.Replicas, replicas) && (state != MasterUnknown || prev.Reason == reason) &&
				p.now().Sub(p.lastAt) < p.lagGap {
				return
			}
			t.Since = prev.Since
			if state != MasterUnknown {
				t.Reason = prev.Reason
			}
		}
	}
	if t.Since.IsZero() {
		t.Since = p.now()
		p.logState(prev, t)
	}
	if prev != nil && !sameReplicaHealth(prev.Replicas, replicas) {
		p.log.Info("replicas changed", zap.String("event", "topology-replicas-changed"),
			zap.Uint64("generation", t.Generation), zap.String("replicas", describeReplicas(replicas)))
	}
	p.last, p.lastAt = t, p.now()
	p.fn(t)
}

// logState writes the failover timeline's source-side entries.
func (p *publisher) logState(prev, t *Topology) {
	fields := []zap.Field{zap.String("master", t.Master), zap.Uint64("generation", t.Generation), zap.String("reason", t.Reason)}
	if prev != nil {
		fields = append(fields, zap.String("previous", prev.Master), zap.Duration("previous_for", t.Since.Sub(prev.Since)))
	}
	switch t.State {
	case MasterConfirmed:
		p.log.Info("master confirmed", append([]zap.Field{zap.String("event", "topology-master-confirmed")}, fields...)...)
	case MasterChanging:
		p.log.Warn("master no longer trusted", append([]zap.Field{zap.String("event", "topology-master-changing")}, fields...)...)
	default:
		p.log.Info("no master confirmed", append([]zap.Field{zap.String("event", "topology-master-unknown")}, fields...)...)
	}
}

// sameReplicaHealth reports whether two replica lists differ at most in
// lag: lag moves all the time and is not worth a log line.
func sameReplicaHealth(a, b []Replica) bool {
	return slices.EqualFunc(a, b, func(x, y Replica) bool {
		return x.Addr == y.Addr && x.LinkUp == y.LinkUp && x.Loading == y.Loading && x.Down == y.Down
	})
}

func describeReplicas(rs []Replica) string {
	if len(rs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(r.Addr)
		switch {
		case r.Down:
			b.WriteString("(down)")
		case r.Loading:
			b.WriteString("(loading)")
		case !r.LinkUp:
			b.WriteString("(link-down)")
		default:
			b.WriteString("(up)")
		}
	}
	return b.String()
}

// nodeObs is the result of one check of a node: PING, then INFO
// replication, on one connection.
type nodeObs struct {
	addr string
	at   time.Time // when the check started: it says nothing about earlier instants
	err  error     // nil when the node answered both

	role    string // INFO's role: "master" or "slave"
	loading bool   // PING answered -LOADING: the dataset is being loaded
	// Replicas: master_link_status:up, and master_host:master_port.
	linkUp     bool
	masterAddr string
	// offset is master_repl_offset on a master, slave_repl_offset on a
	// replica; -1 when the node did not say.
	offset int64
	// slaves are a master's slaveN lines.
	slaves []slaveLine
}

// slaveLine is one "slaveN:ip=...,port=...,state=...,offset=...,lag=..."
// line of a master's INFO replication.
type slaveLine struct {
	addr   string
	state  string // "online", "wait_bgsave", "send_bulk"
	offset int64  // the replica's acknowledged offset
	lag    int64  // seconds since its last acknowledgement, -1 unknown
}

func (o *nodeObs) ok() bool { return o.err == nil }

// masterUsable is the role test a node must pass to take writes.
func (o *nodeObs) masterUsable() bool { return o.ok() && o.role == "master" && !o.loading }

// parseReplicationInfo fills o from the text of INFO replication.
func parseReplicationInfo(text string, o *nodeObs) {
	o.offset = -1
	var host, port, masterOff, slaveOff string
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok {
			continue
		}
		switch k {
		case "role":
			o.role = v
		case "master_host":
			host = v
		case "master_port":
			port = v
		case "master_link_status":
			o.linkUp = v == "up"
		case "master_repl_offset":
			masterOff = v
		case "slave_repl_offset":
			slaveOff = v
		default:
			if rest, ok := strings.CutPrefix(k, "slave"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
				if s, ok := parseSlaveLine(v); ok {
					o.slaves = append(o.slaves, s)
				}
			}
		}
	}
	if host != "" && port != "" {
		o.masterAddr = net.JoinHostPort(host, port)
	}
	// A replica reports both offsets; its own progress is
	// slave_repl_offset (master_repl_offset there is what it could pass
	// on to its own replicas).
	off := masterOff
	if o.role == "slave" && slaveOff != "" {
		off = slaveOff
	}
	if n, err := strconv.ParseInt(off, 10, 64); err == nil {
		o.offset = n
	}
}

// parseSlaveLine reads "ip=127.0.0.1,port=6380,state=online,offset=42,lag=0".
func parseSlaveLine(v string) (slaveLine, bool) {
	s := slaveLine{offset: -1, lag: -1}
	var ip, port string
	for _, f := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(f, "=")
		switch k {
		case "ip":
			ip = val
		case "port":
			port = val
		case "state":
			s.state = val
		case "offset":
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				s.offset = n
			}
		case "lag":
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				s.lag = n
			}
		}
	}
	if ip == "" || port == "" {
		return slaveLine{}, false
	}
	s.addr = net.JoinHostPort(ip, port)
	return s, true
}

// sameNode reports whether two host:port strings name the same node as far
// as can be told without DNS: equal ports, and equal hosts (case aside, or
// as IP addresses), or two loopback names (a replica configured with
// "localhost" reports the master as "localhost", the master reports it as
// "127.0.0.1").
func sameNode(a, b string) bool {
	if a == b {
		return a != ""
	}
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb {
		return false
	}
	if strings.EqualFold(ha, hb) {
		return true
	}
	if ia, ib := net.ParseIP(ha), net.ParseIP(hb); ia != nil && ia.Equal(ib) {
		return true
	}
	return isLoopbackHost(ha) && isLoopbackHost(hb)
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// replicaMember is a node a source lists as a replica of the master,
// before its own checks are applied.
type replicaMember struct {
	addr string
	// down is the source's own verdict: sentinel flags (s_down, o_down,
	// disconnected, or no majority seeing it healthy), or failed
	// fall/rise checks.
	down bool
	// linkUp is the source's view of the replication link, used only when
	// no check of the replica counts.
	linkUp bool
}

// buildReplicas is the replica list of a topology: members (duplicates and
// the master itself left out), refined by the checks in obs that started
// after floor. A counted check of a replica decides LinkUp (role slave,
// master_link_status:up, replicating from master, not loading), Loading,
// and, with a counted check of the master, LagBytes (master_repl_offset −
// slave_repl_offset, never negative); a failed one marks it Down. The
// master's slaveN line gives LagSeconds (and LagBytes when the replica's
// own offset is unknown), and a state other than online means the link is
// not usable yet. The result is sorted by address.
func buildReplicas(master string, members []replicaMember, obs map[string]nodeObs, floor time.Time) []Replica {
	counted := func(addr string) (nodeObs, bool) {
		o, ok := obs[addr]
		return o, ok && o.at.After(floor)
	}
	mo, hasMaster := counted(master)
	if hasMaster && (!mo.ok() || mo.role != "master") {
		hasMaster = false
	}
	seen := make(map[string]bool, len(members))
	out := make([]Replica, 0, len(members))
	for _, m := range members {
		if m.addr == "" || seen[m.addr] || sameNode(m.addr, master) {
			continue
		}
		seen[m.addr] = true
		r := Replica{Addr: m.addr, Down: m.down, LinkUp: m.linkUp && !m.down, LagBytes: -1, LagSeconds: -1}
		if o, ok := counted(m.addr); ok {
			if !o.ok() {
				r.Down, r.LinkUp = true, false
			} else {
				r.Loading = o.loading
				r.LinkUp = !m.down && o.role == "slave" && o.linkUp && !o.loading && master != "" && sameNode(o.masterAddr, master)
				if hasMaster && o.role == "slave" && o.offset >= 0 && mo.offset >= 0 {
					r.LagBytes = max(0, mo.offset-o.offset)
				}
			}
		}
		if hasMaster {
			for _, s := range mo.slaves {
				if !sameNode(s.addr, m.addr) {
					continue
				}
				r.LagSeconds = s.lag
				if r.LagBytes < 0 && s.offset >= 0 && mo.offset >= 0 {
					r.LagBytes = max(0, mo.offset-s.offset)
				}
				if s.state != "online" {
					r.LinkUp = false
				}
				break
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Replica) int { return strings.Compare(a.Addr, b.Addr) })
	return out
}

// slaveMembers lists the replicas a master's check shows connected, for
// sources whose own replica list lags behind (a sentinel reads the
// master's INFO every 10 s).
func slaveMembers(o nodeObs, ok bool) []replicaMember {
	if !ok || !o.ok() || o.role != "master" {
		return nil
	}
	out := make([]replicaMember, 0, len(o.slaves))
	for _, s := range o.slaves {
		out = append(out, replicaMember{addr: s.addr, linkUp: s.state == "online"})
	}
	return out
}

// nodeChecker runs node checks on their own goroutines, at most one per
// node at a time, keeping one idle connection per node between checks,
// and delivers the results on out. The loop that owns the source reads
// out; nothing else does.
//
// An idle connection is watched: when the node closes it (the process
// died: kill -9 closes its sockets; a restart; a server timeout), a check
// starts at once instead of at the next interval, so a dead master is
// noticed within a round trip.
type nodeChecker struct {
	ctx        context.Context
	wg         *sync.WaitGroup
	user, pass string
	timeout    time.Duration
	now        func() time.Time
	out        chan nodeObs

	mu   sync.Mutex
	busy map[string]bool
	idle map[string]*nodeConn
}

func newNodeChecker(l *lifecycle, user, pass string, tm sourceTiming) *nodeChecker {
	return &nodeChecker{
		ctx: l.ctx, wg: &l.wg, user: user, pass: pass, timeout: tm.timeout, now: tm.now,
		out:  make(chan nodeObs, 64),
		busy: make(map[string]bool),
		idle: make(map[string]*nodeConn),
	}
}

// start begins a check of addr unless one is under way; it reports
// whether it did.
func (c *nodeChecker) start(addr string) bool {
	c.mu.Lock()
	if c.busy[addr] || c.ctx.Err() != nil {
		c.mu.Unlock()
		return false
	}
	c.busy[addr] = true
	conn := c.idle[addr]
	delete(c.idle, addr)
	c.mu.Unlock()
	c.wg.Add(1)
	go c.run(addr, conn)
	return true
}

func (c *nodeChecker) run(addr string, conn *nodeConn) {
	defer c.wg.Done()
	if conn != nil && !conn.unwatch() {
		conn.Close()
		conn = nil
	}
	reused := conn != nil
	o, conn := c.check(addr, conn)
	if !o.ok() && reused && !errors.Is(o.err, os.ErrDeadlineExceeded) && c.ctx.Err() == nil {
		// A kept connection can die between checks without the watch
		// seeing it yet: only a fresh connection's failure counts. A
		// timeout is not retried: a hung node stays hung.
		o, conn = c.check(addr, nil)
	}
	c.mu.Lock()
	delete(c.busy, addr)
	if conn != nil {
		if c.ctx.Err() == nil && c.idle[addr] == nil {
			c.idle[addr] = conn
			c.watch(addr, conn)
		} else {
			conn.Close()
		}
	}
	c.mu.Unlock()
	select {
	case c.out <- o:
	case <-c.ctx.Done():
	}
}

// check runs one check on conn, or on a new connection when conn is nil;
// it returns the connection when it may be kept.
func (c *nodeChecker) check(addr string, conn *nodeConn) (nodeObs, *nodeConn) {
	o := nodeObs{addr: addr, at: c.now(), offset: -1}
	var err error
	if conn == nil {
		conn, err = dialNode(c.ctx, addr, c.user, c.pass, c.timeout)
	}
	if err == nil {
		if err = checkNode(conn, &o); err != nil {
			conn.Close()
			conn = nil
		}
	}
	o.err = err
	return o, conn
}

// watch waits, on its own goroutine, for the idle conn to be closed by
// the node, and then drops it and checks addr at once. Caller holds mu.
// start takes the connection back through unwatch.
func (c *nodeChecker) watch(addr string, conn *nodeConn) {
	conn.watching = make(chan struct{})
	_ = conn.NC.SetReadDeadline(time.Time{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer close(conn.watching)
		if _, err := conn.R.Peek(1); errors.Is(err, os.ErrDeadlineExceeded) {
			return // unwatch took it back
		}
		// Closed (or, impossibly for RESP2 without pushes, unsolicited
		// bytes): unusable either way.
		conn.dead = true
		c.mu.Lock()
		mine := c.idle[addr] == conn
		if mine {
			delete(c.idle, addr)
		}
		c.mu.Unlock()
		if mine {
			conn.Close()
			if c.ctx.Err() == nil {
				c.start(addr)
			}
		}
	}()
}

// prune closes the idle connections to nodes keep no longer wants.
func (c *nodeChecker) prune(keep func(addr string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for a, conn := range c.idle {
		if !keep(a) {
			conn.Close()
			delete(c.idle, a)
		}
	}
}

// closeIdle closes every kept connection; call it once the checks have
// returned (after the lifecycle's wait).
func (c *nodeChecker) closeIdle() { c.prune(func(string) bool { return false }) }

// nodeConn is a blocking RESP2 connection to a node; every exchange is
// bounded by timeout, and cancelling the source's context closes it.
type nodeConn struct {
	*resp.Conn
	// watching is closed when the idle watch of the connection ended;
	// dead is then set if it saw the connection closed.
	watching chan struct{}
	dead     bool
}

// unwatch ends the idle watch (a read deadline in the past wakes it) and
// reports whether the connection is still usable.
func (c *nodeConn) unwatch() bool {
	if c.watching == nil {
		return true
	}
	_ = c.NC.SetReadDeadline(time.Now())
	<-c.watching
	c.watching = nil
	return !c.dead
}

// dialNode connects to addr and authenticates when pass is set.
func dialNode(ctx context.Context, addr, user, pass string, timeout time.Duration) (*nodeConn, error) {
	c, err := resp.Dial(ctx, addr, user, pass, timeout, nodeReadBuf, nodeReplyLimits)
	if err != nil {
		return nil, err
	}
	return &nodeConn{Conn: c}, nil
}

// checkNode is the HAProxy-style check: PING and INFO replication,
// pipelined. -LOADING to PING marks the node loading (INFO still answers
// while loading); -MASTERDOWN (a replica with replica-serve-stale-data no
// and its link down) still counts as an answer, INFO says the link is
// down. Any other error reply fails the check.
func checkNode(c *nodeConn, o *nodeObs) error {
	rs, err := c.Do([]string{"PING"}, []string{"INFO", "replication"})
	if err != nil {
		return err
	}
	if p := rs[0]; p.IsError() {
		switch {
		case strings.HasPrefix(p.Str, "LOADING"):
			o.loading = true
		case strings.HasPrefix(p.Str, "MASTERDOWN"):
		default:
			return fmt.Errorf("PING: %s", p.Str)
		}
	}
	info := rs[1]
	if info.IsError() {
		return fmt.Errorf("INFO replication: %s", info.Str)
	}
	if info.Type != '$' && info.Type != '=' {
		return fmt.Errorf("INFO replication: unexpected reply type %q", info.Type)
	}
	parseReplicationInfo(info.Str, o)
	if o.role == "" {
		return errors.New("INFO replication: no role line")
	}
	return nil
}
