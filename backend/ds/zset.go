package ds

import (
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
)

// zMaxLevel bounds the skiplist height. With p = 1/4, 32 levels is enough
// for 2^64 elements, so the cap never hurts the expected O(log n) bounds.
const zMaxLevel = 32

// zLevel is one forward link. span is the number of level-0 hops the link
// covers; summing spans along a search path yields a rank, which is what
// makes ZRANK, ZRANGE by index and ZCOUNT O(log n) instead of O(n).
//
// For a nil forward, span holds length - rank(node) so that the insert and
// unlink arithmetic needs no special case at the end of the list.
type zLevel struct {
	forward *zNode
	span    int
}

type zNode struct {
	member   string
	score    float64
	backward *zNode // nil for the first node (never the head sentinel)
	level    []zLevel
}

// Nodes of the common heights are allocated together with their level array
// so that each insert costs one allocation instead of two and the node's
// links sit next to its key. With p = 1/4, levels 1-4 cover >99.6% of nodes.
type (
	zNode1 struct {
		n zNode
		l [1]zLevel
	}
	zNode2 struct {
		n zNode
		l [2]zLevel
	}
	zNode3 struct {
		n zNode
		l [3]zLevel
	}
	zNode4 struct {
		n zNode
		l [4]zLevel
	}
)

func newZNode(level int, member string, score float64) *zNode {
	var n *zNode
	switch level {
	case 1:
		b := new(zNode1)
		b.n.level, n = b.l[:], &b.n
	case 2:
		b := new(zNode2)
		b.n.level, n = b.l[:], &b.n
	case 3:
		b := new(zNode3)
		b.n.level, n = b.l[:], &b.n
	case 4:
		b := new(zNode4)
		b.n.level, n = b.l[:], &b.n
	default:
		n = &zNode{level: make([]zLevel, level)}
	}
	n.member, n.score = member, score
	return n
}

// keyLess orders elements by (score, member bytes), the ZSET order.
func keyLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// zsetSmall is the size up to which a ZSet keeps no member→score map and
// finds members by scanning the list instead. A map costs far more than the
// elements of a small set, and most sorted sets in a keyspace are small
// (Redis uses a flat listpack up to 128 entries for the same reason).
// Scanning 32 nodes costs about as much as hashing. The map is dropped
// again below zsetSmall/2: the hysteresis avoids rebuilding it on every
// add/remove at the boundary.
const zsetSmall = 32

// ZSet is a sorted set: a skiplist ordered by (score, member) with rank
// spans, plus (once it holds more than zsetSmall members) a member→score map
// for O(1) ZSCORE and membership tests. The map is a Dict so that ZSCAN can
// walk it with a resumable cursor, as Redis walks its zset dict.
// Scores must never be NaN. A ZSet is not safe for concurrent use.
type ZSet struct {
	dict *Dict[float64] // nil while small, see zsetSmall
	// head is embedded (not a pointer) to save an allocation per set; its
	// level slice always has exactly as many entries as the list is tall,
	// so a fresh set pays for one level, not zMaxLevel.
	head   zNode
	tail   *zNode
	length int
	rng    uint64 // splitmix64 state for level generation
}

// zsetSeeds hands every new set its own level-generator stream. It starts at
// a fixed value so that a process's skiplist shapes are reproducible run to
// run (useful when chasing a performance report), while sets created one
// after another still get uncorrelated streams.
var zsetSeeds atomic.Uint64

// NewZSet returns an empty sorted set.
func NewZSet() *ZSet {
	return NewZSetSeed(splitmix64(zsetSeeds.Add(1)))
}

