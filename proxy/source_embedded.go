package proxy

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/sentinel"
)

// embeddedSource follows a master through a sentinel running inside the
// proxy: a full member of the quorum, with its own client port and its own
// sentinel.conf (EmbeddedConfig.ConfigFile). Groups whose configs name the
// same file share one sentinel, as one redis-sentinel monitors several
// masters.
//
// The sentinel says which node is the master (MasterAddr); the source
// trusts it only once the node itself, checked directly with the group's
// node credentials, reports role master. Events from the sentinel
// (+switch-master, +sdown/+odown/+try-failover of the master,
// +convert-to-slave, a role change to slave) and Recheck distrust the
// master at once; see embeddedJudge for the rule. Replicas come from the
// sentinel's view of the group joined with the master's INFO replication
// (which lists a new replica at once, where the sentinel's own INFO
// refresh takes up to 10 s), each checked directly for its link, loading
// and lag.
type embeddedSource struct {
	g     *GroupConfig
	log   *zap.Logger
	tm    sourceTiming
	ss    *sharedSentinel
	judge *embeddedJudge

	life    *lifecycle
	checker *nodeChecker
	recheck *recheckSignal
	pub     publisher

	// Loop state.
	stopped     bool      // the sentinel stopped under us (SHUTDOWN on its port)
	replicasDue time.Time // next direct check of the replicas (zero: at once)
}

func newEmbeddedSource(g *GroupConfig, log *zap.Logger, tm sourceTiming) (*embeddedSource, error) {
	if g.Embedded.ConfigFile == "" {
		return nil, fmt.Errorf("proxy: group %s: embedded-sentinel: no config file", g.Name)
	}
	ss, err := acquireSentinel(g.Embedded.ConfigFile, log)
	if err != nil {
		return nil, fmt.Errorf("proxy: group %s: embedded sentinel: %w", g.Name, err)
	}
	if _, _, ok := ss.s.MasterAddr(g.Name); !ok {
		rerr := releaseSentinel(ss)
		return nil, fmt.Errorf("proxy: group %s: %s does not monitor a master named %s (close: %v)", g.Name, ss.path, g.Name, rerr)
	}
	s := &embeddedSource{
		g: g, log: log, tm: tm, ss: ss,
		judge:   newEmbeddedJudge(tm.stale()),
		life:    newLifecycle(),
		recheck: newRecheckSignal(),
	}
	s.checker = newNodeChecker(s.life, g.NodeUser, g.NodePass, tm)
	return s, nil
}

// Start starts the embedded sentinel (once for all the groups sharing it:
// its client port opens) and begins following the group.
func (s *embeddedSource) Start(publish func(*Topology)) error {
	if err := s.life.begin("embedded-sentinel"); err != nil {
		return err
	}
	s.pub = newPublisher(s.g, s.log, s.tm, publish)
	if err := followEvents(s.life, s.ss.s.Subscribe, s.ss.start, s.loop); err != nil {
		return fmt.Errorf("proxy: group %s: embedded sentinel: %w", s.g.Name, err)
	}
	return nil
}

// Recheck distrusts the confirmed master at once and checks it now; it is
// trusted again when the sentinel still names it and a role check started
// after the call says master. It never blocks.
func (s *embeddedSource) Recheck(reason string) { s.recheck.signal(reason) }

// Close stops following the group and, when it was the last group using
// it, stops the embedded sentinel (flushing its sentinel.conf, whose error
// it returns). Idempotent.
func (s *embeddedSource) Close() error {
	if !s.life.end() {
		return nil
	}
	s.checker.closeIdle()
	return releaseSentinel(s.ss)
}

