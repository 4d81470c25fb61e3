package backend

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/backend/rdb"
	"github.com/wardenhq/warden/internal/testutil"
)

// ---- helpers shared by persist_test.go, aof_test.go and crash_test.go ----

// respConn is a small RESP2 client returning parsed replies: string for
// simple and bulk strings, int64, []any, nil, or respErr. It is safe to use
// from any goroutine (one goroutine per connection).
type respConn struct {
	c net.Conn
	r *bufio.Reader
}

type respErr string

func dialRESP(t testing.TB, addr string) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &respConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
}

func (rc *respConn) send(args ...string) error {
	rc.c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := rc.c.Write(testutil.EncodeCommand(args...))
	return err
}

func (rc *respConn) do(args ...string) (any, error) {
	if err := rc.send(args...); err != nil {
		return nil, err
	}
	return rc.read()
}

func (rc *respConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 {
		return nil, fmt.Errorf("short line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return respErr(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = rc.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// must runs a command and fails the test on I/O errors and error replies.
func (rc *respConn) must(t testing.TB, args ...string) any {
	t.Helper()
	v, err := rc.do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if e, ok := v.(respErr); ok {
		t.Fatalf("%v: -%s", args, e)
	}
	return v
}

func respStrings(v any) []string {
	a, _ := v.([]any)
	out := make([]string, len(a))
	for i, x := range a {
		out[i], _ = x.(string)
	}
	return out
}

func joinQuoted(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ",")
}

// dumpRESP is a canonical dump of every key of databases 0..dbs-1 read over
// the wire with commands both Redis and warden answer identically: type,
// absolute expiry (PEXPIRETIME) and contents (unordered ones sorted).
func dumpRESP(t testing.TB, addr string, dbs int) map[string]string {
	t.Helper()
	rc := dialRESP(t, addr)
	out := map[string]string{}
	for db := 0; db < dbs; db++ {
		rc.must(t, "SELECT", strconv.Itoa(db))
		for _, k := range respStrings(rc.must(t, "KEYS", "*")) {
			typ := rc.must(t, "TYPE", k).(string)
			exp := rc.must(t, "PEXPIRETIME", k).(int64)
			var val string
			switch typ {
			case "string":
				val = strconv.Quote(rc.must(t, "GET", k).(string))
			case "list":
				val = joinQuoted(respStrings(rc.must(t, "LRANGE", k, "0", "-1")))
			case "set":
				m := respStrings(rc.must(t, "SMEMBERS", k))
				slices.Sort(m)
				val = joinQuoted(m)
			case "hash":
				kv := respStrings(rc.must(t, "HGETALL", k))
				pairs := make([]string, 0, len(kv)/2)
				for i := 0; i+1 < len(kv); i += 2 {
					pairs = append(pairs, strconv.Quote(kv[i])+"="+strconv.Quote(kv[i+1]))
				}
				slices.Sort(pairs)
				val = strings.Join(pairs, ",")
			case "zset":
				val = joinQuoted(respStrings(rc.must(t, "ZRANGE", k, "0", "-1", "WITHSCORES")))
			default:
				t.Fatalf("db %d key %q: unexpected type %s", db, k, typ)
			}
			out[fmt.Sprintf("%d/%q", db, k)] = fmt.Sprintf("%s|%d|%s", typ, exp, val)
		}
	}
	return out
}

// compareDumps fails the test listing (a few of) the differences.
func compareDumps(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("missing %s (want %.200s)", k, v))
		} else if g != v {
			diffs = append(diffs, fmt.Sprintf("%s: got %.200s, want %.200s", k, g, v))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %s = %.200s", k, v))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		if len(diffs) > 20 {
			diffs = append(diffs[:20], fmt.Sprintf("... and %d more", len(diffs)-20))
		}
		t.Fatalf("%s: %d keys in want, %d in got, differences:\n%s", what, len(want), len(got), strings.Join(diffs, "\n"))
	}
}

// canonicalEntry renders an entry the way canonicalRDB renders a decoded
// key, for exact comparisons of in-memory data with a saved file.
func canonicalEntry(e *Entry) string {
	exp := int64(-1)
	if e.expireAt != 0 {
		exp = e.expireAt
	}
	var val string
	switch o := e.obj.(type) {
	case nil:
		val = strconv.Quote(string(e.str))
	case *List:
		var items []string
		o.Each(func(v []byte) bool { items = append(items, string(v)); return true })
		val = joinQuoted(items)
	case *Set:
		var items []string
		o.Each(func(m []byte) bool { items = append(items, string(m)); return true })
		slices.Sort(items)
		val = joinQuoted(items)
	case *Hash:
		var items []string
		o.Each(func(f, v []byte) bool {
			items = append(items, strconv.Quote(string(f))+"="+strconv.Quote(string(v)))
			return true
		})
		slices.Sort(items)
		val = strings.Join(items, ",")
	case *ZSet:
		var items []string
		o.Each(func(m []byte, sc float64) bool {
			items = append(items, strconv.Quote(string(m))+"="+strconv.FormatFloat(sc, 'g', -1, 64))
			return true
		})
		slices.Sort(items)
		val = strings.Join(items, ",")
	}
	return fmt.Sprintf("%s|%d|%s", e.TypeName(), exp, val)
}

// canonicalLive dumps every key, expired or not. Caller holds s.mu.
func canonicalLive(s *Server) map[string]string {
	out := map[string]string{}
	for _, db := range s.dbs {
		db.d.each(func(k string, e *Entry) bool {
			out[fmt.Sprintf("%d/%q", db.id, k)] = canonicalEntry(e)
			return true
		})
	}
	return out
}

// canonicalVisitor renders a decoded RDB like canonicalLive.
type canonicalVisitor struct {
	db  int
	out map[string]string
	aux map[string]string
}

