package core

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file is a deterministic in-memory simulation of several sentinels
// and Redis nodes: each sentinel is a real Core with its own Shell, whose
// connections go through a simulated network that can cut any pair of
// endpoints; the nodes answer PING, INFO (Redis 7.0's replication
// section), PUBLISH (fanned out to their subscribers and replicas) and the
// SLAVEOF transaction; the clock is virtual. Everything runs in one
// goroutine in a fixed order, and every Core draws from its own seeded
// rand, so a scenario always unfolds the same way.
//
// Timing model: the world advances in 10 ms steps. A sentinel ticks when
// its NextTickDelay is up (52-100 ms). Anything sent during a step is
// delivered at the next one, so a request/reply round trip takes 20 ms.
// Messages between endpoints that are cut are lost (a partition looks
// like silence, as with TCP); connecting across a cut fails at once.
//
// Every scenario runs under several seeds (SIMSEEDS=n for more); with
// SIMDUMP=1 each run logs its published events, which is how to read what
// a scenario did.

const simStep = 10 * time.Millisecond

type simWorld struct {
	t     *testing.T
	seed  int64
	now   time.Time
	nodes []*simNode
	sents []*simSentinel
	cut   map[[2]string]bool
	queue []func()
	conns []*simConn
	log   []simEvent
	// onExit is called when a sentinel's core asks to exit.
	onExit func(s *simSentinel, code int)
}

type simEvent struct {
	at time.Time
	s  int
	ev Event
}

func (e simEvent) String() string {
	return fmt.Sprintf("%s s%d %s %s", e.at.Format("15:04:05.000"), e.s, e.ev.Type, e.ev.Payload)
}

func newSimWorld(t *testing.T, seed int64) *simWorld {
	w := &simWorld{t: t, seed: seed, now: foT0, cut: make(map[[2]string]bool)}
	t.Cleanup(func() {
		if os.Getenv("SIMDUMP") != "" {
			w.dump()
		}
	})
	return w
}

// later runs fn at the next step.
func (w *simWorld) later(fn func()) { w.queue = append(w.queue, fn) }

func simPair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// reachable reports whether endpoints a and b (addresses) can talk.
func (w *simWorld) reachable(a, b string) bool { return !w.cut[simPair(a, b)] }

// partition cuts every pair between the two sides.
func (w *simWorld) partition(side []string, other []string) {
	for _, a := range side {
		for _, b := range other {
			w.cut[simPair(a, b)] = true
		}
	}
}

// heal removes every cut.
func (w *simWorld) heal() { w.cut = make(map[[2]string]bool) }

// everything lists every endpoint address.
func (w *simWorld) everything() []string {
	var out []string
	for _, n := range w.nodes {
		out = append(out, n.addr.String())
	}
	for _, s := range w.sents {
		out = append(out, s.addr.String())
	}
	return out
}

func (w *simWorld) node(addr string) *simNode {
	for _, n := range w.nodes {
		if n.addr.String() == addr {
			return n
		}
	}
	return nil
}

func (w *simWorld) sentinelAt(addr string) *simSentinel {
	for _, s := range w.sents {
		if s.addr.String() == addr {
			return s
		}
	}
	return nil
}

// alive reports whether something listens at addr.
func (w *simWorld) alive(addr string) bool {
	if n := w.node(addr); n != nil {
		return n.alive
	}
	if s := w.sentinelAt(addr); s != nil {
		return s.alive
	}
	return false
}

// step advances the clock by one step: node replication state, then the
// messages of the previous step, then the sentinels whose tick is due.
func (w *simWorld) step() {
	w.now = w.now.Add(simStep)
	w.updateNodes()
	q := w.queue
	w.queue = nil
	for _, fn := range q {
		fn()
	}
	for _, s := range w.sents {
		if s.alive && !w.now.Before(s.nextTick) {
			s.core.Tick(w.now)
			s.core.TakeDirty()
			s.nextTick = w.now.Add(s.core.NextTickDelay())
		}
	}
}

func (w *simWorld) run(d time.Duration) {
	end := w.now.Add(d)
	for w.now.Before(end) {
		w.step()
	}
}

// runUntil steps until cond holds, failing the test after max.
func (w *simWorld) runUntil(max time.Duration, what string, cond func() bool) {
	w.t.Helper()
	end := w.now.Add(max)
	for !cond() {
		if !w.now.Before(end) {
			w.dump()
			w.t.Fatalf("after %v: %s never happened", max, what)
		}
		w.step()
	}
}

