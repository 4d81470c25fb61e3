package sentinel

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/redisconf"
	"github.com/wardenhq/warden/internal/resp"
	"github.com/wardenhq/warden/internal/testutil"
)

// apiSentinel is an in-process sentinel started by a test, with its config
// file and a client connection to its port.
type apiSentinel struct {
	*Sentinel
	path string
	conn *testutil.RawConn
}

// writeSentinelConf writes a sentinel.conf into a fresh directory.
func writeSentinelConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAPISentinel starts a sentinel on a free loopback port with the
// config file at path; it is closed at cleanup.
func startAPISentinel(t *testing.T, path string) *apiSentinel {
	t.Helper()
	port := testutil.FreePort(t)
	s, err := New(Config{Path: path, Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &apiSentinel{Sentinel: s, path: path, conn: testutil.Dial(t, s.Addr())}
}

// do runs a command and decodes its reply.
func do(t *testing.T, c *testutil.RawConn, args ...string) resp.Value {
	t.Helper()
	return parse(t, c.Do(args...))
}

func parse(t *testing.T, raw []byte) resp.Value {
	t.Helper()
	v, n, err := resp.ParseReply(raw, resp.ReplyLimits{})
	if err != nil || n != len(raw) {
		t.Fatalf("bad reply %q: n=%d err=%v", raw, n, err)
	}
	return v
}

// pairs turns an instance entry (flat RESP2 array or RESP3 map) into its
// keys and values, failing unless every key and value is a bulk string.
func pairs(t *testing.T, v resp.Value, proto int) (keys, vals []string) {
	t.Helper()
	want := byte('*')
	if proto == 3 {
		want = '%'
	}
	if v.Type != want || len(v.Elems)%2 != 0 {
		t.Fatalf("entry: type %q with %d elements, want %q with pairs", v.Type, len(v.Elems), want)
	}
	for i, e := range v.Elems {
		if e.Type != '$' || e.Null {
			t.Fatalf("entry element %d is %q %q, want a bulk string", i, e.Type, e.Str)
		}
		if i%2 == 0 {
			keys = append(keys, e.Str)
		} else {
			vals = append(vals, e.Str)
		}
	}
	return keys, vals
}

func entryMap(keys, vals []string) map[string]string {
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m
}

// masterEntry fetches SENTINEL MASTER <name> as a map.
func masterEntry(t *testing.T, c *testutil.RawConn, name string) map[string]string {
	t.Helper()
	return entryMap(pairs(t, do(t, c, "SENTINEL", "MASTER", name), 2))
}

// Field orders of §1.4 (base layouts, no optional fields).
var (
	masterFields = []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
		"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
		"role-reported", "role-reported-time", "config-epoch", "num-slaves", "num-other-sentinels", "quorum",
		"failover-timeout", "parallel-syncs"}
	replicaFields = []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
		"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds", "info-refresh",
		"role-reported", "role-reported-time", "master-link-down-time", "master-link-status", "master-host",
		"master-port", "slave-priority", "slave-repl-offset", "replica-announced"}
	sentinelFields = []string{"name", "ip", "port", "runid", "flags", "link-pending-commands", "link-refcount",
		"last-ping-sent", "last-ok-ping-reply", "last-ping-reply", "down-after-milliseconds",
		"last-hello-message", "voted-leader", "voted-leader-epoch"}
)

func sameStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// startMonitored starts a redis-server and a sentinel monitoring it as
// mymaster (quorum 2), with a fast INFO period so replicas show up
// quickly, and waits until the sentinel has read the master's INFO.
func startMonitored(t *testing.T, extraConf string) (*testutil.Proc, *apiSentinel) {
	t.Helper()
	redis := testutil.StartRedis(t)
	path := writeSentinelConf(t, fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 2\n%s", redis.Port(), extraConf))
	s := startAPISentinel(t, path)
	if r := do(t, s.conn, "SENTINEL", "DEBUG", "info-period", "200"); r.Str != "OK" {
		t.Fatalf("SENTINEL DEBUG info-period: %+v", r)
	}
	testutil.WaitFor(t, 10*time.Second, 20*time.Millisecond, func() (bool, string) {
		m := masterEntry(t, s.conn, "mymaster")
		return m["runid"] != "" && m["flags"] == "master", fmt.Sprintf("master entry %v", m)
	})
	return redis, s
}

// noSyncDelay makes a redis-server master serve a new replica at once
// (its default waits 5 s for more replicas before a diskless sync).
func noSyncDelay(t *testing.T, master *testutil.Proc) {
	t.Helper()
	c := testutil.Dial(t, master.Addr())
	if r := string(c.Do("CONFIG", "SET", "repl-diskless-sync-delay", "0")); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET repl-diskless-sync-delay: %q", r)
	}
}