func (v *canonicalVisitor) put(key []byte, typ string, exp int64, val string) error {
	k := fmt.Sprintf("%d/%q", v.db, key)
	if _, dup := v.out[k]; dup {
		return fmt.Errorf("key %s written twice", k)
	}
	v.out[k] = fmt.Sprintf("%s|%d|%s", typ, exp, val)
	return nil
}
func (v *canonicalVisitor) Aux(k, val []byte) error             { v.aux[string(k)] = string(val); return nil }
func (v *canonicalVisitor) SelectDB(db int) error               { v.db = db; return nil }
func (v *canonicalVisitor) ResizeDB(keys, expires uint64) error { return nil }
func (v *canonicalVisitor) String(key, val []byte, exp int64) error {
	return v.put(key, "string", exp, strconv.Quote(string(val)))
}
func (v *canonicalVisitor) List(key []byte, elems [][]byte, exp int64) error {
	items := make([]string, len(elems))
	for i, e := range elems {
		items[i] = string(e)
	}
	return v.put(key, "list", exp, joinQuoted(items))
}
func (v *canonicalVisitor) Set(key []byte, members [][]byte, exp int64) error {
	items := make([]string, len(members))
	for i, e := range members {
		items[i] = string(e)
	}
	slices.Sort(items)
	return v.put(key, "set", exp, joinQuoted(items))
}
func (v *canonicalVisitor) Hash(key []byte, fields, values [][]byte, exp int64) error {
	items := make([]string, len(fields))
	for i := range fields {
		items[i] = strconv.Quote(string(fields[i])) + "=" + strconv.Quote(string(values[i]))
	}
	slices.Sort(items)
	return v.put(key, "hash", exp, strings.Join(items, ","))
}
func (v *canonicalVisitor) ZSet(key []byte, members [][]byte, scores []float64, exp int64) error {
	items := make([]string, len(members))
	for i := range members {
		items[i] = strconv.Quote(string(members[i])) + "=" + strconv.FormatFloat(scores[i], 'g', -1, 64)
	}
	slices.Sort(items)
	return v.put(key, "zset", exp, strings.Join(items, ","))
}

// canonicalRDB decodes an RDB file into canonicalLive's form.
func canonicalRDB(t testing.TB, path string) (map[string]string, map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	v := &canonicalVisitor{out: map[string]string{}, aux: map[string]string{}}
	if err := rdb.NewDecoder(bufio.NewReader(f)).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return v.out, v.aux
}

// checkRDB runs redis-check-rdb on path when it is installed.
func checkRDB(t testing.TB, path string) {
	t.Helper()
	checkWithRedisTool(t, "redis-check-rdb", path, "RDB looks OK")
}

// checkWithRedisTool runs one of Redis's file checkers on path and fails
// unless its output says ok; without the tool it only logs.
func checkWithRedisTool(t testing.TB, tool, path, ok string) {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Logf("%s not installed; skipping the external check", tool)
		return
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ok) {
		t.Fatalf("%s %s: %v\n%s", tool, path, err, out)
	}
}

// startPersistServer starts an in-process node whose data directory is
// dir (a fresh one when empty) and, at cleanup, waits for its background
// jobs to end before the directory is removed.
func startPersistServer(t testing.TB, dir string, tweak func(*Options)) (*Server, string) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	var srv *Server
	// Registered before startTestServer's cleanups, so it runs after the
	// server is shut down and before dir is removed.
	t.Cleanup(func() {
		if srv == nil {
			return
		}
		srv.mu.Lock()
		done := srv.persist.loopDone
		srv.mu.Unlock()
		if done == nil {
			return
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("persistence jobs still running 30s after shutdown")
		}
	})
	srv, addr := startTestServer(t, func(o *Options) {
		o.Dir = dir
		if tweak != nil {
			tweak(o)
		}
	})
	serverDirs.Store(addr, dir)
	return srv, addr
}

