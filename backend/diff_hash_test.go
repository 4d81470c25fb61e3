package backend

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// hashScript exercises every hash command against both encodings, their
// error paths and options. p prefixes every key so the RESP2 and RESP3 runs
// do not see each other's data. Replies of hashtable-encoded hashes are
// compared unordered; listpack replies must match byte for byte, order
// included.
func hashScript(p string) []testutil.Step {
	k := func(name string) string { return p + name }
	var steps []testutil.Step
	add := func(args ...string) { steps = append(steps, testutil.Step{Args: args}) }
	unordered := func(args ...string) { steps = append(steps, testutil.Step{Args: args, Unordered: true}) }

	h, str, none := k("h"), k("str"), k("none")
	add("SET", str, "v")

	// HSET / HMSET and listpack order
	add("HSET", h, "f1", "v1", "f2", "v2", "f3", "v3")
	add("HGETALL", h)
	add("HKEYS", h)
	add("HVALS", h)
	add("HSET", h, "f2", "new", "f4", "v4")
	add("HGETALL", h)
	add("HDEL", h, "f1", "nope", "f3")
	add("HGETALL", h)
	add("HSET", h, "f1", "again", "f2", "new")
	add("HGETALL", h)
	add("OBJECT", "ENCODING", h)
	add("TYPE", h)
	add("HSET", h)
	add("HSET", h, "f")
	add("HSET", h, "a", "b", "c")
	add("HMSET", h, "a", "1", "b", "2")
	add("HMSET", h, "a")
	add("HMSET", h, "a", "1", "b")
	add("HGETALL", h)
	add("HSET", str, "f", "v")
	add("HMSET", str, "f", "v")
	add("HSET", k("bin"), "", "", "\x00\r\n", "\xff\x00", "k", strings.Repeat("z", 64))
	add("HGETALL", k("bin"))
	add("OBJECT", "ENCODING", k("bin"))
	add("HSET", h, "int", "12345", "neg", "-7", "big", "9223372036854775808")
	add("HGETALL", h)

	// HSETNX
	add("HSETNX", h, "a", "x")
	add("HSETNX", h, "newf", "x")
	add("HSETNX", k("nx"), "f", "v")
	add("HGETALL", k("nx"))
	add("HSETNX", str, "f", "v")
	add("HSETNX", h, "f")
	add("HSETNX", h, "f", "v", "extra")

	// HGET / HMGET / HEXISTS / HLEN / HSTRLEN
	add("HGET", h, "a")
	add("HGET", h, "nope")
	add("HGET", none, "a")
	add("HGET", str, "a")
	add("HGET", h)
	add("HMGET", h, "a", "nope", "b", "a")
	add("HMGET", none, "a", "b")
	add("HMGET", str, "a")
	add("HMGET", h)
	add("HEXISTS", h, "a")
	add("HEXISTS", h, "nope")
	add("HEXISTS", none, "a")
	add("HEXISTS", str, "a")
	add("HEXISTS", h)
	add("HLEN", h)
	add("HLEN", none)
	add("HLEN", str)
	add("HLEN")
	add("HSTRLEN", h, "a")
	add("HSTRLEN", h, "int")
	add("HSTRLEN", h, "nope")
	add("HSTRLEN", none, "a")
	add("HSTRLEN", str, "a")
	add("HSTRLEN", h)

	// HKEYS / HVALS / HGETALL on missing and wrong keys
	for _, cmd := range []string{"HKEYS", "HVALS", "HGETALL"} {
		add(cmd, none)
		add(cmd, str)
		add(cmd)
		add(cmd, h, "extra")
	}

	// HDEL until the key goes
	add("HSET", k("d"), "a", "1", "b", "2", "c", "3")
	add("HDEL", k("d"), "b")
	add("HGETALL", k("d"))
	add("HDEL", k("d"), "a", "c", "a", "zz")
	add("EXISTS", k("d"))
	add("HDEL", k("d"), "a")
	add("HDEL", none, "a")
	add("HDEL", str, "a")
	add("HDEL", h)

	// HINCRBY
	add("HINCRBY", k("n"), "c", "5")
	add("HINCRBY", k("n"), "c", "-7")
	add("HINCRBY", k("n"), "c", "0")
	add("HGETALL", k("n"))
	add("HINCRBY", h, "a", "1")
	add("HSET", k("n"), "s", "abc", "sp", " 1", "lz", "007", "fl", "1.5", "max", "9223372036854775807", "min", "-9223372036854775808")
	for _, f := range []string{"s", "sp", "lz", "fl"} {
		add("HINCRBY", k("n"), f, "1")
	}
	add("HINCRBY", k("n"), "max", "1")
	add("HINCRBY", k("n"), "max", "0")
	add("HINCRBY", k("n"), "max", "-1")
	add("HINCRBY", k("n"), "min", "-1")
	add("HINCRBY", k("n"), "min", "1")
	add("HINCRBY", k("n"), "c", "9223372036854775807")
	add("HINCRBY", k("n"), "c", "abc")
	add("HINCRBY", k("n"), "c", "1.5")
	add("HINCRBY", k("n"), "c", "9223372036854775808")
	add("HINCRBY", k("n"), "c", " 1")
	add("HINCRBY", none, "c", "x") // the increment is checked first
	add("EXISTS", none)
	add("HINCRBY", str, "c", "1")
	add("HINCRBY", str, "c", "x")
	add("HINCRBY", k("n"), "c")

	// HINCRBYFLOAT: long double arithmetic and formatting
	fl := k("fl")
	for i, inc := range []string{"10.5", "0.1", "-0.6", "1e308", "1e308", "3.0e3", "0x1p-3", "0X1P4", "-0.0", "1.", ".5",
		"5e-20", "+1.5", "00012", "1E2", "1.23456789012345678901234", "9007199254740993", "123456789012345678901234567890",
		"0.000000000000000001", "1e-4950", "3.7e-4951", "-1e4000"} {
		add("HINCRBYFLOAT", fl, fmt.Sprint("f", i), inc)
		add("HINCRBYFLOAT", fl, "acc", inc)
	}
	add("HINCRBYFLOAT", fl, "o", "0.1")
	add("HINCRBYFLOAT", fl, "o", "0.2")
	add("HINCRBYFLOAT", fl, "o", "-0.3")
	for _, bad := range []string{"abc", " 1", "1 ", "1e", "0x", "nan", "1_0", "", "1e-4952", "1e-4951", "1e4933", "--1", "0x1p", "1e+"} {
		add("HINCRBYFLOAT", fl, "bad", bad)
	}
	for _, inf := range []string{"inf", "-inf", "infinity", "+Infinity", "INF"} {
		add("HINCRBYFLOAT", fl, "bad", inf)
	}
	add("HINCRBYFLOAT", fl, "j", "1e4932")
	add("HINCRBYFLOAT", fl, "j", "1e4932")
	add("HGET", fl, "j")
	add("HSET", fl, "sinf", "inf", "sp", " 5", "w", "5", "e", "1e3", "hex", "0x10")
	add("HINCRBYFLOAT", fl, "sinf", "1")
	add("HINCRBYFLOAT", fl, "sp", "1")
	add("HINCRBYFLOAT", fl, "w", "1.5")
	add("HINCRBYFLOAT", fl, "e", "1")
	add("HINCRBYFLOAT", fl, "hex", "1")
	add("HINCRBYFLOAT", none, "f", "x")
	add("EXISTS", none)
	add("HINCRBYFLOAT", str, "f", "1")
	add("HINCRBYFLOAT", fl, "f")
	add("OBJECT", "ENCODING", fl) // 1e308 sums are longer than 64 bytes

	// Encoding thresholds: 512 entries, 64-byte strings.
	lp := k("lp")
	args := []string{"HSET", lp}
	for i := 0; i < 512; i++ {
		args = append(args, fmt.Sprint("field:", i), fmt.Sprint(i*i))
	}
	add(args...)
	add("OBJECT", "ENCODING", lp)
	add("HGETALL", lp)
	add("HRANDFIELD", lp, "512")
	add("HRANDFIELD", lp, "600", "WITHVALUES")
	add("HSCAN", lp, "0")
	add("HSCAN", lp, "0", "MATCH", "field:1*", "COUNT", "5")
	add("HSET", lp, "field:0", "x")
	add("OBJECT", "ENCODING", lp)
	add("HSET", lp, "one-more", "x")
	add("OBJECT", "ENCODING", lp)
	unordered("HGETALL", lp)
	unordered("HKEYS", lp)
	unordered("HVALS", lp)
	unordered("HRANDFIELD", lp, "513")
	unordered("HRANDFIELD", lp, "1000", "WITHVALUES")
	add("HMGET", lp, "field:3", "nope", "one-more")
	add("HLEN", lp)
	for i := 0; i < 512; i++ {
		add("HDEL", lp, fmt.Sprint("field:", i))
	}
	add("HGETALL", lp)
	add("OBJECT", "ENCODING", lp) // never converts back

	long := strings.Repeat("L", 65)
	add("HSET", k("lv"), "a", strings.Repeat("v", 64))
	add("OBJECT", "ENCODING", k("lv"))
	add("HSET", k("lv"), "a", long)
	add("OBJECT", "ENCODING", k("lv"))
	add("HSET", k("lf"), long, "v")
	add("OBJECT", "ENCODING", k("lf"))
	add("HSETNX", k("lnx"), "a", long)
	add("OBJECT", "ENCODING", k("lnx"))
	add("HMSET", k("lm"), "a", "b", "c", long)
	add("OBJECT", "ENCODING", k("lm"))
	add("HSET", k("li"), "a", "1")
	add("HINCRBY", k("li"), long, "1")
	add("OBJECT", "ENCODING", k("li"))
	add("HSET", k("lfl"), "a", "1")
	add("HINCRBYFLOAT", k("lfl"), "b", "1e70")
	add("OBJECT", "ENCODING", k("lfl"))

	// A TTL survives field updates.
	add("HSET", k("ttl"), "a", "1")
	add("EXPIRE", k("ttl"), "1000")
	add("HSET", k("ttl"), "b", "2")
	add("HDEL", k("ttl"), "a")
	add("HINCRBY", k("ttl"), "b", "1")
	add("TTL", k("ttl"))

	// HSCAN on a listpack, and its argument checks
	add("HSCAN", h, "0")
	add("HSCAN", h, "0", "MATCH", "f*")
	add("HSCAN", h, "0", "match", "*")
	add("HSCAN", h, "0", "MATCH", "[ab]")
	add("HSCAN", h, "0", "COUNT", "1")
	add("HSCAN", h, "0", "COUNT", "1", "MATCH", "a", "MATCH", "b")
	add("HSCAN", h, "123")
	add("HSCAN", h, "-1")
	add("HSCAN", h, "+0")
	add("HSCAN", h, "00")
	add("HSCAN", h, "18446744073709551615")
	add("HSCAN", h, "18446744073709551616")
	add("HSCAN", h, "abc")
	add("HSCAN", h, " 0")
	add("HSCAN", h, "0 ")
	add("HSCAN", h, "")
	add("HSCAN", h, "0", "COUNT", "0")
	add("HSCAN", h, "0", "COUNT", "-1")
	add("HSCAN", h, "0", "COUNT", "abc")
	add("HSCAN", h, "0", "COUNT")
	add("HSCAN", h, "0", "MATCH")
	add("HSCAN", h, "0", "foo", "bar")
	add("HSCAN", h, "0", "TYPE", "string")
	add("HSCAN", h, "0", "NOVALUES")
	// C string semantics: the cursor and the option words end at a NUL.
	add("HSCAN", h, "0\x00junk")
	add("HSCAN", h, "0", "COUNT\x00x", "5", "match\x00", "a")
	add("HSCAN", h, "0", "TYPE\x00", "hash")
	add("HSCAN", none, "0")
	add("HSCAN", none, "0", "foo")
	add("HSCAN", none, "abc")
	add("HSCAN", str, "0")
	add("HSCAN", str, "abc")
	add("HSCAN", h)

	// HRANDFIELD: the deterministic cases
	one := k("one")
	add("HSET", one, "only", "val")
	add("HRANDFIELD", one)
	add("HRANDFIELD", one, "1")
	add("HRANDFIELD", one, "-3")
	add("HRANDFIELD", one, "-3", "WITHVALUES")
	add("HRANDFIELD", one, "1", "withvalues")
	add("HRANDFIELD", h, "0")
	add("HRANDFIELD", h, "0", "WITHVALUES")
	add("HRANDFIELD", h, "100")
	add("HRANDFIELD", h, "100", "WITHVALUES")
	add("HRANDFIELD", none)
	add("HRANDFIELD", none, "5")
	add("HRANDFIELD", none, "-5", "WITHVALUES")
	add("HRANDFIELD", none, "abc")
	add("HRANDFIELD", str)
	add("HRANDFIELD", str, "0")
	add("HRANDFIELD", str, "abc")
	add("HRANDFIELD", h, "abc")
	add("HRANDFIELD", h, "1.5")
	add("HRANDFIELD", h, "-9223372036854775808")
	add("HRANDFIELD", h, "9223372036854775807", "WITHVALUES")
	add("HRANDFIELD", h, "-4611686018427387904", "WITHVALUES")
	add("HRANDFIELD", h, "4611686018427387904", "WITHVALUES")
	add("HRANDFIELD", h, "1", "WITHVALUE")
	add("HRANDFIELD", h, "1", "WITHVALUES", "x")
	add("HRANDFIELD", h, "abc", "x", "y")
	add("HRANDFIELD")

	// inside a transaction
	add("MULTI")
	add("HSET", k("tx"), "a", "1")
	add("HINCRBYFLOAT", k("tx"), "a", "0.5")
	add("HGETALL", k("tx"))
	add("HSET", k("tx"), "b")
	add("EXEC")
	return steps
}

