package sentinel

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

	"go.uber.org/zap"

	"github.com/wardenhq/warden/internal/resp"
)

// A Watcher follows one master through sentinels it does not run: real
// redis-sentinels or warden sentinels in other processes. It is what the
// proxy uses when a group's topology comes from external sentinels, and
// it answers one question safely: may writes go to this node now?
//
// # Trust rule
//
// The watcher confirms master X only when, all at once:
//
//  1. a strict majority of the configured sentinels (not of those that
//     answer) name X in fresh answers to SENTINEL GET-MASTER-ADDR-BY-NAME;
//  2. no fresh answer to SENTINEL MASTER flags X o_down or
//     failover_in_progress;
//  3. X itself answers ROLE (INFO replication where ROLE is unknown) with
//     role master in a fresh check.
//
// Fresh means asked (the request sent) within the last
// 3 × PollInterval + DialTimeout, and after the last alarm. An alarm is
// a sentinel publishing +odown, +try-failover or +switch-master for the
// master, +convert-to-slave or a role change to slave for its address,
// or a call to Suspect; it voids all evidence gathered before it.
//
// # States
//
// State returns the last confirmed master and whether it is stable.
// Stable: the rule holds for it right now, writes may go to it.
// Changing: it stopped holding, because a majority no longer names it, a
// sentinel flags it, its role check failed or said slave, the evidence
// aged, or an alarm arrived. From that instant writes must not go to it;
// the address is still reported so that the caller knows which node to
// stop using. The state becomes stable again when the rule holds for a
// node on evidence newer than the change: the same one (the alarm was
// spurious, a sentinel blinked) or the new master. Current is the safe
// accessor for routing: the address only while stable.
//
// Consequences worth knowing: with a majority of the sentinels
// unreachable for longer than the staleness window, nothing is trusted
// (writes wait) even if the master is fine; a node that boots as master
// while the sentinels name another is never trusted; a master that
// restarts fast enough for the sentinels to keep naming it (before
// down-after) is trusted again, as the sentinels themselves do.
//
// # Shell
//
// Per sentinel, one goroutine polls on a command connection every
// PollInterval (GET-MASTER-ADDR-BY-NAME and SENTINEL MASTER pipelined,
// plus SENTINEL REPLICAS every ReplicaInterval) and one holds a pub/sub
// connection (PSUBSCRIBE *) whose relevant events make every sentinel be
// polled at once; both reconnect with a backoff. One goroutine checks
// the role of the master (or candidate) every PollInterval and whenever
// the decision needs it, each check on its own goroutine so that a hung
// node delays nothing else. Every network operation is bounded by
// DialTimeout. The decisions are watchState's (watcher_state.go), called
// under one mutex that no I/O ever holds.
type Watcher struct {
	cfg      WatcherConfig
	log      *zap.Logger
	now      func() time.Time
	stale    time.Duration // answers and role checks older than this do not count
	repStale time.Duration // replica lists older than this do not count

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	pollers   []*watchPoller
	roleKick  chan struct{} // cap 1: a role check may be due
	roleForce atomic.Bool   // check the role now even if one counts

	mu         sync.Mutex
	st         *watchState
	repReports []watchReplicaReport // per sentinel
	replicas   []ReplicaInfo
	roleBusy   map[string]bool       // role checks under way, by node
	roleConns  map[string]*resp.Conn // idle connections to the role target
	subs       map[*watchSub]struct{}
	started    bool
	closed     bool
	closeOnce  sync.Once
}

// WatcherConfig says what to watch and how. Every field but MasterName
// and Sentinels has a usable zero value.
type WatcherConfig struct {
	// MasterName is the name the sentinels monitor the master under
	// ("mymaster").
	MasterName string
	// Sentinels are the sentinels' host:port. The majority the trust
	// rule needs is of this list: 2 of 3, 3 of 5, 3 of 4.
	Sentinels []string
	// SentinelUser and SentinelPass authenticate to the sentinels (AUTH
	// [user] pass, as sentinel-user/sentinel-pass or requirepass set
	// them); empty SentinelPass sends no AUTH.
	SentinelUser, SentinelPass string
	// NodeUser and NodePass authenticate the role checks to the data
	// nodes (the masterauth/masteruser of the group).
	NodeUser, NodePass string
	// DialTimeout bounds every connection attempt and every exchange
	// (AUTH, one poll, one role check). Default 1 s.
	DialTimeout time.Duration
	// PollInterval is how often each sentinel is asked where the master
	// is, and how often the master's role is checked. Default 1 s.
	PollInterval time.Duration
	// ReplicaInterval is how often each sentinel is asked for its
	// replicas (also asked at once on replica events). Default 5 s.
	ReplicaInterval time.Duration
	// Logger receives the log; nil discards it. Passwords never appear
	// in it.
	Logger *zap.Logger
	// Now is the clock that stamps observations; nil means time.Now. It
	// must advance: evidence counts only when asked after the last alarm.
	Now func() time.Time
}

