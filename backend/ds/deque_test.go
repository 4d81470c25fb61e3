package ds

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// checkDeque verifies the ring invariants: power-of-two capacity, element
// count within capacity, and every vacant slot cleared (so popped values are
// not kept alive by the buffer).
func checkDeque(t testing.TB, d *Deque) {
	t.Helper()
	c := len(d.buf)
	if c != 0 && bits.OnesCount(uint(c)) != 1 {
		t.Fatalf("capacity %d not a power of two", c)
	}
	if d.n > c || d.n < 0 || (c > 0 && (d.head < 0 || d.head >= c)) {
		t.Fatalf("n=%d head=%d cap=%d", d.n, d.head, c)
	}
	for i := d.n; i < c; i++ {
		if d.buf[d.slot(i)] != nil {
			t.Fatalf("vacant slot %d (logical %d) not cleared", d.slot(i), i)
		}
	}
	if c > dequeMinShrink && d.n <= c/4 {
		t.Fatalf("capacity %d not shrunk for %d elements", c, d.n)
	}
}

func contents(d *Deque) []string {
	var out []string
	d.Each(func(v []byte) bool { out = append(out, string(v)); return true })
	return out
}

func dequeOf(vs ...string) *Deque {
	d := NewDeque()
	for _, v := range vs {
		d.PushBack([]byte(v))
	}
	return d
}

func TestDequeEmpty(t *testing.T) {
	d := NewDeque()
	if d.Len() != 0 {
		t.Fatal("Len")
	}
	if _, ok := d.PopFront(); ok {
		t.Fatal("PopFront on empty")
	}
	if _, ok := d.PopBack(); ok {
		t.Fatal("PopBack on empty")
	}
	if _, ok := d.Index(0); ok {
		t.Fatal("Index(0) on empty")
	}
	if _, ok := d.Index(-1); ok {
		t.Fatal("Index(-1) on empty")
	}
	if d.Set(0, []byte("x")) {
		t.Fatal("Set on empty")
	}
	if d.Insert(0, true, []byte("x")) {
		t.Fatal("Insert with no pivot")
	}
	if _, ok := d.RemoveAt(0); ok {
		t.Fatal("RemoveAt on empty")
	}
	if d.RemoveIf(0, func([]byte) bool { return true }) != 0 {
		t.Fatal("RemoveIf on empty")
	}
	if d.IndexOf([]byte("x")) != -1 {
		t.Fatal("IndexOf on empty")
	}
	d.Trim(0, -1)
	d.Range(0, 10, func([]byte) bool { t.Fatal("Range on empty"); return true })
	if c := d.Clone(); c.Len() != 0 {
		t.Fatal("Clone of empty")
	}
	// InsertAt(0) on empty is a plain push.
	if !d.InsertAt(0, []byte("x")) || d.Len() != 1 {
		t.Fatal("InsertAt(0) on empty")
	}
	checkDeque(t, d)
}

func TestDequePushPopIndex(t *testing.T) {
	d := NewDeque()
	d.PushBack([]byte("b"))
	d.PushFront([]byte("a"))
	d.PushBack([]byte("c"))
	d.PushFront([]byte("z"))
	if got := strings.Join(contents(d), ""); got != "zabc" {
		t.Fatalf("contents %q", got)
	}
	for i, want := range []string{"z", "a", "b", "c"} {
		if v, ok := d.Index(i); !ok || string(v) != want {
			t.Fatalf("Index(%d) = %q", i, v)
		}
		if v, ok := d.Index(i - 4); !ok || string(v) != want {
			t.Fatalf("Index(%d) = %q", i-4, v)
		}
	}
	if _, ok := d.Index(4); ok {
		t.Fatal("Index(4)")
	}
	if _, ok := d.Index(-5); ok {
		t.Fatal("Index(-5)")
	}
	if !d.Set(-1, []byte("C")) || !d.Set(0, []byte("Z")) || d.Set(4, nil) || d.Set(-5, nil) {
		t.Fatal("Set")
	}
	if v, _ := d.PopBack(); string(v) != "C" {
		t.Fatalf("PopBack = %q", v)
	}
	if v, _ := d.PopFront(); string(v) != "Z" {
		t.Fatalf("PopFront = %q", v)
	}
	if got := strings.Join(contents(d), ""); got != "ab" {
		t.Fatalf("contents %q", got)
	}
	// Empty strings are valid elements.
	d.PushBack([]byte{})
	if v, ok := d.Index(-1); !ok || len(v) != 0 {
		t.Fatal("empty element")
	}
	checkDeque(t, d)
}