// dump logs the published events, for failure analysis.
func (w *simWorld) dump() {
	for _, e := range w.log {
		if e.ev.Level >= LevelNotice {
			w.t.Log(e.String())
		}
	}
}

// events lists the logged events of one type (from sentinel s, or any
// when s < 0).
func (w *simWorld) events(typ string, s int) []simEvent {
	var out []simEvent
	for _, e := range w.log {
		if e.ev.Type == typ && (s < 0 || e.s == s) {
			out = append(out, e)
		}
	}
	return out
}

// ---- nodes ----

type simNode struct {
	w     *simWorld
	idx   int
	addr  Addr
	runid string
	gen   int
	alive bool
	// master is the address it replicates from; zero for a master.
	master    Addr
	offset    int64
	lag       int64
	priority  int
	syncUntil time.Time
	linkUp    bool
	everUp    bool
	downSince time.Time
	subs      []*simConn
}

func (w *simWorld) addNode(master *simNode) *simNode {
	n := &simNode{w: w, idx: len(w.nodes), addr: Addr{fmt.Sprintf("10.0.0.%d", len(w.nodes)+1), 6379},
		alive: true, priority: 100}
	n.runid = fmt.Sprintf("%02x%038x", 0xa0+n.idx, 1)
	if master != nil {
		n.master = master.addr
		n.syncUntil = w.now
	}
	w.nodes = append(w.nodes, n)
	return n
}

func (n *simNode) isMaster() bool { return n.master == (Addr{}) }

// kill stops the process: connections to it are reset.
func (n *simNode) kill() {
	n.alive = false
	for _, c := range n.w.conns {
		if c.to == n.addr.String() {
			c.close(true)
		}
	}
}

// restart boots the node again as an empty master with a new run_id, as
// a redis-server without persistence restarted by its supervisor.
func (n *simNode) restart() {
	n.alive = true
	n.gen++
	n.runid = fmt.Sprintf("%02x%038x", 0xa0+n.idx, n.gen+1)
	n.master = Addr{}
	n.offset = 0
	n.linkUp, n.everUp = false, false
}

// updateNodes moves the replication state one step: masters take writes,
// replicas follow their master while they can reach it.
func (w *simWorld) updateNodes() {
	for _, n := range w.nodes {
		if n.alive && n.isMaster() {
			n.offset += 10
		}
	}
	for _, n := range w.nodes {
		if !n.alive || n.isMaster() {
			continue
		}
		m := w.node(n.master.String())
		up := m != nil && m.alive && w.reachable(n.addr.String(), m.addr.String()) && !w.now.Before(n.syncUntil)
		if up {
			n.offset = m.offset - n.lag
			n.everUp = true
		} else if n.linkUp {
			n.downSince = w.now
		}
		n.linkUp = up
	}
}

func (n *simNode) info() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\r\n") }
	line("# Server")
	line("redis_version:7.0.15")
	line("redis_mode:standalone")
	line("run_id:" + n.runid)
	line("tcp_port:" + strconv.Itoa(n.addr.Port))
	line("")
	line("# Replication")
	off := strconv.FormatInt(n.offset, 10)
	if n.isMaster() {
		line("role:master")
		var reps []*simNode
		for _, r := range n.w.nodes {
			if r.alive && r.master == n.addr && r.linkUp {
				reps = append(reps, r)
			}
		}
		line("connected_slaves:" + strconv.Itoa(len(reps)))
		for i, r := range reps {
			line(fmt.Sprintf("slave%d:ip=%s,port=%d,state=online,offset=%d,lag=0", i, r.addr.Host, r.addr.Port, r.offset))
		}
		line("master_failover_state:no-failover")
		line("master_repl_offset:" + off)
	} else {
		line("role:slave")
		line("master_host:" + n.master.Host)
		line("master_port:" + strconv.Itoa(n.master.Port))
		if n.linkUp {
			line("master_link_status:up")
			line("master_last_io_seconds_ago:0")
		} else {
			line("master_link_status:down")
			line("master_last_io_seconds_ago:-1")
		}
		line("master_sync_in_progress:0")
		line("slave_read_repl_offset:" + off)
		line("slave_repl_offset:" + off)
		if !n.linkUp {
			secs := -1
			if n.everUp {
				secs = int(n.w.now.Sub(n.downSince) / time.Second)
			}
			line("master_link_down_since_seconds:" + strconv.Itoa(secs))
		}
		line("slave_priority:" + strconv.Itoa(n.priority))
		line("slave_read_only:1")
		line("replica_announced:1")
		line("connected_slaves:0")
		line("master_failover_state:no-failover")
		line("master_repl_offset:" + off)
	}
	return b.String()
}