const (
	defaultWatchDialTimeout     = time.Second
	defaultWatchPollInterval    = time.Second
	defaultWatchReplicaInterval = 5 * time.Second
	// watchMinBackoff is the first reconnection delay after a failure; it
	// doubles up to twice the poll interval, so a sentinel that comes back
	// is used again within a couple of polls.
	watchMinBackoff = 100 * time.Millisecond
	// watchReadBuf fits any sentinel reply (a replica list is a few KB).
	watchReadBuf = 16 << 10
)

// watchReplyLimits bound what a sentinel or node can make the watcher
// decode; nothing legitimate comes near them.
var watchReplyLimits = resp.ReplyLimits{MaxBulk: 16 << 20, MaxLine: 1 << 20, MaxElems: 1 << 20, MaxDepth: 8}

// ReplicaInfo is one replica of the watched master as the sentinels see
// it, merged over their SENTINEL REPLICAS answers.
type ReplicaInfo struct {
	Addr string // host:port, as the sentinels give it
	// Healthy: a strict majority of the sentinels listing it show none of
	// the flags s_down, o_down, disconnected (the clients' rule).
	Healthy bool
	// LinkUp: a strict majority report master-link-status ok.
	LinkUp bool
	// Offset is the highest slave-repl-offset reported. Sentinels read it
	// from the replica's INFO every 10 s outside failovers, so it is only
	// a rough lag estimate.
	Offset int64
	// Master (master-host:master-port) and Priority (slave-priority) come
	// from the report with the highest offset.
	Master   string
	Priority int
	// Sentinels is how many sentinels list it.
	Sentinels int
}

// WatchEvent is what Watcher.Subscribe delivers: one of WatchMasterChanging,
// WatchMasterChanged, WatchMasterRestored, WatchReplicasChanged,
// WatchSentinelDown, WatchSentinelUp, WatchSentinelEvent.
type WatchEvent interface{ watchEvent() }

// WatchMasterChanging: Master (the last confirmed one) is no longer
// trusted, from At on. Stop sending it new requests.
type WatchMasterChanging struct {
	Master string
	Reason string
	At     time.Time
}

// WatchMasterChanged: New is confirmed, and differs from Old ("" for the
// first master confirmed).
type WatchMasterChanged struct {
	Old, New string
	At       time.Time
}

// WatchMasterRestored: Master, which had stopped being trusted, is
// confirmed again.
type WatchMasterRestored struct {
	Master string
	At     time.Time
}

// WatchReplicasChanged: the merged replica view changed (a replica came,
// went, or changed health, link, master or priority; offsets alone do not
// count). Replicas is the new view, as Replicas returns it.
type WatchReplicasChanged struct {
	Replicas []ReplicaInfo
}

// WatchSentinelDown: the sentinel at Sentinel could not be polled (dial,
// AUTH, I/O or error reply); its answers no longer count.
type WatchSentinelDown struct {
	Sentinel string
	Err      string
}

// WatchSentinelUp: the sentinel at Sentinel answered, for the first time
// or after being down.
type WatchSentinelUp struct {
	Sentinel string
}

// WatchSentinelEvent is an event the sentinel at Sentinel published
// about the watched master's group (+sdown, -sdown, +odown,
// +switch-master, +try-failover, +slave, ...), as published: Type is the
// channel, Payload the message.
type WatchSentinelEvent struct {
	Sentinel, Type, Payload string
}

func (WatchMasterChanging) watchEvent()  {}
func (WatchMasterChanged) watchEvent()   {}
func (WatchMasterRestored) watchEvent()  {}
func (WatchReplicasChanged) watchEvent() {}
func (WatchSentinelDown) watchEvent()    {}
func (WatchSentinelUp) watchEvent()      {}
func (WatchSentinelEvent) watchEvent()   {}

