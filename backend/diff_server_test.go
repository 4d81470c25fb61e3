package backend

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// Differential and functional tests of INFO, CONFIG, COMMAND, TIME, DEBUG,
// SLOWLOG and SHUTDOWN.

// respVal is a parsed reply, for tests that compare structure rather than
// bytes.
type respVal struct {
	typ   byte
	str   string
	elems []respVal
}

func (v respVal) String() string {
	if v.elems == nil {
		return v.str
	}
	parts := make([]string, len(v.elems))
	for i, e := range v.elems {
		parts[i] = e.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// parseReply parses one RESP2/RESP3 reply (maps become flat lists).
func parseReply(b []byte) (respVal, []byte, error) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 1 {
		return respVal{}, nil, errors.New("short reply")
	}
	typ, line, rest := b[0], string(b[1:i]), b[i+2:]
	switch typ {
	case '+', '-', ':', '_', ',', '#', '(':
		return respVal{typ: typ, str: line}, rest, nil
	case '$', '=', '!':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return respVal{typ: '_'}, rest, nil
		}
		return respVal{typ: typ, str: string(rest[:n])}, rest[n+2:], nil
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return respVal{typ: '_'}, rest, nil
		}
		if typ == '%' {
			n *= 2
		}
		v := respVal{typ: typ, elems: []respVal{}}
		for j := 0; j < n; j++ {
			var e respVal
			var err error
			if e, rest, err = parseReply(rest); err != nil {
				return v, nil, err
			}
			v.elems = append(v.elems, e)
		}
		return v, rest, nil
	}
	return respVal{}, nil, fmt.Errorf("unknown type %q", typ)
}

func mustParse(t *testing.T, b []byte) respVal {
	t.Helper()
	v, _, err := parseReply(b)
	if err != nil {
		t.Fatalf("parse %q: %v", b, err)
	}
	return v
}

// pairsOf turns a flat key/value reply into a map.
func pairsOf(v respVal) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(v.elems); i += 2 {
		m[v.elems[i].str] = v.elems[i+1].str
	}
	return m
}

