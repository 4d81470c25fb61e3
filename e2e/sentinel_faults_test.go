package e2e

// Fault tests of warden sentinels over real redis-server nodes: garbage
// hellos and bad SENTINEL commands on a running sentinel, malformed
// sentinel.conf files at startup (against what redis-sentinel says of the
// same files), and a restart in the middle of a run.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/redisconf"
	"github.com/wardenhq/warden/internal/testutil"
)

// helloPayload is a hello as sentinels send it (§3.3).
func helloPayload(port int, runid string, curEpoch uint64, master string, masterPort int, cfgEpoch uint64) string {
	return fmt.Sprintf("127.0.0.1,%d,%s,%d,%s,127.0.0.1,%d,%d", port, runid, curEpoch, master, masterPort, cfgEpoch)
}

// fakeRunID is a well-formed sentinel id (40 hex digits) no process has.
func fakeRunID(i int) string { return fmt.Sprintf("%040x", 0xfa4e0000+i) }

// confValue returns the words after the first line of path starting with
// prefix (e.g. "sentinel current-epoch"), or "" if there is none.
func confValue(t testing.TB, path, prefix string) string {
	t.Helper()
	dirs, err := redisconf.ParseFile(path)
	if err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	for _, d := range dirs {
		line := strings.Join(append([]string{d.Name}, d.Args...), " ")
		if strings.HasPrefix(line, prefix+" ") {
			return strings.TrimPrefix(line, prefix+" ")
		}
	}
	return ""
}

// sentinelEvents lists what the sentinel at addr published on channels
// (all channels when none are given), as "channel payload".
func (l *eventLog) sentinelEvents(addr string, channels ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		if e.sentinel != addr {
			continue
		}
		keep := len(channels) == 0
		for _, c := range channels {
			keep = keep || e.channel == c
		}
		if keep {
			out = append(out, e.channel+" "+e.payload)
		}
	}
	return out
}

// waitSentinelEvent waits until the sentinel at addr published channel
// with a payload containing part.
func (g *group) waitSentinelEvent(addr, channel, part string, limit time.Duration) {
	t := g.t
	t.Helper()
	testutil.WaitFor(t, limit, 20*time.Millisecond, func() (bool, string) {
		for _, e := range g.events.sentinelEvents(addr, channel) {
			if strings.Contains(e, part) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s published no %s with %q; it published %q", addr, channel, part,
			g.events.sentinelEvents(addr))
	})
}

// helloEvents are the events a hello can cause.
var helloEvents = []string{"+sentinel", "+new-epoch", "+config-update-from", "+switch-master",
	"+sentinel-address-switch", "+sentinel-invalid-addr", "+sentinel-address-update"}

// masterView is what a sentinel says of the master, the fields garbage
// must not change.
func masterView(t testing.TB, s *sentinelProc) map[string]string {
	t.Helper()
	m, err := s.cli.Master(context.Background(), groupName).Result()
	if err != nil {
		t.Fatalf("SENTINEL MASTER on %s (%s): %v", s.addr(), s.kind, err)
	}
	out := map[string]string{}
	for _, k := range []string{"name", "ip", "port", "flags", "config-epoch", "num-slaves", "num-other-sentinels",
		"quorum", "down-after-milliseconds", "failover-timeout", "parallel-syncs"} {
		out[k] = m[k]
	}
	return out
}