// WatchStatus is a snapshot of the watcher's view, for status pages.
type WatchStatus struct {
	Master string    // last confirmed master, "" before the first
	Stable bool      // see Watcher.State
	Since  time.Time // when Stable last changed (zero before the first confirmation)
	Reason string    // why it is not stable; "" when it is
	// Sentinels are in configuration order.
	Sentinels []WatchSentinelStatus
}

// WatchSentinelStatus is one configured sentinel as the watcher sees it.
type WatchSentinelStatus struct {
	Addr   string
	Up     bool
	Master string    // what its last answer named ("" if none)
	Asked  time.Time // when the question of that answer was sent
	Err    string    // the last failure, while down
}

type watchPoller struct {
	kick     chan struct{} // cap 1: poll now
	replicas atomic.Bool   // include SENTINEL REPLICAS in the next poll
}

type watchSub struct {
	ch      chan WatchEvent
	lagging bool
}

// NewWatcher checks cfg and builds a watcher; Start sets it going.
func NewWatcher(cfg WatcherConfig) (*Watcher, error) {
	if cfg.MasterName == "" || strings.ContainsAny(cfg.MasterName, " \t\r\n") {
		// The events name the master in space-separated payloads.
		return nil, fmt.Errorf("sentinel watcher: invalid master name %q", cfg.MasterName)
	}
	if len(cfg.Sentinels) == 0 {
		return nil, errors.New("sentinel watcher: no sentinels configured")
	}
	seen := make(map[string]bool)
	sentinels := make([]string, 0, len(cfg.Sentinels))
	for _, a := range cfg.Sentinels {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			return nil, fmt.Errorf("sentinel watcher: sentinel address %q: want host:port", a)
		}
		if _, ok := parseWatchPort(port); !ok {
			return nil, fmt.Errorf("sentinel watcher: sentinel address %q: invalid port", a)
		}
		a = net.JoinHostPort(host, port)
		if seen[a] {
			// A duplicate would count twice towards the majority.
			return nil, fmt.Errorf("sentinel watcher: sentinel %s listed twice", a)
		}
		seen[a] = true
		sentinels = append(sentinels, a)
	}
	cfg.Sentinels = sentinels
	if cfg.SentinelUser != "" && cfg.SentinelPass == "" {
		return nil, errors.New("sentinel watcher: SentinelUser set without SentinelPass")
	}
	if cfg.NodeUser != "" && cfg.NodePass == "" {
		return nil, errors.New("sentinel watcher: NodeUser set without NodePass")
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"DialTimeout", &cfg.DialTimeout, defaultWatchDialTimeout},
		{"PollInterval", &cfg.PollInterval, defaultWatchPollInterval},
		{"ReplicaInterval", &cfg.ReplicaInterval, defaultWatchReplicaInterval},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("sentinel watcher: negative %s", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// Three polls may be missed, and the answer to the last one may take
	// up to DialTimeout, before a sentinel's word stops counting.
	stale := 3*cfg.PollInterval + cfg.DialTimeout
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{
		cfg:        cfg,
		log:        log.With(zap.String("master_name", cfg.MasterName)),
		now:        now,
		stale:      stale,
		repStale:   3*cfg.ReplicaInterval + cfg.DialTimeout,
		ctx:        ctx,
		cancel:     cancel,
		roleKick:   make(chan struct{}, 1),
		st:         newWatchState(sentinels, stale),
		repReports: make([]watchReplicaReport, len(sentinels)),
		roleBusy:   make(map[string]bool),
		roleConns:  make(map[string]*resp.Conn),
		subs:       make(map[*watchSub]struct{}),
	}
	for range sentinels {
		p := &watchPoller{kick: make(chan struct{}, 1)}
		p.replicas.Store(true)
		w.pollers = append(w.pollers, p)
	}
	return w, nil
}

// Start connects to the sentinels and starts watching. It returns at
// once; State stays unconfirmed until the rule holds.
func (w *Watcher) Start() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("sentinel watcher: closed")
	}
	if w.started {
		return errors.New("sentinel watcher: already started")
	}
	w.started = true
	for i := range w.cfg.Sentinels {
		w.wg.Add(2)
		go w.pollLoop(i)
		go w.subLoop(i)
	}
	w.wg.Add(1)
	go w.roleLoop()
	w.log.Info("watching master through sentinels", zap.String("event", "watch-start"),
		zap.Strings("sentinels", w.cfg.Sentinels))
	return nil
}