func TestDequeGrowShrink(t *testing.T) {
	d := NewDeque()
	for i := range 1000 {
		if i%2 == 0 {
			d.PushBack([]byte(fmt.Sprint(i)))
		} else {
			d.PushFront([]byte(fmt.Sprint(i)))
		}
	}
	if len(d.buf) != 1024 {
		t.Fatalf("cap %d", len(d.buf))
	}
	for d.Len() > 3 {
		d.PopFront()
		checkDeque(t, d)
	}
	if len(d.buf) > dequeMinShrink {
		t.Fatalf("cap %d after draining", len(d.buf))
	}
	d.PopBack()
	d.PopBack()
	d.PopBack()
	checkDeque(t, d)
}

func TestDequeInsertRemoveAt(t *testing.T) {
	for n := 0; n <= 9; n++ {
		for i := 0; i <= n; i++ {
			for _, pre := range []int{0, 3, 7} { // rotate the ring so wraps occur
				d := NewDeque()
				var want []string
				for range pre {
					d.PushBack([]byte("x"))
				}
				for k := range n {
					d.PushBack([]byte(fmt.Sprint(k)))
					want = append(want, fmt.Sprint(k))
				}
				for range pre {
					d.PopFront()
				}
				if !d.InsertAt(i, []byte("new")) {
					t.Fatal("InsertAt failed")
				}
				w := slices.Insert(slices.Clone(want), i, "new")
				if got := contents(d); !slices.Equal(got, w) {
					t.Fatalf("n=%d InsertAt(%d): %q want %q", n, i, got, w)
				}
				checkDeque(t, d)
				if v, ok := d.RemoveAt(i); !ok || string(v) != "new" {
					t.Fatalf("RemoveAt(%d) = %q", i, v)
				}
				if got := contents(d); !slices.Equal(got, want) {
					t.Fatalf("n=%d after RemoveAt(%d): %q want %q", n, i, got, want)
				}
				checkDeque(t, d)
			}
		}
	}
	d := dequeOf("a", "b", "c")
	if d.InsertAt(-1, nil) || d.InsertAt(4, nil) {
		t.Fatal("InsertAt out of range")
	}
	if _, ok := d.RemoveAt(3); ok {
		t.Fatal("RemoveAt out of range")
	}
	if !d.Insert(0, true, []byte("<a")) || !d.Insert(3, false, []byte("c>")) || !d.Insert(d.IndexOf([]byte("b")), false, []byte("b>")) {
		t.Fatal("Insert")
	}
	if got := strings.Join(contents(d), " "); got != "<a a b b> c c>" {
		t.Fatalf("Insert result %q", got)
	}
	if d.Insert(-1, true, nil) || d.Insert(6, true, nil) {
		t.Fatal("Insert with bad pivot")
	}
}

func TestDequeRemoveIf(t *testing.T) {
	isA := func(v []byte) bool { return string(v) == "a" }
	tests := []struct {
		in    string
		count int
		n     int
		want  string
	}{
		{"a b a c a", 0, 3, "b c"},
		{"a b a c a", 1, 1, "b a c a"},
		{"a b a c a", 2, 2, "b c a"},
		{"a b a c a", 10, 3, "b c"},
		{"a b a c a", -1, 1, "a b a c"},
		{"a b a c a", -2, 2, "a b c"},
		{"a b a c a", -10, 3, "b c"},
		{"b c", 0, 0, "b c"},
		{"b c", -1, 0, "b c"},
		{"a a a", 0, 3, ""},
		{"a a a", -3, 3, ""},
	}
	for _, tt := range tests {
		d := dequeOf(strings.Fields(tt.in)...)
		if n := d.RemoveIf(tt.count, isA); n != tt.n {
			t.Errorf("RemoveIf(%q,%d) = %d want %d", tt.in, tt.count, n, tt.n)
		}
		if got := strings.Join(contents(d), " "); got != tt.want {
			t.Errorf("RemoveIf(%q,%d) left %q want %q", tt.in, tt.count, got, tt.want)
		}
		checkDeque(t, d)
	}
}

