package backend

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// Differential tests of the sorted set commands against Debian's
// redis-server 7.0: every reply is compared byte for byte, in RESP2 and
// RESP3. Each script takes a key prefix so that the RESP2 and RESP3 runs
// (which share the servers) do not see each other's data. Random replies
// (ZRANDMEMBER with a count below the size) are only checked where Redis
// makes them deterministic; their randomness is unit-tested.

type zsetScript struct {
	p     string
	steps []testutil.Step
}

func (s *zsetScript) k(name string) string { return s.p + name }

func (s *zsetScript) add(args ...string) {
	s.steps = append(s.steps, testutil.Step{Args: args})
}

// zaddMany adds n members "m<i>" with score i/3 (so scores repeat and the
// member order breaks ties), plus the given extra args at the end.
func (s *zsetScript) zaddMany(key string, n int) {
	args := []string{"ZADD", key}
	for i := 0; i < n; i++ {
		args = append(args, strconv.Itoa(i/3), fmt.Sprintf("m%03d", i))
	}
	s.add(args...)
}

func zsetScriptBasic(p string) []testutil.Step {
	s := &zsetScript{p: p}
	z, str, none, f := s.k("z"), s.k("str"), s.k("none"), s.k("f")
	s.add("SET", str, "v")

	// ZADD and its options
	s.add("ZADD", z, "1", "a", "2", "b", "3", "c")
	s.add("ZADD", z, "1", "a")
	s.add("ZADD", z, "CH", "5", "a", "2", "b", "7", "new")
	s.add("ZADD", z, "NX", "10", "a", "11", "d")
	s.add("ZADD", z, "XX", "10", "a", "11", "e")
	s.add("ZADD", z, "XX", "CH", "12", "a", "11", "e")
	s.add("ZADD", z, "GT", "1", "a")
	s.add("ZADD", z, "GT", "CH", "20", "a", "0", "gtnew")
	s.add("ZADD", z, "LT", "CH", "30", "a")
	s.add("ZADD", z, "LT", "CH", "1", "a", "100", "ltnew")
	s.add("ZADD", z, "XX", "GT", "CH", "50", "a", "60", "zz")
	s.add("ZADD", z, "xx", "lt", "ch", "49", "a")
	s.add("ZADD", z, "Nx", "cH", "1", "a", "1", "nxnew")
	s.add("ZRANGE", z, "0", "-1", "WITHSCORES")
	s.add("ZADD", z, "INCR", "5", "a")
	s.add("ZADD", z, "INCR", "NX", "5", "a")
	s.add("ZADD", z, "INCR", "NX", "5", "incrnew")
	s.add("ZADD", z, "INCR", "XX", "5", "nope")
	s.add("ZADD", z, "INCR", "GT", "-1", "a")
	s.add("ZADD", z, "INCR", "LT", "-1", "a")
	s.add("ZADD", z, "INCR", "0", "a")
	s.add("ZADD", z, "GT", "INCR", "0", "a")
	s.add("ZADD", z, "CH", "INCR", "1", "a")
	s.add("ZADD", z, "1", "dup", "2", "dup")
	s.add("ZADD", z, "CH", "3", "dup", "4", "dup")
	s.add("ZSCORE", z, "dup")
	// errors, in Redis's order of checks
	s.add("ZADD", z, "NX", "XX", "1", "a")
	s.add("ZADD", z, "GT", "LT", "1", "a")
	s.add("ZADD", z, "NX", "GT", "1", "a")
	s.add("ZADD", z, "NX", "LT", "1", "a")
	s.add("ZADD", z, "NX", "XX", "GT", "1", "a")
	s.add("ZADD", z, "INCR", "1", "a", "2", "b")
	s.add("ZADD", z, "NX", "XX", "1")
	s.add("ZADD", z, "NX", "XX", "x", "a")
	s.add("ZADD", z, "GT", "LT", "INCR", "1", "a", "2", "b")
	s.add("ZADD", z, "1")
	s.add("ZADD", z)
	s.add("ZADD", z, "1", "a", "2")
	s.add("ZADD", z, "1", "a", "2", "b", "XX")
	s.add("ZADD", z, "NX")
	s.add("ZADD", z, "x", "a")
	s.add("ZADD", z, "nan", "a")
	s.add("ZADD", z, "1", "a", "x", "b")
	s.add("ZADD", z, "", "a")
	s.add("ZADD", z, " 1", "a")
	s.add("ZADD", z, "1 ", "a")
	s.add("ZADD", z, "1e400", "a")
	s.add("ZADD", z, "1_0", "a")
	s.add("ZCARD", z)
	s.add("ZADD", str, "1", "a")
	s.add("ZADD", str, "NX", "XX", "1", "a")
	s.add("ZADD", none, "XX", "1", "a")
	s.add("ZADD", none, "XX", "INCR", "1", "a")
	s.add("EXISTS", none)
	s.add("ZADD", none, "GT", "1", "a")
	s.add("ZADD", none, "LT", "INCR", "-3", "b")
	s.add("ZRANGE", none, "0", "-1", "WITHSCORES")
	s.add("ZADD", s.k("new"), "NX", "INCR", "2", "x")
	s.add("ZADD", s.k("inf"), "inf", "m")
	s.add("ZADD", s.k("inf"), "INCR", "-inf", "m")
	s.add("ZADD", s.k("inf"), "INCR", "+inf", "m")
	s.add("ZSCORE", s.k("inf"), "m")

	// ZINCRBY
	s.add("ZINCRBY", z, "1", "a")
	s.add("ZINCRBY", z, "-2.5", "a")
	s.add("ZINCRBY", z, "1.5", "brandnew")
	s.add("ZINCRBY", z, "x", "a")
	s.add("ZINCRBY", z, "nx", "a")
	s.add("ZINCRBY", z, "incr", "a")
	s.add("ZINCRBY", z, "1", "a", "b")
	s.add("ZINCRBY", z, "1")
	s.add("ZINCRBY", s.k("zi"), "2.5", "m")
	s.add("ZINCRBY", s.k("zi"), "inf", "m")
	s.add("ZINCRBY", s.k("zi"), "-inf", "m")
	s.add("ZINCRBY", s.k("zi"), "1", "m")
	s.add("ZINCRBY", str, "1", "a")
	s.add("ZINCRBY", str, "x", "a")

	// score formatting: %.17g, inf, -0, exponents
	s.add("ZADD", f, "0.1", "a", "1.1", "b", "inf", "c", "-inf", "d", "-0", "e", "1e20", "f",
		"1.5e-7", "g", "123456789012345678", "h", "3.0000000000000004", "i", "1e-300", "j",
		"4e-320", "k", "+5", "l", ".5", "m", "5.", "n", "-1E3", "o", "Infinity", "p", "-INF", "q",
		"0.30000000000000004", "r", "1e16", "s", "1e17", "t", "12345678901234567", "u", "0", "v")
	s.add("ZRANGE", f, "0", "-1", "WITHSCORES")
	s.add("ZREVRANGE", f, "0", "-1", "WITHSCORES")
	for _, m := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "r", "t", "u", "v", "nope"} {
		s.add("ZSCORE", f, m)
	}
	s.add("ZINCRBY", f, "0.2", "a")
	s.add("ZADD", f, "INCR", "-0.1", "b")
	// the double syntax of strtod, and Redis's checks around it
	for _, v := range []string{"0x10", "0X1A", "-0x10", "+0x10", "0x1.8", "0x.8", "0x1P4", "0x", "0x1p", "00x10",
		"0x10p", "1e-400", "-1e-400", "0e-400", "1e-320", "2e-324", "3e-324", "0x1p-1080", "0x0p-2000", "1e",
		"1e+", ".", "-", "+", "++1", "1e5", "-.5e-3", "infinity", "-Infinity", "inF", "nan", "-nan", "1,5", "1.5.", "\x001"} {
		s.add("ZADD", s.k("fz"), v, "m")
		s.add("ZSCORE", s.k("fz"), "m")
		s.add("ZINCRBY", s.k("fz"), v, "m")
		s.add("ZUNION", "1", s.k("fz"), "WEIGHTS", v, "WITHSCORES")
	}
	s.add("ZADD", s.k("z0"), "0", "a")
	s.add("ZADD", s.k("z0"), "-0", "a")
	s.add("ZSCORE", s.k("z0"), "a")
	s.add("ZINCRBY", s.k("z0"), "-0", "a")
	s.add("ZSCORE", s.k("z0"), "a")

	// simple reads
	s.add("ZCARD", z)
	s.add("ZCARD", none)
	s.add("ZCARD", str)
	s.add("ZCARD")
	s.add("ZCARD", z, "x")
	s.add("ZSCORE", z, "a")
	s.add("ZSCORE", z, "nope")
	s.add("ZSCORE", none, "a")
	s.add("ZSCORE", str, "a")
	s.add("ZSCORE", z)
	s.add("ZMSCORE", z, "a", "nope", "b")
	s.add("ZMSCORE", z, "nope")
	s.add("ZMSCORE", none, "a", "b")
	s.add("ZMSCORE", str, "a")
	s.add("ZMSCORE", z)
	s.add("TYPE", z)
	s.add("OBJECT", "ENCODING", z)

	// binary-safe members
	bin := s.k("bin")
	s.add("ZADD", bin, "1", "", "2", "\x00\r\n", "3", "\xff\xfe", "1", "A")
	s.add("ZRANGE", bin, "0", "-1", "WITHSCORES")
	s.add("ZSCORE", bin, "")
	s.add("ZRANGEBYLEX", bin, "-", "+")
	return s.steps
}