// handle answers a command (or the SLAVEOF transaction) received on c.
func (n *simNode) handle(c *simConn, req *Request) *Reply {
	cmd := req.Cmds[0]
	switch strings.ToUpper(cmd[0]) {
	case "PING":
		return &Reply{Kind: ReplyStatus, Str: "PONG"}
	case "INFO":
		return &Reply{Kind: ReplyBulk, Str: n.info()}
	case "PUBLISH":
		return &Reply{Kind: ReplyInt, Int: int64(n.publish(cmd[2]))}
	case "MULTI":
		for _, cmd := range req.Cmds[1:] {
			switch {
			case strings.EqualFold(cmd[0], "SLAVEOF") && strings.EqualFold(cmd[1], "NO"):
				n.master = Addr{}
				n.linkUp = false
			case strings.EqualFold(cmd[0], "SLAVEOF"):
				p, _ := strconv.Atoi(cmd[2])
				n.master = Addr{cmd[1], p}
				// A full resync takes a while before the link is up.
				n.syncUntil = n.w.now.Add(500 * time.Millisecond)
				n.linkUp = false
			case strings.EqualFold(cmd[0], "CLIENT") && strings.EqualFold(cmd[3], "normal"):
				for _, o := range n.w.conns {
					if o.to == n.addr.String() && !o.pubsub && o != c {
						o.close(true)
					}
				}
			case strings.EqualFold(cmd[0], "CLIENT") && strings.EqualFold(cmd[3], "pubsub"):
				for _, o := range n.w.conns {
					if o.to == n.addr.String() && o.pubsub {
						o.close(true)
					}
				}
			}
		}
		return &Reply{Kind: ReplyArray}
	}
	return &Reply{Kind: ReplyError, Str: "ERR unknown command '" + cmd[0] + "'"}
}

// publish delivers a hello to the node's subscribers and, as Redis
// replicates PUBLISH, to its connected replicas' subscribers.
func (n *simNode) publish(payload string) int {
	count := 0
	for _, c := range n.subs {
		if c.closed || !c.sh.s.alive || !n.w.reachable(n.addr.String(), c.sh.s.addr.String()) {
			continue
		}
		count++
		c := c
		n.w.later(func() {
			if c.closed || !c.sh.s.alive {
				return
			}
			c.sh.s.core.PubSubActivity(c.link, n.w.now)
			c.sh.s.core.Hello(payload, n.w.now)
			c.sh.s.core.TakeDirty()
		})
	}
	for _, r := range n.w.nodes {
		if r.alive && r.master == n.addr && r.linkUp {
			r := r
			n.w.later(func() {
				if r.alive {
					r.publish(payload)
				}
			})
		}
	}
	return count
}

// ---- sentinels ----

type simSentinel struct {
	w        *simWorld
	idx      int
	addr     Addr
	core     *Core
	shell    *simShell
	alive    bool
	nextTick time.Time
}

// addSentinel starts a sentinel monitoring "mymaster" at master.
func (w *simWorld) addSentinel(master *simNode, quorum int, downAfter, failoverTimeout time.Duration) *simSentinel {
	i := len(w.sents)
	s := &simSentinel{w: w, idx: i, addr: Addr{fmt.Sprintf("10.0.1.%d", i+1), DefaultPort}, alive: true}
	s.shell = &simShell{s: s, conns: make(map[*Link]*[2]*simConn)}
	c := New(s.shell, rand.New(rand.NewSource(w.seed*1000+int64(i))))
	c.MyID = strings.Repeat(string(rune('a'+i)), 40)
	m := c.newInstance(KindMaster, "mymaster", master.addr, nil, w.now)
	c.Masters["mymaster"] = m
	m.Quorum = quorum
	m.DownAfter = downAfter
	m.FailoverTimeout = failoverTimeout
	s.core = c
	s.nextTick = w.now.Add(time.Duration(i*17) * time.Millisecond)
	w.sents = append(w.sents, s)
	return s
}

func (s *simSentinel) master() *Instance { return s.core.Masters["mymaster"] }

// crash ends the sentinel process: its connections vanish, and its peers
// see theirs to it reset.
func (s *simSentinel) crash() {
	s.alive = false
	for _, c := range s.w.conns {
		if c.sh == s.shell {
			c.close(false)
		} else if c.to == s.addr.String() {
			c.close(true)
		}
	}
}

