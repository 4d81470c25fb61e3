package proxy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// A master's and a replica's INFO replication as redis-server 7.0 writes
// them.
const (
	masterInfo = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=127.0.0.1,port=6380,state=online,offset=1000,lag=0\r\n" +
		"slave1:ip=127.0.0.1,port=6381,state=wait_bgsave,offset=0,lag=3\r\n" +
		"master_failover_state:no-failover\r\nmaster_replid:8d1f0b2c\r\nmaster_replid2:0000\r\n" +
		"master_repl_offset:1500\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:1\r\n"
	replicaInfo = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\n" +
		"master_link_status:up\r\nmaster_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\n" +
		"slave_read_repl_offset:1200\r\nslave_repl_offset:1200\r\nslave_priority:100\r\n" +
		"slave_read_only:1\r\nreplica_announced:1\r\nconnected_slaves:0\r\nmaster_repl_offset:1200\r\n"
)

func TestSourceParseReplicationInfo(t *testing.T) {
	var m nodeObs
	parseReplicationInfo(masterInfo, &m)
	want := []slaveLine{
		{addr: "127.0.0.1:6380", state: "online", offset: 1000, lag: 0},
		{addr: "127.0.0.1:6381", state: "wait_bgsave", offset: 0, lag: 3},
	}
	if m.role != "master" || m.offset != 1500 || !reflect.DeepEqual(m.slaves, want) {
		t.Errorf("master: %+v", m)
	}
	var r nodeObs
	parseReplicationInfo(replicaInfo, &r)
	if r.role != "slave" || r.offset != 1200 || !r.linkUp || r.masterAddr != "127.0.0.1:6379" || len(r.slaves) != 0 {
		t.Errorf("replica: %+v", r)
	}
	var down nodeObs
	parseReplicationInfo("role:slave\nmaster_host:::1\nmaster_port:7000\nmaster_link_status:down\n", &down)
	if down.linkUp || down.masterAddr != "[::1]:7000" || down.offset != -1 {
		t.Errorf("replica with link down: %+v", down)
	}
	if s, ok := parseSlaveLine("state=online,offset=5"); ok {
		t.Errorf("slave line without an address accepted: %+v", s)
	}
}

