package core

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/redisconf"
	"github.com/wardenhq/warden/internal/testutil"
)

// These tests hold the config, entry and error code against a real
// redis-sentinel 7.0: the same state must give the same field lists, the
// same bad commands the same errors, the same file the same rewrite. They
// skip when redis-server or redis-sentinel is not installed.

// cfReply is a decoded RESP2 reply (the oracle's, parsed independently of
// internal/resp).
type cfReply struct {
	kind byte // '+', '-', ':', '$', '*'
	str  string
	null bool
	arr  []cfReply
}

func cfParse(t testing.TB, b []byte) cfReply {
	t.Helper()
	r, rest, err := cfParseOne(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("bad reply %q: %v", b, err)
	}
	return r
}

func cfParseOne(b []byte) (cfReply, []byte, error) {
	i := strings.Index(string(b), "\r\n")
	if len(b) == 0 || i < 0 {
		return cfReply{}, nil, fmt.Errorf("truncated")
	}
	r := cfReply{kind: b[0], str: string(b[1:i])}
	rest := b[i+2:]
	switch r.kind {
	case '+', '-', ':':
		return r, rest, nil
	case '$':
		n, err := strconv.Atoi(r.str)
		if err != nil {
			return r, nil, err
		}
		if n < 0 {
			r.null, r.str = true, ""
			return r, rest, nil
		}
		if len(rest) < n+2 {
			return r, nil, fmt.Errorf("short bulk")
		}
		r.str = string(rest[:n])
		return r, rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(r.str)
		if err != nil {
			return r, nil, err
		}
		if n < 0 {
			r.null = true
			return r, rest, nil
		}
		for k := 0; k < n; k++ {
			var e cfReply
			if e, rest, err = cfParseOne(rest); err != nil {
				return r, nil, err
			}
			r.arr = append(r.arr, e)
		}
		return r, rest, nil
	}
	return r, nil, fmt.Errorf("unknown type %q", r.kind)
}

// pairs reads a flat name/value array; every element must be a bulk
// string (Redis sends the numbers of these replies as bulk strings).
func (r cfReply) pairs(t testing.TB) [][2]string {
	t.Helper()
	if r.kind != '*' || len(r.arr)%2 != 0 {
		t.Fatalf("not a flat map: %+v", r)
	}
	var out [][2]string
	for i := 0; i < len(r.arr); i += 2 {
		k, v := r.arr[i], r.arr[i+1]
		if k.kind != '$' || v.kind != '$' {
			t.Fatalf("field %q: types %c %c, want bulk strings", k.str, k.kind, v.kind)
		}
		out = append(out, [2]string{k.str, v.str})
	}
	return out
}

type cfOracle struct {
	t    testing.TB
	conn *testutil.RawConn
	conf string
	addr string
}

func (o cfOracle) do(args ...string) cfReply {
	o.t.Helper()
	return cfParse(o.t, o.conn.Do(args...))
}

// cfStartSentinel starts redis-sentinel on a free port with the given
// config text (a port and bind line are prepended).
func cfStartSentinel(t *testing.T, conf string) cfOracle {
	t.Helper()
	bin := testutil.RequireBinary(t, "redis-sentinel")
	port := testutil.FreePort(t)
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\n", port) + conf
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	testutil.StartProcess(t, bin, []string{path}, testutil.PingReady(addr))
	return cfOracle{t: t, conn: testutil.Dial(t, addr), conf: path, addr: addr}
}

// cfTimeKeys are entry fields whose values are clocks; the interop tests
// compare their presence and position only.
var cfTimeKeys = map[string]bool{
	"last-ping-sent": true, "last-ok-ping-reply": true, "last-ping-reply": true, "info-refresh": true,
	"role-reported-time": true, "last-hello-message": true, "s-down-time": true, "o-down-time": true,
	// Whether a PING is in flight at the moment of the query.
	"link-pending-commands": true,
}

func cfCompareEntry(t *testing.T, what string, got, want [][2]string) {
	t.Helper()
	if !reflect.DeepEqual(cfKeys(got), cfKeys(want)) {
		t.Errorf("%s fields:\n ours %q\nredis %q", what, cfKeys(got), cfKeys(want))
		return
	}
	for i := range got {
		if !cfTimeKeys[got[i][0]] && got[i][1] != want[i][1] {
			t.Errorf("%s %s: ours %q, redis %q", what, got[i][0], got[i][1], want[i][1])
		}
	}
}

