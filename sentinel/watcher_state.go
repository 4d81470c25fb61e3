package sentinel

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the Watcher's decision logic: pure, no I/O, no goroutines,
// no clock of its own. The shell (watcher.go) feeds it observations
// stamped with the time the question was asked, and the current time;
// it answers with the state and the transitions to announce. Tests drive
// it with a synthetic clock (watcher_test.go).

// watchAnswer is one sentinel's answer to one poll.
type watchAnswer struct {
	// Master is what SENTINEL GET-MASTER-ADDR-BY-NAME gave, as host:port;
	// "" when the sentinel does not know the master name.
	Master string
	// Stored is SENTINEL MASTER's ip:port: the address the flags below
	// concern. During a failover it is still the old master while
	// Master may already be the promoted replica (reference §1.5).
	Stored string
	// ODown and Failover are the o_down and failover_in_progress flags of
	// SENTINEL MASTER.
	ODown    bool
	Failover bool
}

// watchSlot is what the state keeps per configured sentinel.
type watchSlot struct {
	addr  string
	known bool // contacted (or failed to be) at least once
	up    bool // the last contact succeeded
	err   string
	has   bool // ans holds an answer (dropped when the sentinel fails)
	ans   watchAnswer
	at    time.Time // when the poll that got ans was sent
}

// watchRole is the latest role check of one node.
type watchRole struct {
	role string // "master", "slave", ...; "" when the check failed
	err  string
	at   time.Time // when the check was started
}

// watchTransition is what a state change means to the watcher's users.
type watchTransition int

const (
	watchNoChange watchTransition = iota
	// watchToChanging: the confirmed master is no longer trusted.
	watchToChanging
	// watchToChanged: a master other than the last confirmed one (or the
	// first one) is confirmed.
	watchToChanged
	// watchToRestored: the last confirmed master is trusted again.
	watchToRestored
)

func (t watchTransition) String() string {
	switch t {
	case watchToChanging:
		return "changing"
	case watchToChanged:
		return "changed"
	case watchToRestored:
		return "restored"
	}
	return "none"
}

// watchChange is one transition: for changing, old is the distrusted
// master; for changed, old and new; for restored, new.
type watchChange struct {
	kind     watchTransition
	old, new string
	reason   string
}

// watchState decides which master to believe. The rule, and why each
// part of it is there:
//
//   - A candidate is the address a strict majority of the CONFIGURED
//     sentinels names in fresh answers. Counting against the configured
//     number, not against those that answer, means a minority cut off
//     from the others (or one rogue or lagging sentinel) can never make
//     the watcher follow it; the price is that with a majority of the
//     sentinels unreachable, no master is trusted at all.
//   - The candidate must not be flagged o_down or failover_in_progress
//     by any fresh answer: a sentinel saying so is about to demote it,
//     and o_down already needs a quorum of sentinels to agree.
//   - The candidate itself must report role master in a fresh role
//     check: a majority naming a node that is still a replica (the
//     promotion not done yet) or is down is not enough, and a node
//     that boots as master while the sentinels name another one is
//     never a candidate in the first place.
//
// Fresh means asked after floor = max(now − stale, cutoff): within the
// staleness window, and after the last alarm. An alarm (a sentinel
// announcing +odown, +try-failover or +switch-master for the master, or
// the caller suspecting it) makes every earlier observation void, so
// the same master is trusted again only on evidence gathered after it.
//
// Once confirmed, the master stays trusted (stable) exactly as long as
// the same rule holds for it; the first observation or clock tick that
// breaks it, or an alarm about it, makes the state "changing". The last
// confirmed address is kept while changing, so that callers know which
// node to stop using.
type watchState struct {
	stale time.Duration
	slots []watchSlot
	roles map[string]watchRole

	master string // last confirmed master; "" before the first
	stable bool
	since  time.Time // when stable last changed
	reason string    // why not stable ("" when stable)
	cutoff time.Time // the last alarm: evidence asked before it is void
}

func newWatchState(sentinels []string, stale time.Duration) *watchState {
	s := &watchState{stale: stale, roles: make(map[string]watchRole)}
	for _, a := range sentinels {
		s.slots = append(s.slots, watchSlot{addr: a})
	}
	s.reason = "no master confirmed yet"
	return s
}