// handle answers a peer's command.
func (s *simSentinel) handle(req *Request) *Reply {
	cmd := req.Cmds[0]
	switch strings.ToUpper(cmd[0]) {
	case "PING":
		return &Reply{Kind: ReplyStatus, Str: "PONG"}
	case "PUBLISH":
		if cmd[1] != HelloChannel {
			return &Reply{Kind: ReplyError, Str: "ERR Only HELLO messages are accepted by Sentinel instances."}
		}
		s.core.Hello(cmd[2], s.w.now)
		s.core.TakeDirty()
		return &Reply{Kind: ReplyInt, Int: 1}
	case "SENTINEL":
		if len(cmd) == 6 && strings.EqualFold(cmd[1], "is-master-down-by-addr") {
			port, err1 := strconv.Atoi(cmd[3])
			epoch, err2 := strconv.ParseUint(cmd[4], 10, 64)
			if err1 != nil || err2 != nil {
				return &Reply{Kind: ReplyError, Str: "ERR value is not an integer or out of range"}
			}
			down, leader, ep := s.core.IsMasterDownByAddr(Addr{cmd[2], port}, epoch, cmd[5], s.w.now)
			s.core.TakeDirty()
			d := int64(0)
			if down {
				d = 1
			}
			return &Reply{Kind: ReplyArray, Elems: []Reply{{Kind: ReplyInt, Int: d},
				{Kind: ReplyBulk, Str: leader}, {Kind: ReplyInt, Int: int64(ep)}}}
		}
	}
	return &Reply{Kind: ReplyError, Str: "ERR unknown command '" + cmd[0] + "'"}
}

// ---- connections and the Shell ----

type simConn struct {
	sh      *simShell
	link    *Link
	to      string
	pubsub  bool
	up      bool
	closed  bool
	pending []*Request
}

// close ends the connection; notify reports it to the sentinel as lost
// (LinkDown), after answering its pending requests with nil replies.
func (c *simConn) close(notify bool) {
	if c.closed {
		return
	}
	c.closed, c.up = true, false
	if n := c.sh.s.w.node(c.to); n != nil {
		for i, o := range n.subs {
			if o == c {
				n.subs = append(n.subs[:i:i], n.subs[i+1:]...)
				break
			}
		}
	}
	if slots := c.sh.conns[c.link]; slots != nil && slots[c.side()] == c {
		slots[c.side()] = nil
	}
	pending := c.pending
	c.pending = nil
	s := c.sh.s
	s.w.later(func() {
		if !s.alive {
			return
		}
		for _, req := range pending {
			s.core.Reply(req, nil, s.w.now)
		}
		if notify {
			s.core.LinkDown(c.link, c.pubsub, s.w.now)
		}
		s.core.TakeDirty()
	})
}

func (c *simConn) side() int {
	if c.pubsub {
		return 1
	}
	return 0
}

// connect completes a dial: up if something listens there and the path is
// open, refused otherwise.
func (c *simConn) connect() {
	s := c.sh.s
	w := s.w
	if c.closed || !s.alive {
		return
	}
	if !w.alive(c.to) || !w.reachable(s.addr.String(), c.to) {
		c.close(true)
		return
	}
	c.up = true
	if c.pubsub {
		n := w.node(c.to)
		n.subs = append(n.subs, c)
	} else {
		c.link.LocalIP = s.addr.Host
	}
	s.core.LinkUp(c.link, c.pubsub, w.now)
	s.core.TakeDirty()
}

// simShell is one sentinel's Shell.
type simShell struct {
	s     *simSentinel
	conns map[*Link]*[2]*simConn
}

func (sh *simShell) Open(l *Link, inst *Instance) {
	if !sh.s.alive {
		return
	}
	slots := sh.conns[l]
	if slots == nil {
		slots = new([2]*simConn)
		sh.conns[l] = slots
	}
	sides := []bool{false}
	if inst.Kind != KindSentinel {
		sides = append(sides, true)
	}
	for _, pubsub := range sides {
		c := &simConn{sh: sh, link: l, to: inst.Addr.String(), pubsub: pubsub}
		if slots[c.side()] != nil {
			continue // up or still dialling
		}
		slots[c.side()] = c
		sh.s.w.conns = append(sh.s.w.conns, c)
		sh.s.w.later(c.connect)
	}
}