// newServerOn builds (without starting) a server on dir, for start-up
// failure tests.
func newServerOn(t testing.TB, dir string, tweak func(*Options)) *Server {
	t.Helper()
	opts := DefaultOptions()
	opts.Bind = []string{"127.0.0.1"}
	opts.Port = freePort(t)
	opts.Dir = dir
	if tweak != nil {
		tweak(opts)
	}
	s, err := New(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fillAllTypes writes keys of every type, in their small and big
// encodings, with and without TTLs, in several databases. Values use only
// what Redis and warden both store identically.
func fillAllTypes(t testing.TB, addr string) {
	t.Helper()
	rc := dialRESP(t, addr)
	future := strconv.FormatInt(time.Now().Add(2*time.Hour).UnixMilli(), 10)
	big := strings.Repeat("compressible-", 1000)
	rnd := rand.New(rand.NewPCG(1, 2))
	randStr := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		return string(b)
	}
	for _, db := range []string{"0", "1", "5", "15"} {
		rc.must(t, "SELECT", db)
		rc.must(t, "SET", "str:small", "v"+db)
		rc.must(t, "SET", "str:int", "12345")
		rc.must(t, "SET", "str:negint", "-7")
		rc.must(t, "SET", "str:int64", "1234567890123456789")
		rc.must(t, "SET", "str:notcanon", "007")
		rc.must(t, "SET", "str:empty", "")
		rc.must(t, "SET", "str:binary", "a\x00b\r\nc\xff")
		rc.must(t, "SET", "str:random", randStr(300))
		rc.must(t, "SET", "str:big", big)
		rc.must(t, "SET", "str:ttl", "expiring", "PXAT", future)
		rc.must(t, "APPEND", "str:appended", "x")
		rc.must(t, "APPEND", "str:appended", "yz")

		rc.must(t, "RPUSH", "list:small", "a", "1", "-2", "")
		args := []string{"RPUSH", "list:big"}
		for i := 0; i < 3000; i++ {
			if i%3 == 0 {
				args = append(args, strconv.Itoa(i*7919))
			} else {
				args = append(args, fmt.Sprintf("elem-%d-%s", i, strings.Repeat("z", i%90)))
			}
		}
		rc.must(t, args...)
		rc.must(t, "RPUSH", "list:hugeelem", strings.Repeat("h", 70000), "tail")
		rc.must(t, "LPUSH", "list:ttl", "x")
		rc.must(t, "PEXPIREAT", "list:ttl", future)

		rc.must(t, "SADD", "set:intset", "1", "2", "3", "-5", "4294967296", "-9223372036854775808")
		args = []string{"SADD", "set:bigints"}
		for i := 0; i < 700; i++ {
			args = append(args, strconv.Itoa(i*3))
		}
		rc.must(t, args...)
		rc.must(t, "SADD", "set:strings", "a", "b", "c", "10")
		args = []string{"SADD", "set:bigstrings"}
		for i := 0; i < 300; i++ {
			args = append(args, fmt.Sprintf("member:%d", i))
		}
		rc.must(t, args...)

		rc.must(t, "HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "")
		args = []string{"HSET", "hash:big"}
		for i := 0; i < 600; i++ {
			args = append(args, fmt.Sprintf("field:%d", i), fmt.Sprintf("value:%d", i*i))
		}
		rc.must(t, args...)
		rc.must(t, "HSET", "hash:longvalue", "f", strings.Repeat("L", 100))
		rc.must(t, "HSET", "hash:ttl", "a", "b")
		rc.must(t, "PEXPIREAT", "hash:ttl", future)

		rc.must(t, "ZADD", "zset:small", "1", "one", "2.5", "two.five", "-3", "neg", "inf", "top", "-inf", "bottom", "0", "zero")
		args = []string{"ZADD", "zset:big"}
		for i := 0; i < 400; i++ {
			args = append(args, strconv.FormatFloat(float64(i)/7-20, 'g', -1, 64), fmt.Sprintf("m%d", i))
		}
		rc.must(t, args...)
		rc.must(t, "ZADD", "zset:longmember", "1.25", strings.Repeat("M", 100), "3", "short")
		rc.must(t, "ZADD", "zset:ttl", "1e-300", "tiny", "1e300", "huge", "0.1", "tenth")
		rc.must(t, "PEXPIREAT", "zset:ttl", future)
	}
}

// ---- RDB interoperability with real Redis -------------------------------

// TestRDBWardenToRedis saves with warden and loads into real redis-server
// 7.0: redis-check-rdb accepts the file and every key, type, value and TTL
// matches. A second warden loads the same file identically.
func TestRDBWardenToRedis(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	for _, tc := range []struct {
		name               string
		compress, checksum bool
	}{{"compressed+checksum", true, true}, {"plain+nochecksum", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startPersistServer(t, "", func(o *Options) {
				o.RDBCompression, o.RDBChecksum = tc.compress, tc.checksum
			})
			fillAllTypes(t, addr)
			rc := dialRESP(t, addr)
			if v := rc.must(t, "SAVE"); v != "OK" {
				t.Fatalf("SAVE: %v", v)
			}
			want := dumpRESP(t, addr, 16)
			dir := t.TempDir()
			copyTestFile(t, filepath.Join(persistDir(t, addr), "dump.rdb"), filepath.Join(dir, "dump.rdb"))
			checkRDB(t, filepath.Join(dir, "dump.rdb"))

			r := testutil.StartRedis(t, "--dir", dir, "--dbfilename", "dump.rdb")
			compareDumps(t, "real redis loading warden's dump.rdb", want, dumpRESP(t, r.Addr(), 16))

			_, addr2 := startPersistServer(t, dir, nil)
			compareDumps(t, "warden reloading its dump.rdb", want, dumpRESP(t, addr2, 16))
		})
	}
}

// serverDirs maps a test server address to its data directory.
var serverDirs sync.Map

func persistDir(t testing.TB, addr string) string {
	t.Helper()
	v, ok := serverDirs.Load(addr)
	if !ok {
		t.Fatalf("no directory recorded for %s", addr)
	}
	return v.(string)
}

func copyTestFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRDBRedisToWarden loads a dump.rdb written by real redis-server 7.0,
// holding every type in its compact (listpack, intset, quicklist) and big
// (hashtable, skiplist, multi-node quicklist) encodings, LZF-compressed
// strings and TTLs, and checks warden sees identical data.
func TestRDBRedisToWarden(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	r := testutil.StartRedis(t)
	fillAllTypes(t, r.Addr())
	rc := dialRESP(t, r.Addr())
	// The fill must cover the encodings this test is about.
	want := map[string]string{
		"str:int": "int", "str:small": "embstr", "str:big": "raw",
		"list:small": "quicklist", "list:big": "quicklist",
		"set:intset": "intset", "set:bigints": "hashtable", "set:strings": "hashtable",
		"hash:small": "listpack", "hash:big": "hashtable", "hash:longvalue": "hashtable",
		"zset:small": "listpack", "zset:big": "skiplist", "zset:longmember": "skiplist",
	}
	for k, enc := range want {
		if got := rc.must(t, "OBJECT", "ENCODING", k); got != enc {
			t.Fatalf("redis encoding of %s is %v, want %s", k, got, enc)
		}
	}
	rc.must(t, "SAVE")
	expect := dumpRESP(t, r.Addr(), 16)
	dir := t.TempDir()
	copyTestFile(t, filepath.Join(r.Dir(), "dump.rdb"), filepath.Join(dir, "dump.rdb"))
	s, addr := startPersistServer(t, dir, nil)
	compareDumps(t, "warden loading redis's dump.rdb", expect, dumpRESP(t, addr, 16))
	s.Lock()
	loaded := s.persist.loadKeysLoaded
	s.Unlock()
	if loaded != int64(len(expect)) {
		t.Fatalf("rdb_last_load_keys_loaded = %d, want %d", loaded, len(expect))
	}
}

// ---- BGSAVE and friends -------------------------------------------------

// pauseWalks makes every snapshot walk wait on the returned channel's
// close between chunks (the release func closes it; cleanup too).
func pauseWalks(t testing.TB) (release func()) {
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	hook := func() { <-ch }
	snapshotChunkHook.Store(&hook)
	t.Cleanup(func() {
		release()
		snapshotChunkHook.Store(nil)
	})
	return release
}

// infoField returns one field of INFO persistence.
func persistInfo(t testing.TB, rc *respConn, name string) string {
	t.Helper()
	info := rc.must(t, "INFO", "persistence").(string)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO persistence has no %s:\n%s", name, info)
	return ""
}

func waitPersistIdle(t testing.TB, rc *respConn) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, 5*time.Millisecond, func() (bool, string) {
		bg, aof := persistInfo(t, rc, "rdb_bgsave_in_progress"), persistInfo(t, rc, "aof_rewrite_in_progress")
		sched := persistInfo(t, rc, "aof_rewrite_scheduled")
		return bg == "0" && aof == "0" && sched == "0", "bgsave " + bg + " aofrw " + aof + " scheduled " + sched
	})
}