// floor is the instant evidence must postdate to count at now.
func (s *watchState) floor(now time.Time) time.Time {
	f := now.Add(-s.stale)
	if s.cutoff.After(f) {
		f = s.cutoff
	}
	return f
}

// answer records sentinel i's answer to a poll sent at at.
func (s *watchState) answer(i int, a watchAnswer, at, now time.Time) watchChange {
	sl := &s.slots[i]
	sl.known, sl.up, sl.err = true, true, ""
	// A reply to an older poll arriving after a newer one's says less.
	if !sl.has || !at.Before(sl.at) {
		sl.has, sl.ans, sl.at = true, a, at
	}
	return s.evaluate(now)
}

// unreachable records that sentinel i could not be asked (dial, AUTH,
// I/O or an error reply). Its last answer is dropped at once rather than
// left to age: a sentinel we cannot reach may have changed its mind.
func (s *watchState) unreachable(i int, err string, now time.Time) watchChange {
	sl := &s.slots[i]
	sl.known, sl.up, sl.err = true, false, err
	sl.has, sl.ans = false, watchAnswer{}
	return s.evaluate(now)
}

// role records the result of a role check of addr started at at; role
// is "" and err set when the check failed.
func (s *watchState) role(addr, role, err string, at, now time.Time) watchChange {
	if old, ok := s.roles[addr]; !ok || !at.Before(old.at) {
		s.roles[addr] = watchRole{role: role, err: err, at: at}
	}
	return s.evaluate(now)
}

// alarm records a signal that addr is being, or is about to be,
// demoted. When addr is the trusted master, it stops being trusted at
// once. While nothing is trusted, any alarm voids the evidence gathered
// so far, since it may concern the candidate about to be confirmed.
func (s *watchState) alarm(addr, reason string, at time.Time) watchChange {
	if s.stable && addr != s.master {
		return watchChange{}
	}
	if at.After(s.cutoff) {
		s.cutoff = at
	}
	if !s.stable {
		s.reason = reason
		return watchChange{}
	}
	s.stable, s.since, s.reason = false, at, reason
	return watchChange{kind: watchToChanging, old: s.master, reason: reason}
}

// tick re-evaluates at now, so that answers age out even when nothing
// new arrives.
func (s *watchState) tick(now time.Time) watchChange {
	floor := s.floor(now)
	for a, r := range s.roles {
		if !r.at.After(floor) && a != s.master {
			delete(s.roles, a)
		}
	}
	return s.evaluate(now)
}

// candidate returns the address a strict majority of the configured
// sentinels names in answers asked after floor, and how many name it; ""
// when there is none, with the best count.
func (s *watchState) candidate(floor time.Time) (string, int) {
	counts := make(map[string]int)
	best, bestN := "", 0
	for _, sl := range s.slots {
		if !sl.up || !sl.has || !sl.at.After(floor) || sl.ans.Master == "" {
			continue
		}
		counts[sl.ans.Master]++
		if n := counts[sl.ans.Master]; n > bestN {
			best, bestN = sl.ans.Master, n
		}
	}
	if 2*bestN > len(s.slots) {
		return best, bestN
	}
	return "", bestN
}

// votes counts the fresh answers naming addr.
func (s *watchState) votes(addr string, floor time.Time) int {
	n := 0
	for _, sl := range s.slots {
		if sl.up && sl.has && sl.at.After(floor) && sl.ans.Master == addr {
			n++
		}
	}
	return n
}

// distrust says why addr cannot be trusted at floor, "" if it can.
func (s *watchState) distrust(addr, cand string, floor time.Time) string {
	if cand != addr {
		if cand != "" {
			return fmt.Sprintf("a majority of the sentinels names %s", cand)
		}
		return fmt.Sprintf("no majority of the %d sentinels names %s (%d do in fresh answers)",
			len(s.slots), addr, s.votes(addr, floor))
	}
	for _, sl := range s.slots {
		if !sl.up || !sl.has || !sl.at.After(floor) || sl.ans.Stored != addr {
			continue
		}
		if sl.ans.ODown {
			return fmt.Sprintf("sentinel %s reports %s o_down", sl.addr, addr)
		}
		if sl.ans.Failover {
			return fmt.Sprintf("sentinel %s is failing %s over", sl.addr, addr)
		}
	}
	r, ok := s.roles[addr]
	switch {
	case !ok || !r.at.After(floor):
		return fmt.Sprintf("no fresh role check of %s", addr)
	case r.err != "":
		return fmt.Sprintf("role check of %s failed: %s", addr, r.err)
	case r.role != "master":
		return fmt.Sprintf("%s reports role %s", addr, r.role)
	}
	return ""
}