func TestDiffHash(t *testing.T) {
	runDiff(t, hashScript, nil, nil)
}

// TestDiffHashThresholds runs with small non-default thresholds on both
// servers.
func TestDiffHashThresholds(t *testing.T) {
	real := testutil.StartRedis(t, "--hash-max-listpack-entries", "4", "--hash-max-listpack-value", "8")
	_, addr := startTestServer(t, func(o *Options) {
		o.HashMaxListpackEntries = 4
		o.HashMaxListpackValue = 8
	})
	var steps []testutil.Step
	add := func(args ...string) { steps = append(steps, testutil.Step{Args: args}) }
	add("HSET", "a", "1", "1", "2", "2", "3", "3", "4", "4")
	add("OBJECT", "ENCODING", "a")
	add("HGETALL", "a")
	add("HSET", "a", "5", "5")
	add("OBJECT", "ENCODING", "a")
	add("HSET", "b", "12345678", "12345678")
	add("OBJECT", "ENCODING", "b")
	add("HSET", "b", "x", "123456789")
	add("OBJECT", "ENCODING", "b")
	add("HINCRBYFLOAT", "c", "f", "0.25")
	add("OBJECT", "ENCODING", "c")
	add("HINCRBYFLOAT", "c", "f", "1000000")
	add("OBJECT", "ENCODING", "c")
	testutil.RunScript(t, addr, real.Addr(), 2, steps)
}

