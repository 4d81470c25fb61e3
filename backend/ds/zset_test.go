package ds

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

var (
	negInf = math.Inf(-1)
	posInf = math.Inf(1)
)

func incl(v float64) ScoreBound { return ScoreBound{Value: v} }
func excl(v float64) ScoreBound { return ScoreBound{Value: v, Exclusive: true} }
func lexIncl(v string) LexBound { return LexBound{Value: v} }
func lexExcl(v string) LexBound { return LexBound{Value: v, Exclusive: true} }

var (
	lexMin = LexBound{Inf: -1}
	lexMax = LexBound{Inf: 1}
)

// checkZSet verifies every structural invariant of the skiplist: order,
// backward links, tail, per-level linkage (each level links exactly the nodes
// tall enough for it), span values including spans to nil, and agreement
// with the dict.
func checkZSet(t testing.TB, z *ZSet) {
	t.Helper()
	if z.dict == nil {
		if z.length > zsetSmall {
			t.Fatalf("no member index at length %d", z.length)
		}
	} else if z.length != z.dict.Len() || z.length <= zsetSmall/2 {
		t.Fatalf("length %d, dict.Len() %d", z.length, z.dict.Len())
	}
	levels := len(z.head.level)
	if levels < 1 || levels > zMaxLevel {
		t.Fatalf("bad head height %d", levels)
	}
	if levels > 1 && z.head.level[levels-1].forward == nil {
		t.Fatalf("empty top level %d not trimmed", levels)
	}
	seen := map[string]bool{}
	rank := map[*zNode]int{&z.head: 0}
	var nodes []*zNode
	var prev *zNode
	for x := z.head.level[0].forward; x != nil; x = x.level[0].forward {
		if x.backward != prev {
			t.Fatalf("backward of %q wrong", x.member)
		}
		if prev != nil && !keyLess(prev.score, prev.member, x.score, x.member) {
			t.Fatalf("order violated: (%v,%q) then (%v,%q)", prev.score, prev.member, x.score, x.member)
		}
		if s, ok := z.lookup(x.member); !ok || s != x.score || math.Signbit(s) != math.Signbit(x.score) {
			t.Fatalf("dict mismatch for %q: %v %v vs node %v", x.member, s, ok, x.score)
		}
		if len(x.level) < 1 || len(x.level) > levels {
			t.Fatalf("node %q height %d (list %d)", x.member, len(x.level), levels)
		}
		if seen[x.member] {
			t.Fatalf("member %q linked twice", x.member)
		}
		seen[x.member] = true
		nodes = append(nodes, x)
		rank[x] = len(nodes)
		prev = x
	}
	if len(nodes) != z.length {
		t.Fatalf("walked %d nodes, length %d", len(nodes), z.length)
	}
	if z.tail != prev {
		t.Fatalf("tail wrong")
	}
	for i := 0; i < levels; i++ {
		x := &z.head
		// Expected successor at level i: the next node of height > i.
		idx := 0
		for {
			for idx < len(nodes) && len(nodes[idx].level) <= i {
				idx++
			}
			var want *zNode
			if idx < len(nodes) {
				want = nodes[idx]
			}
			l := x.level[i]
			if l.forward != want {
				t.Fatalf("level %d: wrong forward after rank %d", i, rank[x])
			}
			if want == nil {
				if l.span != z.length-rank[x] {
					t.Fatalf("level %d: nil span %d, want %d", i, l.span, z.length-rank[x])
				}
				break
			}
			if l.span != rank[want]-rank[x] {
				t.Fatalf("level %d: span %d, want %d", i, l.span, rank[want]-rank[x])
			}
			x = want
			idx++
		}
	}
}

type pair struct {
	m string
	s float64
}

func collect(iter func(fn func(string, float64) bool)) []pair {
	var out []pair
	iter(func(m string, s float64) bool {
		out = append(out, pair{m, s})
		return true
	})
	return out
}

func zsetOf(pairs ...pair) *ZSet {
	z := NewZSetSeed(1)
	for _, p := range pairs {
		z.Add(p.m, p.s)
	}
	return z
}