// evaluate applies the rule at now and returns the transition it made.
func (s *watchState) evaluate(now time.Time) watchChange {
	floor := s.floor(now)
	cand, best := s.candidate(floor)
	if s.stable {
		why := s.distrust(s.master, cand, floor)
		if why == "" {
			return watchChange{}
		}
		s.stable, s.since, s.reason = false, now, why
		return watchChange{kind: watchToChanging, old: s.master, reason: why}
	}
	if cand == "" {
		s.reason = fmt.Sprintf("no address is named by a majority of the %d sentinels (at most %d agree)", len(s.slots), best)
		return watchChange{}
	}
	if why := s.distrust(cand, cand, floor); why != "" {
		s.reason = why
		return watchChange{}
	}
	old := s.master
	s.master, s.stable, s.since, s.reason = cand, true, now, ""
	if old == cand {
		return watchChange{kind: watchToRestored, new: cand}
	}
	return watchChange{kind: watchToChanged, old: old, new: cand}
}

// roleTarget is the node whose role matters now: the trusted master,
// else the candidate, else the last confirmed master (right after an
// alarm there is no fresh answer yet, and checking the likeliest node
// while the sentinels are asked saves a round trip); "" when there is
// none. due reports that no role check of it counts at now, so one
// should start right away.
func (s *watchState) roleTarget(now time.Time) (addr string, due bool) {
	floor := s.floor(now)
	addr = s.master
	if !s.stable {
		if cand, _ := s.candidate(floor); cand != "" {
			addr = cand
		}
	}
	if addr == "" {
		return "", false
	}
	r, ok := s.roles[addr]
	return addr, !ok || !r.at.After(floor)
}

// sentinelUp reports whether sentinel i's slot is known and whether it is
// up, for the shell's SentinelUp/SentinelDown events.
func (s *watchState) sentinelUp(i int) (up, known bool) {
	return s.slots[i].up, s.slots[i].known
}

// watchReplica is one entry of one sentinel's SENTINEL REPLICAS.
type watchReplica struct {
	addr     string
	flags    []string
	offset   int64
	linkOK   bool
	master   string // master-host:master-port
	priority int
}

// watchReplicaReport is one sentinel's latest replica list.
type watchReplicaReport struct {
	has  bool
	at   time.Time // when it was asked for
	list []watchReplica
}

// mergeReplicas combines the replica lists of the sentinels into one
// view: every replica some fresh report (asked after floor) lists,
// except the trusted master (a sentinel that has not switched yet still
// lists the promoted replica). A replica is healthy when a strict
// majority of the sentinels listing it see it without s_down, o_down or
// disconnected, so that one sentinel's partition does not take it out of
// rotation, nor one sentinel's stale view keep a dead one in. The
// offset is the highest reported (the most recent INFO wins); master
// and priority come from that report too.
func mergeReplicas(reports []watchReplicaReport, floor time.Time, master string) []ReplicaInfo {
	type acc struct {
		info    ReplicaInfo
		healthy int
		linkOK  int
	}
	byAddr := make(map[string]*acc)
	for _, rep := range reports {
		if !rep.has || !rep.at.After(floor) {
			continue
		}
		for _, r := range rep.list {
			if r.addr == master {
				continue
			}
			a := byAddr[r.addr]
			if a == nil {
				a = &acc{info: ReplicaInfo{Addr: r.addr, Offset: -1}}
				byAddr[r.addr] = a
			}
			a.info.Sentinels++
			if replicaFlagsHealthy(r.flags) {
				a.healthy++
			}
			if r.linkOK {
				a.linkOK++
			}
			if r.offset > a.info.Offset {
				a.info.Offset, a.info.Master, a.info.Priority = r.offset, r.master, r.priority
			}
		}
	}
	out := make([]ReplicaInfo, 0, len(byAddr))
	for _, a := range byAddr {
		a.info.Healthy = 2*a.healthy > a.info.Sentinels
		a.info.LinkUp = 2*a.linkOK > a.info.Sentinels
		out = append(out, a.info)
	}
	slices.SortFunc(out, func(x, y ReplicaInfo) int { return strings.Compare(x.Addr, y.Addr) })
	return out
}

