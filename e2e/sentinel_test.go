package e2e

// End-to-end sentinel tests: warden sentinels and Debian's redis-sentinel
// 7.0, watching warden nodes and Debian's redis-server, in every mix issue
// 4 asks for. Each test builds a 1 master + 2 replicas group and three
// sentinels (quorum 2, down-after 2 s) on free loopback ports, kills the
// master and waits on conditions, never on fixed sleeps.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardenhq/warden/internal/testutil"
)

const (
	groupName       = "mymaster"
	downAfterMs     = 2000
	failoverTimeout = 10000
)

// kind says whose binary runs a node or a sentinel.
type kind string

const (
	real   kind = "redis"
	warden kind = "warden"
)

// node is one data node of a test group.
type node struct {
	kind kind
	port int
	proc *testutil.Proc
}

func (n *node) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// startNode starts a node of kind k on port, as a replica of master when
// master is not 0.
func startNode(t *testing.T, k kind, port, master int) *node {
	t.Helper()
	args := []string{"--port", strconv.Itoa(port), "--repl-diskless-sync-delay", "0"}
	if master != 0 {
		args = append(args, "--replicaof", "127.0.0.1", strconv.Itoa(master))
	}
	n := &node{kind: k, port: port}
	if k == real {
		n.proc = testutil.StartRedis(t, args...)
	} else {
		n.proc = testutil.StartWarden(t, args...)
	}
	return n
}

// sentinelProc is one sentinel of a test group, with the config file it
// keeps, so it can be restarted where it was.
type sentinelProc struct {
	kind kind
	port int
	conf string
	proc *testutil.Proc
	cli  *redis.SentinelClient
	raw  *redis.Client // for commands SentinelClient lacks
}

func (s *sentinelProc) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// writeSentinelConf writes the seeds' sentinel.conf for a master on
// masterPort, plus extra lines.
func writeSentinelConf(t *testing.T, port, masterPort int, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	lines := []string{
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"dir " + dir,
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", groupName, masterPort),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", groupName, downAfterMs),
		fmt.Sprintf("sentinel failover-timeout %s %d", groupName, failoverTimeout),
	}
	lines = append(lines, extra...)
	conf := filepath.Join(dir, "sentinel.conf")
	must(t, os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return conf
}

// startSentinel starts (or restarts, with the same conf) a sentinel.
func startSentinel(t *testing.T, s *sentinelProc) {
	t.Helper()
	ready := testutil.PingReady(s.addr())
	if s.kind == real {
		s.proc = testutil.StartProcess(t, "redis-sentinel", []string{s.conf}, ready)
	} else {
		s.proc = testutil.StartProcess(t, testutil.BuildWarden(t), []string{"sentinel", s.conf}, ready)
	}
	if s.cli == nil {
		s.cli = redis.NewSentinelClient(&redis.Options{Addr: s.addr(), DialTimeout: 2 * time.Second,
			ReadTimeout: 2 * time.Second, MaxRetries: -1})
		s.raw = redis.NewClient(&redis.Options{Addr: s.addr(), DialTimeout: 2 * time.Second,
			ReadTimeout: 2 * time.Second, MaxRetries: -1})
		t.Cleanup(func() { s.cli.Close(); s.raw.Close() })
	}
}

// group is a master, its replicas and the sentinels watching them.
type group struct {
	t         *testing.T
	nodes     []*node // nodes[0] is the first master
	sentinels []*sentinelProc
	events    *eventLog
}