func TestZSetBasics(t *testing.T) {
	z := NewZSet()
	if z.Len() != 0 {
		t.Fatal("new set not empty")
	}
	if _, ok := z.Score("x"); ok {
		t.Fatal("score of missing member")
	}
	if _, ok := z.Rank("x", false); ok {
		t.Fatal("rank of missing member")
	}
	if z.Remove("x") {
		t.Fatal("removed missing member")
	}
	if _, _, ok := z.Min(); ok {
		t.Fatal("Min on empty")
	}
	if _, _, ok := z.Max(); ok {
		t.Fatal("Max on empty")
	}
	if got := collect(z.Each); len(got) != 0 {
		t.Fatal("Each on empty")
	}
	checkZSet(t, z)

	if !z.Add("b", 2) || !z.Add("a", 1) || !z.Add("c", 3) {
		t.Fatal("Add of new members should report added")
	}
	if z.Add("a", 1) || z.Add("a", 1) {
		t.Fatal("re-Add reported added")
	}
	if s, ok := z.Score("b"); !ok || s != 2 {
		t.Fatalf("Score(b) = %v %v", s, ok)
	}
	if m, s, _ := z.Min(); m != "a" || s != 1 {
		t.Fatalf("Min = %q %v", m, s)
	}
	if m, s, _ := z.Max(); m != "c" || s != 3 {
		t.Fatalf("Max = %q %v", m, s)
	}
	// Update moves "a" to the end.
	if z.Add("a", 10) {
		t.Fatal("update reported added")
	}
	want := []pair{{"b", 2}, {"c", 3}, {"a", 10}}
	if got := collect(z.Each); !slices.Equal(got, want) {
		t.Fatalf("Each = %v want %v", got, want)
	}
	for i, p := range want {
		if r, ok := z.Rank(p.m, false); !ok || r != i {
			t.Fatalf("Rank(%q) = %d %v want %d", p.m, r, ok, i)
		}
		if r, _ := z.Rank(p.m, true); r != len(want)-1-i {
			t.Fatalf("RevRank(%q) = %d", p.m, r)
		}
	}
	// In-place update (stays between neighbours) keeps order and rank.
	z.Add("c", 5)
	if r, _ := z.Rank("c", false); r != 1 {
		t.Fatalf("rank after in-place update = %d", r)
	}
	if !z.Remove("c") || z.Remove("c") {
		t.Fatal("Remove")
	}
	if z.Len() != 2 {
		t.Fatalf("Len = %d", z.Len())
	}
	checkZSet(t, z)
}

func TestZSetEqualScoresOrderByMember(t *testing.T) {
	z := zsetOf(pair{"b", 1}, pair{"B", 1}, pair{"a", 1}, pair{"", 1}, pair{"ab", 1}, pair{"\xff", 1}, pair{"z", 0})
	want := []string{"z", "", "B", "a", "ab", "b", "\xff"}
	var got []string
	z.Each(func(m string, _ float64) bool { got = append(got, m); return true })
	if !slices.Equal(got, want) {
		t.Fatalf("order %q want %q", got, want)
	}
	checkZSet(t, z)
}

func TestZSetInfAndZero(t *testing.T) {
	z := zsetOf(pair{"ninf", negInf}, pair{"pinf", posInf}, pair{"zero", 0}, pair{"nzero", math.Copysign(0, -1)})
	// -0 == 0, so they order by member: "nzero" < "zero".
	var got []string
	z.Each(func(m string, _ float64) bool { got = append(got, m); return true })
	if want := []string{"ninf", "nzero", "zero", "pinf"}; !slices.Equal(got, want) {
		t.Fatalf("order %q want %q", got, want)
	}
	// Re-adding with the other zero is not a change (Redis compares with ==).
	z.Add("zero", math.Copysign(0, -1))
	if s, _ := z.Score("zero"); math.Signbit(s) {
		t.Fatal("-0 overwrote +0")
	}
	if n := z.CountByScore(incl(negInf), incl(posInf)); n != 4 {
		t.Fatalf("count all = %d", n)
	}
	if n := z.CountByScore(excl(negInf), excl(posInf)); n != 2 {
		t.Fatalf("count (-inf (+inf = %d", n)
	}
	if n := z.CountByScore(incl(0), incl(0)); n != 2 {
		t.Fatalf("count [0 0] = %d", n)
	}
	checkZSet(t, z)
}

func TestZSetAddNaNPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewZSet().Add("x", math.NaN())
}

func TestZSetIncrBy(t *testing.T) {
	z := NewZSet()
	if s, ok := z.IncrBy("a", 2.5); !ok || s != 2.5 {
		t.Fatalf("IncrBy new = %v %v", s, ok)
	}
	if s, _ := z.IncrBy("a", -1); s != 1.5 {
		t.Fatalf("IncrBy = %v", s)
	}
	z.Add("i", posInf)
	if _, ok := z.IncrBy("i", negInf); ok {
		t.Fatal("inf + -inf should fail")
	}
	if s, _ := z.Score("i"); s != posInf {
		t.Fatal("failed IncrBy modified score")
	}
	checkZSet(t, z)
}

// fixture: a1..a5 with scores 1..5, plus b3 tying with a3.
func fixture() *ZSet {
	return zsetOf(pair{"a1", 1}, pair{"a2", 2}, pair{"a3", 3}, pair{"b3", 3}, pair{"a4", 4}, pair{"a5", 5})
}

func members(ps []pair) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.m)
	}
	return b.String()
}