// NewZSetSeed returns an empty sorted set whose level generator is seeded
// with seed, making its internal shape fully deterministic (for tests).
func NewZSetSeed(seed uint64) *ZSet {
	z := &ZSet{rng: seed}
	z.head.level = make([]zLevel, 1)
	return z
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// randomLevel draws a height with P(level > k) = 4^-k. Each pair of trailing
// zero bits in a uniform 64-bit word is one "coin flip" with p = 1/4, so a
// single PRNG step suffices.
func (z *ZSet) randomLevel() int {
	z.rng += 0x9e3779b97f4a7c15
	x := z.rng
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return min(1+bits.TrailingZeros64(x)/2, zMaxLevel)
}

// Len returns the number of members.
func (z *ZSet) Len() int { return z.length }

// Score returns the score of member.
func (z *ZSet) Score(member string) (float64, bool) {
	return z.lookup(member)
}

// lookup finds member's score via the map, or by scanning a small set.
func (z *ZSet) lookup(member string) (float64, bool) {
	score, _, ok := z.lookupRef(member)
	return score, ok
}

// lookupRef is lookup that also returns where the map keeps the score (nil
// without a map), so that a score update costs one hash lookup, not two.
func (z *ZSet) lookupRef(member string) (score float64, ref *float64, ok bool) {
	if z.dict != nil {
		if ref = z.dict.Get(member); ref != nil {
			return *ref, ref, true
		}
		return 0, nil, false
	}
	for x := z.head.level[0].forward; x != nil; x = x.level[0].forward {
		if x.member == member {
			return x.score, nil, true
		}
	}
	return 0, nil, false
}

// indexSet records member's score in the map, building the map once the
// (already linked) list outgrows zsetSmall.
func (z *ZSet) indexSet(member string, score float64) {
	if z.dict != nil {
		z.dict.Set(member, score)
		return
	}
	if z.length > zsetSmall {
		z.dict = NewSharedDict[float64]()
		z.dict.Expand(z.length)
		for x := z.head.level[0].forward; x != nil; x = x.level[0].forward {
			z.dict.Set(x.member, x.score)
		}
	}
}

// indexDel forgets an (already unlinked) member.
func (z *ZSet) indexDel(member string) {
	if z.dict == nil {
		return
	}
	if z.length <= zsetSmall/2 {
		z.dict = nil
		return
	}
	z.dict.Delete(member)
}

// Add inserts member with score, or updates its score. It reports whether the
// member was newly added. Panics on a NaN score: callers must reject NaN
// ("ERR resulting score is not a number (NaN)") before getting here, and a
// NaN would silently corrupt the ordering.
func (z *ZSet) Add(member string, score float64) (added bool) {
	if score != score {
		panic("ds: ZSet.Add with NaN score")
	}
	old, ref, ok := z.lookupRef(member)
	if !ok {
		z.insertNode(newZNode(z.randomLevel(), member, score))
		z.indexSet(member, score)
		return true
	}
	if old == score { // note: -0 == +0, so like Redis we keep the old zero
		return false
	}
	var update [zMaxLevel]*zNode
	x := z.findPath(old, member, &update)
	if ref != nil {
		*ref = score
	}
	prev, next := x.backward, x.level[0].forward
	if (prev == nil || keyLess(prev.score, prev.member, score, member)) &&
		(next == nil || keyLess(score, member, next.score, next.member)) {
		// Still between its neighbours: update in place, no relinking.
		// This is the common ZINCRBY-by-a-little case.
		x.score = score
		return false
	}
	// Reuse the node (and its height) rather than reallocating.
	z.unlink(x, &update)
	x.score = score
	z.insertNode(x)
	return false
}

// IncrBy adds delta to member's score (0 if absent), as ZINCRBY does. It
// returns ok=false and leaves the set untouched if the result would be NaN
// (e.g. +inf + -inf).
func (z *ZSet) IncrBy(member string, delta float64) (score float64, ok bool) {
	old, _ := z.lookup(member)
	score = old + delta
	if score != score {
		return 0, false
	}
	z.Add(member, score)
	return score, true
}

// Remove deletes member and reports whether it was present.
func (z *ZSet) Remove(member string) bool {
	score, ok := z.lookup(member)
	if !ok {
		return false
	}
	var update [zMaxLevel]*zNode
	x := z.findPath(score, member, &update)
	z.unlink(x, &update)
	z.indexDel(member)
	return true
}

// findPath records in update the rightmost node before (score, member) on
// every level and returns the first node not before it.
func (z *ZSet) findPath(score float64, member string, update *[zMaxLevel]*zNode) *zNode {
	x := &z.head
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && keyLess(f.score, f.member, score, member); f = x.level[i].forward {
			x = f
		}
		update[i] = x
	}
	return x.level[0].forward
}

