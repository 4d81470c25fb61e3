package rdb

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
)

// item is one key of a test dataset, in the shape the Visitor reports it.
type item struct {
	kind    string // string, list, set, hash, zset
	key     string
	str     []byte
	elems   [][]byte // list elements, set members, hash fields, zset members
	values  [][]byte // hash values
	scores  []float64
	expire  int64  // absolute ms, NoExpiry for none
	wantEnc string // OBJECT ENCODING in Redis 7.0 after loading; "" = unchecked
}

type dbItems struct {
	db    int
	items []item
}

// collector is a Visitor recording everything.
type collector struct {
	aux     map[string]string
	dbs     map[int][]item
	resize  map[int][2]uint64
	cur     int
	order   []int // db numbers in SELECTDB order
	funcs   []string
	infos   map[string][2]int64 // key -> idle, freq
	visited int
}

func newCollector() *collector {
	return &collector{aux: map[string]string{}, dbs: map[int][]item{}, resize: map[int][2]uint64{}, infos: map[string][2]int64{}}
}

func (c *collector) Aux(k, v []byte) error { c.aux[string(k)] = string(v); return nil }
func (c *collector) SelectDB(db int) error {
	c.cur = db
	c.order = append(c.order, db)
	return nil
}
func (c *collector) ResizeDB(k, e uint64) error { c.resize[c.cur] = [2]uint64{k, e}; return nil }
func (c *collector) add(it item) error {
	c.visited++
	c.dbs[c.cur] = append(c.dbs[c.cur], it)
	return nil
}
func (c *collector) String(k, v []byte, exp int64) error {
	return c.add(item{kind: "string", key: string(k), str: v, expire: exp})
}
func (c *collector) List(k []byte, e [][]byte, exp int64) error {
	return c.add(item{kind: "list", key: string(k), elems: e, expire: exp})
}
func (c *collector) Set(k []byte, m [][]byte, exp int64) error {
	return c.add(item{kind: "set", key: string(k), elems: m, expire: exp})
}
func (c *collector) Hash(k []byte, f, v [][]byte, exp int64) error {
	return c.add(item{kind: "hash", key: string(k), elems: f, values: v, expire: exp})
}
func (c *collector) ZSet(k []byte, m [][]byte, s []float64, exp int64) error {
	return c.add(item{kind: "zset", key: string(k), elems: m, scores: s, expire: exp})
}
func (c *collector) Function(code []byte) error { c.funcs = append(c.funcs, string(code)); return nil }
func (c *collector) KeyInfo(k []byte, idle int64, freq int) error {
	c.infos[string(k)] = [2]int64{idle, int64(freq)}
	return nil
}

// nopVisitor accepts everything.
type nopVisitor struct{}

func (nopVisitor) Aux(_, _ []byte) error                                 { return nil }
func (nopVisitor) SelectDB(int) error                                    { return nil }
func (nopVisitor) ResizeDB(_, _ uint64) error                            { return nil }
func (nopVisitor) String(_, _ []byte, _ int64) error                     { return nil }
func (nopVisitor) List(_ []byte, _ [][]byte, _ int64) error              { return nil }
func (nopVisitor) Set(_ []byte, _ [][]byte, _ int64) error               { return nil }
func (nopVisitor) Hash(_ []byte, _, _ [][]byte, _ int64) error           { return nil }
func (nopVisitor) ZSet(_ []byte, _ [][]byte, _ []float64, _ int64) error { return nil }

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func seq(format string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, format, i)
	}
	return out
}

// pseudoRandom returns n deterministic bytes that do not compress.
func pseudoRandom(n int, seed uint64) []byte {
	out := make([]byte, n)
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[i] = byte(x)
	}
	return out
}

