package backend

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// stringScript covers the string family: every command, its options and
// their combinations, and the error paths.
func stringScript(p string) []testutil.Step {
	var b steps
	add := b.add
	k := func(n string) string { return p + n }
	s, s2, none, list := k("s"), k("s2"), k("none"), k("list")
	add("RPUSH", list, "a")

	// GET / SET and the option grammar
	add("GET", none)
	add("SET", s, "v")
	add("GET", s)
	add("SET", s, "")
	add("GET", s)
	add("SET", s, "\x00\r\n\xff bin")
	add("GET", s)
	add("GET", list)
	add("GET")
	add("GET", s, s)
	add("SET", s)
	add("SET", s, "v", "NX")
	add("SET", s2, "v", "NX")
	add("SET", s, "v2", "XX")
	add("SET", none, "v", "XX")
	add("EXISTS", none)
	add("set", s, "lower", "xx", "ex", "100")
	add("TTL", s)
	for _, bad := range [][]string{
		{"NX", "XX"}, {"XX", "NX"}, {"EX"}, {"PX"}, {"EXAT"}, {"PXAT"}, {"EX", "10", "PX", "10"},
		{"PX", "10", "EX", "10"}, {"EX", "10", "EXAT", "10"}, {"PXAT", "10", "PX", "10"},
		{"KEEPTTL", "EX", "10"}, {"EX", "10", "KEEPTTL"}, {"PERSIST"}, {"foo"}, {"NXX"}, {"GETT"},
		{"EX", "abc"}, {"EX", "1.5"}, {"EX", "0"}, {"EX", "-1"}, {"PX", "0"}, {"PX", "-100"},
		{"EXAT", "0"}, {"PXAT", "-5"}, {"EX", "9223372036854775807"}, {"EX", "9223372036854775"},
		{"PX", "9223372036854775807"}, {"PXAT", "9223372036854775807"}, {"EX", "9223372036854775808"},
		{"KEEPTTL", "PERSIST"}, {"EX", "10", "EX"}, {"NX", "GET", "XX"},
	} {
		add(append([]string{"SET", s, "x"}, bad...)...)
	}
	add("GET", s)
	add("SET", s, "v", "EX", "10", "EX", "1000")
	add("TTL", s)
	add("SET", s, "v", "NX", "NX")
	add("SET", s, "keep", "KEEPTTL")
	add("TTL", s)
	add("SET", s, "keep", "KEEPTTL", "KEEPTTL", "XX")
	add("TTL", s)
	add("SET", s, "plain")
	add("TTL", s)
	add("SET", s, "v", "EXAT", "4102444800")
	add("EXPIRETIME", s)
	add("PEXPIRETIME", s)
	add("SET", s, "v", "PXAT", "4102444800123")
	add("PEXPIRETIME", s)
	add("EXPIRETIME", s)
	add("SET", s, "v", "PX", "1000000")
	add("TTL", s)
	add("SET", s, "gone", "EXAT", "1")
	add("GET", s)
	add("EXISTS", s)
	add("SET", s, "gone", "PXAT", "1000")
	add("GET", s)
	add("SET", s, "v", "NX\x00junk") // options are compared as C strings
	add("SET", s, "v", "XX\x00junk")
	add("GET", s)

	// SET ... GET
	g := k("g")
	add("SET", g, "v1", "GET")
	add("SET", g, "v2", "GET")
	add("SET", g, "v3", "NX", "GET")
	add("GET", g)
	add("SET", g, "v3", "XX", "GET", "GET")
	add("SET", k("gnone"), "v", "XX", "GET")
	add("EXISTS", k("gnone"))
	add("SET", list, "v", "GET")
	add("SET", list, "v", "NX", "GET")
	add("TYPE", list)
	add("SET", g, "v4", "EX", "100", "GET")
	add("TTL", g)
	add("SET", g, "v5", "GET", "KEEPTTL")
	add("TTL", g)
	add("SET", g, "v6", "EX", "0", "GET")
	add("GET", g)

	// SETNX / SETEX / PSETEX
	add("SETNX", k("nx"), "1")
	add("SETNX", k("nx"), "2")
	add("GET", k("nx"))
	add("SETNX", list, "2")
	add("SETNX", k("nx"))
	add("SETEX", s, "100", "v")
	add("TTL", s)
	add("GET", s)
	add("SETEX", s, "0", "v")
	add("SETEX", s, "-1", "v")
	add("SETEX", s, "abc", "v")
	add("SETEX", s, "9223372036854775807", "v")
	add("SETEX", s, "100")
	add("PSETEX", s, "100000", "pv")
	add("TTL", s)
	add("GET", s)
	add("PSETEX", s, "0", "v")
	add("PSETEX", s, "-5", "v")
	add("PSETEX", s, "1.5", "v")
	add("SETEX", list, "100", "v")
	add("TYPE", list)

	// GETSET / GETDEL
	add("GETSET", k("gs"), "a")
	add("GETSET", k("gs"), "b")
	add("SET", k("gs"), "c", "EX", "100")
	add("GETSET", k("gs"), "d")
	add("TTL", k("gs"))
	add("GETSET", list, "x")
	add("GETSET", k("gs"))
	add("GETDEL", k("gs"))
	add("GETDEL", k("gs"))
	add("EXISTS", k("gs"))
	add("GETDEL", list)
	add("GETDEL", none, none)

	// GETEX
	ge := k("ge")
	add("GETEX", none)
	add("SET", ge, "val")
	add("GETEX", ge)
	add("TTL", ge)
	add("GETEX", ge, "EX", "100")
	add("TTL", ge)
	add("GETEX", ge, "PERSIST")
	add("TTL", ge)
	add("GETEX", ge, "PERSIST")
	add("GETEX", ge, "PX", "200000")
	add("TTL", ge)
	add("GETEX", ge, "EXAT", "4102444800")
	add("EXPIRETIME", ge)
	add("GETEX", ge, "PXAT", "4102444800999")
	add("PEXPIRETIME", ge)
	add("getex", ge, "ex", "300")
	add("TTL", ge)
	for _, bad := range [][]string{
		{"EX"}, {"EX", "0"}, {"EX", "-1"}, {"PX", "0"}, {"EXAT", "0"}, {"PXAT", "-1"}, {"EX", "abc"},
		{"EX", "10", "PX", "10"}, {"PERSIST", "EX", "10"}, {"EX", "10", "PERSIST"}, {"KEEPTTL"},
		{"NX"}, {"XX"}, {"GET"}, {"foo"}, {"EX", "9223372036854775807"}, {"PERSIST", "PERSIST"},
	} {
		add(append([]string{"GETEX", ge}, bad...)...)
	}
	add("GETEX", none, "EX", "-1")
	add("GETEX", none, "EX", "abc")
	add("GETEX", none, "EX")
	add("GETEX", list)
	add("GETEX", list, "EX", "abc")
	add("GETEX", ge, "EXAT", "1")
	add("EXISTS", ge)
	add("SET", ge, "val")
	add("GETEX", ge, "PXAT", "1")
	add("GET", ge)

	// MGET / MSET / MSETNX
	add("MSET", k("m1"), "1", k("m2"), "2")
	add("MGET", k("m1"), none, list, k("m2"), k("m1"))
	add("MSET", k("m1"))
	add("MSET", k("m1"), "1", k("m2"))
	add("MSETNX", k("m1"), "x", k("m3"), "3")
	add("EXISTS", k("m3"))
	add("MSETNX", k("m3"), "3", k("m4"), "4")
	add("MGET", k("m3"), k("m4"))
	add("MSETNX", k("m5"), "a", k("m5"), "b")
	add("GET", k("m5"))
	add("MSETNX", k("m1"))
	add("SET", k("m1"), "t", "EX", "100")
	add("MSET", k("m1"), "u", list, "w")
	add("TTL", k("m1"))
	add("TYPE", list)
	add("RPUSH", list, "a")
	add("MGET")

	// APPEND / STRLEN
	ap := k("ap")
	add("APPEND", ap, "123")
	add("OBJECT", "ENCODING", ap)
	add("APPEND", ap, "456")
	add("GET", ap)
	add("OBJECT", "ENCODING", ap)
	add("APPEND", ap, "")
	add("APPEND", list, "x")
	add("APPEND", k("ap2"), "hello")
	add("OBJECT", "ENCODING", k("ap2"))
	add("SET", k("ap3"), "x", "EX", "100")
	add("APPEND", k("ap3"), "yz")
	add("TTL", k("ap3"))
	add("STRLEN", ap)
	add("STRLEN", none)
	add("STRLEN", list)
	add("STRLEN", k("ap3"))

	// GETRANGE / SUBSTR
	hw := k("hw")
	add("SET", hw, "Hello World")
	for _, r := range [][2]string{{"0", "4"}, {"0", "-1"}, {"-5", "-1"}, {"-1", "-5"}, {"5", "3"},
		{"0", "100"}, {"100", "200"}, {"-100", "2"}, {"-100", "-100"}, {"3", "3"}, {"-1", "-1"},
		{"0", "0"}, {"11", "11"}, {"10", "10"}, {"-9223372036854775808", "9223372036854775807"}} {
		add("GETRANGE", hw, r[0], r[1])
		add("SUBSTR", hw, r[0], r[1])
	}
	add("GETRANGE", hw, "a", "1")
	add("GETRANGE", hw, "0", "b")
	add("GETRANGE", none, "0", "-1")
	add("GETRANGE", none, "x", "-1")
	add("GETRANGE", list, "0", "-1")
	add("GETRANGE", hw, "0")
	add("SET", k("empty"), "")
	add("GETRANGE", k("empty"), "0", "-1")
	add("GETRANGE", k("empty"), "-1", "0")
	add("SET", k("int"), "12345")
	add("GETRANGE", k("int"), "1", "-2")

	// SETRANGE
	sr := k("sr")
	add("SETRANGE", sr, "0", "")
	add("EXISTS", sr)
	add("SETRANGE", sr, "5", "x")
	add("GET", sr)
	add("OBJECT", "ENCODING", sr)
	add("SETRANGE", sr, "0", "ab")
	add("GET", sr)
	add("SETRANGE", sr, "10", "tail")
	add("GET", sr)
	add("SETRANGE", sr, "3", "")
	add("SETRANGE", sr, "-1", "x")
	add("SETRANGE", sr, "abc", "x")
	add("SETRANGE", sr, "-1", "")
	add("SETRANGE", none, "-1", "")
	add("SETRANGE", list, "0", "x")
	add("SETRANGE", list, "0", "")
	add("SETRANGE", list, "-1", "x")
	add("SET", k("sr2"), "12", "EX", "100")
	add("SETRANGE", k("sr2"), "1", "9")
	add("GET", k("sr2"))
	add("OBJECT", "ENCODING", k("sr2"))
	add("TTL", k("sr2"))
	add("SETRANGE", k("sr3"), "536870912", "x")
	add("SETRANGE", k("sr3"), "9223372036854775807", "x")

	// INCR family
	c := k("c")
	add("INCR", c)
	add("INCR", c)
	add("DECR", c)
	add("INCRBY", c, "10")
	add("DECRBY", c, "3")
	add("INCRBY", c, "-100")
	add("DECRBY", c, "-5")
	add("GET", c)
	add("OBJECT", "ENCODING", c)
	add("OBJECT", "REFCOUNT", c)
	add("INCRBY", c, "abc")
	add("INCRBY", c, "1.5")
	add("INCRBY", c, "")
	add("DECRBY", c, "-9223372036854775808")
	add("DECRBY", c, "9223372036854775808")
	add("SET", c, "9223372036854775807")
	add("INCR", c)
	add("INCRBY", c, "0")
	add("DECRBY", c, "-1")
	add("SET", c, "-9223372036854775808")
	add("DECR", c)
	add("INCRBY", c, "-1")
	add("INCRBY", c, "9223372036854775807")
	for _, v := range []string{"abc", " 1", "1 ", "01", "+1", "1.0", "", "-0", "18446744073709551616", "0x10"} {
		add("SET", c, v)
		add("INCR", c)
		add("DECRBY", c, "2")
	}
	add("SET", c, "5", "EX", "100")
	add("INCR", c)
	add("TTL", c)
	add("INCR", list)
	add("DECRBY", list, "1")
	add("INCRBY", list, "x")
	add("INCRBY", c)
	add("SET", c, "123456")
	add("INCR", c)
	add("OBJECT", "REFCOUNT", c)
	add("OBJECT", "ENCODING", c)
	add("SET", c, "-1")
	add("OBJECT", "REFCOUNT", c)
	add("SET", c, "9999")
	add("OBJECT", "REFCOUNT", c)
	add("INCR", c)
	add("OBJECT", "REFCOUNT", c)

	// INCRBYFLOAT (the arithmetic has its own test)
	f := k("f")
	add("INCRBYFLOAT", f, "1.5")
	add("INCRBYFLOAT", f, "0.1")
	add("OBJECT", "ENCODING", f)
	add("INCRBYFLOAT", f, "-1.6")
	add("GET", f)
	add("OBJECT", "ENCODING", f)
	add("SET", f, "10.5", "EX", "100")
	add("INCRBYFLOAT", f, "0.1")
	add("TTL", f)
	add("INCRBYFLOAT", f, "abc")
	add("INCRBYFLOAT", f, "inf")
	add("INCRBYFLOAT", f, "nan")
	add("INCRBYFLOAT", f, "")
	add("INCRBYFLOAT", list, "1")
	add("INCRBYFLOAT", list, "abc")
	add("SET", f, "abc")
	add("INCRBYFLOAT", f, "1")
	add("INCRBYFLOAT", f)

	// encodings of stored strings
	for _, v := range []string{"0", "1", "-1", "12345", "9999", "10000", "01", "-0", "+1", "1.5",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "",
		strings.Repeat("a", 44), strings.Repeat("a", 45), strings.Repeat("7", 20), strings.Repeat("7", 21)} {
		add("SET", k("enc"), v)
		add("OBJECT", "ENCODING", k("enc"))
		add("OBJECT", "REFCOUNT", k("enc"))
	}
	add("MSET", k("enc"), "42", k("enc2"), strings.Repeat("b", 50))
	add("OBJECT", "ENCODING", k("enc"))
	add("OBJECT", "ENCODING", k("enc2"))
	add("SETNX", k("enc3"), "7")
	add("OBJECT", "ENCODING", k("enc3"))
	add("GETSET", k("enc3"), "x")
	add("OBJECT", "ENCODING", k("enc3"))
	add("SETEX", k("enc3"), "100", "77")
	add("OBJECT", "ENCODING", k("enc3"))
	add("SET", k("enc4"), "5")
	add("INCRBYFLOAT", k("enc4"), "6")
	add("GET", k("enc4"))
	add("OBJECT", "ENCODING", k("enc4"))
	add("OBJECT", "REFCOUNT", k("enc4"))

	// SETBIT / GETBIT
	bt := k("bt")
	add("SETBIT", bt, "7", "1")
	add("GET", bt)
	add("GETBIT", bt, "7")
	add("GETBIT", bt, "6")
	add("GETBIT", bt, "100")
	add("SETBIT", bt, "7", "1")
	add("SETBIT", bt, "7", "0")
	add("SETBIT", bt, "100", "1")
	add("STRLEN", bt)
	add("GET", bt)
	add("SETBIT", bt, "0", "0")
	add("OBJECT", "ENCODING", bt)
	add("SETBIT", k("bt0"), "3", "0")
	add("GET", k("bt0"))
	for _, bad := range [][2]string{{"-1", "1"}, {"abc", "1"}, {"4294967296", "1"}, {"4294967295", "2"},
		{"0", "2"}, {"0", "-1"}, {"0", "abc"}, {"0", ""}, {"1.5", "1"}, {"9223372036854775807", "1"}} {
		add("SETBIT", bt, bad[0], bad[1])
	}
	add("SETBIT", list, "0", "1")
	add("SETBIT", list, "-1", "1")
	add("GETBIT", list, "0")
	add("GETBIT", list, "-1")
	add("GETBIT", none, "0")
	add("GETBIT", none, "-1")
	add("GETBIT", bt, "4294967296")
	add("SET", k("bint"), "12")
	add("GETBIT", k("bint"), "2")
	add("GETBIT", k("bint"), "3")
	add("SETBIT", k("bint"), "0", "0")
	add("OBJECT", "ENCODING", k("bint"))
	add("SET", k("bttl"), "a", "EX", "100")
	add("SETBIT", k("bttl"), "100", "1")
	add("TTL", k("bttl"))

	// BITCOUNT
	bc := k("bc")
	add("SET", bc, "foobar\xff\x00\x81")
	add("BITCOUNT", bc)
	for _, r := range [][]string{{"0", "0"}, {"1", "1"}, {"0", "-1"}, {"-2", "-1"}, {"-1", "-2"}, {"2", "1"},
		{"-100", "100"}, {"5", "30"}, {"0", "0", "BIT"}, {"1", "1", "BIT"}, {"5", "30", "BIT"}, {"5", "30", "byte"},
		{"-5", "-1", "BIT"}, {"-1", "-5", "bit"}, {"0", "1000", "BIT"}, {"9", "9", "BIT"}, {"3", "60", "BIT"},
		{"-9223372036854775808", "9223372036854775807", "BIT"}, {"-9223372036854775808", "9223372036854775807"},
		{"0", "1", "foo"}, {"-1", "-2", "foo"}, {"a", "1"}, {"1", "b"}, {"0"}, {"0", "1", "BIT", "x"}} {
		add(append([]string{"BITCOUNT", bc}, r...)...)
	}
	add("BITCOUNT", none)
	add("BITCOUNT", none, "a", "b", "c", "d")
	add("BITCOUNT", list)
	add("BITCOUNT", list, "0")
	add("BITCOUNT", k("empty"))
	add("BITCOUNT", k("empty"), "0", "-1", "BIT")
	add("SET", k("bcbig"), strings.Repeat("\x5a\xff\x01", 100))
	add("BITCOUNT", k("bcbig"))
	add("BITCOUNT", k("bcbig"), "3", "250")
	add("BITCOUNT", k("bcbig"), "13", "2011", "BIT")

	// BITPOS
	bp := k("bp")
	add("SET", bp, "\xff\xf0\x00")
	add("SET", k("bp1"), "\x00\x00\x01\x00")
	add("SET", k("ones"), "\xff\xff\xff")
	add("SET", k("zeros"), "\x00\x00\x00")
	for _, key := range []string{bp, k("bp1"), k("ones"), k("zeros"), k("empty")} {
		for _, bit := range []string{"0", "1"} {
			for _, r := range [][]string{{}, {"0"}, {"1"}, {"-1"}, {"2"}, {"5"}, {"0", "-1"}, {"1", "1"}, {"2", "1"},
				{"-2", "-1"}, {"0", "0"}, {"0", "-1", "BYTE"}, {"0", "-1", "BIT"}, {"3", "13", "BIT"},
				{"12", "12", "bit"}, {"7", "9", "BIT"}, {"8", "15", "BIT"}, {"9", "14", "BIT"}, {"20", "23", "BIT"},
				{"16", "100", "BIT"}, {"-5", "-1", "BIT"}, {"5", "3", "BIT"}, {"0", "0", "BIT"}, {"23", "23", "BIT"},
				{"-100", "100"}, {"100", "200"}} {
				add(append([]string{"BITPOS", key, bit}, r...)...)
			}
		}
	}
	add("BITPOS", bp, "2")
	add("BITPOS", bp, "-1")
	add("BITPOS", bp, "a")
	add("BITPOS", none, "1")
	add("BITPOS", none, "0")
	add("BITPOS", none, "0", "a", "b", "c")
	add("BITPOS", none, "2")
	add("BITPOS", list, "1")
	add("BITPOS", list, "2")
	add("BITPOS", bp, "1", "a")
	add("BITPOS", bp, "1", "0", "b")
	add("BITPOS", bp, "1", "0", "1", "foo")
	add("BITPOS", bp, "1", "0", "b", "foo")
	add("BITPOS", bp, "1", "a", "b", "foo")
	add("BITPOS", bp, "1", "0", "1", "BIT", "x")
	add("BITPOS", bp)

	// BITOP
	add("SET", k("b1"), "foobar")
	add("SET", k("b2"), "abcdef")
	add("SET", k("b3"), "\xff")
	for _, op := range []string{"AND", "OR", "XOR", "and"} {
		add("BITOP", op, k("bd"), k("b1"), k("b2"), k("b3"), none)
		add("GET", k("bd"))
	}
	add("BITOP", "NOT", k("bd"), k("b1"))
	add("GET", k("bd"))
	add("OBJECT", "ENCODING", k("bd"))
	add("BITOP", "NOT", k("bd"), k("b1"), k("b2"))
	add("BITOP", "NAND", k("bd"), k("b1"))
	add("BITOP", "AND", k("bd"), k("b1"), list)
	add("BITOP", "AND", k("bd"))
	add("SET", k("bd"), "x", "EX", "100")
	add("BITOP", "OR", k("bd"), k("b1"))
	add("TTL", k("bd"))
	add("BITOP", "OR", k("bd"), none, k("none2"))
	add("EXISTS", k("bd"))
	add("BITOP", "NOT", k("bd"), none)
	add("BITOP", "OR", list, k("b1"))
	add("TYPE", list)
	add("SET", k("b4"), strings.Repeat("\x0f\xf0", 40))
	add("SET", k("b5"), strings.Repeat("\x3c", 70))
	add("BITOP", "XOR", k("bd"), k("b4"), k("b5"), k("b1"))
	add("GET", k("bd"))
	add("BITOP", "AND", k("bd"), k("b4"), k("b5"))
	add("GET", k("bd"))

	// BITFIELD / BITFIELD_RO
	bf := k("bf")
	add("BITFIELD", bf)
	add("EXISTS", bf)
	add("BITFIELD", bf, "GET", "u8", "0")
	add("EXISTS", bf)
	add("BITFIELD", bf, "SET", "i8", "0", "-100", "GET", "u8", "0", "GET", "i8", "0", "GET", "u4", "0", "GET", "i4", "4")
	add("GET", bf)
	add("OBJECT", "ENCODING", bf)
	add("BITFIELD", bf, "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1")
	add("BITFIELD", bf, "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "i16", "#0", "SET", "i5", "#3", "7")
	add("STRLEN", bf)
	for _, ow := range []string{"WRAP", "SAT", "FAIL", "wrap"} {
		for _, t := range []string{"u8", "i8", "u1", "i1", "u63", "i64", "u7", "i13"} {
			add("BITFIELD", bf, "OVERFLOW", ow, "SET", t, "24", "0", "INCRBY", t, "24", "100", "INCRBY", t, "24", "100",
				"INCRBY", t, "24", "-300", "INCRBY", t, "24", "9223372036854775807", "INCRBY", t, "24", "-9223372036854775808",
				"SET", t, "24", "-1", "SET", t, "24", "9223372036854775807", "SET", t, "24", "-9223372036854775808", "GET", t, "24")
		}
	}
	add("BITFIELD", bf, "INCRBY", "u8", "0", "1", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1000")
	add("BITFIELD", bf, "GET", "u8", "100000")
	add("BITFIELD", bf, "GET", "i64", "3", "GET", "u63", "1", "GET", "i64", "#0")
	for _, bad := range [][]string{{"GET"}, {"GET", "u8"}, {"SET", "u8", "0"}, {"INCRBY", "u8", "0"}, {"OVERFLOW"},
		{"OVERFLOW", "foo"}, {"foo"}, {"GET", "u64", "0"}, {"GET", "i65", "0"}, {"GET", "u0", "0"}, {"GET", "U8", "0"},
		{"GET", "x8", "0"}, {"GET", "", "0"}, {"GET", "u", "0"}, {"GET", "u08", "0"}, {"GET", "u8", "-1"}, {"GET", "u8", "a"},
		{"GET", "u8", "#-1"}, {"GET", "u8", "#a"}, {"GET", "u8", "4294967296"}, {"GET", "u8", "#536870912"},
		{"SET", "u8", "0", "a"}, {"INCRBY", "u8", "0", "1.5"}, {"GET", "u8", "0", "SET", "u8", "0"},
		{"OVERFLOW", "FAIL", "GET", "u8"}, {"SET", "i8", "#1152921504606846976", "1"}} {
		add(append([]string{"BITFIELD", bf}, bad...)...)
	}
	add("BITFIELD", list, "GET", "u8", "0")
	add("BITFIELD", list, "SET", "u8", "0", "1")
	add("BITFIELD", list, "foo")
	add("BITFIELD_RO", bf, "GET", "u8", "0", "GET", "i4", "#1")
	add("BITFIELD_RO", bf, "GET", "u8", "0", "SET", "u8", "0", "1")
	add("BITFIELD_RO", bf, "INCRBY", "u8", "0", "1")
	add("BITFIELD_RO", bf, "OVERFLOW", "SAT")
	add("BITFIELD_RO", bf, "GET", "u64", "0")
	add("BITFIELD_RO", bf)
	add("BITFIELD_RO", none, "GET", "i8", "0")
	add("BITFIELD_RO", list, "GET", "i8", "0")
	add("BITFIELD", k("bf2"), "OVERFLOW", "FAIL", "INCRBY", "u2", "10", "9")
	add("EXISTS", k("bf2"))
	add("GET", k("bf2"))
	add("SET", k("bf3"), "x", "EX", "100")
	add("BITFIELD", k("bf3"), "SET", "u8", "16", "65")
	add("GET", k("bf3"))
	add("TTL", k("bf3"))
	add("SET", k("bf4"), "12")
	add("BITFIELD", k("bf4"), "GET", "u8", "0")
	add("OBJECT", "ENCODING", k("bf4"))
	add("BITFIELD", k("bf4"), "SET", "u8", "0", "49")
	add("OBJECT", "ENCODING", k("bf4"))

	// LCS
	add("MSET", k("l1"), "ohmytext", k("l2"), "mynewtext")
	add("LCS", k("l1"), k("l2"))
	add("LCS", k("l1"), k("l2"), "LEN")
	add("LCS", k("l1"), k("l2"), "IDX")
	add("LCS", k("l1"), k("l2"), "IDX", "MINMATCHLEN", "4")
	add("LCS", k("l1"), k("l2"), "IDX", "WITHMATCHLEN")
	add("LCS", k("l1"), k("l2"), "IDX", "MINMATCHLEN", "-5", "WITHMATCHLEN")
	add("LCS", k("l1"), k("l2"), "LEN", "IDX")
	add("LCS", k("l1"), k("l2"), "MINMATCHLEN")
	add("LCS", k("l1"), k("l2"), "MINMATCHLEN", "x")
	add("LCS", k("l1"), k("l2"), "foo")
	add("LCS", k("l1"), none)
	add("LCS", none, none, "IDX")
	add("LCS", k("l1"), list)
	add("LCS", list, k("l1"), "foo")
	add("LCS", k("l1"))
	add("MSET", k("l3"), "abcabcabc", k("l4"), "xbcaxbcab")
	add("LCS", k("l3"), k("l4"), "IDX", "WITHMATCHLEN")
	add("LCS", k("l3"), k("l4"))
	return b
}

func TestDiffString(t *testing.T) {
	runDiff(t, stringScript, nil, nil)
}

// TestDiffStringLimits checks the proto-max-bulk-len errors with the
// smallest limit Redis accepts, so that no test allocates 512MB.
func TestDiffStringLimits(t *testing.T) {
	runDiff(t, func(p string) []testutil.Step {
		var b steps
		s := p + "s"
		b.add("SETRANGE", s, "1048576", "x")
		b.add("SETRANGE", s, "1048575", "xy")
		b.add("EXISTS", s)
		b.add("SETRANGE", s, "1048575", "x")
		b.add("STRLEN", s)
		b.add("APPEND", s, "y")
		b.add("SETRANGE", s, "1048575", "yz")
		b.add("SETRANGE", s, "0", "abc")
		b.add("GETRANGE", s, "0", "3")
		b.add("SETBIT", s, "8388607", "1")
		b.add("SETBIT", s, "8388608", "1")
		b.add("GETBIT", s, "8388608")
		b.add("GETBIT", s, "8388607")
		b.add("BITCOUNT", s)
		b.add("DEL", s)
		return b
	}, []string{"--proto-max-bulk-len", "1mb"}, func(o *Options) { o.ProtoMaxBulk = 1 << 20 })
}

// TestDiffIncrByFloat checks the long double arithmetic and formatting of
// INCRBYFLOAT against Redis over a spread of operands.
func TestDiffIncrByFloat(t *testing.T) {
	pairs := [][2]string{
		{"10.5", "0.1"}, {"0.1", "0.2"}, {"5.0e3", "2.0e2"}, {"1", "1"}, {"3", "-3"}, {"0", "0"},
		{"-0", "0"}, {"0", "-0"}, {"-0", "-0"}, {"1e-20", "0"}, {"-1e-20", "0"}, {"1.23456789012345678", "0"},
		{"0.1", "0.7"}, {"1e18", "1"}, {"1e19", "1"}, {"123456789.123456789", "987654321.987654321"},
		{"9223372036854775807", "1"}, {"-9223372036854775808", "-1"}, {"1e308", "1e308"}, {"1.7976931348623157e308", "1e308"},
		{"1e4931", "1e4931"}, {"1e4932", "1"}, {"1.18973149535723176502e+4932", "0"}, {"1e4933", "1"},
		{"1e-4950", "0"}, {"1e-4960", "0"}, {"0x10", "1"}, {"0x1p-2", "0"}, {"0x1.8p1", "0"}, {"0X1A", "0"},
		{"0x", "1"}, {"0x1p", "1"}, {".5", ".5"}, {"5.", "1"}, {".", "1"}, {"1e", "1"}, {"1e+", "1"}, {"1e+2", "1"},
		{"1E2", "1"}, {"+1.5", "+1"}, {"--1", "1"}, {"1..2", "1"}, {" 1", "1"}, {"1 ", "1"}, {"\t1", "1"},
		{"inf", "1"}, {"-inf", "1"}, {"infinity", "0"}, {"1", "-infinity"}, {"INF", "0"}, {"nan", "1"}, {"1", "NaN"},
		{"1_000", "1"}, {"0b101", "1"}, {"0o7", "1"}, {"1e1000000000000", "1"}, {"1e-1000000000000", "1"},
		{"0e1000000000000", "1"}, {"000000000000000000000000000001.5", "0"}, {"3.0000000000000000000000001", "0"},
		{"2.5", "0.0000000000000000001"}, {"0.00000000000000001", "0"}, {"0.000000000000000005", "0"},
		{"0.000000000000000015", "0"}, {"0.000000000000000025", "0"}, {"1.5", "-1.4999999999999999999"},
		{"4.4", "-4.4"}, {"1e100", "-1e100"}, {"1e100", "1"}, {"123.456", "-0.456"}, {"99.99", "0.01"},
		{"1e-5", "1e-5"}, {"0.3", "-0.1"}, {"18446744073709551615", "1"}, {"36893488147419103232", "0.5"},
		{"1", "1x"}, {"1", ""}, {"", "1"}, {"1\x00", "1"},
	}
	runDiff(t, func(p string) []testutil.Step {
		var b steps
		for i, pr := range pairs {
			key := fmt.Sprintf("%sf%d", p, i)
			b.add("SET", key, pr[0])
			b.add("INCRBYFLOAT", key, pr[1])
			b.add("GET", key)
			b.add("INCRBYFLOAT", key, pr[1])
			b.add("INCRBYFLOAT", p+"new", pr[1])
		}
		return b
	}, nil, nil)
}

// TestIncrLongDouble pins the arithmetic helper shared with HINCRBYFLOAT.
func TestIncrLongDouble(t *testing.T) {
	for _, tc := range []struct{ cur, incr, want, err string }{
		{"10.5", "0.1", "10.6", ""},
		{"0.1", "0.2", "0.3", ""},
		{"5.0e3", "2.0e2", "5200", ""},
		{"<missing>", "1.5", "1.5", ""},
		{"", "1.5", "", ErrNotFloat},
		{"-1", "1", "0", ""},
		{"1e-30", "-1e-30", "0", ""},
		{"abc", "1", "", ErrNotFloat},
		{"1", "abc", "", ErrNotFloat},
		{"inf", "1", "", "ERR increment would produce NaN or Infinity"},
		{"1e4932", "1e4932", "", "ERR increment would produce NaN or Infinity"},
	} {
		got, err := incrLongDouble([]byte(tc.cur), tc.cur != "<missing>", []byte(tc.incr))
		if string(got) != tc.want || err != tc.err {
			t.Errorf("incrLongDouble(%q, %q) = %q, %q; want %q, %q", tc.cur, tc.incr, got, err, tc.want, tc.err)
		}
	}
}

// --- propagation -------------------------------------------------------

// propagationRun runs the same commands on warden (capturing what it
// propagates) and on a redis-server with an AOF (which Redis 7.0 writes
// exactly as its replication stream), and compares the two streams. Expire
// timestamps derived from the clock are compared with a tolerance.
func propagationRun(t *testing.T, cmds [][]string) {
	t.Helper()
	real := testutil.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	s, addr := startTestServer(t, nil)
	var got [][]string
	lastDB := -1
	s.Lock()
	s.AddPropagator(func(db int, args [][]byte) {
		// Mirror feedAppendOnlyFile's SELECT insertion.
		if db != lastDB {
			got = append(got, []string{"SELECT", strconv.Itoa(db)})
			lastDB = db
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		got = append(got, cmd)
	})
	s.Unlock()
	w, r := testutil.Dial(t, addr), testutil.Dial(t, real.Addr())
	defer w.Close()
	defer r.Close()
	for _, c := range cmds {
		if c[0] == "sleep" { // pseudo-command: let short TTLs lapse
			d, _ := time.ParseDuration(c[1])
			time.Sleep(d)
			continue
		}
		ra, rb := w.Do(c...), r.Do(c...)
		if !bytes.Equal(ra, rb) {
			t.Errorf("%s: warden %q, redis %q", testutil.FormatCommand(c), ra, rb)
		}
	}
	var want [][]string
	testutil.WaitFor(t, 5*time.Second, 20*time.Millisecond, func() (bool, string) {
		want = readAOF(t, real.Dir())
		return len(want) > 0, "no AOF yet"
	})
	s.Lock()
	gotCopy := append([][]string(nil), got...)
	s.Unlock()
	t.Logf("compared %d propagated commands", len(want))
	if msg := compareStreams(gotCopy, want); msg != "" {
		t.Errorf("propagated streams differ: %s\nwarden:\n%s\nredis:\n%s", msg, formatStream(gotCopy), formatStream(want))
	}
}

// readAOF parses the incremental AOF files of a Redis 7.0 data directory.
func readAOF(t *testing.T, dir string) [][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	var out [][]string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read AOF: %v", err)
		}
		br := bufio.NewReader(bytes.NewReader(data))
		for {
			cmd, err := readRESPCommand(br)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("parse AOF %s: %v", f, err)
			}
			out = append(out, cmd)
		}
	}
	return out
}

func readRESPCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("unexpected %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil, err
	}
	cmd := make([]string, n)
	for i := range cmd {
		hdr, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, err := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		if err != nil {
			return nil, err
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		cmd[i] = string(buf[:l])
	}
	return cmd, nil
}

// compareStreams compares two propagated command streams; arguments that
// look like unix-ms timestamps near now may differ by up to 2 seconds.
func compareStreams(got, want [][]string) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d commands vs %d", len(got), len(want))
	}
	now := time.Now().UnixMilli()
	near := func(s string) (int64, bool) {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil && v > now-86400000 && v < now+86400000
	}
	for i := range got {
		g, w := got[i], want[i]
		if len(g) != len(w) {
			return fmt.Sprintf("command %d: %q vs %q", i, g, w)
		}
		for j := range g {
			if g[j] == w[j] || (j == 0 && strings.EqualFold(g[j], w[j])) {
				continue
			}
			a, okA := near(g[j])
			b, okB := near(w[j])
			if okA && okB && a-b < 2000 && b-a < 2000 {
				continue
			}
			return fmt.Sprintf("command %d: %q vs %q", i, g, w)
		}
	}
	return ""
}

func formatStream(cmds [][]string) string {
	var b strings.Builder
	for _, c := range cmds {
		b.WriteString("  " + testutil.FormatCommand(c) + "\n")
	}
	return b.String()
}