func zsetScriptEncoding(p string) []testutil.Step {
	s := &zsetScript{p: p}
	enc := func(k string) { s.add("OBJECT", "ENCODING", k) }
	long64, long65 := strings.Repeat("x", 64), strings.Repeat("y", 65)

	s.zaddMany(s.k("e128"), 128)
	enc(s.k("e128"))
	s.add("ZADD", s.k("e128"), "1", "m000") // an update adds nothing
	enc(s.k("e128"))
	s.add("ZADD", s.k("e128"), "1000", "another")
	enc(s.k("e128"))
	s.add("ZREMRANGEBYRANK", s.k("e128"), "0", "-3")
	enc(s.k("e128")) // no conversion back
	s.add("ZCARD", s.k("e128"))

	s.zaddMany(s.k("e129"), 129)
	enc(s.k("e129"))
	s.add("ZADD", s.k("e64"), "1", long64)
	enc(s.k("e64"))
	s.add("ZADD", s.k("e65"), "1", long65)
	enc(s.k("e65"))
	s.add("ZADD", s.k("emix"), "1", "a", "2", long65)
	enc(s.k("emix"))
	s.add("ZADD", s.k("elate"), "1", "a")
	enc(s.k("elate"))
	s.add("ZADD", s.k("elate"), "2", long65)
	enc(s.k("elate"))
	s.add("ZREM", s.k("elate"), long65)
	enc(s.k("elate"))
	s.add("ZINCRBY", s.k("einc"), "1", long65)
	enc(s.k("einc"))
	s.add("ZADD", s.k("exx"), "1", "a")
	s.add("ZADD", s.k("exx"), "XX", "1", long65)
	enc(s.k("exx"))
	s.add("ZRANGE", s.k("e129"), "0", "-1", "WITHSCORES")
	return s.steps
}