// insertNode links n (with its level slice already sized) into the list.
// The caller maintains the member index.
func (z *ZSet) insertNode(n *zNode) {
	var update [zMaxLevel]*zNode
	var rank [zMaxLevel]int // rank of update[i]; head is rank 0
	x := &z.head
	top := len(z.head.level) - 1
	for i := top; i >= 0; i-- {
		if i < top {
			rank[i] = rank[i+1]
		}
		for f := x.level[i].forward; f != nil && keyLess(f.score, f.member, n.score, n.member); f = x.level[i].forward {
			rank[i] += x.level[i].span
			x = f
		}
		update[i] = x
	}
	lvl := len(n.level)
	for len(z.head.level) < lvl {
		// A brand new top level is reached only from the head; its link to
		// nil spans the whole (pre-insert) list.
		i := len(z.head.level)
		z.head.level = append(z.head.level, zLevel{span: z.length})
		update[i], rank[i] = &z.head, 0
	}
	for i := 0; i < lvl; i++ {
		u := &update[i].level[i]
		n.level[i].forward = u.forward
		n.level[i].span = u.span - (rank[0] - rank[i])
		u.forward = n
		u.span = rank[0] - rank[i] + 1
	}
	// Links passing over the new node now cover one more element.
	for i := lvl; i < len(z.head.level); i++ {
		update[i].level[i].span++
	}
	if update[0] == &z.head {
		n.backward = nil
	} else {
		n.backward = update[0]
	}
	if f := n.level[0].forward; f != nil {
		f.backward = n
	} else {
		z.tail = n
	}
	z.length++
}

// unlink removes x given the predecessors recorded by a search. The caller
// maintains the member index. update stays valid for x's successor, which lets range
// deletions call unlink repeatedly without searching again.
func (z *ZSet) unlink(x *zNode, update *[zMaxLevel]*zNode) {
	for i := range z.head.level {
		u := &update[i].level[i]
		if u.forward == x {
			u.span += x.level[i].span - 1
			u.forward = x.level[i].forward
		} else {
			u.span--
		}
	}
	if f := x.level[0].forward; f != nil {
		f.backward = x.backward
	} else {
		z.tail = x.backward
	}
	// Drop empty top levels so searches do not start with useless hops; the
	// slice keeps its capacity for when the list grows again.
	for l := len(z.head.level); l > 1 && z.head.level[l-1].forward == nil; l-- {
		z.head.level = z.head.level[:l-1]
	}
	z.length--
}