// Close stops the watcher: every connection is closed and every goroutine
// has returned when it does; subscribers' channels are closed. It is
// idempotent and safe to call concurrently.
func (w *Watcher) Close() {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		// Cancelling closes every connection (watchConn's AfterFunc), so
		// no goroutine stays blocked in I/O.
		w.cancel()
		w.wg.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		for a, c := range w.roleConns {
			c.Close()
			delete(w.roleConns, a)
		}
		for s := range w.subs {
			close(s.ch)
			delete(w.subs, s)
		}
	})
}

// State returns the last confirmed master ("" before the first) and
// whether it is stable, i.e. whether writes may go to it now. See the
// Watcher doc for the exact rule.
func (w *Watcher) State() (addr string, stable bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st.master, w.st.stable
}

// Current returns the master writes may go to now, and true; or "" and
// false while the master is changing or before the first confirmation.
func (w *Watcher) Current() (addr string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.st.stable {
		return "", false
	}
	return w.st.master, true
}

// Replicas returns the merged replica view (healthy or not, sorted by
// address), from sentinel answers asked within the last
// 3 × ReplicaInterval + DialTimeout, without the confirmed master.
func (w *Watcher) Replicas() []ReplicaInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]ReplicaInfo(nil), w.replicas...)
}

// Status returns a snapshot of the watcher's view.
func (w *Watcher) Status() WatchStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := WatchStatus{Master: w.st.master, Stable: w.st.stable, Since: w.st.since, Reason: w.st.reason}
	for _, sl := range w.st.slots {
		s := WatchSentinelStatus{Addr: sl.addr, Up: sl.up, Err: sl.err}
		if sl.has {
			s.Master, s.Asked = sl.ans.Master, sl.at
		}
		st.Sentinels = append(st.Sentinels, s)
	}
	return st
}

// Suspect tells the watcher that addr may no longer be the master (a
// -READONLY, -MASTERDOWN or -LOADING reply, a broken connection). If addr
// is the confirmed master it stops being trusted at once, and is trusted
// again only on sentinel answers and a role check made after this call.
// Either way every sentinel is polled and the role checked now. reason
// goes to the log and the WatchMasterChanging event.
func (w *Watcher) Suspect(addr, reason string) {
	w.mu.Lock()
	w.apply(w.st.alarm(addr, "suspected: "+reason, w.now()))
	w.mu.Unlock()
	w.kickAll(false, true)
}

// Subscribe delivers the watcher's events from now on, on a channel with
// room for buf events (64 if buf <= 0), in order. Delivery never blocks
// the watcher: when the channel is full the event is dropped for this
// subscriber (a warning is logged the first time), so a reader must keep
// up, and can always read State for the truth. The returned function
// unsubscribes and closes the channel; Close closes it too.
func (w *Watcher) Subscribe(buf int) (<-chan WatchEvent, func()) {
	if buf <= 0 {
		buf = defaultSubscribeBuf
	}
	sub := &watchSub{ch: make(chan WatchEvent, buf)}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		close(sub.ch)
		return sub.ch, func() {}
	}
	w.subs[sub] = struct{}{}
	return sub.ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.subs[sub]; ok {
			delete(w.subs, sub)
			close(sub.ch)
		}
	}
}

// emitLocked hands ev to every subscriber without blocking. Caller holds
// mu, which keeps the events in decision order.
func (w *Watcher) emitLocked(ev WatchEvent) {
	for s := range w.subs {
		select {
		case s.ch <- ev:
		default:
			if !s.lagging {
				s.lagging = true
				w.log.Warn("watch subscriber too slow: events dropped",
					zap.String("event", "watch-subscriber-lagging"))
			}
		}
	}
}