func fillStringKeys(t testing.TB, s *Server, db, n int, prefix string) {
	t.Helper()
	s.Lock()
	defer s.Unlock()
	for i := 0; i < n; i++ {
		s.dbs[db].SetString(fmt.Sprintf("%s%d", prefix, i), []byte(strconv.Itoa(i)), false)
	}
}

func TestBgsaveCommands(t *testing.T) {
	s, addr := startPersistServer(t, "", func(o *Options) { o.Save = nil })
	fillStringKeys(t, s, 0, 5000, "k")
	rc := dialRESP(t, addr)
	before := rc.must(t, "LASTSAVE").(int64)

	release := pauseWalks(t)
	if v := rc.must(t, "BGSAVE"); v != "Background saving started" {
		t.Fatalf("BGSAVE: %v", v)
	}
	for _, c := range []struct {
		args []string
		want any
	}{
		{[]string{"BGSAVE"}, respErr("ERR Background save already in progress")},
		{[]string{"BGSAVE", "SCHEDULE"}, respErr("ERR Background save already in progress")},
		{[]string{"SAVE"}, respErr("ERR Background save already in progress")},
		{[]string{"BGSAVE", "NOW"}, respErr("ERR syntax error")},
		{[]string{"BGREWRITEAOF"}, "Background append only file rewriting scheduled"},
	} {
		if got, _ := rc.do(c.args...); got != c.want {
			t.Fatalf("%v during BGSAVE: %#v, want %#v", c.args, got, c.want)
		}
	}
	if v := persistInfo(t, rc, "rdb_bgsave_in_progress"); v != "1" {
		t.Fatalf("rdb_bgsave_in_progress = %s", v)
	}
	if v := persistInfo(t, rc, "current_save_keys_total"); v != "5000" {
		t.Fatalf("current_save_keys_total = %s", v)
	}
	if v := persistInfo(t, rc, "aof_rewrite_scheduled"); v != "1" {
		t.Fatalf("aof_rewrite_scheduled = %s", v)
	}
	release()
	// The BGSAVE ends, then the cron starts the scheduled rewrite.
	testutil.WaitFor(t, 10*time.Second, 5*time.Millisecond, func() (bool, string) {
		v := persistInfo(t, rc, "aof_rewrites")
		return v == "1", "aof_rewrites " + v
	})
	waitPersistIdle(t, rc)
	checkRDB(t, filepath.Join(persistDir(t, addr), "dump.rdb"))
	if got := rc.must(t, "LASTSAVE").(int64); got < before {
		t.Fatalf("LASTSAVE went back: %d < %d", got, before)
	}
	if v := persistInfo(t, rc, "rdb_last_bgsave_status"); v != "ok" {
		t.Fatalf("rdb_last_bgsave_status = %s", v)
	}

	// An AOF rewrite is running: BGSAVE must be scheduled explicitly.
	release = pauseWalks(t)
	if v := rc.must(t, "BGREWRITEAOF"); v != "Background append only file rewriting started" {
		t.Fatalf("BGREWRITEAOF: %v", v)
	}
	for _, c := range []struct {
		args []string
		want any
	}{
		{[]string{"BGSAVE"}, respErr("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")},
		{[]string{"BGREWRITEAOF"}, respErr("ERR Background append only file rewriting already in progress")},
		{[]string{"BGSAVE", "SCHEDULE"}, "Background saving scheduled"},
	} {
		if got, _ := rc.do(c.args...); got != c.want {
			t.Fatalf("%v during BGREWRITEAOF: %#v, want %#v", c.args, got, c.want)
		}
	}
	if v := persistInfo(t, rc, "aof_rewrite_in_progress"); v != "1" {
		t.Fatalf("aof_rewrite_in_progress = %s", v)
	}
	os.Remove(filepath.Join(persistDir(t, addr), "dump.rdb"))
	release()
	testutil.WaitFor(t, 10*time.Second, 5*time.Millisecond, func() (bool, string) {
		_, err := os.Stat(filepath.Join(persistDir(t, addr), "dump.rdb"))
		return err == nil, fmt.Sprint(err)
	})
	waitPersistIdle(t, rc)
	if v := rc.must(t, "SAVE"); v != "OK" {
		t.Fatalf("SAVE: %v", v)
	}
	if v := persistInfo(t, rc, "rdb_changes_since_last_save"); v != "0" {
		t.Fatalf("rdb_changes_since_last_save after SAVE = %s", v)
	}
	// Inside MULTI, BGSAVE is scheduled and SAVE is refused.
	rc.must(t, "MULTI")
	if v, _ := rc.do("SAVE"); v != respErr("ERR Command not allowed inside a transaction") {
		t.Fatalf("SAVE in MULTI: %#v", v)
	}
	rc.must(t, "DISCARD")
	rc.must(t, "MULTI")
	rc.must(t, "BGSAVE")
	if v := rc.must(t, "EXEC"); fmt.Sprint(v) != "[Background saving scheduled]" {
		t.Fatalf("EXEC [BGSAVE]: %#v", v)
	}
	waitPersistIdle(t, rc)
}