// zsetScriptRange runs the range commands over a listpack and a skiplist
// set of similar shape, so both encodings answer every query.
func zsetScriptRange(p string) []testutil.Step {
	s := &zsetScript{p: p}
	str, none, lx := s.k("str"), s.k("none"), s.k("lx")
	s.add("SET", str, "v")
	small, big := s.k("small"), s.k("big")
	s.zaddMany(small, 20)
	s.zaddMany(big, 300)
	s.add("OBJECT", "ENCODING", small)
	s.add("OBJECT", "ENCODING", big)
	s.add("ZADD", lx, "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "aa", "0", "", "0", "\xff")

	for _, z := range []string{small, big} {
		for _, r := range [][2]string{{"0", "-1"}, {"0", "3"}, {"-3", "-1"}, {"5", "2"}, {"-1000", "2"},
			{"2", "1000"}, {"1000", "2000"}, {"-1", "-1"}, {"0", "9223372036854775807"},
			{"-9223372036854775808", "1"}, {"1", "-9223372036854775808"}} {
			s.add("ZRANGE", z, r[0], r[1])
			s.add("ZRANGE", z, r[0], r[1], "REV", "WITHSCORES")
			s.add("ZREVRANGE", z, r[0], r[1])
		}
		s.add("ZRANGE", z, "0", "4", "WITHSCORES")
		s.add("ZRANGE", z, "0", "4", "withscores", "rev")
		s.add("ZREVRANGE", z, "0", "4", "WITHSCORES")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "0", "-1")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "5", "-1")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "0", "1")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "0", "-2")
		s.add("ZREVRANGE", z, "0", "1", "LIMIT", "0", "1")

		for _, r := range [][2]string{{"-inf", "+inf"}, {"1", "3"}, {"(1", "3"}, {"1", "(3"}, {"(1", "(3"},
			{"3", "1"}, {"2", "2"}, {"(2", "2"}, {"(2", "(2"}, {"inf", "-inf"}, {"-inf", "-inf"},
			{"+inf", "inf"}, {"", "2"}, {"(", "(1"}, {"1e400", "inf"}, {"-1e400", "0"}, {" 1", "2"},
			{"0x2", "3"}, {"1.5", "2.5"}, {"-10", "1000"}, {"50", "60"}, {"95", "1000"}} {
			s.add("ZRANGEBYSCORE", z, r[0], r[1])
			s.add("ZRANGEBYSCORE", z, r[0], r[1], "WITHSCORES")
			s.add("ZREVRANGEBYSCORE", z, r[1], r[0], "WITHSCORES")
			s.add("ZRANGE", z, r[0], r[1], "BYSCORE")
			s.add("ZRANGE", z, r[1], r[0], "BYSCORE", "REV")
			s.add("ZCOUNT", z, r[0], r[1])
		}
		for _, l := range [][2]string{{"0", "2"}, {"1", "2"}, {"1", "-1"}, {"-1", "2"}, {"2", "0"}, {"100", "1"},
			{"0", "-5"}, {"3", "100"}} {
			s.add("ZRANGEBYSCORE", z, "-inf", "+inf", "LIMIT", l[0], l[1])
			s.add("ZREVRANGEBYSCORE", z, "+inf", "-inf", "WITHSCORES", "LIMIT", l[0], l[1])
			s.add("ZRANGE", z, "2", "5", "BYSCORE", "LIMIT", l[0], l[1], "WITHSCORES")
			s.add("ZRANGE", z, "5", "(2", "BYSCORE", "REV", "LIMIT", l[0], l[1])
		}
		s.add("ZRANGEBYSCORE", z, "1", "2", "LIMIT", "0", "1", "LIMIT", "1", "1")
		s.add("ZRANGEBYSCORE", z, "1", "2", "WITHSCORES", "WITHSCORES")
	}

	// lex ranges (all scores equal)
	for _, r := range [][2]string{{"-", "+"}, {"[a", "[c"}, {"(a", "(c"}, {"[aa", "+"}, {"-", "(b"},
		{"+", "-"}, {"[c", "[a"}, {"[b", "[b"}, {"(b", "[b"}, {"[", "(a"}, {"(", "+"}, {"[\xff", "+"}} {
		s.add("ZRANGEBYLEX", lx, r[0], r[1])
		s.add("ZREVRANGEBYLEX", lx, r[1], r[0])
		s.add("ZRANGE", lx, r[0], r[1], "BYLEX")
		s.add("ZRANGE", lx, r[1], r[0], "BYLEX", "REV", "LIMIT", "1", "2")
		s.add("ZLEXCOUNT", lx, r[0], r[1])
	}
	s.add("ZRANGEBYLEX", lx, "-", "+", "LIMIT", "2", "3")
	s.add("ZRANGEBYLEX", lx, "-", "+", "LIMIT", "-1", "3")
	s.add("ZREVRANGEBYLEX", lx, "+", "-", "LIMIT", "1", "-1")
	s.add("ZRANGEBYLEX", big, "[m010", "(m020")
	s.add("ZLEXCOUNT", big, "-", "+")

	// syntax and value errors, which come before the key lookup
	for _, z := range []string{small, none, str} {
		s.add("ZRANGE", z, "0", "1", "LIMIT", "0", "1")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "0")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "a", "1")
		s.add("ZRANGE", z, "0", "1", "LIMIT", "0", "1.5")
		s.add("ZRANGE", z, "a", "b")
		s.add("ZRANGE", z, "0", "1.5")
		s.add("ZRANGE", z, "a", "b", "BYSCORE")
		s.add("ZRANGE", z, "(a", "1", "BYSCORE")
		s.add("ZRANGE", z, "nan", "1", "BYSCORE")
		s.add("ZRANGE", z, "a", "b", "BYLEX")
		s.add("ZRANGE", z, "0", "1", "BYLEX")
		s.add("ZRANGE", z, "[a", "+b", "BYLEX")
		s.add("ZRANGE", z, "-", "+", "BYLEX", "WITHSCORES")
		s.add("ZRANGE", z, "0", "1", "BYSCORE", "BYLEX")
		s.add("ZRANGE", z, "0", "1", "BYSCORE", "BYSCORE")
		s.add("ZRANGE", z, "0", "1", "REV", "REV")
		s.add("ZRANGE", z, "0", "1", "FOO")
		s.add("ZRANGE", z, "0", "-1")
		s.add("ZRANGE", z, "0", "-1", "BYSCORE")
		s.add("ZRANGEBYSCORE", z, "0", "1", "BYSCORE")
		s.add("ZRANGEBYSCORE", z, "0", "1", "REV")
		s.add("ZRANGEBYSCORE", z, "0", "1", "LIMIT", "0")
		s.add("ZRANGEBYSCORE", z, "a", "1")
		s.add("ZREVRANGEBYSCORE", z, "1", "a")
		s.add("ZRANGEBYLEX", z, "-", "+", "WITHSCORES")
		s.add("ZRANGEBYLEX", z, "a", "+")
		s.add("ZREVRANGEBYLEX", z, "-", "+")
		s.add("ZREVRANGE", z, "0", "1", "REV")
		s.add("ZREVRANGE", z, "0", "1", "BYSCORE")
		s.add("ZREVRANGE", z, "x", "1")
		s.add("ZCOUNT", z, "x", "1")
		s.add("ZCOUNT", z, "1", "(x")
		s.add("ZLEXCOUNT", z, "a", "b")
		s.add("ZLEXCOUNT", z, "-", "+")
		s.add("ZCOUNT", z, "-inf", "+inf")
	}
	s.add("ZRANGE", small, "0")
	s.add("ZRANGEBYSCORE", small, "0")
	s.add("ZCOUNT", small, "0", "1", "2")
	s.add("ZLEXCOUNT", small, "-")

	// ranks
	for _, z := range []string{small, big} {
		for _, m := range []string{"m000", "m001", "m005", "m019", "m299", "nope"} {
			s.add("ZRANK", z, m)
			s.add("ZREVRANK", z, m)
		}
	}
	s.add("ZRANK", none, "a")
	s.add("ZREVRANK", none, "a")
	s.add("ZRANK", str, "a")
	s.add("ZREVRANK", str, "a")
	s.add("ZRANK", small, "m000", "WITHSCORE")
	s.add("ZRANK", small)

	// ZRANGESTORE
	dst := s.k("dst")
	enc := func() { s.add("OBJECT", "ENCODING", dst); s.add("ZRANGE", dst, "0", "-1", "WITHSCORES") }
	s.add("ZRANGESTORE", dst, small, "0", "4")
	enc()
	s.add("ZRANGESTORE", dst, small, "0", "4", "REV")
	enc()
	s.add("ZRANGESTORE", dst, big, "1", "5", "BYSCORE", "LIMIT", "2", "4")
	enc()
	s.add("ZRANGESTORE", dst, big, "(10", "1", "BYSCORE", "REV")
	enc()
	s.add("ZRANGESTORE", dst, lx, "[b", "+", "BYLEX")
	enc()
	s.add("ZRANGESTORE", dst, big, "0", "127")
	enc()
	s.add("ZRANGESTORE", dst, big, "0", "128")
	enc()
	s.add("ZRANGESTORE", dst, big, "0", "200", "BYSCORE", "LIMIT", "0", "128")
	enc()
	s.add("ZRANGESTORE", dst, big, "-inf", "+inf", "BYSCORE")
	enc()
	s.add("ZRANGESTORE", dst, small, "100", "200")
	s.add("EXISTS", dst)
	s.add("ZRANGESTORE", dst, small, "100", "200")
	s.add("ZRANGESTORE", dst, small, "0", "0")
	s.add("ZRANGESTORE", dst, none, "0", "-1")
	s.add("EXISTS", dst)
	s.add("SET", dst, "x", "EX", "1000")
	s.add("ZRANGESTORE", dst, small, "0", "2")
	s.add("TYPE", dst)
	s.add("TTL", dst)
	s.add("ZRANGESTORE", dst, str, "0", "-1")
	s.add("ZRANGESTORE", dst, small, "0", "-1", "WITHSCORES")
	s.add("ZRANGESTORE", dst, small, "0", "1", "LIMIT", "0", "1")
	s.add("ZRANGESTORE", dst, small, "a", "1")
	s.add("ZRANGESTORE", dst, small, "0")
	s.add("ZRANGESTORE", small, small, "2", "3")
	s.add("ZRANGE", small, "0", "-1", "WITHSCORES")
	return s.steps
}

