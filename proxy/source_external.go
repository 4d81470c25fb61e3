package proxy

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/sentinel"
)

// externalSource follows a master through sentinels the proxy does not run
// (real redis-sentinels or warden sentinels), with a sentinel.Watcher: a
// master is confirmed only when a strict majority of the configured
// sentinels name it and the node itself reports role master, so neither a
// restarted old master nor one sentinel republishing a stale
// +switch-master can mislead it (the Watcher's doc has the exact rule).
//
// On top of the Watcher, the source checks the master and every replica
// directly (PING + INFO replication, every poll interval): the replicas'
// link, loading and lag come from there, since the sentinels read
// offsets only every 10 s; and a check of the confirmed master that fails
// or shows it is no longer a usable master is reported to the Watcher
// (Suspect), which distrusts it at once.
type externalSource struct {
	g   *GroupConfig
	log *zap.Logger
	tm  sourceTiming
	w   *sentinel.Watcher

	life    *lifecycle
	checker *nodeChecker
	recheck *recheckSignal
	pub     publisher

	// Loop state: the published view of the master, the watcher's replica
	// view, the latest check of each node.
	state   MasterState
	master  string
	reason  string
	members []replicaMember
	checks  map[string]nodeObs
}

func newExternalSource(g *GroupConfig, log *zap.Logger, tm sourceTiming) (*externalSource, error) {
	cfg := g.Sentinels
	poll := cfg.PollInterval
	if poll < 0 {
		return nil, fmt.Errorf("proxy: group %s: sentinels: negative poll-interval", g.Name)
	}
	if poll == 0 {
		poll = defaultSentinelPoll
	}
	tm.refresh = poll
	w, err := sentinel.NewWatcher(sentinel.WatcherConfig{
		MasterName:   g.Name,
		Sentinels:    cfg.Addrs,
		SentinelUser: cfg.User, SentinelPass: cfg.Pass,
		NodeUser: g.NodeUser, NodePass: g.NodePass,
		DialTimeout:  tm.timeout,
		PollInterval: poll,
		Logger:       log,
		Now:          tm.now,
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: group %s: %w", g.Name, err)
	}
	s := &externalSource{
		g: g, log: log, tm: tm, w: w,
		life:    newLifecycle(),
		recheck: newRecheckSignal(),
		reason:  "starting: no master confirmed yet",
		checks:  make(map[string]nodeObs),
	}
	s.checker = newNodeChecker(s.life, g.NodeUser, g.NodePass, tm)
	return s, nil
}

// Start connects to the sentinels and begins following the group.
func (s *externalSource) Start(publish func(*Topology)) error {
	if err := s.life.begin("sentinels"); err != nil {
		return err
	}
	s.pub = newPublisher(s.g, s.log, s.tm, publish)
	if err := followEvents(s.life, s.w.Subscribe, s.w.Start, s.loop); err != nil {
		return fmt.Errorf("proxy: group %s: %w", s.g.Name, err)
	}
	return nil
}

// Recheck makes the watcher distrust the confirmed master at once
// (Watcher.Suspect) and ask every sentinel and the node now; it is
// trusted again on answers and a role check made after the call. It never
// blocks.
func (s *externalSource) Recheck(reason string) { s.recheck.signal(reason) }

// Close stops following the group and closes every connection;
// idempotent.
func (s *externalSource) Close() error {
	if s.life.end() {
		s.checker.closeIdle()
	}
	s.w.Close()
	return nil
}

func (s *externalSource) loop(events <-chan sentinel.WatchEvent) {
	defer s.life.wg.Done()
	s.publish()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-s.life.ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			s.handle(ev)
		case <-s.recheck.ch:
			reason := s.recheck.take()
			if addr, _ := s.w.State(); addr != "" {
				s.w.Suspect(addr, reason)
			}
		case o := <-s.checker.out:
			s.observe(o)
		case <-t.C:
			s.checkAll()
			t.Reset(s.tm.refresh)
		}
		s.reconcile()
		s.publish()
	}
}

