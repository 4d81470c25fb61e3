package ds

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestDictModel runs random operations against a Dict and a Go map and
// checks they agree, including through incremental rehashes both ways.
func TestDictModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := NewDict[int]()
	m := map[string]int{}
	for i := 0; i < 200000; i++ {
		k := strconv.Itoa(r.IntN(5000))
		switch op := r.IntN(10); {
		case op < 5:
			_, isNew := d.Set(k, i)
			_, had := m[k]
			if isNew == had {
				t.Fatalf("op %d: Set(%s) new=%v but map had=%v", i, k, isNew, had)
			}
			m[k] = i
		case op < 8:
			v, ok := d.Delete(k)
			mv, mok := m[k]
			if ok != mok || (ok && v != mv) {
				t.Fatalf("op %d: Delete(%s) = %d,%v want %d,%v", i, k, v, ok, mv, mok)
			}
			delete(m, k)
		default:
			p := d.Get(k)
			mv, mok := m[k]
			if (p != nil) != mok || (p != nil && *p != mv) {
				t.Fatalf("op %d: Get(%s) mismatch", i, k)
			}
		}
		if d.Len() != len(m) {
			t.Fatalf("op %d: Len %d want %d", i, d.Len(), len(m))
		}
		// Phases: grow, then shrink hard to exercise both rehash ways.
		if i == 100000 {
			for k := range m {
				d.Delete(k)
				delete(m, k)
			}
		}
	}
	seen := 0
	d.Each(func(k string, v *int) bool {
		if m[k] != *v {
			t.Fatalf("Each: %s=%d want %d", k, *v, m[k])
		}
		seen++
		return true
	})
	if seen != len(m) {
		t.Fatalf("Each saw %d of %d", seen, len(m))
	}
}

// TestDictScanGuarantee checks SCAN's contract: keys present for the whole
// scan are returned at least once while other keys are added and removed
// between calls, forcing resizes mid-scan.
func TestDictScanGuarantee(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		d := NewDict[struct{}]()
		stable := map[string]bool{}
		for i := 0; i < 300; i++ {
			k := "stable:" + strconv.Itoa(i)
			d.Set(k, struct{}{})
			stable[k] = false
		}
		var cursor uint64
		churn := 0
		for {
			cursor = d.Scan(cursor, func(k string, _ *struct{}) {
				if _, ok := stable[k]; ok {
					stable[k] = true
				}
			})
			// Grow a lot, or shrink, between calls.
			// Bounded growth: a table that doubles faster than the
			// cursor advances would never finish.
			n := r.IntN(40)
			if r.IntN(2) == 0 && churn < 4000 {
				for j := 0; j < n; j++ {
					d.Set("churn:"+strconv.Itoa(churn), struct{}{})
					churn++
				}
			} else {
				for j := 0; j < n && churn > 0; j++ {
					d.Delete("churn:" + strconv.Itoa(r.IntN(churn)))
				}
			}
			if cursor == 0 {
				break
			}
		}
		for k, ok := range stable {
			if !ok {
				t.Fatalf("seed %d: %s never returned by scan", seed, k)
			}
		}
	}
}

func TestDictRandom(t *testing.T) {
	d := NewDict[int]()
	if k, v := d.Random(nil); k != "" || v != nil {
		t.Fatalf("random on empty dict returned %q", k)
	}
	for i := 0; i < 64; i++ {
		d.Set(strconv.Itoa(i), i)
	}
	counts := map[string]int{}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 64000; i++ {
		k, v := d.Random(r)
		if strconv.Itoa(*v) != k {
			t.Fatalf("random returned %s=%d", k, *v)
		}
		counts[k]++
	}
	if len(counts) != 64 {
		t.Fatalf("random reached %d of 64 keys", len(counts))
	}
}

func BenchmarkDictSetGet(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
	}
	d := NewDict[int]()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)]
		d.Set(k, i)
		_ = d.Get(k)
	}
}

func TestDictExpand(t *testing.T) {
	tests := []struct {
		name        string
		before, n   int
		wantBuckets int
		rehashing   bool
	}{
		{"empty", 0, 1000, 1024, false},
		{"empty tiny", 0, 1, dictMinSize, false},
		{"grows a full dict by rehash", 100, 5000, 8192, true},
		{"never shrinks", 100, 10, 128, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDict[int]()
			for i := 0; i < tt.before; i++ {
				d.Set(strconv.Itoa(i), i)
			}
			for d.rehashing() {
				d.step()
			}
			d.Expand(tt.n)
			if d.rehashing() != tt.rehashing {
				t.Fatalf("rehashing = %v", d.rehashing())
			}
			for d.rehashing() {
				d.step()
			}
			if got := len(d.t[0].buckets); got != tt.wantBuckets {
				t.Fatalf("buckets = %d, want %d", got, tt.wantBuckets)
			}
			for i := 0; i < tt.before; i++ {
				if v := d.Get(strconv.Itoa(i)); v == nil || *v != i {
					t.Fatalf("key %d lost", i)
				}
			}
			if tt.before == 0 {
				for i := 0; i < tt.n; i++ {
					d.Set(strconv.Itoa(i), i)
				}
				if d.rehashing() || len(d.t[0].buckets) != tt.wantBuckets {
					t.Fatalf("inserting %d keys after Expand(%d) resized the table", tt.n, tt.n)
				}
			}
		})
	}
}
