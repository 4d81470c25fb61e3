package sentinel

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The watcher's decisions, driven by transcripts. Each line is
//
//	@<ms> <op> <args...> [-> <master|-> <stable|changing> [changed|restored|changing]]
//
// at <ms> milliseconds of a synthetic clock. Ops:
//
//	ans <i> <addr|-> [stored=<addr>] [odown] [failover] [asked=<ms>]
//	    sentinel i answers that the master is addr ("-": unknown name);
//	    stored (default: addr) is SENTINEL MASTER's address, which the
//	    flags concern; asked is when the poll was sent (default: now)
//	down <i>               sentinel i could not be polled
//	role <addr> <role|-> [asked=<ms>]   a role check ("-": it failed)
//	alarm <addr>           +odown / +switch-master / Suspect about addr
//	tick                   time passes
//	target <addr|-> [due]  assert roleTarget
//
// Without "->" a line asserts that nothing changed; with it, the state
// after the line and the transition it made (none unless named).
// Addresses are opaque to the state, so single letters stand for nodes.
// The staleness window is 3 s.

const watchTestStale = 3 * time.Second

var watchTranscripts = []struct {
	name      string
	sentinels int
	script    string
}{
	{"majority of 3 and the role check are both needed", 3, `
		@0 ans 0 A
		@0 role A master
		@0 target -
		@10 ans 1 A -> A stable changed
		@10 target A
		@20 ans 2 A`},
	{"the role check comes last", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 target A due
		@5 role A master -> A stable changed
		@5 target A`},
	{"majority of 5 is 3", 5, `
		@0 role A master
		@0 ans 0 A
		@0 ans 1 A
		@0 ans 2 C
		@0 ans 4 -
		@0 ans 3 A -> A stable changed
		@100 ans 0 B -> A changing changing
		@100 ans 1 B
		@100 role B master
		@200 ans 4 B -> B stable changed`},
	{"majority of 4 is 3, a tie is not enough", 4, `
		@0 role A master
		@0 role B master
		@0 ans 0 A
		@0 ans 1 A
		@0 ans 2 B
		@0 ans 3 B
		@10 ans 3 A -> A stable changed`},
	{"split answers confirm nothing", 3, `
		@0 role A master
		@0 role B master
		@0 role C master
		@0 ans 0 A
		@0 ans 1 B
		@0 ans 2 C
		@0 target -`},
	{"a split among stable answers ends trust", 3, `
		@0 role A master
		@0 ans 0 A
		@0 ans 1 A -> A stable changed
		@0 ans 2 A
		@100 ans 1 B
		@200 ans 2 C -> A changing changing
		@300 ans 2 A -> A stable restored`},
	{"stale answers stop counting", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 role A master -> A stable changed
		@1000 role A master
		@2000 role A master
		@2999 tick
		@3000 tick -> A changing changing
		@3500 ans 0 A
		@3500 ans 1 A -> A stable restored`},
	{"a stale role check stops counting", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 role A master -> A stable changed
		@1000 ans 0 A
		@1000 ans 1 A
		@2000 ans 0 A
		@2000 ans 1 A
		@3000 tick -> A changing changing
		@3000 target A due
		@3100 role A master -> A stable restored`},
	{"an answer to an older poll does not replace a newer one", 3, `
		@100 role A master
		@100 ans 0 A
		@100 ans 1 A -> A stable changed
		@150 ans 1 B asked=50
		@150 role A slave asked=20
		@200 tick`},
	{"one rogue sentinel of 3 is never followed", 3, `
		@0 role A master
		@0 role B master
		@0 ans 2 B
		@0 ans 0 A
		@0 ans 1 A -> A stable changed
		@500 ans 2 B
		@1000 ans 2 B
		@1000 target A`},
	{"one rogue sentinel of 5 is never followed", 5, `
		@0 role B master
		@0 ans 4 B
		@0 ans 0 A
		@0 ans 1 A
		@0 role A master
		@10 ans 2 A -> A stable changed
		@20 ans 3 A
		@30 down 0
		@50 ans 4 B
		@60 down 1 -> A changing changing
		@70 ans 4 B
		@80 ans 0 A -> A stable restored`},
	{"a node reporting slave is not confirmed", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 ans 2 A
		@0 role A slave
		@0 target A
		@100 role A master -> A stable changed
		@200 role A slave -> A changing changing
		@300 role A - -> A changing
		@400 role A master -> A stable restored`},
	{"a restarted old master booting as master is never believed", 3, `
		@0 ans 0 B
		@0 ans 1 B
		@0 ans 2 B
		@0 role B master -> B stable changed
		@100 role A master
		@100 ans 2 A
		@200 tick
		@300 role B - -> B changing changing
		@400 role A master
		@400 ans 0 B
		@400 ans 1 B
		@400 target B
		@500 tick`},
	{"a failover: old master flagged, then the promoted replica", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 ans 2 A
		@0 role A master -> A stable changed
		@1000 role A - -> A changing changing
		@1100 ans 0 A odown
		@1100 ans 1 A odown
		@1100 role A master
		@1100 target A
		@1200 ans 0 B stored=A failover
		@1200 role B master
		@1300 ans 1 B stored=B -> B stable changed
		@1300 target B
		@1400 ans 2 A stored=A odown`},
	{"flags on the candidate block it", 3, `
		@0 role A master
		@0 ans 0 A stored=A failover
		@0 ans 1 A
		@0 ans 2 A
		@100 ans 0 A stored=A odown
		@200 ans 0 A -> A stable changed
		@300 ans 2 A stored=A odown -> A changing changing
		@400 ans 2 B stored=A odown
		@500 ans 2 A -> A stable restored`},
	{"an alarm voids older evidence", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 role A master -> A stable changed
		@100 alarm A -> A changing changing
		@150 tick
		@150 target A due
		@200 role A master asked=90
		@200 ans 0 A asked=90
		@200 ans 1 A asked=90
		@300 role A master asked=110
		@300 ans 0 A asked=110
		@310 ans 1 A asked=110 -> A stable restored`},
	{"an alarm about another node leaves a stable master alone", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 role A master -> A stable changed
		@100 alarm B
		@200 tick`},
	{"while changing, any alarm voids the evidence", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 role A master -> A stable changed
		@50 role A - -> A changing changing
		@100 ans 0 B
		@100 ans 1 B
		@150 alarm B
		@200 role B master asked=120
		@300 role B master
		@400 ans 0 B
		@410 ans 1 B -> B stable changed`},
	{"unreachable sentinels stop counting at once", 3, `
		@0 ans 0 A
		@0 ans 1 A
		@0 ans 2 A
		@0 role A master -> A stable changed
		@100 down 1
		@200 down 2 -> A changing changing
		@300 ans 2 A -> A stable restored`},
	{"sentinels that do not know the name count for nobody", 3, `
		@0 role A master
		@0 ans 0 -
		@0 ans 1 -
		@0 ans 2 A
		@0 target -`},
	{"a single sentinel is its own majority", 1, `
		@0 ans 0 A
		@0 role A master -> A stable changed
		@100 down 0 -> A changing changing`},
	{"nothing to check before any answer", 3, `
		@0 target -
		@0 role A master
		@0 target -`},
}

