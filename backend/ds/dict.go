package ds

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// Dict is a chained hash table keyed by string with the two properties Go
// maps lack and a Redis keyspace needs:
//
//   - a stateless scan cursor with SCAN's guarantee (every element present
//     for the whole scan is returned at least once, across resizes), using
//     Redis's reverse-binary cursor over power-of-two tables;
//   - incremental rehashing (one bucket per operation), so growing a table
//     of millions of keys never stalls a command.
//
// Values are stored inside the nodes, so Get returns a pointer that stays
// valid until the key is deleted. A Dict is not safe for concurrent use.
type Dict[V any] struct {
	seed    maphash.Seed
	t       [2]table[V]
	rehash  int // next bucket of t[0] to move; -1 when not rehashing
	scratch []*node[V]
}

type table[V any] struct {
	buckets []*node[V]
	used    int
}

type node[V any] struct {
	key  string
	val  V
	next *node[V]
}

const dictMinSize = 4

// NewDict returns an empty Dict.
func NewDict[V any]() *Dict[V] {
	return &Dict[V]{seed: maphash.MakeSeed(), rehash: -1}
}

// Len returns the number of elements.
func (d *Dict[V]) Len() int { return d.t[0].used + d.t[1].used }

func (d *Dict[V]) hash(key string) uint64 { return maphash.String(d.seed, key) }

func (d *Dict[V]) rehashing() bool { return d.rehash >= 0 }

// step moves one bucket from t[0] to t[1] (skipping at most 10 empty ones).
func (d *Dict[V]) step() {
	if !d.rehashing() {
		return
	}
	empty := 10
	for d.rehash < len(d.t[0].buckets) && d.t[0].buckets[d.rehash] == nil {
		d.rehash++
		if empty--; empty == 0 {
			break
		}
	}
	if d.rehash < len(d.t[0].buckets) && d.t[0].buckets[d.rehash] != nil {
		mask := uint64(len(d.t[1].buckets) - 1)
		for n := d.t[0].buckets[d.rehash]; n != nil; {
			next := n.next
			i := d.hash(n.key) & mask
			n.next = d.t[1].buckets[i]
			d.t[1].buckets[i] = n
			d.t[0].used--
			d.t[1].used++
			n = next
		}
		d.t[0].buckets[d.rehash] = nil
		d.rehash++
	}
	if d.rehash >= len(d.t[0].buckets) || d.t[0].used == 0 {
		d.t[0], d.t[1] = d.t[1], table[V]{}
		d.rehash = -1
	}
}

// resize starts an incremental rehash into a table of size buckets.
func (d *Dict[V]) resize(size int) {
	if d.rehashing() {
		return
	}
	if len(d.t[0].buckets) == 0 {
		d.t[0].buckets = make([]*node[V], size)
		return
	}
	if size == len(d.t[0].buckets) {
		return
	}
	d.t[1] = table[V]{buckets: make([]*node[V], size)}
	d.rehash = 0
}

// Expand makes room for n elements in one step when the dict is empty (a
// loader that knows the key count, like Redis's RESIZEDB), or starts a
// rehash into a table that large otherwise. It never shrinks.
func (d *Dict[V]) Expand(n int) {
	size := nextPow2(n)
	if d.rehashing() || size <= len(d.t[0].buckets) {
		return
	}
	d.resize(size)
}

func nextPow2(n int) int {
	if n < dictMinSize {
		return dictMinSize
	}
	return 1 << bits.Len(uint(n-1))
}