func TestSentinelLibraryAPI(t *testing.T) {
	redis, s := startMonitored(t, "")
	host, port, ok := s.MasterAddr("mymaster")
	if !ok || host != "127.0.0.1" || port != redis.Port() {
		t.Fatalf("MasterAddr = %s %d %v, want 127.0.0.1 %d", host, port, ok, redis.Port())
	}
	if _, _, ok := s.MasterAddr("nosuch"); ok {
		t.Fatal("MasterAddr of an unknown master reports ok")
	}
	ms := s.Masters()
	if len(ms) != 1 {
		t.Fatalf("Masters: %+v", ms)
	}
	m := ms[0]
	if m.Name != "mymaster" || m.Host != "127.0.0.1" || m.Port != redis.Port() || m.Quorum != 2 ||
		!HasFlag(m.Flags, "master") || m.FailoverState != "none" || len(m.Replicas) != 0 || len(m.Sentinels) != 0 {
		t.Fatalf("Masters()[0] = %+v", m)
	}
	if id := s.ID(); !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(id) {
		t.Fatalf("ID = %q", id)
	}
}

func TestSentinelReplicaSnapshot(t *testing.T) {
	redis, s := startMonitored(t, "")
	noSyncDelay(t, redis)
	r1 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(redis.Port()))
	r2 := testutil.StartRedis(t, "--replicaof", "127.0.0.1", strconv.Itoa(redis.Port()), "--replica-announced", "no")
	testutil.WaitFor(t, 15*time.Second, 50*time.Millisecond, func() (bool, string) {
		ms := s.Masters()
		if len(ms[0].Replicas) != 2 {
			return false, fmt.Sprintf("replicas %+v", ms[0].Replicas)
		}
		for _, r := range ms[0].Replicas {
			if r.RunID == "" || !r.MasterLinkUp {
				return false, fmt.Sprintf("replica not read yet: %+v", r)
			}
		}
		return true, ""
	})
	byPort := map[int]ReplicaState{}
	for _, r := range s.Masters()[0].Replicas {
		byPort[r.Port] = r
	}
	if r := byPort[r1.Port()]; !r.Announced || !HasFlag(r.Flags, "slave") || r.Priority != 100 {
		t.Fatalf("replica 1: %+v", r)
	}
	if r := byPort[r2.Port()]; r.Announced {
		t.Fatalf("replica 2 has replica-announced no but Announced: %+v", r)
	}
	// REPLICAS and SLAVES hide the unannounced one; num-slaves counts both.
	for _, sub := range []string{"REPLICAS", "SLAVES"} {
		v := do(t, s.conn, "SENTINEL", sub, "mymaster")
		if v.Type != '*' || len(v.Elems) != 1 {
			t.Fatalf("SENTINEL %s: %d entries, want 1", sub, len(v.Elems))
		}
		keys, vals := pairs(t, v.Elems[0], 2)
		if !sameStrings(keys, replicaFields) {
			t.Fatalf("SENTINEL %s fields:\n got %v\nwant %v", sub, keys, replicaFields)
		}
		e := entryMap(keys, vals)
		if e["name"] != fmt.Sprintf("127.0.0.1:%d", r1.Port()) || e["master-link-status"] != "ok" ||
			e["master-port"] != strconv.Itoa(redis.Port()) || e["replica-announced"] != "1" {
			t.Fatalf("SENTINEL %s entry: %v", sub, e)
		}
	}
	if n := masterEntry(t, s.conn, "mymaster")["num-slaves"]; n != "2" {
		t.Fatalf("num-slaves = %s, want 2", n)
	}
	// The replicas reach the config file as known-replica lines.
	s.conn.Do("SENTINEL", "FLUSHCONFIG")
	data, _ := os.ReadFile(s.path)
	for _, r := range []*testutil.Proc{r1, r2} {
		line := fmt.Sprintf("sentinel known-replica mymaster 127.0.0.1 %d", r.Port())
		if !strings.Contains(string(data), line) {
			t.Fatalf("config lacks %q:\n%s", line, data)
		}
	}
}

func TestSentinelConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		conf   string
		line   int
		reason string
	}{
		{"port 26379\nsentinel monitor mymaster 127.0.0.1 6379 0\n", 2, "Quorum must be 1 or greater."},
		{"sentinel monitor mymaster 127.0.0.1 6379 2\n\nsentinel myid abc\n", 3, "Malformed Sentinel id in myid option."},
		{"sentinel down-after-milliseconds nosuch 1000\n", 1, "No such master with specified name."},
		{"sentinel bogus-directive x\n", 1, "Unrecognized sentinel configuration statement."},
		{"no-such-directive 1\n", 1, "Bad directive or wrong number of arguments"},
	} {
		_, err := New(Config{Path: writeSentinelConf(t, tc.conf)})
		var le *redisconf.LineError
		if !errors.As(err, &le) {
			t.Errorf("%q: error %v, want a LineError", tc.conf, err)
			continue
		}
		if le.Line != tc.line || le.Reason != tc.reason {
			t.Errorf("%q: line %d reason %q, want line %d reason %q", tc.conf, le.Line, le.Reason, tc.line, tc.reason)
		}
		if !strings.Contains(le.Fatal(), "*** FATAL CONFIG FILE ERROR") {
			t.Errorf("%q: Fatal() = %q", tc.conf, le.Fatal())
		}
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Sentinel needs config file on disk") {
		t.Errorf("New without a file: %v", err)
	}
}

