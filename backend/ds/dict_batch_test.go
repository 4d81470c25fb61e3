package ds

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestRevInc pins the reverse-binary cursor sequence: buckets are visited in
// the order of their reversed index, and bits above the mask (a cursor from
// a larger table) carry out instead of being lost in the low bits.
func TestRevInc(t *testing.T) {
	tests := []struct {
		name   string
		mask   uint64
		cursor uint64
		want   uint64
	}{
		{"size 1 wraps at once", 0, 0, 0},
		{"size 4: 0 then 2", 3, 0, 2},
		{"size 4: 2 then 1", 3, 2, 1},
		{"size 4: 1 then 3", 3, 1, 3},
		{"size 4: 3 ends", 3, 3, 0},
		{"size 8: 0 then 4", 7, 0, 4},
		{"size 8: 6 then 1", 7, 6, 1},
		{"size 8: 7 ends", 7, 7, 0},
		{"cursor of a size-8 table on size 4", 3, 5, 3},
		{"cursor of a size-8 table ending on size 4", 3, 7, 0},
		{"cursor of a size-4 table on size 8", 7, 2, 6},
		{"full 64-bit mask", ^uint64(0), 1 << 63, 1 << 62},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := revInc(tt.cursor, tt.mask); got != tt.want {
				t.Fatalf("revInc(%d, %d) = %d, want %d", tt.cursor, tt.mask, got, tt.want)
			}
		})
	}
	// Whatever the size, the sequence from 0 visits every bucket once.
	for _, size := range []uint64{1, 2, 4, 64, 1024} {
		seen := map[uint64]bool{}
		c := uint64(0)
		for {
			if seen[c] {
				t.Fatalf("size %d: bucket %d visited twice", size, c)
			}
			seen[c] = true
			if c = revInc(c, size-1); c == 0 {
				break
			}
		}
		if uint64(len(seen)) != size {
			t.Fatalf("size %d: %d buckets visited", size, len(seen))
		}
	}
}

// settle finishes any rehash in progress, so a test starts from a known
// single-table layout.
func settle[V any](d *Dict[V]) {
	for d.rehashing() {
		d.step()
	}
}

func dictOf(n int) *Dict[int] {
	d := NewDict[int]()
	for i := 0; i < n; i++ {
		d.Set("k"+strconv.Itoa(i), i)
	}
	settle(d)
	return d
}

// TestDictScanBatch checks when a batch stops, against the plain Scan calls
// it stands for: after the first bucket that brings the elements seen to
// count, at the end of the scan, or after 1+maxSteps buckets.
func TestDictScanBatch(t *testing.T) {
	tests := []struct {
		name            string
		size, keep      int // elements inserted, then deleted down to keep
		count, maxSteps int
		wantDone        bool // cursor 0 after one batch
		wantFewer       bool // fewer than count elements returned
	}{
		{"empty dict", 0, 0, 10, 100, true, true},
		{"count above size: everything at once", 50, 50, 1000, 10000, true, true},
		{"count 10 of 1000 stops early", 1000, 1000, 10, 100, false, false},
		{"count 1 takes one bucket's chain", 1000, 1000, 1, 10, false, false},
		{"sparse table stops after maxSteps", 1024, 130, 100, 5, false, true},
		{"no steps: one bucket only", 1024, 1024, 1000, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dictOf(tt.size)
			for i := tt.keep; i < tt.size; i++ {
				d.Delete("k" + strconv.Itoa(i))
			}
			if d.rehashing() && tt.keep*8 >= tt.size {
				t.Fatalf("setup: unexpected rehash")
			}
			var got []string
			next := d.ScanBatch(0, tt.count, tt.maxSteps, func(k string, v *int) {
				if "k"+strconv.Itoa(*v) != k {
					t.Fatalf("%s holds %d", k, *v)
				}
				got = append(got, k)
			})
			// The same walk with Scan, one bucket at a time.
			var want []string
			cursor, calls := uint64(0), 0
			for {
				cursor = d.Scan(cursor, func(k string, _ *int) { want = append(want, k) })
				calls++
				if cursor == 0 || len(want) >= tt.count || calls > tt.maxSteps {
					break
				}
			}
			if next != cursor || !slices.Equal(got, want) {
				t.Fatalf("batch = %d %q, scans give %d %q", next, got, cursor, want)
			}
			if (next == 0) != tt.wantDone {
				t.Fatalf("cursor %d, want done=%v", next, tt.wantDone)
			}
			if (len(got) < tt.count) != tt.wantFewer {
				t.Fatalf("%d elements for count %d, want fewer=%v", len(got), tt.count, tt.wantFewer)
			}
			if tt.wantDone && len(got) != d.Len() {
				t.Fatalf("complete batch returned %d of %d", len(got), d.Len())
			}
		})
	}
}