func TestZSetByRank(t *testing.T) {
	z := fixture()
	tests := []struct {
		start, stop int
		rev         bool
		want        string
	}{
		{0, 5, false, "a1 a2 a3 b3 a4 a5"},
		{0, 5, true, "a5 a4 b3 a3 a2 a1"},
		{2, 3, false, "a3 b3"},
		{2, 3, true, "b3 a3"},
		{5, 5, false, "a5"},
		{5, 5, true, "a1"},
		{3, 2, false, ""},
		{0, 100, false, "a1 a2 a3 b3 a4 a5"}, // defensive clamp
		{-3, 0, false, "a1"},
		{6, 9, false, ""},
	}
	for _, tt := range tests {
		got := members(collect(func(fn func(string, float64) bool) { z.ByRank(tt.start, tt.stop, tt.rev, fn) }))
		if got != tt.want {
			t.Errorf("ByRank(%d,%d,%v) = %q want %q", tt.start, tt.stop, tt.rev, got, tt.want)
		}
	}
	// Early stop.
	n := 0
	z.ByRank(0, 5, false, func(string, float64) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("early stop visited %d", n)
	}
	NewZSet().ByRank(0, 0, false, func(string, float64) bool { t.Fatal("called on empty"); return true })
}

func TestZSetRangeByScore(t *testing.T) {
	z := fixture()
	tests := []struct {
		min, max      ScoreBound
		rev           bool
		offset, count int
		want          string
	}{
		{incl(negInf), incl(posInf), false, 0, -1, "a1 a2 a3 b3 a4 a5"},
		{incl(negInf), incl(posInf), true, 0, -1, "a5 a4 b3 a3 a2 a1"},
		{incl(2), incl(4), false, 0, -1, "a2 a3 b3 a4"},
		{excl(2), excl(4), false, 0, -1, "a3 b3"},
		{excl(2), incl(4), true, 0, -1, "a4 b3 a3"},
		{incl(3), incl(3), false, 0, -1, "a3 b3"},
		{excl(3), incl(3), false, 0, -1, ""},
		{incl(3), excl(3), false, 0, -1, ""},
		{incl(4), incl(2), false, 0, -1, ""},
		{incl(2.5), incl(3.5), false, 0, -1, "a3 b3"},
		{incl(5.5), incl(posInf), false, 0, -1, ""},
		{incl(negInf), excl(1), false, 0, -1, ""},
		{incl(negInf), incl(1), true, 0, -1, "a1"},
		{excl(negInf), excl(posInf), false, 0, -1, "a1 a2 a3 b3 a4 a5"},
		// LIMIT
		{incl(negInf), incl(posInf), false, 1, 2, "a2 a3"},
		{incl(negInf), incl(posInf), true, 1, 2, "a4 b3"},
		{incl(2), incl(4), false, 3, 10, "a4"},
		{incl(2), incl(4), false, 4, 10, ""},
		{incl(2), incl(4), true, 3, -1, "a2"},
		{incl(2), incl(4), true, 4, -1, ""},
		{incl(2), incl(4), false, 0, 0, ""},
		{incl(2), incl(4), false, -1, 5, ""},
		{incl(2), incl(4), false, 100, 5, ""},
		{incl(1), incl(5), true, 5, 1, "a1"},
		{incl(math.NaN()), incl(5), false, 0, -1, ""},
	}
	for _, tt := range tests {
		got := members(collect(func(fn func(string, float64) bool) {
			z.RangeByScore(tt.min, tt.max, tt.rev, tt.offset, tt.count, fn)
		}))
		if got != tt.want {
			t.Errorf("RangeByScore(%v,%v,rev=%v,%d,%d) = %q want %q", tt.min, tt.max, tt.rev, tt.offset, tt.count, got, tt.want)
		}
		if tt.offset == 0 && tt.count < 0 && !tt.rev {
			if n := z.CountByScore(tt.min, tt.max); n != len(strings.Fields(tt.want)) {
				t.Errorf("CountByScore(%v,%v) = %d want %d", tt.min, tt.max, n, len(strings.Fields(tt.want)))
			}
		}
	}
	NewZSet().RangeByScore(incl(negInf), incl(posInf), false, 0, -1, func(string, float64) bool { t.Fatal("called on empty"); return true })
	if NewZSet().CountByScore(incl(negInf), incl(posInf)) != 0 {
		t.Fatal("count on empty")
	}
}

func lexFixture() *ZSet {
	z := NewZSetSeed(7)
	for _, m := range []string{"a", "b", "c", "d", "e", "f", "g", "", "aa"} {
		z.Add(m, 0)
	}
	return z
}