func TestDequeTrimRange(t *testing.T) {
	tests := []struct {
		start, stop int
		want        string
	}{
		{0, 4, "0 1 2 3 4"},
		{1, 3, "1 2 3"},
		{4, 4, "4"},
		{0, 0, "0"},
		{3, 2, ""},
		{2, 100, "2 3 4"},
		{5, 9, ""},
		{-3, 1, "0 1"},
	}
	for _, tt := range tests {
		d := dequeOf("0", "1", "2", "3", "4")
		var got []string
		d.Range(tt.start, tt.stop, func(v []byte) bool { got = append(got, string(v)); return true })
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("Range(%d,%d) = %q want %q", tt.start, tt.stop, g, tt.want)
		}
		d.Trim(tt.start, tt.stop)
		if g := strings.Join(contents(d), " "); g != tt.want {
			t.Errorf("Trim(%d,%d) = %q want %q", tt.start, tt.stop, g, tt.want)
		}
		checkDeque(t, d)
	}
	d := dequeOf("0", "1", "2")
	n := 0
	d.Range(0, 2, func([]byte) bool { n++; return false })
	if n != 1 {
		t.Fatal("Range early stop")
	}
	// Trimming a big deque down releases memory.
	big := NewDeque()
	for range 4096 {
		big.PushBack([]byte("x"))
	}
	big.Trim(10, 12)
	checkDeque(t, big)
	if len(big.buf) > dequeMinShrink {
		t.Fatalf("cap %d after trim", len(big.buf))
	}
}

func TestDequeClone(t *testing.T) {
	d := NewDeque()
	for i := range 13 {
		d.PushFront([]byte(fmt.Sprint(i)))
	}
	c := d.Clone()
	checkDeque(t, c)
	if !slices.Equal(contents(c), contents(d)) {
		t.Fatal("clone differs")
	}
	c.PushBack([]byte("x"))
	c.Set(0, []byte("y"))
	if d.Len() != 13 || string(must(d.Index(0))) != "12" {
		t.Fatal("clone shares buffer")
	}
}

func must(v []byte, ok bool) []byte {
	if !ok {
		panic("missing")
	}
	return v
}

