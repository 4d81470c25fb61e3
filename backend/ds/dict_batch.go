package ds

import "hash/maphash"

// sharedSeed is the hash seed of the dicts made by NewSharedDict.
var sharedSeed = maphash.MakeSeed()

// NewSharedDict returns an empty Dict hashing with one seed shared by every
// dict made this way in the process, as Redis hashes every dict with one
// process-wide key. A scan cursor locates buckets by hash, so it stays good
// for a different-sized table only if the hash is the same: with shared
// seeds it also survives a collection whose dict is rebuilt between two
// calls (SPOP keeping few members builds a new set, a sorted set rebuilds
// its member map after shrinking), where per-dict seeds would scatter the
// remaining elements over buckets the cursor has already passed.
func NewSharedDict[V any]() *Dict[V] {
	d := NewDict[V]()
	d.seed = sharedSeed
	return d
}

// ScanBatch is what one SCAN-family call does with a Dict: it continues the
// scan at cursor, bucket by bucket, until fn has been called at least count
// times or the scan is complete, and returns the next cursor (0 when
// complete). Whole buckets are visited, so fn may be called more than count
// times. A table left sparse by deletes (it shrinks only gradually) could
// hold few elements in many buckets, so the call also stops once maxSteps
// buckets beyond the first were visited, returning fewer elements rather
// than stalling. The guarantees are Scan's; fn must not modify the Dict.
func (d *Dict[V]) ScanBatch(cursor uint64, count, maxSteps int, fn func(key string, v *V)) uint64 {
	seen := 0
	visit := func(key string, v *V) {
		seen++
		fn(key, v)
	}
	for {
		cursor = d.Scan(cursor, visit)
		if cursor == 0 || seen >= count || maxSteps <= 0 {
			return cursor
		}
		maxSteps--
	}
}

// Clone returns a copy of d with the same seed and bucket layout (a rehash
// in progress included), so it costs no rehashing; values are copied by
// assignment. A nil Dict clones to nil.
func (d *Dict[V]) Clone() *Dict[V] {
	if d == nil {
		return nil
	}
	c := &Dict[V]{seed: d.seed, rehash: d.rehash}
	for ti := range d.t {
		src := &d.t[ti]
		if src.buckets == nil {
			continue
		}
		dst := &c.t[ti]
		dst.buckets, dst.used = make([]*node[V], len(src.buckets)), src.used
		for i, b := range src.buckets {
			link := &dst.buckets[i]
			for n := b; n != nil; n = n.next {
				*link = &node[V]{key: n.key, val: n.val}
				link = &(*link).next
			}
		}
	}
	return c
}