// TestInfoPersistenceFields checks the field list and order against real
// redis-server 7.0, with the AOF off and on.
func TestInfoPersistenceFields(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	names := func(addr string) []string {
		rc := dialRESP(t, addr)
		var out []string
		for _, line := range strings.Split(rc.must(t, "INFO", "persistence").(string), "\r\n") {
			if k, _, ok := strings.Cut(line, ":"); ok {
				out = append(out, k)
			}
		}
		return out
	}
	for _, aof := range []string{"no", "yes"} {
		r := testutil.StartRedis(t, "--appendonly", aof)
		_, addr := startPersistServer(t, "", func(o *Options) { o.AppendOnly = aof == "yes" })
		want, got := names(r.Addr()), names(addr)
		if !slices.Equal(want, got) {
			t.Fatalf("appendonly %s: INFO persistence fields\n got %v\nwant %v", aof, got, want)
		}
	}
}

func TestSavePoints(t *testing.T) {
	s, addr := startPersistServer(t, "", func(o *Options) { o.Save = []SavePoint{{Seconds: 1, Changes: 5}} })
	_ = s
	rc := dialRESP(t, addr)
	dump := filepath.Join(persistDir(t, addr), "dump.rdb")
	for i := 0; i < 4; i++ {
		rc.must(t, "SET", fmt.Sprint("k", i), "v")
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(dump); err == nil {
		t.Fatalf("saved after 4 changes with save 1 5")
	}
	rc.must(t, "SET", "k4", "v")
	testutil.WaitFor(t, 5*time.Second, 10*time.Millisecond, func() (bool, string) {
		_, err := os.Stat(dump)
		return err == nil, fmt.Sprint(err)
	})
	waitPersistIdle(t, rc)
	if v := persistInfo(t, rc, "rdb_changes_since_last_save"); v != "0" {
		t.Fatalf("rdb_changes_since_last_save = %s", v)
	}
	got, _ := canonicalRDB(t, dump)
	if len(got) != 5 {
		t.Fatalf("saved %d keys, want 5", len(got))
	}
}

// TestFlushallSaves: FLUSHALL saves the empty dataset when save points are
// set, and cancels a running BGSAVE, whose older snapshot must not land.
func TestFlushallSaves(t *testing.T) {
	s, addr := startPersistServer(t, "", nil)
	fillStringKeys(t, s, 0, 3000, "k")
	rc := dialRESP(t, addr)
	dump := filepath.Join(persistDir(t, addr), "dump.rdb")
	release := pauseWalks(t)
	rc.must(t, "BGSAVE")
	rc.must(t, "FLUSHALL")
	release()
	waitPersistIdle(t, rc)
	got, _ := canonicalRDB(t, dump)
	if len(got) != 0 {
		t.Fatalf("dump.rdb after FLUSHALL holds %d keys", len(got))
	}
	if v := persistInfo(t, rc, "rdb_changes_since_last_save"); v != "0" {
		t.Fatalf("rdb_changes_since_last_save after FLUSHALL = %s, want 0 (as Redis 7.0.15)", v)
	}
	if v := persistInfo(t, rc, "rdb_last_bgsave_status"); v != "ok" {
		t.Fatalf("an aborted BGSAVE must not count as failed: %s", v)
	}

	// Without save points FLUSHALL saves nothing.
	s2, addr2 := startPersistServer(t, "", func(o *Options) { o.Save = nil })
	fillStringKeys(t, s2, 0, 10, "k")
	dialRESP(t, addr2).must(t, "FLUSHALL")
	if _, err := os.Stat(filepath.Join(persistDir(t, addr2), "dump.rdb")); err == nil {
		t.Fatalf("FLUSHALL saved without save points")
	}
}

func TestShutdownSave(t *testing.T) {
	for _, tc := range []struct {
		name     string
		save     []SavePoint
		args     []string
		sigterm  bool
		wantSave bool
	}{
		{"sigterm-savepoints", DefaultOptions().Save, nil, true, true},
		{"sigterm-nosavepoints", nil, nil, true, false},
		{"shutdown", DefaultOptions().Save, []string{"SHUTDOWN"}, false, true},
		{"shutdown-nosave", DefaultOptions().Save, []string{"SHUTDOWN", "NOSAVE"}, false, false},
		{"shutdown-save", nil, []string{"SHUTDOWN", "SAVE"}, false, true},
		{"shutdown-nosavepoints", nil, []string{"SHUTDOWN"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, addr := startPersistServer(t, "", func(o *Options) { o.Save = tc.save })
			fillStringKeys(t, s, 2, 100, "k")
			if tc.sigterm {
				if err := s.Terminate(); err != nil {
					t.Fatal(err)
				}
			} else {
				rc := dialRESP(t, addr)
				if v, err := rc.do(tc.args...); err == nil {
					t.Fatalf("%v replied %v", tc.args, v)
				}
			}
			select {
			case <-s.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("server did not stop")
			}
			_, err := os.Stat(filepath.Join(persistDir(t, addr), "dump.rdb"))
			if (err == nil) != tc.wantSave {
				t.Fatalf("dump.rdb exists: %v, want %v", err == nil, tc.wantSave)
			}
			if tc.wantSave {
				got, _ := canonicalRDB(t, filepath.Join(persistDir(t, addr), "dump.rdb"))
				if len(got) != 100 {
					t.Fatalf("saved %d keys, want 100", len(got))
				}
			}
		})
	}
}

// TestLoadRDBRules: expired keys are dropped on load (and counted),
// duplicate keys and out-of-range databases refuse the start.
func TestLoadRDBRules(t *testing.T) {
	write := func(t *testing.T, dir string, fn func(e *rdb.Encoder)) {
		var buf bytes.Buffer
		e := rdb.NewEncoder(&buf, rdb.EncoderOptions{Checksum: true})
		e.WriteHeader()
		e.WriteAux("redis-ver", "7.0.15")
		fn(e)
		if err := e.WriteEnd(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("expired", func(t *testing.T) {
		dir := t.TempDir()
		past := time.Now().Add(-time.Hour).UnixMilli()
		future := time.Now().Add(time.Hour).UnixMilli()
		write(t, dir, func(e *rdb.Encoder) {
			e.SelectDB(0, 3, 2)
			e.WriteString([]byte("gone"), []byte("x"), past)
			e.WriteString([]byte("kept"), []byte("y"), future)
			e.WriteList([]byte("plain"), [][]byte{[]byte("a")}, 0)
		})
		_, addr := startPersistServer(t, dir, nil)
		rc := dialRESP(t, addr)
		if v := rc.must(t, "DBSIZE"); v != int64(2) {
			t.Fatalf("DBSIZE = %v", v)
		}
		if v := rc.must(t, "PEXPIRETIME", "kept"); v != future {
			t.Fatalf("PEXPIRETIME kept = %v, want %d", v, future)
		}
		if v := persistInfo(t, rc, "rdb_last_load_keys_expired"); v != "1" {
			t.Fatalf("rdb_last_load_keys_expired = %s", v)
		}
		if v := persistInfo(t, rc, "rdb_last_load_keys_loaded"); v != "2" {
			t.Fatalf("rdb_last_load_keys_loaded = %s", v)
		}
	})
	for name, fn := range map[string]func(e *rdb.Encoder){
		"duplicate": func(e *rdb.Encoder) {
			e.SelectDB(0, 2, 0)
			e.WriteString([]byte("k"), []byte("1"), 0)
			e.WriteString([]byte("k"), []byte("2"), 0)
		},
		"dbrange": func(e *rdb.Encoder) {
			e.SelectDB(16, 1, 0)
			e.WriteString([]byte("k"), []byte("1"), 0)
		},
		"dupmembers": func(e *rdb.Encoder) {
			e.SelectDB(0, 1, 0)
			e.WriteSet([]byte("s"), [][]byte{[]byte("a"), []byte("a")}, 0)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, fn)
			s := newServerOn(t, dir, nil)
			if err := s.Start(); err == nil {
				s.Shutdown()
				t.Fatalf("started over a bad dump.rdb")
			}
		})
	}
	t.Run("corrupt", func(t *testing.T) {
		dir := t.TempDir()
		write(t, dir, func(e *rdb.Encoder) {
			e.SelectDB(0, 1, 0)
			e.WriteString([]byte("k"), []byte("value"), 0)
		})
		b, _ := os.ReadFile(filepath.Join(dir, "dump.rdb"))
		b[len(b)-12] ^= 0xff // in the value: the checksum no longer matches
		os.WriteFile(filepath.Join(dir, "dump.rdb"), b, 0o644)
		s := newServerOn(t, dir, nil)
		if err := s.Start(); err == nil {
			s.Shutdown()
			t.Fatalf("started over a corrupt dump.rdb")
		}
	})
}

func TestDebugReload(t *testing.T) {
	_, addr := startPersistServer(t, "", func(o *Options) { o.EnableDebugCommand = "yes" })
	fillAllTypes(t, addr)
	want := dumpRESP(t, addr, 16)
	rc := dialRESP(t, addr)
	if v := rc.must(t, "DEBUG", "RELOAD"); v != "OK" {
		t.Fatalf("DEBUG RELOAD: %v", v)
	}
	compareDumps(t, "after DEBUG RELOAD", want, dumpRESP(t, addr, 16))
	rc.must(t, "SET", "extra", "1")
	if v := rc.must(t, "DEBUG", "RELOAD", "NOSAVE"); v != "OK" {
		t.Fatalf("DEBUG RELOAD NOSAVE: %v", v)
	}
	compareDumps(t, "after DEBUG RELOAD NOSAVE", want, dumpRESP(t, addr, 16))
	if v, _ := rc.do("DEBUG", "RELOAD", "BOGUS"); v != respErr("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.") {
		t.Fatalf("DEBUG RELOAD BOGUS: %#v", v)
	}
}

// ---- the snapshot walker ------------------------------------------------

// hammer runs write commands of every kind on the server from several
// connections until stop is closed; it returns the number of commands.
func hammerWrites(t *testing.T, addr string, stop <-chan struct{}) func() int64 {
	var wg sync.WaitGroup
	var total atomic.Int64
	ops := [][]string{
		{"APPEND", "s:%d", "++"},
		{"SETRANGE", "s:%d", "2", "XY"},
		{"INCR", "n:%d"},
		{"INCRBY", "n:%d", "-3"},
		{"LPUSH", "l:%d", "new"},
		{"RPOP", "l:%d"},
		{"LSET", "l:%d", "0", "changed"},
		{"HSET", "h:%d", "f1", "changed", "fnew", "v"},
		{"HDEL", "h:%d", "f0"},
		{"SADD", "set:%d", "added", "99999"},
		{"SREM", "set:%d", "1"},
		{"ZADD", "z:%d", "42.5", "m1", "7", "new"},
		{"ZINCRBY", "z:%d", "1", "m0"},
		{"DEL", "s:%d"},
		{"DEL", "h:%d"},
		{"EXPIRE", "l:%d", "100000"},
		{"PERSIST", "e:%d"},
		{"SET", "s:%d", "replaced"},
		{"SET", "fresh:%d", "created during the save"},
		{"RENAME", "n:%d", "renamed:%d"},
		{"MOVE", "set:%d", "4"},
		{"SETEX", "e:%d", "100000", "v"},
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			rc := &respConn{c: c, r: bufio.NewReader(c)}
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			db := w % 4
			rc.do("SELECT", strconv.Itoa(db))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var args []string
				switch {
				case i%500 == 250 && w == 0:
					args = []string{"SWAPDB", "1", "2"}
				case i%1000 == 999 && w == 3:
					args = []string{"FLUSHDB"}
				default:
					op := ops[rnd.IntN(len(ops))]
					k := rnd.IntN(20000)
					args = make([]string, len(op))
					for j, a := range op {
						if strings.Contains(a, "%d") {
							a = fmt.Sprintf(a, k)
						}
						args[j] = a
					}
				}
				if _, err := rc.do(args...); err != nil {
					t.Error(err)
					return
				}
				total.Add(1)
			}
		}(w)
	}
	return func() int64 { wg.Wait(); return total.Load() }
}