// nodeAt returns the node with 1-based rank r, or nil.
func (z *ZSet) nodeAt(r int) *zNode {
	if r < 1 || r > z.length {
		return nil
	}
	x, traversed := &z.head, 0
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= r {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

// Rank returns member's 0-based position in ascending order, or in
// descending order when reverse is set (ZREVRANK).
func (z *ZSet) Rank(member string, reverse bool) (int, bool) {
	score, ok := z.lookup(member)
	if !ok {
		return 0, false
	}
	// Advance while the next node is <= the target; we end on the target.
	// (No early exit when a higher level lands on it: checking would
	// dereference a member string per level, a cache miss each on big sets.)
	x, r := &z.head, 0
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !keyLess(score, member, f.score, f.member); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
	}
	if reverse {
		return z.length - r, true
	}
	return r - 1, true
}

// ByRank calls fn for ranks start..stop inclusive (already normalised, see
// NormalizeRange). With reverse, ranks count from the highest element, as in
// ZREVRANGE. fn returns false to stop.
func (z *ZSet) ByRank(start, stop int, reverse bool, fn func(member string, score float64) bool) {
	start, stop, ok := clampRange(start, stop, z.length)
	if !ok {
		return
	}
	n := stop - start + 1
	if reverse {
		for x := z.nodeAt(z.length - start); x != nil && n > 0; x, n = x.backward, n-1 {
			if !fn(x.member, x.score) {
				return
			}
		}
		return
	}
	for x := z.nodeAt(start + 1); x != nil && n > 0; x, n = x.level[0].forward, n-1 {
		if !fn(x.member, x.score) {
			return
		}
	}
}

// Each calls fn for every element in ascending order until fn returns false.
func (z *ZSet) Each(fn func(member string, score float64) bool) {
	for x := z.head.level[0].forward; x != nil; x = x.level[0].forward {
		if !fn(x.member, x.score) {
			return
		}
	}
}

// ScanBatch is Dict.ScanBatch over the members, for ZSCAN. A set small
// enough to have no member map (see zsetSmall) is reported whole, in order,
// with cursor 0 whatever the cursor: that ends the scan having returned
// every member, which SCAN's guarantee allows.
func (z *ZSet) ScanBatch(cursor uint64, count, maxSteps int, fn func(member string, score float64)) uint64 {
	if z.dict == nil {
		z.Each(func(m string, s float64) bool {
			fn(m, s)
			return true
		})
		return 0
	}
	return z.dict.ScanBatch(cursor, count, maxSteps, func(m string, s *float64) { fn(m, *s) })
}

// Min returns the lowest element.
func (z *ZSet) Min() (member string, score float64, ok bool) {
	if x := z.head.level[0].forward; x != nil {
		return x.member, x.score, true
	}
	return "", 0, false
}

// Max returns the highest element.
func (z *ZSet) Max() (member string, score float64, ok bool) {
	if x := z.tail; x != nil {
		return x.member, x.score, true
	}
	return "", 0, false
}

// firstInRange returns the first node satisfying aboveMin and its 1-based
// rank, provided that node also satisfies belowMax. The predicates must be
// monotone along the list for the result to be meaningful (scores always
// are; members are when all scores are equal, which is ZRANGEBYLEX's
// documented precondition).
func (z *ZSet) firstInRange(aboveMin, belowMax func(*zNode) bool) (*zNode, int) {
	if z.length == 0 || !aboveMin(z.tail) || !belowMax(z.head.level[0].forward) {
		return nil, 0
	}
	x, r := &z.head, 0
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !aboveMin(f); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
	}
	x = x.level[0].forward
	if x == nil || !belowMax(x) {
		return nil, 0
	}
	return x, r + 1
}

// lastInRange is the mirror image of firstInRange.
func (z *ZSet) lastInRange(aboveMin, belowMax func(*zNode) bool) (*zNode, int) {
	if z.length == 0 || !aboveMin(z.tail) || !belowMax(z.head.level[0].forward) {
		return nil, 0
	}
	x, r := &z.head, 0
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && belowMax(f); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
	}
	if x == &z.head || !aboveMin(x) {
		return nil, 0
	}
	return x, r
}

// rangeWalk implements the LIMIT offset count iteration shared by the score
// and lex range queries. The offset is skipped with a rank lookup, so a deep
// page costs O(log n), not O(offset).
func (z *ZSet) rangeWalk(aboveMin, belowMax func(*zNode) bool, reverse bool, offset, count int, fn func(string, float64) bool) {
	if offset < 0 || count == 0 {
		return
	}
	if !reverse {
		x, r := z.firstInRange(aboveMin, belowMax)
		if x == nil {
			return
		}
		if offset > 0 {
			x = z.nodeAt(r + offset)
		}
		for ; x != nil && count != 0 && belowMax(x); x = x.level[0].forward {
			if !fn(x.member, x.score) {
				return
			}
			count--
		}
		return
	}
	x, r := z.lastInRange(aboveMin, belowMax)
	if x == nil {
		return
	}
	if offset > 0 {
		x = z.nodeAt(r - offset)
	}
	for ; x != nil && count != 0 && aboveMin(x); x = x.backward {
		if !fn(x.member, x.score) {
			return
		}
		count--
	}
}