func TestSourceSameNode(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"127.0.0.1:6379", "127.0.0.1:6379", true},
		{"localhost:6379", "127.0.0.1:6379", true},
		{"[::1]:6379", "127.0.0.1:6379", true},
		{"LocalHost:6379", "localhost:6379", true},
		{"[::ffff:10.0.0.1]:1", "10.0.0.1:1", true},
		{"127.0.0.1:6379", "127.0.0.1:6380", false},
		{"10.0.0.1:6379", "10.0.0.2:6379", false},
		{"redis-a:6379", "10.0.0.1:6379", false},
		{"", "", false},
		{"garbage", "garbage:1", false},
	} {
		if got := sameNode(c.a, c.b); got != c.want {
			t.Errorf("sameNode(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

func TestSourceClassifySentinelEvent(t *testing.T) {
	for _, c := range []struct {
		typ, payload string
		want         sentinelSignal
	}{
		{"+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380",
			sentinelSignal{alarm: "127.0.0.1:6379", reason: "+switch-master 127.0.0.1:6379 -> 127.0.0.1:6380", replicas: true}},
		{"+switch-master", "other 127.0.0.1 6379 127.0.0.1 6380", sentinelSignal{}},
		{"+sdown", "master mymaster 127.0.0.1 6379", sentinelSignal{alarm: "127.0.0.1:6379", reason: "+sdown 127.0.0.1:6379"}},
		{"+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2", sentinelSignal{alarm: "127.0.0.1:6379", reason: "+odown 127.0.0.1:6379"}},
		{"+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379", sentinelSignal{replicas: true}},
		{"-sdown", "master mymaster 127.0.0.1 6379", sentinelSignal{}},
		{"+convert-to-slave", "slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380",
			sentinelSignal{alarm: "127.0.0.1:6379", reason: "+convert-to-slave 127.0.0.1:6379", replicas: true}},
		{"+role-change", "slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380 new reported role is slave",
			sentinelSignal{alarm: "127.0.0.1:6379", reason: "+role-change 127.0.0.1:6379 to slave", replicas: true}},
		{"+role-change", "master mymaster 127.0.0.1 6379 new reported role is master", sentinelSignal{}},
		{"+slave", "slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379", sentinelSignal{replicas: true}},
		{"+new-epoch", "3", sentinelSignal{}},
	} {
		if got := classifySentinelEvent("mymaster", c.typ, c.payload); got != c.want {
			t.Errorf("%s %q: got %+v, want %+v", c.typ, c.payload, got, c.want)
		}
	}
}

// obs builds a successful check of addr started at at.
func obs(addr string, at time.Time, role string, mods ...func(*nodeObs)) nodeObs {
	o := nodeObs{addr: addr, at: at, role: role, offset: -1}
	for _, m := range mods {
		m(&o)
	}
	return o
}

func failed(addr string, at time.Time) nodeObs {
	return nodeObs{addr: addr, at: at, err: errors.New("connection refused"), offset: -1}
}

func loading(o *nodeObs) { o.loading = true }

func TestSourceBuildReplicas(t *testing.T) {
	t0 := time.Unix(1000, 0)
	const m, r1, r2, r3, r4 = "127.0.0.1:6379", "127.0.0.1:6380", "127.0.0.1:6381", "127.0.0.1:6382", "127.0.0.1:6383"
	checks := map[string]nodeObs{
		m: obs(m, t0, "master", func(o *nodeObs) {
			o.offset = 5000
			o.slaves = []slaveLine{
				{addr: r1, state: "online", offset: 4000, lag: 1},
				{addr: r2, state: "send_bulk", offset: 0, lag: 0},
				{addr: r4, state: "online", offset: 3000, lag: 7},
			}
		}),
		// r1: linked to the master, 1000 bytes behind by its own offset
		// (the master's line says 1000 too, but the replica's own wins).
		r1: obs(r1, t0, "slave", func(o *nodeObs) { o.linkUp, o.masterAddr, o.offset = true, "localhost:6379", 4000 }),
		// r2: full sync under way.
		r2: obs(r2, t0, "slave", loading, func(o *nodeObs) { o.linkUp, o.masterAddr, o.offset = false, m, 0 }),
		// r3: check failed.
		r3: failed(r3, t0),
		// r4: no check of its own (stale), lag from the master's line.
		r4: obs(r4, t0.Add(-time.Hour), "slave", func(o *nodeObs) { o.linkUp, o.masterAddr = true, m }),
	}
	members := []replicaMember{
		{addr: r4, linkUp: true}, {addr: r3, linkUp: true}, {addr: r2}, {addr: r1, linkUp: true},
		{addr: r1}, // duplicate
		{addr: m},  // the master itself (a sentinel lists the promoted replica)
	}
	got := buildReplicas(m, members, checks, t0.Add(-time.Second))
	want := []Replica{
		{Addr: r1, LinkUp: true, LagBytes: 1000, LagSeconds: 1},
		{Addr: r2, Loading: true, LagBytes: 5000, LagSeconds: 0},
		{Addr: r3, Down: true, LagBytes: -1, LagSeconds: -1},
		{Addr: r4, LinkUp: true, LagBytes: 2000, LagSeconds: 7},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replicas:\n got %+v\nwant %+v", got, want)
	}

	// A replica replicating from another node is not linked to the master.
	checks[r1] = obs(r1, t0, "slave", func(o *nodeObs) { o.linkUp, o.masterAddr, o.offset = true, "127.0.0.1:7000", 4000 })
	if rs := buildReplicas(m, members[3:4], checks, t0.Add(-time.Second)); rs[0].LinkUp {
		t.Errorf("replica of another master linked: %+v", rs[0])
	}
	// A second node reporting master is no usable replica.
	checks[r1] = obs(r1, t0, "master")
	if rs := buildReplicas(m, members[3:4], checks, t0.Add(-time.Second)); rs[0].LinkUp || rs[0].Down {
		t.Errorf("rogue master as replica: %+v", rs[0])
	}
	// Without a master nothing is linked, and no lag is known.
	checks[r1] = obs(r1, t0, "slave", func(o *nodeObs) { o.linkUp, o.masterAddr, o.offset = true, m, 4000 })
	if rs := buildReplicas("", members[3:4], checks, t0.Add(-time.Second)); rs[0].LinkUp || rs[0].LagBytes != -1 {
		t.Errorf("replica without master: %+v", rs[0])
	}
	// A member the source calls down stays down even if its check passes.
	if rs := buildReplicas(m, []replicaMember{{addr: r1, down: true}}, checks, t0.Add(-time.Second)); !rs[0].Down || rs[0].LinkUp {
		t.Errorf("down member: %+v", rs[0])
	}
}

func TestSourcePublisher(t *testing.T) {
	now := time.Unix(0, 0)
	var got []*Topology
	p := publisher{group: "g", log: zap.NewNop(), now: func() time.Time { return now }, fn: func(t *Topology) { got = append(got, t) }}
	rep := func(lag int64) []Replica { return []Replica{{Addr: "r:1", LinkUp: true, LagBytes: lag}} }

	p.update(MasterUnknown, "", "starting", nil)
	now = now.Add(time.Second)
	p.update(MasterUnknown, "", "starting", nil) // nothing new
	p.update(MasterUnknown, "", "waiting for b", nil)
	now = now.Add(time.Second)
	p.update(MasterConfirmed, "a:1", "a reports master", rep(0))
	now = now.Add(time.Second)
	p.update(MasterConfirmed, "a:1", "a reports master again", rep(10)) // lag only: Since, Reason kept
	p.update(MasterConfirmed, "a:1", "x", rep(10))                      // nothing new
	now = now.Add(time.Second)
	p.update(MasterChanging, "a:1", "+sdown", rep(10))
	now = now.Add(time.Second)
	p.update(MasterConfirmed, "b:1", "b reports master", nil)

	type row struct {
		gen    uint64
		state  MasterState
		master string
		since  int64
		reason string
		reps   int
	}
	var rows []row
	for _, t := range got {
		rows = append(rows, row{t.Generation, t.State, t.Master, t.Since.Unix(), t.Reason, len(t.Replicas)})
		if t.Group != "g" {
			t.Group = "changed" // must not matter: each is a new value
		}
	}
	want := []row{
		{1, MasterUnknown, "", 0, "starting", 0},
		{2, MasterUnknown, "", 0, "waiting for b", 0},
		{3, MasterConfirmed, "a:1", 2, "a reports master", 1},
		{4, MasterConfirmed, "a:1", 2, "a reports master", 1},
		{5, MasterChanging, "a:1", 4, "+sdown", 1},
		{6, MasterConfirmed, "b:1", 5, "b reports master", 0},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("published:\n got %+v\nwant %+v", rows, want)
	}
	if got[2] == got[3] || got[2].Replicas[0].LagBytes != 0 {
		t.Error("a published topology was modified")
	}

	// With a lag gap, a change of lag alone waits for the gap; a change
	// of health does not.
	got = nil
	p.lagGap = time.Second
	p.update(MasterConfirmed, "b:1", "b", rep(0))
	now = now.Add(500 * time.Millisecond)
	p.update(MasterConfirmed, "b:1", "b", rep(5))                                // held back
	p.update(MasterConfirmed, "b:1", "b", []Replica{{Addr: "r:1", LagBytes: 5}}) // link down: published
	now = now.Add(500 * time.Millisecond)
	p.update(MasterConfirmed, "b:1", "b", []Replica{{Addr: "r:1", LagBytes: 9}}) // held back
	now = now.Add(500 * time.Millisecond)
	p.update(MasterConfirmed, "b:1", "b", []Replica{{Addr: "r:1", LagBytes: 9}}) // gap passed
	var lags []int64
	for _, tp := range got {
		lags = append(lags, tp.Replicas[0].LagBytes)
	}
	if !reflect.DeepEqual(lags, []int64{0, 5, 9}) || got[1].Replicas[0].LinkUp {
		t.Errorf("with a lag gap, published lags %v", lags)
	}
}

// staticStep is one step of a static judge scenario: feed an observation
// or an alarm, then expect the state.
type staticStep struct {
	at     int // seconds from t0
	obs    []nodeObs
	alarm  bool
	state  MasterState
	master string
	reason string // substring of the reason
	rogue  string
}

func TestSourceStaticJudge(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const a, b, c = "a:1", "b:1", "c:1"
	master := func(addr string, s int) nodeObs { return obs(addr, at(s), "master") }
	slave := func(addr string, s int) nodeObs { return obs(addr, at(s), "slave") }
	down := func(addr string, s int) nodeObs { return failed(addr, at(s)) }
	// Fall 2, rise 2 throughout.
	cases := []struct {
		name  string
		steps []staticStep
	}{
		{"start: waits for every node", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0)}, state: MasterUnknown, reason: "first check of every node"},
			{at: 0, obs: []nodeObs{slave(c, 0)}, state: MasterConfirmed, master: a, reason: "only healthy node"},
		}},
		{"start: a down node counts as checked", []staticStep{
			{at: 0, obs: []nodeObs{down(a, 0), master(b, 0), slave(c, 0)}, state: MasterConfirmed, master: b},
		}},
		{"start: two masters, none trusted", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), master(b, 0), slave(c, 0)}, state: MasterUnknown, reason: "2 nodes report role master (a:1,b:1)", rogue: "a:1,b:1"},
			{at: 1, obs: []nodeObs{slave(a, 1)}, state: MasterConfirmed, master: b},
		}},
		{"start: no master", []staticStep{
			{at: 0, obs: []nodeObs{slave(a, 0), slave(b, 0), down(c, 0)}, state: MasterUnknown, reason: "no healthy node reports role master"},
		}},
		{"master killed, replica promoted, old master back as master", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 1, obs: []nodeObs{down(a, 1)}, state: MasterConfirmed, master: a}, // fall 2: one failure is not enough
			{at: 2, obs: []nodeObs{down(a, 2)}, state: MasterChanging, master: a, reason: "a:1 is down"},
			{at: 3, obs: []nodeObs{master(b, 3)}, state: MasterConfirmed, master: b},
			{at: 4, obs: []nodeObs{master(a, 4)}, state: MasterConfirmed, master: b}, // rise 2: not up yet
			{at: 5, obs: []nodeObs{master(a, 5)}, state: MasterConfirmed, master: b, rogue: "a:1"},
			{at: 6, obs: []nodeObs{slave(a, 6)}, state: MasterConfirmed, master: b},
		}},
		{"old master back before a promotion: a second master, none trusted", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 1, obs: []nodeObs{down(a, 1), down(a, 2)}, state: MasterChanging, master: a},
			{at: 3, obs: []nodeObs{master(b, 3), master(a, 3), master(a, 4)}, state: MasterChanging, master: a, reason: "a:1 is down", rogue: "a:1,b:1"},
		}},
		{"master demoted to replica, another promoted", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 1, obs: []nodeObs{slave(a, 1)}, state: MasterChanging, master: a, reason: "a:1 reports role slave"},
			{at: 1, obs: []nodeObs{master(b, 1)}, state: MasterConfirmed, master: b},
		}},
		{"master down, two others report master", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 1, obs: []nodeObs{down(a, 1), down(a, 2), master(b, 2), master(c, 2)}, state: MasterChanging, master: a, reason: "2 nodes report role master (b:1,c:1)", rogue: "b:1,c:1"},
		}},
		{"recheck: distrusted until a later check", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 5, alarm: true, state: MasterChanging, master: a, reason: "recheck: -READONLY"},
			{at: 5, obs: []nodeObs{master(a, 4)}, state: MasterChanging, master: a},
			{at: 6, obs: []nodeObs{master(a, 6)}, state: MasterConfirmed, master: a},
		}},
		{"recheck of a demoted master", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 0), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 5, alarm: true, state: MasterChanging, master: a},
			{at: 6, obs: []nodeObs{slave(a, 6), master(b, 6)}, state: MasterConfirmed, master: b},
		}},
		{"loading master not trusted", []staticStep{
			{at: 0, obs: []nodeObs{obs(a, at(0), "master", loading), slave(b, 0), slave(c, 0)}, state: MasterUnknown, reason: "a:1 is loading"},
			{at: 1, obs: []nodeObs{master(a, 1)}, state: MasterConfirmed, master: a},
		}},
		{"an old check does not override a newer one", []staticStep{
			{at: 0, obs: []nodeObs{master(a, 5), slave(b, 0), slave(c, 0)}, state: MasterConfirmed, master: a},
			{at: 6, obs: []nodeObs{slave(a, 3)}, state: MasterConfirmed, master: a},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := newStaticJudge([]string{a, b, c}, 2, 2)
			for i, st := range tc.steps {
				if st.alarm {
					j.alarm("recheck: -READONLY", at(st.at))
				}
				for _, o := range st.obs {
					j.observe(o)
				}
				rogue := j.evaluate()
				if j.state != st.state || j.master != st.master || !strings.Contains(j.reason, st.reason) || rogue != st.rogue {
					t.Fatalf("step %d: state %v master %q reason %q rogue %q; want %v %q %q %q",
						i, j.state, j.master, j.reason, rogue, st.state, st.master, st.reason, st.rogue)
				}
			}
		})
	}
}