func (s *embeddedSource) loop(events <-chan sentinel.Event) {
	defer s.life.wg.Done()
	s.step(false)
	t := time.NewTimer(0)
	defer t.Stop()
	pace := time.Duration(0) // the timer's current period
	for {
		periodic := false
		select {
		case <-s.life.ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				// Only a SHUTDOWN on the sentinel's own port gets here:
				// its view is frozen from now on, so nothing is trusted.
				events, s.stopped = nil, true
				s.log.Error("embedded sentinel stopped", zap.String("event", "embedded-sentinel-stopped"))
				break
			}
			if ev.Master != s.g.Name {
				continue
			}
			sig := classifySentinelEvent(s.g.Name, ev.Type, ev.Payload)
			if sig.alarm != "" {
				s.judge.alarm(sig.alarm, sig.reason, s.tm.now())
			}
			if sig.replicas {
				s.replicasDue = time.Time{}
			}
		case <-s.recheck.ch:
			s.judge.alarm(s.judge.master, "recheck: "+s.recheck.take(), s.tm.now())
		case o := <-s.checker.out:
			s.judge.observe(o)
		case <-t.C:
			periodic = true
		}
		s.step(periodic)
		// While no master is confirmed the named one is re-checked at the
		// fast pace, so that a promotion is picked up within it; the pace
		// changes at once with the state.
		want := s.tm.refresh
		if s.judge.state != MasterConfirmed {
			want = s.tm.fast
		}
		if periodic || want != pace {
			t.Reset(want)
			pace = want
		}
	}
}

// step reads the sentinel, starts the checks that are due, decides and
// publishes. periodic: the timer fired, so the named master is checked
// even if its last check still counts (that keeps it counting).
func (s *embeddedSource) step(periodic bool) {
	now := s.tm.now()
	v := s.view()
	if v.named != "" && (periodic || s.judge.due(v.named, now)) {
		s.checker.start(v.named)
	}
	members := v.members
	mo, hasMaster := s.judge.counted(s.judge.master, now)
	members = append(members, slaveMembers(mo, hasMaster)...)
	if !now.Before(s.replicasDue) {
		s.replicasDue = now.Add(s.tm.refresh)
		for _, m := range members {
			s.checker.start(m.addr)
		}
	}
	s.judge.evaluate(v, now)
	keep := map[string]bool{v.named: true, s.judge.master: true}
	for _, m := range members {
		keep[m.addr] = true
	}
	s.judge.forget(func(a string) bool { return keep[a] })
	s.checker.prune(func(a string) bool { return keep[a] })
	s.pub.update(s.judge.state, s.judge.master, s.judge.reason,
		buildReplicas(s.judge.master, members, s.judge.checks, now.Add(-s.judge.stale)))
}

// view reads what the embedded sentinel says about the group now.
func (s *embeddedSource) view() sentinelView {
	if s.stopped {
		return sentinelView{stopped: true}
	}
	var v sentinelView
	if host, port, ok := s.ss.s.MasterAddr(s.g.Name); ok {
		v.known = true
		v.named = net.JoinHostPort(host, strconv.Itoa(port))
	}
	for _, m := range s.ss.s.Masters() {
		if m.Name != s.g.Name {
			continue
		}
		v.stored = net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
		v.flags = m.Flags
		for _, r := range m.Replicas {
			down := sentinel.HasFlag(r.Flags, "s_down") || sentinel.HasFlag(r.Flags, "o_down") ||
				sentinel.HasFlag(r.Flags, "disconnected")
			v.members = append(v.members, replicaMember{
				addr: net.JoinHostPort(r.Host, strconv.Itoa(r.Port)), down: down, linkUp: r.MasterLinkUp,
			})
		}
	}
	return v
}

// sentinelView is what the embedded sentinel says about a group at one
// moment.
type sentinelView struct {
	stopped bool // the sentinel is no longer running
	known   bool // it monitors the group
	named   string
	// stored and flags are SENTINEL MASTER's address and flags; during a
	// failover the leader names the promoted replica while stored is
	// still the old master.
	stored  string
	flags   []string
	members []replicaMember
}

// sentinelSignal is what a sentinel event means to a source.
type sentinelSignal struct {
	alarm, reason string // a node being demoted, and the event
	replicas      bool   // the replica set may have changed
}