// --- property checks for random replies -------------------------------------
//
// HRANDFIELD, SRANDMEMBER, SPOP and SCAN over hashtables cannot be compared
// byte for byte; these checks assert what the commands promise, and run
// against real Redis too, so a wrong assertion shows up as a Redis failure.

// hsReply is a decoded RESP reply, for property checks.
type hsReply struct {
	kind  byte // the RESP type byte: '$', ':', '*', '~', '%', '_', '-', ...
	str   string
	items []hsReply // aggregates; a map's keys and values alternate
}

func hsDecode(t testing.TB, raw []byte) hsReply {
	t.Helper()
	r, rest, err := hsParse(raw)
	if err != nil || len(rest) != 0 {
		t.Fatalf("cannot decode %q: %v", raw, err)
	}
	return r
}

func hsParse(b []byte) (hsReply, []byte, error) {
	nl := bytes.Index(b, []byte("\r\n"))
	if len(b) == 0 || nl < 0 {
		return hsReply{}, nil, fmt.Errorf("truncated")
	}
	r := hsReply{kind: b[0]}
	line, rest := string(b[1:nl]), b[nl+2:]
	switch r.kind {
	case '$', '=':
		n, err := strconv.Atoi(line)
		if err != nil {
			return r, nil, err
		}
		if n < 0 {
			r.kind = '_'
			return r, rest, nil
		}
		r.str, rest = string(rest[:n]), rest[n+2:]
	case '*', '~', '%', '>':
		n, err := strconv.Atoi(line)
		if err != nil {
			return r, nil, err
		}
		if n < 0 {
			r.kind = '_'
			return r, rest, nil
		}
		if r.kind == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			var it hsReply
			if it, rest, err = hsParse(rest); err != nil {
				return r, nil, err
			}
			r.items = append(r.items, it)
		}
	default:
		r.str = line
	}
	return r, rest, nil
}

