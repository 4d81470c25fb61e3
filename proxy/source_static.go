package proxy

import (
	"fmt"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"
)

// staticSource follows a master without any sentinel: it checks every
// configured node HAProxy-style (PING + INFO replication every Interval; a
// node is down after Fall failed checks in a row and up again after Rise
// good ones) and takes as master the one healthy node that reports role
// master. It never publishes a master that another healthy node
// contradicts: when several report master (typically a restarted old
// master, which boots as master), the previously confirmed one is kept if
// it still reports master, and otherwise none is trusted until only one
// does. See staticJudge for the exact rule.
type staticSource struct {
	g     *GroupConfig
	log   *zap.Logger
	tm    sourceTiming
	nodes []string
	judge *staticJudge

	life    *lifecycle
	checker *nodeChecker
	recheck *recheckSignal
	pub     publisher
	rogue   string // nodes last warned about as extra masters
}

func newStaticSource(g *GroupConfig, log *zap.Logger, tm sourceTiming) (*staticSource, error) {
	cfg := *g.Static
	if len(cfg.Nodes) == 0 {
		return nil, fmt.Errorf("proxy: group %s: static: no nodes", g.Name)
	}
	seen := make(map[string]bool)
	for _, a := range cfg.Nodes {
		if host, port, err := net.SplitHostPort(a); err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("proxy: group %s: static: node %q: want host:port", g.Name, a)
		}
		if seen[a] {
			return nil, fmt.Errorf("proxy: group %s: static: node %s listed twice", g.Name, a)
		}
		seen[a] = true
	}
	if cfg.Interval < 0 || cfg.Fall < 0 || cfg.Rise < 0 {
		return nil, fmt.Errorf("proxy: group %s: static: negative interval, fall or rise", g.Name)
	}
	if cfg.Interval == 0 {
		cfg.Interval = defaultCheckInterval
	}
	if cfg.Fall == 0 {
		cfg.Fall = defaultCheckFall
	}
	if cfg.Rise == 0 {
		cfg.Rise = defaultCheckRise
	}
	// As in HAProxy without "timeout check", the interval bounds a check
	// too: a node slower than that to answer is as good as down.
	tm.refresh = cfg.Interval
	tm.timeout = min(tm.timeout, cfg.Interval)
	s := &staticSource{
		g: g, log: log, tm: tm,
		nodes:   append([]string(nil), cfg.Nodes...),
		judge:   newStaticJudge(cfg.Nodes, cfg.Fall, cfg.Rise),
		life:    newLifecycle(),
		recheck: newRecheckSignal(),
	}
	s.checker = newNodeChecker(s.life, g.NodeUser, g.NodePass, tm)
	return s, nil
}

// Start begins checking the nodes; the first topology (no master yet) is
// published at once from the source's goroutine.
func (s *staticSource) Start(publish func(*Topology)) error {
	if err := s.life.begin("static"); err != nil {
		return err
	}
	s.pub = newPublisher(s.g, s.log, s.tm, publish)
	s.life.wg.Add(1)
	go s.loop()
	return nil
}

// Recheck distrusts the confirmed master at once (a -READONLY,
// -MASTERDOWN or -LOADING reply from it) and checks every node now; the
// master is trusted again only on a check started after the call. It
// never blocks.
func (s *staticSource) Recheck(reason string) { s.recheck.signal(reason) }

// Close stops the checks and closes their connections; idempotent.
func (s *staticSource) Close() error {
	if s.life.end() {
		s.checker.closeIdle()
	}
	return nil
}

func (s *staticSource) loop() {
	defer s.life.wg.Done()
	s.publish()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.life.ctx.Done():
			return
		case <-t.C:
			s.checkAll()
			t.Reset(s.tm.refresh)
		case <-s.recheck.ch:
			reason := s.recheck.take()
			s.judge.alarm("recheck: "+reason, s.tm.now())
			s.checkAll()
			s.publish()
		case o := <-s.checker.out:
			s.judge.observe(o)
			if o.at.Before(s.judge.cutoff) {
				// Started before the last Recheck: it does not count
				// for the master, so look again now.
				s.checker.start(o.addr)
			}
			s.publish()
		}
	}
}

