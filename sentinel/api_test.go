package sentinel

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

func TestSentinelEntryShapes(t *testing.T) {
	redis, s := startMonitored(t, "sentinel down-after-milliseconds mymaster 5000\n")
	for _, proto := range []int{2, 3} {
		c := testutil.Dial(t, s.Addr())
		if proto == 3 {
			c.Do("HELLO", "3")
		}
		keys, vals := pairs(t, do(t, c, "SENTINEL", "MASTER", "mymaster"), proto)
		if !sameStrings(keys, masterFields) {
			t.Fatalf("RESP%d MASTER fields:\n got %v\nwant %v", proto, keys, masterFields)
		}
		e := entryMap(keys, vals)
		want := map[string]string{"name": "mymaster", "ip": "127.0.0.1", "port": strconv.Itoa(redis.Port()),
			"flags": "master", "link-refcount": "1", "down-after-milliseconds": "5000", "role-reported": "master",
			"config-epoch": "0", "num-slaves": "0", "num-other-sentinels": "0", "quorum": "2",
			"failover-timeout": "180000", "parallel-syncs": "1"}
		for k, v := range want {
			if e[k] != v {
				t.Errorf("RESP%d MASTER %s = %q, want %q", proto, k, e[k], v)
			}
		}
		if len(e["runid"]) != 40 {
			t.Errorf("RESP%d MASTER runid = %q", proto, e["runid"])
		}
		ms := do(t, c, "SENTINEL", "MASTERS")
		if ms.Type != '*' || len(ms.Elems) != 1 {
			t.Fatalf("RESP%d MASTERS: %+v", proto, ms)
		}
		if keys, _ := pairs(t, ms.Elems[0], proto); !sameStrings(keys, masterFields) {
			t.Fatalf("RESP%d MASTERS fields: %v", proto, keys)
		}
		for _, sub := range []string{"REPLICAS", "SLAVES", "SENTINELS"} {
			if v := do(t, c, "SENTINEL", sub, "mymaster"); v.Type != '*' || len(v.Elems) != 0 {
				t.Fatalf("RESP%d %s: %+v", proto, sub, v)
			}
		}
		// CONFIG GET and DEBUG are maps of bulk strings too.
		keys, vals = pairs(t, do(t, c, "SENTINEL", "CONFIG", "GET", "*"), proto)
		if !sameStrings(keys, []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port",
			"sentinel-user", "sentinel-pass"}) || vals[3] != "0" {
			t.Fatalf("RESP%d CONFIG GET *: %v %v", proto, keys, vals)
		}
		keys, vals = pairs(t, do(t, c, "SENTINEL", "DEBUG"), proto)
		if len(keys) != 13 || keys[0] != "INFO-PERIOD" || vals[0] != "200" || keys[12] != "SCRIPT-RETRY-DELAY" {
			t.Fatalf("RESP%d DEBUG: %v %v", proto, keys, vals)
		}
	}
}

func TestSentinelGetMasterAddrBytes(t *testing.T) {
	redis, s := startMonitored(t, "")
	p := strconv.Itoa(redis.Port())
	want := fmt.Sprintf("*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%s\r\n", len(p), p)
	if got := string(s.conn.Do("SENTINEL", "get-master-addr-by-name", "mymaster")); got != want {
		t.Fatalf("GET-MASTER-ADDR-BY-NAME = %q, want %q", got, want)
	}
	if got := string(s.conn.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch")); got != "*-1\r\n" {
		t.Fatalf("unknown master, RESP2: %q", got)
	}
	c3 := testutil.Dial(t, s.Addr())
	c3.Do("HELLO", "3")
	if got := string(c3.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")); got != want {
		t.Fatalf("RESP3 GET-MASTER-ADDR-BY-NAME = %q, want %q", got, want)
	}
	if got := string(c3.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch")); got != "_\r\n" {
		t.Fatalf("unknown master, RESP3: %q", got)
	}
	if got := string(s.conn.Do("SENTINEL", "MASTER", "nosuch")); got != "-ERR No such master with that name\r\n" {
		t.Fatalf("MASTER nosuch = %q", got)
	}
}