func TestSourceStaticJudgeReplicas(t *testing.T) {
	t0 := time.Unix(1000, 0)
	const a, b, c = "a:1", "b:1", "c:1"
	j := newStaticJudge([]string{a, b, c}, 2, 1)
	j.observe(obs(a, t0, "master", func(o *nodeObs) {
		o.offset = 900
		o.slaves = []slaveLine{{addr: b, state: "online", offset: 800, lag: 2}}
	}))
	j.observe(obs(b, t0, "slave", func(o *nodeObs) { o.linkUp, o.masterAddr, o.offset = true, a, 850 }))
	j.observe(failed(c, t0))
	j.evaluate()
	want := []Replica{
		{Addr: b, LinkUp: true, LagBytes: 50, LagSeconds: 2},
		{Addr: c, Down: true, LagBytes: -1, LagSeconds: -1},
	}
	if got := j.replicas(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// One failed check (fall 2): b stays up, with its last good view.
	j.observe(failed(b, t0.Add(time.Second)))
	if got := j.replicas(); got[0].Down || !got[0].LinkUp {
		t.Errorf("after one failure: %+v", got[0])
	}
	j.observe(failed(b, t0.Add(2*time.Second)))
	if got := j.replicas(); !got[0].Down || got[0].LinkUp {
		t.Errorf("after two failures: %+v", got[0])
	}
}

func TestSourceEmbeddedJudge(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const a, b = "127.0.0.1:6379", "127.0.0.1:6380"
	named := func(addr string) sentinelView { return sentinelView{known: true, named: addr, stored: addr} }
	type step struct {
		at     int // ms
		view   sentinelView
		obs    []nodeObs
		alarm  string
		state  MasterState
		master string
		reason string
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"confirmed on name and role", []step{
			{at: 0, view: named(a), state: MasterUnknown, reason: "no role check of " + a},
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
		}},
		{"a node reporting slave is not confirmed", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "slave")}, state: MasterUnknown, reason: a + " reports role slave"},
		}},
		{"unknown group, stopped sentinel", []step{
			{at: 10, view: sentinelView{}, obs: []nodeObs{obs(a, at(5), "master")}, state: MasterUnknown, reason: "does not monitor"},
			{at: 10, view: named(a), state: MasterConfirmed, master: a},
			{at: 20, view: sentinelView{stopped: true}, state: MasterChanging, master: a, reason: "stopped"},
		}},
		{"checks age out", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 3004, view: named(a), state: MasterConfirmed, master: a},
			{at: 3005, view: named(a), state: MasterChanging, master: a, reason: "no role check of " + a + " since the staleness window"},
		}},
		{"failed check unseats the master", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: named(a), obs: []nodeObs{failed(a, at(15))}, state: MasterChanging, master: a, reason: "role check of " + a + " failed"},
		}},
		{"sentinel flags", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: sentinelView{known: true, named: a, stored: a, flags: []string{"master", "s_down"}}, state: MasterChanging, master: a, reason: "flags " + a + " s_down"},
		}},
		{"alarm, then a check from before it, then one after", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: named(a), alarm: a, state: MasterChanging, master: a, reason: "+sdown"},
			{at: 30, view: named(a), obs: []nodeObs{obs(a, at(19), "master")}, state: MasterChanging, master: a},
			{at: 40, view: named(a), obs: []nodeObs{obs(a, at(21), "master")}, state: MasterConfirmed, master: a},
		}},
		{"alarm about another node changes nothing", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: named(a), alarm: b, state: MasterConfirmed, master: a},
		}},
		{"failover: promoted replica confirmed once it reports master", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 2000, view: named(a), obs: []nodeObs{failed(a, at(1000))}, state: MasterChanging, master: a},
			// The leader names the promoted replica while SENTINEL MASTER
			// still stores the old master with failover_in_progress.
			{at: 3000, view: sentinelView{known: true, named: b, stored: a, flags: []string{"master", "o_down", "failover_in_progress"}},
				obs: []nodeObs{obs(b, at(2999), "slave")}, state: MasterChanging, master: a},
			{at: 3100, view: sentinelView{known: true, named: b, stored: a, flags: []string{"master", "o_down", "failover_in_progress"}},
				obs: []nodeObs{obs(b, at(3050), "master")}, state: MasterConfirmed, master: b},
		}},
		{"failover not promoted yet: in progress on the named master", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: sentinelView{known: true, named: a, stored: a, flags: []string{"master", "failover_in_progress"}}, state: MasterChanging, master: a, reason: "failover_in_progress"},
		}},
		{"direct switch between evaluations", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master"), obs(b, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: named(b), state: MasterConfirmed, master: b},
		}},
		{"restarted old master booting as master is not believed", []step{
			{at: 10, view: named(b), obs: []nodeObs{obs(b, at(5), "master")}, state: MasterConfirmed, master: b},
			{at: 20, view: named(b), obs: []nodeObs{obs(a, at(15), "master")}, state: MasterConfirmed, master: b},
		}},
		{"sentinel names a node that reports slave", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master")}, state: MasterConfirmed, master: a},
			{at: 20, view: named(b), obs: []nodeObs{obs(b, at(15), "slave")}, state: MasterChanging, master: a, reason: "the embedded sentinel names " + b + ": " + b + " reports role slave"},
		}},
		{"loading master", []step{
			{at: 10, view: named(a), obs: []nodeObs{obs(a, at(5), "master", loading)}, state: MasterUnknown, reason: "loading"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := newEmbeddedJudge(3 * time.Second)
			for i, st := range tc.steps {
				for _, o := range st.obs {
					j.observe(o)
				}
				if st.alarm != "" {
					j.alarm(st.alarm, "+sdown "+st.alarm, at(st.at))
				}
				j.evaluate(st.view, at(st.at))
				if j.state != st.state || j.master != st.master || !strings.Contains(j.reason, st.reason) {
					t.Fatalf("step %d: state %v master %q reason %q; want %v %q %q",
						i, j.state, j.master, j.reason, st.state, st.master, st.reason)
				}
			}
		})
	}
}