// startGroup starts the nodes (first one master) and the sentinels, and
// waits until every sentinel knows both replicas and both other sentinels.
func startGroup(t *testing.T, nodeKinds, sentinelKinds []kind, sentinelExtra ...string) *group {
	t.Helper()
	testutil.RequireBinary(t, "redis-server")
	testutil.RequireBinary(t, "redis-sentinel")
	ports := testutil.FreePorts(t, len(nodeKinds)+len(sentinelKinds))
	g := &group{t: t, events: newEventLog()}
	for i, k := range nodeKinds {
		master := 0
		if i > 0 {
			master = ports[0]
		}
		g.nodes = append(g.nodes, startNode(t, k, ports[i], master))
	}
	// Replicas must have synced before anything is written: a real
	// redis-server replica only connects on its next replication cron
	// (once a second), and a replica promoted before its first sync
	// would hold none of the data.
	for _, n := range g.nodes[1:] {
		g.waitReplicaOf(n, g.nodes[0], 30*time.Second)
	}
	// After a diskless sync redis-server 7.0 streams nothing to a replica
	// until its first REPLCONF ACK (up to a second later), although both
	// sides already report the link up and the replica online: wait until
	// a write has reached every replica.
	mc := newClient(t, g.nodes[0].addr(), nil)
	must(t, mc.Set(ctxT(t), "e2e:replicated", "1", 0).Err())
	for _, n := range g.nodes[1:] {
		rc := newClient(t, n.addr(), nil)
		testutil.WaitFor(t, 30*time.Second, 20*time.Millisecond, func() (bool, string) {
			v, err := rc.Get(ctxT(t), "e2e:replicated").Result()
			return v == "1", fmt.Sprintf("%s has not received the first write: %q %v", n.addr(), v, err)
		})
	}
	for i, k := range sentinelKinds {
		port := ports[len(nodeKinds)+i]
		s := &sentinelProc{kind: k, port: port, conf: writeSentinelConf(t, port, ports[0], sentinelExtra...)}
		startSentinel(t, s)
		g.sentinels = append(g.sentinels, s)
		g.events.follow(t, s)
	}
	g.waitDiscovered(len(nodeKinds)-1, len(sentinelKinds)-1)
	return g
}

// waitDiscovered waits until every running sentinel reports the numbers of
// replicas and other sentinels given.
func (g *group) waitDiscovered(replicas, others int) {
	t := g.t
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, 50*time.Millisecond, func() (bool, string) {
		for _, s := range g.sentinels {
			if s.proc.Exited() {
				continue
			}
			m, err := s.cli.Master(context.Background(), groupName).Result()
			if err != nil {
				return false, fmt.Sprintf("%s: %v", s.addr(), err)
			}
			if m["num-slaves"] != strconv.Itoa(replicas) || m["num-other-sentinels"] != strconv.Itoa(others) {
				return false, fmt.Sprintf("%s (%s) knows %s replicas and %s sentinels", s.addr(), s.kind,
					m["num-slaves"], m["num-other-sentinels"])
			}
		}
		return true, ""
	})
}

// waitReplicasSettled waits until every running sentinel reports every
// replica with role-reported slave, its master link up, and no down flags.
func (g *group) waitReplicasSettled() {
	t := g.t
	t.Helper()
	testutil.WaitFor(t, 40*time.Second, 100*time.Millisecond, func() (bool, string) {
		for _, s := range g.sentinels {
			if s.proc.Exited() {
				continue
			}
			reps, err := s.cli.Replicas(context.Background(), groupName).Result()
			if err != nil {
				return false, fmt.Sprintf("%s: %v", s.addr(), err)
			}
			for _, r := range reps {
				if r["role-reported"] != "slave" || r["master-link-status"] != "ok" ||
					strings.Contains(r["flags"], "down") || strings.Contains(r["flags"], "disconnected") {
					return false, fmt.Sprintf("%s (%s) sees replica %s: role %s, link %s, flags %s", s.addr(), s.kind,
						r["name"], r["role-reported"], r["master-link-status"], r["flags"])
				}
			}
		}
		return true, ""
	})
}

// masterAddrs asks every running sentinel for the master's address.
func (g *group) masterAddrs() map[string]string {
	out := map[string]string{}
	for _, s := range g.sentinels {
		if s.proc.Exited() {
			continue
		}
		a, err := s.cli.GetMasterAddrByName(context.Background(), groupName).Result()
		if err != nil {
			out[s.addr()] = "error: " + err.Error()
			continue
		}
		out[s.addr()] = strings.Join(a, ":")
	}
	return out
}

// waitMaster waits until every running sentinel names want as the master.
func (g *group) waitMaster(want string, limit time.Duration) {
	t := g.t
	t.Helper()
	testutil.WaitFor(t, limit, 50*time.Millisecond, func() (bool, string) {
		got := g.masterAddrs()
		for _, a := range got {
			if a != want {
				return false, fmt.Sprintf("sentinels say %v, want %s", got, want)
			}
		}
		return true, ""
	})
}