// apply logs and announces a transition of the state. Caller holds mu.
func (w *Watcher) apply(ch watchChange) {
	at := w.now()
	switch ch.kind {
	case watchToChanging:
		w.log.Warn("master no longer trusted", zap.String("event", "watch-master-changing"),
			zap.String("master", ch.old), zap.String("reason", ch.reason))
		w.emitLocked(WatchMasterChanging{Master: ch.old, Reason: ch.reason, At: at})
	case watchToChanged:
		w.log.Warn("new master confirmed", zap.String("event", "watch-master-changed"),
			zap.String("old", ch.old), zap.String("master", ch.new))
		w.emitLocked(WatchMasterChanged{Old: ch.old, New: ch.new, At: at})
		// The replica view excludes the master: recompute it.
		w.refreshReplicasLocked(at)
	case watchToRestored:
		w.log.Info("master trusted again", zap.String("event", "watch-master-restored"),
			zap.String("master", ch.new))
		w.emitLocked(WatchMasterRestored{Master: ch.new, At: at})
	}
}

// refreshReplicasLocked recomputes the replica view and announces a
// change. Caller holds mu.
func (w *Watcher) refreshReplicasLocked(now time.Time) {
	merged := mergeReplicas(w.repReports, now.Add(-w.repStale), w.st.master)
	if sameReplicaSet(merged, w.replicas) {
		w.replicas = merged // new offsets
		return
	}
	w.replicas = merged
	healthy := 0
	for _, r := range merged {
		if r.Healthy {
			healthy++
		}
	}
	w.log.Info("replica set changed", zap.String("event", "watch-replicas-changed"),
		zap.Int("replicas", len(merged)), zap.Int("healthy", healthy))
	w.emitLocked(WatchReplicasChanged{Replicas: append([]ReplicaInfo(nil), merged...)})
}

// kickAll makes every sentinel be polled now (with SENTINEL REPLICAS if
// replicas) and a role check start if one is due (or anyway if force).
func (w *Watcher) kickAll(replicas, force bool) {
	for _, p := range w.pollers {
		if replicas {
			p.replicas.Store(true)
		}
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	if force {
		w.roleForce.Store(true)
	}
	w.kickRole()
}

func (w *Watcher) kickRole() {
	select {
	case w.roleKick <- struct{}{}:
	default:
	}
}

// nextBackoff doubles a reconnection delay up to twice the poll interval.
func (w *Watcher) nextBackoff(d time.Duration) time.Duration {
	d *= 2
	if limit := max(2*w.cfg.PollInterval, watchMinBackoff); d > limit {
		d = limit
	}
	return d
}

// pollLoop asks sentinel i where the master is every PollInterval, or at
// once when kicked, over one command connection it redials after a
// failure (with a backoff, during which kicks wait).
func (w *Watcher) pollLoop(i int) {
	defer w.wg.Done()
	addr, p := w.cfg.Sentinels[i], w.pollers[i]
	var c *resp.Conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	backoff := watchMinBackoff
	var nextReplicas time.Time // real time; zero: due at once
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
			if c == nil {
				continue // reconnecting: the backoff timer decides
			}
		}
		wantReplicas := p.replicas.Swap(false) || !time.Now().Before(nextReplicas)
		fail := func(err error) {
			if c != nil {
				c.Close()
				c = nil
			}
			if wantReplicas {
				p.replicas.Store(true)
			}
			w.sentinelFailed(i, err)
			t.Reset(backoff)
			backoff = w.nextBackoff(backoff)
		}
		if c == nil {
			var err error
			if c, err = w.dial(addr, w.cfg.SentinelUser, w.cfg.SentinelPass); err != nil {
				fail(err)
				continue
			}
		}
		sent := w.now()
		ans, reps, err := pollSentinel(c, w.cfg.MasterName, wantReplicas)
		if err != nil {
			fail(err)
			continue
		}
		backoff = watchMinBackoff
		if wantReplicas {
			nextReplicas = time.Now().Add(w.cfg.ReplicaInterval)
		}
		w.sentinelAnswered(i, ans, reps, wantReplicas, sent)
		t.Reset(w.cfg.PollInterval)
	}
}

// sentinelAnswered feeds a successful poll to the state.
func (w *Watcher) sentinelAnswered(i int, ans watchAnswer, reps []watchReplica, withReplicas bool, sent time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx.Err() != nil {
		return
	}
	up, known := w.st.sentinelUp(i)
	now := w.now()
	ch := w.st.answer(i, ans, sent, now)
	if !up || !known {
		w.log.Info("sentinel up", zap.String("event", "watch-sentinel-up"), zap.String("sentinel", w.cfg.Sentinels[i]))
		w.emitLocked(WatchSentinelUp{Sentinel: w.cfg.Sentinels[i]})
	}
	w.apply(ch)
	if withReplicas {
		rep := &w.repReports[i]
		if !rep.has || !sent.Before(rep.at) {
			*rep = watchReplicaReport{has: true, at: sent, list: reps}
		}
		w.refreshReplicasLocked(now)
	}
	if _, due := w.st.roleTarget(now); due {
		w.kickRole()
	}
}

