package backend

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// setScript exercises every set command against both encodings, their
// error paths and options; p prefixes every key. Intset replies must match
// byte for byte (ascending order); hashtable replies are compared
// unordered.
func setScript(p string) []testutil.Step {
	k := func(name string) string { return p + name }
	var steps []testutil.Step
	add := func(args ...string) { steps = append(steps, testutil.Step{Args: args}) }
	unordered := func(args ...string) { steps = append(steps, testutil.Step{Args: args, Unordered: true}) }

	ints, strs, str, none := k("ints"), k("strs"), k("str"), k("none")
	add("SET", str, "v")

	// SADD / SMEMBERS / encodings
	add("SADD", ints, "3", "1", "2", "-5", "1", "9223372036854775807", "-9223372036854775808")
	add("SMEMBERS", ints)
	add("OBJECT", "ENCODING", ints)
	add("TYPE", ints)
	add("SADD", ints, "3")
	add("SADD", ints, "0", "10")
	add("SMEMBERS", ints)
	add("SADD", strs, "a", "b", "c", "1")
	add("OBJECT", "ENCODING", strs)
	unordered("SMEMBERS", strs)
	for i, m := range []string{"01", "+1", "-0", "1.0", " 1", "9223372036854775808", "-9223372036854775809", "", "\x00\r\n"} {
		s := k(fmt.Sprint("nc", i))
		add("SADD", s, "5", m, "6")
		add("OBJECT", "ENCODING", s)
		unordered("SMEMBERS", s)
		add("SISMEMBER", s, m)
		add("SISMEMBER", s, "5")
	}
	add("SADD", k("first"), "x", "1") // created from a non-integer
	add("OBJECT", "ENCODING", k("first"))
	add("SADD", str, "a")
	add("SADD", ints)
	add("SMEMBERS", none)
	add("SMEMBERS", str)
	add("SMEMBERS")
	add("SMEMBERS", ints, "extra")

	// SISMEMBER / SMISMEMBER / SCARD
	add("SISMEMBER", ints, "1")
	add("SISMEMBER", ints, "4")
	add("SISMEMBER", ints, "01")
	add("SISMEMBER", ints, "abc")
	add("SISMEMBER", strs, "a")
	add("SISMEMBER", strs, "1")
	add("SISMEMBER", strs, "z")
	add("SISMEMBER", none, "a")
	add("SISMEMBER", str, "a")
	add("SISMEMBER", ints)
	add("SMISMEMBER", ints, "1", "4", "01", "-5", "1")
	add("SMISMEMBER", strs, "a", "z", "1")
	add("SMISMEMBER", none, "a", "b")
	add("SMISMEMBER", str, "a")
	add("SMISMEMBER", ints)
	add("SCARD", ints)
	add("SCARD", strs)
	add("SCARD", none)
	add("SCARD", str)
	add("SCARD")

	// SREM
	add("SADD", k("r"), "1", "2", "3", "a")
	add("SREM", k("r"), "2", "nope", "2")
	add("SREM", k("r"), "1", "3", "a", "zz")
	add("EXISTS", k("r"))
	add("SREM", none, "a")
	add("SREM", str, "a")
	add("SREM", ints)
	add("SADD", k("ri"), "1", "2", "3")
	add("SREM", k("ri"), "01", "abc", "2")
	add("SMEMBERS", k("ri"))

	// intset limit (512)
	big := k("big")
	args := []string{"SADD", big}
	for i := 0; i < 512; i++ {
		args = append(args, strconv.Itoa(i*3-700))
	}
	add(args...)
	add("OBJECT", "ENCODING", big)
	add("SMEMBERS", big)
	add("SSCAN", big, "0")
	add("SSCAN", big, "0", "MATCH", "*7", "COUNT", "3")
	add("SRANDMEMBER", big, "512")
	add("SRANDMEMBER", big, "9999")
	add("SADD", big, "-700")
	add("OBJECT", "ENCODING", big)
	add("SADD", big, "100000")
	add("OBJECT", "ENCODING", big)
	unordered("SMEMBERS", big)
	add("SCARD", big)
	for i := 0; i < 510; i++ {
		add("SREM", big, strconv.Itoa(i*3-700))
	}
	add("OBJECT", "ENCODING", big) // never converts back
	unordered("SMEMBERS", big)

	// SMOVE
	add("SADD", k("src"), "1", "2", "a")
	add("SMOVE", none, str, "a") // a missing source wins over a wrong destination
	add("SMOVE", str, k("src"), "a")
	add("SMOVE", k("src"), str, "a")
	add("SMOVE", k("src"), k("src"), "a")
	add("SMOVE", k("src"), k("src"), "zz")
	add("SMOVE", k("src"), k("dst"), "zz")
	add("EXISTS", k("dst"))
	add("SMOVE", k("src"), k("dst"), "1")
	add("OBJECT", "ENCODING", k("dst"))
	add("SMOVE", k("src"), k("dst"), "a")
	add("OBJECT", "ENCODING", k("dst"))
	unordered("SMEMBERS", k("dst"))
	add("SMOVE", k("src"), k("dst"), "2")
	add("EXISTS", k("src"))
	add("SADD", k("src"), "a")
	add("SMOVE", k("src"), k("dst"), "a") // already there: still moved out
	add("EXISTS", k("src"))
	add("SCARD", k("dst"))
	add("SMOVE", k("src"), k("dst"))

	// SINTER / SUNION / SDIFF
	a, b, c := k("a"), k("b"), k("c")
	add("SADD", a, "1", "2", "3", "4", "5")
	add("SADD", b, "4", "5", "6", "2")
	add("SADD", c, "5", "x", "2", "y")
	add("SINTER", a, b)
	add("SINTER", b, a)
	add("SINTER", a, b, c)
	add("SINTER", a)
	add("SINTER", a, a)
	add("SINTER", a, none)
	add("SINTER", none, str) // every key is type-checked
	add("SINTER", a, str)
	add("SINTER", str)
	add("SINTER")
	unordered("SINTER", c, c)
	add("SUNION", a, b)
	add("SUNION", a, none, b)
	unordered("SUNION", a, c)
	add("SUNION", none)
	add("SUNION", none, str)
	add("SUNION")
	add("SDIFF", a, b)
	add("SDIFF", a, b, c)
	add("SDIFF", a, a)
	add("SDIFF", a, none)
	add("SDIFF", none, a)
	add("SDIFF", none, str)
	add("SDIFF", a, str)
	unordered("SDIFF", c, a)
	add("SDIFF")
	args = []string{"SADD", k("many")}
	for i := 0; i < 100; i++ {
		args = append(args, strconv.Itoa(i))
	}
	add(args...)
	add("SDIFF", a, k("many"))    // probing
	add("SDIFF", k("many"), a, b) // copy-and-remove
	add("SDIFF", k("many"), b, a, c)

	// the STORE forms
	d := k("d")
	add("SINTERSTORE", d, a, b)
	add("SMEMBERS", d)
	add("OBJECT", "ENCODING", d)
	add("SUNIONSTORE", d, a, c)
	add("OBJECT", "ENCODING", d)
	unordered("SMEMBERS", d)
	add("SDIFFSTORE", d, a, b)
	add("SMEMBERS", d)
	add("SDIFFSTORE", d, a, a)
	add("EXISTS", d)
	add("SET", d, "string")
	add("EXPIRE", d, "100")
	add("SUNIONSTORE", d, a)
	add("TYPE", d)
	add("TTL", d)
	add("SINTERSTORE", d, a, none)
	add("EXISTS", d)
	add("SINTERSTORE", d, a, str)
	add("SUNIONSTORE", d, str)
	add("SDIFFSTORE", d, str)
	add("SUNIONSTORE", str, a) // a string destination is overwritten
	add("TYPE", str)
	add("SET", str, "v")
	add("SINTERSTORE", a, a, b) // the destination may be a source
	add("SMEMBERS", a)
	add("SADD", a, "1", "3", "5")
	add("SINTERSTORE", d)
	add("SUNIONSTORE", d)
	add("SDIFFSTORE", d)
	args = []string{"SUNIONSTORE", k("u600")}
	for i := 0; i < 6; i++ {
		s := k(fmt.Sprint("part", i))
		part := []string{"SADD", s}
		for j := 0; j < 100; j++ {
			part = append(part, strconv.Itoa(i*100+j))
		}
		add(part...)
		args = append(args, s)
	}
	add(args...)
	add("OBJECT", "ENCODING", k("u600")) // more than 512 integers

	// SINTERCARD
	add("SINTERCARD", "2", a, b)
	add("SINTERCARD", "3", a, b, c)
	add("SINTERCARD", "1", a)
	add("SINTERCARD", "2", a, none)
	add("SINTERCARD", "2", none, str)
	add("SINTERCARD", "2", a, str)
	add("SINTERCARD", "2", a, b, "LIMIT", "1")
	add("SINTERCARD", "2", a, b, "limit", "0")
	add("SINTERCARD", "2", a, b, "LIMIT", "100")
	add("SINTERCARD", "1", k("many"), "LIMIT", "10")
	add("SINTERCARD", "2", a, b, "LIMIT", "-1")
	add("SINTERCARD", "2", a, b, "LIMIT", "abc")
	add("SINTERCARD", "2", a, b, "LIMIT")
	add("SINTERCARD", "2", a, b, "LIMIT", "1", "LIMIT", "2")
	add("SINTERCARD", "2", a, b, "foo")
	add("SINTERCARD", "1", a, b)
	add("SINTERCARD", "0", a)
	add("SINTERCARD", "-1", a)
	add("SINTERCARD", "abc", a)
	add("SINTERCARD", "3", a, b)
	add("SINTERCARD", "1")

	// SPOP: the deterministic cases
	add("SPOP", none)
	add("SPOP", none, "3")
	add("SPOP", none, "0")
	add("SPOP", str)
	add("SPOP", str, "1")
	add("SPOP", ints, "0")
	add("SPOP", ints, "-1")
	add("SPOP", ints, "abc")
	add("SPOP", ints, "1", "2")
	add("SPOP")
	add("SADD", k("single"), "only")
	add("SPOP", k("single"))
	add("EXISTS", k("single"))
	add("SADD", k("whole"), "5", "3", "1")
	add("SPOP", k("whole"), "3")
	add("EXISTS", k("whole"))
	add("SADD", k("whole2"), "a", "b", "c")
	unordered("SPOP", k("whole2"), "100")
	add("EXISTS", k("whole2"))

	// SRANDMEMBER: the deterministic cases
	add("SRANDMEMBER", none)
	add("SRANDMEMBER", none, "3")
	add("SRANDMEMBER", none, "-3")
	add("SRANDMEMBER", str)
	add("SRANDMEMBER", str, "3")
	add("SRANDMEMBER", ints, "0")
	add("SRANDMEMBER", ints, "100")
	add("SRANDMEMBER", ints, "abc")
	add("SRANDMEMBER", ints, "-9223372036854775808")
	add("SRANDMEMBER", ints, "1", "2")
	add("SRANDMEMBER", none, "abc")
	add("SRANDMEMBER")
	add("SADD", k("one"), "m")
	add("SRANDMEMBER", k("one"))
	add("SRANDMEMBER", k("one"), "-4")
	add("SRANDMEMBER", k("one"), "1")
	unordered("SRANDMEMBER", strs, "4")
	unordered("SRANDMEMBER", strs, "40")

	// SSCAN
	add("SSCAN", ints, "0")
	add("SSCAN", ints, "0", "MATCH", "*1*")
	add("SSCAN", ints, "0", "MATCH", "-*", "COUNT", "1000")
	add("SSCAN", ints, "7")
	add("SSCAN", ints, "0", "COUNT", "0")
	add("SSCAN", ints, "0", "COUNT", "x")
	add("SSCAN", ints, "0", "MATCH")
	add("SSCAN", ints, "0", "TYPE", "set")
	add("SSCAN", ints, "x")
	add("SSCAN", ints, "-5")
	add("SSCAN", none, "0")
	add("SSCAN", none, "0", "bad")
	add("SSCAN", str, "0")
	add("SSCAN", str, "x")
	add("SSCAN", ints)
	unordered("SSCAN", k("one"), "0")

	// inside a transaction
	add("MULTI")
	add("SADD", k("tx"), "1", "2")
	add("SPOP", k("tx"), "2")
	add("SREM", k("tx"))
	add("SMEMBERS", k("tx"))
	add("EXEC")
	return steps
}