func (d *Dict[V]) find(key string, h uint64) *node[V] {
	for ti := 0; ti < 2; ti++ {
		t := &d.t[ti]
		if len(t.buckets) == 0 {
			continue
		}
		for n := t.buckets[h&uint64(len(t.buckets)-1)]; n != nil; n = n.next {
			if n.key == key {
				return n
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// Get returns a pointer to key's value, or nil.
func (d *Dict[V]) Get(key string) *V {
	if d.Len() == 0 {
		return nil
	}
	d.step()
	if n := d.find(key, d.hash(key)); n != nil {
		return &n.val
	}
	return nil
}

// Set stores v under key and returns a pointer to the stored value and
// whether the key is new.
func (d *Dict[V]) Set(key string, v V) (*V, bool) {
	p, isNew := d.Slot(key)
	*p = v
	return p, isNew
}

// Slot returns a pointer to key's value, adding key with the zero value if
// it is absent, and whether it was added: a read-modify-write of one key
// in a single probe.
func (d *Dict[V]) Slot(key string) (*V, bool) {
	d.step()
	h := d.hash(key)
	if n := d.find(key, h); n != nil {
		return &n.val, false
	}
	if !d.rehashing() && d.t[0].used >= len(d.t[0].buckets) {
		d.resize(nextPow2(d.t[0].used + 1))
	}
	t := &d.t[0]
	if d.rehashing() {
		t = &d.t[1]
	}
	i := h & uint64(len(t.buckets)-1)
	n := &node[V]{key: key, next: t.buckets[i]}
	t.buckets[i] = n
	t.used++
	return &n.val, true
}

// Delete removes key, returning its value and whether it was present.
func (d *Dict[V]) Delete(key string) (V, bool) {
	var zero V
	if d.Len() == 0 {
		return zero, false
	}
	d.step()
	h := d.hash(key)
	for ti := 0; ti < 2; ti++ {
		t := &d.t[ti]
		if len(t.buckets) == 0 {
			continue
		}
		i := h & uint64(len(t.buckets)-1)
		var prev *node[V]
		for n := t.buckets[i]; n != nil; prev, n = n, n.next {
			if n.key != key {
				continue
			}
			if prev == nil {
				t.buckets[i] = n.next
			} else {
				prev.next = n.next
			}
			t.used--
			v := n.val
			d.maybeShrink()
			return v, true
		}
		if !d.rehashing() {
			break
		}
	}
	return zero, false
}

// maybeShrink starts a rehash into a smaller table when the fill drops
// under 1/8, so a dict that was once huge gives its buckets back.
func (d *Dict[V]) maybeShrink() {
	if d.rehashing() {
		return
	}
	size := len(d.t[0].buckets)
	if size > dictMinSize && d.t[0].used*8 < size {
		d.resize(nextPow2(d.t[0].used))
	}
}

// Scan calls fn for the elements of the bucket(s) at cursor and returns the
// next cursor; 0 means the scan is complete. It is Redis's reverse-binary
// cursor: elements present from the first call to the last are returned at
// least once even if the table grows or shrinks in between; some may be
// returned more than once. fn must not modify the Dict.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, v *V)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	emit := func(b *node[V]) {
		for n := b; n != nil; n = n.next {
			fn(n.key, &n.val)
		}
	}
	if !d.rehashing() {
		m0 := uint64(len(d.t[0].buckets) - 1)
		emit(d.t[0].buckets[cursor&m0])
		return revInc(cursor, m0)
	}
	small, large := &d.t[0], &d.t[1]
	if len(small.buckets) > len(large.buckets) {
		small, large = large, small
	}
	m0 := uint64(len(small.buckets) - 1)
	m1 := uint64(len(large.buckets) - 1)
	emit(small.buckets[cursor&m0])
	// Visit every bucket of the larger table that expands the small
	// table's bucket.
	for {
		emit(large.buckets[cursor&m1])
		cursor = revInc(cursor, m1)
		if cursor&(m0^m1) == 0 {
			break
		}
	}
	return cursor
}

// revInc increments the reversed bits of cursor under mask: the cursor
// walks buckets so that a table resize never makes it skip one.
func revInc(cursor, mask uint64) uint64 {
	cursor |= ^mask
	cursor = bits.Reverse64(cursor)
	cursor++
	return bits.Reverse64(cursor)
}

// Random returns a uniformly-ish random element (a random non-empty bucket,
// then a random node of its chain, as Redis does), or "", nil when empty.
func (d *Dict[V]) Random(r *rand.Rand) (string, *V) {
	if d.Len() == 0 {
		return "", nil
	}
	d.step()
	intn := rand.IntN
	if r != nil {
		intn = r.IntN
	}
	var b *node[V]
	for b == nil {
		if d.rehashing() {
			// Buckets of t[0] below rehash are empty; pick among the rest.
			n0 := len(d.t[0].buckets) - d.rehash
			i := intn(n0 + len(d.t[1].buckets))
			if i < n0 {
				b = d.t[0].buckets[d.rehash+i]
			} else {
				b = d.t[1].buckets[i-n0]
			}
		} else {
			b = d.t[0].buckets[intn(len(d.t[0].buckets))]
		}
	}
	chain := d.scratch[:0]
	for n := b; n != nil; n = n.next {
		chain = append(chain, n)
	}
	n := chain[intn(len(chain))]
	d.scratch = chain[:0]
	return n.key, &n.val
}

// Each calls fn for every element until fn returns false. fn must not
// modify the Dict.
func (d *Dict[V]) Each(fn func(key string, v *V) bool) {
	for ti := 0; ti < 2; ti++ {
		for _, b := range d.t[ti].buckets {
			for n := b; n != nil; n = n.next {
				if !fn(n.key, &n.val) {
					return
				}
			}
		}
	}
}
