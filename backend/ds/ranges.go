package ds

// NormalizeRange converts Redis-style start/stop indexes (negative values
// count from the end, both ends inclusive) for a sequence of length n into
// clamped 0-based indexes, as LRANGE, LTRIM, ZRANGE and GETRANGE do.
// ok is false when the range selects nothing.
//
// The other range methods in this package take already-normalised indexes so
// that the command layer decides once how to treat out-of-range input.
func NormalizeRange(start, stop, n int) (s, e int, ok bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, -1, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

// clampRange defensively clamps already-normalised indexes to [0, n-1].
// It is not Redis semantics (that is NormalizeRange); it only keeps a caller
// bug from turning into a panic or an out-of-bounds walk.
func clampRange(start, stop, n int) (int, int, bool) {
	if start < 0 {
		start = 0
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, start <= stop
}