func TestDiffServerErrors(t *testing.T) {
	adminDiff(t, func(proto int) []testutil.Step {
		var s steps
		s.add("DEBUG", "DIGEST")
		s.add("DEBUG")
		s.add("CONFIG")
		s.add("CONFIG", "FOO")
		s.add("CONFIG", "GET")
		s.add("CONFIG", "GET", "nosuch")
		s.add("CONFIG", "SET", "hz")
		s.add("CONFIG", "SET", "hz", "10", "maxmemory")
		s.add("CONFIG", "SET", "nosuch", "1")
		s.add("CONFIG", "SET", "nosuch", "1", "hz", "x")
		s.add("CONFIG", "SET", "hz", "x", "nosuch", "1")
		s.add("CONFIG", "SET", "hz", "abc")
		s.add("CONFIG", "SET", "hz", "10", "hz", "11")
		s.add("CONFIG", "SET", "HZ", "10", "hz", "11")
		s.add("CONFIG", "SET", "maxmemory", "1x")
		s.add("CONFIG", "SET", "maxmemory", "-1")
		s.add("CONFIG", "SET", "port", "-1")
		s.add("CONFIG", "SET", "timeout", "-5")
		s.add("CONFIG", "SET", "maxclients", "0")
		s.add("CONFIG", "SET", "save", "1 2 3")
		s.add("CONFIG", "SET", "save", "0 1")
		s.add("CONFIG", "SET", "dir", "/nonexistent")
		s.add("CONFIG", "SET", "dbfilename", "x.rdb")
		s.add("CONFIG", "SET", "databases", "3")
		s.add("CONFIG", "SET", "daemonize", "yes")
		s.add("CONFIG", "SET", "replicaof", "no one")
		s.add("CONFIG", "SET", "slaveof", "no one")
		s.add("CONFIG", "SET", "enable-debug-command", "yes")
		s.add("CONFIG", "SET", "maxmemory-policy", "foo")
		s.add("CONFIG", "SET", "protected-mode", "maybe")
		s.add("CONFIG", "SET", "notify-keyspace-events", "Q")
		s.add("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2")
		s.add("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3")
		s.add("CONFIG", "SET", "client-output-buffer-limit", "normal 1x 2 3")
		s.add("CONFIG", "SET", "bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17")
		s.add("CONFIG", "SET", "maxmemory-clients", "200%")
		s.add("CONFIG", "SET", "unixsocketperm", "777")
		s.add("CONFIG", "SET", "oom-score-adj-values", "1 2")
		s.add("CONFIG", "SET", "oom-score-adj-values", "1 2 5000")
		s.add("CONFIG", "SET", "shutdown-on-sigint", "save nosave")
		s.add("CONFIG", "SET", "shutdown-on-sigint", "foo")
		s.add("CONFIG", "SET", "latency-tracking-info-percentiles", "50 200")
		s.add("CONFIG", "SET", "appendfilename", "a/b")
		s.add("CONFIG", "REWRITE")
		s.add("CONFIG", "REWRITE", "x")
		s.add("CONFIG", "HELP")
		s.add("SLOWLOG")
		s.add("SLOWLOG", "FOO")
		s.add("SLOWLOG", "GET", "x")
		s.add("SLOWLOG", "GET", "-2")
		s.add("SLOWLOG", "GET", "1", "2")
		s.add("SLOWLOG", "LEN", "x")
		s.add("SLOWLOG", "HELP")
		s.add("COMMAND", "FOO")
		s.add("COMMAND", "COUNT", "x")
		s.add("COMMAND", "GETKEYS")
		s.add("COMMAND", "GETKEYS", "nosuch", "a")
		s.add("COMMAND", "GETKEYS", "ping", "a")
		s.add("COMMAND", "GETKEYS", "get")
		s.add("COMMAND", "GETKEYS", "get", "a", "b")
		s.add("COMMAND", "GETKEYS", "get", "k")
		s.add("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2")
		s.add("COMMAND", "GETKEYS", "config", "get", "x")
		s.add("COMMAND", "LIST", "FILTERBY")
		s.add("COMMAND", "LIST", "FILTERBY", "foo", "x")
		s.add("COMMAND", "LIST", "FILTERBY", "MODULE", "x")
		s.addUnordered("COMMAND", "LIST", "FILTERBY", "PATTERN", "slowlog*")
		s.add("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG|g*")
		s.add("COMMAND", "INFO", "nosuch")
		s.add("COMMAND", "DOCS", "nosuch")
		s.add("COMMAND", "HELP")
		s.add("TIME", "x")
		s.add("INFO", "nosuchsection")
		s.add("INFO", "cluster")
		s.add("INFO", "modules")
		s.add("SHUTDOWN", "FOO")
		s.add("SHUTDOWN", "SAVE", "NOSAVE")
		s.add("SHUTDOWN", "ABORT")
		s.add("SHUTDOWN", "ABORT", "NOW")
		s.add("MULTI")
		s.add("SHUTDOWN")
		s.add("DISCARD")
		s.add("CONFIG", "SET", "hz", "1000")
		s.add("CONFIG", "GET", "hz")
		s.add("CONFIG", "SET", "hz", "10", "slave-priority", "1", "replica-priority", "2")
		s.add("CONFIG", "GET", "replica-priority")
		s.add("CONFIG", "SET", "notify-keyspace-events", "KEA")
		s.add("CONFIG", "GET", "notify-keyspace-events")
		s.add("CONFIG", "SET", "notify-keyspace-events", "lsE$")
		s.add("CONFIG", "GET", "notify-keyspace-events")
		s.add("CONFIG", "SET", "maxmemory", "1gb", "maxmemory-policy", "ALLKEYS-LRU")
		s.add("CONFIG", "GET", "maxmemory")
		s.add("CONFIG", "GET", "maxmemory-policy")
		s.add("CONFIG", "SET", "maxmemory", "0")
		s.add("CONFIG", "SET", "save", "100 10 20 5")
		s.add("CONFIG", "GET", "save")
		s.add("CONFIG", "SET", "save", "")
		s.add("CONFIG", "GET", "save")
		s.add("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2mb 3 replica 1gb 2gb 0")
		s.add("CONFIG", "GET", "client-output-buffer-limit")
		s.add("CONFIG", "SET", "maxmemory-clients", "50%")
		s.add("CONFIG", "GET", "maxmemory-clients")
		s.add("CONFIG", "SET", "shutdown-on-sigterm", "force now")
		s.add("CONFIG", "GET", "shutdown-on-sigterm")
		s.add("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.99")
		s.add("CONFIG", "GET", "latency-tracking-info-percentiles")
		// CONFIG SET is atomic: one bad value and nothing changes.
		s.add("CONFIG", "SET", "hz", "11", "maxmemory", "bad")
		s.add("CONFIG", "GET", "hz")
		s.add("CONFIG", "GET", "MAXMEMORY")
		s.add("CONFIG", "GET", "slaveof")
		s.add("CONFIG", "GET", "SLAVE-READ-ONLY")
		s.add("CONFIG", "RESETSTAT")
		s.add("CONFIG", "SET", "slowlog-log-slower-than", "0")
		s.add("SLOWLOG", "RESET")
		s.add("SLOWLOG", "LEN")
		s.add("CONFIG", "SET", "slowlog-log-slower-than", "-1")
		s.add("PING")
		s.add("SLOWLOG", "LEN")
		s.add("SLOWLOG", "GET", "0")
		return s
	}, nil, nil)
}