func zsetScriptRemove(p string) []testutil.Step {
	s := &zsetScript{p: p}
	str, none, z, lx := s.k("str"), s.k("none"), s.k("z"), s.k("lx")
	s.add("SET", str, "v")
	s.add("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d")
	s.add("ZREM", z, "a", "nope", "b", "a")
	s.add("ZRANGE", z, "0", "-1")
	s.add("ZREM", z, "nope")
	s.add("ZREM", z, "c", "d", "e")
	s.add("EXISTS", z)
	s.add("ZREM", none, "a")
	s.add("ZREM", str, "a")
	s.add("ZREM", z)

	for _, n := range []int{10, 200} {
		tag := strconv.Itoa(n)
		rk, sk, lk := s.k("rank"+tag), s.k("score"+tag), s.k("lex"+tag)
		s.zaddMany(rk, n)
		s.zaddMany(sk, n)
		s.zaddMany(lk, n)
		s.add("ZREMRANGEBYRANK", rk, "5", "2")
		s.add("ZREMRANGEBYRANK", rk, "100", "200")
		s.add("ZREMRANGEBYRANK", rk, "0", "0")
		s.add("ZREMRANGEBYRANK", rk, "-2", "-1")
		s.add("ZREMRANGEBYRANK", rk, "-1000", "1")
		s.add("ZRANGE", rk, "0", "-1")
		s.add("OBJECT", "ENCODING", rk)
		s.add("ZREMRANGEBYRANK", rk, "0", "9223372036854775807")
		s.add("EXISTS", rk)

		s.add("ZREMRANGEBYSCORE", sk, "(1", "2")
		s.add("ZREMRANGEBYSCORE", sk, "3", "(3")
		s.add("ZREMRANGEBYSCORE", sk, "5", "1")
		s.add("ZREMRANGEBYSCORE", sk, "-inf", "0")
		s.add("ZREMRANGEBYSCORE", sk, "(50", "60")
		s.add("ZRANGE", sk, "0", "-1", "WITHSCORES")
		s.add("ZREMRANGEBYSCORE", sk, "-inf", "+inf")
		s.add("EXISTS", sk)

		s.add("ZREMRANGEBYLEX", lk, "-", "(m002")
		s.add("ZREMRANGEBYLEX", lk, "[m000", "[m001")
		s.add("ZREMRANGEBYLEX", lk, "+", "-")
		s.add("ZRANGE", lk, "0", "-1")
	}
	s.add("ZADD", lx, "0", "a", "0", "b", "0", "c", "0", "d")
	s.add("ZREMRANGEBYLEX", lx, "(a", "[c")
	s.add("ZRANGE", lx, "0", "-1")
	s.add("ZREMRANGEBYLEX", lx, "-", "+")
	s.add("EXISTS", lx)

	for _, k := range []string{z, none, str} {
		s.add("ZADD", z, "1", "a")
		s.add("ZREMRANGEBYRANK", k, "a", "1")
		s.add("ZREMRANGEBYRANK", k, "0", "1.0")
		s.add("ZREMRANGEBYSCORE", k, "a", "1")
		s.add("ZREMRANGEBYSCORE", k, "1", "(")
		s.add("ZREMRANGEBYLEX", k, "a", "+")
		s.add("ZREMRANGEBYLEX", k, "-", "++")
		s.add("ZREMRANGEBYRANK", k, "5", "6")
		s.add("ZREMRANGEBYSCORE", k, "5", "6")
		s.add("ZREMRANGEBYLEX", k, "[x", "[y")
	}
	s.add("ZREMRANGEBYRANK", z, "0")
	s.add("ZREMRANGEBYSCORE", z, "0", "1", "2")
	return s.steps
}