// waitNewMaster waits until every running sentinel names the same master
// other than old, and returns that node.
func (g *group) waitNewMaster(old *node, limit time.Duration) *node {
	t := g.t
	t.Helper()
	var found *node
	testutil.WaitFor(t, limit, 50*time.Millisecond, func() (bool, string) {
		got := g.masterAddrs()
		var first string
		for _, a := range got {
			if first == "" {
				first = a
			}
			if a != first || a == old.addr() {
				return false, fmt.Sprintf("sentinels say %v", got)
			}
		}
		for _, n := range g.nodes {
			if n.addr() == first {
				found = n
				return true, ""
			}
		}
		return false, fmt.Sprintf("sentinels name %s, not a node of the group", first)
	})
	return found
}

// role reads a node's INFO replication fields.
func (g *group) role(n *node) map[string]string {
	c := redis.NewClient(&redis.Options{Addr: n.addr(), DialTimeout: time.Second, ReadTimeout: 2 * time.Second,
		MaxRetries: -1})
	defer c.Close()
	m, err := info(context.Background(), c, "replication")
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	return m
}

// waitReplicaOf waits until n reports being a connected replica of master.
func (g *group) waitReplicaOf(n, master *node, limit time.Duration) {
	t := g.t
	t.Helper()
	testutil.WaitFor(t, limit, 100*time.Millisecond, func() (bool, string) {
		r := g.role(n)
		if r["role"] == "slave" && r["master_port"] == strconv.Itoa(master.port) && r["master_link_status"] == "up" {
			return true, ""
		}
		return false, fmt.Sprintf("%s (%s): role=%s master_port=%s link=%s %s", n.addr(), n.kind, r["role"],
			r["master_port"], r["master_link_status"], r["error"])
	})
}

// checkOneMaster fails unless exactly one node reports role:master.
func (g *group) checkOneMaster(want *node) {
	t := g.t
	t.Helper()
	for _, n := range g.nodes {
		if n.proc.Exited() {
			continue
		}
		r := g.role(n)
		if (n == want) != (r["role"] == "master") {
			t.Fatalf("%s (%s) reports role %q; want the only master to be %s", n.addr(), n.kind, r["role"], want.addr())
		}
	}
}

// killMasterAndFailover kill -9s the current master, waits for the
// sentinels to agree on a new one, checks the other replicas follow it,
// then restarts the old master and waits for it to rejoin as a replica. It
// returns the new master and how long after the kill the first
// +switch-master was published.
func (g *group) killMasterAndFailover(master *node) (*node, time.Duration) {
	t := g.t
	t.Helper()
	g.events.reset()
	killed := time.Now()
	master.proc.Kill()
	newMaster := g.waitNewMaster(master, time.Duration(downAfterMs)*time.Millisecond+30*time.Second)
	switched := g.events.first("+switch-master")
	if switched.IsZero() {
		testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
			switched = g.events.first("+switch-master")
			return !switched.IsZero(), "no +switch-master event seen"
		})
	}
	for _, n := range g.nodes {
		if n != master && n != newMaster {
			g.waitReplicaOf(n, newMaster, 30*time.Second)
		}
	}
	g.checkOneMaster(newMaster)

	// The old master comes back empty, as a master; the sentinels must
	// turn it into a replica of the new one.
	master.proc = nil
	restarted := startNode(t, master.kind, master.port, 0)
	master.proc = restarted.proc
	g.waitReplicaOf(master, newMaster, 60*time.Second)
	g.checkOneMaster(newMaster)
	return newMaster, switched.Sub(killed)
}

// eventLog records the events every sentinel publishes (PSUBSCRIBE *).
type eventLog struct {
	mu     sync.Mutex
	events []sentinelEvent
}

type sentinelEvent struct {
	at       time.Time
	sentinel string
	kind     kind
	channel  string
	payload  string
}

func newEventLog() *eventLog { return &eventLog{} }