func (s *staticSource) checkAll() {
	for _, a := range s.nodes {
		s.checker.start(a)
	}
}

func (s *staticSource) publish() {
	if rogue := s.judge.evaluate(); rogue != s.rogue {
		s.rogue = rogue
		if rogue == "" {
			s.log.Info("a single node reports role master again", zap.String("event", "topology-single-master"),
				zap.String("master", s.judge.master))
		} else {
			s.log.Warn("several nodes report role master", zap.String("event", "topology-several-masters"),
				zap.String("master", s.judge.master), zap.String("nodes", rogue), zap.String("state", s.judge.state.String()))
		}
	}
	s.pub.update(s.judge.state, s.judge.master, s.judge.reason, s.judge.replicas())
}

// staticNode is one configured node's check history.
type staticNode struct {
	addr       string
	checked    bool // at least one check finished
	up         bool
	okStreak   int
	failStreak int
	last       nodeObs // the last finished check
	lastOK     nodeObs // the last successful check
	hasOK      bool
}

// staticJudge is the static source's decision, pure (no I/O, no clock of
// its own). The rule:
//
//   - A node is up or down HAProxy-style: its first check decides, then
//     Fall failures in a row take it down and Rise successes bring it back.
//     Its role is that of its last successful check.
//   - The confirmed master stays confirmed while it is up and its last
//     successful check, started after the last Recheck, says role master
//     and not loading — even if other nodes report master too: a node that
//     appears as a second master (an old master restarted, booting as
//     master) does not unseat it. This holds only while it has stayed up
//     and master without a break since its confirmation (incumbent).
//   - Otherwise a master is confirmed only when exactly one up node
//     reports role master, on a check started after the last Recheck and
//     not loading, and (before the first confirmation) every node has
//     been checked at least once. Two or more up nodes reporting master
//     means none is trusted: state Changing (Unknown before the first
//     confirmation) until all but one stop.
//   - A Recheck (alarm) makes the confirmed master Changing at once; it
//     is confirmed again by the first check started after the alarm.
type staticJudge struct {
	nodes      []*staticNode
	fall, rise int

	master string // last confirmed
	state  MasterState
	reason string
	cutoff time.Time // the last alarm: checks started before do not confirm
	// incumbent: the master has been up and reporting role master (not
	// loading) without a break since it was confirmed. Only an incumbent
	// outweighs other nodes reporting master: one that went down or
	// reported another role and comes back as master is a restarted or
	// re-promoted node, no more trustworthy than any other.
	incumbent bool
}

func newStaticJudge(addrs []string, fall, rise int) *staticJudge {
	j := &staticJudge{fall: max(fall, 1), rise: max(rise, 1), reason: "starting: no node checked yet"}
	for _, a := range addrs {
		j.nodes = append(j.nodes, &staticNode{addr: a})
	}
	return j
}

func (j *staticJudge) node(addr string) *staticNode {
	for _, n := range j.nodes {
		if n.addr == addr {
			return n
		}
	}
	return nil
}

// observe records a finished check. A check older than the node's last
// one (checks of one node never overlap, but be safe) is ignored.
func (j *staticJudge) observe(o nodeObs) {
	n := j.node(o.addr)
	if n == nil || (n.checked && o.at.Before(n.last.at)) {
		return
	}
	n.last = o
	if o.ok() {
		n.lastOK, n.hasOK = o, true
		n.failStreak = 0
		n.okStreak++
		if !n.checked || (!n.up && n.okStreak >= j.rise) {
			n.up = true
		}
	} else {
		n.okStreak = 0
		n.failStreak++
		if !n.checked || (n.up && n.failStreak >= j.fall) {
			n.up = false
		}
	}
	n.checked = true
	if n.addr == j.master && (!n.up || (o.ok() && !o.masterUsable())) {
		j.incumbent = false
	}
}

// alarm distrusts the confirmed master from now on (Recheck).
func (j *staticJudge) alarm(reason string, now time.Time) {
	if now.After(j.cutoff) {
		j.cutoff = now
	}
	if j.state == MasterConfirmed {
		j.state, j.reason = MasterChanging, reason
	}
}