// TestDiffConfigGetDefaults compares CONFIG GET * of a fresh warden node
// with a fresh redis-server: same directives (names and aliases), same
// default values, except where the two are set up differently on purpose.
func TestDiffConfigGetDefaults(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, func(o *Options) { o.Save = nil })
	differ := map[string]string{
		"port": "ephemeral test ports", "dir": "per-test directories",
		"bind": "warden defaults to loopback (redis.conf's shipped value), Redis's compiled default is '* -::*'",
	}
	for _, proto := range []string{"2", "3"} {
		a, b := testutil.Dial(t, addr), testutil.Dial(t, real.Addr())
		if proto == "3" {
			a.Do("HELLO", "3")
			b.Do("HELLO", "3")
		}
		got := pairsOf(mustParse(t, a.Do("CONFIG", "GET", "*")))
		want := pairsOf(mustParse(t, b.Do("CONFIG", "GET", "*")))
		for k, v := range want {
			if _, skip := differ[k]; skip {
				continue
			}
			if g, ok := got[k]; !ok {
				t.Errorf("RESP%s: warden lacks %s (redis: %q)", proto, k, v)
			} else if g != v {
				t.Errorf("RESP%s: %s = %q, redis %q", proto, k, g, v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("RESP%s: warden has %s, redis does not", proto, k)
			}
		}
		// Patterns, aliases and exact names.
		for _, args := range [][]string{{"maxmemory*"}, {"*slave*"}, {"REPL-*", "hz"}, {"appendonly", "save", "databases"},
			{"replica-priority", "slave-priority", "repl-ping-slave-period", "min-slaves-*"}} {
			g := pairsOf(mustParse(t, a.Do(append([]string{"CONFIG", "GET"}, args...)...)))
			w := pairsOf(mustParse(t, b.Do(append([]string{"CONFIG", "GET"}, args...)...)))
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("CONFIG GET %v:\nwarden %v\nredis  %v", args, g, w)
			}
		}
	}
}

// TestCommandOwnTable checks COMMAND COUNT and the number of COMMAND
// entries against warden's own table, and a few COMMAND subcommands;
// TestDiffCommandDocs compares every command's COMMAND INFO and DOCS with
// Redis.
func TestCommandOwnTable(t *testing.T) {
	_, addr := startTestServer(t, nil)
	a := testutil.Dial(t, addr)
	if r := a.Do("COMMAND", "COUNT"); string(r) != fmt.Sprintf(":%d\r\n", len(commands)) {
		t.Errorf("COMMAND COUNT = %q, table has %d", r, len(commands))
	}
	all := mustParse(t, a.Do("COMMAND"))
	if len(all.elems) != len(commands) {
		t.Errorf("COMMAND returned %d entries, table has %d", len(all.elems), len(commands))
	}
	if r := a.Do("COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"); string(r) != "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n" {
		t.Errorf("GETKEYSANDFLAGS set = %q", r)
	}
	list := mustParse(t, a.Do("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"))
	if !strings.Contains(list.String(), "client|setname") || strings.Contains(list.String(), " get ") {
		t.Errorf("COMMAND LIST FILTERBY ACLCAT connection = %v", list)
	}
}

func TestDiffTime(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	re := regexp.MustCompile(`^\*2\r\n\$10\r\n(\d{10})\r\n\$\d\r\n(\d{1,6})\r\n$`)
	for _, a := range []string{addr, real.Addr()} {
		r := testutil.Dial(t, a).Do("TIME")
		m := re.FindSubmatch(r)
		if m == nil {
			t.Errorf("%s TIME = %q", a, r)
			continue
		}
		sec, _ := strconv.ParseInt(string(m[1]), 10, 64)
		if d := time.Now().Unix() - sec; d < -2 || d > 2 {
			t.Errorf("TIME is %ds off", d)
		}
	}
}