// TestSentinelMyIDStable: a new sentinel saves the id it picks, and a
// restart on the same file keeps it (peers know a sentinel by it).
func TestSentinelMyIDStable(t *testing.T) {
	path := writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 6379 2\n")
	s1 := startAPISentinel(t, path)
	id := do(t, s1.conn, "SENTINEL", "MYID")
	if id.Type != '$' || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(id.Str) {
		t.Fatalf("MYID = %+v", id)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "sentinel myid "+id.Str) {
		t.Fatalf("config file lacks the myid line:\n%s", data)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startAPISentinel(t, path)
	if id2 := do(t, s2.conn, "SENTINEL", "MYID"); id2.Str != id.Str {
		t.Fatalf("MYID after restart = %q, want %q", id2.Str, id.Str)
	}
}

// TestSentinelFailedStartLeavesFile: a sentinel that cannot open its
// port, or is closed without being started, leaves sentinel.conf byte for
// byte as it was, as redis-sentinel does (it saves the id it picks only
// once it listens). Once started, the id is saved.
func TestSentinelFailedStartLeavesFile(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	const text = "sentinel monitor mymaster 127.0.0.1 6379 2\n"
	path := writeSentinelConf(t, text)
	unchanged := func(what string) {
		t.Helper()
		if data, err := os.ReadFile(path); err != nil || string(data) != text {
			t.Fatalf("%s: config file is now %q (%v), want it untouched", what, data, err)
		}
	}

	s, err := New(Config{Path: path, Args: []string{"--port", busy, "--bind", "127.0.0.1"}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	unchanged("after New")
	if err := s.Start(); err == nil {
		t.Fatal("Start on a port in use succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after a failed Start: %v", err)
	}
	unchanged("after a failed Start and Close")

	s, err = New(Config{Path: path, Args: []string{"--port", strconv.Itoa(testutil.FreePort(t)), "--bind", "127.0.0.1"}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close without Start: %v", err)
	}
	unchanged("after New and Close without Start")

	started := startAPISentinel(t, path)
	id := do(t, started.conn, "SENTINEL", "MYID").Str
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), "sentinel myid "+id) {
		t.Fatalf("started sentinel did not save its id %s:\n%s", id, data)
	}
}

// TestSentinelCloseFlushes: Close writes the state a last time and stops
// serving.
func TestSentinelCloseFlushes(t *testing.T) {
	path := writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 6379 2\n")
	s := startAPISentinel(t, path)
	// Make the file stale behind the sentinel's back; Close must rewrite it.
	if err := os.WriteFile(path, []byte("sentinel monitor mymaster 127.0.0.1 6379 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "sentinel myid ") || !strings.Contains(string(data), "sentinel current-epoch 0") {
		t.Fatalf("config after Close:\n%s", data)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if _, err := s.conn.TryDo("PING"); err == nil {
		t.Fatal("client port still answers after Close")
	}
}

// TestSentinelShutdownCommand: SHUTDOWN stops the sentinel like SIGTERM:
// no save of a dataset, but the config is saved and Done closes.
func TestSentinelShutdownCommand(t *testing.T) {
	path := writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 6379 2\n")
	s := startAPISentinel(t, path)
	if err := os.WriteFile(path, []byte("sentinel monitor mymaster 127.0.0.1 6379 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _ = s.conn.TryDo("SHUTDOWN")
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN did not stop the sentinel")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "sentinel myid ") {
		t.Fatalf("config after SHUTDOWN not saved:\n%s", data)
	}
}

// TestSentinelInjectedClock: Config.Now is the clock of every core input
// and reply, so tests can control the times SENTINEL shows.
func TestSentinelInjectedClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	port := testutil.FreePort(t)
	s, err := New(Config{
		Path: writeSentinelConf(t, "sentinel monitor mymaster 127.0.0.1 1 2\n"),
		Args: []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"},
		Now:  clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := testutil.Dial(t, s.Addr())
	peer := strings.Repeat("f", 40)
	c.Do("PUBLISH", "__sentinel__:hello", fmt.Sprintf("127.0.0.1,%d,%s,0,mymaster,127.0.0.1,1,0", testutil.FreePort(t), peer))
	mu.Lock()
	now = now.Add(7 * time.Second)
	mu.Unlock()
	v := do(t, c, "SENTINEL", "SENTINELS", "mymaster")
	if len(v.Elems) != 1 {
		t.Fatalf("SENTINELS: %+v", v)
	}
	if e := entryMap(pairs(t, v.Elems[0], 2)); e["last-hello-message"] != "7000" {
		t.Fatalf("last-hello-message = %q, want 7000 (the injected clock moved 7 s)", e["last-hello-message"])
	}
}