func zsetScriptPop(p string) []testutil.Step {
	s := &zsetScript{p: p}
	str, none, z, z2 := s.k("str"), s.k("none"), s.k("z"), s.k("z2")
	s.add("SET", str, "v")
	s.add("ZADD", z, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f", "7", "g")
	s.add("ZPOPMIN", z)
	s.add("ZPOPMAX", z)
	s.add("ZPOPMIN", z, "1")
	s.add("ZPOPMAX", z, "2")
	s.add("ZPOPMIN", z, "0")
	s.add("ZPOPMIN", z, "-1")
	s.add("ZPOPMIN", z, "x")
	s.add("ZPOPMAX", z, "99999999999999999999")
	s.add("ZPOPMIN", z, "1", "2")
	s.add("ZPOPMIN", none)
	s.add("ZPOPMIN", none, "5")
	s.add("ZPOPMAX", none, "0")
	s.add("ZPOPMIN", str)
	s.add("ZPOPMIN", str, "0")
	s.add("ZPOPMIN", str, "-1")
	s.add("ZPOPMIN", z, "100")
	s.add("EXISTS", z)
	s.add("ZPOPMAX")

	s.add("ZADD", z, "1", "a", "2", "b", "3", "c")
	s.add("ZADD", z2, "10", "x", "20", "y")
	s.add("ZMPOP", "1", z, "MIN")
	s.add("ZMPOP", "1", z, "max", "COUNT", "1")
	s.add("ZMPOP", "2", none, z2, "MAX", "COUNT", "5")
	s.add("EXISTS", z2)
	s.add("ZMPOP", "1", none, "MIN")
	s.add("ZMPOP", "3", none, s.k("none2"), z, "MIN", "count", "10")
	s.add("ZMPOP", "1", z, "MIN")
	s.add("ZADD", z, "1", "a")
	s.add("ZMPOP", "2", str, z, "MIN")
	s.add("ZMPOP", "2", none, str, "MIN")
	s.add("ZMPOP", "2", z, str, "MIN")
	s.add("ZMPOP", "0", z, "MIN")
	s.add("ZMPOP", "-1", z, "MIN")
	s.add("ZMPOP", "x", z, "MIN")
	s.add("ZMPOP", "1", z, "MID")
	s.add("ZMPOP", "1", z, "MIN", "COUNT", "0")
	s.add("ZMPOP", "1", z, "MIN", "COUNT", "-1")
	s.add("ZMPOP", "1", z, "MIN", "COUNT", "x")
	s.add("ZMPOP", "1", z, "MIN", "COUNT", "1", "COUNT", "2")
	s.add("ZMPOP", "1", z, "MIN", "COUNT")
	s.add("ZMPOP", "1", z, "MIN", "extra")
	s.add("ZMPOP", "2", z, "MIN")
	s.add("ZMPOP", "5", z, "MIN")
	s.add("ZMPOP", "9223372036854775807", z, "MIN")
	s.add("ZMPOP", "1", z)
	s.add("ZRANGE", z, "0", "-1", "WITHSCORES")
	// scores as doubles in the pop replies
	s.add("ZADD", z, "0.1", "x", "inf", "y", "-inf", "w")
	s.add("ZPOPMIN", z, "2")
	s.add("ZMPOP", "1", z, "MAX", "COUNT", "5")
	return s.steps
}

func zsetScriptSetOps(p string) []testutil.Step {
	s := &zsetScript{p: p}
	str, none := s.k("str"), s.k("none")
	a, b, st, si, ni, d := s.k("a"), s.k("b"), s.k("st"), s.k("si"), s.k("ni"), s.k("d")
	s.add("SET", str, "v")
	s.add("ZADD", a, "1", "x", "2", "y", "3", "z")
	s.add("ZADD", b, "10", "y", "20", "z", "30", "w")
	s.add("SADD", st, "y", "w", "q")
	s.add("SADD", si, "1", "2", "3")
	s.add("ZADD", ni, "1", "1", "2.5", "2", "5", "5")
	show := func() { s.add("ZRANGE", d, "0", "-1", "WITHSCORES"); s.add("OBJECT", "ENCODING", d) }

	for _, op := range []string{"ZUNION", "ZINTER"} {
		st0 := op + "STORE"
		for _, extra := range [][]string{nil, {"WEIGHTS", "2", "3"}, {"AGGREGATE", "MIN"}, {"AGGREGATE", "max"},
			{"WEIGHTS", "-1", "0.5", "AGGREGATE", "SUM"}, {"AGGREGATE", "MAX", "WEIGHTS", "0", "-inf"},
			{"WEIGHTS", "1", "1", "WEIGHTS", "2", "2"}} {
			s.add(append([]string{st0, d, "2", a, b}, extra...)...)
			show()
			s.add(append(append([]string{op, "2", a, b}, extra...), "WITHSCORES")...)
			s.add(append([]string{op, "2", a, b}, extra...)...)
		}
		s.add(st0, d, "3", a, b, st)
		show()
		s.add(op, "3", a, b, st, "WITHSCORES")
		s.add(op, "2", st, si, "WITHSCORES")
		s.add(op, "2", ni, si, "WITHSCORES", "WEIGHTS", "2", "3")
		s.add(op, "2", si, ni, "WITHSCORES", "AGGREGATE", "MAX")
		s.add(op, "1", st)
		s.add(op, "2", a, none, "WITHSCORES")
		s.add(op, "2", none, none)
		s.add(op, "2", a, a, "WITHSCORES")
		s.add(op, "2", a, a, "WEIGHTS", "1", "2", "WITHSCORES")
		s.add(op, "1", a, "withscores", "WITHSCORES")
		// errors
		s.add(op, "0", a)
		s.add(op, "-1", a)
		s.add(op, "x", a)
		s.add(op, "3", a, b)
		s.add(op, "2", a, str)
		s.add(op, "2", str, a, "WEIGHTS", "x")
		s.add(op, "2", a, b, "WEIGHTS", "1")
		s.add(op, "2", a, b, "WEIGHTS", "1", "x")
		s.add(op, "2", a, b, "WEIGHTS", "1", "nan")
		s.add(op, "2", a, b, "AGGREGATE", "foo")
		s.add(op, "2", a, b, "AGGREGATE")
		s.add(op, "2", a, b, "LIMIT", "1")
		s.add(op, "2", a, b, "foo")
		s.add(st0, d, "0", a)
		s.add(st0, d, "3", a, b)
		s.add(st0, d, "2", a, b, "WITHSCORES")
		s.add(st0, d, "2", a, str)
		s.add(st0, d, "x", a)
		s.add(st0, d)
		s.add(op)
		s.add(op, "1")
	}

	// ZDIFF
	s.add("ZDIFF", "2", a, b, "WITHSCORES")
	s.add("ZDIFF", "2", b, a)
	s.add("ZDIFF", "1", a, "WITHSCORES")
	s.add("ZDIFF", "2", a, a)
	s.add("ZDIFF", "2", none, a)
	s.add("ZDIFF", "2", a, none, "WITHSCORES")
	s.add("ZDIFF", "3", b, a, st, "WITHSCORES")
	s.add("ZDIFF", "2", st, a)
	s.add("ZDIFF", "2", ni, si, "WITHSCORES")
	s.add("ZDIFFSTORE", d, "2", b, a)
	show()
	s.add("ZDIFFSTORE", d, "2", a, a)
	s.add("EXISTS", d)
	s.add("ZDIFFSTORE", d, "2", a, a)
	s.add("ZDIFF", "2", a, b, "WEIGHTS", "1", "2")
	s.add("ZDIFF", "2", a, b, "AGGREGATE", "SUM")
	s.add("ZDIFF", "0", a)
	s.add("ZDIFF", "2", a, str)
	s.add("ZDIFFSTORE", d, "1", a, "WITHSCORES")
	s.add("ZDIFFSTORE", d, "0", a)

	// ZINTERCARD
	s.add("ZINTERCARD", "2", a, b)
	s.add("ZINTERCARD", "2", a, b, "LIMIT", "1")
	s.add("ZINTERCARD", "2", a, b, "LIMIT", "0")
	s.add("ZINTERCARD", "2", a, b, "LIMIT", "100")
	s.add("ZINTERCARD", "3", a, b, st)
	s.add("ZINTERCARD", "2", a, none)
	s.add("ZINTERCARD", "1", si)
	s.add("ZINTERCARD", "2", a, b, "LIMIT", "-1")
	s.add("ZINTERCARD", "2", a, b, "LIMIT", "x")
	s.add("ZINTERCARD", "2", a, b, "LIMIT")
	s.add("ZINTERCARD", "2", a, b, "WITHSCORES")
	s.add("ZINTERCARD", "2", a, b, "WEIGHTS", "1", "2")
	s.add("ZINTERCARD", "2", a, b, "AGGREGATE", "SUM")
	s.add("ZINTERCARD", "0", a)
	s.add("ZINTERCARD", "2", a, str)
	s.add("ZINTERCARD", "3", a, b)

	// store semantics: an empty result deletes, the type and TTL are replaced
	s.add("ZINTERSTORE", d, "2", a, none)
	s.add("EXISTS", d)
	s.add("ZINTERSTORE", d, "2", a, none)
	s.add("SET", d, "x", "EX", "1000")
	s.add("ZUNIONSTORE", d, "1", a)
	s.add("TYPE", d)
	s.add("TTL", d)
	s.add("ZUNIONSTORE", a, "2", a, b)
	s.add("ZRANGE", a, "0", "-1", "WITHSCORES")

	// result encodings
	s.zaddMany(s.k("big"), 200)
	s.add("ZUNIONSTORE", d, "1", s.k("big"))
	show()
	s.add("ZINTERSTORE", d, "2", s.k("big"), s.k("big"), "WEIGHTS", "1", "0")
	s.add("OBJECT", "ENCODING", d)
	s.add("ZADD", s.k("long"), "1", strings.Repeat("L", 65), "2", "short")
	s.add("ZUNIONSTORE", d, "1", s.k("long"))
	s.add("OBJECT", "ENCODING", d)
	s.add("ZDIFFSTORE", d, "2", s.k("long"), b)
	s.add("OBJECT", "ENCODING", d)
	s.add("ZINTERSTORE", d, "2", s.k("long"), s.k("long"))
	s.add("OBJECT", "ENCODING", d)
	s.add("ZUNION", "2", s.k("big"), a, "WITHSCORES")

	// float arithmetic: Redis sums smallest input first
	s.add("ZADD", s.k("fa"), "0.1", "m", "1", "x", "2", "y")
	s.add("ZADD", s.k("fb"), "0.2", "m", "1", "x")
	s.add("ZADD", s.k("fc"), "0.3", "m")
	s.add("ZADD", s.k("e1"), "0.1", "m")
	s.add("ZADD", s.k("e2"), "0.2", "m")
	s.add("ZADD", s.k("e3"), "0.3", "m")
	for _, op := range []string{"ZUNION", "ZINTER"} {
		s.add(op, "3", s.k("fa"), s.k("fb"), s.k("fc"), "WITHSCORES")
		s.add(op, "3", s.k("fc"), s.k("fb"), s.k("fa"), "WITHSCORES")
		s.add(op, "3", s.k("e1"), s.k("e2"), s.k("e3"), "WITHSCORES")
		s.add(op, "3", s.k("e3"), s.k("e2"), s.k("e1"), "WITHSCORES")
		s.add(op, "3", s.k("e1"), s.k("e2"), s.k("e3"), "WEIGHTS", "3", "7", "0.1", "WITHSCORES")
	}
	// infinities: inf + -inf and 0 * inf are NaN, which become 0
	s.add("ZADD", s.k("inf"), "inf", "m", "-inf", "n", "1", "o")
	for _, extra := range [][]string{{"WEIGHTS", "1", "-1"}, {"WEIGHTS", "0", "1"}, {"WEIGHTS", "1", "0"},
		{"WEIGHTS", "0", "0"}, {"WEIGHTS", "0", "1", "AGGREGATE", "MIN"}, {"WEIGHTS", "1", "0", "AGGREGATE", "MAX"},
		{"WEIGHTS", "-inf", "inf", "AGGREGATE", "MIN"}, {"WEIGHTS", "inf", "inf"}} {
		s.add(append(append([]string{"ZUNION", "2", s.k("inf"), s.k("inf")}, extra...), "WITHSCORES")...)
		s.add(append(append([]string{"ZINTER", "2", s.k("inf"), s.k("inf")}, extra...), "WITHSCORES")...)
	}
	return s.steps
}

func zsetScriptRandScan(p string) []testutil.Step {
	s := &zsetScript{p: p}
	str, none, one, r5 := s.k("str"), s.k("none"), s.k("one"), s.k("r5")
	s.add("SET", str, "v")
	s.add("ZADD", one, "5.5", "only")
	s.add("ZADD", r5, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	s.zaddMany(s.k("big"), 200)

	// ZRANDMEMBER where the answer is determined
	s.add("ZRANDMEMBER", one)
	s.add("ZRANDMEMBER", one, "1")
	s.add("ZRANDMEMBER", one, "1", "WITHSCORES")
	s.add("ZRANDMEMBER", one, "-3")
	s.add("ZRANDMEMBER", one, "-3", "withscores")
	s.add("ZRANDMEMBER", one, "5", "WITHSCORES")
	s.add("ZRANDMEMBER", r5, "5", "WITHSCORES")
	s.add("ZRANDMEMBER", r5, "100")
	s.add("ZRANDMEMBER", r5, "0")
	s.add("ZRANDMEMBER", r5, "0", "WITHSCORES")
	s.add("ZRANDMEMBER", s.k("big"), "200", "WITHSCORES")
	s.add("ZRANDMEMBER", s.k("big"), "9223372036854775807")
	s.add("ZRANDMEMBER", none)
	s.add("ZRANDMEMBER", none, "5")
	s.add("ZRANDMEMBER", none, "-5", "WITHSCORES")
	s.add("ZRANDMEMBER", str)
	s.add("ZRANDMEMBER", str, "1")
	s.add("ZRANDMEMBER", str, "x")
	s.add("ZRANDMEMBER", r5, "x")
	s.add("ZRANDMEMBER", r5, "1.5")
	s.add("ZRANDMEMBER", r5, "1", "foo")
	s.add("ZRANDMEMBER", r5, "1", "WITHSCORES", "x")
	s.add("ZRANDMEMBER", r5, "-9223372036854775808")
	s.add("ZRANDMEMBER", r5, "-9223372036854775808", "WITHSCORE")
	s.add("ZRANDMEMBER", none, "4611686018427387904", "WITHSCORE")
	s.add("ZRANDMEMBER", none, "4611686018427387904", "WITHSCORES")
	s.add("ZRANDMEMBER", none, "-4611686018427387904", "WITHSCORES")
	s.add("ZRANDMEMBER", none, "4611686018427387903", "WITHSCORES")
	s.add("ZRANDMEMBER", none, "-4611686018427387903", "WITHSCORES")
	s.add("ZRANDMEMBER", none, "-9223372036854775807")
	s.add("ZRANDMEMBER", str, "4611686018427387904", "WITHSCORES")
	s.add("ZRANDMEMBER")

	// ZSCAN of a listpack: everything, in order, cursor 0
	sc := s.k("sc")
	s.add("ZADD", sc, "1", "a", "2", "b", "3", "c", "10", "abc", "0.1", "x", "inf", "y", "-0", "z", "1e20", "big")
	for _, args := range [][]string{{"0"}, {"0", "MATCH", "a*"}, {"0", "COUNT", "1"}, {"0", "match", "*", "count", "100"},
		{"123"}, {"-1"}, {""}, {"18446744073709551615"}, {"+5"}, {"0", "MATCH", "[a-b]"}, {"0", "MATCH", "nomatch"},
		{"0", "COUNT", "1", "MATCH", "?", "COUNT", "2"}} {
		s.add(append([]string{"ZSCAN", sc}, args...)...)
	}
	for _, args := range [][]string{{"x"}, {" 1"}, {"+"}, {"-"}, {"18446744073709551616"}, {"1.0"},
		{"0", "COUNT", "0"}, {"0", "COUNT", "-1"}, {"0", "COUNT", "x"}, {"0", "MATCH"}, {"0", "COUNT"},
		{"0", "TYPE", "string"}, {"0", "foo", "bar"}} {
		s.add(append([]string{"ZSCAN", sc}, args...)...)
		s.add(append([]string{"ZSCAN", none}, args...)...)
		s.add(append([]string{"ZSCAN", str}, args...)...)
	}
	s.add("ZSCAN", sc)
	return s.steps
}

// zsetScriptNegZero follows -0 scores, which a listpack stores as 0 while a
// skiplist keeps them, through every way a set changes encoding.
func zsetScriptNegZero(p string) []testutil.Step {
	s := &zsetScript{p: p}
	long := strings.Repeat("L", 65)
	src := s.k("src")
	// a skiplist from the start (first member too long), with -0 scores
	args := []string{"ZADD", src, "1000", long, "-0", "a0", "-0", "a1"}
	for i := 1; i <= 140; i++ {
		args = append(args, strconv.Itoa(i), fmt.Sprintf("m%03d", i))
	}
	s.add(args...)
	s.add("OBJECT", "ENCODING", src)
	s.add("ZSCORE", src, "a0")
	s.add("ZRANGE", src, "0", "2", "WITHSCORES")
	check := func(k string) {
		s.add("OBJECT", "ENCODING", k)
		s.add("ZMSCORE", k, "a0", "a1")
	}
	for i, r := range [][]string{{"0", "-1"}, {"-inf", "inf", "BYSCORE"}, {"0", "5"}, {"-inf", "5", "BYSCORE"},
		{"0", "129"}, {"0", "127"}, {"0", "128"}, {"[a0", "[a1", "BYLEX"}, {"1", "-1", "REV"}} {
		d := s.k("d" + strconv.Itoa(i))
		s.add(append([]string{"ZRANGESTORE", d, src}, r...)...)
		check(d)
	}
	s.add("ZUNIONSTORE", s.k("u1"), "1", src)
	check(s.k("u1"))
	s.add("ZINTERSTORE", s.k("u2"), "1", src)
	check(s.k("u2"))
	s.add("ZRANGESTORE", s.k("small"), src, "0", "1")
	s.add("ZUNIONSTORE", s.k("u3"), "1", s.k("small"))
	check(s.k("u3"))
	s.add("ZUNION", "1", src, "WEIGHTS", "-0", "WITHSCORES")
	s.add("ZINTER", "1", s.k("small"), "WEIGHTS", "-1", "WITHSCORES")
	s.add("ZINTERSTORE", s.k("u4"), "1", s.k("small"), "WEIGHTS", "-1")
	check(s.k("u4"))
	s.add("ZPOPMIN", src, "2")

	// a listpack that converts in the middle of one ZADD
	s.add("ZADD", s.k("mid"), "-0", "a0", "1", long, "-0", "a1")
	check(s.k("mid"))
	args = []string{"ZADD", s.k("mid2"), "-0", "a0"}
	for i := 1; i <= 130; i++ {
		args = append(args, strconv.Itoa(i), fmt.Sprintf("m%03d", i))
	}
	s.add(append(args, "-0", "a1")...)
	check(s.k("mid2"))
	s.add("ZADD", s.k("mid3"), "-0", long, "-0", "a0")
	s.add("ZSCORE", s.k("mid3"), long)
	check(s.k("mid3"))
	// replies carry the computed score; the listpack keeps 0
	s.add("ZINCRBY", s.k("inc"), "-0", "a0")
	s.add("ZSCORE", s.k("inc"), "a0")
	s.add("ZADD", s.k("inc"), "INCR", "-0", "a0")
	s.add("ZINCRBY", src, "-0", "a0")
	s.add("ZADD", src, "-0", "x", "0", "a1")
	s.add("ZRANGEBYSCORE", src, "-0", "0", "WITHSCORES")
	return s.steps
}

func TestDiffZset(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	scripts := []struct {
		name string
		fn   func(p string) []testutil.Step
	}{
		{"Basic", zsetScriptBasic},
		{"Encoding", zsetScriptEncoding},
		{"Range", zsetScriptRange},
		{"Remove", zsetScriptRemove},
		{"Pop", zsetScriptPop},
		{"SetOps", zsetScriptSetOps},
		{"RandScan", zsetScriptRandScan},
		{"NegZero", zsetScriptNegZero},
	}
	for _, sc := range scripts {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/RESP%d", sc.name, proto), func(t *testing.T) {
				p := fmt.Sprintf("{%s%d}:", sc.name, proto)
				testutil.RunScript(t, addr, real.Addr(), proto, sc.fn(p))
			})
		}
	}
}