// strs returns the string elements of a flat aggregate.
func (r hsReply) strs() []string {
	out := make([]string, len(r.items))
	for i, it := range r.items {
		out[i] = it.str
	}
	return out
}

// hsBoth runs check against real Redis and warden, each with a fresh
// connection after setup commands.
func hsBoth(t *testing.T, real, warden string, proto int, setup [][]string, check func(t *testing.T, c *testutil.RawConn)) {
	t.Helper()
	for _, srv := range []struct{ name, addr string }{{"redis", real}, {"warden", warden}} {
		t.Run(srv.name, func(t *testing.T) {
			c := testutil.Dial(t, srv.addr)
			if proto == 3 {
				if r := c.Do("HELLO", "3"); len(r) > 0 && r[0] == '-' {
					t.Fatalf("HELLO 3: %q", r)
				}
			}
			c.Do("FLUSHALL")
			for _, s := range setup {
				if r := c.Do(s...); len(r) > 0 && r[0] == '-' {
					t.Fatalf("%v: %q", s, r)
				}
			}
			check(t, c)
		})
	}
}

func hsSetupHash(key string, n int) [][]string {
	args := []string{"HSET", key}
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprint("f", i), fmt.Sprint("v", i))
	}
	return [][]string{args}
}

func TestDiffHashRandField(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	for _, size := range []int{10, 600} { // listpack, hashtable
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("size%d/RESP%d", size, proto), func(t *testing.T) {
				hsBoth(t, real.Addr(), addr, proto, hsSetupHash("h", size), func(t *testing.T, c *testutil.RawConn) {
					fieldOK := func(f string) bool {
						i, err := strconv.Atoi(strings.TrimPrefix(f, "f"))
						return strings.HasPrefix(f, "f") && err == nil && i >= 0 && i < size
					}
					valid := func(f, v string) bool { return fieldOK(f) && "v"+f[1:] == v }
					// single field
					seen := map[string]bool{}
					for i := 0; i < 200; i++ {
						r := hsDecode(t, c.Do("HRANDFIELD", "h"))
						if r.kind != '$' || !fieldOK(r.str) {
							t.Fatalf("HRANDFIELD: %+v", r)
						}
						seen[r.str] = true
					}
					if size == 10 && len(seen) != size {
						t.Errorf("200 picks of 10 fields saw only %d", len(seen))
					}
					// positive counts: distinct fields
					for _, count := range []int{1, 3, size / 3, size/3 + 1, size - 1, size, size + 5} {
						for _, wv := range []bool{false, true} {
							args := []string{"HRANDFIELD", "h", fmt.Sprint(count)}
							if wv {
								args = append(args, "WITHVALUES")
							}
							fields := hsRandPairs(t, c.Do(args...), wv, proto, valid)
							want := min(count, size)
							if len(fields) != want {
								t.Fatalf("%v: %d fields, want %d", args, len(fields), want)
							}
							distinct := map[string]bool{}
							for _, f := range fields {
								distinct[f] = true
							}
							if len(distinct) != want {
								t.Fatalf("%v: repeated fields %v", args, fields)
							}
						}
					}
					// negative counts: exactly |count| picks, repeats allowed
					for _, wv := range []bool{false, true} {
						args := []string{"HRANDFIELD", "h", "-1000"}
						if wv {
							args = append(args, "WITHVALUES")
						}
						fields := hsRandPairs(t, c.Do(args...), wv, proto, valid)
						distinct := map[string]bool{}
						for _, f := range fields {
							distinct[f] = true
						}
						if len(fields) != 1000 || (size == 10 && len(distinct) != 10) {
							t.Fatalf("%v: %d picks, %d distinct", args, len(fields), len(distinct))
						}
					}
				})
			})
		}
	}
}

