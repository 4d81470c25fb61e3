package backend

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// listScript exercises every list command, their error paths and option
// combinations, and the blocking forms when they need not block (or block
// for a few milliseconds and time out, which both servers answer alike).
// p prefixes every key so the RESP2 and RESP3 runs do not see each other's
// data.
func listScript(p string) []testutil.Step {
	k := func(name string) string { return p + name }
	var steps []testutil.Step
	add := func(args ...string) { steps = append(steps, testutil.Step{Args: args}) }

	l, str, none := k("l"), k("str"), k("none")
	add("SET", str, "v")

	// pushes
	add("LPUSH", l, "a", "b", "c")
	add("RPUSH", l, "d", "e", "")
	add("LRANGE", l, "0", "-1")
	add("LLEN", l)
	add("TYPE", l)
	add("OBJECT", "ENCODING", l)
	add("LPUSHX", none, "a")
	add("RPUSHX", none, "a", "b")
	add("EXISTS", none)
	add("LPUSHX", l, "x", "y")
	add("RPUSHX", l, "z")
	add("LPUSH", str, "a")
	add("RPUSH", str, "a")
	add("LPUSHX", str, "a")
	add("RPUSHX", str, "a")
	add("LPUSH", l)
	add("RPUSHX", l)
	add("RPUSH", k("ints"), "1", "-2", "300000000000", "3.5", "0", "007", "-0")
	add("LRANGE", k("ints"), "0", "-1")
	add("RPUSH", k("big"), strings.Repeat("x", 10000), "\x00\r\n\xff")
	add("LRANGE", k("big"), "0", "-1")
	add("OBJECT", "ENCODING", k("big"))

	// LLEN / LRANGE / LINDEX
	add("LLEN", none)
	add("LLEN", str)
	add("LLEN")
	for _, r := range [][2]string{{"0", "-1"}, {"-100", "100"}, {"5", "2"}, {"2", "2"}, {"-1", "-1"},
		{"10", "20"}, {"-3", "-2"}, {"0", "9223372036854775807"}, {"-9223372036854775808", "1"},
		{"1", "-9223372036854775808"}} {
		add("LRANGE", l, r[0], r[1])
	}
	add("LRANGE", l, "a", "1")
	add("LRANGE", l, "0", "1.5")
	add("LRANGE", l, "01", "2")
	add("LRANGE", none, "0", "-1")
	add("LRANGE", none, "x", "-1")
	add("LRANGE", str, "0", "-1")
	add("LRANGE", str, "x", "-1")
	add("LRANGE", l, "0")
	for _, i := range []string{"0", "1", "-1", "-9", "8", "100", "-100", "9223372036854775807", "-9223372036854775808"} {
		add("LINDEX", l, i)
	}
	add("LINDEX", l, "a")
	add("LINDEX", l, "9223372036854775808")
	add("LINDEX", none, "a")
	add("LINDEX", none, "0")
	add("LINDEX", str, "0")
	add("LINDEX", str, "a")

	// LSET
	add("LSET", l, "0", "first")
	add("LSET", l, "-1", "last")
	add("LSET", l, "100", "z")
	add("LSET", l, "-100", "z")
	add("LSET", l, "a", "z")
	add("LSET", none, "0", "x")
	add("LSET", none, "a", "x")
	add("LSET", str, "0", "x")
	add("LRANGE", l, "0", "-1")

	// LINSERT
	add("LINSERT", l, "BEFORE", "a", "A")
	add("LINSERT", l, "after", "a", "A2")
	add("LINSERT", l, "AfTeR", "last", "tail")
	add("LINSERT", l, "before", "nope", "x")
	add("LINSERT", l, "middle", "a", "x")
	add("LINSERT", none, "before", "a", "x")
	add("LINSERT", none, "middle", "a", "x")
	add("LINSERT", str, "before", "a", "x")
	add("LINSERT", str, "sideways", "a", "x")
	add("LRANGE", l, "0", "-1")

	// LPOS
	add("RPUSH", k("pos"), "a", "b", "c", "1", "2", "3", "c", "c", "a")
	for _, opts := range [][]string{
		{"c"}, {"a"}, {"zz"},
		{"c", "RANK", "1"}, {"c", "RANK", "2"}, {"c", "RANK", "-1"}, {"c", "RANK", "-3"}, {"c", "RANK", "4"},
		{"c", "COUNT", "0"}, {"c", "COUNT", "2"}, {"c", "COUNT", "10"}, {"zz", "COUNT", "0"},
		{"c", "RANK", "2", "COUNT", "0"}, {"c", "RANK", "-2", "COUNT", "1"}, {"c", "COUNT", "1", "RANK", "-1"},
		{"c", "MAXLEN", "3"}, {"c", "MAXLEN", "2"}, {"c", "MAXLEN", "0"}, {"c", "RANK", "-1", "MAXLEN", "2"},
		{"c", "COUNT", "0", "MAXLEN", "7"}, {"a", "RANK", "-1", "MAXLEN", "1"},
		{"c", "rank", "1", "count", "1", "maxlen", "100", "rank", "2"},
		{"c", "RANK", "0"}, {"c", "RANK", "x"}, {"c", "RANK", "-9223372036854775808"},
		{"c", "COUNT", "-1"}, {"c", "COUNT", "x"}, {"c", "MAXLEN", "-1"}, {"c", "MAXLEN", "1.0"},
		{"c", "RANK"}, {"c", "COUNT"}, {"c", "BOGUS", "1"}, {"c", "RANK", "1", "x"},
	} {
		add(append([]string{"LPOS", k("pos")}, opts...)...)
	}
	add("LPOS", none, "a")
	add("LPOS", none, "a", "COUNT", "0")
	add("LPOS", none, "a", "RANK", "0")
	add("LPOS", str, "a")
	add("LPOS", str, "a", "COUNT", "-1")
	add("LPOS", k("pos"))

	// LREM
	add("RPUSH", k("rem"), "a", "b", "a", "c", "a", "b", "a")
	add("LREM", k("rem"), "1", "a")
	add("LREM", k("rem"), "-1", "a")
	add("LRANGE", k("rem"), "0", "-1")
	add("LREM", k("rem"), "0", "b")
	add("LREM", k("rem"), "5", "zz")
	add("LREM", k("rem"), "x", "a")
	add("LREM", none, "1", "a")
	add("LREM", str, "1", "a")
	add("LREM", str, "x", "a")
	add("LREM", k("rem"), "-9223372036854775808", "a")
	add("LRANGE", k("rem"), "0", "-1")
	add("LREM", k("rem"), "0", "c")
	add("EXISTS", k("rem"))

	// LTRIM
	for i, r := range [][2]string{{"1", "-2"}, {"0", "100"}, {"-100", "-1"}, {"2", "1"}, {"5", "10"}} {
		key := k(fmt.Sprint("trim", i))
		add("RPUSH", key, "1", "2", "3", "4", "5", "6")
		add("LTRIM", key, r[0], r[1])
		add("LRANGE", key, "0", "-1")
		add("EXISTS", key)
	}
	add("LTRIM", none, "0", "1")
	add("LTRIM", str, "0", "1")
	add("LTRIM", l, "a", "1")
	add("LTRIM", str, "a", "1")
	add("LTRIM", l, "0")

	// LPOP / RPOP
	add("RPUSH", k("pop"), "1", "2", "3", "4", "5", "6", "7")
	add("LPOP", k("pop"))
	add("RPOP", k("pop"))
	add("LPOP", k("pop"), "2")
	add("RPOP", k("pop"), "2")
	add("LPOP", k("pop"), "0")
	add("RPOP", k("pop"), "0")
	add("LPOP", k("pop"), "-1")
	add("LPOP", k("pop"), "x")
	add("RPOP", k("pop"), "1.5")
	add("LPOP", k("pop"), "1", "2")
	add("RPOP", k("pop"), "100")
	add("EXISTS", k("pop"))
	add("LPOP", none)
	add("RPOP", none)
	add("LPOP", none, "1")
	add("RPOP", none, "0")
	add("LPOP", none, "-1")
	add("LPOP", str)
	add("RPOP", str, "1")
	add("RPOP", str, "x")
	add("LPOP")

	// LMOVE / RPOPLPUSH
	src, dst := k("src"), k("dst")
	add("RPUSH", src, "1", "2", "3", "4")
	add("LMOVE", src, dst, "LEFT", "LEFT")
	add("LMOVE", src, dst, "LEFT", "RIGHT")
	add("LMOVE", src, dst, "right", "left")
	add("LMOVE", src, dst, "RIGHT", "RIGHT")
	add("LRANGE", dst, "0", "-1")
	add("EXISTS", src)
	add("LMOVE", src, dst, "LEFT", "LEFT")
	add("LMOVE", dst, dst, "LEFT", "RIGHT")
	add("LMOVE", dst, dst, "RIGHT", "LEFT")
	add("LRANGE", dst, "0", "-1")
	add("RPUSH", k("one"), "x")
	add("LMOVE", k("one"), k("one"), "LEFT", "RIGHT")
	add("LRANGE", k("one"), "0", "-1")
	add("LMOVE", dst, str, "LEFT", "LEFT")
	add("LMOVE", str, dst, "LEFT", "LEFT")
	add("LMOVE", none, str, "LEFT", "LEFT")
	add("LMOVE", dst, k("d2"), "UP", "LEFT")
	add("LMOVE", dst, k("d2"), "LEFT", "DOWN")
	add("LMOVE", none, k("d2"), "UP", "LEFT")
	add("LRANGE", dst, "0", "-1")
	add("RPOPLPUSH", dst, k("d2"))
	add("RPOPLPUSH", dst, dst)
	add("RPOPLPUSH", none, dst)
	add("RPOPLPUSH", dst, str)
	add("RPOPLPUSH", str, dst)
	add("LRANGE", k("d2"), "0", "-1")
	add("RPOPLPUSH", dst)

	// LMPOP
	m1, m2 := k("m1"), k("m2")
	add("RPUSH", m2, "a", "b", "c", "d", "e")
	add("LMPOP", "2", m1, m2, "LEFT")
	add("LMPOP", "2", m1, m2, "RIGHT", "COUNT", "2")
	add("LMPOP", "1", m2, "left", "count", "100")
	add("EXISTS", m2)
	add("LMPOP", "2", m1, m2, "LEFT")
	add("LMPOP", "0", m1, "LEFT")
	add("LMPOP", "-1", m1, "LEFT")
	add("LMPOP", "x", m1, "LEFT")
	add("LMPOP", "3", m1, m2, "LEFT")
	add("LMPOP", "1", m1, "MIDDLE")
	add("LMPOP", "1", m1, "LEFT", "COUNT", "0")
	add("LMPOP", "1", m1, "LEFT", "COUNT", "-1")
	add("LMPOP", "1", m1, "LEFT", "COUNT", "x")
	add("LMPOP", "1", m1, "LEFT", "COUNT", "1", "COUNT", "2")
	add("LMPOP", "1", m1, "LEFT", "COUNT")
	add("LMPOP", "1", m1, "LEFT", "BOGUS")
	add("LMPOP", "2", m1, str, "LEFT")
	add("LMPOP", "2", str, m1, "LEFT")
	add("RPUSH", m1, "z")
	add("LMPOP", "2", m1, str, "LEFT")
	add("LMPOP", "1", m1)
	add("LMPOP", "9223372036854775807", m1, "LEFT")

	// blocking forms with data present, errors, MULTI, short timeouts
	b1, b2 := k("b1"), k("b2")
	add("RPUSH", b2, "1", "2", "3", "4", "5", "6", "7", "8", "9")
	add("BLPOP", b1, b2, "0")
	add("BRPOP", b1, b2, "0")
	add("BLPOP", b2, b2, "1")
	add("BLPOP", b1, str, "0")
	add("BRPOP", str, b2, "0")
	add("BLPOP", b1, "-1")
	add("BLPOP", b1, "x")
	add("BLPOP", b1, "NaN")
	add("BLPOP", b1, "0.01")
	add("BRPOP", b1, "0.001")
	add("BLPOP", b1)
	// Timeouts are C long doubles: hex, inf, huge and tiny values.
	for _, to := range []string{"inf", "-inf", "+Inf", "INFINITY", "-infinity", "1e16", "9300000000000000", "1e400",
		"1e5000", "1e-5000", "1e-400", "0x1p-10", "0x0.01", "0x", "0b1", "0o1", "1_0", " 1", "1 ", "", "+-1",
		"nan", "-nan", "1e", ".001", "1.e-3", "+0.0001", "-1"} {
		add("BLPOP", b1, to)
	}
	add("BLMOVE", b2, b1, "LEFT", "RIGHT", "0")
	add("BLMOVE", b2, b1, "RIGHT", "LEFT", "0")
	add("BRPOPLPUSH", b2, b1, "0")
	add("LRANGE", b1, "0", "-1")
	add("BLMOVE", b2, str, "LEFT", "LEFT", "0")
	add("BLMOVE", str, b2, "LEFT", "LEFT", "0")
	add("BLMOVE", none, b2, "LEFT", "LEFT", "0.01")
	add("BRPOPLPUSH", none, b2, "0.01")
	add("BLMOVE", b2, b1, "UP", "LEFT", "0")
	add("BLMOVE", b2, b1, "LEFT", "LEFT", "-1")
	add("BLMOVE", b2, b1, "LEFT", "LEFT", "x")
	add("BRPOPLPUSH", b2, b1, "-1")
	add("BRPOPLPUSH", str, b1, "0")
	add("RPUSH", b1, "x", "y", "z", "w")
	add("BLMPOP", "0", "2", none, b1, "LEFT")
	add("BLMPOP", "0", "2", none, b1, "RIGHT", "COUNT", "2")
	add("BLMPOP", "0", "1", b1, "LEFT", "COUNT", "100")
	add("BLMPOP", "0.01", "1", b1, "LEFT")
	add("BLMPOP", "0", "0", b1, "LEFT")
	add("BLMPOP", "0", "2", b1, "LEFT")
	add("BLMPOP", "0", "1", b1, "LEFT", "COUNT", "0")
	add("BLMPOP", "-1", "1", b1, "LEFT")
	add("BLMPOP", "x", "1", b1, "LEFT", "COUNT", "x")
	add("BLMPOP", "x", "1", b1, "LEFT")
	add("BLMPOP", "0", "1", str, "LEFT")
	add("BLMPOP", "0", "1", b1)
	add("MULTI")
	add("BLPOP", none, "0")
	add("BRPOP", none, "0")
	add("BLMOVE", none, b1, "LEFT", "LEFT", "0")
	add("BRPOPLPUSH", none, b1, "0")
	add("BLMPOP", "0", "1", none, "LEFT")
	add("RPUSH", none, "v")
	add("BLPOP", none, "0")
	add("EXEC")
	return steps
}