// follow subscribes to everything s publishes, for the rest of the test.
func (l *eventLog) follow(t *testing.T, s *sentinelProc) {
	ps := s.cli.PSubscribe(context.Background(), "*")
	t.Cleanup(func() { ps.Close() })
	ch := ps.Channel(redis.WithChannelSize(1000))
	go func() {
		for m := range ch {
			l.mu.Lock()
			l.events = append(l.events, sentinelEvent{time.Now(), s.addr(), s.kind, m.Channel, m.Payload})
			l.mu.Unlock()
		}
	}()
}

func (l *eventLog) reset() {
	l.mu.Lock()
	l.events = nil
	l.mu.Unlock()
}

// first is when channel was first published by any sentinel (zero if not).
func (l *eventLog) first(channel string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.channel == channel {
			return e.at
		}
	}
	return time.Time{}
}

// who lists the sentinels that published channel.
func (l *eventLog) who(channel string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		if e.channel == channel {
			out = append(out, fmt.Sprintf("%s(%s): %s", e.sentinel, e.kind, e.payload))
		}
	}
	sort.Strings(out)
	return out
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.events {
		fmt.Fprintf(&b, "%s %s(%s) %s %s\n", e.at.Format("15:04:05.000"), e.sentinel, e.kind, e.channel, e.payload)
	}
	return b.String()
}

// --- interop 1–3: who fails over whom --------------------------------------

func TestSentinelFailoverInterop(t *testing.T) {
	cases := []struct {
		name      string
		nodes     []kind
		sentinels []kind
	}{
		{"warden sentinels, redis nodes", []kind{real, real, real}, []kind{warden, warden, warden}},
		{"redis sentinels, warden nodes", []kind{warden, warden, warden}, []kind{real, real, real}},
		{"two redis + one warden sentinel", []kind{real, real, real}, []kind{real, real, warden}},
		{"one redis + two warden sentinels", []kind{warden, warden, warden}, []kind{real, warden, warden}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := startGroup(t, tc.nodes, tc.sentinels)
			defer func() {
				if t.Failed() {
					t.Logf("events:\n%s", g.events)
				}
			}()
			newMaster, took := g.killMasterAndFailover(g.nodes[0])
			t.Logf("events of the kill -9 failover:\n%s", g.events)
			t.Logf("kill -9 of %s: +switch-master after %v (down-after %d ms); leader: %v", g.nodes[0].addr(),
				took.Round(time.Millisecond), downAfterMs, g.events.who("+elected-leader"))

			// A manual failover asked of each kind of sentinel in the
			// group: that sentinel leads it, whoever led the first.
			seen := map[kind]bool{}
			for _, s := range g.sentinels {
				if seen[s.kind] {
					continue
				}
				seen[s.kind] = true
				g.events.reset()
				old := newMaster
				// Wait until every sentinel sees every replica as a healthy
				// replica: FAILOVER needs a good replica, and a sentinel
				// whose last INFO of a replica is older than its demotion
				// would "convert" the promoted node back (a race real
				// sentinels have too, see +convert-to-slave).
				g.waitDiscovered(len(g.nodes)-1, len(g.sentinels)-1)
				g.waitReplicasSettled()
				testutil.WaitFor(t, 30*time.Second, 200*time.Millisecond, func() (bool, string) {
					err := s.cli.Failover(context.Background(), groupName).Err()
					return err == nil, fmt.Sprintf("SENTINEL FAILOVER on %s (%s): %v", s.addr(), s.kind, err)
				})
				newMaster = g.waitNewMaster(old, 60*time.Second)
				for _, n := range g.nodes {
					if n != newMaster {
						g.waitReplicaOf(n, newMaster, 60*time.Second)
					}
				}
				g.checkOneMaster(newMaster)
				t.Logf("SENTINEL FAILOVER via %s (%s): new master %s; leader %v", s.addr(), s.kind,
					newMaster.addr(), g.events.who("+elected-leader"))
			}
		})
	}
}

// --- timing and faults -----------------------------------------------------

