package ds

import "math/bits"

// Deque is a double-ended queue of byte strings backed by a ring buffer whose
// capacity is a power of two (so wrapping is a mask, not a division). It
// gives O(1) push/pop at both ends and O(1) indexing; middle edits shift the
// shorter side, so they cost O(min(i, n-i)).
//
// The buffer grows by doubling from 1, so the many tiny lists a server
// typically holds stay tiny, and shrinks when it is at most a quarter full so
// a drained list gives its memory back. Vacated slots are cleared so popped
// values can be collected. A Deque is not safe for concurrent use.
type Deque struct {
	buf  [][]byte
	head int // physical index of element 0
	n    int
}

// dequeMinShrink is the capacity below which we never bother shrinking:
// reallocating to save a few slice headers costs more than it saves.
const dequeMinShrink = 8

// NewDeque returns an empty deque.
func NewDeque() *Deque { return &Deque{} }

// Len returns the number of elements.
func (d *Deque) Len() int { return d.n }

// slot maps logical index i (0 <= i <= n, and < cap) to a physical index.
func (d *Deque) slot(i int) int { return (d.head + i) & (len(d.buf) - 1) }

func (d *Deque) resize(c int) {
	nb := make([][]byte, c)
	d.copyTo(nb)
	d.buf, d.head = nb, 0
}

// copyTo copies the elements, in order, to the start of dst.
func (d *Deque) copyTo(dst [][]byte) {
	if d.n == 0 {
		return
	}
	if end := d.head + d.n; end <= len(d.buf) {
		copy(dst, d.buf[d.head:end])
	} else {
		k := copy(dst, d.buf[d.head:])
		copy(dst[k:], d.buf[:end-len(d.buf)])
	}
}

func (d *Deque) growIfFull() {
	if d.n == len(d.buf) {
		d.resize(max(1, 2*len(d.buf)))
	}
}

func (d *Deque) maybeShrink() {
	if d.n == 0 {
		if len(d.buf) > dequeMinShrink {
			d.buf = nil
		}
		d.head = 0
		return
	}
	c := len(d.buf)
	for c > dequeMinShrink && d.n <= c/4 {
		c /= 2
	}
	if c != len(d.buf) {
		d.resize(c)
	}
}

// PushBack appends v (RPUSH).
func (d *Deque) PushBack(v []byte) {
	d.growIfFull()
	d.buf[d.slot(d.n)] = v
	d.n++
}

// PushFront prepends v (LPUSH).
func (d *Deque) PushFront(v []byte) {
	d.growIfFull()
	d.head = (d.head - 1) & (len(d.buf) - 1)
	d.buf[d.head] = v
	d.n++
}

// PopFront removes and returns the first element (LPOP).
func (d *Deque) PopFront() ([]byte, bool) {
	if d.n == 0 {
		return nil, false
	}
	v := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.n--
	d.maybeShrink()
	return v, true
}

// PopBack removes and returns the last element (RPOP).
func (d *Deque) PopBack() ([]byte, bool) {
	if d.n == 0 {
		return nil, false
	}
	s := d.slot(d.n - 1)
	v := d.buf[s]
	d.buf[s] = nil
	d.n--
	d.maybeShrink()
	return v, true
}

// Index returns element i; negative i counts from the end (LINDEX).
func (d *Deque) Index(i int) ([]byte, bool) {
	if i < 0 {
		i += d.n
	}
	if i < 0 || i >= d.n {
		return nil, false
	}
	return d.buf[d.slot(i)], true
}

// Set replaces element i; negative i counts from the end (LSET). It reports
// false if i is out of range.
func (d *Deque) Set(i int, v []byte) bool {
	if i < 0 {
		i += d.n
	}
	if i < 0 || i >= d.n {
		return false
	}
	d.buf[d.slot(i)] = v
	return true
}

// IndexOf returns the index of the first element equal to v, or -1. It is
// the pivot search for LINSERT.
func (d *Deque) IndexOf(v []byte) int {
	for i := 0; i < d.n; i++ {
		if string(d.buf[d.slot(i)]) == string(v) {
			return i
		}
	}
	return -1
}

// Range calls fn for elements start..stop inclusive (already normalised,
// see NormalizeRange) until fn returns false (LRANGE).
func (d *Deque) Range(start, stop int, fn func(v []byte) bool) {
	start, stop, ok := clampRange(start, stop, d.n)
	if !ok {
		return
	}
	for i := start; i <= stop; i++ {
		if !fn(d.buf[d.slot(i)]) {
			return
		}
	}
}