// TestDictScanBatchAcrossResizes continues batches with cursors that were
// issued by a table of another size: grown 16 times, shrunk back, and in
// the middle of rehashes. Every key present throughout must be returned.
func TestDictScanBatchAcrossResizes(t *testing.T) {
	for seed := uint64(0); seed < 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		d := dictOf(1000)
		seen := map[string]bool{}
		cursor, calls, extra := uint64(0), 0, 0
		for {
			cursor = d.ScanBatch(cursor, 1+r.IntN(20), 50, func(k string, _ *int) { seen[k] = true })
			calls++
			if cursor == 0 {
				break
			}
			switch {
			case calls == 10:
				d.Expand(16 * 1024) // starts a rehash: the next cursors span two tables
			case calls < 40 && extra < 15000:
				for j := 0; j < 500; j++ {
					d.Set("x"+strconv.Itoa(extra), -1)
					extra++
				}
			case calls >= 40:
				for j := 0; j < 400 && extra > 0; j++ {
					extra--
					d.Delete("x" + strconv.Itoa(extra))
				}
			}
			if calls > 100000 {
				t.Fatalf("seed %d: scan does not end", seed)
			}
		}
		for i := 0; i < 1000; i++ {
			if !seen["k"+strconv.Itoa(i)] {
				t.Fatalf("seed %d: k%d never returned (%d calls)", seed, i, calls)
			}
		}
	}
}

// TestDictClone checks that a clone has the same contents and layout (so
// a scan cursor walks both alike), including mid-rehash, and shares nothing
// mutable with the original.
func TestDictClone(t *testing.T) {
	if (*Dict[int])(nil).Clone() != nil {
		t.Fatalf("nil clone")
	}
	for _, rehash := range []bool{false, true} {
		d := dictOf(300)
		if rehash {
			d.Expand(4096)
			for i := 0; i < 20; i++ {
				d.step()
			}
			if !d.rehashing() {
				t.Fatalf("setup: not rehashing")
			}
		}
		c := d.Clone()
		if c.Len() != d.Len() || c.rehashing() != d.rehashing() {
			t.Fatalf("rehash=%v: clone len %d rehashing %v", rehash, c.Len(), c.rehashing())
		}
		walk := func(d *Dict[int]) (keys []string) {
			cursor := uint64(0)
			for {
				cursor = d.Scan(cursor, func(k string, _ *int) { keys = append(keys, k) })
				if cursor == 0 {
					return keys
				}
			}
		}
		if a, b := walk(d), walk(c); !slices.Equal(a, b) {
			t.Fatalf("rehash=%v: scans differ", rehash)
		}
		*c.Get("k1") = 100
		c.Delete("k2")
		c.Set("new", 1)
		if *d.Get("k1") != 1 || d.Get("k2") == nil || d.Get("new") != nil || d.Len() != 300 {
			t.Fatalf("rehash=%v: changing the clone changed the original", rehash)
		}
		for i := 3; i < 300; i++ {
			k := "k" + strconv.Itoa(i)
			if v := c.Get(k); v == nil || *v != i {
				t.Fatalf("rehash=%v: clone lost %s", rehash, k)
			}
		}
	}
}

// TestZSetScanBatch covers ZSCAN's two regimes: a set without a member map
// is returned whole and in order whatever the cursor, a bigger one is
// walked incrementally through its map.
func TestZSetScanBatch(t *testing.T) {
	small := NewZSetSeed(1)
	for i := 0; i < zsetSmall; i++ {
		small.Add("m"+strconv.Itoa(i), float64(-i))
	}
	for _, cursor := range []uint64{0, 12345} {
		var got []string
		if next := small.ScanBatch(cursor, 1, 0, func(m string, _ float64) { got = append(got, m) }); next != 0 {
			t.Fatalf("small set: cursor %d", next)
		}
		if len(got) != zsetSmall || got[0] != "m31" || got[zsetSmall-1] != "m0" {
			t.Fatalf("small set from %d: %q", cursor, got)
		}
	}

	big := NewZSetSeed(2)
	const n = 2000
	for i := 0; i < n; i++ {
		big.Add("m"+strconv.Itoa(i), float64(i)/4)
	}
	seen := map[string]int{}
	cursor, calls := uint64(0), 0
	for {
		cursor = big.ScanBatch(cursor, 10, 200, func(m string, s float64) {
			if "m"+strconv.Itoa(int(s*4)) != m {
				t.Fatalf("%s has score %v", m, s)
			}
			seen[m]++
		})
		calls++
		if cursor == 0 {
			break
		}
	}
	if len(seen) != n || calls < n/40 {
		t.Fatalf("big set: %d members in %d calls", len(seen), calls)
	}
}

// TestZSetScanAcrossMapRebuild continues a scan after the member map was
// dropped (the set fell to zsetSmall/2) and rebuilt (it grew past
// zsetSmall): the cursor of the old map must still be good for the new
// one, so members present throughout are all returned.
func TestZSetScanAcrossMapRebuild(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		z := NewZSetSeed(seed)
		for i := 0; i < 1000; i++ {
			z.Add("m"+strconv.Itoa(i), float64(i))
		}
		seen := map[string]bool{}
		visit := func(m string, _ float64) { seen[m] = true }
		cursor := z.ScanBatch(0, 10, 100, visit)
		for i := 0; i < 30; i++ {
			cursor = z.ScanBatch(cursor, 10, 100, visit)
		}
		for i := 10; i < 1000; i++ {
			z.Remove("m" + strconv.Itoa(i))
		}
		if z.dict != nil {
			t.Fatalf("setup: the map is still there")
		}
		for i := 1000; i < 1100; i++ {
			z.Add("m"+strconv.Itoa(i), float64(i))
		}
		for cursor != 0 {
			cursor = z.ScanBatch(cursor, 10, 100, visit)
		}
		for i := 0; i < 10; i++ {
			if !seen["m"+strconv.Itoa(i)] {
				t.Fatalf("seed %d: m%d never returned", seed, i)
			}
		}
	}
}