// zsetScriptConfigReload covers the listpack thresholds set with CONFIG SET
// and the encoding a set gets back from DEBUG RELOAD (an RDB round trip,
// where Redis picks the encoding from the loaded contents).
func zsetScriptConfigReload(p string) []testutil.Step {
	s := &zsetScript{p: p}
	enc := func(k string) { s.add("OBJECT", "ENCODING", s.k(k)) }
	s.add("CONFIG", "SET", "zset-max-listpack-entries", "4")
	s.add("CONFIG", "SET", "zset-max-listpack-value", "8")
	s.add("ZADD", s.k("a"), "1", "a", "2", "b", "3", "c", "4", "d")
	enc("a")
	s.add("ZADD", s.k("a"), "5", "e")
	enc("a")
	s.add("ZADD", s.k("v"), "1", "12345678", "-0", "x")
	enc("v")
	s.add("ZADD", s.k("v"), "2", "123456789", "-0", "y")
	enc("v")
	s.add("ZRANGE", s.k("v"), "0", "-1", "WITHSCORES")
	s.add("ZRANGESTORE", s.k("d"), s.k("a"), "0", "3")
	enc("d")
	s.add("ZRANGESTORE", s.k("d"), s.k("a"), "0", "4")
	enc("d")
	s.add("ZRANGESTORE", s.k("d"), s.k("a"), "-inf", "inf", "BYSCORE")
	enc("d")
	s.add("ZUNIONSTORE", s.k("d"), "1", s.k("v"))
	enc("d")
	s.add("ZREM", s.k("v"), "123456789")
	s.add("ZREM", s.k("a"), "a")
	enc("v")
	enc("a")
	s.add("CONFIG", "SET", "zset-max-listpack-entries", "0")
	s.add("ZADD", s.k("zero"), "1", "a")
	enc("zero")
	s.add("ZRANGESTORE", s.k("d"), s.k("a"), "0", "0")
	enc("d")
	s.add("CONFIG", "SET", "zset-max-listpack-entries", "128")
	s.add("CONFIG", "SET", "zset-max-listpack-value", "64")
	// a skiplist that would fit a listpack converts on reload, losing -0
	s.add("DEBUG", "RELOAD")
	for _, k := range []string{"a", "v", "zero", "d"} {
		enc(k)
		s.add("ZRANGE", s.k(k), "0", "-1", "WITHSCORES")
	}
	s.zaddMany(s.k("big"), 200)
	s.add("ZADD", s.k("big"), "-0", "negzero")
	s.add("DEBUG", "RELOAD")
	enc("big")
	s.add("ZSCORE", s.k("big"), "negzero")
	s.add("ZRANGE", s.k("big"), "0", "-1", "WITHSCORES")
	return s.steps
}