func (sh *simShell) Drop(l *Link, cc, pc bool) {
	slots := sh.conns[l]
	if slots == nil {
		return
	}
	if cc && slots[0] != nil {
		slots[0].close(false)
	}
	if pc && slots[1] != nil {
		slots[1].close(false)
	}
}

func (sh *simShell) Send(req *Request) {
	s := sh.s
	if !s.alive {
		return
	}
	var c *simConn
	if slots := sh.conns[req.Link]; slots != nil {
		c = slots[0]
	}
	w := s.w
	if c == nil || !c.up {
		// The connection was closed under the core (CLIENT KILL, a
		// reset) and the LinkDown is still on its way: the request fails
		// as on a dead socket.
		w.later(func() {
			if s.alive {
				s.core.Reply(req, nil, w.now)
			}
		})
		return
	}
	c.pending = append(c.pending, req)
	w.later(func() {
		if c.closed || !w.alive(c.to) || !w.reachable(s.addr.String(), c.to) {
			return // lost; answered with nil when the connection closes
		}
		var r *Reply
		if n := w.node(c.to); n != nil {
			r = n.handle(c, req)
		} else {
			r = w.sentinelAt(c.to).handle(req)
		}
		w.later(func() {
			if c.closed || !s.alive || !w.reachable(s.addr.String(), c.to) {
				return
			}
			for i, p := range c.pending {
				if p == req {
					c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
					break
				}
			}
			s.core.Reply(req, r, w.now)
			s.core.TakeDirty()
		})
	})
}

func (sh *simShell) Event(ev Event) {
	if sh.s.alive {
		sh.s.w.log = append(sh.s.w.log, simEvent{at: sh.s.w.now, s: sh.s.idx, ev: ev})
	}
}

func (sh *simShell) RunScript(path string, args ...string) {}

func (sh *simShell) Exit(code int) {
	if !sh.s.alive {
		return
	}
	w := sh.s.w
	w.log = append(w.log, simEvent{at: w.now, s: sh.s.idx, ev: Event{Type: "exit", Level: LevelWarning, Payload: strconv.Itoa(code)}})
	sh.s.crash()
	if w.onExit != nil {
		w.onExit(sh.s, code)
	}
}

// ---- scenario helpers ----

// simSetup is the usual group: a master n0 with replicas n1 (no lag, the
// best candidate) and n2, and nSent sentinels with the given quorum.
func simSetup(t *testing.T, seed int64, nSent, quorum int) *simWorld {
	w := newSimWorld(t, seed)
	n0 := w.addNode(nil)
	w.addNode(n0)
	n2 := w.addNode(n0)
	n2.lag = 50
	for i := 0; i < nSent; i++ {
		w.addSentinel(n0, quorum, 2*time.Second, 6*time.Second)
	}
	w.runUntil(20*time.Second, "discovery", func() bool {
		for _, s := range w.sents {
			m := s.master()
			if len(m.Replicas) != 2 || len(m.Sentinels) != nSent-1 {
				return false
			}
			for _, p := range m.Sentinels {
				if p.Link.CC == false {
					return false
				}
			}
		}
		return true
	})
	// A few more seconds so that every link is in its steady state.
	w.run(3 * time.Second)
	for _, typ := range []string{"+sdown", "+odown", "+try-failover", "+tilt"} {
		if ev := w.events(typ, -1); len(ev) != 0 {
			w.dump()
			t.Fatalf("%s during a healthy start: %v", typ, ev)
		}
	}
	return w
}

// settled reports whether every live sentinel names addr as the master,
// with no failover under way, and the nodes agree (topology).
func (w *simWorld) settled(addr Addr) bool {
	for _, s := range w.sents {
		if !s.alive {
			continue
		}
		m := s.master()
		if m.Addr != addr || m.FailoverState != FailoverNone {
			return false
		}
	}
	return w.topology(addr)
}

// topology reports whether addr is a master and every other live node
// replicates from it with its link up.
func (w *simWorld) topology(addr Addr) bool {
	for _, n := range w.nodes {
		if !n.alive {
			continue
		}
		if n.addr == addr {
			if !n.isMaster() {
				return false
			}
			continue
		}
		if n.master != addr || !n.linkUp {
			return false
		}
	}
	return true
}

// aliveSents lists the indexes of the sentinels still running.
func (w *simWorld) aliveSents() []int {
	var out []int
	for _, s := range w.sents {
		if s.alive {
			out = append(out, s.idx)
		}
	}
	return out
}