func TestDiffList(t *testing.T) {
	runDiff(t, listScript, nil, nil)
}

// bzpopScript covers BZPOPMIN, BZPOPMAX and BZMPOP where they need not
// block, their errors, MULTI and short timeouts.
func bzpopScript(p string) []testutil.Step {
	k := func(name string) string { return p + name }
	var steps []testutil.Step
	add := func(args ...string) { steps = append(steps, testutil.Step{Args: args}) }
	z, z2, str, none, l := k("z"), k("z2"), k("str"), k("none"), k("l")
	add("SET", str, "v")
	add("RPUSH", l, "a")
	add("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d", "5.5", "e", "-inf", "ninf", "7", "f", "8", "g")
	add("BZPOPMIN", none, z, "0")
	add("BZPOPMAX", z, none, "0")
	add("BZPOPMIN", z, z, "1")
	add("BZPOPMIN", none, str, "0")
	add("BZPOPMAX", l, z, "0")
	add("BZPOPMIN", none, "0.01")
	add("BZPOPMAX", none, none, "0.001")
	add("BZPOPMIN", none, "-1")
	add("BZPOPMIN", none, "x")
	add("BZPOPMIN", z)
	add("BZMPOP", "0", "2", none, z, "MIN")
	add("BZMPOP", "0", "2", none, z, "max", "COUNT", "2")
	add("BZMPOP", "0", "1", z, "MIN", "count", "100")
	add("EXISTS", z)
	add("BZMPOP", "0.01", "1", z, "MIN")
	add("BZMPOP", "0", "0", z, "MIN")
	add("BZMPOP", "0", "-1", z, "MIN")
	add("BZMPOP", "0", "2", z, "MIN")
	add("BZMPOP", "0", "1", z, "LEFT")
	add("BZMPOP", "0", "1", z, "MIN", "COUNT", "0")
	add("BZMPOP", "0", "1", z, "MIN", "COUNT", "1", "COUNT", "1")
	add("BZMPOP", "0", "1", z, "MIN", "COUNT")
	add("BZMPOP", "-1", "1", z, "MIN")
	add("BZMPOP", "x", "1", z, "MIN", "COUNT", "x")
	add("BZMPOP", "0", "1", str, "MIN")
	add("BZMPOP", "0", "2", none, l, "MAX")
	add("ZADD", z2, "10", "x")
	add("MULTI")
	add("BZPOPMIN", none, "0")
	add("BZMPOP", "0", "1", none, "MAX")
	add("BZPOPMAX", z2, "0")
	add("EXEC")
	return steps
}