func scorePreds(min, max ScoreBound) (func(*zNode) bool, func(*zNode) bool) {
	return func(n *zNode) bool { return aboveMin(n.score, min) },
		func(n *zNode) bool { return belowMax(n.score, max) }
}

func lexPreds(min, max LexBound) (func(*zNode) bool, func(*zNode) bool) {
	return func(n *zNode) bool { return lexAboveMin(n.member, min) },
		func(n *zNode) bool { return lexBelowMax(n.member, max) }
}

// RangeByScore calls fn for elements with min <= score <= max (honouring
// exclusive bounds) in ascending order, or descending from max when reverse
// is set (ZREVRANGEBYSCORE; min and max keep their meaning). The first offset
// matches are skipped and at most count are reported (count < 0: all).
// A negative offset yields nothing, as in Redis.
func (z *ZSet) RangeByScore(min, max ScoreBound, reverse bool, offset, count int, fn func(member string, score float64) bool) {
	if scoreRangeEmpty(min, max) {
		return
	}
	lo, hi := scorePreds(min, max)
	z.rangeWalk(lo, hi, reverse, offset, count, fn)
}

// CountByScore returns the number of elements in [min, max] in O(log n).
func (z *ZSet) CountByScore(min, max ScoreBound) int {
	if scoreRangeEmpty(min, max) {
		return 0
	}
	return z.countRange(scorePreds(min, max))
}

func (z *ZSet) countRange(aboveMin, belowMax func(*zNode) bool) int {
	_, first := z.firstInRange(aboveMin, belowMax)
	if first == 0 {
		return 0
	}
	_, last := z.lastInRange(aboveMin, belowMax)
	return last - first + 1
}

// RangeByLex is RangeByScore for member ranges. As in Redis, results are
// only meaningful when all elements share one score.
func (z *ZSet) RangeByLex(min, max LexBound, reverse bool, offset, count int, fn func(member string, score float64) bool) {
	if lexRangeEmpty(min, max) {
		return
	}
	lo, hi := lexPreds(min, max)
	z.rangeWalk(lo, hi, reverse, offset, count, fn)
}

// CountByLex returns the number of members in the lex range in O(log n).
func (z *ZSet) CountByLex(min, max LexBound) int {
	if lexRangeEmpty(min, max) {
		return 0
	}
	return z.countRange(lexPreds(min, max))
}

// removeRange deletes the run of nodes starting at the first one that
// satisfies aboveMin and continuing while belowMax holds.
func (z *ZSet) removeRange(aboveMin, belowMax func(*zNode) bool) int {
	var update [zMaxLevel]*zNode
	x := &z.head
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && !aboveMin(f); f = x.level[i].forward {
			x = f
		}
		update[i] = x
	}
	removed := 0
	for x = x.level[0].forward; x != nil && belowMax(x); removed++ {
		next := x.level[0].forward
		z.unlink(x, &update)
		z.indexDel(x.member)
		x = next
	}
	return removed
}

// RemoveRangeByScore deletes elements with scores in [min, max] and returns
// how many were removed (ZREMRANGEBYSCORE).
func (z *ZSet) RemoveRangeByScore(min, max ScoreBound) int {
	if scoreRangeEmpty(min, max) {
		return 0
	}
	return z.removeRange(scorePreds(min, max))
}

// RemoveRangeByLex deletes members in the lex range (ZREMRANGEBYLEX).
func (z *ZSet) RemoveRangeByLex(min, max LexBound) int {
	if lexRangeEmpty(min, max) {
		return 0
	}
	return z.removeRange(lexPreds(min, max))
}

// RemoveRangeByRank deletes ranks start..stop inclusive (0-based, already
// normalised) and returns how many were removed (ZREMRANGEBYRANK).
func (z *ZSet) RemoveRangeByRank(start, stop int) int {
	start, stop, ok := clampRange(start, stop, z.length)
	if !ok {
		return 0
	}
	var update [zMaxLevel]*zNode
	x, traversed := &z.head, 0
	for i := len(z.head.level) - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= start {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		update[i] = x
	}
	n := stop - start + 1
	x = x.level[0].forward
	for i := 0; i < n; i++ {
		next := x.level[0].forward
		z.unlink(x, &update)
		z.indexDel(x.member)
		x = next
	}
	return n
}