// testDataset returns every type in its compact and its plain encoding,
// spread over three databases, with expiries at futureMs.
func testDataset(futureMs int64) []dbItems {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	listInts := bs("0", "127", "128", "-1", "4095", "-4096", "4096", "-4097", "32767", "-32768", "32768",
		"8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"007", "+1", "-0", "1.5", "", " 1", strings.Repeat("x", 63), strings.Repeat("y", 64))
	bigElems := [][]byte{
		[]byte("short"), bytes.Repeat([]byte("a"), 4095), bytes.Repeat([]byte("b"), 4096),
		pseudoRandom(5000, 1), pseudoRandom(70000, 2), []byte("tail"), pseudoRandom(20000, 3), []byte("42"),
	}
	var hugeHashF, hugeHashV [][]byte
	for i := 0; i < 1000; i++ {
		hugeHashF = append(hugeHashF, fmt.Appendf(nil, "field:%d", i))
		hugeHashV = append(hugeHashV, fmt.Appendf(nil, "%d", i*7))
	}
	var bigZ [][]byte
	var bigS []float64
	for i := 0; i < 1000; i++ {
		bigZ = append(bigZ, fmt.Appendf(nil, "m%04d", i))
		bigS = append(bigS, float64(i%97)*1.25-30)
	}
	bigInts := make([][]byte, 600)
	for i := range bigInts {
		bigInts[i] = fmt.Appendf(nil, "%d", i*1000003-300000000)
	}
	db0 := []item{
		{kind: "string", key: "s:plain", str: []byte("hello world")},
		{kind: "string", key: "s:int", str: []byte("12345"), wantEnc: "int"},
		{kind: "string", key: "s:neg", str: []byte("-7"), wantEnc: "int"},
		{kind: "string", key: "s:i16", str: []byte("-30000")},
		{kind: "string", key: "s:i32", str: []byte("2000000000")},
		{kind: "string", key: "s:big", str: []byte("12345678901234")},
		{kind: "string", key: "s:noncanon", str: []byte("0012")},
		{kind: "string", key: "s:lzf", str: bytes.Repeat([]byte("abcdefgh"), 200)},
		{kind: "string", key: "s:bin", str: allBytes},
		{kind: "string", key: "s:empty", str: []byte{}},
		{kind: "string", key: "s:random", str: pseudoRandom(100000, 9)},
		{kind: "string", key: "s:exp", str: []byte("v"), expire: futureMs},
		{kind: "string", key: strings.Repeat("long-key-", 10), str: []byte("compressible key")},
		{kind: "list", key: "l:small", elems: listInts, wantEnc: "quicklist"},
		{kind: "list", key: "l:big", elems: seq("element-%06d", 10000), wantEnc: "quicklist"},
		{kind: "list", key: "l:bigelems", elems: bigElems, wantEnc: "quicklist"},
		{kind: "list", key: "l:one", elems: bs("x"), expire: futureMs + 1, wantEnc: "quicklist"},
		{kind: "set", key: "set:i16", elems: bs("3", "1", "2", "-5", "32767"), wantEnc: "intset"},
		{kind: "set", key: "set:i32", elems: bs("100000", "-1", "70000", "-2147483648"), wantEnc: "intset"},
		{kind: "set", key: "set:i64", elems: bs("1099511627776", "-1099511627776", "0", "9223372036854775807"), wantEnc: "intset", expire: futureMs + 2},
		{kind: "set", key: "set:bigints", elems: bigInts, wantEnc: "hashtable"},
		{kind: "set", key: "set:str", elems: bs("a", "b", "c"), wantEnc: "hashtable"},
		{kind: "set", key: "set:mixed", elems: bs("1", "x", "01"), wantEnc: "hashtable"},
		{kind: "set", key: "set:big", elems: seq("member-%d", 1000), wantEnc: "hashtable"},
		{kind: "hash", key: "h:small", elems: bs("name", "age", "n", "neg", "empty"), values: bs("warden", "7", "100000", "-1", ""), wantEnc: "listpack"},
		{kind: "hash", key: "h:64", elems: bs("f"), values: [][]byte{bytes.Repeat([]byte("v"), 64)}, wantEnc: "listpack"},
		{kind: "hash", key: "h:65", elems: bs("f"), values: [][]byte{bytes.Repeat([]byte("v"), 65)}, wantEnc: "hashtable"},
		{kind: "hash", key: "h:big", elems: hugeHashF, values: hugeHashV, wantEnc: "hashtable", expire: futureMs + 3},
		{kind: "zset", key: "z:small", elems: bs("neginf", "a", "negzero", "b", "c", "d", "e", "big", "inf"),
			scores: []float64{math.Inf(-1), -2.5, 0, 0.1, 1, 3, 1e15, 1e300, math.Inf(1)}, wantEnc: "listpack"},
		{kind: "zset", key: "z:ties", elems: bs("b", "a", "c"), scores: []float64{1, 1, 0.5}, wantEnc: "listpack"},
		{kind: "zset", key: "z:big", elems: bigZ, scores: bigS, wantEnc: "skiplist", expire: futureMs + 4},
		{kind: "zset", key: "z:longmember", elems: [][]byte{bytes.Repeat([]byte("m"), 65), []byte("x")}, scores: []float64{1.5, -3.25}, wantEnc: "skiplist"},
	}
	db3 := []item{
		{kind: "string", key: "s:plain", str: []byte("other db")},
		{kind: "list", key: "l", elems: bs("1", "2", "3")},
		{kind: "hash", key: "h", elems: bs("a"), values: bs("b"), expire: futureMs + 5},
	}
	db15 := []item{{kind: "zset", key: "z", elems: bs("only"), scores: []float64{42}}}
	for _, db := range [][]item{db0, db3, db15} {
		for i := range db {
			if db[i].expire == 0 {
				db[i].expire = NoExpiry
			}
		}
	}
	return []dbItems{{0, db0}, {3, db3}, {15, db15}}
}

// testFunction is a valid Redis 7.0 function library.
const testFunction = "#!lua name=wardenlib\nredis.register_function('wardenhello', function() return 'hi' end)"

// writeDataset encodes dbs as a complete RDB stream.
func writeDataset(t testing.TB, e *Encoder, dbs []dbItems) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.WriteHeader())
	must(e.WriteAux("redis-ver", "7.0.15"))
	must(e.WriteAuxInt("redis-bits", 64))
	must(e.WriteAuxInt("ctime", 1700000000))
	must(e.WriteAuxInt("used-mem", 1<<40))
	must(e.WriteAuxInt("aof-base", 0))
	must(e.WriteFunction([]byte(testFunction)))
	for _, db := range dbs {
		var expires uint64
		for _, it := range db.items {
			if it.expire > 0 {
				expires++
			}
		}
		must(e.SelectDB(db.db, uint64(len(db.items)), expires))
		for _, it := range db.items {
			k := []byte(it.key)
			switch it.kind {
			case "string":
				must(e.WriteString(k, it.str, it.expire))
			case "list":
				must(e.WriteList(k, it.elems, it.expire))
			case "set":
				must(e.WriteSet(k, it.elems, it.expire))
			case "hash":
				must(e.WriteHash(k, it.elems, it.values, it.expire))
			case "zset":
				must(e.WriteZSet(k, it.elems, it.scores, it.expire))
			}
		}
	}
	must(e.WriteEnd())
}