func TestDiffSet(t *testing.T) {
	runDiff(t, setScript, nil, nil)
}

func TestDiffSetThresholds(t *testing.T) {
	real := testutil.StartRedis(t, "--set-max-intset-entries", "3")
	_, addr := startTestServer(t, func(o *Options) { o.SetMaxIntsetEntries = 3 })
	var steps []testutil.Step
	add := func(args ...string) { steps = append(steps, testutil.Step{Args: args}) }
	add("SADD", "s", "3", "2", "1")
	add("OBJECT", "ENCODING", "s")
	add("SMEMBERS", "s")
	add("SADD", "s", "4")
	add("OBJECT", "ENCODING", "s")
	add("SUNIONSTORE", "u", "s")
	add("OBJECT", "ENCODING", "u")
	add("SINTERSTORE", "i", "s", "s")
	add("OBJECT", "ENCODING", "i")
	add("SREM", "s", "4")
	add("SUNIONSTORE", "u", "s")
	add("OBJECT", "ENCODING", "u")
	testutil.RunScript(t, addr, real.Addr(), 2, steps)
}

// TestDiffSetSpopRebuild: popping most of a hashtable of integers rebuilds
// the rest as a new set, an intset again; popping a few keeps the
// hashtable. Both keep the TTL. The popped members are random, so the
// servers are compared on what follows.
func TestDiffSetSpopRebuild(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	results := map[string][]string{}
	hsBoth(t, real.Addr(), addr, 2, nil, func(t *testing.T, c *testutil.RawConn) {
		var out []string
		for _, n := range []int{590, 10, 480} {
			key := fmt.Sprint("s", n)
			args := []string{"SADD", key}
			for i := 0; i < 600; i++ {
				args = append(args, strconv.Itoa(i))
			}
			if n == 480 {
				args = append(args, "x") // the rest may keep a non-integer
			}
			c.Do(args...)
			c.Do("EXPIRE", key, "1000")
			r := hsDecode(t, c.Do("SPOP", key, strconv.Itoa(n)))
			if len(r.items) != n {
				t.Fatalf("SPOP %d popped %d", n, len(r.items))
			}
			for _, cmd := range [][]string{{"SCARD", key}, {"OBJECT", "ENCODING", key}, {"TTL", key}} {
				out = append(out, fmt.Sprintf("%v -> %q", cmd, c.Do(cmd...)))
			}
		}
		results[t.Name()] = out
	})
	var got, want []string
	for name, out := range results {
		if strings.HasSuffix(name, "/warden") {
			got = out
		} else {
			want = out
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after SPOP:\nwarden:\n  %s\nredis:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func hsSetupSet(key string, members []string) [][]string {
	return [][]string{append([]string{"SADD", key}, members...)}
}

func hsMembers(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// TestDiffSetRandom checks SRANDMEMBER and SPOP's promises on intsets and
// hashtables of several sizes, on both servers.
func TestDiffSetRandom(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	for _, tc := range []struct {
		name    string
		members []string
	}{
		{"intset10", hsMembers("", 10)},
		{"intset400", hsMembers("", 400)},
		{"hashtable10", hsMembers("m", 10)},
		{"hashtable700", hsMembers("m", 700)},
	} {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/RESP%d", tc.name, proto), func(t *testing.T) {
				size := len(tc.members)
				member := map[string]bool{}
				for _, m := range tc.members {
					member[m] = true
				}
				aggKind := byte('*')
				if proto == 3 {
					aggKind = '~'
				}
				hsBoth(t, real.Addr(), addr, proto, hsSetupSet("s", tc.members), func(t *testing.T, c *testutil.RawConn) {
					seen := map[string]bool{}
					for i := 0; i < 300; i++ {
						r := hsDecode(t, c.Do("SRANDMEMBER", "s"))
						if r.kind != '$' || !member[r.str] {
							t.Fatalf("SRANDMEMBER: %+v", r)
						}
						seen[r.str] = true
					}
					if size == 10 && len(seen) != 10 {
						t.Errorf("300 picks of 10 saw %d", len(seen))
					}
					for _, count := range []int{1, 2, size / 3, size/3 + 1, size - 1, size, size * 2} {
						r := hsDecode(t, c.Do("SRANDMEMBER", "s", strconv.Itoa(count)))
						got := r.strs()
						if r.kind != '*' || len(got) != min(count, size) {
							t.Fatalf("SRANDMEMBER %d: kind %c, %d members", count, r.kind, len(got))
						}
						distinct := map[string]bool{}
						for _, m := range got {
							if !member[m] || distinct[m] {
								t.Fatalf("SRANDMEMBER %d: bad or repeated %q", count, m)
							}
							distinct[m] = true
						}
					}
					r := hsDecode(t, c.Do("SRANDMEMBER", "s", "-500"))
					if r.kind != '*' || len(r.items) != 500 {
						t.Fatalf("SRANDMEMBER -500: kind %c, %d", r.kind, len(r.items))
					}
					for _, m := range r.strs() {
						if !member[m] {
							t.Fatalf("SRANDMEMBER -500: stray %q", m)
						}
					}

					// SPOP until empty, with counts in both strategies.
					left := hsCopyMap(member)
					pop := func(args ...string) []string {
						r := hsDecode(t, c.Do(args...))
						var got []string
						if len(args) == 2 {
							if r.kind != '$' {
								t.Fatalf("%v: %+v", args, r)
							}
							got = []string{r.str}
						} else {
							if r.kind != aggKind {
								t.Fatalf("%v: reply kind %c", args, r.kind)
							}
							got = r.strs()
						}
						for _, m := range got {
							if !left[m] {
								t.Fatalf("%v: %q popped twice or never there", args, m)
							}
							delete(left, m)
						}
						return got
					}
					pop("SPOP", "s")
					n := len(left)
					if got := pop("SPOP", "s", strconv.Itoa(n/10+1)); len(got) != n/10+1 {
						t.Fatalf("SPOP %d popped %d", n/10+1, len(got))
					}
					n = len(left)
					if got := pop("SPOP", "s", strconv.Itoa(n-2)); len(got) != n-2 {
						t.Fatalf("SPOP %d popped %d", n-2, len(got))
					}
					rest := hsDecode(t, c.Do("SMEMBERS", "s")).strs()
					slices.Sort(rest)
					var want []string
					for m := range left {
						want = append(want, m)
					}
					slices.Sort(want)
					if !slices.Equal(rest, want) {
						t.Fatalf("after pops: members %v, want %v", rest, want)
					}
					if got := pop("SPOP", "s", "10"); len(got) != 2 || len(left) != 0 {
						t.Fatalf("last SPOP: %v, left %v", got, left)
					}
					if r := c.Do("EXISTS", "s"); string(r) != ":0\r\n" {
						t.Fatalf("EXISTS after popping all: %q", r)
					}
				})
			})
		}
	}
}

func hsCopyMap(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestDiffSetScanLarge iterates a hashtable set to the end and checks that
// every member comes back, as SCAN guarantees.
func TestDiffSetScanLarge(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	members := hsMembers("m", 1500)
	hsBoth(t, real.Addr(), addr, 3, hsSetupSet("s", members), func(t *testing.T, c *testutil.RawConn) {
		for _, opts := range [][]string{nil, {"COUNT", "3"}, {"MATCH", "m1?"}} {
			got := map[string]bool{}
			cursor := "0"
			for calls := 0; ; calls++ {
				if calls > 3000 {
					t.Fatalf("%v: no end", opts)
				}
				r := hsDecode(t, c.Do(append([]string{"SSCAN", "s", cursor}, opts...)...))
				if r.kind != '*' || len(r.items) != 2 || r.items[1].kind != '*' {
					t.Fatalf("%v: bad reply %+v", opts, r)
				}
				for _, m := range r.items[1].strs() {
					got[m] = true
				}
				if cursor = r.items[0].str; cursor == "0" {
					break
				}
			}
			want := len(members)
			if len(opts) > 0 && opts[0] == "MATCH" {
				want = 10 // m10..m19
				for m := range got {
					if len(m) != 3 || m[:2] != "m1" {
						t.Fatalf("%v: %q does not match", opts, m)
					}
				}
			}
			if len(got) != want {
				t.Fatalf("%v: %d members, want %d", opts, len(got), want)
			}
		}
	})
}
