package backend

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// Unit tests of the sorted set type and commands: what the differential
// tests cannot see (randomness, propagation, configured thresholds, the
// helpers exported to blocking.go, ZSCAN of a big set).

func zsetDo(t *testing.T, c *testutil.RawConn, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); string(got) != want {
		t.Fatalf("%s: reply %q, want %q", testutil.FormatCommand(args), got, want)
	}
}

// zsetFlat parses a RESP2 reply that is a flat array of bulk strings.
func zsetFlat(t *testing.T, r []byte) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(r), "\r\n"), "\r\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "*") {
		t.Fatalf("not an array: %q", r)
	}
	n, _ := strconv.Atoi(lines[0][1:])
	var out []string
	for i := 1; i+1 < len(lines); i += 2 {
		if !strings.HasPrefix(lines[i], "$") {
			t.Fatalf("not a flat array of bulk strings: %q", r)
		}
		out = append(out, lines[i+1])
	}
	if len(out) != n {
		t.Fatalf("array of %d, parsed %d: %q", n, len(out), r)
	}
	return out
}

// zaddN adds members m000.. with scores 0.. to key.
func zaddN(t *testing.T, c *testutil.RawConn, key string, n int) {
	t.Helper()
	args := []string{"ZADD", key}
	for i := 0; i < n; i++ {
		args = append(args, strconv.Itoa(i), fmt.Sprintf("m%03d", i))
	}
	zsetDo(t, c, fmt.Sprintf(":%d\r\n", n), args...)
}