func TestDiffBlockingZset(t *testing.T) {
	runDiff(t, bzpopScript, nil, nil)
}

// listEventsScenario runs list (and blocking) commands against addr with
// every keyspace event enabled and returns the keyspace notifications seen,
// raw, in order. Clients that block are served by later pushes, so the
// events of serving a blocked client are covered too.
func listEventsScenario(t *testing.T, addr string) []string {
	t.Helper()
	cmd, sub := testutil.Dial(t, addr), testutil.Dial(t, addr)
	expectDo(t, cmd, "+OK\r\n", "CONFIG", "SET", "notify-keyspace-events", "KA")
	sub.Do("PSUBSCRIBE", "__keyspace@0__:*")
	for _, args := range [][]string{
		{"RPUSH", "k", "a", "b", "c"}, {"LPUSH", "k", "x"}, {"LPUSHX", "k", "y"}, {"RPUSHX", "none", "z"},
		{"LINSERT", "k", "BEFORE", "a", "q"}, {"LINSERT", "k", "BEFORE", "nope", "q"}, {"LSET", "k", "0", "v"},
		{"LREM", "k", "1", "q"}, {"LREM", "k", "1", "nope"}, {"LTRIM", "k", "0", "-1"}, {"LPOP", "k"},
		{"RPOP", "k", "2"}, {"LPOP", "k", "0"}, {"RPUSH", "k", "1", "2", "3"}, {"LMOVE", "k", "d", "LEFT", "RIGHT"},
		{"RPOPLPUSH", "d", "k"}, {"LMOVE", "k", "k", "LEFT", "RIGHT"}, {"LMPOP", "1", "k", "LEFT", "COUNT", "10"},
		{"RPUSH", "k", "1", "2"}, {"BLPOP", "k", "0"}, {"BLMOVE", "k", "d", "RIGHT", "LEFT", "0"},
		{"RPUSH", "k", "1", "2"}, {"BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "5"},
		{"RPUSH", "t", "1", "2"}, {"LTRIM", "t", "5", "10"}, {"RPUSH", "r", "1", "1"}, {"LREM", "r", "0", "1"},
		{"ZADD", "z", "1", "a"}, {"BZPOPMIN", "z", "0"},
	} {
		cmd.Do(args...)
	}
	// Clients served after blocking.
	blocked := func(n string) func() (bool, string) {
		return func() (bool, string) {
			info := string(cmd.Do("INFO", "clients"))
			return strings.Contains(info, "blocked_clients:"+n+"\r\n"), info
		}
	}
	for _, tc := range []struct{ block, push []string }{
		{[]string{"BLPOP", "bk", "0"}, []string{"RPUSH", "bk", "v"}},
		{[]string{"BLMOVE", "bs", "bd", "LEFT", "LEFT", "0"}, []string{"RPUSH", "bs", "v"}},
		{[]string{"BLMPOP", "0", "1", "bm", "LEFT", "COUNT", "3"}, []string{"RPUSH", "bm", "v", "w"}},
		{[]string{"BZMPOP", "0", "1", "bz", "MAX", "COUNT", "1"}, []string{"ZADD", "bz", "1", "m", "2", "n"}},
	} {
		w := testutil.Dial(t, addr)
		send(w, tc.block...)
		testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, blocked("1"))
		cmd.Do(tc.push...)
		if _, err := w.ReadReply(); err != nil {
			t.Fatalf("%v: %v", tc.block, err)
		}
		testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, blocked("0"))
	}
	cmd.Do("SET", "done", "1")
	var events []string
	for {
		r, err := sub.ReadReply()
		if err != nil {
			t.Fatalf("reading notifications (so far %q): %v", events, err)
		}
		events = append(events, string(r))
		if strings.Contains(string(r), "__keyspace@0__:done") {
			return events
		}
	}
}