// TestDequeModel compares Deque with a plain slice over random operations.
func TestDequeModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		r := rand.New(rand.NewPCG(seed, 99))
		d := NewDeque()
		var m [][]byte
		val := func() []byte { return []byte(fmt.Sprint(r.IntN(6))) }
		for op := range 20000 {
			// Bias toward growth early, then toward shrinking, so both the
			// grow and shrink paths run at several sizes.
			grow := (op/2500)%2 == 0
			switch k := r.IntN(16); {
			case k < 3 || (grow && k < 5):
				v := val()
				d.PushBack(v)
				m = append(m, v)
			case k < 6:
				v := val()
				d.PushFront(v)
				m = slices.Insert(m, 0, v)
			case k == 6:
				v, ok := d.PopFront()
				if ok != (len(m) > 0) || (ok && !bytes.Equal(v, m[0])) {
					t.Fatalf("seed %d op %d PopFront", seed, op)
				}
				if ok {
					m = m[1:]
				}
			case k == 7:
				v, ok := d.PopBack()
				if ok != (len(m) > 0) || (ok && !bytes.Equal(v, m[len(m)-1])) {
					t.Fatalf("seed %d op %d PopBack", seed, op)
				}
				if ok {
					m = m[:len(m)-1]
				}
			case k == 8:
				i := r.IntN(2*len(m)+3) - len(m) - 1
				v, ok := d.Index(i)
				j := i
				if j < 0 {
					j += len(m)
				}
				if ok != (j >= 0 && j < len(m)) || (ok && !bytes.Equal(v, m[j])) {
					t.Fatalf("seed %d op %d Index(%d)", seed, op, i)
				}
				nv := val()
				if d.Set(i, nv) != ok {
					t.Fatalf("seed %d op %d Set(%d)", seed, op, i)
				}
				if ok {
					m[j] = nv
				}
			case k == 9:
				i := r.IntN(len(m) + 1)
				v := val()
				d.InsertAt(i, v)
				m = slices.Insert(m, i, v)
			case k == 10 && len(m) > 0:
				i := r.IntN(len(m))
				v, _ := d.RemoveAt(i)
				if !bytes.Equal(v, m[i]) {
					t.Fatalf("seed %d op %d RemoveAt", seed, op)
				}
				m = slices.Delete(m, i, i+1)
			case k == 11 && !grow:
				count := r.IntN(7) - 3
				target := val()
				eq := func(v []byte) bool { return bytes.Equal(v, target) }
				want := lremModel(m, count, eq)
				n := d.RemoveIf(count, eq)
				if n != len(m)-len(want) {
					t.Fatalf("seed %d op %d RemoveIf(%d) = %d want %d", seed, op, count, n, len(m)-len(want))
				}
				m = want
			case k == 12 && r.IntN(8) == 0:
				s, e, ok := NormalizeRange(r.IntN(len(m)+4)-2, r.IntN(len(m)+4)-2, len(m))
				if ok {
					m = m[s : e+1]
				} else {
					s, e, m = 1, 0, nil
				}
				d.Trim(s, e)
			case k == 13:
				s, e, ok := NormalizeRange(r.IntN(len(m)+4)-2, r.IntN(len(m)+4)-2, len(m))
				var got, want [][]byte
				if ok {
					want = m[s : e+1]
				} else {
					s, e = 1, 0
				}
				d.Range(s, e, func(v []byte) bool { got = append(got, v); return true })
				if len(got) != len(want) || (len(got) > 0 && !slices.EqualFunc(got, want, bytes.Equal)) {
					t.Fatalf("seed %d op %d Range(%d,%d)", seed, op, s, e)
				}
			case k == 14 && r.IntN(10) == 0:
				d = d.Clone()
			case k == 15:
				v := val()
				j := slices.IndexFunc(m, func(x []byte) bool { return bytes.Equal(x, v) })
				if got := d.IndexOf(v); got != j {
					t.Fatalf("seed %d op %d IndexOf = %d want %d", seed, op, got, j)
				}
			}
			if d.Len() != len(m) {
				t.Fatalf("seed %d op %d: Len %d want %d", seed, op, d.Len(), len(m))
			}
			if op%50 == 0 {
				checkDeque(t, d)
				var got [][]byte
				d.Each(func(v []byte) bool { got = append(got, v); return true })
				if len(got) != len(m) || (len(m) > 0 && !slices.EqualFunc(got, m, bytes.Equal)) {
					t.Fatalf("seed %d op %d: contents differ", seed, op)
				}
			}
		}
	}
}

func lremModel(m [][]byte, count int, pred func([]byte) bool) [][]byte {
	out := slices.Clone(m)
	removed := 0
	limit := count
	switch {
	case count == 0:
		limit = len(m)
	case count < 0:
		limit = -count
	}
	if count >= 0 {
		for i := 0; i < len(out) && removed < limit; {
			if pred(out[i]) {
				out = slices.Delete(out, i, i+1)
				removed++
			} else {
				i++
			}
		}
	} else {
		for i := len(out) - 1; i >= 0 && removed < limit; i-- {
			if pred(out[i]) {
				out = slices.Delete(out, i, i+1)
				removed++
			}
		}
	}
	return out
}