// Each calls fn for every element from front to back until it returns false.
func (d *Deque) Each(fn func(v []byte) bool) {
	d.Range(0, d.n-1, fn)
}

// InsertAt inserts v so that it becomes element i (0 <= i <= Len()).
// It reports false if i is out of range.
func (d *Deque) InsertAt(i int, v []byte) bool {
	if i < 0 || i > d.n {
		return false
	}
	d.growIfFull()
	if i < d.n/2 {
		// Move the head one slot back and slide elements [0, i) down.
		d.head = (d.head - 1) & (len(d.buf) - 1)
		for j := 0; j < i; j++ {
			d.buf[d.slot(j)] = d.buf[d.slot(j+1)]
		}
	} else {
		for j := d.n; j > i; j-- {
			d.buf[d.slot(j)] = d.buf[d.slot(j-1)]
		}
	}
	d.buf[d.slot(i)] = v
	d.n++
	return true
}

// Insert inserts v before or after the element at pivot (LINSERT, once the
// caller has located the pivot, e.g. with IndexOf).
func (d *Deque) Insert(pivot int, before bool, v []byte) bool {
	if pivot < 0 || pivot >= d.n {
		return false
	}
	if !before {
		pivot++
	}
	return d.InsertAt(pivot, v)
}

// RemoveAt removes and returns element i (0 <= i < Len()).
func (d *Deque) RemoveAt(i int) ([]byte, bool) {
	if i < 0 || i >= d.n {
		return nil, false
	}
	v := d.buf[d.slot(i)]
	if i < d.n/2 {
		for j := i; j > 0; j-- {
			d.buf[d.slot(j)] = d.buf[d.slot(j-1)]
		}
		d.buf[d.head] = nil
		d.head = (d.head + 1) & (len(d.buf) - 1)
	} else {
		for j := i; j < d.n-1; j++ {
			d.buf[d.slot(j)] = d.buf[d.slot(j+1)]
		}
		d.buf[d.slot(d.n-1)] = nil
	}
	d.n--
	d.maybeShrink()
	return v, true
}

// RemoveIf removes elements for which pred is true, with LREM semantics:
// count > 0 removes up to count matches scanning from the front, count < 0
// up to -count scanning from the back, count == 0 all matches. It returns
// the number removed. One compacting pass: O(n) regardless of matches.
func (d *Deque) RemoveIf(count int, pred func(v []byte) bool) int {
	limit := count
	if count < 0 {
		limit = -count
	} else if count == 0 {
		limit = d.n
	}
	removed := 0
	if count >= 0 {
		w := 0
		for r := 0; r < d.n; r++ {
			v := d.buf[d.slot(r)]
			if removed < limit && pred(v) {
				removed++
				continue
			}
			d.buf[d.slot(w)] = v
			w++
		}
		for j := w; j < d.n; j++ {
			d.buf[d.slot(j)] = nil
		}
	} else {
		w := d.n - 1
		for r := d.n - 1; r >= 0; r-- {
			v := d.buf[d.slot(r)]
			if removed < limit && pred(v) {
				removed++
				continue
			}
			d.buf[d.slot(w)] = v
			w--
		}
		for j := 0; j <= w; j++ {
			d.buf[d.slot(j)] = nil
		}
		if removed > 0 {
			d.head = d.slot(w + 1)
		}
	}
	d.n -= removed
	d.maybeShrink()
	return removed
}

// Trim keeps only elements start..stop inclusive (already normalised); an
// empty range (start > stop) empties the deque (LTRIM).
func (d *Deque) Trim(start, stop int) {
	start, stop, ok := clampRange(start, stop, d.n)
	if !ok {
		d.Clear()
		return
	}
	for j := 0; j < start; j++ {
		d.buf[d.slot(j)] = nil
	}
	for j := stop + 1; j < d.n; j++ {
		d.buf[d.slot(j)] = nil
	}
	if d.n > 0 {
		d.head = d.slot(start)
	}
	d.n = stop - start + 1
	d.maybeShrink()
}

// Clear removes every element and releases the buffer.
func (d *Deque) Clear() {
	d.buf, d.head, d.n = nil, 0, 0
}

// Clone returns a copy with its own (tightly sized) buffer. Element byte
// slices are shared, which is safe because stored values are never mutated
// in place.
func (d *Deque) Clone() *Deque {
	c := &Deque{n: d.n}
	if d.n > 0 {
		c.buf = make([][]byte, 1<<bits.Len(uint(d.n-1)))
		d.copyTo(c.buf)
	}
	return c
}