// reportsMaster: up, and its last successful check says role master.
func (n *staticNode) reportsMaster() bool { return n.up && n.hasOK && n.lastOK.role == "master" }

// trusted: reportsMaster on a check after cutoff, and not loading.
func (j *staticJudge) trusted(n *staticNode) (bool, string) {
	switch {
	case !n.up:
		return false, fmt.Sprintf("%s is down (last check: %v)", n.addr, n.last.err)
	case !n.hasOK || n.lastOK.role != "master":
		return false, fmt.Sprintf("%s reports role %s", n.addr, n.lastOK.role)
	case n.lastOK.at.Before(j.cutoff):
		return false, fmt.Sprintf("waiting for a check of %s after the recheck", n.addr)
	case n.lastOK.loading:
		return false, fmt.Sprintf("%s is loading its dataset", n.addr)
	}
	return true, ""
}

// evaluate applies the rule to the checks so far, updating master, state
// and reason (the reason changes only with the state or the master; no
// clock is needed: every check ends within its timeout, and a node whose
// checks fail goes down after Fall of them). It returns the
// nodes other than the chosen or kept master that report master ("" when
// none), for the caller to warn about.
func (j *staticJudge) evaluate() (rogue string) {
	var reporting []*staticNode
	for _, n := range j.nodes {
		if n.reportsMaster() {
			reporting = append(reporting, n)
		}
	}
	others := func(keep string) string {
		var names []string
		for _, n := range reporting {
			if n.addr != keep {
				names = append(names, n.addr)
			}
		}
		return strings.Join(names, ",")
	}
	if prev := j.node(j.master); prev != nil && j.incumbent {
		if ok, _ := j.trusted(prev); ok {
			j.confirm(prev.addr, fmt.Sprintf("%s reports role master", prev.addr))
			return others(prev.addr)
		}
	}
	why := ""
	switch {
	case j.master == "" && !j.allChecked():
		why = "waiting for the first check of every node"
	case len(reporting) == 0:
		why = "no healthy node reports role master"
		if prev := j.node(j.master); prev != nil {
			_, why = j.trusted(prev)
			why += "; no other healthy node reports role master"
		}
	case len(reporting) > 1:
		why = fmt.Sprintf("%d nodes report role master (%s): none trusted", len(reporting), others(""))
	default:
		ok, w := j.trusted(reporting[0])
		if ok {
			j.confirm(reporting[0].addr, fmt.Sprintf("%s is the only healthy node reporting role master", reporting[0].addr))
			return ""
		}
		why = w
	}
	j.distrust(why)
	if len(reporting) > 1 {
		return others("")
	}
	return ""
}

func (j *staticJudge) allChecked() bool {
	for _, n := range j.nodes {
		if !n.checked {
			return false
		}
	}
	return true
}

func (j *staticJudge) confirm(addr, reason string) {
	j.incumbent = true
	if j.state != MasterConfirmed || j.master != addr {
		j.master, j.state, j.reason = addr, MasterConfirmed, reason
	}
}

// distrust leaves no master trusted. Before the first confirmation the
// reason says why none is yet (it may change while the state does not);
// afterwards it says why the master stopped being trusted.
func (j *staticJudge) distrust(why string) {
	switch j.state {
	case MasterUnknown:
		j.reason = why
	case MasterConfirmed:
		j.state, j.reason = MasterChanging, why
	}
}

// replicas lists every node but the master: down per fall/rise (never
// checked counts as down), the rest refined by their last successful
// check (buildReplicas). A node reporting role master that is not the
// master gets LinkUp false: it replicates from nobody.
func (j *staticJudge) replicas() []Replica {
	members := make([]replicaMember, 0, len(j.nodes))
	obs := make(map[string]nodeObs, len(j.nodes))
	for _, n := range j.nodes {
		members = append(members, replicaMember{addr: n.addr, down: !n.up})
		if n.hasOK {
			obs[n.addr] = n.lastOK
		}
	}
	return buildReplicas(j.master, members, obs, time.Time{})
}