func TestWatchStateTranscripts(t *testing.T) {
	for _, tc := range watchTranscripts {
		t.Run(tc.name, func(t *testing.T) {
			runWatchTranscript(t, tc.sentinels, tc.script)
		})
	}
}

func runWatchTranscript(t *testing.T, n int, script string) {
	t.Helper()
	var addrs []string
	for i := 0; i < n; i++ {
		addrs = append(addrs, fmt.Sprintf("s%d:26379", i))
	}
	st := newWatchState(addrs, watchTestStale)
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(s string) time.Time {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("bad time %q", s)
		}
		return t0.Add(time.Duration(v) * time.Millisecond)
	}
	for ln, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		where := fmt.Sprintf("line %d %q", ln+1, line)
		cmd, expect, hasExpect := strings.Cut(line, "->")
		f := strings.Fields(cmd)
		if len(f) < 2 || !strings.HasPrefix(f[0], "@") {
			t.Fatalf("%s: malformed", where)
		}
		now := ms(f[0][1:])
		op, args := f[1], f[2:]
		// Options: key=value and bare words after the positional ones.
		asked := now
		opts := map[string]bool{}
		var pos []string
		for _, a := range args {
			if k, v, ok := strings.Cut(a, "="); ok {
				switch k {
				case "asked":
					asked = ms(v)
				case "stored":
					opts["stored="+v] = true
				default:
					t.Fatalf("%s: unknown option %s", where, k)
				}
				continue
			}
			if a == "odown" || a == "failover" || a == "due" {
				opts[a] = true
				continue
			}
			pos = append(pos, a)
		}
		dash := func(s string) string {
			if s == "-" {
				return ""
			}
			return s
		}
		var ch watchChange
		switch op {
		case "ans":
			i, _ := strconv.Atoi(pos[0])
			a := watchAnswer{Master: dash(pos[1]), Stored: dash(pos[1]), ODown: opts["odown"], Failover: opts["failover"]}
			for k := range opts {
				if s, ok := strings.CutPrefix(k, "stored="); ok {
					a.Stored = s
				}
			}
			ch = st.answer(i, a, asked, now)
		case "down":
			i, _ := strconv.Atoi(pos[0])
			ch = st.unreachable(i, "connection refused", now)
		case "role":
			role, errText := dash(pos[1]), ""
			if role == "" {
				errText = "connection refused"
			}
			ch = st.role(pos[0], role, errText, asked, now)
		case "alarm":
			ch = st.alarm(pos[0], "+odown", now)
		case "tick":
			ch = st.tick(now)
		case "target":
			addr, due := st.roleTarget(now)
			if addr != dash(pos[0]) || due != opts["due"] {
				t.Fatalf("%s: roleTarget = %q due=%v", where, addr, due)
			}
			continue
		default:
			t.Fatalf("%s: unknown op %s", where, op)
		}
		want := watchNoChange
		if hasExpect {
			e := strings.Fields(expect)
			if len(e) < 2 {
				t.Fatalf("%s: malformed expectation", where)
			}
			if st.master != dash(e[0]) || st.stable != (e[1] == "stable") {
				t.Fatalf("%s: state = %q stable=%v (reason %q), want %s", where, st.master, st.stable, st.reason, expect)
			}
			if len(e) > 2 {
				switch e[2] {
				case "changed":
					want = watchToChanged
				case "restored":
					want = watchToRestored
				case "changing":
					want = watchToChanging
				default:
					t.Fatalf("%s: unknown transition %s", where, e[2])
				}
			}
		}
		if ch.kind != want {
			t.Fatalf("%s: transition %v (%+v), want %v; state %q stable=%v reason %q",
				where, ch.kind, ch, want, st.master, st.stable, st.reason)
		}
		if st.stable && st.reason != "" || !st.stable && st.reason == "" {
			t.Fatalf("%s: stable=%v with reason %q", where, st.stable, st.reason)
		}
		if ch.kind == watchToChanged && ch.new != st.master {
			t.Fatalf("%s: changed to %q but state %q", where, ch.new, st.master)
		}
	}
}