func TestZSetRangeByLex(t *testing.T) {
	z := lexFixture()
	tests := []struct {
		min, max      LexBound
		rev           bool
		offset, count int
		want          string
	}{
		{lexMin, lexMax, false, 0, -1, " a aa b c d e f g"},
		{lexMin, lexMax, true, 0, -1, "g f e d c b aa a "},
		{lexMin, lexIncl("c"), false, 0, -1, " a aa b c"},
		{lexMin, lexExcl("c"), false, 0, -1, " a aa b"},
		{lexIncl("aaa"), lexExcl("g"), false, 0, -1, "b c d e f"},
		{lexExcl("a"), lexIncl("b"), false, 0, -1, "aa b"},
		{lexExcl("a"), lexIncl("b"), true, 0, -1, "b aa"},
		{lexIncl(""), lexIncl(""), false, 0, -1, ""},
		{lexExcl(""), lexExcl("aa"), false, 0, -1, "a"},
		{lexIncl("c"), lexIncl("c"), false, 0, -1, "c"},
		{lexExcl("c"), lexIncl("c"), false, 0, -1, ""},
		{lexIncl("d"), lexIncl("c"), false, 0, -1, ""},
		{lexMax, lexMax, false, 0, -1, ""},
		{lexMin, lexMin, false, 0, -1, ""},
		{lexMax, lexMin, false, 0, -1, ""},
		{lexIncl("h"), lexMax, false, 0, -1, ""},
		{lexIncl("zzz"), lexMax, false, 0, -1, ""},
		{lexMin, lexExcl(""), false, 0, -1, ""},
		{lexMin, lexMax, false, 2, 3, "aa b c"},
		{lexMin, lexMax, true, 2, 3, "e d c"},
		{lexIncl("b"), lexIncl("e"), true, 1, -1, "d c b"},
		{lexIncl("b"), lexIncl("e"), false, 4, -1, ""},
		{lexIncl("b"), lexIncl("e"), false, -1, -1, ""},
	}
	for _, tt := range tests {
		got := members(collect(func(fn func(string, float64) bool) {
			z.RangeByLex(tt.min, tt.max, tt.rev, tt.offset, tt.count, fn)
		}))
		if got != tt.want {
			t.Errorf("RangeByLex(%v,%v,rev=%v,%d,%d) = %q want %q", tt.min, tt.max, tt.rev, tt.offset, tt.count, got, tt.want)
		}
		if tt.offset == 0 && tt.count < 0 && !tt.rev {
			n := len(collect(func(fn func(string, float64) bool) { z.RangeByLex(tt.min, tt.max, false, 0, -1, fn) }))
			if c := z.CountByLex(tt.min, tt.max); c != n {
				t.Errorf("CountByLex(%v,%v) = %d want %d", tt.min, tt.max, c, n)
			}
		}
	}
}

func TestZSetRemoveRanges(t *testing.T) {
	tests := []struct {
		name string
		do   func(z *ZSet) int
		n    int
		left string
	}{
		{"score all", func(z *ZSet) int { return z.RemoveRangeByScore(incl(negInf), incl(posInf)) }, 6, ""},
		{"score [3,3]", func(z *ZSet) int { return z.RemoveRangeByScore(incl(3), incl(3)) }, 2, "a1 a2 a4 a5"},
		{"score (2,4)", func(z *ZSet) int { return z.RemoveRangeByScore(excl(2), excl(4)) }, 2, "a1 a2 a4 a5"},
		{"score (3,3]", func(z *ZSet) int { return z.RemoveRangeByScore(excl(3), incl(3)) }, 0, "a1 a2 a3 b3 a4 a5"},
		{"score [6,+inf]", func(z *ZSet) int { return z.RemoveRangeByScore(incl(6), incl(posInf)) }, 0, "a1 a2 a3 b3 a4 a5"},
		{"score [-inf,1]", func(z *ZSet) int { return z.RemoveRangeByScore(incl(negInf), incl(1)) }, 1, "a2 a3 b3 a4 a5"},
		{"rank 0..0", func(z *ZSet) int { return z.RemoveRangeByRank(0, 0) }, 1, "a2 a3 b3 a4 a5"},
		{"rank 1..3", func(z *ZSet) int { return z.RemoveRangeByRank(1, 3) }, 3, "a1 a4 a5"},
		{"rank 4..99", func(z *ZSet) int { return z.RemoveRangeByRank(4, 99) }, 2, "a1 a2 a3 b3"},
		{"rank 3..2", func(z *ZSet) int { return z.RemoveRangeByRank(3, 2) }, 0, "a1 a2 a3 b3 a4 a5"},
		{"rank 0..5", func(z *ZSet) int { return z.RemoveRangeByRank(0, 5) }, 6, ""},
	}
	for _, tt := range tests {
		z := fixture()
		if n := tt.do(z); n != tt.n {
			t.Errorf("%s: removed %d want %d", tt.name, n, tt.n)
		}
		if got := members(collect(z.Each)); got != tt.left {
			t.Errorf("%s: left %q want %q", tt.name, got, tt.left)
		}
		checkZSet(t, z)
	}
	lex := []struct {
		min, max LexBound
		n        int
		left     string
	}{
		{lexMin, lexMax, 9, ""},
		{lexIncl("b"), lexExcl("e"), 3, " a aa e f g"},
		{lexExcl("a"), lexIncl("aa"), 1, " a b c d e f g"},
		{lexMin, lexIncl(""), 1, "a aa b c d e f g"},
		{lexMax, lexMax, 0, " a aa b c d e f g"},
	}
	for _, tt := range lex {
		z := lexFixture()
		if n := z.RemoveRangeByLex(tt.min, tt.max); n != tt.n {
			t.Errorf("RemoveRangeByLex(%v,%v) = %d want %d", tt.min, tt.max, n, tt.n)
		}
		if got := members(collect(z.Each)); got != tt.left {
			t.Errorf("RemoveRangeByLex(%v,%v) left %q want %q", tt.min, tt.max, got, tt.left)
		}
		checkZSet(t, z)
	}
}