// hsRandPairs decodes an HRANDFIELD-with-count reply into its fields,
// checking the RESP2 (flat) or RESP3 (nested pairs) shape and each value.
func hsRandPairs(t *testing.T, raw []byte, withValues bool, proto int, valid func(f, v string) bool) []string {
	t.Helper()
	r := hsDecode(t, raw)
	if r.kind != '*' {
		t.Fatalf("not an array: %q", raw)
	}
	var fields []string
	switch {
	case !withValues:
		for _, it := range r.items {
			if it.kind != '$' || !valid(it.str, "v"+strings.TrimPrefix(it.str, "f")) {
				t.Fatalf("element %+v in %q", it, raw)
			}
			fields = append(fields, it.str)
		}
	case proto == 2:
		if len(r.items)%2 != 0 {
			t.Fatalf("odd flat reply %q", raw)
		}
		for i := 0; i < len(r.items); i += 2 {
			if !valid(r.items[i].str, r.items[i+1].str) {
				t.Fatalf("pair %q %q", r.items[i].str, r.items[i+1].str)
			}
			fields = append(fields, r.items[i].str)
		}
	default:
		for _, it := range r.items {
			if it.kind != '*' || len(it.items) != 2 || !valid(it.items[0].str, it.items[1].str) {
				t.Fatalf("pair %+v in %q", it, raw)
			}
			fields = append(fields, it.items[0].str)
		}
	}
	return fields
}