// classifySentinelEvent reads one sentinel event about group. Alarms:
// +switch-master (the old address), +sdown, +odown and +try-failover of
// the master, +convert-to-slave of any instance, and a role change to
// slave. Payloads: "<name> <old-ip> <old-port> <new-ip> <new-port>" for
// +switch-master, "<kind> <name> <ip> <port> [@ <master> <ip> <port>]
// [extra]" for instance events.
func classifySentinelEvent(group, typ, payload string) sentinelSignal {
	f := strings.Fields(payload)
	if typ == "+switch-master" {
		if len(f) < 5 || f[0] != group {
			return sentinelSignal{}
		}
		old, nw := net.JoinHostPort(f[1], f[2]), net.JoinHostPort(f[3], f[4])
		return sentinelSignal{alarm: old, reason: "+switch-master " + old + " -> " + nw, replicas: true}
	}
	if len(f) < 4 {
		return sentinelSignal{}
	}
	kind, inst := f[0], net.JoinHostPort(f[2], f[3])
	var sig sentinelSignal
	switch typ {
	case "+sdown", "+odown", "+try-failover":
		if kind == "master" {
			sig.alarm, sig.reason = inst, typ+" "+inst
		}
	case "+convert-to-slave":
		sig.alarm, sig.reason = inst, typ+" "+inst
	case "+role-change", "-role-change":
		if strings.HasSuffix(payload, "new reported role is slave") {
			sig.alarm, sig.reason = inst, typ+" "+inst+" to slave"
		}
	}
	sig.replicas = kind == "slave" || typ == "+reset-master" || typ == "+promoted-slave"
	return sig
}

// embeddedJudge is the embedded source's decision, pure (no I/O; the
// clock is passed in). The rule: the master M is confirmed when, at now,
//
//   - the sentinel runs and monitors the group, and names M (MasterAddr);
//   - when M is the address SENTINEL MASTER stores, its flags show none of
//     s_down, o_down, failover_in_progress;
//   - a direct check of M, started within the staleness window and after
//     the last alarm about M, succeeded and says role master, not loading.
//
// An alarm about the confirmed master (a sentinel event, Recheck) makes it
// Changing at once; the first evaluation where the rule holds for a node
// (the same one, or the new master) confirms it. So a failed or contrary
// role check of the confirmed master unseats it at the next evaluation,
// and a restarted old master that boots as master is never confirmed:
// the sentinel does not name it.
type embeddedJudge struct {
	stale  time.Duration
	master string // last confirmed
	state  MasterState
	reason string
	cutoff map[string]time.Time // per node: checks started before do not count
	checks map[string]nodeObs   // the latest check per node
}

func newEmbeddedJudge(stale time.Duration) *embeddedJudge {
	return &embeddedJudge{stale: stale, reason: "starting: no master confirmed yet",
		cutoff: make(map[string]time.Time), checks: make(map[string]nodeObs)}
}

// observe records a finished check; an older one than the latest is
// ignored.
func (j *embeddedJudge) observe(o nodeObs) {
	if prev, ok := j.checks[o.addr]; ok && o.at.Before(prev.at) {
		return
	}
	j.checks[o.addr] = o
}

// alarm voids the checks of addr made so far and distrusts it if it is
// the confirmed master.
func (j *embeddedJudge) alarm(addr, reason string, now time.Time) {
	if addr == "" {
		return
	}
	if now.After(j.cutoff[addr]) {
		j.cutoff[addr] = now
	}
	if j.state == MasterConfirmed && sameNode(addr, j.master) {
		j.state, j.reason = MasterChanging, reason
	}
}

// counted returns the latest check of addr if it counts at now.
func (j *embeddedJudge) counted(addr string, now time.Time) (nodeObs, bool) {
	o, ok := j.checks[addr]
	if !ok || addr == "" {
		return nodeObs{}, false
	}
	floor := now.Add(-j.stale)
	if c := j.cutoff[addr]; c.After(floor) {
		floor = c
	}
	return o, o.at.After(floor)
}

// due reports that no check of addr counts at now.
func (j *embeddedJudge) due(addr string, now time.Time) bool {
	_, ok := j.counted(addr, now)
	return !ok
}

