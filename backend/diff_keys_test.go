package backend

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// keysScript covers the generic key-space commands. It uses databases 0-3;
// p prefixes the keys of databases 0-1 so the RESP2 and RESP3 runs stay
// apart (databases 2-3 are flushed before use).
func keysScript(p string) []testutil.Step {
	var b steps
	add, unordered := b.add, b.addUnordered
	k := func(n string) string { return p + n }
	s, none := k("s"), k("none")
	add("SELECT", "0")
	add("SET", s, "v")
	add("RPUSH", k("list"), "a", "b")
	add("HSET", k("hash"), "f", "v")
	add("SADD", k("set"), "m")
	add("ZADD", k("zset"), "1", "m")

	// DEL / UNLINK / EXISTS / TYPE / TOUCH
	add("MSET", k("d1"), "1", k("d2"), "2", k("d3"), "3")
	add("EXISTS", k("d1"), k("d1"), none, k("d2"))
	add("DEL", k("d1"), k("d1"), none)
	add("UNLINK", k("d2"), k("d3"), none)
	add("DEL", none)
	add("EXISTS", k("d1"), k("d2"), k("d3"))
	add("DEL")
	add("UNLINK")
	add("EXISTS")
	for _, key := range []string{s, k("list"), k("hash"), k("set"), k("zset"), none} {
		add("TYPE", key)
		add("OBJECT", "ENCODING", key)
	}
	add("TYPE")
	add("TYPE", s, s)
	add("TOUCH", s, none, k("list"), s)
	add("TOUCH")

	// RENAME / RENAMENX
	add("SET", k("r1"), "one")
	add("RENAME", k("r1"), k("r2"))
	add("GET", k("r1"))
	add("GET", k("r2"))
	add("RENAME", k("r1"), k("r2"))
	add("RENAME", k("r2"), k("r2"))
	add("RENAME", k("r1"), k("r1"))
	add("SET", k("r3"), "three")
	add("RENAME", k("r2"), k("r3"))
	add("GET", k("r3"))
	add("EXPIRE", k("r3"), "1000")
	add("RENAME", k("r3"), k("r4"))
	add("TTL", k("r4"))
	add("SET", k("r5"), "x", "EX", "500")
	add("RENAME", k("r4"), k("r5"))
	add("TTL", k("r5"))
	add("RENAMENX", k("r5"), k("r5"))
	add("RENAMENX", none, k("r6"))
	add("RENAMENX", none, none)
	add("RENAMENX", k("r5"), s)
	add("RENAMENX", k("r5"), k("r6"))
	add("TTL", k("r6"))
	add("RENAME", k("list"), k("list2"))
	add("LRANGE", k("list2"), "0", "-1")
	add("RENAME", k("list2"), k("list"))
	add("RENAME", k("r6"))
	add("SET", k("int"), "77")
	add("RENAME", k("int"), k("int2"))
	add("OBJECT", "ENCODING", k("int2"))
	add("APPEND", k("int2"), "8")
	add("RENAME", k("int2"), k("int3"))
	add("OBJECT", "ENCODING", k("int3"))

	// EXPIRE family, TTL family, PERSIST
	e := k("e")
	add("SET", e, "v")
	add("TTL", e)
	add("PTTL", e)
	add("EXPIRETIME", e)
	add("PEXPIRETIME", e)
	for _, cmd := range []string{"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"} {
		add(cmd, none)
		add(cmd)
	}
	add("EXPIRE", e, "100")
	add("TTL", e)
	add("EXPIRE", none, "100")
	add("EXPIRE", e, "100", "NX")
	add("EXPIRE", e, "200", "XX")
	add("TTL", e)
	add("EXPIRE", e, "100", "GT")
	add("EXPIRE", e, "300", "gt")
	add("TTL", e)
	add("EXPIRE", e, "400", "LT")
	add("EXPIRE", e, "50", "LT")
	add("TTL", e)
	add("EXPIRE", e, "60", "XX", "GT")
	add("EXPIRE", e, "55", "XX", "LT")
	add("TTL", e)
	add("PERSIST", e)
	add("PERSIST", e)
	add("PERSIST", none)
	add("TTL", e)
	add("EXPIRE", e, "100", "XX")
	add("EXPIRE", e, "100", "GT")
	add("EXPIRE", e, "100", "LT")
	add("TTL", e)
	add("PERSIST", e)
	add("EXPIRE", e, "100", "NX")
	add("TTL", e)
	add("EXPIRE", e, "100", "NX", "NX")
	for _, bad := range [][]string{{"NX", "XX"}, {"XX", "NX"}, {"NX", "GT"}, {"LT", "NX"}, {"GT", "LT"},
		{"LT", "GT", "XX"}, {"foo"}, {"NX", "foo"}, {"nx\x00ignored", "xx"}} {
		add(append([]string{"EXPIRE", e, "100"}, bad...)...)
	}
	add("EXPIRE", e, "abc", "foo")
	add("EXPIRE", e, "abc", "NX", "XX")
	add("EXPIRE", e, "abc")
	add("EXPIRE", e, "1.5")
	add("EXPIRE", e, "")
	add("EXPIRE", none, "abc")
	add("EXPIRE", e)
	for _, v := range []string{"9223372036854775807", "9223372036854776", "9223372036854775", "-9223372036854776",
		"-9223372036854775808", "9223372036854775808"} {
		add("EXPIRE", e, v)
		add("EXPIREAT", e, v)
	}
	add("SET", e, "v")
	add("PEXPIRE", e, "9223372036854775807")
	add("PEXPIREAT", e, "9223372036854775807")
	add("PEXPIRETIME", e)
	add("EXPIRETIME", e)
	add("TTL", e)
	add("EXPIREAT", e, "4102444800")
	add("EXPIRETIME", e)
	add("PEXPIRETIME", e)
	add("PEXPIREAT", e, "4102444800123")
	add("PEXPIRETIME", e)
	add("EXPIRETIME", e)
	add("PEXPIRE", e, "100000")
	add("TTL", e)
	add("PEXPIREAT", e, "4102444800123", "NX")
	add("PEXPIREAT", e, "4102444800124", "GT")
	add("PEXPIRETIME", e)
	add("EXPIREAT", e, "4102444800", "LT")
	add("PEXPIRETIME", e)
	add("EXPIRE", e, "-1")
	add("EXISTS", e)
	add("SET", e, "v")
	add("EXPIRE", e, "0")
	add("EXISTS", e)
	add("SET", e, "v")
	add("PEXPIRE", e, "-100")
	add("GET", e)
	add("SET", e, "v")
	add("EXPIREAT", e, "1")
	add("GET", e)
	add("SET", e, "v")
	add("PEXPIREAT", e, "0")
	add("GET", e)
	add("SET", e, "v", "EX", "100")
	add("EXPIRE", e, "-1", "GT")
	add("EXPIRE", e, "-1", "LT")
	add("EXISTS", e)
	add("SET", e, "v")
	add("EXPIRE", e, "-5", "LT")
	add("EXISTS", e)
	add("SET", e, "v")
	add("EXPIRE", e, "-9223372036854775", "NX")
	add("EXISTS", e)
	add("RPUSH", k("elist"), "x")
	add("EXPIRE", k("elist"), "100")
	add("TTL", k("elist"))
	add("PERSIST", k("elist"))

	// COPY
	add("SET", k("c1"), "hello", "EX", "100")
	add("COPY", k("c1"), k("c2"))
	add("GET", k("c2"))
	add("TTL", k("c2"))
	add("COPY", k("c1"), k("c2"))
	add("SET", k("c1"), "world")
	add("COPY", k("c1"), k("c2"), "REPLACE")
	add("GET", k("c2"))
	add("TTL", k("c2"))
	add("COPY", k("c1"), k("c1"))
	add("COPY", k("c1"), k("c1"), "REPLACE")
	add("COPY", k("c1"), k("c1"), "DB", "0")
	add("COPY", none, k("c3"))
	add("COPY", none, none)
	add("COPY", k("c1"), k("c3"), "foo")
	add("COPY", k("c1"), k("c3"), "DB")
	add("COPY", k("c1"), k("c3"), "DB", "abc")
	add("COPY", k("c1"), k("c3"), "DB", "16")
	add("COPY", k("c1"), k("c3"), "DB", "-1")
	add("COPY", k("c1"), k("c3"), "DB", "99999999999")
	add("COPY", k("c1"), k("c3"), "REPLACE", "DB", "1", "REPLACE")
	add("COPY", k("c1"), k("c3"), "DB", "1")
	add("COPY", k("c1"), k("c1"), "DB", "1")
	add("COPY", k("c1"), k("c1"), "DB", "1", "REPLACE")
	add("COPY", k("c1"), k("c1"), "DB", "1", "db", "0")
	add("EXISTS", k("c3"))
	add("SELECT", "1")
	add("GET", k("c3"))
	add("GET", k("c1"))
	add("SELECT", "0")
	add("COPY")
	add("COPY", k("c1"))
	for _, src := range []string{k("list"), k("hash"), k("set"), k("zset")} {
		add("COPY", src, src+"cp")
		add("TYPE", src+"cp")
		add("OBJECT", "ENCODING", src+"cp")
	}
	add("LRANGE", k("listcp"), "0", "-1")
	add("HGETALL", k("hashcp"))
	add("SMEMBERS", k("setcp"))
	add("ZRANGE", k("zsetcp"), "0", "-1", "WITHSCORES")
	add("RPUSH", k("listcp"), "more")
	add("LRANGE", k("list"), "0", "-1")
	for _, v := range []string{"42", "123456789", "emb", strings.Repeat("r", 50)} {
		add("SET", k("cs"), v)
		add("COPY", k("cs"), k("csc"), "REPLACE")
		add("OBJECT", "ENCODING", k("csc"))
		add("OBJECT", "REFCOUNT", k("csc"))
	}
	add("APPEND", k("cs"), "x")
	add("COPY", k("cs"), k("csc"), "REPLACE")
	add("OBJECT", "ENCODING", k("csc"))
	add("APPEND", k("csc"), "y")
	add("STRLEN", k("cs"))

	// MOVE
	add("SET", k("mv"), "m", "EX", "100")
	add("MOVE", k("mv"), "1")
	add("EXISTS", k("mv"))
	add("MOVE", k("mv"), "1")
	add("SELECT", "1")
	add("GET", k("mv"))
	add("TTL", k("mv"))
	add("MOVE", k("mv"), "1")
	add("SET", k("mv2"), "in1")
	add("SELECT", "0")
	add("SET", k("mv2"), "in0")
	add("MOVE", k("mv2"), "1")
	add("GET", k("mv2"))
	add("MOVE", none, "1")
	add("MOVE", k("mv2"), "16")
	add("MOVE", k("mv2"), "-1")
	add("MOVE", k("mv2"), "abc")
	add("MOVE", k("mv2"), "99999999999")
	add("MOVE", k("mv2"), "0")
	add("MOVE", none, "0")
	add("MOVE", k("mv2"))
	add("MOVE", k("list"), "1")
	add("SELECT", "1")
	add("LRANGE", k("list"), "0", "-1")
	add("MOVE", k("list"), "0")
	add("SELECT", "0")

	// DBSIZE, KEYS, SCAN, RANDOMKEY, SWAPDB, FLUSHDB on databases 2 and 3
	add("SELECT", "2")
	add("FLUSHDB")
	add("DBSIZE")
	add("RANDOMKEY")
	add("KEYS", "*")
	add("SCAN", "0")
	add("SCAN", "0", "COUNT", "100", "MATCH", "*", "TYPE", "string")
	add("SCAN", "")
	add("SCAN", "-1")
	add("SCAN", "+0")
	add("SET", "only", "1")
	add("RANDOMKEY")
	add("KEYS", "*")
	add("SCAN", "0")
	add("SCAN", "0", "MATCH", "on*")
	add("SCAN", "0", "MATCH", "x*")
	add("SCAN", "0", "TYPE", "string")
	add("SCAN", "0", "TYPE", "STRING")
	add("SCAN", "0", "TYPE", "list")
	add("SCAN", "0", "TYPE", "nosuchtype")
	add("SCAN", "0", "count", "1000")
	for _, bad := range []string{"abc", " 0", "0 ", "1.5", "18446744073709551616", "-", "+", "0x1", "-18446744073709551616"} {
		add("SCAN", bad)
	}
	for _, bad := range [][]string{{"COUNT"}, {"COUNT", "0"}, {"COUNT", "-1"}, {"COUNT", "abc"}, {"MATCH"},
		{"TYPE"}, {"foo"}, {"COUNT", "10", "foo"}, {"COUNT", "9223372036854775808"}, {"MATCH", "*", "TYPE"}} {
		add(append([]string{"SCAN", "0"}, bad...)...)
	}
	add("SCAN")
	for _, key := range []string{"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "a[b", "x\\y", "\xff\xfe", "", "Hello"} {
		add("SET", key, "v")
	}
	add("RPUSH", "alist", "1")
	add("DBSIZE")
	for _, pat := range []string{"*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "a\\[b", "a[b",
		"x\\\\y", "*llo", "[", "\\", "\xff*", "H*", "nomatch*", "?", "*[", "h[e-a]llo"} {
		unordered("KEYS", pat)
	}
	add("KEYS")
	add("KEYS", "*", "*")
	add("SCAN", "0", "MATCH", "a[b", "COUNT", "1000")
	add("SCAN", "0", "MATCH", "alis?", "TYPE", "list", "COUNT", "1000")
	add("SCAN", "0", "COUNT", "1000", "MATCH", "alis?", "TYPE", "string")
	add("SELECT", "3")
	add("FLUSHDB")
	add("SET", "in3", "x")
	add("SWAPDB", "2", "3")
	add("DBSIZE")
	add("GET", "in3")
	unordered("KEYS", "h*")
	add("SELECT", "2")
	add("DBSIZE")
	add("GET", "in3")
	add("SWAPDB", "2", "2")
	add("SWAPDB", "3", "2")
	add("GET", "in3")
	add("SWAPDB", "abc", "2")
	add("SWAPDB", "2", "abc")
	add("SWAPDB", "abc", "def")
	add("SWAPDB", "2", "16")
	add("SWAPDB", "-1", "2")
	add("SWAPDB", "99999999999", "2")
	add("SWAPDB", "2", "99999999999")
	add("SWAPDB", "2")
	add("FLUSHDB", "foo")
	add("FLUSHDB", "ASYNC", "x")
	add("FLUSHDB", "async")
	add("DBSIZE")
	add("SET", "x", "1")
	add("FLUSHDB", "SYNC")
	add("DBSIZE")
	add("RANDOMKEY")
	add("DBSIZE", "x")
	add("RANDOMKEY", "x")
	add("FLUSHALL", "bogus")
	add("FLUSHALL", "SYNC", "ASYNC")
	add("SELECT", "0")
	add("DBSIZE")

	// OBJECT
	add("OBJECT", "ENCODING", none)
	add("OBJECT", "REFCOUNT", none)
	add("OBJECT", "IDLETIME", none)
	add("OBJECT", "FREQ", none)
	add("OBJECT", "FREQ", s)
	add("OBJECT", "REFCOUNT", k("list"))
	add("OBJECT", "HELP")
	add("object", "help")
	add("OBJECT", "HELP", "x")
	add("OBJECT", "ENCODING")
	add("OBJECT", "ENCODING", s, s)
	add("OBJECT", "foo", s)
	add("OBJECT")
	return b
}

func TestDiffKeys(t *testing.T) {
	runDiff(t, keysScript, nil, nil)
}

// TestDiffKeysLFU checks OBJECT FREQ and IDLETIME under an LFU policy: a
// new key starts at 5 and its first access always increments it.
func TestDiffKeysLFU(t *testing.T) {
	runDiff(t, func(p string) []testutil.Step {
		var b steps
		s := p + "s"
		b.add("SET", s, "value")
		b.add("OBJECT", "FREQ", s)
		b.add("GET", s)
		b.add("OBJECT", "FREQ", s)
		b.add("OBJECT", "FREQ", p+"none")
		b.add("OBJECT", "IDLETIME", s)
		b.add("OBJECT", "IDLETIME", p+"none")
		b.add("EXISTS", s)
		b.add("TYPE", s)
		b.add("OBJECT", "FREQ", s)
		return b
	}, []string{"--maxmemory-policy", "allkeys-lfu"}, func(o *Options) { o.MaxMemPolicy = "allkeys-lfu" })
}

// TestDiffScanMany compares SCAN and KEYS over more keys than one SCAN page
// of Redis holds: the reply shapes differ in how keys are spread over
// pages, so this compares the sets of keys a full iteration returns.
func TestDiffScanMany(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	collect := func(addr string, args ...string) []string {
		c := testutil.Dial(t, addr)
		defer c.Close()
		c.Do("SELECT", "5")
		var keys []string
		cursor := "0"
		for i := 0; i < 10000; i++ {
			r := c.Do(append([]string{"SCAN", cursor}, args...)...)
			next, batch := parseScanReply(t, r)
			keys = append(keys, batch...)
			if cursor = next; cursor == "0" {
				break
			}
		}
		slices.Sort(keys)
		return slices.Compact(keys)
	}
	for _, a := range []string{addr, real.Addr()} {
		c := testutil.Dial(t, a)
		c.Do("SELECT", "5")
		for i := 0; i < 300; i++ {
			c.Do("SET", fmt.Sprintf("key:%d", i), "v")
			if i%3 == 0 {
				c.Do("RPUSH", fmt.Sprintf("list:%d", i), "v")
			}
		}
		c.Close()
	}
	for _, args := range [][]string{nil, {"COUNT", "7"}, {"MATCH", "key:1*"}, {"TYPE", "list"}, {"MATCH", "*:2?", "TYPE", "string", "COUNT", "3"}} {
		w, r := collect(addr, args...), collect(real.Addr(), args...)
		if !slices.Equal(w, r) {
			t.Errorf("SCAN %v: warden %d keys, redis %d keys", args, len(w), len(r))
		}
		if len(w) == 0 {
			t.Errorf("SCAN %v returned nothing", args)
		}
	}
}

// parseScanReply splits a RESP2 SCAN reply into its cursor and keys.
func parseScanReply(t *testing.T, r []byte) (string, []string) {
	t.Helper()
	lines := strings.Split(string(r), "\r\n")
	if len(lines) < 4 || lines[0] != "*2" {
		t.Fatalf("bad SCAN reply %q", r)
	}
	cursor := lines[2]
	var keys []string
	for i := 4; i+1 < len(lines); i += 2 {
		keys = append(keys, lines[i+1])
	}
	return cursor, keys
}

// scenario runs a multi-connection interaction against one server and
// returns the replies it saw, in order. blocked reports how many clients
// the server has blocked.
type scenario func(t *testing.T, addr string, blocked func() int) [][]byte

// diffScenario runs sc against warden and redis and compares the replies.
func diffScenario(t *testing.T, sc scenario) {
	t.Helper()
	real := testutil.StartRedis(t)
	srv, addr := startTestServer(t, nil)
	wardenBlocked := func() int {
		srv.Lock()
		defer srv.Unlock()
		return srv.blockedClients()
	}
	redisBlocked := func() int {
		c := testutil.Dial(t, real.Addr())
		defer c.Close()
		info := string(c.Do("INFO", "clients"))
		i := strings.Index(info, "blocked_clients:")
		if i < 0 {
			t.Fatalf("no blocked_clients in %q", info)
		}
		n := 0
		fmt.Sscanf(info[i+len("blocked_clients:"):], "%d", &n)
		return n
	}
	w, r := sc(t, addr, wardenBlocked), sc(t, real.Addr(), redisBlocked)
	if len(w) != len(r) {
		t.Fatalf("warden gave %d replies, redis %d", len(w), len(r))
	}
	for i := range w {
		if !bytes.Equal(w[i], r[i]) {
			t.Errorf("reply %d: warden %q, redis %q", i, w[i], r[i])
		}
	}
}

// TestDiffFlushSwapWatch checks that FLUSHDB, FLUSHALL and SWAPDB abort the
// transactions of clients watching keys they change, and only those.
func TestDiffFlushSwapWatch(t *testing.T) {
	diffScenario(t, func(t *testing.T, addr string, _ func() int) [][]byte {
		a, b := testutil.Dial(t, addr), testutil.Dial(t, addr)
		defer a.Close()
		defer b.Close()
		var out [][]byte
		do := func(c *testutil.RawConn, args ...string) { out = append(out, c.Do(args...)) }
		watchExec := func(mutate func(), keys ...string) {
			do(a, append([]string{"WATCH"}, keys...)...)
			mutate()
			do(a, "MULTI")
			do(a, "EXISTS", "w")
			do(a, "EXEC")
		}
		do(b, "FLUSHALL")
		do(b, "SET", "w", "1")
		// A flush invalidates watches on keys that existed...
		watchExec(func() { do(b, "FLUSHDB") }, "w")
		// ...but not on keys that did not.
		watchExec(func() { do(b, "FLUSHDB") }, "absent")
		do(b, "SET", "w", "1")
		watchExec(func() { do(b, "FLUSHALL") }, "w")
		// Another database's flush leaves db 0's watches alone.
		do(b, "SET", "w", "1")
		do(b, "SELECT", "1")
		do(b, "SET", "w", "other")
		watchExec(func() { do(b, "FLUSHDB") }, "w")
		// SWAPDB touches keys present on either side.
		do(b, "SET", "only1", "x")
		watchExec(func() { do(b, "SWAPDB", "0", "1") }, "only1")
		watchExec(func() { do(b, "SWAPDB", "0", "1") }, "nowhere")
		do(a, "SELECT", "2")
		do(b, "SELECT", "3")
		do(b, "SET", "k", "v")
		watchExec(func() { do(b, "SWAPDB", "0", "1") }, "k")
		watchExec(func() { do(b, "SWAPDB", "2", "3") }, "k")
		do(a, "GET", "k")
		return out
	})
}

// TestDiffSwapdbUnblocks checks that SWAPDB serves a client blocked on a
// list key that exists after the swap.
func TestDiffSwapdbUnblocks(t *testing.T) {
	diffScenario(t, func(t *testing.T, addr string, blocked func() int) [][]byte {
		a, b := testutil.Dial(t, addr), testutil.Dial(t, addr)
		defer a.Close()
		defer b.Close()
		var out [][]byte
		out = append(out, b.Do("FLUSHALL"))
		out = append(out, b.Do("SELECT", "1"))
		out = append(out, b.Do("RPUSH", "q", "x", "y"))
		a.Send(testutil.EncodeCommand("BLPOP", "q", "10"))
		testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
			return blocked() == 1, "client not blocked yet"
		})
		out = append(out, b.Do("SWAPDB", "0", "1"))
		r, err := a.ReadReply()
		if err != nil {
			t.Fatalf("read BLPOP reply: %v", err)
		}
		out = append(out, r)
		out = append(out, a.Do("LRANGE", "q", "0", "-1"))
		return out
	})
}

func TestDiffKeysPropagation(t *testing.T) {
	propagationRun(t, [][]string{
		{"MSET", "a", "1", "b", "2", "c", "3"},
		{"DEL", "a", "nosuch"},
		{"DEL", "nosuch"},
		{"UNLINK", "b"},
		{"EXPIRE", "c", "100"},
		{"EXPIRE", "c", "200", "GT"},
		{"EXPIRE", "c", "50", "GT"},
		{"PEXPIRE", "c", "300000", "XX"},
		{"EXPIREAT", "c", "4102444800"},
		{"PEXPIREAT", "c", "4102444800123", "LT"},
		{"PERSIST", "c"},
		{"PERSIST", "c"},
		{"EXPIRE", "c", "-1"},
		{"SET", "d", "1"},
		{"PEXPIREAT", "d", "1"},
		{"EXPIRE", "nosuch", "10"},
		{"SET", "e", "1"},
		{"RENAME", "e", "f"},
		{"RENAMENX", "f", "g"},
		{"RENAMENX", "g", "g"},
		{"COPY", "g", "h"},
		{"COPY", "g", "h", "DB", "1", "REPLACE"},
		{"MOVE", "h", "2"},
		{"SELECT", "2"},
		{"SET", "x", "1"},
		{"SELECT", "0"},
		{"SWAPDB", "0", "2"},
		{"SWAPDB", "3", "3"},
		{"FLUSHDB"},
		{"FLUSHDB", "ASYNC"},
		{"SET", "y", "1"},
		{"FLUSHALL", "SYNC"},
		{"FLUSHALL"},
		{"SET", "z", "1", "EX", "100"},
		{"TOUCH", "z"},
		{"GETEX", "z", "PERSIST"},
	})
}

// TestDiffKeyspaceEvents compares the keyspace notifications (every class,
// including "new" and "keymiss") that string and generic commands send.
func TestDiffKeyspaceEvents(t *testing.T) {
	real := testutil.StartRedis(t, "--notify-keyspace-events", "KEAnm")
	_, addr := startTestServer(t, func(o *Options) { o.NotifyKeyspace = "KEAnm" })
	cmds := [][]string{
		{"SET", "s", "v"}, {"SET", "s", "v2", "EX", "100"}, {"SET", "s", "x", "NX"}, {"GET", "s"}, {"GET", "miss"},
		{"SETNX", "n", "1"}, {"SETEX", "x", "100", "v"}, {"PSETEX", "x", "100000", "v"}, {"GETSET", "x", "w"},
		{"GETDEL", "x"}, {"GETEX", "s", "EX", "50"}, {"GETEX", "s", "PERSIST"}, {"GETEX", "s", "EXAT", "1"},
		{"GETEX", "miss"}, {"MSET", "a", "1", "b", "2", "a", "3"}, {"MSETNX", "c", "1"}, {"MGET", "a", "zz"},
		{"APPEND", "a", "x"}, {"APPEND", "new", "x"}, {"SETRANGE", "a", "5", "y"}, {"SETRANGE", "sr", "2", "y"},
		{"INCR", "i"}, {"INCRBY", "i", "5"}, {"DECR", "i"}, {"DECRBY", "i", "2"}, {"INCRBYFLOAT", "fl", "1.5"},
		{"INCRBYFLOAT", "fl", "1"}, {"SETBIT", "bits", "3", "1"}, {"SETBIT", "bits", "3", "1"}, {"GETBIT", "bits", "3"},
		{"BITOP", "OR", "dest", "bits"}, {"BITOP", "OR", "dest", "nothing"}, {"BITCOUNT", "zz"},
		{"DEL", "a", "zz"}, {"UNLINK", "b"}, {"EXPIRE", "c", "100"}, {"PERSIST", "c"}, {"EXPIRE", "c", "-1"},
		{"SET", "r", "1"}, {"RENAME", "r", "r2"}, {"SET", "r3", "1"}, {"RENAME", "r2", "r3"}, {"RENAMENX", "r3", "r4"},
		{"COPY", "r4", "r5"}, {"COPY", "r4", "r5", "REPLACE"}, {"MOVE", "r5", "1"}, {"TOUCH", "zz"},
		{"EXISTS", "zz"}, {"TYPE", "zz"}, {"TTL", "zz"}, {"OBJECT", "ENCODING", "zz"}, {"LCS", "zz", "r4"},
		{"SWAPDB", "0", "1"}, {"FLUSHDB"}, {"FLUSHALL"},
	}
	run := func(addr string) []string {
		sub, c := testutil.Dial(t, addr), testutil.Dial(t, addr)
		defer sub.Close()
		defer c.Close()
		sub.Do("PSUBSCRIBE", "__key*__:*")
		sub.Do("SUBSCRIBE", "end")
		for _, cmd := range cmds {
			c.Do(cmd...)
		}
		c.Do("PUBLISH", "end", "x")
		var msgs []string
		for {
			r, err := sub.ReadReply()
			if err != nil {
				t.Fatalf("read notification: %v (after %d)", err, len(msgs))
			}
			if bytes.Contains(r, []byte("$3\r\nend\r\n")) {
				return msgs
			}
			msgs = append(msgs, string(r))
		}
	}
	w, r := run(addr), run(real.Addr())
	if !slices.Equal(w, r) {
		t.Errorf("notifications differ:\nwarden (%d):\n%s\nredis (%d):\n%s", len(w), strings.Join(w, "\n"), len(r), strings.Join(r, "\n"))
	}
}