func TestConfigInteropEntries(t *testing.T) {
	testutil.RequireBinary(t, "redis-sentinel")
	master := testutil.StartRedis(t)
	replica := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port()))
	rc := testutil.Dial(t, replica.Addr())
	testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, func() (bool, string) {
		info := cfParse(t, rc.Do("INFO", "replication")).str
		return strings.Contains(info, "master_link_status:up"), "replica link not up"
	})
	conf := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2\n"+
		"sentinel down-after-milliseconds mymaster 5000\nsentinel failover-timeout mymaster 20000\n", master.Port())
	s1 := cfStartSentinel(t, conf)
	cfStartSentinel(t, conf) // a second sentinel, for SENTINELS

	// Wait until s1 knows the replica (with its INFO) and s2.
	var realM, realR, realS [][2]string
	testutil.WaitFor(t, 20*time.Second, 100*time.Millisecond, func() (bool, string) {
		realM = s1.do("SENTINEL", "MASTER", "mymaster").pairs(t)
		reps := s1.do("SENTINEL", "REPLICAS", "mymaster")
		sents := s1.do("SENTINEL", "SENTINELS", "mymaster")
		if len(reps.arr) != 1 || len(sents.arr) != 1 {
			return false, fmt.Sprintf("%d replicas, %d sentinels", len(reps.arr), len(sents.arr))
		}
		realR, realS = reps.arr[0].pairs(t), sents.arr[0].pairs(t)
		if cfField(realR, "master-link-status") != "ok" || cfField(realR, "flags") != "slave" ||
			cfField(realM, "flags") != "master" || cfField(realS, "flags") != "sentinel" ||
			cfField(realR, "runid") == "" {
			return false, fmt.Sprintf("not settled: %q / %q / %q", realM, realR, realS)
		}
		return true, ""
	})

	// The same state in a core: the config, then what monitoring learns.
	c, _ := cfLoad(t, conf)
	now := cfT0.Add(time.Minute)
	m := c.Master("mymaster")
	m.RunID = cfField(realM, "runid")
	m.Link.CC, m.Link.PC = true, true
	m.InfoRefresh = now
	raddr := Addr{"127.0.0.1", replica.Port()}
	r := c.newInstance(KindReplica, raddr.String(), raddr, m, now)
	r.RunID = cfField(realR, "runid")
	r.Link.CC, r.Link.PC = true, true
	r.InfoRefresh = now
	r.SlaveMasterHost, r.SlaveMasterPort, r.SlaveMasterLinkUp = "127.0.0.1", master.Port(), true
	r.SlaveReplOffset, _ = strconv.ParseInt(cfField(realR, "slave-repl-offset"), 10, 64)
	sport, _ := strconv.Atoi(cfField(realS, "port"))
	s := c.newInstance(KindSentinel, cfField(realS, "runid"), Addr{"127.0.0.1", sport}, m, now)
	s.RunID = s.Name
	s.Link.CC = true

	cfCompareEntry(t, "master", c.Entry(m, now), realM)
	cfCompareEntry(t, "replica", c.Entry(r, now), realR)
	cfCompareEntry(t, "sentinel", c.Entry(s, now), realS)

	if got, want := c.DebugValues(), s1.do("SENTINEL", "DEBUG").pairs(t); !reflect.DeepEqual(got, want) {
		t.Errorf("DEBUG:\n ours %q\nredis %q", got, want)
	}
	if got, want := c.ConfigGet("*"), s1.do("SENTINEL", "CONFIG", "GET", "*").pairs(t); !reflect.DeepEqual(got, want) {
		t.Errorf("CONFIG GET *:\n ours %q\nredis %q", got, want)
	}
	if got, want := c.ConfigGet("*HOST*"), s1.do("SENTINEL", "CONFIG", "GET", "*HOST*").pairs(t); !reflect.DeepEqual(got, want) {
		t.Errorf("CONFIG GET *HOST*:\n ours %q\nredis %q", got, want)
	}
	info := s1.do("INFO", "sentinel").str
	body, ok := strings.CutPrefix(info, "# Sentinel\r\n")
	if !ok {
		t.Fatalf("INFO sentinel: %q", info)
	}
	if got := c.InfoSection(now, 0, 0); got != body {
		t.Errorf("INFO sentinel:\n ours %q\nredis %q", got, body)
	}

	// INFO-CACHE: same shape (names and how many INFO texts), the texts
	// being whatever each side last read.
	real := s1.do("SENTINEL", "INFO-CACHE", "mymaster", "nope")
	if len(real.arr) != 2 || real.arr[0].str != "mymaster" || len(real.arr[1].arr) != 2 {
		t.Fatalf("INFO-CACHE reply %+v", real)
	}
	m.Info, r.Info = "x", "y"
	ours := c.InfoCache([]string{"mymaster", "nope"}, now)
	if len(ours) != 1 || ours[0].Name != "mymaster" || len(ours[0].Infos) != len(real.arr[1].arr) {
		t.Fatalf("INFO-CACHE ours %+v", ours)
	}
	for i, item := range real.arr[1].arr {
		if len(item.arr) != 2 || item.arr[0].kind != ':' || item.arr[1].kind != '$' || !ours[0].Infos[i].Cached {
			t.Errorf("INFO-CACHE item %d: %+v", i, item)
		}
	}
}

