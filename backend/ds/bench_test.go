package ds

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func benchMembers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "member:" + strconv.Itoa(i)
	}
	return out
}

// BenchmarkZSetAdd measures inserting new members with random scores into a
// set that grows to 1M elements, i.e. insert cost at realistic depths.
func BenchmarkZSetAdd(b *testing.B) {
	const n = 1 << 20
	members := benchMembers(n)
	r := rand.New(rand.NewPCG(1, 2))
	scores := make([]float64, n)
	for i := range scores {
		scores[i] = r.Float64() * 1e6
	}
	z := NewZSetSeed(1)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == n {
			b.StopTimer()
			z, i = NewZSetSeed(1), 0
			b.StartTimer()
		}
		z.Add(members[i], scores[i])
		i++
	}
}

// BenchmarkZSetUpdate measures re-scoring existing members (ZINCRBY-style).
func BenchmarkZSetUpdate(b *testing.B) {
	const n = 100000
	members := benchMembers(n)
	r := rand.New(rand.NewPCG(3, 4))
	z := NewZSetSeed(1)
	for _, m := range members {
		z.Add(m, r.Float64()*1e6)
	}
	b.ReportAllocs()
	for b.Loop() {
		z.Add(members[r.IntN(n)], r.Float64()*1e6)
	}
}

// BenchmarkZSetRangeByScore fetches 10-element windows (with and without a
// deep LIMIT offset) from a 1M element set.
func BenchmarkZSetRangeByScore(b *testing.B) {
	const n = 1 << 20
	z := NewZSetSeed(1)
	for i, m := range benchMembers(n) {
		z.Add(m, float64(i))
	}
	r := rand.New(rand.NewPCG(5, 6))
	sink := 0
	fn := func(string, float64) bool { sink++; return true }
	for _, bc := range []struct {
		name   string
		offset int
		rev    bool
	}{{"fwd", 0, false}, {"rev", 0, true}, {"offset100k", 100000, false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lo := float64(r.IntN(n / 2))
				z.RangeByScore(ScoreBound{Value: lo}, ScoreBound{Value: float64(n)}, bc.rev, bc.offset, 10, fn)
			}
		})
	}
	_ = sink
}

func BenchmarkZSetRank(b *testing.B) {
	const n = 1 << 20
	members := benchMembers(n)
	z := NewZSetSeed(1)
	for i, m := range members {
		z.Add(m, float64(i))
	}
	r := rand.New(rand.NewPCG(7, 8))
	b.ReportAllocs()
	for b.Loop() {
		z.Rank(members[r.IntN(n)], false)
	}
}

func BenchmarkDequePush(b *testing.B) {
	v := []byte("value")
	b.Run("back", func(b *testing.B) {
		d := NewDeque()
		b.ReportAllocs()
		for b.Loop() {
			// Lists are mostly small: measure growth from empty to 1024.
			d.PushBack(v)
			if d.Len() == 1024 {
				d.Clear()
			}
		}
	})
	b.Run("front+popback", func(b *testing.B) {
		d := NewDeque()
		for range 64 {
			d.PushBack(v)
		}
		b.ReportAllocs()
		for b.Loop() {
			d.PushFront(v)
			d.PopBack()
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	key := []byte("user:12345:session:abcdef")
	long := []byte(strings.Repeat("a", 10000))
	for _, bc := range []struct {
		name string
		pat  []byte
		str  []byte
	}{
		{"prefix", []byte("user:*"), key},
		{"middle", []byte("user:*:session:*"), key},
		{"class", []byte("user:[0-9]*:s?ssion:*"), key},
		{"pathological", []byte("a*a*a*a*a*a*a*b"), long},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				Match(bc.pat, bc.str, false)
			}
		})
	}
}