// TestDiffHashScanLarge iterates hashtable hashes to the end with various
// COUNT and MATCH and checks every field comes back with its value, as SCAN
// guarantees.
func TestDiffHashScanLarge(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	hsBoth(t, real.Addr(), addr, 2, hsSetupHash("h", 1000), func(t *testing.T, c *testutil.RawConn) {
		for _, opts := range [][]string{nil, {"COUNT", "7"}, {"MATCH", "f1*"}, {"MATCH", "f1*", "COUNT", "100"}} {
			got := map[string]string{}
			cursor := "0"
			for calls := 0; ; calls++ {
				if calls > 2000 {
					t.Fatalf("%v: no end", opts)
				}
				r := hsDecode(t, c.Do(append([]string{"HSCAN", "h", cursor}, opts...)...))
				if r.kind != '*' || len(r.items) != 2 || len(r.items[1].items)%2 != 0 {
					t.Fatalf("%v: bad reply %+v", opts, r)
				}
				els := r.items[1].strs()
				for i := 0; i < len(els); i += 2 {
					got[els[i]] = els[i+1]
				}
				if cursor = r.items[0].str; cursor == "0" {
					break
				}
			}
			want := 0
			for i := 0; i < 1000; i++ {
				f := fmt.Sprint("f", i)
				if len(opts) >= 2 && opts[0] == "MATCH" && !strings.HasPrefix(f, "f1") {
					if _, ok := got[f]; ok {
						t.Fatalf("%v: %s does not match", opts, f)
					}
					continue
				}
				want++
				if got[f] != fmt.Sprint("v", i) {
					t.Fatalf("%v: field %s = %q", opts, f, got[f])
				}
			}
			if len(got) != want {
				t.Fatalf("%v: %d fields, want %d", opts, len(got), want)
			}
		}
	})
}