// replicaFlagsHealthy is the clients' rule (go-redis ReplicaOnly,
// Lettuce, ioredis): none of s_down, o_down, disconnected.
func replicaFlagsHealthy(flags []string) bool {
	for _, f := range flags {
		switch f {
		case "s_down", "o_down", "disconnected":
			return false
		}
	}
	return true
}

// sameReplicaSet reports whether two merged views differ only in
// offsets and in how many sentinels list each replica: offsets move all
// the time, and the count moves as each sentinel's report comes in;
// neither is worth an event.
func sameReplicaSet(a, b []ReplicaInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Addr != y.Addr || x.Healthy != y.Healthy || x.LinkUp != y.LinkUp ||
			x.Master != y.Master || x.Priority != y.Priority {
			return false
		}
	}
	return true
}

// watchSignal is what a sentinel's pub/sub event means to the watcher.
type watchSignal struct {
	// alarm is the address the event says is being demoted ("" for
	// none); reason says which event.
	alarm, reason string
	// role asks for an immediate role check of the master (it was seen
	// going down or coming back).
	role bool
	// replicas asks for a fresh SENTINEL REPLICAS.
	replicas bool
}

// classifyWatchEvent reads an event a sentinel published on channel
// (reference §2.2). relevant is false for events about other masters or
// about no master at all (+new-epoch, +tilt, script errors); every
// relevant event makes the shell poll the sentinels at once.
//
// Alarms: +switch-master (the old address), +odown and +try-failover of
// the master, +convert-to-slave of any instance, and a role change of
// any instance to slave. The alarm matters only when it names the
// trusted master (watchState.alarm).
func classifyWatchEvent(master, channel, payload string) (sig watchSignal, relevant bool) {
	f := strings.Fields(payload)
	if channel == "+switch-master" {
		// <master-name> <old-ip> <old-port> <new-ip> <new-port>
		if len(f) < 5 || f[0] != master {
			return watchSignal{}, false
		}
		return watchSignal{alarm: joinHostPort(f[1], f[2]), reason: "+switch-master", replicas: true}, true
	}
	// <kind> <name> <ip> <port> [@ <master-name> <master-ip> <master-port>] [extra]
	if len(f) < 4 {
		return watchSignal{}, false
	}
	kind := f[0]
	group := ""
	switch {
	case kind == "master":
		group = f[1]
	case len(f) >= 8 && f[4] == "@":
		group = f[5]
	}
	if group != master {
		return watchSignal{}, false
	}
	inst := joinHostPort(f[2], f[3])
	switch channel {
	case "+odown", "+try-failover":
		if kind == "master" {
			sig.alarm, sig.reason = inst, channel
		}
	case "+convert-to-slave":
		sig.alarm, sig.reason, sig.replicas = inst, channel, true
	case "+role-change", "-role-change":
		if strings.HasSuffix(payload, "new reported role is slave") {
			sig.alarm, sig.reason = inst, channel+" to slave"
		}
		sig.role = true
		sig.replicas = kind == "slave"
	case "+sdown", "-sdown":
		sig.role = kind == "master"
		sig.replicas = kind == "slave"
	case "+slave", "+slave-reconf-done", "+fix-slave-config", "+reboot", "+promoted-slave", "+reset-master":
		sig.replicas = true
	}
	return sig, true
}

// joinHostPort is net.JoinHostPort over a port given as text.
func joinHostPort(host, port string) string { return net.JoinHostPort(host, port) }

// parseWatchPort checks a port number as the sentinels give it.
func parseWatchPort(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n < 65536
}