// TestWatchStateReasons checks that "changing" explains itself.
func TestWatchStateReasons(t *testing.T) {
	st := newWatchState([]string{"a:1", "b:1", "c:1"}, watchTestStale)
	t0 := time.Unix(1_700_000_000, 0)
	st.answer(0, watchAnswer{Master: "A", Stored: "A"}, t0, t0)
	st.answer(1, watchAnswer{Master: "A", Stored: "A"}, t0, t0)
	if !strings.Contains(st.reason, "no fresh role check of A") {
		t.Errorf("reason %q", st.reason)
	}
	st.role("A", "master", "", t0, t0)
	ch := st.role("A", "slave", "", t0.Add(time.Millisecond), t0.Add(time.Millisecond))
	if ch.kind != watchToChanging || ch.old != "A" || ch.reason != "A reports role slave" {
		t.Errorf("change %+v", ch)
	}
	ch = st.answer(2, watchAnswer{Master: "A", Stored: "A", ODown: true}, t0.Add(2*time.Millisecond), t0.Add(2*time.Millisecond))
	if ch.kind != watchNoChange || st.reason != "sentinel c:1 reports A o_down" {
		t.Errorf("blocked: change %+v reason %q", ch, st.reason)
	}
	st.role("A", "master", "", t0.Add(3*time.Millisecond), t0.Add(3*time.Millisecond))
	if st.reason != "sentinel c:1 reports A o_down" {
		t.Errorf("odown reason %q", st.reason)
	}
	ch = st.alarm("A", "+switch-master from sentinel a:1", t0.Add(4*time.Millisecond))
	if ch.kind != watchNoChange || st.reason != "+switch-master from sentinel a:1" {
		t.Errorf("alarm while changing: %+v %q", ch, st.reason)
	}
}