// TestDiffHashSetNotifications compares the keyspace events of hash and set
// commands, in order.
func TestDiffHashSetNotifications(t *testing.T) {
	real := testutil.StartRedis(t, "--notify-keyspace-events", "KEAn")
	_, addr := startTestServer(t, func(o *Options) { o.NotifyKeyspace = "KEAn" })
	cmds := [][]string{
		{"HSET", "h", "a", "1", "b", "2"}, {"HSET", "h", "a", "1"}, {"HSETNX", "h", "a", "x"}, {"HSETNX", "h", "c", "3"},
		{"HMSET", "h", "d", "4"}, {"HINCRBY", "h", "n", "1"}, {"HINCRBYFLOAT", "h", "n", "1.5"}, {"HINCRBY", "h", "a", "x"},
		{"HDEL", "h", "zz"}, {"HDEL", "h", "a", "b", "c", "d"}, {"HDEL", "h", "n"}, {"HINCRBYFLOAT", "h2", "f", "1"},
		{"SADD", "s", "1", "2", "3"}, {"SADD", "s", "1"}, {"SREM", "s", "9"}, {"SREM", "s", "1"},
		{"SMOVE", "s", "s2", "2"}, {"SMOVE", "s", "s2", "3"}, {"SMOVE", "s2", "s2", "3"}, {"SPOP", "s2", "0"},
		{"SADD", "s3", "a", "b", "c"}, {"SPOP", "s3", "5"},
		{"SADD", "x", "1", "2"}, {"SADD", "y", "2", "3"},
		{"SINTERSTORE", "d", "x", "y"}, {"SINTERSTORE", "d", "x", "y"}, {"SUNIONSTORE", "d", "x", "y"},
		{"SDIFFSTORE", "d", "x", "x"}, {"SDIFFSTORE", "d", "x", "x"}, {"SINTERSTORE", "d2", "x", "nokey"},
		{"SADD", "one", "m"}, {"SPOP", "one"},
	}
	events := func(addr string) []string {
		sub := testutil.Dial(t, addr)
		if r := sub.Do("PSUBSCRIBE", "*"); !bytes.Contains(r, []byte("psubscribe")) {
			t.Fatalf("PSUBSCRIBE on %s: %q", addr, r)
		}
		c := testutil.Dial(t, addr)
		for _, cmd := range cmds {
			c.Do(cmd...)
		}
		c.Do("PUBLISH", "end", "end")
		var out []string
		for {
			raw, err := sub.ReadReply()
			if err != nil {
				t.Fatalf("reading events from %s: %v (got %q)", addr, err, out)
			}
			r := hsDecode(t, raw)
			if len(r.items) != 4 {
				t.Fatalf("unexpected message %q", raw)
			}
			if r.items[2].str == "end" {
				return out
			}
			out = append(out, r.items[2].str+" "+r.items[3].str)
		}
	}
	want, got := events(real.Addr()), events(addr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events differ\nwarden:\n  %s\nredis:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