func (w *simWorld) expectCount(typ string, s, want int) {
	w.t.Helper()
	if got := w.events(typ, s); len(got) != want {
		w.dump()
		w.t.Fatalf("%d %s events from s%d, want %d: %v", len(got), typ, s, want, got)
	}
}

// ---- scenarios ----

// simSeeds runs a scenario under several seeds: each changes every
// sentinel's tick rhythm and failover jitter, so the races (who sees the
// failure first, whose vote request arrives first) play out differently.
func simSeeds(t *testing.T, scenario func(t *testing.T, seed int64)) {
	n := int64(8)
	if s := os.Getenv("SIMSEEDS"); s != "" {
		n, _ = strconv.ParseInt(s, 10, 64)
	}
	for seed := int64(1); seed <= n; seed++ {
		t.Run("seed"+strconv.FormatInt(seed, 10), func(t *testing.T) { scenario(t, seed) })
	}
}

// TestSimMasterDies: the master dies; exactly one sentinel is elected and
// promotes the best replica, every sentinel switches to it once, the other
// replica follows it; the old master, restarted empty, is converted into
// a replica of the new one.
func TestSimMasterDies(t *testing.T) { simSeeds(t, simMasterDies) }

func simMasterDies(t *testing.T, seed int64) {
	w := simSetup(t, seed, 3, 2)
	n0, n1, n2 := w.nodes[0], w.nodes[1], w.nodes[2]
	killed := w.now
	n0.kill()
	w.runUntil(30*time.Second, "failover to n1", func() bool { return w.settled(n1.addr) })

	w.expectCount("+elected-leader", -1, 1)
	w.expectCount("+promoted-slave", -1, 1)
	w.expectCount("+failover-end", -1, 1)
	leader := w.events("+elected-leader", -1)[0].s
	for _, s := range w.aliveSents() {
		w.expectCount("+switch-master", s, 1)
		ev := w.events("+switch-master", s)[0]
		if ev.ev.Payload != "mymaster 10.0.0.1 6379 10.0.0.2 6379" {
			t.Fatalf("s%d: +switch-master %q", s, ev.ev.Payload)
		}
		if ev.at.Sub(killed) > 2*time.Second+5*time.Second {
			t.Fatalf("s%d switched %v after the kill", s, ev.at.Sub(killed))
		}
		m := w.sents[s].master()
		if got := m.CurrentMasterAddr(); got != n1.addr {
			t.Fatalf("s%d: current master %v", s, got)
		}
		if s != leader && len(w.events("+config-update-from", s)) != 1 {
			t.Fatalf("s%d switched without +config-update-from", s)
		}
		if m.ConfigEpoch != w.sents[leader].master().ConfigEpoch || m.ConfigEpoch == 0 {
			t.Fatalf("s%d config epoch %d", s, m.ConfigEpoch)
		}
		if m.Replicas[n0.addr.String()] == nil || m.Replicas[n2.addr.String()] == nil {
			t.Fatalf("s%d replicas %v", s, sortedInstances(m.Replicas))
		}
	}
	if n2.master != n1.addr {
		t.Fatalf("n2 follows %v", n2.master)
	}

	// The old master comes back as an empty master: converted.
	n0.restart()
	w.runUntil(30*time.Second, "old master converted", func() bool { return w.settled(n1.addr) })
	if len(w.events("+convert-to-slave", -1)) == 0 {
		w.dump()
		t.Fatal("no +convert-to-slave")
	}
	w.run(5 * time.Second)
	w.expectCount("+elected-leader", -1, 1)
	for _, s := range w.aliveSents() {
		w.expectCount("+switch-master", s, 1)
	}
}

// TestSimMinorityPartition: two of five sentinels lose sight of
// everything; they agree the master is ODOWN between themselves but can
// never be elected (3 votes needed), so nothing is reconfigured.
func TestSimMinorityPartition(t *testing.T) { simSeeds(t, simMinorityPartition) }