func TestDiffStringPropagation(t *testing.T) {
	propagationRun(t, [][]string{
		{"SET", "a", "1"},
		{"SET", "a", "2", "NX"},
		{"SET", "b", "v", "EX", "100"},
		{"SET", "b", "v", "PX", "100000", "GET"},
		{"SET", "b", "v", "EXAT", "4102444800", "NX"},
		{"SET", "b", "v2", "PXAT", "4102444800123", "XX", "GET"},
		{"SET", "b", "v3", "GET", "KEEPTTL", "get"},
		{"SET", "b", "v4", "KEEPTTL"},
		{"SET", "c", "v", "GET"},
		{"SETNX", "c", "x"},
		{"SETNX", "d", "x"},
		{"SETEX", "e", "100", "v"},
		{"PSETEX", "e", "100000", "v"},
		{"GETSET", "e", "w"},
		{"GETDEL", "e"},
		{"GETDEL", "e"},
		{"GETEX", "a"},
		{"GETEX", "a", "EX", "100"},
		{"GETEX", "a", "PXAT", "4102444800123"},
		{"GETEX", "a", "PERSIST"},
		{"GETEX", "a", "PERSIST"},
		{"GETEX", "a", "EXAT", "1"},
		{"MSET", "m1", "1", "m2", "2"},
		{"MSETNX", "m1", "1", "m3", "3"},
		{"MSETNX", "m4", "1", "m3", "3"},
		{"APPEND", "m1", "x"},
		{"SETRANGE", "m1", "5", "y"},
		{"SETRANGE", "m9", "0", ""},
		{"INCR", "n"},
		{"DECRBY", "n", "5"},
		{"INCR", "m1"},
		{"INCRBYFLOAT", "fl", "1.5"},
		{"INCRBYFLOAT", "fl", "0.1"},
		{"SETBIT", "bits", "7", "1"},
		{"SETBIT", "bits", "7", "1"},
		{"SETBIT", "bits", "3", "0"},
		{"BITOP", "OR", "dest", "bits", "m2"},
		{"BITOP", "OR", "dest", "nothing"},
		{"BITOP", "OR", "dest", "nothing"},
		{"BITFIELD", "bf", "SET", "u8", "0", "1", "GET", "u8", "0"},
		{"BITFIELD", "bf", "SET", "u8", "0", "1"},
		{"BITFIELD", "bf", "GET", "u8", "0"},
		{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "9"},
		{"BITFIELD", "bf", "INCRBY", "u8", "0", "1", "INCRBY", "u8", "8", "0"},
		{"MULTI"},
		{"SET", "t1", "v", "EX", "100"},
		{"INCRBYFLOAT", "t2", "2.5"},
		{"GETEX", "t1", "PERSIST"},
		{"GET", "t1"},
		{"EXEC"},
		{"MULTI"},
		{"GET", "t1"},
		{"EXEC"},
		{"SET", "short", "v", "PX", "1"},
		{"sleep", "20ms"},
		{"GET", "short"},
	})
}