func TestDiffZsetConfigAndReload(t *testing.T) {
	runDiff(t, zsetScriptConfigReload, []string{"--enable-debug-command", "yes"}, func(o *Options) { o.EnableDebugCommand = "yes" })
}

// TestDiffZsetKeyspaceEvents compares the keyspace events of the sorted set
// commands, in order: each server gets a subscriber to every event, the same
// commands run on a second connection, and the messages are read up to a
// final marker event.
func TestDiffZsetKeyspaceEvents(t *testing.T) {
	real := testutil.StartRedis(t)
	_, addr := startTestServer(t, nil)
	cmds := [][]string{
		{"ZADD", "z", "1", "a", "2", "b", "3", "c"},
		{"ZADD", "z", "NX", "1", "a"}, // no change: no event
		{"ZADD", "z", "INCR", "1", "a"},
		{"ZINCRBY", "z", "1", "a"},
		{"ZREM", "z", "nope"},
		{"ZREM", "z", "a", "b", "c"},
		{"ZADD", "z", "1", "a", "2", "b"},
		{"ZPOPMIN", "z", "5"},
		{"ZADD", "z", "1", "a", "2", "b"},
		{"ZMPOP", "1", "z", "MAX", "COUNT", "10"},
		{"ZADD", "z", "1", "a", "2", "b"},
		{"ZPOPMAX", "z"},
		{"ZREMRANGEBYSCORE", "z", "-inf", "inf"},
		{"ZADD", "z", "1", "a", "2", "b"},
		{"ZREMRANGEBYRANK", "z", "0", "0"},
		{"ZREMRANGEBYLEX", "z", "-", "+"},
		{"ZADD", "z", "1", "a"},
		{"ZUNIONSTORE", "d", "1", "z"},
		{"ZINTERSTORE", "d", "2", "z", "none"},
		{"ZINTERSTORE", "d", "2", "z", "none"},
		{"ZDIFFSTORE", "d", "1", "z"},
		{"ZRANGESTORE", "d", "z", "0", "-1"},
		{"ZRANGESTORE", "d", "z", "5", "6"},
		{"ZRANGESTORE", "d", "z", "5", "6"},
		{"ZREMRANGEBYSCORE", "z", "5", "6"},
		{"SET", "d", "x"},
		{"ZUNIONSTORE", "d", "1", "z"},
		{"ZINCRBY", "n", "1", "m"},
		{"ZADD", "n", "XX", "1", "m2"},
		{"ZADD", "n2", "XX", "1", "m"},
		{"SET", "marker", "x"},
	}
	events := func(addr string) []string {
		sub, c := testutil.Dial(t, addr), testutil.Dial(t, addr)
		if r := c.Do("CONFIG", "SET", "notify-keyspace-events", "KEAn"); !bytes.Equal(r, []byte("+OK\r\n")) {
			t.Fatalf("%s: CONFIG SET notify-keyspace-events: %q", addr, r)
		}
		sub.Do("PSUBSCRIBE", "__key*__:*")
		for _, cmd := range cmds {
			c.Do(cmd...)
		}
		sub.SetTimeout(3 * time.Second)
		var got []string
		for {
			r, err := sub.ReadReply()
			if err != nil {
				t.Fatalf("%s: reading events after %q: %v", addr, got, err)
			}
			got = append(got, string(r))
			if bytes.Contains(r, []byte("marker")) && bytes.Contains(r, []byte("__keyevent@")) {
				return got
			}
		}
	}
	want, got := events(real.Addr()), events(addr)
	if len(want) < 40 {
		t.Fatalf("redis sent only %d events: %q", len(want), want)
	}
	if strings.Join(want, "") != strings.Join(got, "") {
		t.Errorf("keyspace events differ\nredis:  %q\nwarden: %q", want, got)
	}
}