// infoFields lists "section: field, field, ..." of an INFO text.
func infoFields(text string) map[string][]string {
	out := map[string][]string{}
	sec := ""
	for _, line := range strings.Split(text, "\r\n") {
		if strings.HasPrefix(line, "# ") {
			sec = line[2:]
			out[sec] = []string{}
			continue
		}
		if name, _, ok := strings.Cut(line, ":"); ok {
			out[sec] = append(out[sec], name)
		}
	}
	return out
}

// TestDiffInfo compares INFO's sections and field names, in order, with
// Redis, for the default set, "all", "everything" and section lists, and
// the reply type in both protocols.
func TestDiffInfo(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, func(o *Options) { o.Save = nil })
	a, b := testutil.Dial(t, addr), testutil.Dial(t, real.Addr())
	for _, c := range []*testutil.RawConn{a, b} {
		c.Do("SET", "k", "v")
		c.Do("SET", "t", "v", "EX", "100")
		c.Do("GET", "nosuch")
		c.Do("NOSUCHCOMMAND")
	}
	for _, args := range [][]string{{}, {"default"}, {"all"}, {"everything"}, {"keyspace", "SERVER"},
		{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster"}, {"errorstats", "commandstats"}} {
		cmd := append([]string{"INFO"}, args...)
		ta, tb := mustParse(t, a.Do(cmd...)).str, mustParse(t, b.Do(cmd...)).str
		fa, fb := infoFields(ta), infoFields(tb)
		var secsA, secsB []string
		for _, line := range strings.Split(ta, "\r\n") {
			if strings.HasPrefix(line, "# ") {
				secsA = append(secsA, line)
			}
		}
		for _, line := range strings.Split(tb, "\r\n") {
			if strings.HasPrefix(line, "# ") {
				secsB = append(secsB, line)
			}
		}
		if strings.Join(secsA, ",") != strings.Join(secsB, ",") {
			t.Errorf("INFO %v sections:\nwarden %v\nredis  %v", args, secsA, secsB)
		}
		for sec, names := range fb {
			switch sec {
			case "Commandstats", "Latencystats":
				continue // commands' latency histograms are not kept
			}
			if strings.Join(fa[sec], ",") != strings.Join(names, ",") {
				t.Errorf("INFO %v section %s fields:\nwarden %v\nredis  %v", args, sec, fa[sec], names)
			}
		}
	}
	ks := mustParse(t, a.Do("INFO", "keyspace")).str
	if !regexp.MustCompile(`db0:keys=2,expires=1,avg_ttl=\d+\r\n`).MatchString(ks) {
		t.Errorf("keyspace: %q", ks)
	}
	es := mustParse(t, a.Do("INFO", "errorstats")).str
	if es != mustParse(t, b.Do("INFO", "errorstats")).str {
		t.Errorf("errorstats: %q", es)
	}
	// INFO is a bulk string in RESP2 and a verbatim string in RESP3.
	for _, c := range []*testutil.RawConn{a, b} {
		if r := c.Do("INFO", "cluster"); string(r) != "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n" {
			t.Errorf("RESP2 INFO cluster = %q", r)
		}
		c.Do("HELLO", "3")
		if r := c.Do("INFO", "cluster"); string(r) != "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n" {
			t.Errorf("RESP3 INFO cluster = %q", r)
		}
	}
	// Values that must be real.
	all := mustParse(t, a.Do("INFO", "everything")).str
	for _, re := range []string{`\r\nused_memory:[1-9]\d*\r\n`, `\r\nused_memory_rss:[1-9]\d*\r\n`, `\r\nconnected_clients:1\r\n`,
		`\r\nrole:master\r\n`, `\r\nmaster_replid:[0-9a-f]{40}\r\n`, `\r\nrun_id:[0-9a-f]{40}\r\n`, `\r\nredis_version:7\.0\.15\r\n`,
		`\r\ncmdstat_set:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n`,
		`\r\nerrorstat_ERR:count=1\r\n`, `\r\nkeyspace_misses:1\r\n`, `\r\nmaxmemory_policy:noeviction\r\n`} {
		if !regexp.MustCompile(re).MatchString(all) {
			t.Errorf("INFO everything lacks %s", re)
		}
	}
}