// fillMixed writes n keys of every type into databases 0-3.
func fillMixed(s *Server, n int) {
	s.Lock()
	defer s.Unlock()
	far := time.Now().Add(24 * time.Hour).UnixMilli()
	for db := 0; db < 4; db++ {
		d := s.dbs[db]
		for i := 0; i < n; i++ {
			d.SetString(fmt.Sprintf("s:%d", i), []byte(fmt.Sprintf("string-%d-%d", db, i)), false)
			d.SetString(fmt.Sprintf("n:%d", i), []byte(strconv.Itoa(i)), false)
			if i%4 == 0 {
				d.SetObject(fmt.Sprintf("l:%d", i), NewListFromElems([][]byte{[]byte("a"), []byte(strconv.Itoa(i)), []byte("c")}))
				d.SetObject(fmt.Sprintf("h:%d", i), NewHashFromPairs([][]byte{[]byte("f0"), []byte("f1")}, [][]byte{[]byte("v0"), []byte(strconv.Itoa(i))}))
				d.SetObject(fmt.Sprintf("set:%d", i), NewSetFromMembers([][]byte{[]byte("1"), []byte("2"), []byte(strconv.Itoa(i))}))
				d.SetObject(fmt.Sprintf("z:%d", i), NewZSetFromPairs([][]byte{[]byte("m0"), []byte("m1")}, []float64{float64(i) / 3, -1}))
				e := d.SetString(fmt.Sprintf("e:%d", i), []byte("expiring"), false)
				d.SetExpire(fmt.Sprintf("e:%d", i), e, far)
			}
		}
	}
}