// sentinelFailed feeds a failed poll to the state.
func (w *Watcher) sentinelFailed(i int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx.Err() != nil {
		return // closing: the failures are ours
	}
	up, known := w.st.sentinelUp(i)
	now := w.now()
	ch := w.st.unreachable(i, err.Error(), now)
	if up || !known {
		w.log.Warn("sentinel unreachable", zap.String("event", "watch-sentinel-down"),
			zap.String("sentinel", w.cfg.Sentinels[i]), zap.Error(err))
		w.emitLocked(WatchSentinelDown{Sentinel: w.cfg.Sentinels[i], Err: err.Error()})
	}
	w.apply(ch)
	if w.repReports[i].has {
		w.repReports[i] = watchReplicaReport{}
		w.refreshReplicasLocked(now)
	}
}

// pollSentinel asks one sentinel, in one pipelined exchange, where the
// master is (GET-MASTER-ADDR-BY-NAME), what it stores and flags for it
// (SENTINEL MASTER) and, if replicas, its replicas. An error reply to the
// first counts as a failure (e.g. -NOAUTH); SENTINEL MASTER's "No such
// master" just leaves Stored empty; a failed SENTINEL REPLICAS gives an
// empty list.
func pollSentinel(c *resp.Conn, name string, replicas bool) (watchAnswer, []watchReplica, error) {
	cmds := [][]string{
		{"SENTINEL", "get-master-addr-by-name", name},
		{"SENTINEL", "master", name},
	}
	if replicas {
		cmds = append(cmds, []string{"SENTINEL", "replicas", name})
	}
	rs, err := c.Do(cmds...)
	if err != nil {
		return watchAnswer{}, nil, err
	}
	var ans watchAnswer
	switch r := rs[0]; {
	case r.IsError():
		return watchAnswer{}, nil, fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME: %s", r.Str)
	case r.Null:
	case r.IsAggregate() && len(r.Elems) == 2:
		host, port := scalarText(r.Elems[0]), scalarText(r.Elems[1])
		if _, ok := parseWatchPort(port); host == "" || !ok {
			return watchAnswer{}, nil, fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME: bad address %q %q", host, port)
		}
		ans.Master = joinHostPort(host, port)
	default:
		return watchAnswer{}, nil, fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME: unexpected reply type %q", r.Type)
	}
	if m := entryFields(rs[1]); m != nil {
		if _, ok := parseWatchPort(m["port"]); ok && m["ip"] != "" {
			ans.Stored = joinHostPort(m["ip"], m["port"])
		}
		for _, f := range strings.Split(m["flags"], ",") {
			switch f {
			case "o_down":
				ans.ODown = true
			case "failover_in_progress":
				ans.Failover = true
			}
		}
	}
	var reps []watchReplica
	if replicas && rs[2].IsAggregate() {
		for _, e := range rs[2].Elems {
			m := entryFields(e)
			if m == nil {
				continue
			}
			if _, ok := parseWatchPort(m["port"]); !ok || m["ip"] == "" {
				continue
			}
			r := watchReplica{addr: joinHostPort(m["ip"], m["port"]), linkOK: m["master-link-status"] == "ok"}
			if m["flags"] != "" {
				r.flags = strings.Split(m["flags"], ",")
			}
			r.offset, _ = strconv.ParseInt(m["slave-repl-offset"], 10, 64)
			r.priority, _ = strconv.Atoi(m["slave-priority"])
			if _, ok := parseWatchPort(m["master-port"]); ok && m["master-host"] != "" && m["master-host"] != "?" {
				r.master = joinHostPort(m["master-host"], m["master-port"])
			}
			reps = append(reps, r)
		}
	}
	return ans, reps, nil
}