func TestSourceNewSourceValidation(t *testing.T) {
	for _, c := range []struct {
		g    GroupConfig
		want string
	}{
		{GroupConfig{Name: "m"}, "0 topology sources"},
		{GroupConfig{Name: "m", Static: &StaticConfig{Nodes: []string{"a:1"}}, Sentinels: &ExternalConfig{Addrs: []string{"s:1"}}}, "2 topology sources"},
		{GroupConfig{Name: "my master", Static: &StaticConfig{Nodes: []string{"a:1"}}}, "invalid group name"},
		{GroupConfig{Name: "m", NodeUser: "u", Static: &StaticConfig{Nodes: []string{"a:1"}}}, "node-user set without node-pass"},
		{GroupConfig{Name: "m", Static: &StaticConfig{}}, "no nodes"},
		{GroupConfig{Name: "m", Static: &StaticConfig{Nodes: []string{"a"}}}, "want host:port"},
		{GroupConfig{Name: "m", Static: &StaticConfig{Nodes: []string{"a:1", "a:1"}}}, "listed twice"},
		{GroupConfig{Name: "m", Sentinels: &ExternalConfig{}}, "no sentinels"},
		{GroupConfig{Name: "m", Embedded: &EmbeddedConfig{}}, "no config file"},
		{GroupConfig{Name: "m", Embedded: &EmbeddedConfig{ConfigFile: "/nonexistent/sentinel.conf"}}, "embedded sentinel"},
	} {
		s, err := NewSource(&c.g, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.g, err, c.want)
			if s != nil {
				s.Close()
			}
		}
	}
}