func TestConfigInteropErrors(t *testing.T) {
	testutil.RequireBinary(t, "redis-sentinel")
	down := testutil.FreePort(t) // nothing listens there
	conf := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2\n", down)
	o := cfStartSentinel(t, conf)
	c, _ := cfLoad(t, conf)
	set := func(name string, args ...string) func() error {
		return func() error { return c.Set(name, args, cfT0) }
	}
	cases := []struct {
		cmd  []string
		ours func() error
	}{
		{[]string{"SET", "mymaster", "quorum", "0"}, set("mymaster", "quorum", "0")},
		{[]string{"SET", "mymaster", "Quorum", "x"}, set("mymaster", "Quorum", "x")},
		{[]string{"SET", "mymaster", "down-after-milliseconds", "-1"}, set("mymaster", "down-after-milliseconds", "-1")},
		{[]string{"SET", "mymaster", "failover-timeout", "0"}, set("mymaster", "failover-timeout", "0")},
		{[]string{"SET", "mymaster", "parallel-syncs", " 1"}, set("mymaster", "parallel-syncs", " 1")},
		{[]string{"SET", "mymaster", "master-reboot-down-after-period", "-1"}, set("mymaster", "master-reboot-down-after-period", "-1")},
		{[]string{"SET", "mymaster", "bogus", "1"}, set("mymaster", "bogus", "1")},
		{[]string{"SET", "mymaster", "quorum", "2", "parallel-syncs"}, set("mymaster", "quorum", "2", "parallel-syncs")},
		{[]string{"SET", "mymaster", "rename-command", "PING"}, set("mymaster", "rename-command", "PING")},
		{[]string{"SET", "mymaster", "rename-command", "", "X"}, set("mymaster", "rename-command", "", "X")},
		{[]string{"SET", "mymaster", "rename-command", "X", ""}, set("mymaster", "rename-command", "X", "")},
		{[]string{"SET", "mymaster", "notification-script", "/bin/true"}, set("mymaster", "notification-script", "/bin/true")},
		{[]string{"SET", "mymaster", "client-reconfig-script", ""}, set("mymaster", "client-reconfig-script", "")},
		{[]string{"SET", "nosuch", "quorum", "1"}, set("nosuch", "quorum", "1")},
		{[]string{"MONITOR", "m2", "127.0.0.1", "1", "x"}, func() error { return c.Monitor("m2", "127.0.0.1", "1", "x", cfT0) }},
		{[]string{"MONITOR", "m2", "127.0.0.1", "x", "1"}, func() error { return c.Monitor("m2", "127.0.0.1", "x", "1", cfT0) }},
		{[]string{"MONITOR", "m2", "127.0.0.1", "1", "0"}, func() error { return c.Monitor("m2", "127.0.0.1", "1", "0", cfT0) }},
		{[]string{"MONITOR", "m2", "localhost", "1", "1"}, func() error { return c.Monitor("m2", "localhost", "1", "1", cfT0) }},
		{[]string{"MONITOR", "m2", "not-an-ip", "1", "1"}, func() error { return c.Monitor("m2", "not-an-ip", "1", "1", cfT0) }},
		{[]string{"MONITOR", "m2", "127.0.0.1", "65536", "1"}, func() error { return c.Monitor("m2", "127.0.0.1", "65536", "1", cfT0) }},
		{[]string{"MONITOR", "mymaster", "127.0.0.1", "1", "1"}, func() error { return c.Monitor("mymaster", "127.0.0.1", "1", "1", cfT0) }},
		{[]string{"REMOVE", "nosuch"}, func() error { return c.Remove("nosuch") }},
		{[]string{"CONFIG", "SET", "loglevel", "debug"}, func() error { return c.ConfigSet("loglevel", "debug") }},
		{[]string{"CONFIG", "SET", "Resolve-Hostnames", "1"}, func() error { return c.ConfigSet("Resolve-Hostnames", "1") }},
		{[]string{"CONFIG", "SET", "announce-port", "65536"}, func() error { return c.ConfigSet("announce-port", "65536") }},
		{[]string{"CONFIG", "SET", "announce-port", "1x"}, func() error { return c.ConfigSet("announce-port", "1x") }},
		{[]string{"DEBUG", "info-period", "0"}, func() error { return c.Debug([]string{"info-period", "0"}) }},
		{[]string{"DEBUG", "Ping-Period", "x"}, func() error { return c.Debug([]string{"Ping-Period", "x"}) }},
		{[]string{"DEBUG", "nope", "1"}, func() error { return c.Debug([]string{"nope", "1"}) }},
		{[]string{"DEBUG", "tilt-period"}, func() error { return c.Debug([]string{"tilt-period"}) }},
		{[]string{"SIMULATE-FAILURE", "bogus"}, func() error { _, err := c.SetSimulateFailure([]string{"bogus"}); return err }},
	}
	for _, tc := range cases {
		real := o.do(append([]string{"SENTINEL"}, tc.cmd...)...)
		if real.kind != '-' {
			t.Errorf("SENTINEL %q: redis answered %+v, not an error", tc.cmd, real)
			continue
		}
		if got := cfErrText(tc.ours()); got != real.str {
			t.Errorf("SENTINEL %q:\n ours %q\nredis %q", tc.cmd, got, real.str)
		}
	}
	help := o.do("SENTINEL", "SIMULATE-FAILURE", "crash-after-election", "HELP")
	var names []string
	for _, e := range help.arr {
		names = append(names, e.str)
	}
	if !reflect.DeepEqual(names, SimulateFailureHelp) {
		t.Errorf("SIMULATE-FAILURE HELP: redis %q, ours %q", names, SimulateFailureHelp)
	}
	// Leave the oracle with no simulated failure armed.
	o.do("SENTINEL", "SIMULATE-FAILURE", "help")
}