// handle applies one watcher event. The master events are applied as they
// come, so that every transition is published even when the watcher has
// moved on by the time it is read; reconcile then catches up.
func (s *externalSource) handle(ev sentinel.WatchEvent) {
	switch e := ev.(type) {
	case sentinel.WatchMasterChanging:
		s.set(MasterChanging, e.Master, e.Reason)
	case sentinel.WatchMasterChanged:
		s.set(MasterConfirmed, e.New, "named by a majority of the sentinels and reports role master")
		s.checker.start(e.New)
	case sentinel.WatchMasterRestored:
		s.set(MasterConfirmed, e.Master, "named by a majority of the sentinels again and reports role master")
	case sentinel.WatchReplicasChanged:
		s.setMembers(e.Replicas)
		for _, m := range s.members {
			s.checker.start(m.addr)
		}
	}
}

// set moves the published state; the reason is kept unless the state or
// the master changes.
func (s *externalSource) set(state MasterState, master, reason string) {
	if state != s.state || master != s.master {
		s.state, s.master, s.reason = state, master, reason
	}
}

// reconcile aligns the published state with the watcher's current one
// (events can be dropped when the loop falls behind).
func (s *externalSource) reconcile() {
	addr, stable := s.w.State()
	switch {
	case addr == "":
		if s.state == MasterUnknown {
			s.reason = s.w.Status().Reason
		}
	case stable:
		s.set(MasterConfirmed, addr, "named by a majority of the sentinels and reports role master")
	default:
		if s.state != MasterChanging || s.master != addr {
			s.set(MasterChanging, addr, s.w.Status().Reason)
		}
	}
}

func (s *externalSource) setMembers(rs []sentinel.ReplicaInfo) {
	s.members = s.members[:0]
	for _, r := range rs {
		s.members = append(s.members, replicaMember{addr: r.Addr, down: !r.Healthy, linkUp: r.LinkUp})
	}
}

// observe records a check; one of the confirmed master that shows it is
// not a usable master goes to the watcher as a suspicion.
func (s *externalSource) observe(o nodeObs) {
	if prev, ok := s.checks[o.addr]; ok && o.at.Before(prev.at) {
		return
	}
	s.checks[o.addr] = o
	if s.state != MasterConfirmed || o.addr != s.master || o.masterUsable() {
		return
	}
	why := fmt.Sprintf("proxy check: %s reports role %s", o.addr, o.role)
	switch {
	case !o.ok():
		why = fmt.Sprintf("proxy check of %s failed: %v", o.addr, o.err)
	case o.loading:
		why = fmt.Sprintf("proxy check: %s is loading its dataset", o.addr)
	}
	s.w.Suspect(o.addr, why)
}

// checkAll checks the master and every replica the watcher or the
// master's INFO lists.
func (s *externalSource) checkAll() {
	s.setMembers(s.w.Replicas())
	if s.master != "" {
		s.checker.start(s.master)
	}
	for _, m := range s.allMembers(s.tm.now()) {
		s.checker.start(m.addr)
	}
}

// allMembers is the watcher's replicas joined with those the master's last
// counted check lists.
func (s *externalSource) allMembers(now time.Time) []replicaMember {
	mo, ok := s.checks[s.master]
	ok = ok && mo.at.After(now.Add(-s.tm.stale()))
	return append(append([]replicaMember(nil), s.members...), slaveMembers(mo, ok)...)
}

func (s *externalSource) publish() {
	now := s.tm.now()
	members := s.allMembers(now)
	keep := map[string]bool{s.master: true}
	for _, m := range members {
		keep[m.addr] = true
	}
	for a := range s.checks {
		if !keep[a] {
			delete(s.checks, a)
		}
	}
	s.checker.prune(func(a string) bool { return keep[a] })
	s.pub.update(s.state, s.master, s.reason, buildReplicas(s.master, members, s.checks, now.Add(-s.tm.stale())))
}