func TestZSetPop(t *testing.T) {
	z := fixture()
	if m, s := z.PopMin(0); m != nil || s != nil {
		t.Fatal("PopMin(0)")
	}
	if m, s := z.PopMin(-1); m != nil || s != nil {
		t.Fatal("PopMin(-1)")
	}
	m, s := z.PopMin(2)
	if !slices.Equal(m, []string{"a1", "a2"}) || !slices.Equal(s, []float64{1, 2}) {
		t.Fatalf("PopMin(2) = %v %v", m, s)
	}
	m, s = z.PopMax(3)
	if !slices.Equal(m, []string{"a5", "a4", "b3"}) || !slices.Equal(s, []float64{5, 4, 3}) {
		t.Fatalf("PopMax(3) = %v %v", m, s)
	}
	checkZSet(t, z)
	m, _ = z.PopMax(10)
	if !slices.Equal(m, []string{"a3"}) || z.Len() != 0 {
		t.Fatalf("PopMax(10) = %v len %d", m, z.Len())
	}
	if m, _ := z.PopMin(1); m != nil {
		t.Fatal("PopMin on empty")
	}
	checkZSet(t, z)
}

func TestZSetRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	z := NewZSetSeed(3)
	for i := range 100 {
		z.Add(fmt.Sprintf("m%03d", i), float64(i))
	}
	for _, count := range []int{1, 5, 33, 34, 50, 99, 100, 150} {
		seen := map[string]bool{}
		n := 0
		z.Random(count, rnd, func(m string, s float64) bool {
			if seen[m] {
				t.Fatalf("count %d: duplicate %q", count, m)
			}
			if zs, _ := z.Score(m); zs != s {
				t.Fatalf("wrong score for %q", m)
			}
			seen[m] = true
			n++
			return true
		})
		if n != min(count, 100) {
			t.Fatalf("Random(%d) returned %d", count, n)
		}
	}
	// Negative: exactly -count picks, roughly uniform by rank.
	hits := make([]int, 100)
	z.Random(-100000, rnd, func(m string, s float64) bool { hits[int(s)]++; return true })
	for i, h := range hits {
		if h < 800 || h > 1200 {
			t.Fatalf("rank %d picked %d times of 100000", i, h)
		}
	}
	// Distinct picks are uniform too (sparse and dense paths).
	for _, count := range []int{10, 60} {
		hits := make([]int, 100)
		for range 2000 {
			z.Random(count, rnd, func(m string, s float64) bool { hits[int(s)]++; return true })
		}
		exp := 2000 * count / 100
		for i, h := range hits {
			if h < exp*7/10 || h > exp*13/10 {
				t.Fatalf("count %d: rank %d picked %d times, expected ~%d", count, i, h, exp)
			}
		}
	}
	n := 0
	z.Random(-5, rnd, func(string, float64) bool { n++; return false })
	z.Random(5, rnd, func(string, float64) bool { n++; return false })
	z.Random(60, rnd, func(string, float64) bool { n++; return false })
	if n != 3 {
		t.Fatalf("early stop: %d calls", n)
	}
	NewZSet().Random(-3, rnd, func(string, float64) bool { t.Fatal("called on empty"); return true })
}

func TestZSetClone(t *testing.T) {
	z := NewZSetSeed(9)
	for i := range 2000 {
		z.Add(fmt.Sprint(i), float64(i%37))
	}
	c := z.Clone()
	checkZSet(t, c)
	if !slices.Equal(collect(z.Each), collect(c.Each)) {
		t.Fatal("clone differs")
	}
	c.Add("new", 1)
	c.Remove("5")
	c.Add("6", 1000)
	if z.Len() != 2000 || z.Remove("new") {
		t.Fatal("clone shares state")
	}
	if s, _ := z.Score("6"); s != 6 {
		t.Fatal("clone shares scores")
	}
	checkZSet(t, z)
	checkZSet(t, c)
	e := NewZSet().Clone()
	checkZSet(t, e)
	e.Add("x", 1)
	checkZSet(t, e)
}

func TestZSetHeightShrinksAndRegrows(t *testing.T) {
	z := NewZSetSeed(11)
	for i := range 5000 {
		z.Add(fmt.Sprint(i), float64(i))
	}
	if len(z.head.level) < 4 {
		t.Fatalf("suspiciously short list: %d levels", len(z.head.level))
	}
	z.RemoveRangeByRank(0, 4998)
	checkZSet(t, z)
	z.Remove("4999")
	if len(z.head.level) != 1 || z.tail != nil {
		t.Fatalf("empty list height %d", len(z.head.level))
	}
	checkZSet(t, z)
	for i := range 500 {
		z.Add(fmt.Sprint(i), float64(-i))
	}
	checkZSet(t, z)
}