// cfSentinelLines keeps the lines a sentinel's rewrite is responsible
// for: comments, blanks and `sentinel` directives, each normalised through
// the tokenizer (Redis always quotes announce-ip; warden quotes only when
// needed). Other directives, and the "# Generated by CONFIG REWRITE" line
// that Redis may add for them alone, belong to the server part of the
// rewrite; runs of blanks left by removing them count as one. Redis writes
// the known-replica and known-sentinel lines of a master in hash-table
// order, warden in sorted order: their positions are compared (as the
// directive name), their contents as a sorted list, returned second.
func cfSentinelLines(t testing.TB, text string) (lines, known []string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if l == "" || (strings.HasPrefix(l, "#") && l != redisconf.RewriteSignature) {
			if l == "" && len(lines) > 0 && lines[len(lines)-1] == "" {
				continue
			}
			lines = append(lines, l)
			continue
		}
		w, err := redisconf.SplitArgs(l)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if len(w) < 2 || !strings.EqualFold(w[0], "sentinel") {
			continue
		}
		if k := strings.ToLower(w[1]); k == "known-replica" || k == "known-sentinel" {
			known = append(known, strings.Join(w, " "))
			lines = append(lines, "sentinel "+k)
			continue
		}
		lines = append(lines, strings.Join(w, "\x00"))
	}
	sort.Strings(known)
	return lines, known
}

