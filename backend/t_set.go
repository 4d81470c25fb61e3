package backend

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/wardenhq/warden/backend/ds"
)

// Set is the value of a set key.
//
// It mirrors Redis 7.0's two encodings, which clients observe through
// OBJECT ENCODING and through the order of SMEMBERS and friends:
//
//   - intset (idx == nil): every member is a canonical 64-bit integer and
//     there are at most set-max-intset-entries of them; kept as a sorted
//     []int64, so members list in ascending numeric order as in Redis.
//   - hashtable (idx != nil): members in a dense slice (unordered; a delete
//     moves the last member into the hole) plus an index from member to
//     position. The dense slice makes SPOP/SRANDMEMBER's random picks O(1)
//     and uniform; the index is a ds.Dict so that SSCAN can resume from a
//     cursor, as Redis's dict scan does.
//
// A set converts to hashtable when a non-integer member is added or the
// intset grows past the limit, and never converts back in place; only
// rebuilt sets (SPOP's large-count path, the *STORE commands) pick their
// encoding afresh, as in Redis. Stored member bytes are never modified, so
// Clone shares them.
type Set struct {
	ints    []int64
	members [][]byte
	idx     *ds.Dict[int]
}

// maxIntset is the intset size limit in force: set-max-intset-entries,
// capped at 2^30 like Redis.
func maxIntset(o *Options) int {
	if o == nil {
		o = DefaultOptions()
	}
	return min(o.SetMaxIntsetEntries, 1<<30)
}

// NewSetFromMembers builds a set from members, choosing the encoding with
// Redis's default thresholds; duplicates are dropped. The members are
// copied. Persistence should prefer NewSetFromMembersOpts with the
// server's options, so that a loaded set gets the encoding the
// configuration asks for, as in Redis.
func NewSetFromMembers(members [][]byte) *Set {
	return NewSetFromMembersOpts(nil, members)
}

// NewSetFromMembersOpts is NewSetFromMembers with the threshold of opts
// (nil means Redis's default).
func NewSetFromMembersOpts(opts *Options, members [][]byte) *Set {
	s := &Set{}
	limit := maxIntset(opts)
	for _, m := range members {
		s.Add(m, limit)
	}
	return s
}

// NewSetFromInts builds an intset-encoded set from integers (an RDB intset),
// converting to hashtable if there are more than opts allows (nil: Redis's
// default).
func NewSetFromInts(opts *Options, vals []int64) *Set {
	s := &Set{}
	limit := maxIntset(opts)
	for _, v := range vals {
		s.addInt(v, limit)
	}
	return s
}

// TypeName implements Object.
func (s *Set) TypeName() string { return "set" }

// Encoding implements Object.
func (s *Set) Encoding() string {
	if s.idx == nil {
		return "intset"
	}
	return "hashtable"
}

// Clone implements Object; member bytes are shared (they are immutable).
func (s *Set) Clone() Object {
	return &Set{
		ints:    slices.Clone(s.ints),
		members: slices.Clone(s.members),
		idx:     s.idx.Clone(),
	}
}

// Len implements Object: the number of members.
func (s *Set) Len() int {
	if s.idx == nil {
		return len(s.ints)
	}
	return len(s.members)
}

// Ints returns the members of an intset-encoded set in ascending order (for
// writing an RDB intset); ok is false for a hashtable set. The slice must
// not be modified.
func (s *Set) Ints() (vals []int64, ok bool) {
	if s.idx != nil {
		return nil, false
	}
	return s.ints, true
}

// Each calls fn for every member (ascending for an intset) until fn returns
// false. The slice is only valid during the call; fn must not modify the
// set.
func (s *Set) Each(fn func(member []byte) bool) {
	if s.idx == nil {
		var buf [20]byte
		for _, v := range s.ints {
			if !fn(strconv.AppendInt(buf[:0], v, 10)) {
				return
			}
		}
		return
	}
	for _, m := range s.members {
		if !fn(m) {
			return
		}
	}
}

// at returns member i (0 <= i < Len) in Each order; buf may back the result.
func (s *Set) at(i int, buf []byte) []byte {
	if s.idx == nil {
		return strconv.AppendInt(buf[:0], s.ints[i], 10)
	}
	return s.members[i]
}

// Has reports whether member is in the set.
func (s *Set) Has(member []byte) bool {
	if s.idx != nil {
		return s.idx.Get(borrowStr(member)) != nil
	}
	v, ok := ParseInt(member)
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(s.ints, v)
	return found
}