func TestZsetEncodingThresholdsFromOptions(t *testing.T) {
	_, addr := startTestServer(t, func(o *Options) {
		o.ZsetMaxListpackEntries = 4
		o.ZsetMaxListpackValue = 8
	})
	c := testutil.Dial(t, addr)
	lp, sl := "$8\r\nlistpack\r\n", "$8\r\nskiplist\r\n"
	zsetDo(t, c, ":4\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
	zsetDo(t, c, lp, "OBJECT", "ENCODING", "z")
	zsetDo(t, c, ":1\r\n", "ZADD", "z", "5", "e")
	zsetDo(t, c, sl, "OBJECT", "ENCODING", "z")
	zsetDo(t, c, ":1\r\n", "ZADD", "v", "1", "12345678")
	zsetDo(t, c, lp, "OBJECT", "ENCODING", "v")
	zsetDo(t, c, ":1\r\n", "ZADD", "v", "1", "123456789")
	zsetDo(t, c, sl, "OBJECT", "ENCODING", "v")
	// Computed results convert back when they fit.
	zsetDo(t, c, ":4\r\n", "ZRANGESTORE", "d", "z", "0", "3")
	zsetDo(t, c, lp, "OBJECT", "ENCODING", "d")
	zsetDo(t, c, ":5\r\n", "ZUNIONSTORE", "d", "1", "z")
	zsetDo(t, c, sl, "OBJECT", "ENCODING", "d")
	zsetDo(t, c, ":2\r\n", "ZADD", "two", "0", "a", "0", "b")
	zsetDo(t, c, ":2\r\n", "ZINTERSTORE", "d", "2", "z", "two")
	zsetDo(t, c, lp, "OBJECT", "ENCODING", "d")
	zsetDo(t, c, ":2\r\n", "ZDIFFSTORE", "d", "1", "v")
	zsetDo(t, c, sl, "OBJECT", "ENCODING", "d")

	_, addr0 := startTestServer(t, func(o *Options) { o.ZsetMaxListpackEntries = 0 })
	c0 := testutil.Dial(t, addr0)
	zsetDo(t, c0, ":1\r\n", "ZADD", "z", "1", "a")
	zsetDo(t, c0, sl, "OBJECT", "ENCODING", "z")
	zsetDo(t, c0, ":1\r\n", "ZRANGESTORE", "d", "z", "-inf", "inf", "BYSCORE")
	zsetDo(t, c0, sl, "OBJECT", "ENCODING", "d")
}

func TestZsetFromPairs(t *testing.T) {
	members := [][]byte{[]byte("b"), []byte("a"), []byte("c"), []byte("a")}
	scores := []float64{2, 5, math.Copysign(0, -1), 1}
	z := NewZSetFromPairs(members, scores)
	members[0][0] = 'X' // the set must have copied its members
	if z.TypeName() != "zset" || z.Encoding() != "listpack" || z.Len() != 3 {
		t.Fatalf("type %s encoding %s len %d", z.TypeName(), z.Encoding(), z.Len())
	}
	var got []string
	z.Each(func(m []byte, s float64) bool {
		got = append(got, fmt.Sprintf("%s=%v/%v", m, s, math.Signbit(s)))
		return true
	})
	// -0 becomes 0 in a listpack; the repeated member keeps its last score.
	if want := []string{"c=0/false", "a=1/false", "b=2/false"}; !slices.Equal(got, want) {
		t.Fatalf("Each: %v, want %v", got, want)
	}
	n := 0
	z.Each(func([]byte, float64) bool { n++; return false })
	if n != 1 {
		t.Fatalf("Each went on after fn returned false: %d calls", n)
	}
	if s, ok := z.Score([]byte("a")); !ok || s != 1 {
		t.Fatalf("Score(a) = %v %v", s, ok)
	}

	long := []byte(strings.Repeat("x", 65))
	big := NewZSetFromPairs([][]byte{long, []byte("n")}, []float64{1, math.Copysign(0, -1)})
	if big.Encoding() != "skiplist" {
		t.Fatalf("encoding %s with a 65-byte member", big.Encoding())
	}
	if s, _ := big.Score([]byte("n")); !math.Signbit(s) {
		t.Fatalf("a skiplist must keep -0, got %v", s)
	}
	opts := DefaultOptions()
	opts.ZsetMaxListpackEntries = 1
	if e := NewZSetFromPairsOpts(opts, members[:2], scores[:2]).Encoding(); e != "skiplist" {
		t.Fatalf("2 members with zset-max-listpack-entries 1: %s", e)
	}

	// Clone is deep and keeps the encoding.
	cl := big.Clone().(*ZSet)
	cl.zs.Add("new", 3)
	if big.Len() != 2 || cl.Len() != 3 || cl.Encoding() != "skiplist" {
		t.Fatalf("clone: original %d, clone %d %s", big.Len(), cl.Len(), cl.Encoding())
	}
}

func TestZsetPropagation(t *testing.T) {
	s, addr := startTestServer(t, nil)
	p := recordPropagation(s)
	c := testutil.Dial(t, addr)

	zsetDo(t, c, ":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c")
	p.expectNext(t, "0 ZADD z 1 a 2 b 3 c")
	// Commands that change nothing propagate nothing.
	zsetDo(t, c, ":0\r\n", "ZADD", "z", "NX", "5", "a")
	zsetDo(t, c, "$1\r\n1\r\n", "ZADD", "z", "INCR", "0", "a")
	zsetDo(t, c, ":0\r\n", "ZREM", "z", "nope")
	zsetDo(t, c, ":0\r\n", "ZREMRANGEBYSCORE", "z", "10", "20")
	zsetDo(t, c, "*0\r\n", "ZPOPMIN", "none")
	zsetDo(t, c, "*-1\r\n", "ZMPOP", "1", "none", "MIN")
	zsetDo(t, c, ":0\r\n", "ZINTERSTORE", "d", "2", "z", "none")
	p.expectNext(t)

	zsetDo(t, c, "$3\r\n2.5\r\n", "ZINCRBY", "z", "1.5", "a")
	p.expectNext(t, "0 ZINCRBY z 1.5 a")
	zsetDo(t, c, "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZMPOP", "2", "none", "z", "MAX")
	p.expectNext(t, "0 ZPOPMAX z 1")
	zsetDo(t, c, "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$3\r\n2.5\r\n",
		"ZMPOP", "1", "z", "MIN", "COUNT", "10")
	p.expectNext(t, "0 ZPOPMIN z 10")
	zsetDo(t, c, ":0\r\n", "EXISTS", "z")

	zsetDo(t, c, ":2\r\n", "ZADD", "z", "1", "a", "2", "b")
	zsetDo(t, c, "*2\r\n$1\r\na\r\n$1\r\n1\r\n", "ZPOPMIN", "z")
	zsetDo(t, c, ":1\r\n", "ZRANGESTORE", "d", "z", "0", "-1")
	zsetDo(t, c, ":0\r\n", "ZINTERSTORE", "d", "2", "z", "none") // deletes d
	p.expectNext(t, "0 ZADD z 1 a 2 b", "0 ZPOPMIN z", "0 ZRANGESTORE d z 0 -1", "0 ZINTERSTORE d 2 z none")
}

// TestZsetPopHelpers checks the helpers blocking.go serves BZPOPMIN,
// BZPOPMAX and BZMPOP with.
func TestZsetPopHelpers(t *testing.T) {
	s, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	zsetDo(t, c, ":3\r\n", "ZADD", "z", "1", "a", "2", "b", "inf", "c")
	zsetDo(t, c, "+OK\r\n", "SET", "str", "v")

	s.Lock()
	defer s.Unlock()
	w := newClient(s, nil)
	db := s.DB(0)
	if _, _, ok := zsetPop(w, db, "none", false, 1); ok {
		t.Fatal("zsetPop of a missing key reported ok")
	}
	if _, _, ok := zsetPop(w, db, "str", false, 1); ok {
		t.Fatal("zsetPop of a string reported ok")
	}
	dirty := s.dirty
	ms, ss, ok := zsetPop(w, db, "z", true, 2)
	if !ok || len(ms) != 2 || string(ms[0]) != "c" || string(ms[1]) != "b" || ss[0] != math.Inf(1) || ss[1] != 2 {
		t.Fatalf("zsetPop max 2: %q %v %v", ms, ss, ok)
	}
	if s.dirty != dirty+2 {
		t.Fatalf("dirty grew by %d, want 2", s.dirty-dirty)
	}
	zsetReplyKeyedPop(w, "z", ms[:1], ss[:1])
	if got, want := string(w.reply), "*3\r\n$1\r\nz\r\n$1\r\nc\r\n$3\r\ninf\r\n"; got != want {
		t.Fatalf("keyed pop reply %q, want %q", got, want)
	}
	w.reply = w.reply[:0]
	w.proto = 3
	zsetReplyKeyedPop(w, "z", ms[:1], ss[:1])
	zsetReplyMPop(w, "z", ms, ss)
	want := "*3\r\n$1\r\nz\r\n$1\r\nc\r\n,inf\r\n" +
		"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,inf\r\n*2\r\n$1\r\nb\r\n,2\r\n"
	if string(w.reply) != want {
		t.Fatalf("RESP3 replies %q, want %q", w.reply, want)
	}
	ms, ss, ok = zsetPop(w, db, "z", false, 5)
	if !ok || len(ms) != 1 || string(ms[0]) != "a" || ss[0] != 1 {
		t.Fatalf("zsetPop min 5: %q %v %v", ms, ss, ok)
	}
	if db.LookupNoTouch("z") != nil {
		t.Fatal("the emptied key was not deleted")
	}
	for _, tc := range []struct {
		highest, withCount bool
		count              int
		want               string
	}{{false, false, 1, "ZPOPMIN k"}, {true, false, 1, "ZPOPMAX k"}, {true, true, 7, "ZPOPMAX k 7"}} {
		var parts []string
		for _, a := range zsetPopArgs("k", tc.highest, tc.count, tc.withCount) {
			parts = append(parts, string(a))
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Fatalf("zsetPopArgs = %q, want %q", got, tc.want)
		}
	}
}

func TestZsetRandMember(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	for _, n := range []int{20, 300} { // listpack, skiplist
		key := "z" + strconv.Itoa(n)
		zaddN(t, c, key, n)
		// member reports whether m is one of the set's members, and its score.
		index := func(m string) (int, bool) {
			i, err := strconv.Atoi(strings.TrimPrefix(m, "m"))
			return i, err == nil && i < n && m == fmt.Sprintf("m%03d", i)
		}
		member := func(m string) bool { _, ok := index(m); return ok }
		seen := map[string]bool{}
		unsorted := false // Redis 7.0 returns samples in random order
		for round := 0; round < 50; round++ {
			for _, count := range []int{1, 3, n/3 + 1, n - 1} { // sparse and dense picks
				got := zsetFlat(t, c.Do("ZRANDMEMBER", key, strconv.Itoa(count)))
				if len(got) != count {
					t.Fatalf("ZRANDMEMBER %d: %d members", count, len(got))
				}
				unsorted = unsorted || !slices.IsSorted(got)
				distinct := map[string]bool{}
				for _, m := range got {
					if !member(m) || distinct[m] {
						t.Fatalf("ZRANDMEMBER %d: bad or repeated member %q in %q", count, m, got)
					}
					distinct[m] = true
					seen[m] = true
				}
			}
			got := zsetFlat(t, c.Do("ZRANDMEMBER", key, "-40", "WITHSCORES"))
			if len(got) != 80 {
				t.Fatalf("ZRANDMEMBER -40 WITHSCORES: %d entries", len(got))
			}
			for i := 0; i < len(got); i += 2 {
				if idx, ok := index(got[i]); !ok || got[i+1] != strconv.Itoa(idx) {
					t.Fatalf("ZRANDMEMBER pair %q %q", got[i], got[i+1])
				}
				seen[got[i]] = true
			}
			one := zsetFlat(t, []byte("*1\r\n"+string(c.Do("ZRANDMEMBER", key))))
			if !member(one[0]) {
				t.Fatalf("ZRANDMEMBER: %q", one)
			}
		}
		if !unsorted {
			t.Fatalf("%s: every sample came out sorted", key)
		}
		// Every member must turn up sooner or later (a fixed pick would not).
		if len(seen) < n*9/10 {
			t.Fatalf("%s: only %d of %d members ever picked", key, len(seen), n)
		}
	}
	c3 := testutil.Dial(t, addr)
	c3.Do("HELLO", "3")
	if r := string(c3.Do("ZRANDMEMBER", "z20", "-2", "WITHSCORES")); !strings.HasPrefix(r, "*2\r\n*2\r\n$4\r\nm") || strings.Count(r, "\r\n,") != 2 {
		t.Fatalf("RESP3 ZRANDMEMBER WITHSCORES: %q", r)
	}
}

// TestZsetScanBigSet checks ZSCAN of a skiplist: a walk of its member map
// over several calls, each pair formatted as in the listpack case (-0
// included); once shrunk below the map's threshold (ds.zsetSmall) the set
// keeps its encoding and comes back whole with cursor 0.
func TestZsetScanBigSet(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	zaddN(t, c, "big", 300)
	zsetDo(t, c, ":1\r\n", "ZADD", "big", "-0", "negzero")
	zsetDo(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "big")
	scan := func(opts ...string) (pairs map[string]string, calls int) {
		pairs = map[string]string{}
		for cursor := "0"; ; {
			r := hsDecode(t, c.Do(append([]string{"ZSCAN", "big", cursor}, opts...)...))
			items := r.items[1].strs()
			for i := 0; i+1 < len(items); i += 2 {
				pairs[items[i]] = items[i+1]
			}
			calls++
			if cursor = r.items[0].str; cursor == "0" {
				return pairs, calls
			}
		}
	}
	pairs, calls := scan("COUNT", "10")
	if calls < 10 || len(pairs) != 301 || pairs["m123"] != "123" || pairs["negzero"] != "-0" {
		t.Fatalf("ZSCAN COUNT 10: %d calls, %d pairs, m123=%q negzero=%q", calls, len(pairs), pairs["m123"], pairs["negzero"])
	}
	pairs, _ = scan("MATCH", "m1?0")
	if len(pairs) != 10 {
		t.Fatalf("ZSCAN MATCH: %q", pairs)
	}
	for i := 100; i < 200; i += 10 {
		if m := fmt.Sprintf("m%d", i); pairs[m] != strconv.Itoa(i) {
			t.Fatalf("ZSCAN MATCH: %s=%q", m, pairs[m])
		}
	}

	zsetDo(t, c, ":296\r\n", "ZREMRANGEBYRANK", "big", "0", "295")
	zsetDo(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "big")
	r := c.Do("ZSCAN", "big", "12345", "COUNT", "1")
	if !strings.HasPrefix(string(r), "*2\r\n$1\r\n0\r\n") {
		t.Fatalf("ZSCAN of a shrunk skiplist must end at once: %q", r)
	}
	if got := zsetFlat(t, r[len("*2\r\n$1\r\n0\r\n"):]); !slices.Equal(got, []string{
		"m295", "295", "m296", "296", "m297", "297", "m298", "298", "m299", "299"}) {
		t.Fatalf("ZSCAN of a shrunk skiplist: %q", got)
	}
}

func TestZsetKeysOfNumkeysCommands(t *testing.T) {
	args := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	for _, tc := range []struct {
		cmd, line string
		want      []int
	}{
		{"zunionstore", "ZUNIONSTORE d 2 a b WEIGHTS 1 2", []int{1, 3, 4}},
		{"zdiffstore", "ZDIFFSTORE d 1 a", []int{1, 3}},
		{"zinter", "ZINTER 3 a b c WITHSCORES", []int{2, 3, 4}},
		{"zintercard", "ZINTERCARD 1 a LIMIT 5", []int{2}},
		{"zmpop", "ZMPOP 2 a b MIN COUNT 3", []int{2, 3}},
		{"zunion", "ZUNION 3 a b", nil},
		{"zunion", "ZUNION 0 a", nil},
		{"zunion", "ZUNION x a", nil},
		{"zinterstore", "ZINTERSTORE d", nil},
	} {
		cmd := LookupCommand(tc.cmd)
		if cmd == nil || cmd.Keys == nil {
			t.Fatalf("%s: no Keys function", tc.cmd)
		}
		if got := cmd.Keys(args(tc.line)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: keys %v, want %v", tc.line, got, tc.want)
		}
	}
}

// TestZsetWatch checks that writes invalidate WATCH, including deletions
// made by emptying a set and by an empty store result.
func TestZsetWatch(t *testing.T) {
	_, addr := startTestServer(t, nil)
	c, other := testutil.Dial(t, addr), testutil.Dial(t, addr)
	for _, tc := range []struct {
		setup, write []string
		key          string
	}{
		{[]string{"ZADD", "z", "1", "a"}, []string{"ZADD", "z", "2", "b"}, "z"},
		{[]string{"ZADD", "z", "1", "a"}, []string{"ZPOPMIN", "z"}, "z"},
		{[]string{"ZADD", "z", "1", "a"}, []string{"ZREM", "z", "a"}, "z"},
		{[]string{"ZADD", "z", "1", "a"}, []string{"ZMPOP", "1", "z", "MAX"}, "z"},
		{[]string{"ZADD", "d", "1", "a"}, []string{"ZINTERSTORE", "d", "2", "d", "none"}, "d"},
		{[]string{"ZADD", "z", "1", "a"}, []string{"ZRANGESTORE", "d", "z", "0", "-1"}, "d"},
	} {
		other.Do("FLUSHALL")
		other.Do(tc.setup...)
		zsetDo(t, c, "+OK\r\n", "WATCH", tc.key)
		other.Do(tc.write...)
		zsetDo(t, c, "+OK\r\n", "MULTI")
		zsetDo(t, c, "+QUEUED\r\n", "PING")
		zsetDo(t, c, "*-1\r\n", "EXEC")
	}
}