// TestBgsaveSnapshotConsistency hammers every kind of write (in-place
// string changes, collections, deletes, renames, moves, TTLs, FLUSHDB,
// SWAPDB) while a slowed-down BGSAVE walks a large dataset, and checks the
// file holds exactly the dataset as it was when BGSAVE started.
func TestBgsaveSnapshotConsistency(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	s, addr := startPersistServer(t, "", func(o *Options) { o.Save = nil })
	fillMixed(s, n)
	hook := func() { time.Sleep(time.Millisecond) }
	snapshotChunkHook.Store(&hook)
	t.Cleanup(func() { snapshotChunkHook.Store(nil) })

	stop := make(chan struct{})
	wait := hammerWrites(t, addr, stop)
	time.Sleep(50 * time.Millisecond) // the hammer is running

	s.Lock()
	want := canonicalLive(s)
	if err := s.startBgsave(); err != nil {
		s.Unlock()
		t.Fatal(err)
	}
	s.Unlock()
	rc := dialRESP(t, addr)
	waitPersistIdle(t, rc)
	close(stop)
	ops := wait()
	t.Logf("%d keys at BGSAVE start, %d concurrent writes during the save", len(want), ops)
	if ops < 1000 {
		t.Fatalf("only %d writes ran during the save: the test proves nothing", ops)
	}
	path := filepath.Join(persistDir(t, addr), "dump.rdb")
	checkRDB(t, path)
	got, _ := canonicalRDB(t, path)
	compareDumps(t, "BGSAVE file vs dataset at BGSAVE start", want, got)
	s.Lock()
	for _, db := range s.dbs {
		if db.d.pre != nil {
			t.Errorf("db %d still preserves values after the save", db.id)
		}
	}
	s.Unlock()
}

