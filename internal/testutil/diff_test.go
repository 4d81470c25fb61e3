package testutil

import (
	"strings"
	"testing"
)

func TestCompareReplies(t *testing.T) {
	cases := []struct {
		name             string
		a, b             string
		unordered, pairs bool
		same             bool
	}{
		{"identical", "+OK\r\n", "+OK\r\n", false, false, true},
		{"ordered array order matters", "*2\r\n:1\r\n:2\r\n", "*2\r\n:2\r\n:1\r\n", false, false, false},
		{"unordered array", "*2\r\n:1\r\n:2\r\n", "*2\r\n:2\r\n:1\r\n", true, false, true},
		{"unordered array, different element", "*2\r\n:1\r\n:2\r\n", "*2\r\n:2\r\n:3\r\n", true, false, false},
		{"unordered keeps multiplicity", "*3\r\n:1\r\n:1\r\n:2\r\n", "*3\r\n:1\r\n:2\r\n:2\r\n", true, false, false},
		{"unordered length differs", "*1\r\n:1\r\n", "*2\r\n:1\r\n:1\r\n", true, false, false},
		{"set", "~2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\nb\r\n$1\r\na\r\n", true, false, true},
		{"set vs array", "~1\r\n:1\r\n", "*1\r\n:1\r\n", true, false, false},
		{"map reordered", "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true, false, true},
		{"map values swapped", "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+a\r\n:2\r\n+b\r\n:1\r\n", true, false, false},
		{"flat pairs reordered", "*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n", "*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n", true, true, true},
		{"flat pairs values swapped", "*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n", "*4\r\n$1\r\nf\r\n$1\r\n2\r\n$1\r\ng\r\n$1\r\n1\r\n", true, true, false},
		// Without Pairs the same swap is invisible: that is why Pairs exists.
		{"flat values swapped, no pairs", "*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n", "*4\r\n$1\r\nf\r\n$1\r\n2\r\n$1\r\ng\r\n$1\r\n1\r\n", true, false, true},
		{"nested elements compared whole", "*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n", "*2\r\n:3\r\n*2\r\n:1\r\n:2\r\n", true, false, true},
		{"nested order still matters", "*1\r\n*2\r\n:1\r\n:2\r\n", "*1\r\n*2\r\n:2\r\n:1\r\n", true, false, false},
		{"attribute then unordered", "|1\r\n+x\r\n+y\r\n*2\r\n:1\r\n:2\r\n", "|1\r\n+x\r\n+y\r\n*2\r\n:2\r\n:1\r\n", true, false, true},
		{"attribute differs", "|1\r\n+x\r\n+y\r\n*1\r\n:1\r\n", "|1\r\n+x\r\n+z\r\n*1\r\n:1\r\n", true, false, false},
		{"scalars unordered", "$1\r\na\r\n", "$1\r\nb\r\n", true, false, false},
		{"null array", "*-1\r\n", "*0\r\n", true, false, false},
	}
	for _, c := range cases {
		same, why := compareReplies([]byte(c.a), []byte(c.b), c.unordered, c.pairs)
		if same != c.same {
			t.Errorf("%s: same = %v (%s), want %v", c.name, same, why, c.same)
		}
	}
	_, why := compareReplies([]byte("~2\r\n:1\r\n:2\r\n"), []byte("~2\r\n:1\r\n:3\r\n"), true, false)
	if !strings.Contains(why, `only in A: ":2\r\n"`) || !strings.Contains(why, `only in B: ":3\r\n"`) {
		t.Errorf("unordered explanation: %s", why)
	}
}

func TestImpliesPairs(t *testing.T) {
	for args, want := range map[string]bool{
		"HGETALL h":                        true,
		"config get *":                     true,
		"CONFIG SET a b":                   false,
		"ZRANGE z 0 -1 WITHSCORES":         true,
		"HRANDFIELD h -5 withvalues":       true,
		"SMEMBERS s":                       false,
		"ZPOPMIN z 3":                      true,
		"ZRANGE z 0 -1":                    false,
		"SUNION a b":                       false,
		"ZRANDMEMBER z 3 WITHSCORES extra": true,
	} {
		if got := impliesPairs(strings.Fields(args)); got != want {
			t.Errorf("impliesPairs(%s) = %v", args, got)
		}
	}
}

// script exercises strings, sets, hashes and errors, with the set-like
// replies marked Unordered.
var script = []Step{
	{Args: []string{"SET", "k", "v"}},
	{Args: []string{"GET", "k"}},
	{Args: []string{"GET", "missing"}},
	{Args: []string{"SADD", "s", "a", "b", "c", "d", "e", "f", "g", "h"}},
	{Args: []string{"SMEMBERS", "s"}, Unordered: true},
	{Args: []string{"HSET", "h", "f1", "1", "f2", "2", "f3", "3"}},
	{Args: []string{"HGETALL", "h"}, Unordered: true},
	{Args: []string{"HGET", "h", "nope"}},
	{Args: []string{"INCR", "k"}},
	{Args: []string{"LPUSH", "l", "x", "y"}},
	{Args: []string{"LRANGE", "l", "0", "-1"}},
	{Args: []string{"ZADD", "z", "1.5", "m"}},
	{Args: []string{"ZSCORE", "z", "m"}},
	{Args: []string{"EXISTS", "k", "s", "nope"}},
	{Args: []string{"NOSUCHCOMMAND", "x y"}},
}

func TestRunScriptAgrees(t *testing.T) {
	a, b := StartRedis(t), StartRedis(t)
	for _, proto := range []int{2, 3} {
		Dial(t, a.Addr()).Do("FLUSHALL")
		Dial(t, b.Addr()).Do("FLUSHALL")
		RunScript(t, a.Addr(), b.Addr(), proto, script)
	}
}

func TestCompareScriptReportsDifferences(t *testing.T) {
	a, b := StartRedis(t), StartRedis(t)
	ca, cb := Dial(t, a.Addr()), Dial(t, b.Addr())
	cb.Do("SET", "only-b", "1")
	// The same hash, fields inserted in different orders: small hashes are
	// listpacks in insertion order, so HGETALL's raw bytes differ.
	ca.Do("HSET", "h", "a", "1", "b", "2", "c", "3")
	cb.Do("HSET", "h", "c", "3", "b", "2", "a", "1")
	// Same fields, values swapped between two of them.
	ca.Do("HSET", "w", "a", "1", "b", "2")
	cb.Do("HSET", "w", "b", "1", "a", "2")

	for _, proto := range []int{2, 3} {
		steps := []Step{
			{Args: []string{"GET", "only-b"}},
			{Args: []string{"HGETALL", "h"}, Unordered: true},
			{Args: []string{"HGETALL", "h"}},
			{Args: []string{"HGETALL", "w"}, Unordered: true},
			{Args: []string{"PING"}},
		}
		diffs := CompareScript(t, a.Addr(), b.Addr(), proto, steps)
		t.Logf("RESP%d differences, as RunScript would report them:\n%s", proto, strings.Join(diffs, "\n"))
		if len(diffs) != 3 {
			t.Fatalf("RESP%d: %d diffs, want 3 (steps 0, 2, 3):\n%s", proto, len(diffs), strings.Join(diffs, "\n"))
		}
		for i, want := range []string{"step 0: GET only-b", "step 2: HGETALL h", "step 3: HGETALL w (unordered)"} {
			if !strings.HasPrefix(diffs[i], want) {
				t.Errorf("RESP%d diff %d = %q, want prefix %q", proto, i, diffs[i], want)
			}
		}
		if !strings.Contains(diffs[0], `A: "$-1\r\n"`) && !strings.Contains(diffs[0], `A: "_\r\n"`) {
			t.Errorf("diff does not quote A's null reply: %s", diffs[0])
		}
		if !strings.Contains(diffs[2], "pairs only in A") {
			t.Errorf("swapped values not explained as pairs: %s", diffs[2])
		}
	}
}