func simMinorityPartition(t *testing.T, seed int64) {
	w := simSetup(t, seed, 5, 2)
	minority := []string{w.sents[0].addr.String(), w.sents[1].addr.String()}
	var rest []string
	for _, a := range w.everything() {
		if a != minority[0] && a != minority[1] {
			rest = append(rest, a)
		}
	}
	w.partition(minority, rest)
	w.run(40 * time.Second)

	// Both see ODOWN (they vouch for each other); the first to try gets
	// the other's vote, so the other may never try itself.
	tries, aborts := 0, 0
	for _, s := range []int{0, 1} {
		if len(w.events("+odown", s)) == 0 {
			w.dump()
			t.Fatalf("s%d did not reach ODOWN", s)
		}
		tries += len(w.events("+try-failover", s))
		aborts += len(w.events("-failover-abort-not-elected", s))
	}
	if tries < 2 || aborts < 2 {
		w.dump()
		t.Fatalf("%d attempts, %d aborts in 40 s", tries, aborts)
	}
	for _, typ := range []string{"+elected-leader", "+selected-slave", "+switch-master"} {
		w.expectCount(typ, -1, 0)
	}
	for s := 2; s < 5; s++ {
		for _, e := range w.events("+sdown", s) {
			if strings.HasPrefix(e.ev.Payload, "master ") {
				t.Fatalf("s%d saw the master down: %v", s, e)
			}
		}
	}
	if !w.topology(w.nodes[0].addr) {
		t.Fatal("topology changed")
	}

	// Heal. An attempt of the minority may still be in wait_start, or
	// start in the second before its links come back; the majority grants
	// votes without looking at the master (§1.6), so, as with Redis, that
	// attempt can win right after the heal and fail the healthy master
	// over. Either way the group must end in one agreed configuration.
	w.heal()
	w.runUntil(40*time.Second, "agreement after the heal", func() bool {
		for _, s := range w.sents {
			if s.master().Flags&(FlagSDown|FlagODown) != 0 {
				return false
			}
		}
		return w.settled(w.sents[2].master().Addr)
	})
	if n := len(w.events("+elected-leader", -1)); n > 1 {
		w.dump()
		t.Fatalf("%d elections after the heal", n)
	}
}

// TestSimSplitVote: two candidates start in the same round, each reaching
// only one voter (4 sentinels, 3 votes needed): nobody is elected, both
// give up; after the heal a later epoch elects exactly one leader.
func TestSimSplitVote(t *testing.T) { simSeeds(t, simSplitVote) }

func simSplitVote(t *testing.T, seed int64) {
	w := newSimWorld(t, seed)
	n0 := w.addNode(nil)
	n1 := w.addNode(n0)
	w.addNode(n0).lag = 50
	// s0 and s1 are quick to judge (quorum 1, short down-after); s2 and
	// s3 only vote within the time of this test's first round.
	w.addSentinel(n0, 1, time.Second, 6*time.Second)
	w.addSentinel(n0, 1, time.Second, 6*time.Second)
	w.addSentinel(n0, 2, 30*time.Second, 6*time.Second)
	w.addSentinel(n0, 2, 30*time.Second, 6*time.Second)
	w.runUntil(20*time.Second, "discovery", func() bool {
		for _, s := range w.sents {
			if len(s.master().Sentinels) != 3 || len(s.master().Replicas) != 2 {
				return false
			}
		}
		return true
	})
	w.run(3 * time.Second)
	a := func(i int) string { return w.sents[i].addr.String() }
	w.partition([]string{a(0)}, []string{a(1), a(3)})
	w.partition([]string{a(1)}, []string{a(2)})

	n0.kill()
	killed := w.now
	w.run(9 * time.Second)
	for _, s := range []int{0, 1} {
		if len(w.events("+try-failover", s)) == 0 || len(w.events("-failover-abort-not-elected", s)) == 0 {
			w.dump()
			t.Fatalf("s%d: no failed attempt", s)
		}
	}
	w.expectCount("+elected-leader", -1, 0)
	firstEpoch := w.sents[0].master().FailoverEpoch
	if e1 := w.sents[1].master().FailoverEpoch; e1 > firstEpoch {
		firstEpoch = e1
	}

	w.heal()
	w.runUntil(40*time.Second, "failover to n1", func() bool { return w.settled(n1.addr) })
	w.expectCount("+elected-leader", -1, 1)
	leader := w.events("+elected-leader", -1)[0].s
	if ep := w.sents[leader].master().ConfigEpoch; ep <= firstEpoch {
		t.Fatalf("elected in epoch %d, not after the split epoch %d", ep, firstEpoch)
	}
	if w.events("+elected-leader", -1)[0].at.Sub(killed) < 9*time.Second {
		t.Fatal("elected before the heal")
	}
	for s := range w.sents {
		w.expectCount("+switch-master", s, 1)
	}
}