// TestZSetIndexThreshold walks a set across the small/indexed boundary in
// both directions, checking lookups on each side of it.
func TestZSetIndexThreshold(t *testing.T) {
	z := NewZSetSeed(12)
	for i := range zsetSmall + 8 {
		z.Add(fmt.Sprintf("m%02d", i), float64(-i))
		if (z.dict != nil) != (z.Len() > zsetSmall) {
			t.Fatalf("len %d: indexed=%v", z.Len(), z.dict != nil)
		}
		checkZSet(t, z)
	}
	z.Add("m05", 100) // update while indexed
	for i := zsetSmall + 7; i >= 0; i-- {
		m := fmt.Sprintf("m%02d", i)
		if s, ok := z.Score(m); !ok || (i != 5 && s != float64(-i)) {
			t.Fatalf("Score(%q) = %v %v", m, s, ok)
		}
		if !z.Remove(m) {
			t.Fatalf("Remove(%q)", m)
		}
		if _, ok := z.Score(m); ok {
			t.Fatalf("%q still present", m)
		}
		checkZSet(t, z)
		if z.Len() <= zsetSmall/2 && z.dict != nil {
			t.Fatalf("index kept at len %d", z.Len())
		}
	}
}

func TestRandomLevelDistribution(t *testing.T) {
	z := NewZSetSeed(42)
	counts := make([]int, zMaxLevel+1)
	const n = 1 << 20
	for range n {
		counts[z.randomLevel()]++
	}
	// P(level == k) = (3/4) * (1/4)^(k-1)
	for k, want := 1, 0.75*n; k <= 4; k, want = k+1, want/4 {
		if got := float64(counts[k]); math.Abs(got-want) > 0.03*want {
			t.Errorf("level %d: %v, want ~%v", k, got, want)
		}
	}
	// Same seed, same levels: the generator is deterministic.
	a, b := NewZSetSeed(5), NewZSetSeed(5)
	for range 100 {
		if a.randomLevel() != b.randomLevel() {
			t.Fatal("seeded generator not deterministic")
		}
	}
}

// ---- randomized model test ----

// zmodel is the obviously-correct reference: a slice kept sorted.
type zmodel []pair

func (m zmodel) find(member string) int {
	for i, p := range m {
		if p.m == member {
			return i
		}
	}
	return -1
}

func (m *zmodel) add(member string, score float64) bool {
	i := m.find(member)
	if i >= 0 {
		if (*m)[i].s == score {
			return false
		}
		*m = slices.Delete(*m, i, i+1)
	}
	j := sort.Search(len(*m), func(k int) bool { return !keyLess((*m)[k].s, (*m)[k].m, score, member) })
	*m = slices.Insert(*m, j, pair{member, score})
	return i < 0
}

func (m zmodel) filter(keep func(p pair) bool) zmodel {
	var out zmodel
	for _, p := range m {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

func window(ps []pair, rev bool, offset, count int) []pair {
	ps = slices.Clone(ps)
	if rev {
		slices.Reverse(ps)
	}
	if offset < 0 || offset >= len(ps) {
		return nil
	}
	ps = ps[offset:]
	if count >= 0 && count < len(ps) {
		ps = ps[:count]
	}
	if len(ps) == 0 {
		return nil
	}
	return ps
}

var modelScores = []float64{negInf, -3, -1.5, 0, 0, 1, 1, 1, 2, 2.5, 3, 7, 100, posInf}

// randScore mixes special values (ties, zeros, infinities) with a wider
// spread so that score ranges select varied slices of the set.
func randScore(r *rand.Rand) float64 {
	if r.IntN(2) == 0 {
		return modelScores[r.IntN(len(modelScores))]
	}
	return float64(r.IntN(1001)-500) / 4
}

func randScoreBound(r *rand.Rand) ScoreBound {
	b := ScoreBound{Value: randScore(r), Exclusive: r.IntN(3) == 0}
	if r.IntN(4) == 0 {
		b.Value += 0.25
	}
	return b
}

func randLexBound(r *rand.Rand, members int) LexBound {
	switch r.IntN(8) {
	case 0:
		return lexMin
	case 1:
		return lexMax
	}
	v := fmt.Sprintf("m%d", r.IntN(members+5))
	if r.IntN(4) == 0 {
		v = v[:r.IntN(len(v)+1)]
	}
	return LexBound{Value: v, Exclusive: r.IntN(2) == 0}
}

func inScore(p pair, min, max ScoreBound) bool { return aboveMin(p.s, min) && belowMax(p.s, max) }
func inLex(p pair, min, max LexBound) bool     { return lexAboveMin(p.m, min) && lexBelowMax(p.m, max) }

func eqPairs(a, b []pair) bool {
	return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b))
}