// Add inserts member (borrowed: copied when new), converting an intset to
// hashtable when member is not an integer or the intset outgrows limit. It
// reports whether member is new.
func (s *Set) Add(member []byte, limit int) bool {
	if s.idx == nil {
		if v, ok := ParseInt(member); ok {
			return s.addInt(v, limit)
		}
		s.toHashtable()
	}
	if s.idx.Get(borrowStr(member)) != nil {
		return false
	}
	m := bytes.Clone(member)
	s.idx.Set(borrowStr(m), len(s.members))
	s.members = append(s.members, m)
	return true
}

// addInt inserts an integer member.
func (s *Set) addInt(v int64, limit int) bool {
	if s.idx != nil {
		return s.Add(strconv.AppendInt(nil, v, 10), limit)
	}
	i, found := slices.BinarySearch(s.ints, v)
	if found {
		return false
	}
	s.ints = slices.Insert(s.ints, i, v)
	if len(s.ints) > limit {
		s.toHashtable()
	}
	return true
}

// Remove deletes member and reports whether it was there.
func (s *Set) Remove(member []byte) bool {
	if s.idx == nil {
		v, ok := ParseInt(member)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(s.ints, v)
		if found {
			s.ints = slices.Delete(s.ints, i, i+1)
		}
		return found
	}
	i := s.idx.Get(borrowStr(member))
	if i == nil {
		return false
	}
	s.removeAt(*i)
	return true
}

// removeAt deletes member i (Each order).
func (s *Set) removeAt(i int) {
	if s.idx == nil {
		s.ints = slices.Delete(s.ints, i, i+1)
		return
	}
	s.idx.Delete(borrowStr(s.members[i]))
	last := len(s.members) - 1
	if i != last {
		s.members[i] = s.members[last]
		*s.idx.Get(borrowStr(s.members[i])) = i
	}
	s.members[last] = nil
	s.members = s.members[:last]
}

func (s *Set) toHashtable() {
	s.members = make([][]byte, 0, len(s.ints)+1)
	for _, v := range s.ints {
		s.members = append(s.members, strconv.AppendInt(nil, v, 10))
	}
	s.idx = newIndex(s.members)
	s.ints = nil
}

// addFrom adds every member of o to s (avoiding text round trips between
// intsets).
func (s *Set) addFrom(o *Set, limit int) {
	if o.idx == nil {
		for _, v := range o.ints {
			s.addInt(v, limit)
		}
		return
	}
	for _, m := range o.members {
		s.Add(m, limit)
	}
}

// --- key access helpers ---------------------------------------------------

// setRead returns key's set for a read: nil if missing; ok false after a
// WRONGTYPE reply.
func setRead(c *Client, key []byte) (s *Set, ok bool) {
	return objectOf[*Set](c, c.DB().LookupRead(string(key)))
}

// setWrite is setRead for a command about to modify the set in place.
func setWrite(c *Client, key string) (s *Set, ok bool) {
	return objectOf[*Set](c, c.DB().LookupWrite(key))
}

// setCreate stores a new empty set under key, which must be missing, with
// the "new" keyspace event of Redis's dbAdd; the caller fills it before the
// command returns.
func setCreate(c *Client, key string) *Set {
	s := &Set{}
	c.DB().SetObject(key, s)
	c.srv.notifyNewKey(c.DB(), key)
	return s
}

// setDeleteIfEmpty removes key once its set is empty (Redis never keeps
// empty aggregates).
func setDeleteIfEmpty(c *Client, key string, s *Set) {
	if s.Len() == 0 {
		c.DB().Delete(key)
		c.srv.notify(notifyGeneric, "del", key, c.DB().ID())
	}
}

// replySetMembers replies s's members as a set (an array in RESP2).
func replySetMembers(c *Client, s *Set) {
	c.ReplySet(s.Len())
	s.Each(func(m []byte) bool {
		c.ReplyBulk(m)
		return true
	})
}

// --- commands -------------------------------------------------------------

func saddCommand(c *Client) {
	key := string(c.argv[1])
	s, ok := setWrite(c, key)
	if !ok {
		return
	}
	if s == nil {
		s = setCreate(c, key)
	}
	limit := maxIntset(c.srv.opts)
	added := 0
	for _, m := range c.argv[2:] {
		if s.Add(m, limit) {
			added++
		}
	}
	if added > 0 {
		c.srv.keyModified(c.DB(), key)
		c.srv.notify(notifySet, "sadd", key, c.DB().ID())
		c.srv.Dirty(added)
	}
	c.ReplyInt(int64(added))
}