// TestSlowlog checks entries, trimming as Redis trims them (32 arguments,
// 128 bytes), against a real redis-server.
func TestSlowlog(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	long := strings.Repeat("x", 200)
	many := []string{"PING"}
	for i := 0; i < 40; i++ {
		many = append(many, strconv.Itoa(i))
	}
	var entries [2][]respVal
	for i, ad := range []string{addr, real.Addr()} {
		c := testutil.Dial(t, ad)
		c.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
		c.Do("SLOWLOG", "RESET")
		c.Do("CLIENT", "SETNAME", "slowpoke")
		c.Do("SET", "k", long)
		c.Do(many...)
		c.Do("AUTH", "default", "pw")
		entries[i] = mustParse(t, c.Do("SLOWLOG", "GET", "-1")).elems
		if r := c.Do("SLOWLOG", "LEN"); !regexp.MustCompile(`^:\d+\r\n$`).Match(r) {
			t.Errorf("SLOWLOG LEN = %q", r)
		}
	}
	if len(entries[0]) != len(entries[1]) {
		t.Fatalf("slowlog lengths: warden %d, redis %d\n%v\n%v", len(entries[0]), len(entries[1]), entries[0], entries[1])
	}
	for i := range entries[0] {
		ea, eb := entries[0][i], entries[1][i]
		if len(ea.elems) != 6 {
			t.Fatalf("entry %d: %v", i, ea)
		}
		if ea.elems[3].String() != eb.elems[3].String() || ea.elems[5].str != eb.elems[5].str {
			t.Errorf("entry %d:\nwarden %v\nredis  %v", i, ea, eb)
		}
		if !strings.HasPrefix(ea.elems[4].str, "127.0.0.1:") {
			t.Errorf("entry %d addr %q", i, ea.elems[4].str)
		}
	}
	w := testutil.Dial(t, addr)
	w.Do("CONFIG", "SET", "slowlog-max-len", "2")
	w.Do("PING")
	if r := w.Do("SLOWLOG", "LEN"); string(r) != ":2\r\n" {
		t.Errorf("SLOWLOG LEN after max-len 2 = %q", r)
	}
}

// TestDiffSlowlogBlocking: a command that blocks is logged when it is
// served, after the command that served it, and not at all when its wait
// times out (BLPOP with a timeout, WAIT), as in Redis 7.0.
func TestDiffSlowlogBlocking(t *testing.T) {
	diffScenario(t, func(t *testing.T, addr string, blocked func() int) [][]byte {
		a, b := testutil.Dial(t, addr), testutil.Dial(t, addr)
		defer a.Close()
		defer b.Close()
		b.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
		b.Do("SLOWLOG", "RESET")
		a.Send(testutil.EncodeCommand("BLPOP", "bl", "0"))
		testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
			return blocked() == 1, "client not blocked yet"
		})
		b.Do("LPUSH", "bl", "x")
		if _, err := a.ReadReply(); err != nil {
			t.Fatalf("read BLPOP reply: %v", err)
		}
		b.Do("BLPOP", "nothing", "0.05")
		b.Do("WAIT", "1", "50")
		b.Do("CONFIG", "SET", "slowlog-log-slower-than", "-1")
		var out [][]byte
		// The arguments of each entry, oldest first, without the
		// polling of INFO (redis) that blocked() may have logged.
		entries := mustParse(t, b.Do("SLOWLOG", "GET", "-1")).elems
		for i := len(entries) - 1; i >= 0; i-- {
			if args := entries[i].elems[3].String(); !strings.HasPrefix(args, "[INFO") {
				out = append(out, []byte(args))
			}
		}
		return out
	})
}