// TestSnapshotToMatchesDataset streams a snapshot to a pipe-like writer
// under writes and checks it decodes to the dataset at its start.
func TestSnapshotTo(t *testing.T) {
	s, addr := startPersistServer(t, "", func(o *Options) { o.Save = nil })
	fillMixed(s, 3000)
	_ = addr
	s.Lock()
	want := canonicalLive(s)
	s.Unlock()
	var buf bytes.Buffer
	if err := s.SnapshotTo(&buf, map[string]string{"repl-id": strings.Repeat("a", 40), "repl-offset": "123", "repl-stream-db": "0"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snap.rdb")
	os.WriteFile(path, buf.Bytes(), 0o644)
	checkRDB(t, path)
	got, aux := canonicalRDB(t, path)
	compareDumps(t, "SnapshotTo", want, got)
	if aux["repl-offset"] != "123" || aux["aof-base"] != "0" || aux["redis-ver"] != RedisVersion {
		t.Fatalf("aux fields: %v", aux)
	}
}

// buildWarden builds the warden binary once per test binary run.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func buildWarden(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		// A fixed directory, so runs do not pile up binaries; the build
		// goes to a private name renamed into place, so concurrent test
		// processes never run a half-written file.
		dir := filepath.Join(os.TempDir(), "warden-persist-test-bin")
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		buildPath = filepath.Join(dir, "warden")
		tmp := fmt.Sprintf("%s.%d", buildPath, os.Getpid())
		out, err := exec.Command("go", "build", "-o", tmp, "../cmd/warden").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		buildErr = os.Rename(tmp, buildPath)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// startWarden runs the warden binary on dir with extra directives and
// returns the process and its address.
func startWarden(t testing.TB, dir string, args ...string) (*testutil.Proc, string) {
	t.Helper()
	bin := buildWarden(t)
	port := testutil.FreePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	argv := append([]string{"server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}, args...)
	return testutil.StartProcess(t, bin, argv, testutil.PingReady(addr)), addr
}

// pipeline sends cmds in one go and reads their replies, failing on errors.
func pipeline(t testing.TB, rc *respConn, cmds [][]string) {
	t.Helper()
	var buf []byte
	for _, c := range cmds {
		buf = append(buf, testutil.EncodeCommand(c...)...)
	}
	rc.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := rc.c.Write(buf); err != nil {
		t.Fatal(err)
	}
	for range cmds {
		v, err := rc.read()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := v.(respErr); ok {
			t.Fatalf("pipeline: -%s", e)
		}
	}
}

// loadKeys writes about n keys of every type (80% strings) through rc,
// pipelined; prefix keeps batches apart.
func loadKeys(t testing.TB, rc *respConn, n int, prefix string) {
	t.Helper()
	var cmds [][]string
	flush := func() {
		pipeline(t, rc, cmds)
		cmds = cmds[:0]
	}
	mset := []string{"MSET"}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		switch i % 20 {
		case 0:
			cmds = append(cmds, []string{"RPUSH", "l" + k, "a", "b", strconv.Itoa(i)})
		case 1:
			cmds = append(cmds, []string{"HSET", "h" + k, "f", "v", "n", strconv.Itoa(i)})
		case 2:
			cmds = append(cmds, []string{"SADD", "s" + k, "1", "2", strconv.Itoa(i)})
		case 3:
			cmds = append(cmds, []string{"ZADD", "z" + k, "1", "a", "2.5", strconv.Itoa(i)})
		default:
			mset = append(mset, k, "value-"+strconv.Itoa(i))
			if len(mset) > 2000 {
				cmds = append(cmds, mset)
				mset = []string{"MSET"}
			}
		}
		if len(cmds) >= 500 {
			flush()
		}
	}
	if len(mset) > 1 {
		cmds = append(cmds, mset)
	}
	flush()
}

// TestBgsaveLatency measures, with one million keys in a warden process,
// the worst latency a client sees while BGSAVE runs, against the same
// measurement with no save running (the figures go in benchmarks/results).
func TestBgsaveLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("loads one million keys")
	}
	dir := t.TempDir()
	_, addr := startWarden(t, dir, "--save", "")
	rc := dialRESP(t, addr)
	const n = 1_000_000
	loadKeys(t, rc, n, "key:")
	if v := rc.must(t, "DBSIZE").(int64); v != n {
		t.Fatalf("DBSIZE = %d", v)
	}
	type stats struct {
		max, p99 time.Duration
		count    int
		over     int // commands slower than 10 ms
	}
	probe := func(cond func() bool) stats {
		var st stats
		var lat []time.Duration
		for i := 0; cond(); i++ {
			start := time.Now()
			if i%2 == 0 {
				rc.must(t, "SET", "probe:"+strconv.Itoa(i%1000), "v")
			} else {
				rc.must(t, "GET", "key:"+strconv.Itoa(i%n))
			}
			d := time.Since(start)
			lat = append(lat, d)
			st.max = max(st.max, d)
			st.count++
			if d > 10*time.Millisecond {
				st.over++
			}
		}
		slices.Sort(lat)
		if len(lat) > 0 {
			st.p99 = lat[len(lat)*99/100]
		}
		return st
	}
	ctl := dialRESP(t, addr)
	end := time.Now().Add(3 * time.Second)
	idle := probe(func() bool { return time.Now().Before(end) })
	for round := 0; round < 3; round++ {
		start := time.Now()
		ctl.must(t, "BGSAVE")
		checks := 0
		busy := probe(func() bool {
			checks++
			return checks%100 != 0 || persistInfo(t, ctl, "rdb_bgsave_in_progress") == "1"
		})
		dur := time.Since(start)
		st, err := os.Stat(filepath.Join(dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d keys, BGSAVE %v, dump.rdb %d MB; idle: max %v p99 %v (%d cmds, %d > 10ms); during BGSAVE: max %v p99 %v (%d cmds, %d > 10ms)",
			round, n, dur.Round(time.Millisecond), st.Size()>>20,
			idle.max.Round(time.Microsecond), idle.p99.Round(time.Microsecond), idle.count, idle.over,
			busy.max.Round(time.Microsecond), busy.p99.Round(time.Microsecond), busy.count, busy.over)
		if busy.max > 50*time.Millisecond {
			t.Errorf("a command waited %v during BGSAVE (limit 50ms)", busy.max)
		}
	}
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
}

// BenchmarkSnapshotWalk is the cost of one full walk (RDB to io.Discard)
// of about 260k keys of every type.
func BenchmarkSnapshotWalk(b *testing.B) {
	s, _ := startPersistServer(b, "", func(o *Options) { o.Save = nil })
	fillMixed(s, 20000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.SnapshotTo(io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBgsaveErrorStopsWrites: a failed BGSAVE with save points set and
// stop-writes-on-bgsave-error refuses writes (and PING) with MISCONF until
// a save succeeds again.
func TestBgsaveErrorStopsWrites(t *testing.T) {
	s, addr := startPersistServer(t, "", func(o *Options) { o.Save = []SavePoint{{3600, 1}} })
	rc := dialRESP(t, addr)
	rc.must(t, "SET", "k", "v")
	s.Lock()
	dir := s.opts.Dir
	s.opts.Dir = filepath.Join(dir, "missing")
	s.Unlock()
	rc.must(t, "BGSAVE")
	testutil.WaitFor(t, 10*time.Second, 5*time.Millisecond, func() (bool, string) {
		v := persistInfo(t, rc, "rdb_last_bgsave_status")
		return v == "err", v
	})
	misconf := respErr("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
	for _, args := range [][]string{{"SET", "k", "v2"}, {"PING"}, {"DEL", "k"}} {
		if v, _ := rc.do(args...); v != misconf {
			t.Fatalf("%v after a failed BGSAVE: %#v", args, v)
		}
	}
	if v := rc.must(t, "GET", "k"); v != "v" {
		t.Fatalf("GET: %v", v)
	}
	rc.must(t, "CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
	rc.must(t, "SET", "k", "v3")
	rc.must(t, "CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
	s.Lock()
	s.opts.Dir = dir
	s.Unlock()
	rc.must(t, "BGSAVE")
	waitPersistIdle(t, rc)
	if v := rc.must(t, "SET", "k", "v4"); v != "OK" {
		t.Fatalf("SET after a good BGSAVE: %v", v)
	}
}