// TestSentinelBadInput feeds a running warden sentinel garbage: hellos
// with broken fields through PUBLISH, SENTINEL commands with bad arguments
// (answered exactly as redis-sentinel answers them), PUBLISH on another
// channel. The sentinel keeps serving, its state and file stay sane, only
// well-formed hellos change anything, and it restarts from its file.
func TestSentinelBadInput(t *testing.T) {
	// A warden and a real sentinel over three real nodes: the real one is
	// the oracle for error texts, and takes the config epoch a
	// well-formed hello gives the warden from the warden's own hellos.
	g := startGroup(t, []kind{real, real, real}, []kind{warden, real})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	w, r := g.sentinels[0], g.sentinels[1]
	m, r1 := g.nodes[0], g.nodes[1]
	wc := testutil.Dial(t, w.addr())
	rc := testutil.Dial(t, r.addr())
	myID := sentinelMyID(t, w)
	if len(myID) != 40 {
		t.Fatalf("SENTINEL MYID = %q", myID)
	}
	before := masterView(t, w)
	epochBefore := confValue(t, w.conf, "sentinel current-epoch")
	ping := func(t *testing.T) {
		t.Helper()
		if got := string(wc.Do("PING")); got != "+PONG\r\n" {
			t.Fatalf("PING answered %q", got)
		}
	}

	t.Run("bad SENTINEL arguments", func(t *testing.T) {
		bad := [][]string{
			{"SENTINEL"},
			{"SENTINEL", "NOSUCHSUB"},
			{"SENTINEL", "master"},
			{"SENTINEL", "master", "nosuch"},
			{"SENTINEL", "master", "\x00\xff\r\n"},
			{"SENTINEL", "replicas", "nosuch"},
			{"SENTINEL", "sentinels", "nosuch"},
			{"SENTINEL", "get-master-addr-by-name", "a", "b"},
			{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "port", "0", "*"},
			{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", strconv.Itoa(m.port), "epoch", "*"},
			{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", "99999999999999999999", "0", "*"},
			{"SENTINEL", "is-master-down-by-addr", "not-an-ip", "1", "0", "*"},
			{"SENTINEL", "monitor", "x", "127.0.0.1", "6379", "quorum"},
			{"SENTINEL", "monitor", "x", "127.0.0.1", "port", "2"},
			{"SENTINEL", "monitor", "x", "127.0.0.1", "6379", "0"},
			{"SENTINEL", "monitor", "x", "127.0.0.1", "70000", "2"},
			{"SENTINEL", "monitor", "x", "not-an-ip", "6379", "2"},
			{"SENTINEL", "monitor", groupName, "127.0.0.1", "6379", "2"},
			{"SENTINEL", "set", groupName, "quorum"},
			{"SENTINEL", "set", groupName, "quorum", "0"},
			{"SENTINEL", "set", groupName, "down-after-milliseconds", "-5"},
			{"SENTINEL", "set", groupName, "failover-timeout", "abc"},
			{"SENTINEL", "set", groupName, "nosuchoption", "1"},
			{"SENTINEL", "set", groupName, "notification-script", "/nonexistent/script"},
			{"SENTINEL", "set", "nosuch", "quorum", "2"},
			{"SENTINEL", "config", "get"},
			{"SENTINEL", "config", "set", "announce-port", "70000"},
			{"SENTINEL", "config", "set", "resolve-hostnames", "maybe"},
			{"SENTINEL", "config", "set", "nosuch", "1"},
			{"SENTINEL", "config", "bogus", "x"},
			{"SENTINEL", "debug", "info-period", "0"},
			{"SENTINEL", "debug", "nosuch", "1"},
			{"SENTINEL", "simulate-failure", "nosuch"},
			{"SENTINEL", "failover", "nosuch"},
			{"SENTINEL", "ckquorum", "nosuch"},
			{"SENTINEL", "remove", "nosuch"},
			{"SENTINEL", "reset"},
			{"SENTINEL", "info-cache"},
			{"SENTINEL", "info-cache", "nosuch"},
			{"SENTINEL", "reset", "nomatch*"},
			{"SENTINEL", "ckquorum"},
			{"SENTINEL", "help", "extra"},
			{"SENTINEL", "myid", "extra"},
			{"SENTINEL", "flushconfig", "extra"},
			{"SENTINEL", "pending-scripts", "extra"},
			{"SENTINEL", "simulate-failure"},
			{"sEnTiNeL", "mAsTeR"},
			{"SENTINEL", "monitor", "x", "127.0.0.1", "-1", "2"},
			{"SENTINEL", "monitor", "x", "127.0.0.1", "6379", "99999999999999999999"},
			{"SENTINEL", "set", groupName, "auth-pass"},
			{"SENTINEL", "set", groupName, "rename-command", "PING"},
			{"SENTINEL", "set", groupName, "down-after-milliseconds", "99999999999999999999"},
			{"SENTINEL", "set", groupName, "master-reboot-down-after-period", "-1"},
			{"SENTINEL", "set", groupName, "parallel-syncs", "0"},
			{"SENTINEL", "set", groupName, "client-reconfig-script", "/nonexistent/script"},
			{"SENTINEL", "debug", "info-period", "abc"},
			{"SENTINEL", "debug", "info-period", "99999999999999999999"},
			{"SENTINEL", "debug", "info-period"},
			{"SENTINEL", "config", "set", "announce-port", "-1"},
			{"SENTINEL", "config", "set", "sentinel-user"},
			{"SENTINEL", "config", "get", "a", "b"},
			{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", strconv.Itoa(m.port), "-1", "*"},
			{"SENTINEL", "is-master-down-by-addr", "127.0.0.1", strconv.Itoa(m.port), "0", "*", "extra"},
			{"PUBLISH", "foo", "bar"},
			{"PUBLISH", "__sentinel__:HELLO", "x"},
			{"PUBLISH", "__sentinel__:hello"},
		}
		for _, args := range bad {
			got, want := wc.Do(args...), rc.Do(args...)
			if !bytes.Equal(got, want) {
				t.Errorf("%q:\n  warden:         %q\n  redis-sentinel: %q", args, got, want)
			}
			ping(t)
		}
		eq(t, "SENTINEL MASTER after bad commands", masterView(t, w), before)
		eq(t, "current-epoch after bad commands", confValue(t, w.conf, "sentinel current-epoch"), epochBefore)
	})

	g.events.reset()
	t.Run("garbage hellos", func(t *testing.T) {
		dead := testutil.FreePorts(t, 2)
		garbage := garbageHellos(dead[0], fakeRunID(0), []string{myID}, r1.port)
		for i, p := range garbage {
			if got := string(wc.Do("PUBLISH", "__sentinel__:hello", p)); got != ":1\r\n" {
				t.Errorf("garbage hello %d (%.80q): PUBLISH answered %q, want :1", i, p, got)
			}
			ping(t)
		}
		// A well-formed hello from a new sentinel marks the end: the
		// events of the garbage, if any, come before its +sentinel.
		marker := fakeRunID(1)
		wc.Do("PUBLISH", "__sentinel__:hello", helloPayload(dead[1], marker, 0, groupName, m.port, 0))
		g.waitSentinelEvent(w.addr(), "+sentinel", marker, 10*time.Second)
		eq(t, "hello events", g.events.sentinelEvents(w.addr(), helloEvents...),
			[]string{fmt.Sprintf("+sentinel sentinel %s 127.0.0.1 %d @ %s 127.0.0.1 %d", marker, dead[1], groupName,
				m.port)})
		after := masterView(t, w)
		eq(t, "num-other-sentinels after the marker", after["num-other-sentinels"], "2")
		after["num-other-sentinels"] = before["num-other-sentinels"]
		eq(t, "SENTINEL MASTER after garbage", after, before)
		eq(t, "current-epoch after garbage", confValue(t, w.conf, "sentinel current-epoch"), epochBefore)
		eq(t, "master address", g.masterAddrs()[w.addr()], m.addr())
	})

	t.Run("other channels", func(t *testing.T) {
		// Not a hello channel: refused, and nothing else happens.
		for _, ch := range []string{"__sentinel__:hellox", "+switch-master", "*"} {
			got := string(wc.Do("PUBLISH", ch, helloPayload(1, fakeRunID(2), 90, groupName, r1.port, 90)))
			if got != "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n" {
				t.Errorf("PUBLISH %s: %q", ch, got)
			}
		}
		ping(t)
		eq(t, "master address", g.masterAddrs()[w.addr()], m.addr())
	})

	// Well-formed hellos do act, whatever their runid's bytes; a greater
	// config epoch with another address moves the master (and back; the
	// real sentinel ends with the same config epoch).
	t.Run("well-formed hellos", func(t *testing.T) {
		dead := testutil.FreePorts(t, 6)
		odd := []string{"has space", "quote\"d 'x'", "new\nline\r", "back\\slash", strings.Repeat("r", 70<<10)}
		for i, runid := range odd {
			wc.Do("PUBLISH", "__sentinel__:hello", helloPayload(dead[i], runid, 0, groupName, m.port, 0))
			g.waitSentinelEvent(w.addr(), "+sentinel", fmt.Sprintf(" 127.0.0.1 %d @", dead[i]), 10*time.Second)
		}
		eq(t, "num-other-sentinels", masterView(t, w)["num-other-sentinels"], strconv.Itoa(2+len(odd)))

		f := fakeRunID(1) // the marker sentinel, known by now
		cur, _ := strconv.ParseUint(epochBefore, 10, 64)
		cfg, _ := strconv.ParseUint(before["config-epoch"], 10, 64)
		send := func(curEpoch uint64, port int, cfgEpoch uint64) {
			t.Helper()
			wc.Do("PUBLISH", "__sentinel__:hello", helloPayload(dead[5], f, curEpoch, groupName, port, cfgEpoch))
		}
		// The marker sentinel, known at dead[1], now says it is at
		// dead[5] (an address switch), with a greater current epoch.
		send(cur+10, m.port, cfg)
		g.waitSentinelEvent(w.addr(), "+sentinel-address-switch",
			fmt.Sprintf("ip 127.0.0.1 port %d for %s", dead[5], f), 10*time.Second)
		g.waitSentinelEvent(w.addr(), "+new-epoch", strconv.FormatUint(cur+10, 10), 10*time.Second)
		send(cur+10, m.port, cfg+5) // same address: epoch adopted, no switch
		testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
			e := masterView(t, w)["config-epoch"]
			return e == strconv.FormatUint(cfg+5, 10), "config-epoch " + e
		})
		if sw := g.events.sentinelEvents(w.addr(), "+switch-master"); len(sw) != 0 {
			t.Fatalf("a greater config epoch for the same address switched: %q", sw)
		}
		send(cur+10, r1.port, cfg+6)
		g.waitSentinelEvent(w.addr(), "+switch-master",
			fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", groupName, m.port, r1.port), 10*time.Second)
		g.waitSentinelEvent(w.addr(), "+config-update-from", f, 10*time.Second)
		// And back, before anything acts on the "master" being a replica.
		send(cur+10, m.port, cfg+7)
		g.waitSentinelEvent(w.addr(), "+switch-master",
			fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", groupName, r1.port, m.port), 10*time.Second)
		g.waitMaster(m.addr(), 20*time.Second)
		testutil.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
			wv, rv := masterView(t, w), masterView(t, r)
			want := strconv.FormatUint(cfg+7, 10)
			return wv["config-epoch"] == want && rv["config-epoch"] == want && wv["num-slaves"] == "2" &&
					rv["num-slaves"] == "2",
				fmt.Sprintf("warden %v, redis-sentinel %v; want config-epoch %s and 2 replicas", wv, rv, want)
		})
		g.checkOneMaster(m)
		ping(t)
	})

	t.Run("restart from the file", func(t *testing.T) {
		want := masterView(t, w)
		want["flags"] = "master"
		epoch := confValue(t, w.conf, "sentinel current-epoch")
		replicas := replicaAddrs(t, w)
		ids := sentinelIDs(t, w)
		w.proc.Stop()
		if err := w.proc.Wait(); err != nil {
			t.Errorf("SIGTERM: the sentinel exited with %v", err)
		}
		if _, err := redisconf.ParseFile(w.conf); err != nil {
			t.Fatalf("config file does not parse after the garbage: %v", err)
		}
		startSentinel(t, w)
		eq(t, "myid after restart", sentinelMyID(t, w), myID)
		eq(t, "current-epoch after restart", confValue(t, w.conf, "sentinel current-epoch"), epoch)
		got := masterView(t, w)
		got["flags"] = strings.TrimSuffix(got["flags"], ",disconnected") // links still opening
		eq(t, "SENTINEL MASTER after restart", got, want)
		eq(t, "replicas after restart", replicaAddrs(t, w), replicas)
		// Every peer, odd runids included, is back under the same id.
		eq(t, "sentinel ids after restart", sentinelIDs(t, w), ids)
		if len(ids) != 7 {
			t.Errorf("%d sentinels known, want 7 (the real one, the marker, 5 odd runids)", len(ids))
		}
		g.waitMaster(m.addr(), 10*time.Second)

		// redis-sentinel loads the file warden wrote, odd runids and all
		// (on an inert copy: no id, every address moved to 127.0.0.2,
		// where nothing of the test listens).
		text, err := os.ReadFile(w.conf)
		must(t, err)
		port := testutil.FreePort(t)
		var lines []string
		for _, l := range strings.Split(string(text), "\n") {
			switch {
			case strings.HasPrefix(l, "sentinel myid "):
				continue
			case strings.HasPrefix(l, "port "):
				l = "port " + strconv.Itoa(port)
			}
			lines = append(lines, strings.ReplaceAll(l, "127.0.0.1", "127.0.0.2"))
		}
		cp := filepath.Join(t.TempDir(), "copy.conf")
		must(t, os.WriteFile(cp, []byte(strings.Join(lines, "\n")), 0o644))
		addr := "127.0.0.2:" + strconv.Itoa(port)
		p := testutil.StartProcess(t, "redis-sentinel", []string{cp}, testutil.PingReady(addr))
		rs := decode(t, "SENTINEL SENTINELS", testutil.Dial(t, addr).Do("SENTINEL", "SENTINELS", groupName))
		var loaded []string
		for _, e := range rs.Elems {
			for i := 0; i+1 < len(e.Elems); i += 2 {
				if e.Elems[i].Str == "runid" {
					loaded = append(loaded, e.Elems[i+1].Str)
				}
			}
		}
		sort.Strings(loaded)
		eq(t, "sentinel ids redis-sentinel loads from warden's file", loaded, ids)
		p.Stop()
	})
}

// TestSentinelBadHelloViaMaster sends the garbage hellos the way hellos
// normally travel: published on the master's __sentinel__:hello channel,
// so two warden sentinels get them as pub/sub messages on their links to
// the master. Neither may change anything; a well-formed hello sent after
// them is taken by both.
func TestSentinelBadHelloViaMaster(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	m, r1 := g.nodes[0], g.nodes[1]
	mc := testutil.Dial(t, m.addr())
	before := map[string]map[string]string{}
	epochs := map[string]string{}
	for _, s := range g.sentinels {
		before[s.addr()] = masterView(t, s)
		epochs[s.addr()] = confValue(t, s.conf, "sentinel current-epoch")
	}
	dead := testutil.FreePorts(t, 2)
	g.events.reset()
	garbage := garbageHellos(dead[0], fakeRunID(0), nil, r1.port)
	for i, p := range garbage {
		// Both sentinels' pub/sub links are subscribed: 2 receivers.
		if got := string(mc.Do("PUBLISH", "__sentinel__:hello", p)); got != ":2\r\n" {
			t.Errorf("garbage hello %d (%.80q): redis-server PUBLISH answered %q, want :2", i, p, got)
		}
	}
	marker := fakeRunID(1)
	mc.Do("PUBLISH", "__sentinel__:hello", helloPayload(dead[1], marker, 0, groupName, m.port, 0))
	for _, s := range g.sentinels {
		g.waitSentinelEvent(s.addr(), "+sentinel", marker, 10*time.Second)
		eq(t, s.addr()+" hello events", g.events.sentinelEvents(s.addr(), helloEvents...),
			[]string{fmt.Sprintf("+sentinel sentinel %s 127.0.0.1 %d @ %s 127.0.0.1 %d", marker, dead[1], groupName,
				m.port)})
		after := masterView(t, s)
		eq(t, s.addr()+" num-other-sentinels after the marker", after["num-other-sentinels"], "2")
		after["num-other-sentinels"] = before[s.addr()]["num-other-sentinels"]
		eq(t, s.addr()+" SENTINEL MASTER after garbage", after, before[s.addr()])
		eq(t, s.addr()+" current-epoch after garbage", confValue(t, s.conf, "sentinel current-epoch"),
			epochs[s.addr()])
		if got := s.raw.Ping(context.Background()).Val(); got != "PONG" {
			t.Errorf("%s PING: %q", s.addr(), got)
		}
	}
	g.waitMaster(m.addr(), 5*time.Second)
}

// garbageHellos are hello payloads a sentinel must ignore as a whole: f
// is a runid the sentinel does not know, port a sentinel port, own the
// ids of the receiving sentinels, other the port of a node that is not
// the master.
func garbageHellos(port int, f string, own []string, other int) []string {
	valid := helloPayload(port, f, 50, groupName, other, 50)
	// Most carry epochs far above ours and a master at another
	// address: were any of them half-applied, it would show.
	garbage := []string{
		"",
		"garbage",
		",,,,,,,",
		strings.Repeat("x", 1<<20),
		"\x00\xff\r\n,1,2,3,4,5,6,7",
		strings.TrimSuffix(valid, ",50"), // 7 fields
		valid + ",extra",                 // 9 fields
		strings.Replace(valid, "127.0.0.1,", ",", 1),                     // empty sentinel ip
		strings.Replace(valid, "127.0.0.1,", "bogus,", 1),                // not an ip
		strings.Replace(valid, ",127.0.0.1,", ",,", 1),                   // empty master ip
		strings.Replace(valid, ",127.0.0.1,", ",x.y,", 1),                // master ip not an ip
		helloPayload(port, "", 50, groupName, other, 50),                 // empty runid
		helloPayload(port, f, 50, "nosuch", other, 50),                   // unknown master
		helloPayload(port, f, 50, strings.ToUpper(groupName), other, 50), // names are case-sensitive
		strings.Replace(valid, strconv.Itoa(port), "abc", 1),
		strings.Replace(valid, strconv.Itoa(port), "-1", 1),
		strings.Replace(valid, strconv.Itoa(port), "65536", 1),
		strings.Replace(valid, strconv.Itoa(port), "99999999999999999999", 1),
		strings.Replace(valid, strconv.Itoa(port), " "+strconv.Itoa(port), 1),
		strings.Replace(valid, ","+f+",50,", ","+f+",x,", 1),
		strings.Replace(valid, ","+f+",50,", ","+f+",-1,", 1),
		strings.Replace(valid, ","+f+",50,", ","+f+",1.5,", 1),
		strings.Replace(valid, ","+f+",50,", ","+f+",,", 1),
		strings.Replace(valid, ","+f+",50,", ","+f+",18446744073709551616,", 1),
		strings.TrimSuffix(valid, "50") + "abc",
		strings.TrimSuffix(valid, "50") + "-3",
		strings.TrimSuffix(valid, "50") + "",
		strings.TrimSuffix(valid, "50") + "99999999999999999999999",
		strings.Replace(valid, ","+strconv.Itoa(other)+",", ",abc,", 1),
		strings.Replace(valid, ","+strconv.Itoa(other)+",", ",-6379,", 1),
		strings.Replace(valid, ","+strconv.Itoa(other)+",", ",70000,", 1),
		strings.Replace(valid, ","+strconv.Itoa(other)+",", ",,", 1),
	}
	for _, id := range own {
		garbage = append(garbage,
			helloPayload(port, id, 50, groupName, other, 50),          // its own id
			helloPayload(port, id+"x", 50, groupName, other, 50),      // its own id inside another
			helloPayload(port, f+id[:2], 50, groupName+id, other, 50)) // and in an unknown master name
	}
	return garbage
}

// replicaAddrs lists the replicas a sentinel knows, sorted.
func replicaAddrs(t testing.TB, s *sentinelProc) []string {
	t.Helper()
	reps, err := s.cli.Replicas(context.Background(), groupName).Result()
	if err != nil {
		t.Fatalf("SENTINEL REPLICAS on %s: %v", s.addr(), err)
	}
	var out []string
	for _, r := range reps {
		out = append(out, r["ip"]+":"+r["port"])
	}
	sort.Strings(out)
	return out
}

// fatalRE matches the block redis-sentinel prints for a bad config line.
var fatalRE = regexp.MustCompile(`\*\*\* FATAL CONFIG FILE ERROR \(Redis [0-9.]+\) \*\*\*\n` +
	`Reading the configuration file, at line ([0-9]+)\n>>> '(.*)'\n(.*)`)

// runBadConf runs bin on a copy of text and returns the exit error, the
// output, and whether the file was left byte for byte as it was.
func runBadConf(t *testing.T, bin string, args []string, text string) (error, string, bool) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	must(t, os.WriteFile(conf, []byte(text), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, conf)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	after, rerr := os.ReadFile(conf)
	must(t, rerr)
	return err, string(out), bytes.Equal(after, []byte(text))
}

// TestSentinelConfigErrors starts `warden sentinel` and redis-sentinel on
// the same malformed files: both must refuse to start with the FATAL
// CONFIG FILE ERROR block naming the same line and reason, and leave the
// file as it was.
func TestSentinelConfigErrors(t *testing.T) {
	redisBin := testutil.RequireBinary(t, "redis-sentinel")
	wardenBin := testutil.BuildWarden(t)
	head := "# sentinel for the fault tests\nport 0\nbind 127.0.0.1\n\n"
	mon := "sentinel monitor mymaster 127.0.0.1 6379 2\n"
	files := []struct{ name, text string }{
		{"quorum 0", head + "sentinel monitor mymaster 127.0.0.1 6379 0\n"},
		{"monitor missing quorum", head + "sentinel monitor mymaster 127.0.0.1 6379\n"},
		{"monitor bad address", head + "sentinel monitor mymaster 256.1.1.1 6379 2\n"},
		{"monitor port out of range", head + "sentinel monitor mymaster 127.0.0.1 65536 2\n"},
		{"monitor twice", head + mon + "sentinel monitor mymaster 127.0.0.2 6380 2\n"},
		{"down-after not a number", head + mon + "sentinel down-after-milliseconds mymaster abc\n"},
		{"failover-timeout negative", head + mon + "sentinel failover-timeout mymaster -1\n"},
		{"unknown master", head + mon + "sentinel parallel-syncs other 1\n"},
		{"short myid", head + "sentinel myid 0123456789\n" + mon},
		{"duplicate known-sentinel", head + mon +
			"sentinel known-sentinel mymaster 127.0.0.1 26380 " + fakeRunID(1) + "\n" +
			"sentinel known-sentinel mymaster 127.0.0.1 26381 " + fakeRunID(1) + "\n"},
		{"duplicate known-replica", head + mon +
			"sentinel known-replica mymaster 127.0.0.1 6380\nsentinel known-slave mymaster 127.0.0.1 6380\n"},
		{"auth-pass without a value", head + mon + "sentinel auth-pass mymaster\n"},
		{"unknown sentinel statement", head + mon + "sentinel frobnicate mymaster 1\n"},
		{"unbalanced quotes", head + "sentinel monitor mymaster \"127.0.0.1 6379 2\n"},
		{"bad redis directive", head + mon + "port notanumber\n"},
		{"unknown redis directive", head + mon + "no-such-directive yes\n"},
		{"CRLF line endings", strings.ReplaceAll(head+mon+"sentinel down-after-milliseconds mymaster 0\n", "\n", "\r\n")},
		{"error after the state lines", head + mon + "sentinel config-epoch mymaster 3\nsentinel leader-epoch mymaster 3\n" +
			"sentinel known-replica mymaster 127.0.0.1 6380\nsentinel current-epoch 3\n# later\n\n" +
			"sentinel deny-scripts-reconfig maybe\n"},
	}
	// Not a bad line, but the same promise: a sentinel that cannot listen
	// (its port is taken) exits non-zero and leaves the file as it was,
	// with no id saved for a sentinel that never ran.
	t.Run("port in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer ln.Close()
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\n%s", ln.Addr().(*net.TCPAddr).Port, mon)
		for _, run := range []struct {
			who  string
			bin  string
			args []string
		}{{"redis-sentinel", redisBin, nil}, {"warden sentinel", wardenBin, []string{"sentinel"}}} {
			err, out, unchanged := runBadConf(t, run.bin, run.args, text)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("%s on a port in use: %v, want exit status 1; output:\n%s", run.who, err, out)
			}
			if !unchanged {
				t.Errorf("%s changed the file though it could not start; output:\n%s", run.who, out)
			}
		}
	})
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			rerr, rout, runchanged := runBadConf(t, redisBin, nil, f.text)
			werr, wout, wunchanged := runBadConf(t, wardenBin, []string{"sentinel"}, f.text)
			var ee *exec.ExitError
			if !errors.As(rerr, &ee) {
				t.Fatalf("redis-sentinel did not fail (%v), so the file is no test:\n%s", rerr, rout)
			}
			if !errors.As(werr, &ee) || ee.ExitCode() != 1 {
				t.Errorf("warden sentinel: %v, want exit status 1; output:\n%s", werr, wout)
			}
			if !runchanged {
				t.Errorf("redis-sentinel changed the file")
			}
			if !wunchanged {
				t.Errorf("warden sentinel changed the file")
			}
			rm, wm := fatalRE.FindStringSubmatch(rout), fatalRE.FindStringSubmatch(wout)
			if rm == nil {
				t.Fatalf("redis-sentinel printed no FATAL CONFIG FILE ERROR block:\n%s", rout)
			}
			if wm == nil {
				t.Fatalf("warden sentinel printed no FATAL CONFIG FILE ERROR block:\n%s", wout)
			}
			eq(t, "line, text and reason (warden vs redis-sentinel)", wm[1:], rm[1:])
			t.Logf("line %s %q: %s", rm[1], rm[2], rm[3])
		})
	}
}