func TestDebugDigest(t *testing.T) {
	_, a1 := startTestServer(t, func(o *Options) { o.EnableDebugCommand = "yes" })
	_, a2 := startTestServer(t, func(o *Options) { o.EnableDebugCommand = "local" })
	c1, c2 := testutil.Dial(t, a1), testutil.Dial(t, a2)
	zero := "+" + strings.Repeat("0", 40) + "\r\n"
	if r := c1.Do("DEBUG", "DIGEST"); string(r) != zero {
		t.Errorf("empty digest = %q", r)
	}
	fill := [][]string{
		{"SET", "s", "v"}, {"RPUSH", "l", "a", "b", "c"}, {"SADD", "set", "x", "y", "z", "1", "2"},
		{"HSET", "h", "f1", "v1", "f2", "v2"}, {"ZADD", "z", "1", "a", "2", "b"}, {"PEXPIREAT", "s", "99999999999999"},
		{"SELECT", "3"}, {"SET", "other", "db"},
	}
	for _, cmd := range fill {
		c1.Do(cmd...)
	}
	// The same data built in another order, through other encodings.
	for _, cmd := range [][]string{
		{"SELECT", "3"}, {"SET", "other", "db"}, {"SELECT", "0"}, {"ZADD", "z", "2", "b", "1", "a"},
		{"HSET", "h", "f2", "v2"}, {"HSET", "h", "f1", "v1"}, {"SADD", "set", "2", "1", "z", "y", "x"},
		{"RPUSH", "l", "a", "b", "c"}, {"SET", "s", "v"}, {"PEXPIREAT", "s", "99999999999999"},
	} {
		c2.Do(cmd...)
	}
	d1, d2 := c1.Do("DEBUG", "DIGEST"), c2.Do("DEBUG", "DIGEST")
	if !bytes.Equal(d1, d2) || string(d1) == zero || !regexp.MustCompile(`^\+[0-9a-f]{40}\r\n$`).Match(d1) {
		t.Errorf("digests differ or are empty: %q %q", d1, d2)
	}
	c1.Do("SELECT", "0")
	v1, v2 := c1.Do("DEBUG", "DIGEST-VALUE", "h", "z", "nosuch"), c2.Do("DEBUG", "DIGEST-VALUE", "h", "z", "nosuch")
	if !bytes.Equal(v1, v2) || !strings.HasSuffix(string(v1), zero) {
		t.Errorf("DIGEST-VALUE: %q vs %q", v1, v2)
	}
	// Any difference shows: a list order, a TTL, a key's database.
	for _, change := range [][][]string{
		{{"LSET", "l", "0", "c"}, {"LSET", "l", "2", "a"}},
		{{"PEXPIREAT", "s", "99999999999998"}},
		{{"ZINCRBY", "z", "0.5", "a"}},
		{{"MOVE", "s", "5"}},
	} {
		c := testutil.Dial(t, a1)
		c.Do("DEBUG", "SET-ACTIVE-EXPIRE", "1")
		before := c.Do("DEBUG", "DIGEST")
		for _, cmd := range change {
			c.Do(cmd...)
		}
		if after := c.Do("DEBUG", "DIGEST"); bytes.Equal(before, after) {
			t.Errorf("digest unchanged by %v", change)
		}
	}
	if r := c1.Do("DEBUG", "SLEEP", "0.01"); string(r) != "+OK\r\n" {
		t.Errorf("DEBUG SLEEP = %q", r)
	}
	if r := c1.Do("DEBUG", "NOSUCH"); !strings.Contains(string(r), "unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.") {
		t.Errorf("DEBUG NOSUCH = %q", r)
	}
}

func TestDebugSetActiveExpire(t *testing.T) {
	s, addr := startTestServer(t, func(o *Options) { o.EnableDebugCommand = "yes"; o.Hz = 100 })
	c := testutil.Dial(t, addr)
	c.Do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	c.Do("SET", "k", "v", "PX", "10")
	time.Sleep(300 * time.Millisecond)
	s.Lock()
	n := s.DB(0).Size()
	s.Unlock()
	if n != 1 {
		t.Errorf("key expired actively with active expire off")
	}
	c.Do("DEBUG", "SET-ACTIVE-EXPIRE", "1")
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		s.Lock()
		defer s.Unlock()
		return s.DB(0).Size() == 0, "key still there"
	})
}