func TestWatchClassifyEvent(t *testing.T) {
	const m = "mymaster"
	cases := []struct {
		channel, payload string
		relevant         bool
		want             watchSignal
	}{
		{"+switch-master", "mymaster 127.0.0.1 6379 127.0.0.1 6380", true,
			watchSignal{alarm: "127.0.0.1:6379", reason: "+switch-master", replicas: true}},
		{"+switch-master", "other 127.0.0.1 6379 127.0.0.1 6380", false, watchSignal{}},
		{"+switch-master", "mymaster 127.0.0.1", false, watchSignal{}},
		{"+odown", "master mymaster 127.0.0.1 6379 #quorum 2/2", true,
			watchSignal{alarm: "127.0.0.1:6379", reason: "+odown"}},
		{"+odown", "master othermaster 127.0.0.1 6379 #quorum 2/2", false, watchSignal{}},
		{"+try-failover", "master mymaster ::1 6379", true, watchSignal{alarm: "[::1]:6379", reason: "+try-failover"}},
		{"-odown", "master mymaster 127.0.0.1 6379", true, watchSignal{}},
		{"+sdown", "master mymaster 127.0.0.1 6379", true, watchSignal{role: true}},
		{"-sdown", "master mymaster 127.0.0.1 6379", true, watchSignal{role: true}},
		{"+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379", true, watchSignal{replicas: true}},
		{"+sdown", "sentinel 0123abcd 127.0.0.1 26380 @ mymaster 127.0.0.1 6379", true, watchSignal{}},
		{"+sdown", "slave 127.0.0.1:6380 127.0.0.1 6380 @ other 127.0.0.1 6379", false, watchSignal{}},
		{"+slave", "slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379", true, watchSignal{replicas: true}},
		{"+convert-to-slave", "slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380", true,
			watchSignal{alarm: "127.0.0.1:6379", reason: "+convert-to-slave", replicas: true}},
		{"-role-change", "slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380 new reported role is master", true,
			watchSignal{role: true, replicas: true}},
		{"-role-change", "master mymaster 127.0.0.1 6379 new reported role is slave", true,
			watchSignal{alarm: "127.0.0.1:6379", reason: "-role-change to slave", role: true}},
		{"+new-epoch", "7", false, watchSignal{}},
		{"+vote-for-leader", "0123456789abcdef0123456789abcdef01234567 7", false, watchSignal{}},
		{"+tilt", "#tilt mode entered", false, watchSignal{}},
		{"+config-update-from", "sentinel 0123abcd 127.0.0.1 26380 @ mymaster 127.0.0.1 6379", true, watchSignal{}},
	}
	for _, c := range cases {
		got, rel := classifyWatchEvent(m, c.channel, c.payload)
		if rel != c.relevant || got != c.want {
			t.Errorf("%s %q = %+v relevant=%v, want %+v relevant=%v", c.channel, c.payload, got, rel, c.want, c.relevant)
		}
	}
}