// TestSentinelRestartResumes stops one of three warden sentinels with
// SIGTERM after a failover and starts it again on the same file while
// every other process is frozen (SIGSTOP), so nothing it knows can come
// from INFO or hellos: its id, epochs, replicas and peers must come from
// the file. Then the group runs again and a failover led by the restarted
// sentinel is followed by the others, which it could not be had it lost
// its epoch.
func TestSentinelRestartResumes(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	ctx := context.Background()
	// A first failover gives the group a non-zero epoch to remember.
	g.waitReplicasSettled()
	lead := g.sentinels[0]
	must(t, lead.cli.Failover(ctx, groupName).Err())
	master := g.waitNewMaster(g.nodes[0], 60*time.Second)
	for _, n := range g.nodes {
		if n != master {
			g.waitReplicaOf(n, master, 60*time.Second)
		}
	}
	g.waitDiscovered(2, 2)
	g.waitReplicasSettled()

	s := g.sentinels[1]
	myID := sentinelMyID(t, s)
	before := masterView(t, s)
	epoch := confValue(t, s.conf, "sentinel current-epoch")
	replicas := replicaAddrs(t, s)
	peerIDs := func(of *sentinelProc) []string { return sentinelIDs(t, of) }
	peers := peerIDs(s)
	if before["config-epoch"] == "0" || epoch == "" || epoch == "0" {
		t.Fatalf("no epoch after the failover: config-epoch %s, current-epoch %q", before["config-epoch"], epoch)
	}

	s.proc.Stop()
	if err := s.proc.Wait(); err != nil {
		t.Errorf("SIGTERM: the sentinel exited with %v", err)
	}
	var frozen []*testutil.Proc
	for _, n := range g.nodes {
		frozen = append(frozen, n.proc)
	}
	for _, o := range g.sentinels {
		if o != s {
			frozen = append(frozen, o.proc)
		}
	}
	thaw := func() {
		for _, p := range frozen {
			_ = p.Signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	for _, p := range frozen {
		must(t, p.Signal(syscall.SIGSTOP))
	}
	frozenAt := time.Now()
	startSentinel(t, s)
	eq(t, "myid after restart", sentinelMyID(t, s), myID)
	got := masterView(t, s)
	// Nothing answers yet: the links are pending, so the flags may say
	// disconnected; everything else is the file's.
	eq(t, "flags after restart", strings.Split(got["flags"], ",")[0], "master")
	got["flags"] = before["flags"]
	eq(t, "SENTINEL MASTER after restart, before any INFO or hello", got, before)
	eq(t, "replicas after restart", replicaAddrs(t, s), replicas)
	eq(t, "peers after restart", peerIDs(s), peers)
	eq(t, "current-epoch after restart", confValue(t, s.conf, "sentinel current-epoch"), epoch)
	thaw()
	t.Logf("restart checked %v after freezing the group", time.Since(frozenAt).Round(time.Millisecond))

	// The others still know it by the same id, and it leads a failover
	// they follow (its failover epoch beats the config epoch they have).
	g.waitDiscovered(2, 2)
	for _, o := range g.sentinels {
		if o != s && !strings.Contains(strings.Join(peerIDs(o), " "), myID) {
			t.Errorf("%s does not list the restarted sentinel's id %s: %v", o.addr(), myID, peerIDs(o))
		}
	}
	g.waitReplicasSettled()
	g.events.reset()
	testutil.WaitFor(t, 30*time.Second, 200*time.Millisecond, func() (bool, string) {
		err := s.cli.Failover(ctx, groupName).Err()
		return err == nil, fmt.Sprintf("SENTINEL FAILOVER on the restarted sentinel: %v", err)
	})
	next := g.waitNewMaster(master, 60*time.Second)
	prev, _ := strconv.ParseUint(epoch, 10, 64)
	want := strconv.FormatUint(prev+1, 10)
	testutil.WaitFor(t, 20*time.Second, 50*time.Millisecond, func() (bool, string) {
		for _, o := range g.sentinels {
			if e := masterView(t, o)["config-epoch"]; e != want {
				return false, fmt.Sprintf("%s has config-epoch %s, want %s", o.addr(), e, want)
			}
		}
		return true, ""
	})
	for _, n := range g.nodes {
		if n != next {
			g.waitReplicaOf(n, next, 60*time.Second)
		}
	}
	g.checkOneMaster(next)

	// kill -9 instead of SIGTERM: no last save, so the file must have
	// been current all along (it is rewritten on every state change).
	g.waitDiscovered(2, 2)
	g.waitReplicasSettled()
	k := g.sentinels[2]
	kID := sentinelMyID(t, k)
	kBefore := masterView(t, k)
	kEpoch := confValue(t, k.conf, "sentinel current-epoch")
	kReplicas, kPeers := replicaAddrs(t, k), peerIDs(k)
	eq(t, "current-epoch before kill -9", kEpoch, want)
	k.proc.Kill()
	frozen = frozen[:0]
	for _, n := range g.nodes {
		frozen = append(frozen, n.proc)
	}
	for _, o := range g.sentinels {
		if o != k {
			frozen = append(frozen, o.proc)
		}
	}
	for _, p := range frozen {
		must(t, p.Signal(syscall.SIGSTOP))
	}
	startSentinel(t, k)
	eq(t, "myid after kill -9", sentinelMyID(t, k), kID)
	kGot := masterView(t, k)
	eq(t, "flags after kill -9", strings.Split(kGot["flags"], ",")[0], "master")
	kGot["flags"] = kBefore["flags"]
	eq(t, "SENTINEL MASTER after kill -9, before any INFO or hello", kGot, kBefore)
	eq(t, "replicas after kill -9", replicaAddrs(t, k), kReplicas)
	eq(t, "peers after kill -9", peerIDs(k), kPeers)
	eq(t, "current-epoch after kill -9", confValue(t, k.conf, "sentinel current-epoch"), kEpoch)
	thaw()
	g.waitDiscovered(2, 2)
	g.waitMaster(next.addr(), 10*time.Second)
}

// sentinelMyID is SENTINEL MYID.
func sentinelMyID(t testing.TB, s *sentinelProc) string {
	t.Helper()
	id, err := s.raw.Do(context.Background(), "SENTINEL", "MYID").Text()
	if err != nil {
		t.Fatalf("SENTINEL MYID on %s: %v", s.addr(), err)
	}
	return id
}

// sentinelIDs lists the runids of the sentinels s knows, sorted.
func sentinelIDs(t testing.TB, s *sentinelProc) []string {
	t.Helper()
	ss, err := s.cli.Sentinels(context.Background(), groupName).Result()
	if err != nil {
		t.Fatalf("SENTINEL SENTINELS on %s: %v", s.addr(), err)
	}
	var ids []string
	for _, e := range ss {
		ids = append(ids, e["runid"])
	}
	return sorted(ids)
}

// TestSentinelRestartMidFailover stops the leader of a failover with
// SIGTERM while it reconfigures the replicas (after +promoted-slave) and
// starts it again on the same file. Redis does not persist the failover
// state, but the file already names the promoted replica with the new
// config epoch, so the restarted sentinel resumes on the new master; the
// group converges with one promotion only and every node following it.
func TestSentinelRestartMidFailover(t *testing.T) {
	g := startGroup(t, []kind{real, real, real}, []kind{warden, warden, warden})
	defer func() {
		if t.Failed() {
			t.Logf("events:\n%s", g.events)
		}
	}()
	ctx := context.Background()
	g.waitReplicasSettled()
	lead := g.sentinels[0]
	myID := sentinelMyID(t, lead)
	old := g.nodes[0]
	g.events.reset()
	must(t, lead.cli.Failover(ctx, groupName).Err())
	testutil.WaitFor(t, 30*time.Second, 2*time.Millisecond, func() (bool, string) {
		return len(g.events.sentinelEvents(lead.addr(), "+failover-state-reconf-slaves")) > 0,
			fmt.Sprintf("the leader published %q", g.events.sentinelEvents(lead.addr()))
	})
	lead.proc.Stop()
	if err := lead.proc.Wait(); err != nil {
		t.Errorf("SIGTERM: the sentinel exited with %v", err)
	}
	ended := g.events.sentinelEvents(lead.addr(), "+failover-end")
	t.Logf("leader stopped after %q; failover ended before the stop: %v",
		g.events.sentinelEvents(lead.addr(), "+promoted-slave"), len(ended) > 0)
	promoted := g.events.sentinelEvents(lead.addr(), "+promoted-slave")
	if len(promoted) != 1 {
		t.Fatalf("promotions: %q", promoted)
	}
	var next *node
	for _, n := range g.nodes {
		if strings.Contains(promoted[0], fmt.Sprintf(" 127.0.0.1 %d @", n.port)) {
			next = n
		}
	}
	if next == nil || next == old {
		t.Fatalf("promoted %q is not a replica of the group", promoted[0])
	}
	// The file names the promoted replica and the failover's epoch.
	eq(t, "monitor line after the stop", confValue(t, lead.conf, "sentinel monitor"),
		fmt.Sprintf("%s 127.0.0.1 %d 2", groupName, next.port))
	epoch := confValue(t, lead.conf, "sentinel config-epoch")
	eq(t, "current-epoch after the stop", confValue(t, lead.conf, "sentinel current-epoch"),
		strings.TrimPrefix(epoch, groupName+" "))

	startSentinel(t, lead)
	eq(t, "myid after restart", sentinelMyID(t, lead), myID)
	mv := masterView(t, lead)
	eq(t, "master after restart", mv["ip"]+":"+mv["port"], next.addr())
	eq(t, "config-epoch after restart", groupName+" "+mv["config-epoch"], epoch)

	g.waitMaster(next.addr(), 30*time.Second)
	for _, n := range g.nodes {
		if n != next {
			g.waitReplicaOf(n, next, 60*time.Second)
		}
	}
	g.checkOneMaster(next)
	g.waitDiscovered(2, 2)
	for _, s := range g.sentinels {
		eq(t, s.addr()+" config-epoch", groupName+" "+masterView(t, s)["config-epoch"], epoch)
	}
	if n := len(g.events.who("+promoted-slave")); n != 1 {
		t.Errorf("%d promotions, want 1: %v", n, g.events.who("+promoted-slave"))
	}
	if n := len(g.events.who("+elected-leader")); n != 1 {
		t.Errorf("%d elections won, want 1: %v", n, g.events.who("+elected-leader"))
	}
}