// TestSimLeaderDiesAfterPromotion: the elected leader crashes right after
// the replica reported role:master (SIMULATE-FAILURE crash-after-
// promotion), before telling anyone. The other sentinels, having voted
// for it, wait out 2 × failover-timeout, then one of them completes the
// failover in a new epoch.
func TestSimLeaderDiesAfterPromotion(t *testing.T) { simSeeds(t, simLeaderDiesAfterPromotion) }

func simLeaderDiesAfterPromotion(t *testing.T, seed int64) {
	w := simSetup(t, seed, 3, 2)
	for _, s := range w.sents {
		s.core.SimFailure = SimCrashAfterPromotion
	}
	var crashed *simSentinel
	var crashedAt time.Time
	w.onExit = func(s *simSentinel, code int) {
		if code != 99 || crashed != nil {
			t.Fatalf("exit %d of s%d (crashed before: %v)", code, s.idx, crashed != nil)
		}
		crashed, crashedAt = s, w.now
		for _, o := range w.sents {
			o.core.SimFailure = 0
		}
	}
	n0, n1 := w.nodes[0], w.nodes[1]
	n0.kill()
	w.runUntil(15*time.Second, "leader crash", func() bool { return crashed != nil })
	if !n1.isMaster() {
		t.Fatal("n1 not promoted before the crash")
	}
	// The new leader may promote n1 again or the other replica (its view
	// of n1's offset stopped when n1 turned master); either way one of
	// them ends as the master everybody agrees on.
	w.runUntil(40*time.Second, "failover completed by another sentinel", func() bool {
		a := w.sents[w.aliveSents()[0]].master().Addr
		return a != n0.addr && w.settled(a)
	})

	w.expectCount("+promoted-slave", -1, 2)
	w.expectCount("+elected-leader", -1, 2)
	second := w.events("+elected-leader", -1)[1]
	if second.s == crashed.idx {
		t.Fatal("the crashed sentinel was elected again")
	}
	if d := second.at.Sub(crashedAt); d < 6*time.Second {
		t.Fatalf("second leader elected %v after the crash, before failover-timeout", d)
	}
	for _, s := range w.aliveSents() {
		w.expectCount("+switch-master", s, 1)
	}
}

// TestSimRejoiningSentinelStaleConfig: a sentinel cut off during the
// failover keeps announcing the old master with the old config epoch when
// it comes back. The others ignore it (lower epoch) and it adopts theirs.
func TestSimRejoiningSentinelStaleConfig(t *testing.T) { simSeeds(t, simRejoiningSentinelStaleConfig) }

func simRejoiningSentinelStaleConfig(t *testing.T, seed int64) {
	w := simSetup(t, seed, 3, 2)
	n0, n1 := w.nodes[0], w.nodes[1]
	lone := w.sents[2]
	var others []string
	for _, a := range w.everything() {
		if a != lone.addr.String() {
			others = append(others, a)
		}
	}
	w.partition([]string{lone.addr.String()}, others)
	n0.kill()
	w.runUntil(30*time.Second, "failover among the majority", func() bool {
		return w.sents[0].master().Addr == n1.addr && w.sents[1].master().Addr == n1.addr &&
			n1.isMaster() && w.nodes[2].master == n1.addr && w.nodes[2].linkUp
	})
	if lone.master().Addr != n0.addr || lone.master().ConfigEpoch != 0 {
		t.Fatal("the cut-off sentinel moved")
	}
	epoch := w.sents[0].master().ConfigEpoch

	// A stale hello (old address, old config epoch) straight from the
	// lone sentinel, and one with the current epoch but the old address:
	// neither rolls the others back.
	for _, cfg := range []uint64{0, epoch} {
		stale := strings.Join([]string{lone.addr.Host, "26379", lone.core.MyID, "0", "mymaster",
			n0.addr.Host, "6379", strconv.FormatUint(cfg, 10)}, ",")
		for _, s := range w.sents[:2] {
			s.core.Hello(stale, w.now)
			if s.master().Addr != n1.addr || s.master().ConfigEpoch != epoch {
				t.Fatalf("s%d rolled back by %q", s.idx, stale)
			}
		}
	}

	w.heal()
	w.runUntil(20*time.Second, "the lone sentinel adopts the new config", func() bool { return w.settled(n1.addr) })
	w.run(10 * time.Second)
	for s := range w.sents {
		w.expectCount("+switch-master", s, 1)
	}
	if len(w.events("+config-update-from", lone.idx)) != 1 || lone.master().ConfigEpoch != epoch {
		t.Fatal("lone sentinel did not adopt the config")
	}
	if !w.settled(n1.addr) {
		t.Fatal("rolled back")
	}
}