func TestDiffListNotifications(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	want := listEventsScenario(t, real.Addr())
	got := listEventsScenario(t, addr)
	if len(want) < 40 {
		t.Fatalf("only %d events from redis-server: the scenario is not exercising notifications", len(want))
	}
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("keyspace events differ:\nwarden: %q\nredis:  %q", got, want)
	}
}

// unblockScenario blocks clients in several commands and protocols and
// ends their waits with CLIENT UNBLOCK, returning every reply seen.
func unblockScenario(t *testing.T, addr string) []string {
	t.Helper()
	admin := testutil.Dial(t, addr)
	var out []string
	for _, tc := range []struct {
		proto  int
		block  []string
		reason string
	}{
		{2, []string{"BLPOP", "k", "0"}, "TIMEOUT"},
		{2, []string{"BLPOP", "k", "0"}, "ERROR"},
		{2, []string{"BLMOVE", "k", "d", "LEFT", "LEFT", "0"}, "TIMEOUT"},
		{3, []string{"BLMOVE", "k", "d", "LEFT", "LEFT", "0"}, "TIMEOUT"},
		{3, []string{"BRPOPLPUSH", "k", "d", "10"}, "ERROR"},
		{3, []string{"BLMPOP", "0", "1", "k", "LEFT"}, "TIMEOUT"},
		{2, []string{"BZPOPMIN", "z", "0"}, "TIMEOUT"},
		{3, []string{"BZMPOP", "0", "1", "z", "MIN"}, "TIMEOUT"},
	} {
		w := testutil.Dial(t, addr)
		if tc.proto == 3 {
			w.Do("HELLO", "3")
		}
		id := strings.TrimSuffix(strings.TrimPrefix(string(w.Do("CLIENT", "ID")), ":"), "\r\n")
		// Not blocked yet: CLIENT UNBLOCK answers 0.
		out = append(out, string(admin.Do("CLIENT", "UNBLOCK", id)))
		send(w, tc.block...)
		testutil.WaitFor(t, 5*time.Second, 5*time.Millisecond, func() (bool, string) {
			info := string(admin.Do("INFO", "clients"))
			return strings.Contains(info, "blocked_clients:1\r\n"), info
		})
		out = append(out, string(admin.Do("CLIENT", "UNBLOCK", id, tc.reason)))
		r, err := w.ReadReply()
		if err != nil {
			t.Fatalf("%v: %v", tc.block, err)
		}
		out = append(out, string(r), string(w.Do("LPUSH", "after", "x")))
		w.Close()
	}
	return out
}

func TestDiffClientUnblock(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	want := unblockScenario(t, real.Addr())
	if got := unblockScenario(t, addr); strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("replies differ:\nwarden: %q\nredis:  %q", got, want)
	}
}