func sremCommand(c *Client) {
	key := string(c.argv[1])
	s, ok := setWrite(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.ReplyInt(0)
		return
	}
	deleted := 0
	for _, m := range c.argv[2:] {
		if s.Remove(m) {
			deleted++
			if s.Len() == 0 {
				break // the key goes; Redis stops looking here too
			}
		}
	}
	if deleted > 0 {
		c.srv.keyModified(c.DB(), key)
		c.srv.notify(notifySet, "srem", key, c.DB().ID())
		setDeleteIfEmpty(c, key, s)
		c.srv.Dirty(deleted)
	}
	c.ReplyInt(int64(deleted))
}

// SMOVE source destination member
func smoveCommand(c *Client) {
	src, dst := string(c.argv[1]), string(c.argv[2])
	member := c.argv[3]
	db := c.DB()
	srcEntry := db.LookupWrite(src)
	dstEntry := db.LookupWrite(dst)
	if srcEntry == nil {
		c.ReplyInt(0)
		return
	}
	srcSet, ok := srcEntry.obj.(*Set)
	if !ok {
		c.ReplyError(ErrWrongType)
		return
	}
	var dstSet *Set
	if dstEntry != nil {
		if dstSet, ok = dstEntry.obj.(*Set); !ok {
			c.ReplyError(ErrWrongType)
			return
		}
	}
	if srcSet == dstSet {
		if srcSet.Has(member) {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
		return
	}
	if !srcSet.Remove(member) {
		c.ReplyInt(0)
		return
	}
	c.srv.notify(notifySet, "srem", src, db.ID())
	setDeleteIfEmpty(c, src, srcSet)
	if dstSet == nil {
		dstSet = setCreate(c, dst)
	}
	c.srv.keyModified(db, src)
	c.srv.Dirty(1)
	if dstSet.Add(member, maxIntset(c.srv.opts)) {
		c.srv.Dirty(1)
		c.srv.keyModified(db, dst)
		c.srv.notify(notifySet, "sadd", dst, db.ID())
	}
	c.ReplyInt(1)
}

func sismemberCommand(c *Client) {
	s, ok := setRead(c, c.argv[1])
	if !ok {
		return
	}
	if s != nil && s.Has(c.argv[2]) {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
}

func smismemberCommand(c *Client) {
	s, ok := setRead(c, c.argv[1])
	if !ok {
		return
	}
	c.ReplyArray(len(c.argv) - 2)
	for _, m := range c.argv[2:] {
		if s != nil && s.Has(m) {
			c.ReplyInt(1)
		} else {
			c.ReplyInt(0)
		}
	}
}

func scardCommand(c *Client) { replyObjectLen[*Set](c) }

func smembersCommand(c *Client) {
	s, ok := setRead(c, c.argv[1])
	if !ok {
		return
	}
	if s == nil {
		c.ReplySet(0)
		return
	}
	replySetMembers(c, s)
}

// SPOP key [count]
func spopCommand(c *Client) {
	if len(c.argv) == 3 {
		spopWithCount(c)
		return
	} else if len(c.argv) > 3 {
		c.ReplyError(ErrSyntax)
		return
	}
	key := string(c.argv[1])
	s, ok := setWrite(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.ReplyNull()
		return
	}
	i := rand.IntN(s.Len())
	var buf [20]byte
	m := bytes.Clone(s.at(i, buf[:0]))
	s.removeAt(i)
	c.srv.notify(notifySet, "spop", key, c.DB().ID())
	// A random choice must reach replicas as what it removed.
	c.Propagate([]byte("SREM"), c.argv[1], m)
	c.ReplyBulk(m)
	setDeleteIfEmpty(c, key, s)
	c.srv.keyModified(c.DB(), key)
	c.srv.Dirty(1)
}

// spopMoveStrategyMul is Redis's SPOP_MOVE_STRATEGY_MUL: when what remains
// is small next to what is popped, the remaining members are picked
// instead and the set is rebuilt from them.
const spopMoveStrategyMul = 5

func spopWithCount(c *Client) {
	l, ok := ParseInt(c.argv[2])
	if !ok || l < 0 {
		c.ReplyError("ERR value is out of range, must be positive")
		return
	}
	key := string(c.argv[1])
	s, ok := setWrite(c, key)
	if !ok {
		return
	}
	if s == nil || l == 0 {
		c.ReplySet(0)
		return
	}
	db := c.DB()
	size := s.Len()
	c.srv.notify(notifySet, "spop", key, db.ID())
	if l >= int64(size) {
		// Everything goes: reply the set, drop the key, replicate a DEL.
		replySetMembers(c, s)
		db.Delete(key)
		c.srv.notify(notifyGeneric, "del", key, db.ID())
		c.Propagate([]byte("DEL"), c.argv[1])
		c.srv.keyModified(db, key)
		c.srv.Dirty(1)
		return
	}
	count := int(l)
	remaining := size - count
	c.ReplySet(count)
	// Each popped member is replicated as its own SREM (several are
	// wrapped in MULTI/EXEC), as Redis 7.0 does.
	popped := func(m []byte) {
		c.ReplyBulk(m)
		c.Propagate([]byte("SREM"), c.argv[1], m)
	}
	var buf [20]byte
	if remaining*spopMoveStrategyMul > count {
		for n := 0; n < count; n++ {
			i := rand.IntN(s.Len())
			m := bytes.Clone(s.at(i, buf[:0]))
			s.removeAt(i)
			popped(m)
		}
	} else {
		// Pick the members that stay, build a new set from them (so it
		// gets a fresh encoding, as in Redis), and pop the rest in the
		// old set's order.
		limit := maxIntset(c.srv.opts)
		kept := &Set{}
		for n := 0; n < remaining; n++ {
			i := rand.IntN(s.Len())
			kept.Add(s.at(i, buf[:0]), limit)
			s.removeAt(i)
		}
		s.Each(func(m []byte) bool {
			popped(m)
			return true
		})
		// Replace the value in place (the entry was fetched with
		// LookupWrite), which keeps the key's TTL like Redis's
		// dbOverwrite.
		*s = *kept
	}
	c.srv.keyModified(db, key)
	c.srv.Dirty(count)
}

// SRANDMEMBER key [count]
func srandmemberCommand(c *Client) {
	if len(c.argv) == 3 {
		srandmemberWithCount(c)
		return
	} else if len(c.argv) > 3 {
		c.ReplyError(ErrSyntax)
		return
	}
	s, ok := setRead(c, c.argv[1])
	if !ok {
		return
	}
	if s == nil {
		c.ReplyNull()
		return
	}
	var buf [20]byte
	c.ReplyBulk(s.at(rand.IntN(s.Len()), buf[:0]))
}

func srandmemberWithCount(c *Client) {
	// Only called with 3 arguments: there is no flag.
	l, _, ok := randCountArgs(c, "")
	if !ok {
		return
	}
	s, ok := setRead(c, c.argv[1])
	if !ok {
		return
	}
	if s == nil || l == 0 {
		c.ReplyArray(0)
		return
	}
	size := s.Len()
	var buf [20]byte
	if l < 0 {
		// Repeats allowed: independent picks.
		c.ReplyArray(int(-l))
		for n := -l; n > 0; n-- {
			c.ReplyBulk(s.at(rand.IntN(size), buf[:0]))
		}
		return
	}
	if l >= int64(size) {
		c.ReplyArray(size)
		s.Each(func(m []byte) bool {
			c.ReplyBulk(m)
			return true
		})
		return
	}
	c.ReplyArray(int(l))
	for _, i := range randomDistinct(size, int(l)) {
		c.ReplyBulk(s.at(i, buf[:0]))
	}
}

// setsOf looks up keys as sets for SINTER/SUNION/SDIFF and their STORE
// forms: a missing key is a nil entry (an empty set). ok is false after a
// WRONGTYPE reply; every key is type-checked, even after a missing one, as
// in Redis.
func setsOf(c *Client, keys [][]byte) (sets []*Set, ok bool) {
	sets = make([]*Set, len(keys))
	for i, k := range keys {
		if sets[i], ok = setRead(c, k); !ok {
			return nil, false
		}
	}
	return sets, true
}

// storeSetResult is storeResult for SINTERSTORE/SUNIONSTORE/SDIFFSTORE; a
// nil res is an empty result.
func storeSetResult(c *Client, dst []byte, res *Set, event string) {
	var obj Object
	if res != nil {
		obj = res
	}
	storeResult(c, string(dst), obj, notifySet, event)
}

// sinterGeneric serves SINTER, SINTERSTORE (dst != nil) and SINTERCARD
// (cardOnly, stopping at limit when it is not 0).
func sinterGeneric(c *Client, keys [][]byte, dst []byte, cardOnly bool, limit int) {
	sets, ok := setsOf(c, keys)
	if !ok {
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != nil:
			storeSetResult(c, dst, nil, "")
		case cardOnly:
			c.ReplyInt(0)
		default:
			c.ReplySet(0)
		}
		return
	}
	// Walk the smallest set and probe the others, like Redis; the stable
	// sort keeps equal-sized sets in argument order, as glibc's qsort
	// (a merge sort) does, so the reply order matches Redis's.
	slices.SortStableFunc(sets, func(a, b *Set) int { return cmp.Compare(a.Len(), b.Len()) })
	var res *Set
	var d deferLen
	if dst != nil {
		res = &Set{}
	} else if !cardOnly {
		d = c.ReplyDeferredArray()
	}
	intLimit := maxIntset(c.srv.opts)
	n := 0
	sets[0].Each(func(m []byte) bool {
		for _, o := range sets[1:] {
			if o != sets[0] && !o.Has(m) {
				return true
			}
		}
		n++
		switch {
		case res != nil:
			res.Add(m, intLimit)
		case cardOnly:
			return limit == 0 || n < limit
		default:
			c.ReplyBulk(m)
		}
		return true
	})
	switch {
	case res != nil:
		storeSetResult(c, dst, res, "sinterstore")
	case cardOnly:
		c.ReplyInt(int64(n))
	default:
		c.SetDeferredSet(d, n)
	}
}

func sinterCommand(c *Client) { sinterGeneric(c, c.argv[1:], nil, false, 0) }

func sinterstoreCommand(c *Client) { sinterGeneric(c, c.argv[2:], c.argv[1], false, 0) }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercardCommand(c *Client) {
	numkeys, ok := ParseInt(c.argv[1])
	if !ok || numkeys < 1 {
		c.ReplyError("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(c.argv)-2) {
		c.ReplyError("ERR Number of keys can't be greater than number of args")
		return
	}
	limit := int64(0)
	for j := 2 + int(numkeys); j < len(c.argv); j++ {
		if c.ArgIs(j, "limit") && j+1 < len(c.argv) {
			j++
			if limit, ok = ParseInt(c.argv[j]); !ok || limit < 0 {
				c.ReplyError("ERR LIMIT can't be negative")
				return
			}
		} else {
			c.ReplyError(ErrSyntax)
			return
		}
	}
	sinterGeneric(c, c.argv[2:2+numkeys], nil, true, int(limit))
}

const (
	setOpUnion = iota
	setOpDiff
)

// sunionDiffGeneric serves SUNION, SDIFF and their STORE forms (dst !=
// nil). The result is built as a new set, which starts as an intset and
// converts as needed, and is replied in that set's order, as in Redis.
func sunionDiffGeneric(c *Client, keys [][]byte, dst []byte, op int) {
	sets, ok := setsOf(c, keys)
	if !ok {
		return
	}
	limit := maxIntset(c.srv.opts)
	res := &Set{}
	switch {
	case op == setOpUnion:
		for _, s := range sets {
			if s != nil {
				res.addFrom(s, limit)
			}
		}
	case sets[0] != nil:
		// Redis's two SDIFF algorithms cost differently: probing every
		// other set for each member of the first (cheap when the first
		// is small), or copying the first and removing the others' members.
		first := sets[0]
		probeWork, removeWork := 0, 0
		for _, s := range sets {
			if s != nil {
				probeWork += first.Len()
				removeWork += s.Len()
			}
		}
		if probeWork/2 <= removeWork {
			others := slices.DeleteFunc(slices.Clone(sets[1:]), func(s *Set) bool { return s == nil })
			// Bigger sets first: a shared member is found sooner.
			slices.SortStableFunc(others, func(a, b *Set) int { return cmp.Compare(b.Len(), a.Len()) })
			first.Each(func(m []byte) bool {
				for _, o := range others {
					if o == first || o.Has(m) {
						return true
					}
				}
				res.Add(m, limit)
				return true
			})
		} else {
			res.addFrom(first, limit)
			for _, s := range sets[1:] {
				if s == nil {
					continue
				}
				s.Each(func(m []byte) bool {
					res.Remove(m)
					return res.Len() > 0
				})
				if res.Len() == 0 {
					break
				}
			}
		}
	}
	if dst != nil {
		event := "sunionstore"
		if op == setOpDiff {
			event = "sdiffstore"
		}
		storeSetResult(c, dst, res, event)
		return
	}
	replySetMembers(c, res)
}

func sunionCommand(c *Client)      { sunionDiffGeneric(c, c.argv[1:], nil, setOpUnion) }
func sunionstoreCommand(c *Client) { sunionDiffGeneric(c, c.argv[2:], c.argv[1], setOpUnion) }
func sdiffCommand(c *Client)       { sunionDiffGeneric(c, c.argv[1:], nil, setOpDiff) }
func sdiffstoreCommand(c *Client)  { sunionDiffGeneric(c, c.argv[2:], c.argv[1], setOpDiff) }

// SSCAN key cursor [MATCH pattern] [COUNT count]
func sscanCommand(c *Client) { objectScan(c, setRead, (*Set).scan) }

// scan is one SSCAN call (see objectScan): an intset goes whole with cursor
// 0, a hashtable resumes its index's scan at cursor.
func (s *Set) scan(cursor uint64, a *scanArgs, out [][]byte) ([][]byte, uint64) {
	add := func(m []byte) {
		if a.matches(m) {
			out = append(out, m)
		}
	}
	if s.idx == nil {
		for i := range s.ints {
			add(s.at(i, nil))
		}
		return out, 0
	}
	count, steps := a.budget(1)
	next := s.idx.ScanBatch(cursor, count, steps, func(_ string, i *int) { add(s.members[*i]) })
	return out, next
}

func init() {
	register(
		&Command{Name: "sadd", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Add one or more members to a set",
			ACL: []string{"write", "set", "fast"}, Proc: saddCommand},
		&Command{Name: "srem", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Remove one or more members from a set",
			ACL: []string{"write", "set", "fast"}, Proc: sremCommand},
		&Command{Name: "smembers", Arity: 2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Get all the members in a set",
			ACL: []string{"read", "set", "slow"}, Proc: smembersCommand},
		&Command{Name: "sismember", Arity: 3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Determine if a given value is a member of a set",
			ACL: []string{"read", "set", "fast"}, Proc: sismemberCommand},
		&Command{Name: "smismember", Arity: -3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "6.2.0", Summary: "Returns the membership associated with the given elements for a set",
			ACL: []string{"read", "set", "fast"}, Proc: smismemberCommand},
		&Command{Name: "scard", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Get the number of members in a set",
			ACL: []string{"read", "set", "fast"}, Proc: scardCommand},
		&Command{Name: "spop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Remove and return one or multiple random members from a set",
			ACL: []string{"write", "set", "fast"}, Proc: spopCommand},
		&Command{Name: "srandmember", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Get one or multiple random members from a set",
			ACL: []string{"read", "set", "slow"}, Proc: srandmemberCommand},
		&Command{Name: "smove", Arity: 4, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Move a member from one set to another",
			ACL: []string{"write", "set", "fast"}, Proc: smoveCommand},
		&Command{Name: "sinter", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Intersect multiple sets",
			ACL: []string{"read", "set", "slow"}, Proc: sinterCommand},
		&Command{Name: "sintercard", Arity: -3, Flags: FlagReadonly, FirstKey: 0, LastKey: 0, Step: 0,
			Group: "set", Since: "7.0.0", Summary: "Intersect multiple sets and return the cardinality of the result",
			ACL: []string{"read", "set", "slow"}, Proc: sintercardCommand, Keys: numkeysKeys(1)},
		&Command{Name: "sunion", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Add multiple sets",
			ACL: []string{"read", "set", "slow"}, Proc: sunionCommand},
		&Command{Name: "sdiff", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Subtract multiple sets",
			ACL: []string{"read", "set", "slow"}, Proc: sdiffCommand},
		&Command{Name: "sinterstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Intersect multiple sets and store the resulting set in a key",
			ACL: []string{"write", "set", "slow"}, Proc: sinterstoreCommand},
		&Command{Name: "sunionstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Add multiple sets and store the resulting set in a key",
			ACL: []string{"write", "set", "slow"}, Proc: sunionstoreCommand},
		&Command{Name: "sdiffstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "set", Since: "1.0.0", Summary: "Subtract multiple sets and store the resulting set in a key",
			ACL: []string{"write", "set", "slow"}, Proc: sdiffstoreCommand},
		&Command{Name: "sscan", Arity: -3, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "set", Since: "2.8.0", Summary: "Incrementally iterate Set elements",
			ACL: []string{"read", "set", "slow"}, Proc: sscanCommand},
	)
}