// PopMin removes and returns up to count lowest elements, lowest first.
func (z *ZSet) PopMin(count int) (members []string, scores []float64) {
	n := min(count, z.length)
	if n <= 0 {
		return nil, nil
	}
	members, scores = make([]string, 0, n), make([]float64, 0, n)
	z.ByRank(0, n-1, false, func(m string, s float64) bool {
		members, scores = append(members, m), append(scores, s)
		return true
	})
	z.RemoveRangeByRank(0, n-1)
	return members, scores
}

// PopMax removes and returns up to count highest elements, highest first.
func (z *ZSet) PopMax(count int) (members []string, scores []float64) {
	n := min(count, z.length)
	if n <= 0 {
		return nil, nil
	}
	members, scores = make([]string, 0, n), make([]float64, 0, n)
	z.ByRank(0, n-1, true, func(m string, s float64) bool {
		members, scores = append(members, m), append(scores, s)
		return true
	})
	z.RemoveRangeByRank(z.length-n, z.length-1)
	return members, scores
}

// Random reports random elements for ZRANDMEMBER, picking uniformly by rank:
//
//   - count < 0: -count elements, possibly repeated;
//   - count >= Len(): every element once, in ascending order (Redis, too,
//     returns the whole set in storage order here);
//   - otherwise: count distinct elements in random order.
//
// fn returns false to stop early. The caller bounds |count|.
func (z *ZSet) Random(count int, rnd *rand.Rand, fn func(member string, score float64) bool) {
	if z.length == 0 || count == 0 {
		return
	}
	if count < 0 {
		for ; count < 0; count++ {
			x := z.nodeAt(1 + rnd.IntN(z.length))
			if !fn(x.member, x.score) {
				return
			}
		}
		return
	}
	if count >= z.length {
		z.Each(fn)
		return
	}
	if count*3 > z.length {
		// Dense: a partial Fisher-Yates over all nodes is O(n), cheaper than
		// rejection sampling that would keep hitting already-chosen ranks.
		nodes := make([]*zNode, 0, z.length)
		for x := z.head.level[0].forward; x != nil; x = x.level[0].forward {
			nodes = append(nodes, x)
		}
		for i := 0; i < count; i++ {
			j := i + rnd.IntN(len(nodes)-i)
			nodes[i], nodes[j] = nodes[j], nodes[i]
			if !fn(nodes[i].member, nodes[i].score) {
				return
			}
		}
		return
	}
	// Sparse: rejection sampling terminates quickly since at most a third
	// of the ranks can already be taken.
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		r := 1 + rnd.IntN(z.length)
		if _, dup := seen[r]; dup {
			continue
		}
		seen[r] = struct{}{}
		x := z.nodeAt(r)
		if !fn(x.member, x.score) {
			return
		}
	}
}

// Clone returns an independent copy. It rebuilds the skiplist in O(n) with
// the same node heights instead of re-inserting, which would be O(n log n).
func (z *ZSet) Clone() *ZSet {
	c := &ZSet{dict: z.dict.Clone(), length: z.length, rng: splitmix64(z.rng)} // Clone(nil) is nil
	levels := len(z.head.level)
	c.head.level = make([]zLevel, levels)
	var last [zMaxLevel]*zNode
	var lastRank [zMaxLevel]int
	for i := range levels {
		last[i] = &c.head
	}
	var prev *zNode
	r := 0
	for x := z.head.level[0].forward; x != nil; x = x.level[0].forward {
		r++
		n := newZNode(len(x.level), x.member, x.score)
		n.backward = prev
		for i := range n.level {
			last[i].level[i] = zLevel{forward: n, span: r - lastRank[i]}
			last[i], lastRank[i] = n, r
		}
		prev = n
	}
	for i := range levels {
		last[i].level[i].span = c.length - lastRank[i]
	}
	c.tail = prev
	return c
}