// cfSameRewrite compares our rewritten file with Redis's (see
// cfSentinelLines); blanks says whether blank lines count.
func cfSameRewrite(t *testing.T, ours, redis string, blanks bool) {
	t.Helper()
	drop := func(ls []string) []string {
		if blanks {
			return ls
		}
		var out []string
		for _, l := range ls {
			if l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	gl, gk := cfSentinelLines(t, ours)
	wl, wk := cfSentinelLines(t, redis)
	if gl, wl = drop(gl), drop(wl); !reflect.DeepEqual(gl, wl) {
		t.Fatalf("rewrite differs:\n ours %q\nredis %q", gl, wl)
	}
	if !reflect.DeepEqual(gk, wk) {
		t.Fatalf("known-* lines differ:\n ours %q\nredis %q", gk, wk)
	}
}

func TestConfigInteropRewrite(t *testing.T) {
	testutil.RequireBinary(t, "redis-sentinel")
	ports := testutil.FreePorts(t, 4) // addresses nobody listens on
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	exe, err := filepath.Abs("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		conf string
		// then: SENTINEL commands applied to both sides before a second
		// comparison.
		then [][]string
	}{
		{name: "tcl start test", conf: strings.Replace(strings.Replace(cfStartTestConf, "port 20000\n", "", 1),
			"dir ./sentinel_0\n", "", 1)},
		{name: "observed", conf: strings.NewReplacer("46381", p(0), "46379", p(1), "46380", p(2), "46500", p(3),
			"46502", p(3), "port 46501\n", "", "daemonize yes\n", "", "bind 127.0.0.1\n", "",
			"pidfile \"/var/lib/sentinel/pid\"\n", "", "logfile \"/var/lib/sentinel/log.txt\"\n", "",
			"dir \"/var/lib/sentinel\"\n", "").Replace(cfObservedConf),
			then: [][]string{
				{"SET", "mymaster", "quorum", "1", "down-after-milliseconds", "30000", "failover-timeout", "9000"},
				{"CONFIG", "SET", "announce-port", "5000"},
				{"CONFIG", "SET", "resolve-hostnames", "yes"},
			}},
		{name: "everything", conf: `sentinel myid 0123456789abcdef0123456789abcdef01234567
sentinel monitor m 127.0.0.1 ` + p(0) + ` 2
# a comment between
sentinel down-after-milliseconds m 6000
sentinel failover-timeout m 60000
sentinel parallel-syncs m 3
sentinel notification-script m ` + exe + `
sentinel client-reconfig-script m ` + exe + `
sentinel auth-pass m secret
sentinel auth-user m bob
sentinel master-reboot-down-after-period m 5000
sentinel config-epoch m 4
sentinel leader-epoch m 3
sentinel known-replica m 127.0.0.1 ` + p(1) + `
sentinel known-sentinel m 127.0.0.1 ` + p(2) + ` aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
sentinel rename-command m config cfg
sentinel current-epoch 5
sentinel announce-ip 127.0.0.1
sentinel announce-port 26999
sentinel sentinel-user su
sentinel sentinel-pass sp
sentinel deny-scripts-reconfig yes
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
`,
			then: [][]string{
				{"SET", "m", "parallel-syncs", "1", "auth-pass", "", "master-reboot-down-after-period", "0",
					"rename-command", "config", "config", "rename-command", "slaveof", "so"},
				{"CONFIG", "SET", "announce-port", "0"},
				{"CONFIG", "SET", "resolve-hostnames", "no"},
				{"CONFIG", "SET", "sentinel-pass", ""},
				{"CONFIG", "SET", "announce-ip", "10.0.0.1"},
				{"REMOVE", "m"},
				{"MONITOR", "n", "127.0.0.1", p(3), "1"},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := cfStartSentinel(t, tc.conf)
			if r := o.do("SENTINEL", "FLUSHCONFIG"); r.kind != '+' {
				t.Fatalf("FLUSHCONFIG: %+v", r)
			}
			realText, err := os.ReadFile(o.conf)
			if err != nil {
				t.Fatal(err)
			}
			orig := fmt.Sprintf("port %s\nbind 127.0.0.1\n", strings.Split(o.addr, ":")[1]) + tc.conf

			c, _ := newCfCore(t)
			c.Executable = func(p string) bool {
				fi, err := os.Stat(p)
				return err == nil && fi.Mode()&0o111 != 0
			}
			if err := c.LoadConfig(cfDirs(t, orig), cfT0); err != nil {
				t.Fatal(err)
			}
			id := o.do("SENTINEL", "MYID").str
			fresh := c.MyID == ""
			c.MyID = id
			ours := cfRewrite(t, c, orig)
			if fresh {
				// Redis saved once at start (to keep its new id) and
				// once for FLUSHCONFIG.
				ours = cfRewrite(t, c, ours)
			}
			cfSameRewrite(t, ours, string(realText), true)
			if tc.then == nil {
				return
			}
			// Apply the same commands; both sides then save. Redis saved
			// once per command, so compare the directives only (the
			// blank lines depend on how many saves happened).
			for _, cmd := range tc.then {
				if r := o.do(append([]string{"SENTINEL"}, cmd...)...); r.kind != '+' {
					t.Fatalf("SENTINEL %q: %+v", cmd, r)
				}
				var err error
				switch cmd[0] {
				case "SET":
					err = c.Set(cmd[1], cmd[2:], cfT0)
				case "CONFIG":
					err = c.ConfigSet(cmd[2], cmd[3])
				case "REMOVE":
					err = c.Remove(cmd[1])
				case "MONITOR":
					err = c.Monitor(cmd[1], cmd[2], cmd[3], cmd[4], cfT0)
				}
				if err != nil {
					t.Fatalf("ours %q: %v", cmd, err)
				}
				ours = cfRewrite(t, c, ours)
			}
			if r := o.do("SENTINEL", "FLUSHCONFIG"); r.kind != '+' {
				t.Fatalf("FLUSHCONFIG: %+v", r)
			}
			realText, err = os.ReadFile(o.conf)
			if err != nil {
				t.Fatal(err)
			}
			ours = cfRewrite(t, c, ours)
			cfSameRewrite(t, ours, string(realText), false)
		})
	}
}

// TestConfigInteropLoadErrors starts redis-sentinel on bad files and checks
// that LoadConfig refuses the same line with the same reason.
func TestConfigInteropLoadErrors(t *testing.T) {
	bin := testutil.RequireBinary(t, "redis-sentinel")
	const mon = "sentinel monitor m 127.0.0.1 6379 2\n"
	files := []string{
		mon + "sentinel bogus 1\n",
		"sentinel monitor m 127.0.0.1 6379 0\n",
		"sentinel monitor m 127.0.0.1 70000 2\n",
		"sentinel monitor m localhost 6379 2\n",
		mon + "sentinel monitor m 127.0.0.2 6379 2\n",
		mon + "sentinel failover-timeout x 10\n",
		mon + "sentinel down-after-milliseconds m 0\n",
		mon + "sentinel master-reboot-down-after-period m -1\n",
		"sentinel myid 123\n",
		mon + "sentinel rename-command m PING A\nsentinel rename-command m ping B\n",
		mon + "sentinel notification-script m /nonexistent/script\n",
		mon + "sentinel client-reconfig-script m /nonexistent/script\n",
		mon + "sentinel known-replica m 127.0.0.1 6380\nsentinel known-slave m 127.0.0.1 6380\n",
		mon + "sentinel known-sentinel m 127.0.0.1 1 abc\nsentinel known-sentinel m 127.0.0.1 2 abc\n",
		"sentinel deny-scripts-reconfig maybe\n",
		"sentinel resolve-hostnames 1\n",
		"sentinel announce-hostnames x\n",
		// The passes: the monitor fails first though it comes last.
		"sentinel parallel-syncs m 1\nsentinel monitor m 127.0.0.1 6379 0\n",
	}
	for _, text := range files {
		path := filepath.Join(t.TempDir(), "sentinel.conf")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		p := testutil.StartProcess(t, bin, []string{path}, nil)
		if err := p.Wait(); err == nil {
			t.Errorf("redis-sentinel accepted %q", text)
			continue
		}
		out := strings.TrimRight(p.Output(), "\n")
		i := strings.LastIndex(out, "\n>>> '")
		if i < 0 {
			t.Errorf("no FATAL CONFIG FILE ERROR for %q:\n%s", text, out)
			continue
		}
		lines := strings.Split(out[i+1:], "\n")
		badLine := strings.TrimSuffix(strings.TrimPrefix(lines[0], ">>> '"), "'")
		reason := lines[len(lines)-1]

		c, _ := newCfCore(t)
		c.Executable = func(p string) bool { _, err := os.Stat(p); return err == nil }
		dirs := cfDirs(t, text)
		err := c.LoadConfig(dirs, cfT0)
		ce, ok := err.(*ConfigError)
		if !ok {
			t.Errorf("%q: LoadConfig gave %v; redis said %q at %q", text, err, reason, badLine)
			continue
		}
		if ce.Reason != reason || "sentinel "+strings.Join(dirs[ce.Index], " ") != badLine {
			t.Errorf("%q:\n ours %q at %q\nredis %q at %q", text, ce.Reason,
				"sentinel "+strings.Join(dirs[ce.Index], " "), reason, badLine)
		}
	}
}