func TestShutdown(t *testing.T) {
	var saved atomic.Int32
	var fail atomic.Bool
	old := shutdownSaveHook
	shutdownSaveHook = func(*Server) error {
		saved.Add(1)
		if fail.Load() {
			return errors.New("disk full")
		}
		return nil
	}
	defer func() { shutdownSaveHook = old }()

	s, addr := startTestServer(t, nil) // default save points: SHUTDOWN saves
	c := testutil.Dial(t, addr)
	fail.Store(true)
	if r := c.Do("SHUTDOWN"); string(r) != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
		t.Errorf("failed save: %q", r)
	}
	if r := c.Do("SHUTDOWN", "NOSAVE", "ABORT"); string(r) != "-ERR syntax error\r\n" {
		t.Errorf("NOSAVE ABORT: %q", r)
	}
	if _, err := c.TryDo("SHUTDOWN", "FORCE"); err == nil {
		t.Errorf("SHUTDOWN FORCE replied")
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running after SHUTDOWN FORCE")
	}
	if n := saved.Load(); n != 2 {
		t.Errorf("save hook called %d times, want 2", n)
	}

	s2, addr2 := startTestServer(t, func(o *Options) { o.Save = nil })
	saved.Store(0)
	if _, err := testutil.Dial(t, addr2).TryDo("SHUTDOWN"); err == nil {
		t.Errorf("SHUTDOWN replied")
	}
	<-s2.Done()
	if saved.Load() != 0 {
		t.Errorf("saved without save points")
	}
}

// TestConfigRewrite changes settings with CONFIG SET and checks that CONFIG
// REWRITE keeps the file's comments and lines, updates them in place and
// that the file loads back to the same settings.
func TestConfigRewrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "redis.conf")
	orig := "# my config\nport 6379\nmaxmemory 1mb\nslave-priority 50\nrequirepass old\nsave 900 1\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := LoadConfig(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, addr := startTestServer(t, func(opts *Options) {
		port, bind, d := opts.Port, opts.Bind, opts.Dir
		*opts = *o
		opts.Port, opts.Bind, opts.Dir = port, bind, d
	})
	c := testutil.Dial(t, addr)
	c.Do("AUTH", "old")
	for _, cmd := range [][]string{
		{"CONFIG", "SET", "maxmemory", "10mb", "hz", "20", "requirepass", ""},
		{"CONFIG", "SET", "save", "60 5 30 10", "repl-ping-replica-period", "3", "replica-priority", "60"},
		{"CONFIG", "REWRITE"},
	} {
		if r := c.Do(cmd...); string(r) != "+OK\r\n" {
			t.Fatalf("%v: %q", cmd, r)
		}
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, want := range []string{"# my config\n", "maxmemory 10mb\n", "hz 20\n", "save 60 5\n", "save 30 10\n",
		"repl-ping-replica-period 3\n", "\nslave-priority 60\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "requirepass") || strings.Contains(text, "save 900 1") {
		t.Errorf("rewritten file keeps removed settings:\n%s", text)
	}
	back, err := LoadConfig(path, nil, nil)
	if err != nil {
		t.Fatalf("reload: %v\n%s", err, text)
	}
	if back.MaxMemory != 10<<20 || back.Hz != 20 || back.RequirePass != "" || len(back.Save) != 2 ||
		back.ReplPingPeriod != 3*time.Second || back.ReplicaPriority != 60 {
		t.Errorf("reloaded options differ: %+v", back)
	}
}

func TestDiffDebugPopulate(t *testing.T) {
	long := strings.Repeat("p", 130)
	adminDiff(t, func(proto int) []testutil.Step {
		var s steps
		s.add("FLUSHALL")
		s.add("DEBUG", "POPULATE")
		s.add("DEBUG", "POPULATE", "-1")
		s.add("DEBUG", "POPULATE", "x")
		s.add("DEBUG", "POPULATE", "2", "a", "-3")
		s.add("DEBUG", "POPULATE", "2", "a", "3", "4")
		s.add("DEBUG", "POPULATE", "0")
		s.add("DEBUG", "POPULATE", "5")
		s.add("SET", "key:7", "mine")
		s.add("DEBUG", "POPULATE", "10")
		s.add("DBSIZE")
		s.add("GET", "key:0")
		s.add("GET", "key:7")
		s.add("GET", "key:9")
		s.add("DEBUG", "POPULATE", "3", "pfx", "20")
		s.add("GET", "pfx:1")
		s.add("DEBUG", "POPULATE", "3", "short", "2")
		s.add("GET", "short:2")
		s.add("DEBUG", "POPULATE", "2", long)
		s.add("DBSIZE")
		s.addUnordered("KEYS", long[:10]+"*")
		s.add("OBJECT", "ENCODING", "key:3")
		s.add("OBJECT", "ENCODING", "pfx:0")
		s.add("TTL", "key:3")
		return s
	}, []string{"--enable-debug-command", "yes"}, func(o *Options) { o.EnableDebugCommand = "yes" })
}