// entryFields reads an instance entry (reference §1.4): a flat array of
// name/value pairs (RESP2) or a map (RESP3). nil for anything else.
func entryFields(v resp.Value) map[string]string {
	if v.Null || (v.Type != '*' && v.Type != '%') || len(v.Elems)%2 != 0 {
		return nil
	}
	m := make(map[string]string, len(v.Elems)/2)
	for i := 0; i < len(v.Elems); i += 2 {
		m[scalarText(v.Elems[i])] = scalarText(v.Elems[i+1])
	}
	return m
}

// scalarText is a scalar's text: numbers are bulk strings from sentinels,
// but an integer is accepted too.
func scalarText(v resp.Value) string {
	if v.Type == ':' {
		return strconv.FormatInt(v.Int, 10)
	}
	return v.Str
}

// subLoop keeps a pub/sub connection to sentinel i, PSUBSCRIBEd to
// everything, and reconnects with a backoff when it breaks.
func (w *Watcher) subLoop(i int) {
	defer w.wg.Done()
	backoff := watchMinBackoff
	for {
		subscribed, err := w.subscribeOnce(i)
		if w.ctx.Err() != nil {
			return
		}
		if subscribed {
			backoff = watchMinBackoff
		}
		w.log.Debug("sentinel pub/sub connection lost", zap.String("event", "watch-pubsub-down"),
			zap.String("sentinel", w.cfg.Sentinels[i]), zap.Error(err))
		select {
		case <-w.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = w.nextBackoff(backoff)
	}
}

// subscribeOnce runs one pub/sub connection until it breaks. A PING goes
// out every PollInterval and the read deadline is the staleness window,
// so a sentinel that stops answering (paused, partitioned) is noticed.
func (w *Watcher) subscribeOnce(i int) (subscribed bool, err error) {
	addr := w.cfg.Sentinels[i]
	c, err := w.dial(addr, w.cfg.SentinelUser, w.cfg.SentinelPass)
	if err != nil {
		return false, err
	}
	defer c.Close()
	r, err := c.Do([]string{"PSUBSCRIBE", "*"})
	if err != nil {
		return false, err
	}
	if r[0].IsError() {
		return false, fmt.Errorf("PSUBSCRIBE: %s", r[0].Str)
	}
	// Events published while this connection was down are lost: poll.
	w.kickAll(true, false)
	done := make(chan struct{})
	defer close(done)
	w.wg.Add(1)
	go w.pinger(c, done)
	for {
		if err := c.NC.SetReadDeadline(time.Now().Add(w.stale)); err != nil {
			return true, err
		}
		v, err := resp.ReadReply(c.R, watchReplyLimits)
		if err != nil {
			return true, err
		}
		// ["pmessage", pattern, channel, payload], as an array (RESP2) or
		// a push (RESP3); pongs and subscription confirmations are just
		// signs of life.
		if (v.Type == '*' || v.Type == '>') && len(v.Elems) == 4 && strings.EqualFold(v.Elems[0].Str, "pmessage") {
			w.sentinelEvent(i, v.Elems[2].Str, v.Elems[3].Str)
		}
	}
}

// pinger writes a PING on a subscribed connection every PollInterval
// until done; a failed write closes the connection, ending the reader.
func (w *Watcher) pinger(c *resp.Conn, done <-chan struct{}) {
	defer w.wg.Done()
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	ping := resp.AppendCommandStrings(nil, "PING")
	for {
		select {
		case <-done:
			return
		case <-w.ctx.Done():
			return
		case <-t.C:
		}
		_ = c.NC.SetWriteDeadline(time.Now().Add(w.cfg.DialTimeout))
		if _, err := c.NC.Write(ping); err != nil {
			c.NC.Close()
			return
		}
	}
}

// sentinelEvent handles one published event: forward it if it concerns
// the watched group, raise the alarm it carries, poll everyone.
func (w *Watcher) sentinelEvent(i int, channel, payload string) {
	sig, relevant := classifyWatchEvent(w.cfg.MasterName, channel, payload)
	if !relevant {
		return
	}
	from := w.cfg.Sentinels[i]
	w.mu.Lock()
	w.log.Debug(channel, zap.String("event", "watch-sentinel-event"), zap.String("sentinel", from),
		zap.String("type", channel), zap.String("payload", payload))
	w.emitLocked(WatchSentinelEvent{Sentinel: from, Type: channel, Payload: payload})
	if sig.alarm != "" {
		w.apply(w.st.alarm(sig.alarm, sig.reason+" from sentinel "+from, w.now()))
	}
	w.mu.Unlock()
	w.kickAll(sig.replicas, sig.role || sig.alarm != "")
}

// roleLoop re-evaluates the state every PollInterval (answers age even
// when nothing arrives) and starts role checks: of the target every
// PollInterval, and at once when the decision waits for one.
func (w *Watcher) roleLoop() {
	defer w.wg.Done()
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		periodic := false
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
			periodic = true
		case <-w.roleKick:
		}
		w.mu.Lock()
		now := w.now()
		if periodic {
			w.apply(w.st.tick(now))
			w.refreshReplicasLocked(now)
		}
		target, due := w.st.roleTarget(now)
		force := w.roleForce.Swap(false)
		var c *resp.Conn
		start := target != "" && !w.roleBusy[target] && (periodic || due || force)
		if start {
			w.roleBusy[target] = true
			c = w.roleConns[target]
			delete(w.roleConns, target)
		}
		// Idle connections to nodes that are no longer the target go.
		for a, rc := range w.roleConns {
			if a != target {
				rc.Close()
				delete(w.roleConns, a)
			}
		}
		w.mu.Unlock()
		if start {
			w.wg.Add(1)
			go w.checkRole(target, c)
		}
	}
}