// TestSentinelCommandErrors checks reply bytes of the argument errors: the
// table's arity check, unknown subcommands, and each command's own checks.
func TestSentinelCommandErrors(t *testing.T) {
	s := startAPISentinel(t, writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 6379 2\n"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"SENTINEL"}, "-ERR wrong number of arguments for 'sentinel' command\r\n"},
		{[]string{"SENTINEL", "FOO"}, "-ERR unknown subcommand 'FOO'. Try SENTINEL HELP.\r\n"},
		{[]string{"sentinel", "masters", "x"}, "-ERR wrong number of arguments for 'sentinel|masters' command\r\n"},
		{[]string{"SENTINEL", "MASTER"}, "-ERR wrong number of arguments for 'sentinel|master' command\r\n"},
		{[]string{"SENTINEL", "MYID", "x"}, "-ERR wrong number of arguments for 'sentinel|myid' command\r\n"},
		{[]string{"SENTINEL", "HELP", "x"}, "-ERR wrong number of arguments for 'sentinel|help' command\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "quorum"}, "-ERR wrong number of arguments for 'sentinel|set' command\r\n"},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0"}, "-ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command\r\n"},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "1.5", "*"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", " 6379", "1", "*"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "q"}, "-ERR Invalid quorum\r\n"},
		{[]string{"SENTINEL", "MONITOR", "x", "127.0.0.1", "p", "2"}, "-ERR Invalid port\r\n"},
		{[]string{"SENTINEL", "MONITOR", "x", "127.0.0.1", "6379", "0"}, "-ERR Quorum must be 1 or greater.\r\n"},
		{[]string{"SENTINEL", "MONITOR", "x", "no-such-host.invalid", "6379", "2"}, "-ERR Invalid IP address or hostname specified\r\n"},
		{[]string{"SENTINEL", "MONITOR", "x", "127.0.0.1", "70000", "2"}, "-ERR Invalid port number.\r\n"},
		{[]string{"SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "6380", "2"}, "-ERR Duplicate master name.\r\n"},
		{[]string{"SENTINEL", "REMOVE", "nosuch"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "SET", "nosuch", "quorum", "1"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "quorum", "0"}, "-ERR Invalid argument '0' for SENTINEL SET 'quorum'\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "foo", "bar"}, "-ERR Unknown option or number of arguments for SENTINEL SET 'foo'\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "notification-script", "/bin/true"}, "-ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET"}, "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-port"}, "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET", "a", "b"}, "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-port", "x"}, "-ERR Invalid value 'x' to SENTINEL CONFIG SET 'announce-port'\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "foo", "x"}, "-ERR Invalid argument 'foo' to SENTINEL CONFIG SET\r\n"},
		{[]string{"SENTINEL", "SIMULATE-FAILURE", "foo"}, "-ERR Unknown failure simulation specified\r\n"},
		{[]string{"SENTINEL", "SIMULATE-FAILURE", "help"}, "*2\r\n$20\r\ncrash-after-election\r\n$21\r\ncrash-after-promotion\r\n"},
		{[]string{"SENTINEL", "SIMULATE-FAILURE", "crash-after-election", "help"}, "*2\r\n$20\r\ncrash-after-election\r\n$21\r\ncrash-after-promotion\r\n"},
		{[]string{"SENTINEL", "DEBUG", "info-period", "0"}, "-ERR Invalid argument '0' for SENTINEL DEBUG 'info-period'\r\n"},
		{[]string{"SENTINEL", "DEBUG", "nosuch", "1"}, "-ERR Unknown option or number of arguments for SENTINEL DEBUG 'nosuch'\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "nosuch"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "CKQUORUM", "nosuch"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "CKQUORUM", "mymaster"}, "-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master\r\n"},
		{[]string{"SENTINEL", "INFO-CACHE"}, "-ERR wrong number of arguments for 'sentinel|info-cache' command\r\n"},
		{[]string{"SENTINEL", "INFO-CACHE", "nosuch"}, "*0\r\n"},
		{[]string{"SENTINEL", "PENDING-SCRIPTS"}, "*0\r\n"},
		{[]string{"SENTINEL", "RESET", "nomatch*"}, ":0\r\n"},
		{[]string{"PUBLISH", "foo", "bar"}, "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n"},
		{[]string{"PUBLISH", "__SENTINEL__:HELLO", "x"}, "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n"},
		{[]string{"PUBLISH", "__sentinel__:hello", "garbage"}, ":1\r\n"},
		{[]string{"PUBLISH", "__sentinel__:hello"}, "-ERR wrong number of arguments for 'publish' command\r\n"},
		{[]string{"ROLE"}, "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n"},
		{[]string{"ROLE", "x"}, "-ERR wrong number of arguments for 'role' command\r\n"},
	} {
		if got := string(s.conn.Do(tc.args...)); got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

// TestSentinelIsMasterDownByAddr replays the observed sequence of §1.6:
// no vote for "*", first vote wins in an epoch, an older epoch gets the
// earlier vote, a newer epoch a new vote; the vote is saved.
func TestSentinelIsMasterDownByAddr(t *testing.T) {
	// Nothing listens on the monitored port, but down-after is long
	// enough that the master is not SDOWN during the test.
	port := strconv.Itoa(testutil.FreePort(t))
	s := startAPISentinel(t, writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 "+port+" 2\n"))
	a, b, cc := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	for _, step := range []struct {
		addr, epoch, runid string
		want               string
	}{
		{port, "0", "*", "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"},
		{port, "5", a, "*3\r\n:0\r\n$40\r\n" + a + "\r\n:5\r\n"},
		{port, "5", b, "*3\r\n:0\r\n$40\r\n" + a + "\r\n:5\r\n"},
		{port, "4", b, "*3\r\n:0\r\n$40\r\n" + a + "\r\n:5\r\n"},
		{port, "6", cc, "*3\r\n:0\r\n$40\r\n" + cc + "\r\n:6\r\n"},
		{port, "7", "*", "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"},
		{"1", "8", a, "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"}, // unknown master: no vote
	} {
		got := string(s.conn.Do("SENTINEL", "is-master-down-by-addr", "127.0.0.1", step.addr, step.epoch, step.runid))
		if got != step.want {
			t.Fatalf("is-master-down-by-addr %s %s %s:\n got %q\nwant %q", step.addr, step.epoch, step.runid, got, step.want)
		}
	}
	data, _ := os.ReadFile(s.path)
	for _, line := range []string{"sentinel leader-epoch mymaster 6", "sentinel current-epoch 6"} {
		if !strings.Contains(string(data), line) {
			t.Fatalf("config lacks %q after the votes:\n%s", line, data)
		}
	}
}

func TestSentinelHelp(t *testing.T) {
	s := startAPISentinel(t, writeSentinelConf(t, ""))
	v := do(t, s.conn, "sentinel", "help")
	if v.Type != '*' || len(v.Elems) != len(sentinelHelp)+3 {
		t.Fatalf("HELP: %d lines", len(v.Elems))
	}
	var lines []string
	for _, e := range v.Elems {
		if e.Type != '+' {
			t.Fatalf("HELP line %+v is not a status", e)
		}
		lines = append(lines, e.Str)
	}
	if lines[0] != "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" ||
		lines[1] != "CKQUORUM <master-name>" || lines[len(lines)-2] != "HELP" || lines[len(lines)-1] != "    Prints this help." {
		t.Fatalf("HELP:\n%s", strings.Join(lines, "\n"))
	}
}

// TestSentinelConfigChangesPersist: MONITOR, SET, REMOVE and CONFIG SET
// rewrite sentinel.conf before they answer, and a sentinel started on the
// rewritten file has the same state.
func TestSentinelConfigChangesPersist(t *testing.T) {
	path := writeSentinelConf(t, "# kept comment\nsentinel monitor mymaster 127.0.0.1 6379 2\n")
	s := startAPISentinel(t, path)
	other := strconv.Itoa(testutil.FreePort(t))
	for _, cmd := range [][]string{
		{"SENTINEL", "MONITOR", "other", "127.0.0.1", other, "1"},
		{"SENTINEL", "SET", "other", "quorum", "3", "down-after-milliseconds", "5000", "failover-timeout", "60000",
			"parallel-syncs", "2", "auth-pass", "secret", "rename-command", "CONFIG", "XCONFIG"},
		{"SENTINEL", "REMOVE", "mymaster"},
		{"SENTINEL", "CONFIG", "SET", "announce-port", "7777"},
	} {
		if got := string(s.conn.Do(cmd...)); got != "+OK\r\n" {
			t.Fatalf("%v: %q", cmd, got)
		}
	}
	// A SET whose second pair is bad keeps (and saves) the first.
	if got := string(s.conn.Do("SENTINEL", "SET", "other", "master-reboot-down-after-period", "1000", "quorum", "x")); got != "-ERR Invalid argument 'x' for SENTINEL SET 'quorum'\r\n" {
		t.Fatalf("bad SET: %q", got)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, line := range []string{
		"sentinel monitor other 127.0.0.1 " + other + " 3",
		"sentinel down-after-milliseconds other 5000",
		"sentinel failover-timeout other 60000",
		"sentinel parallel-syncs other 2",
		"sentinel auth-pass other secret",
		"sentinel master-reboot-down-after-period other 1000",
		"sentinel rename-command other config XCONFIG",
		"sentinel announce-port 7777",
	} {
		// Case-insensitively: rename-command keys are case-insensitive.
		if !strings.Contains(strings.ToLower(text), strings.ToLower(line)) {
			t.Errorf("config lacks %q", line)
		}
	}
	if strings.Contains(text, "mymaster") || !strings.HasPrefix(text, "# kept comment\n") {
		t.Errorf("config after REMOVE:\n%s", text)
	}
	before := masterEntry(t, s.conn, "other")
	id := do(t, s.conn, "SENTINEL", "MYID").Str
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startAPISentinel(t, path)
	after := masterEntry(t, s2.conn, "other")
	for _, k := range []string{"name", "ip", "port", "quorum", "down-after-milliseconds", "failover-timeout", "parallel-syncs", "config-epoch"} {
		if before[k] != after[k] {
			t.Errorf("%s: %q before restart, %q after", k, before[k], after[k])
		}
	}
	if got := do(t, s2.conn, "SENTINEL", "MYID").Str; got != id {
		t.Errorf("myid %q after restart, want %q", got, id)
	}
	if v := do(t, s2.conn, "SENTINEL", "MASTERS"); len(v.Elems) != 1 {
		t.Errorf("MASTERS after restart: %d entries", len(v.Elems))
	}
	if got := string(s2.conn.Do("SENTINEL", "CONFIG", "GET", "announce-port")); got != "*2\r\n$13\r\nannounce-port\r\n$4\r\n7777\r\n" {
		t.Errorf("CONFIG GET announce-port after restart: %q", got)
	}
}

// TestSentinelFlushConfigKeepsLines is the start test of Redis's suite:
// FLUSHCONFIG keeps what was in the file, in order, before what it adds.
func TestSentinelFlushConfigKeepsLines(t *testing.T) {
	orig := "# a comment\nsentinel down-after-milliseconds mymaster 2000\nsentinel parallel-syncs mymaster 3\n" +
		"sentinel monitor mymaster 127.0.0.1 6379 2\nsentinel failover-timeout mymaster 10000\n"
	path := writeSentinelConf(t, orig)
	s := startAPISentinel(t, path)
	if got := string(s.conn.Do("SENTINEL", "FLUSHCONFIG")); got != "+OK\r\n" {
		t.Fatalf("FLUSHCONFIG: %q", got)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), orig) {
		t.Fatalf("rewritten file does not start with the original lines:\n%s", data)
	}
}

// TestSentinelFlushConfigFails: with the config path turned into a
// directory (§7 03-runtime-reconf) every saving command reports it.
func TestSentinelFlushConfigFails(t *testing.T) {
	path := writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 6379 2\n")
	s := startAPISentinel(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	const saveErr = "-ERR Failed to save config file. Check server logs.\r\n"
	for _, cmd := range [][]string{
		{"SENTINEL", "FLUSHCONFIG"},
		{"SENTINEL", "SET", "mymaster", "quorum", "1"},
		{"SENTINEL", "MONITOR", "other", "127.0.0.1", "6380", "1"},
		{"SENTINEL", "CONFIG", "SET", "announce-ip", "10.0.0.1"},
		{"SENTINEL", "REMOVE", "other"},
	} {
		if got := string(s.conn.Do(cmd...)); got != saveErr {
			t.Errorf("%v: %q, want %q", cmd, got, saveErr)
		}
	}
	// The changes themselves were made, as in Redis.
	if q := masterEntry(t, s.conn, "mymaster")["quorum"]; q != "1" {
		t.Errorf("quorum = %s after the failed save", q)
	}
	if err := s.FlushConfig(); err == nil {
		t.Error("FlushConfig succeeded on a directory")
	}
	if err := s.Close(); err == nil {
		t.Error("Close did not report the failed final save")
	}
}

// TestSentinelPublishHello: a peer's hello delivered with PUBLISH adds it
// as a sentinel of the master, with a SENTINELS entry of the right shape.
func TestSentinelPublishHello(t *testing.T) {
	redis, s := startMonitored(t, "")
	peer := strings.Repeat("d", 40)
	peerPort := testutil.FreePort(t)
	hello := fmt.Sprintf("127.0.0.1,%d,%s,0,mymaster,127.0.0.1,%d,0", peerPort, peer, redis.Port())
	if got := string(s.conn.Do("PUBLISH", "__sentinel__:hello", hello)); got != ":1\r\n" {
		t.Fatalf("PUBLISH hello: %q", got)
	}
	for _, proto := range []int{2, 3} {
		c := testutil.Dial(t, s.Addr())
		if proto == 3 {
			c.Do("HELLO", "3")
		}
		v := do(t, c, "SENTINEL", "SENTINELS", "mymaster")
		if v.Type != '*' || len(v.Elems) != 1 {
			t.Fatalf("RESP%d SENTINELS after hello: %+v", proto, v)
		}
		keys, vals := pairs(t, v.Elems[0], proto)
		if !sameStrings(keys, sentinelFields) {
			t.Fatalf("RESP%d SENTINELS fields:\n got %v\nwant %v", proto, keys, sentinelFields)
		}
		e := entryMap(keys, vals)
		if e["name"] != peer || e["runid"] != peer || e["port"] != strconv.Itoa(peerPort) || e["voted-leader"] != "?" {
			t.Fatalf("RESP%d SENTINELS entry: %v", proto, e)
		}
	}
	if n := masterEntry(t, s.conn, "mymaster")["num-other-sentinels"]; n != "1" {
		t.Fatalf("num-other-sentinels = %s", n)
	}
	ms := s.Masters()
	if len(ms[0].Sentinels) != 1 || ms[0].Sentinels[0].RunID != peer || ms[0].Sentinels[0].Port != peerPort {
		t.Fatalf("Masters() sentinels: %+v", ms[0].Sentinels)
	}
	data, _ := os.ReadFile(s.path)
	if line := fmt.Sprintf("sentinel known-sentinel mymaster 127.0.0.1 %d %s", peerPort, peer); !strings.Contains(string(data), line) {
		t.Fatalf("config lacks %q:\n%s", line, data)
	}
}

// TestSentinelInfoCacheAndSection checks INFO-CACHE's shape and the
// sentinel INFO section.
func TestSentinelInfoCacheAndSection(t *testing.T) {
	redis, s := startMonitored(t, "")
	v := do(t, s.conn, "SENTINEL", "INFO-CACHE", "mymaster", "nosuch", "mymaster")
	if v.Type != '*' || len(v.Elems) != 2 || v.Elems[0].Str != "mymaster" {
		t.Fatalf("INFO-CACHE: %+v", v)
	}
	infos := v.Elems[1]
	if infos.Type != '*' || len(infos.Elems) != 1 {
		t.Fatalf("INFO-CACHE infos: %+v", infos)
	}
	pair := infos.Elems[0]
	if pair.Type != '*' || len(pair.Elems) != 2 || pair.Elems[0].Type != ':' || pair.Elems[1].Type != '$' ||
		!strings.Contains(pair.Elems[1].Str, "role:master") {
		t.Fatalf("INFO-CACHE master pair: %+v", pair)
	}
	info := do(t, s.conn, "INFO", "sentinel").Str
	want := fmt.Sprintf("# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n"+
		"sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:0\r\n"+
		"master0:name=mymaster,status=ok,address=127.0.0.1:%d,slaves=0,sentinels=1\r\n", redis.Port())
	if info != want {
		t.Fatalf("INFO sentinel:\n got %q\nwant %q", info, want)
	}
	if all := do(t, s.conn, "INFO").Str; !strings.Contains(all, "redis_mode:sentinel") || !strings.HasSuffix(all, want) {
		t.Fatalf("INFO:\n%s", all)
	}
	s.conn.Do("SENTINEL", "SIMULATE-FAILURE", "crash-after-promotion")
	if info := do(t, s.conn, "INFO", "sentinel").Str; !strings.Contains(info, "sentinel_simulate_failure_flags:2\r\n") {
		t.Fatalf("INFO after SIMULATE-FAILURE:\n%s", info)
	}
}

// TestSentinelEventsReachSubscribers: events are published on the client
// port (channel = event type) and delivered to typed subscribers.
func TestSentinelEventsReachSubscribers(t *testing.T) {
	s := startAPISentinel(t, writeSentinelConf(t, ""))
	ch, cancel := s.Subscribe(16)
	defer cancel()
	sub := testutil.Dial(t, s.Addr())
	sub.Do("SUBSCRIBE", "+monitor")
	port := strconv.Itoa(testutil.FreePort(t))
	if got := string(s.conn.Do("SENTINEL", "MONITOR", "m2", "127.0.0.1", port, "1")); got != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", got)
	}
	payload := "master m2 127.0.0.1 " + port + " quorum 1"
	raw, err := sub.ReadReply()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$8\r\n+monitor\r\n$%d\r\n%s\r\n", len(payload), payload)
	if string(raw) != want {
		t.Fatalf("message %q, want %q", raw, want)
	}
	select {
	case ev := <-ch:
		if ev.Type != "+monitor" || ev.Payload != payload || ev.Master != "m2" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no typed event")
	}
}