// TestSentinelSigstopMaster pauses the master longer than down-after, then
// resumes it: one failover, the old master demoted, never two masters.
func TestSentinelSigstopMaster(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	old := g.nodes[0]
	g.events.reset()
	must(t, old.proc.Signal(syscall.SIGSTOP))
	newMaster := g.waitNewMaster(old, 40*time.Second)
	must(t, old.proc.Signal(syscall.SIGCONT))
	for _, n := range g.nodes {
		if n != newMaster {
			g.waitReplicaOf(n, newMaster, 60*time.Second)
		}
	}
	g.checkOneMaster(newMaster)
	if n := len(g.events.who("+elected-leader")); n != 1 {
		t.Fatalf("%d elected leaders, want one failover:\n%v", n, g.events.who("+elected-leader"))
	}
	if n := len(g.events.who("+promoted-slave")); n != 1 {
		t.Fatalf("%d promotions, want 1: %v", n, g.events.who("+promoted-slave"))
	}
}

// TestSentinelLeaderDiesMidFailover kills the sentinel that leads a
// failover right after it promoted the replica (SIMULATE-FAILURE
// crash-after-promotion): the others notice the new config through hellos
// from the promoted node... or, if the promotion was never announced,
// start their own failover after failover-timeout.
func TestSentinelLeaderDiesMidFailover(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	for _, s := range g.sentinels {
		must(t, s.raw.Do(context.Background(), "SENTINEL", "SIMULATE-FAILURE", "crash-after-election").Err())
	}
	old := g.nodes[0]
	g.events.reset()
	old.proc.Kill()
	// Whoever is elected exits with code 99 right after +elected-leader;
	// the survivors must complete a failover on their own.
	var dead *sentinelProc
	testutil.WaitFor(t, 40*time.Second, 50*time.Millisecond, func() (bool, string) {
		for _, s := range g.sentinels {
			if s.proc.Exited() {
				dead = s
				return true, ""
			}
		}
		return false, "no sentinel crashed after its election"
	})
	for _, s := range g.sentinels {
		if s != dead {
			must(t, s.raw.Do(context.Background(), "SENTINEL", "SIMULATE-FAILURE", "help").Err())
			// Clear the crash flag on the survivors: flags are replaced on
			// every call, and "help" sets none.
		}
	}
	newMaster := g.waitNewMaster(old, 2*time.Duration(failoverTimeout)*time.Millisecond+40*time.Second)
	for _, n := range g.nodes {
		if n != old && n != newMaster {
			g.waitReplicaOf(n, newMaster, 60*time.Second)
		}
	}
	g.checkOneMaster(newMaster)
}

// TestSentinelRefusedFastPath: with down-after-refused-milliseconds, a
// master whose process is gone (its port refuses connections) is SDOWN
// well before down-after-milliseconds, and the failover follows at once.
// The figures are logged; the assertion is only that SDOWN did not wait
// for down-after, which without the fast path it must.
func TestSentinelRefusedFastPath(t *testing.T) {
	const fastMs = 300
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden},
		fmt.Sprintf("sentinel down-after-refused-milliseconds %s %d", groupName, fastMs))
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	// The first links are young right after start-up, and a connection
	// that dies young is redialled only after a second; a master killed in
	// production has long-lived links. Let them age past that first second.
	testutil.WaitFor(t, 10*time.Second, 100*time.Millisecond, func() (bool, string) {
		for _, s := range g.sentinels {
			m, err := info(context.Background(), s.raw, "server")
			if err != nil {
				return false, err.Error()
			}
			if up, _ := strconv.Atoi(m["uptime_in_seconds"]); up < 2 {
				return false, fmt.Sprintf("%s up for %s s", s.addr(), m["uptime_in_seconds"])
			}
		}
		return true, ""
	})
	old := g.nodes[0]
	g.events.reset()
	killed := time.Now()
	old.proc.Kill()
	g.waitNewMaster(old, 30*time.Second)
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		return !g.events.first("+switch-master").IsZero(), "no +switch-master"
	})
	sdown := g.events.first("+sdown").Sub(killed)
	switched := g.events.first("+switch-master").Sub(killed)
	t.Logf("kill -9 with down-after-refused-milliseconds %d: +sdown after %v, +switch-master after %v (down-after %d ms)",
		fastMs, sdown.Round(time.Millisecond), switched.Round(time.Millisecond), downAfterMs)
	if sdown >= downAfterMs*time.Millisecond {
		t.Fatalf("+sdown after %v: the refused fast path did not apply", sdown)
	}
}