// canonical returns a comparable description of an item: sets sorted,
// hashes as sorted pairs, zsets sorted by (score, member).
func canonical(it item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q exp=%d ", it.kind, it.key, it.expire)
	switch it.kind {
	case "string":
		fmt.Fprintf(&b, "%q", it.str)
	case "list":
		fmt.Fprintf(&b, "%q", it.elems)
	case "set":
		m := slices.Clone(it.elems)
		slices.SortFunc(m, bytes.Compare)
		fmt.Fprintf(&b, "%q", m)
	case "hash":
		pairs := make([]string, len(it.elems))
		for i := range it.elems {
			pairs[i] = fmt.Sprintf("%q=%q", it.elems[i], it.values[i])
		}
		sort.Strings(pairs)
		b.WriteString(strings.Join(pairs, ","))
	case "zset":
		idx := make([]int, len(it.elems))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(x, y int) bool {
			return zsetLess(it.scores[idx[x]], it.elems[idx[x]], it.scores[idx[y]], it.elems[idx[y]]) < 0
		})
		for _, i := range idx {
			fmt.Fprintf(&b, "%q:%s,", it.elems[i], scoreText(it.scores[i]))
		}
	}
	return b.String()
}

func scoreText(f float64) string {
	if f == 0 {
		return "0" // Redis does not distinguish -0 in order; compare as 0
	}
	return fmt.Sprint(f)
}

// compareDecoded checks that the collector saw exactly dbs.
func compareDecoded(t *testing.T, c *collector, dbs []dbItems) {
	t.Helper()
	for _, db := range dbs {
		got := map[string]string{}
		for _, it := range c.dbs[db.db] {
			got[it.key] = canonical(it)
		}
		if len(c.dbs[db.db]) != len(db.items) {
			t.Errorf("db %d: decoded %d keys, want %d", db.db, len(c.dbs[db.db]), len(db.items))
		}
		for _, it := range db.items {
			want := canonical(it)
			if got[it.key] != want {
				t.Errorf("db %d key %q:\n got %.300s\nwant %.300s", db.db, it.key, got[it.key], want)
			}
		}
	}
	if len(c.dbs) != len(dbs) {
		t.Errorf("decoded %d databases, want %d", len(c.dbs), len(dbs))
	}
}