// checkRole asks addr for its role, on c (an idle connection kept from
// the previous check) or a new one, and feeds the result to the state.
// The observation is stamped with the time the check started: the answer
// says nothing about earlier instants, and one started before an alarm
// must not clear it.
func (w *Watcher) checkRole(addr string, c *resp.Conn) {
	defer w.wg.Done()
	sent := w.now()
	var err error
	if c == nil {
		c, err = w.dial(addr, w.cfg.NodeUser, w.cfg.NodePass)
	}
	role := ""
	if err == nil {
		if role, err = nodeRole(c); err != nil {
			c.Close()
			c = nil
		}
	}
	errText := ""
	if err != nil {
		errText = err.Error()
		w.log.Debug("role check failed", zap.String("event", "watch-role-check-failed"),
			zap.String("node", addr), zap.Error(err))
	}
	w.mu.Lock()
	delete(w.roleBusy, addr)
	if w.ctx.Err() != nil {
		w.mu.Unlock()
		if c != nil {
			c.Close()
		}
		return
	}
	now := w.now()
	w.apply(w.st.role(addr, role, errText, sent, now))
	target, due := w.st.roleTarget(now)
	if c != nil {
		if target == addr && w.roleConns[addr] == nil {
			w.roleConns[addr] = c
		} else {
			c.Close()
		}
	}
	w.mu.Unlock()
	if due {
		// An alarm came while this check was under way.
		w.kickRole()
	}
}

// nodeRole asks a data node for its role: ROLE, or INFO replication's
// role line where ROLE is unknown (renamed away, very old servers).
func nodeRole(c *resp.Conn) (string, error) {
	r, err := c.Do([]string{"ROLE"})
	if err != nil {
		return "", err
	}
	v := r[0]
	if v.IsError() {
		if !strings.HasPrefix(v.Str, "ERR unknown command") {
			return "", fmt.Errorf("ROLE: %s", v.Str)
		}
		if r, err = c.Do([]string{"INFO", "replication"}); err != nil {
			return "", err
		}
		if r[0].IsError() {
			return "", fmt.Errorf("INFO replication: %s", r[0].Str)
		}
		for _, line := range strings.Split(r[0].Str, "\n") {
			if role, ok := strings.CutPrefix(strings.TrimSpace(line), "role:"); ok {
				return role, nil
			}
		}
		return "", errors.New("INFO replication: no role line")
	}
	if v.IsAggregate() && len(v.Elems) > 0 && (v.Elems[0].Type == '$' || v.Elems[0].Type == '+') {
		return strings.ToLower(v.Elems[0].Str), nil
	}
	return "", fmt.Errorf("ROLE: unexpected reply type %q", v.Type)
}

// dial connects to addr and authenticates if pass is set; the watcher's
// context closes the connection.
func (w *Watcher) dial(addr, user, pass string) (*resp.Conn, error) {
	return resp.Dial(w.ctx, addr, user, pass, w.cfg.DialTimeout, watchReadBuf, watchReplyLimits)
}
