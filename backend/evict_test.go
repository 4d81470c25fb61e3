package backend

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// newEvictServer is a server that is not listening: the eviction functions
// are driven directly.
func newEvictServer(t *testing.T, policy string) *Server {
	t.Helper()
	o := DefaultOptions()
	o.MaxMemPolicy = policy
	o.MaxMemSamples = 64
	s, err := New(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// evictKeySpec describes a key of the eviction tests.
type evictKeySpec struct {
	name   string
	idle   uint32 // seconds since the last access
	freq   uint8  // LFU counter
	ttlSec int64  // 0 = no TTL
}

// evictServerWith is a non-listening server whose db 0 holds keys.
func evictServerWith(t *testing.T, policy string, keys []evictKeySpec) *Server {
	t.Helper()
	s := newEvictServer(t, policy)
	s.opts.LFUDecayTime = 0 // no decay: the counters decide
	now := s.lruClock()
	db := s.DB(0)
	for _, k := range keys {
		e := db.SetString(k.name, []byte("v"), false)
		e.lru, e.freq = now-k.idle, k.freq
		if k.ttlSec > 0 {
			db.SetExpire(k.name, e, s.nowMs()+k.ttlSec*1000)
		}
	}
	return s
}

func TestEvictionCandidate(t *testing.T) {
	keys := []evictKeySpec{
		{"hot", 0, 200, 0},
		{"cold", 5000, 1, 0},
		{"warm-ttl", 10, 50, 1000},
		{"old-ttl", 3000, 100, 5000},
		{"soon", 1, 150, 10},
	}
	for _, tc := range []struct{ policy, want string }{
		{"allkeys-lru", "cold"},
		{"volatile-lru", "old-ttl"},
		{"allkeys-lfu", "cold"},
		{"volatile-lfu", "warm-ttl"},
		{"volatile-ttl", "soon"},
	} {
		s := evictServerWith(t, tc.policy, keys)
		if _, k, ok := s.evictionCandidate(); !ok || k != tc.want {
			t.Errorf("%s: first candidate %q (%v), want %s", tc.policy, k, ok, tc.want)
		}
	}
	// Volatile policies only ever pick keys with a TTL, and give up when
	// there are none.
	for _, policy := range []string{"volatile-random", "volatile-lru", "volatile-ttl", "volatile-lfu"} {
		s := evictServerWith(t, policy, []evictKeySpec{{name: "plain"}})
		if _, k, ok := s.evictionCandidate(); ok {
			t.Errorf("%s picked %s without any TTL key", policy, k)
		}
		e := s.DB(0).SetString("ttl", []byte("v"), false)
		s.DB(0).SetExpire("ttl", e, s.nowMs()+60000)
		for i := 0; i < 20; i++ {
			if _, k, ok := s.evictionCandidate(); !ok || k != "ttl" {
				t.Fatalf("%s picked %q, %v", policy, k, ok)
			}
		}
	}
	s := newEvictServer(t, "allkeys-random")
	if _, _, ok := s.evictionCandidate(); ok {
		t.Errorf("allkeys-random picked a key from an empty keyspace")
	}
	s.DB(3).SetString("only", []byte("v"), false)
	if db, k, ok := s.evictionCandidate(); !ok || k != "only" || db.ID() != 3 {
		t.Errorf("allkeys-random: %v %q %v", db, k, ok)
	}
	// LFU counters decay by one per lfu-decay-time minutes of idleness.
	s = evictServerWith(t, "allkeys-lfu", []evictKeySpec{{name: "k", idle: 600, freq: 20}})
	s.opts.LFUDecayTime = 2
	if got := s.lfuDecayed(s.DB(0).d.get("k")); got != 15 {
		t.Errorf("decayed counter %d, want 15", got)
	}
}

func TestEvictKeyEffects(t *testing.T) {
	s := newEvictServer(t, "allkeys-lru")
	var props []string
	s.AddPropagator(func(db int, args [][]byte) {
		props = append(props, fmt.Sprintf("%d %q", db, args))
	})
	db := s.DB(2)
	db.SetString("k", []byte(strings.Repeat("x", 1000)), false)
	size := s.evictKey(db, "k")
	if size < 1000 || db.Size() != 0 || s.stats.evictedKeys != 1 {
		t.Errorf("evictKey: size %d, dbsize %d, evicted %d", size, db.Size(), s.stats.evictedKeys)
	}
	if len(props) != 1 || props[0] != `2 ["DEL" "k"]` {
		t.Errorf("propagated %v", props)
	}
	if s.admin.mem.freed != size {
		t.Errorf("freed estimate %d, want %d", s.admin.mem.freed, size)
	}
}

func TestEvictionTimeLimit(t *testing.T) {
	if d := evictionTimeLimit(10); d != 500*time.Microsecond {
		t.Errorf("tenacity 10: %v", d)
	}
	if d := evictionTimeLimit(0); d != 0 {
		t.Errorf("tenacity 0: %v", d)
	}
	if a, b := evictionTimeLimit(50), evictionTimeLimit(60); !(a > 500*time.Microsecond && b > a) {
		t.Errorf("tenacity 50, 60: %v %v", a, b)
	}
	if d := evictionTimeLimit(100); d < time.Hour {
		t.Errorf("tenacity 100: %v", d)
	}
}

// TestDiffMaxmemoryOOM uses a 1-byte maxmemory, which any process exceeds,
// so both servers behave deterministically: noeviction refuses writes,
// and an eviction policy evicts every key and then refuses too.
func TestDiffMaxmemoryOOM(t *testing.T) {
	adminDiff(t, func(proto int) []testutil.Step {
		var s steps
		s.add("SET", "a", "1")
		s.add("SET", "b", "2")
		s.add("CONFIG", "SET", "maxmemory", "1")
		s.add("SET", "k", "v")
		s.add("GET", "a")
		s.add("APPEND", "a", "x")
		s.add("MULTI")
		s.add("GET", "a")
		s.add("EXEC")
		s.add("MULTI")
		s.add("DISCARD")
		s.add("DEL", "b")
		s.add("PING")
		s.add("CONFIG", "SET", "maxmemory-eviction-tenacity", "100")
		s.add("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
		s.add("SET", "k", "v")
		s.add("DBSIZE")
		s.add("CONFIG", "SET", "maxmemory", "0")
		s.add("SET", "k", "v")
		s.add("SET", "x", "y", "EX", "100")
		s.add("SET", "z", "y")
		s.add("CONFIG", "SET", "maxmemory-policy", "volatile-ttl", "maxmemory", "1")
		s.add("DBSIZE")
		s.add("SET", "w", "v")
		s.add("EXISTS", "k", "x", "z")
		s.add("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")
		s.add("FLUSHALL")
		return s
	}, nil, nil)
}

func infoField(t *testing.T, c *testutil.RawConn, field string) int64 {
	t.Helper()
	text := mustParse(t, c.Do("INFO", "everything")).str
	m := regexp.MustCompile(`\r\n` + field + `:(-?\d+)\r\n`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("INFO lacks %s", field)
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	return v
}

// TestEvictionUnderLoad writes far more than maxmemory allows with
// allkeys-lru and checks that keys are evicted (with notifications) instead
// of writes failing, and that used memory stays in the neighbourhood of
// the limit.
func TestEvictionUnderLoad(t *testing.T) {
	// used_memory is the whole process's heap, so the node runs in a
	// process of its own: in this test binary it would also count every
	// other test's servers and garbage.
	node := testutil.StartWarden(t, "--notify-keyspace-events", "Ee")
	c := testutil.Dial(t, node.Addr())
	sub := testutil.Dial(t, node.Addr())
	sub.Do("SUBSCRIBE", "__keyevent@0__:evicted")
	base := infoField(t, c, "used_memory")
	limit := base + 16<<20
	c.Do("CONFIG", "SET", "maxmemory", strconv.FormatInt(limit, 10), "maxmemory-policy", "allkeys-lru")
	val := strings.Repeat("v", 4096)
	const n = 20000 // 80 MB of values
	var pipe []byte
	for i := 0; i < n; i++ {
		pipe = append(pipe, testutil.EncodeCommand("SET", fmt.Sprintf("key:%d", i), val)...)
		if i%500 == 499 {
			c.Send(pipe)
			pipe = pipe[:0]
			for j := 0; j < 500; j++ {
				if r, err := c.ReadReply(); err != nil || string(r) != "+OK\r\n" {
					t.Fatalf("SET under allkeys-lru: %q %v", r, err)
				}
			}
		}
	}
	evicted := infoField(t, c, "evicted_keys")
	size := mustParse(t, c.Do("DBSIZE"))
	if evicted == 0 || size.str == strconv.Itoa(n) {
		t.Fatalf("no eviction: evicted_keys %d, dbsize %s", evicted, size.str)
	}
	if used := infoField(t, c, "used_memory"); used > limit+32<<20 {
		t.Errorf("used_memory %d far above maxmemory %d", used, limit)
	}
	r, err := sub.ReadReply()
	if err != nil || !strings.Contains(string(r), "__keyevent@0__:evicted") || !strings.Contains(string(r), "key:") {
		t.Errorf("evicted notification: %q %v", r, err)
	}
	c.Do("CONFIG", "SET", "maxmemory", "0")
}