// distrust says why addr may not take writes at now, "" if it may.
func (j *embeddedJudge) distrust(v sentinelView, now time.Time) string {
	switch {
	case v.stopped:
		return "the embedded sentinel stopped"
	case !v.known:
		return "the embedded sentinel does not monitor this group"
	case v.named == "":
		return "the embedded sentinel names no master"
	}
	if sameNode(v.stored, v.named) {
		for _, f := range []string{"o_down", "s_down", "failover_in_progress"} {
			if sentinel.HasFlag(v.flags, f) {
				return fmt.Sprintf("the embedded sentinel flags %s %s", v.named, f)
			}
		}
	}
	o, ok := j.counted(v.named, now)
	switch {
	case !ok:
		return fmt.Sprintf("no role check of %s since %s", v.named, j.sinceText(v.named, now))
	case !o.ok():
		return fmt.Sprintf("role check of %s failed: %v", v.named, o.err)
	case o.role != "master":
		return fmt.Sprintf("%s reports role %s", v.named, o.role)
	case o.loading:
		return fmt.Sprintf("%s is loading its dataset", v.named)
	}
	return ""
}

func (j *embeddedJudge) sinceText(addr string, now time.Time) string {
	if c := j.cutoff[addr]; c.After(now.Add(-j.stale)) {
		return "the last alarm"
	}
	return "the staleness window"
}

// evaluate applies the rule to the view at now.
func (j *embeddedJudge) evaluate(v sentinelView, now time.Time) {
	why := j.distrust(v, now)
	if why == "" {
		if j.state != MasterConfirmed || j.master != v.named {
			j.master, j.state = v.named, MasterConfirmed
			j.reason = "named by the embedded sentinel and reports role master"
		}
		return
	}
	switch j.state {
	case MasterUnknown:
		j.reason = why
	case MasterConfirmed:
		if v.named != "" && !sameNode(v.named, j.master) {
			why = fmt.Sprintf("the embedded sentinel names %s: %s", v.named, why)
		}
		j.state, j.reason = MasterChanging, why
	}
}

// forget drops the checks and alarms of nodes no longer of interest.
func (j *embeddedJudge) forget(keep func(addr string) bool) {
	for a := range j.checks {
		if !keep(a) {
			delete(j.checks, a)
		}
	}
	for a := range j.cutoff {
		if !keep(a) {
			delete(j.cutoff, a)
		}
	}
}

// sharedSentinel is one embedded sentinel and the groups using it.
type sharedSentinel struct {
	path      string // absolute sentinel.conf path
	s         *sentinel.Sentinel
	refs      int
	startOnce sync.Once
	startErr  error
}

// embeddedSentinels holds the running embedded sentinels by config path.
var embeddedSentinels = struct {
	mu sync.Mutex
	m  map[string]*sharedSentinel
}{m: make(map[string]*sharedSentinel)}

// acquireSentinel returns the embedded sentinel of the config at path,
// building it (loading the file) for its first user.
func acquireSentinel(path string, log *zap.Logger) (*sharedSentinel, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	embeddedSentinels.mu.Lock()
	defer embeddedSentinels.mu.Unlock()
	if ss := embeddedSentinels.m[abs]; ss != nil {
		ss.refs++
		return ss, nil
	}
	s, err := sentinel.New(sentinel.Config{Path: abs, Logger: log.With(zap.String("component", "embedded-sentinel"))})
	if err != nil {
		return nil, err
	}
	ss := &sharedSentinel{path: abs, s: s, refs: 1}
	embeddedSentinels.m[abs] = ss
	return ss, nil
}

func (ss *sharedSentinel) start() error {
	ss.startOnce.Do(func() { ss.startErr = ss.s.Start() })
	return ss.startErr
}

// releaseSentinel drops one user; the last one closes the sentinel.
func releaseSentinel(ss *sharedSentinel) error {
	embeddedSentinels.mu.Lock()
	ss.refs--
	last := ss.refs == 0
	if last {
		delete(embeddedSentinels.m, ss.path)
	}
	embeddedSentinels.mu.Unlock()
	if !last {
		return nil
	}
	return ss.s.Close()
}