// runModel drives ZSet and zmodel with the same random operations. With
// lexOnly, all scores are 0 so lex ranges have their documented meaning.
// Bulk deletions run on about one op in 20*delRarity; raising it lets the
// set grow larger (and the skiplist taller).
func runModel(t *testing.T, seed uint64, ops, members, delRarity int, lexOnly bool) {
	r := rand.New(rand.NewPCG(seed, seed*31+7))
	z := NewZSetSeed(seed)
	var m zmodel
	score := func() float64 {
		if lexOnly {
			return 0
		}
		return randScore(r)
	}
	member := func() string { return fmt.Sprintf("m%d", r.IntN(members)) }
	for op := 0; op < ops; op++ {
		switch k := r.IntN(20); {
		case k < 7:
			mem, s := member(), score()
			if got, want := z.Add(mem, s), m.add(mem, s); got != want {
				t.Fatalf("op %d Add(%q,%v) = %v want %v", op, mem, s, got, want)
			}
		case k < 9:
			mem := member()
			i := m.find(mem)
			if i >= 0 {
				m = slices.Delete(m, i, i+1)
			}
			if got := z.Remove(mem); got != (i >= 0) {
				t.Fatalf("op %d Remove(%q) = %v", op, mem, got)
			}
		case k == 9:
			mem := member()
			i := m.find(mem)
			rev := r.IntN(2) == 0
			got, ok := z.Rank(mem, rev)
			want := i
			if rev && i >= 0 {
				want = len(m) - 1 - i
			}
			if ok != (i >= 0) || (ok && got != want) {
				t.Fatalf("op %d Rank(%q,%v) = %d %v want %d", op, mem, rev, got, ok, want)
			}
			if s, ok := z.Score(mem); ok != (i >= 0) || (ok && s != m[i].s) {
				t.Fatalf("op %d Score(%q)", op, mem)
			}
		case k == 10:
			start, stop := r.IntN(len(m)+3)-1, r.IntN(len(m)+3)-1
			rev := r.IntN(2) == 0
			var want []pair
			if s, e, ok := NormalizeRange(start, stop, len(m)); ok {
				want = window(m, rev, s, e-s+1)
				start, stop = s, e
			} else {
				start, stop = 1, 0
			}
			got := collect(func(fn func(string, float64) bool) { z.ByRank(start, stop, rev, fn) })
			if !eqPairs(got, want) {
				t.Fatalf("op %d ByRank(%d,%d,%v) = %v want %v", op, start, stop, rev, got, want)
			}
		case k == 11 && !lexOnly:
			lo, hi := randScoreBound(r), randScoreBound(r)
			rev := r.IntN(2) == 0
			offset, count := r.IntN(6)-1, r.IntN(8)-2
			if r.IntN(2) == 0 {
				offset, count = 0, -1
			}
			want := window(m.filter(func(p pair) bool { return inScore(p, lo, hi) }), rev, offset, count)
			got := collect(func(fn func(string, float64) bool) { z.RangeByScore(lo, hi, rev, offset, count, fn) })
			if !eqPairs(got, want) {
				t.Fatalf("op %d RangeByScore(%v,%v,%v,%d,%d) = %v want %v", op, lo, hi, rev, offset, count, got, want)
			}
			if c, wc := z.CountByScore(lo, hi), len(m.filter(func(p pair) bool { return inScore(p, lo, hi) })); c != wc {
				t.Fatalf("op %d CountByScore(%v,%v) = %d want %d", op, lo, hi, c, wc)
			}
		case k == 11 && lexOnly:
			lo, hi := randLexBound(r, members), randLexBound(r, members)
			rev := r.IntN(2) == 0
			offset, count := r.IntN(6)-1, r.IntN(8)-2
			if r.IntN(2) == 0 {
				offset, count = 0, -1
			}
			all := m.filter(func(p pair) bool { return inLex(p, lo, hi) })
			want := window(all, rev, offset, count)
			got := collect(func(fn func(string, float64) bool) { z.RangeByLex(lo, hi, rev, offset, count, fn) })
			if !eqPairs(got, want) {
				t.Fatalf("op %d RangeByLex(%v,%v,%v,%d,%d) = %v want %v", op, lo, hi, rev, offset, count, got, want)
			}
			if c := z.CountByLex(lo, hi); c != len(all) {
				t.Fatalf("op %d CountByLex(%v,%v) = %d want %d", op, lo, hi, c, len(all))
			}
		case k == 12 && r.IntN(delRarity) == 0: // range deletes are rarer so the set keeps some size
			if lexOnly {
				lo, hi := randLexBound(r, members), randLexBound(r, members)
				keep := m.filter(func(p pair) bool { return !inLex(p, lo, hi) })
				if n := z.RemoveRangeByLex(lo, hi); n != len(m)-len(keep) {
					t.Fatalf("op %d RemoveRangeByLex(%v,%v) = %d want %d", op, lo, hi, n, len(m)-len(keep))
				}
				m = keep
			} else {
				lo, hi := randScoreBound(r), randScoreBound(r)
				keep := m.filter(func(p pair) bool { return !inScore(p, lo, hi) })
				if n := z.RemoveRangeByScore(lo, hi); n != len(m)-len(keep) {
					t.Fatalf("op %d RemoveRangeByScore(%v,%v) = %d want %d", op, lo, hi, n, len(m)-len(keep))
				}
				m = keep
			}
		case k == 13 && r.IntN(delRarity) == 0:
			s, e, ok := NormalizeRange(r.IntN(len(m)+2)-1, r.IntN(len(m)+2)-1, len(m))
			if !ok {
				s, e = 1, 0
			}
			want := 0
			if ok {
				want = e - s + 1
				m = slices.Delete(m, s, e+1)
			}
			if n := z.RemoveRangeByRank(s, e); n != want {
				t.Fatalf("op %d RemoveRangeByRank(%d,%d) = %d want %d", op, s, e, n, want)
			}
		case k == 14 && r.IntN(delRarity) < 4:
			n := r.IntN(3)
			var wantM []string
			var wantS []float64
			var gotM []string
			var gotS []float64
			if r.IntN(2) == 0 {
				for _, p := range m[:min(n, len(m))] {
					wantM, wantS = append(wantM, p.m), append(wantS, p.s)
				}
				m = m[min(n, len(m)):]
				gotM, gotS = z.PopMin(n)
			} else {
				for i := len(m) - 1; i >= max(0, len(m)-n); i-- {
					wantM, wantS = append(wantM, m[i].m), append(wantS, m[i].s)
				}
				m = m[:max(0, len(m)-n)]
				gotM, gotS = z.PopMax(n)
			}
			if !slices.Equal(gotM, wantM) || !slices.Equal(gotS, wantS) {
				t.Fatalf("op %d Pop(%d) = %v %v want %v %v", op, n, gotM, gotS, wantM, wantS)
			}
		case k == 15 && r.IntN(20) == 0:
			z = z.Clone()
		case k == 16 && !lexOnly:
			mem, d := member(), randScore(r)
			i := m.find(mem)
			old := 0.0
			if i >= 0 {
				old = m[i].s
			}
			s, ok := z.IncrBy(mem, d)
			if math.IsNaN(old + d) {
				if ok {
					t.Fatalf("op %d IncrBy NaN accepted", op)
				}
			} else {
				if !ok || s != old+d {
					t.Fatalf("op %d IncrBy(%q,%v) = %v %v", op, mem, d, s, ok)
				}
				m.add(mem, old+d)
			}
		}
		if z.Len() != len(m) {
			t.Fatalf("op %d: Len %d want %d", op, z.Len(), len(m))
		}
		if op%97 == 0 || op == ops-1 {
			if op == ops-1 {
				t.Logf("final size %d, height %d", z.Len(), len(z.head.level))
			}
			checkZSet(t, z)
			if got := collect(z.Each); !eqPairs(got, m) {
				t.Fatalf("op %d: contents %v want %v", op, got, m)
			}
		}
	}
}

func TestZSetModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run(fmt.Sprint("scores/", seed), func(t *testing.T) { runModel(t, seed, 6000, 150, 4, false) })
		t.Run(fmt.Sprint("lex/", seed), func(t *testing.T) { runModel(t, seed, 6000, 150, 4, true) })
	}
	// A small member pool keeps the set tiny and exercises empty/near-empty
	// edge cases and frequent height changes.
	t.Run("tiny", func(t *testing.T) { runModel(t, 99, 6000, 4, 4, false) })
	t.Run("tinylex", func(t *testing.T) { runModel(t, 98, 6000, 4, 4, true) })
	// A larger pool gives taller lists (more levels, longer spans).
	t.Run("large", func(t *testing.T) { runModel(t, 7, 15000, 3000, 400, false) })
	t.Run("largelex", func(t *testing.T) { runModel(t, 8, 15000, 3000, 400, true) })
}

func TestNormalizeRange(t *testing.T) {
	tests := []struct {
		start, stop, n int
		s, e           int
		ok             bool
	}{
		{0, -1, 5, 0, 4, true},
		{-2, -1, 5, 3, 4, true},
		{-100, 1, 5, 0, 1, true},
		{1, 100, 5, 1, 4, true},
		{3, 2, 5, 0, -1, false},
		{5, 10, 5, 0, -1, false},
		{0, -1, 0, 0, -1, false},
		{0, -6, 5, 0, -1, false},
		{-1, -1, 1, 0, 0, true},
	}
	for _, tt := range tests {
		s, e, ok := NormalizeRange(tt.start, tt.stop, tt.n)
		if s != tt.s || e != tt.e || ok != tt.ok {
			t.Errorf("NormalizeRange(%d,%d,%d) = %d,%d,%v want %d,%d,%v", tt.start, tt.stop, tt.n, s, e, ok, tt.s, tt.e, tt.ok)
		}
	}
}