func TestWatchMergeReplicas(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	rep := func(addr, flags string, offset int64, link bool) watchReplica {
		var fl []string
		if flags != "" {
			fl = strings.Split(flags, ",")
		}
		return watchReplica{addr: addr, flags: fl, offset: offset, linkOK: link, master: "m:1", priority: 100}
	}
	reports := []watchReplicaReport{
		{has: true, at: t0, list: []watchReplica{
			rep("r1:1", "slave", 100, true), rep("r2:1", "s_down,slave,disconnected", 50, false), rep("m:1", "slave", 10, true)}},
		{has: true, at: t0, list: []watchReplica{
			rep("r1:1", "slave", 120, true), rep("r2:1", "slave", 60, true), rep("r3:1", "slave", 5, true)}},
		// Stale: ignored.
		{has: true, at: t0.Add(-time.Hour), list: []watchReplica{rep("r4:1", "slave", 1, true)}},
		{},
	}
	got := mergeReplicas(reports, t0.Add(-time.Second), "m:1")
	want := []ReplicaInfo{
		{Addr: "r1:1", Healthy: true, LinkUp: true, Offset: 120, Master: "m:1", Priority: 100, Sentinels: 2},
		// One of two healthy: a tie is not a majority.
		{Addr: "r2:1", Healthy: false, LinkUp: false, Offset: 60, Master: "m:1", Priority: 100, Sentinels: 2},
		{Addr: "r3:1", Healthy: true, LinkUp: true, Offset: 5, Master: "m:1", Priority: 100, Sentinels: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merge:\n got %+v\nwant %+v", got, want)
	}
	moved := append([]ReplicaInfo(nil), got...)
	moved[0].Offset = 999
	moved[0].Sentinels = 1
	if !sameReplicaSet(got, moved) {
		t.Error("an offset or reporter-count change counts as a set change")
	}
	moved[1].Healthy = true
	if sameReplicaSet(got, moved) {
		t.Error("a health change does not count")
	}
	if sameReplicaSet(got, got[:2]) {
		t.Error("a lost replica does not count")
	}
}

func TestWatchConfigValidation(t *testing.T) {
	ok := WatcherConfig{MasterName: "mymaster", Sentinels: []string{"127.0.0.1:26379"}}
	if w, err := NewWatcher(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	} else {
		if w.cfg.PollInterval != time.Second || w.cfg.DialTimeout != time.Second || w.cfg.ReplicaInterval != 5*time.Second {
			t.Errorf("defaults: %+v", w.cfg)
		}
		if w.stale != 4*time.Second {
			t.Errorf("stale = %v", w.stale)
		}
		w.Close()
	}
	bad := []func(c *WatcherConfig){
		func(c *WatcherConfig) { c.MasterName = "" },
		func(c *WatcherConfig) { c.MasterName = "my master" },
		func(c *WatcherConfig) { c.Sentinels = nil },
		func(c *WatcherConfig) { c.Sentinels = []string{"127.0.0.1"} },
		func(c *WatcherConfig) { c.Sentinels = []string{"127.0.0.1:0"} },
		func(c *WatcherConfig) { c.Sentinels = []string{"127.0.0.1:26379", "127.0.0.1:26379"} },
		func(c *WatcherConfig) { c.Sentinels = []string{":26379"} },
		func(c *WatcherConfig) { c.SentinelUser = "u" },
		func(c *WatcherConfig) { c.NodeUser = "u" },
		func(c *WatcherConfig) { c.PollInterval = -time.Second },
	}
	for i, mod := range bad {
		c := ok
		c.Sentinels = append([]string(nil), ok.Sentinels...)
		mod(&c)
		if _, err := NewWatcher(c); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
	}
}
