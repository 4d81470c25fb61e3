package backend

import (
	"math"
	"strconv"
	"time"

	"github.com/wardenhq/warden/backend/ds"
)

// List is the value of a list key: a ring-buffer deque of elements.
//
// Redis 7.0 always reports the "quicklist" encoding for lists (the compact
// "listpack" list encoding only arrived in 7.2), so OBJECT ENCODING does too;
// list-max-listpack-size only shapes the quicklist nodes the RDB writer
// produces.
type List struct {
	d *ds.Deque
}

func newList() *List { return &List{d: ds.NewDeque()} }

// NewListFromElems builds a list holding elems in order (RDB/AOF loading).
// The element slices are kept, not copied: the caller must not reuse them.
func NewListFromElems(elems [][]byte) *List {
	l := newList()
	for _, e := range elems {
		l.d.PushBack(e)
	}
	return l
}

// TypeName implements Object.
func (l *List) TypeName() string { return "list" }

// Encoding implements Object; see the type comment.
func (l *List) Encoding() string { return "quicklist" }

// Clone implements Object. Elements are shared: stored values are never
// mutated in place (LSET replaces the slice, it does not write into it).
func (l *List) Clone() Object { return &List{d: l.d.Clone()} }

// Len implements Object.
func (l *List) Len() int { return l.d.Len() }

// Each calls fn for every element from head to tail until fn returns false
// (RDB/AOF writers). Elements are never mutated in place, so fn may keep v.
func (l *List) Each(fn func(v []byte) bool) { l.d.Each(fn) }

// Index returns element i (negative counts from the tail).
func (l *List) Index(i int) ([]byte, bool) { return l.d.Index(i) }

const (
	listHead = 0 // LEFT
	listTail = 1 // RIGHT
)

func (l *List) push(v []byte, where int) {
	if where == listHead {
		l.d.PushFront(v)
	} else {
		l.d.PushBack(v)
	}
}

func (l *List) pop(where int) []byte {
	var v []byte
	if where == listHead {
		v, _ = l.d.PopFront()
	} else {
		v, _ = l.d.PopBack()
	}
	return v
}

// copyBytes detaches an argument from the read buffer before it is stored.
func copyBytes(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

func endName(where int) string {
	if where == listHead {
		return "left"
	}
	return "right"
}

func popEvent(where int) string {
	if where == listHead {
		return "lpop"
	}
	return "rpop"
}

func pushEvent(where int) string {
	if where == listHead {
		return "lpush"
	}
	return "rpush"
}

// listEndArg parses LEFT/RIGHT, replying a syntax error otherwise.
func listEndArg(c *Client, i int) (int, bool) {
	switch {
	case c.ArgIs(i, "left"):
		return listHead, true
	case c.ArgIs(i, "right"):
		return listTail, true
	}
	c.ReplyError(ErrSyntax)
	return 0, false
}

// rangeArg parses a count-like argument that must lie in [min, max],
// replying msg (Redis's getRangeLongFromObjectOrReply with a message) when
// it is not an integer or out of range.
func rangeArg(c *Client, i int, min, max int64, msg string) (int64, bool) {
	v, ok := ParseInt(c.argv[i])
	if !ok || v < min || v > max {
		c.ReplyError(msg)
		return 0, false
	}
	return v, true
}

const errMustBePositive = "ERR value is out of range, must be positive"

// --- push ----------------------------------------------------------------

func pushGeneric(c *Client, where int, onlyIfExists bool) {
	db := c.DB()
	key := string(c.argv[1])
	e := db.LookupWrite(key)
	l, ok := objectOf[*List](c, e)
	if !ok {
		return
	}
	if l == nil {
		if onlyIfExists {
			c.ReplyInt(0)
			return
		}
		l = newList()
		db.SetObject(key, l)
	}
	for _, v := range c.argv[2:] {
		l.push(copyBytes(v), where)
	}
	c.srv.Dirty(len(c.argv) - 2)
	c.ReplyInt(int64(l.Len()))
	c.srv.keyModified(db, key)
	c.srv.notify(notifyList, pushEvent(where), key, db.ID())
}

func lpushCommand(c *Client)  { pushGeneric(c, listHead, false) }
func rpushCommand(c *Client)  { pushGeneric(c, listTail, false) }
func lpushxCommand(c *Client) { pushGeneric(c, listHead, true) }
func rpushxCommand(c *Client) { pushGeneric(c, listTail, true) }

// LINSERT key BEFORE|AFTER pivot element
func linsertCommand(c *Client) {
	var before bool
	switch {
	case c.ArgIs(2, "after"):
	case c.ArgIs(2, "before"):
		before = true
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	db := c.DB()
	key := string(c.argv[1])
	l, ok := objectOf[*List](c, db.LookupWrite(key))
	if !ok {
		return
	}
	if l == nil {
		c.ReplyInt(0)
		return
	}
	pivot := l.d.IndexOf(c.argv[3])
	if pivot < 0 {
		c.ReplyInt(-1)
		return
	}
	l.d.Insert(pivot, before, copyBytes(c.argv[4]))
	c.srv.keyModified(db, key)
	c.srv.notify(notifyList, "linsert", key, db.ID())
	c.srv.Dirty(1)
	c.ReplyInt(int64(l.Len()))
}

// --- reads ---------------------------------------------------------------

func llenCommand(c *Client) { replyObjectLen[*List](c) }

// LINDEX key index: the key is checked before the index is parsed, as in
// Redis, so a missing key answers nil even for a malformed index.
func lindexCommand(c *Client) {
	l, ok := objectOf[*List](c, c.DB().LookupRead(string(c.argv[1])))
	if !ok {
		return
	}
	if l == nil {
		c.ReplyNull()
		return
	}
	idx, ok := c.IntArg(2)
	if !ok {
		return
	}
	v, found := l.d.Index(int(idx))
	if !found {
		c.ReplyNull()
		return
	}
	c.ReplyBulk(v)
}

func lrangeCommand(c *Client) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	l, ok := objectOf[*List](c, c.DB().LookupRead(string(c.argv[1])))
	if !ok {
		return
	}
	if l == nil {
		c.ReplyArray(0)
		return
	}
	replyListRange(c, l, int(start), int(end), false)
}

// replyListRange replies elements start..end (Redis indexes, inclusive) as
// an array, from end to start when reverse.
func replyListRange(c *Client, l *List, start, end int, reverse bool) {
	s, e, ok := ds.NormalizeRange(start, end, l.Len())
	if !ok {
		c.ReplyArray(0)
		return
	}
	c.ReplyArray(e - s + 1)
	if reverse {
		for i := e; i >= s; i-- {
			v, _ := l.d.Index(i)
			c.ReplyBulk(v)
		}
		return
	}
	l.d.Range(s, e, func(v []byte) bool {
		c.ReplyBulk(v)
		return true
	})
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
func lposCommand(c *Client) {
	rank, count, maxlen := int64(1), int64(-1), int64(0) // count -1: not given
	for j := 3; j < len(c.argv); j++ {
		more := j < len(c.argv)-1
		switch {
		case c.ArgIs(j, "rank") && more:
			j++
			v, ok := c.IntArg(j)
			if !ok {
				return
			}
			if v == 0 {
				c.ReplyError("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = v
		case c.ArgIs(j, "count") && more:
			j++
			v, ok := rangeArg(c, j, 0, math.MaxInt64, "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = v
		case c.ArgIs(j, "maxlen") && more:
			j++
			v, ok := rangeArg(c, j, 0, math.MaxInt64, "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxlen = v
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	fromTail := false
	if rank < 0 {
		// -MinInt64 wraps to itself, as in Redis 7.0; it then matches
		// the first hit, which is what the C code does too.
		rank = -rank
		fromTail = true
	}
	l, ok := objectOf[*List](c, c.DB().LookupRead(string(c.argv[1])))
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.ReplyArray(0)
		} else {
			c.ReplyNull()
		}
		return
	}
	ele := string(c.argv[2])
	n := int64(l.Len())
	var d deferLen
	if count != -1 {
		d = c.ReplyDeferredArray()
	}
	matches, arraylen, matchIndex := int64(0), 0, int64(-1)
	for index := int64(0); index < n && (maxlen == 0 || index < maxlen); index++ {
		pos := index
		if fromTail {
			pos = n - index - 1
		}
		v, _ := l.d.Index(int(pos))
		if string(v) != ele {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		if count == -1 {
			matchIndex = pos
			break
		}
		arraylen++
		c.ReplyInt(pos)
		if count != 0 && matches-rank+1 >= count {
			break
		}
	}
	if count != -1 {
		c.SetDeferredArray(d, arraylen)
		return
	}
	if matchIndex == -1 {
		c.ReplyNull()
		return
	}
	c.ReplyInt(matchIndex)
}

// --- in-place writes -----------------------------------------------------

func lsetCommand(c *Client) {
	db := c.DB()
	key := string(c.argv[1])
	e := db.LookupWrite(key)
	if e == nil {
		c.ReplyError(ErrNoSuchKey)
		return
	}
	l, ok := objectOf[*List](c, e)
	if !ok {
		return
	}
	idx, ok := c.IntArg(2)
	if !ok {
		return
	}
	if !l.d.Set(int(idx), copyBytes(c.argv[3])) {
		c.ReplyError(ErrOutOfRange)
		return
	}
	c.ReplyOK()
	c.srv.keyModified(db, key)
	c.srv.notify(notifyList, "lset", key, db.ID())
	c.srv.Dirty(1)
}

// LREM key count element
func lremCommand(c *Client) {
	toremove, ok := c.IntArg(2)
	if !ok {
		return
	}
	db := c.DB()
	key := string(c.argv[1])
	l, ok := objectOf[*List](c, db.LookupWrite(key))
	if !ok {
		return
	}
	if l == nil {
		c.ReplyInt(0)
		return
	}
	if toremove == math.MinInt64 {
		// Redis negates it, which overflows to itself: no limit, so
		// every match goes (direction does not matter then).
		toremove = 0
	}
	ele := string(c.argv[3])
	removed := l.d.RemoveIf(int(toremove), func(v []byte) bool { return string(v) == ele })
	c.srv.Dirty(removed)
	if removed > 0 {
		c.srv.keyModified(db, key)
		c.srv.notify(notifyList, "lrem", key, db.ID())
	}
	if l.Len() == 0 {
		db.Delete(key)
		c.srv.notify(notifyGeneric, "del", key, db.ID())
	}
	c.ReplyInt(int64(removed))
}

// LTRIM key start stop
func ltrimCommand(c *Client) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	db := c.DB()
	key := string(c.argv[1])
	l, ok := objectOf[*List](c, db.LookupWrite(key))
	if !ok {
		return
	}
	if l == nil {
		c.ReplyOK()
		return
	}
	n := l.Len()
	s, e, nonEmpty := ds.NormalizeRange(int(start), int(end), n)
	removed := n
	if nonEmpty {
		removed = n - (e - s + 1)
		l.d.Trim(s, e)
	} else {
		l.d.Clear()
	}
	// Redis notifies and signals even when nothing was trimmed.
	c.srv.notify(notifyList, "ltrim", key, db.ID())
	if l.Len() == 0 {
		db.Delete(key)
		c.srv.notify(notifyGeneric, "del", key, db.ID())
	}
	c.srv.keyModified(db, key)
	c.srv.Dirty(removed)
	c.ReplyOK()
}

// --- pops ----------------------------------------------------------------

// listElementsRemoved is the bookkeeping after popping count elements from
// the key: events, deletion of an emptied list, WATCH/ready signal, dirty.
// It reports whether the key was deleted.
func listElementsRemoved(c *Client, db *DB, key string, where int, l *List, count int) bool {
	s := c.srv
	s.notify(notifyList, popEvent(where), key, db.ID())
	deleted := false
	if l.Len() == 0 {
		db.Delete(key)
		s.notify(notifyGeneric, "del", key, db.ID())
		deleted = true
	}
	s.keyModified(db, key)
	s.Dirty(count)
	return deleted
}

// popRangeReply pops up to count elements from one end of l and replies
// them as an array, in pop order. It returns how many were popped.
func popRangeReply(c *Client, l *List, where int, count int64) int {
	n := int64(l.Len())
	if count > n {
		count = n
	}
	c.ReplyArray(int(count))
	for i := int64(0); i < count; i++ {
		c.ReplyBulk(l.pop(where))
	}
	return int(count)
}

// popRangeWithKeyReply is the [key, [elements...]] reply of LMPOP/BLMPOP,
// with the bookkeeping. It returns the number popped and whether the key
// was deleted.
func popRangeWithKeyReply(c *Client, db *DB, key string, l *List, where int, count int64) (int, bool) {
	c.ReplyArray(2)
	c.ReplyBulkString(key)
	n := popRangeReply(c, l, where, count)
	return n, listElementsRemoved(c, db, key, where, l, n)
}

func popGeneric(c *Client, where int) {
	if len(c.argv) > 3 {
		c.ReplyError("ERR wrong number of arguments for '" + c.cmd.Name + "' command")
		return
	}
	hasCount := len(c.argv) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = rangeArg(c, 2, 0, math.MaxInt64, errMustBePositive); !ok {
			return
		}
	}
	db := c.DB()
	key := string(c.argv[1])
	e := db.LookupWrite(key)
	if e == nil {
		if hasCount {
			c.ReplyNullArray()
		} else {
			c.ReplyNull()
		}
		return
	}
	l, ok := objectOf[*List](c, e)
	if !ok {
		return
	}
	if hasCount && count == 0 {
		c.ReplyArray(0)
		return
	}
	if !hasCount {
		c.ReplyBulk(l.pop(where))
		listElementsRemoved(c, db, key, where, l, 1)
		return
	}
	n := popRangeReply(c, l, where, count)
	listElementsRemoved(c, db, key, where, l, n)
}

func lpopCommand(c *Client) { popGeneric(c, listHead) }
func rpopCommand(c *Client) { popGeneric(c, listTail) }

// --- moves ---------------------------------------------------------------

// lmovePush pushes value onto dst (creating it) and replies the value.
func lmovePush(c *Client, db *DB, dst string, dl *List, value []byte, where int) {
	if dl == nil {
		dl = newList()
		db.SetObject(dst, dl)
	}
	dl.push(value, where)
	c.srv.keyModified(db, dst)
	c.srv.notify(notifyList, pushEvent(where), dst, db.ID())
	c.ReplyBulk(value)
}

// lmoveFrom moves one element from the non-empty list src to dst. It
// replies WRONGTYPE and returns false if dst holds another type.
func lmoveFrom(c *Client, db *DB, src string, sl *List, dst string, from, to int) bool {
	dl, ok := objectOf[*List](c, db.LookupWrite(dst))
	if !ok {
		return false
	}
	// dst was looked up before the pop, as in Redis: when it is src and
	// the pop empties it, the element goes back onto the same list.
	value := sl.pop(from)
	lmovePush(c, db, dst, dl, value, to)
	c.srv.notify(notifyList, popEvent(from), src, db.ID())
	if sl.Len() == 0 {
		db.Delete(src)
		c.srv.notify(notifyGeneric, "del", src, db.ID())
	}
	c.srv.keyModified(db, src)
	c.srv.Dirty(1)
	return true
}

// lmoveGeneric is LMOVE/RPOPLPUSH: it reports whether an element moved.
func lmoveGeneric(c *Client, from, to int) bool {
	db := c.DB()
	src := string(c.argv[1])
	sl, ok := objectOf[*List](c, db.LookupWrite(src))
	if !ok {
		return false
	}
	if sl == nil || sl.Len() == 0 {
		c.ReplyNull()
		return false
	}
	return lmoveFrom(c, db, src, sl, string(c.argv[2]), from, to)
}

func lmoveCommand(c *Client) {
	from, ok := listEndArg(c, 3)
	if !ok {
		return
	}
	to, ok := listEndArg(c, 4)
	if !ok {
		return
	}
	lmoveGeneric(c, from, to)
}

func rpoplpushCommand(c *Client) { lmoveGeneric(c, listTail, listHead) }

// --- multi-key pops ------------------------------------------------------

// lmpopArgs parses "numkeys key... LEFT|RIGHT [COUNT n]" with numkeys at
// argv[idx]: the keys, the end and the count (1 when absent).
func lmpopArgs(c *Client, idx int) (keys [][]byte, where int, count int64, ok bool) {
	numkeys, ok := rangeArg(c, idx, 1, math.MaxInt64, "ERR numkeys should be greater than 0")
	if !ok {
		return nil, 0, 0, false
	}
	if numkeys >= int64(len(c.argv)-idx-1) {
		c.ReplyError(ErrSyntax)
		return nil, 0, 0, false
	}
	whereIdx := idx + int(numkeys) + 1
	if where, ok = listEndArg(c, whereIdx); !ok {
		return nil, 0, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(c.argv); j++ {
		if count == -1 && c.ArgIs(j, "count") && j < len(c.argv)-1 {
			j++
			if count, ok = rangeArg(c, j, 1, math.MaxInt64, "ERR count should be greater than 0"); !ok {
				return nil, 0, 0, false
			}
			continue
		}
		c.ReplyError(ErrSyntax)
		return nil, 0, 0, false
	}
	if count == -1 {
		count = 1
	}
	return c.argv[idx+1 : whereIdx], where, count, true
}

// mpopFirst pops from the first non-empty list among keys, replying
// [key, [elements]] and propagating "[LR]POP key n". It replies WRONGTYPE on
// the first non-list key met, and returns false when nothing was popped
// (no reply written unless there was an error: the caller decides).
func mpopFirst(c *Client, keys [][]byte, where int, count int64) (popped, failed bool) {
	db := c.DB()
	for _, k := range keys {
		key := string(k)
		l, ok := objectOf[*List](c, db.LookupWrite(key))
		if !ok {
			return false, true
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		n, _ := popRangeWithKeyReply(c, db, key, l, where, count)
		c.PropagateStrings(popCmdName(where), key, strconv.Itoa(n))
		return true, false
	}
	return false, false
}

func popCmdName(where int) string {
	if where == listHead {
		return "LPOP"
	}
	return "RPOP"
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
func lmpopCommand(c *Client) {
	keys, where, count, ok := lmpopArgs(c, 1)
	if !ok {
		return
	}
	if popped, failed := mpopFirst(c, keys, where, count); !popped && !failed {
		c.ReplyNullArray()
	}
}

// --- blocking forms ------------------------------------------------------

// blockingPopGeneric is BLPOP/BRPOP (count -1: [key, value] reply) and
// BLMPOP (count > 0: [key, [values]] reply). If a list has data it behaves
// like the non-blocking pop; otherwise the client blocks.
func blockingPopGeneric(c *Client, keys [][]byte, where int, timeoutIdx int, count int64) {
	timeout, ok := c.blockTimeoutArg(timeoutIdx)
	if !ok {
		return
	}
	db := c.DB()
	for _, k := range keys {
		key := string(k)
		l, ok := objectOf[*List](c, db.LookupWrite(key))
		if !ok {
			return
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		if count != -1 {
			n, _ := popRangeWithKeyReply(c, db, key, l, where, count)
			c.PropagateStrings(popCmdName(where), key, strconv.Itoa(n))
			return
		}
		c.ReplyArray(2)
		c.ReplyBulkString(key)
		c.ReplyBulk(l.pop(where))
		listElementsRemoved(c, db, key, where, l, 1)
		c.PropagateStrings(popCmdName(where), key)
		return
	}
	if c.denyBlocking() {
		c.ReplyNullArray()
		return
	}
	c.srv.blockForKeys(c, &blockState{
		kind:    blockList,
		keys:    keys,
		timeout: timeout,
		from:    where,
		count:   count,
	})
}

func blpopCommand(c *Client) {
	blockingPopGeneric(c, c.argv[1:len(c.argv)-1], listHead, len(c.argv)-1, -1)
}

func brpopCommand(c *Client) {
	blockingPopGeneric(c, c.argv[1:len(c.argv)-1], listTail, len(c.argv)-1, -1)
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
func blmpopCommand(c *Client) {
	keys, where, count, ok := lmpopArgs(c, 2)
	if !ok {
		return
	}
	blockingPopGeneric(c, keys, where, 1, count)
}

func blmoveGeneric(c *Client, from, to int, timeout time.Duration, rpoplpush bool) {
	db := c.DB()
	src := string(c.argv[1])
	sl, ok := objectOf[*List](c, db.LookupWrite(src))
	if !ok {
		return
	}
	if sl == nil || sl.Len() == 0 {
		if c.denyBlocking() {
			c.ReplyNull()
			return
		}
		c.srv.blockForKeys(c, &blockState{
			kind:      blockList,
			keys:      c.argv[1:2],
			timeout:   timeout,
			from:      from,
			to:        to,
			count:     -1,
			move:      true,
			dst:       string(c.argv[2]),
			rpoplpush: rpoplpush,
		})
		return
	}
	if lmoveFrom(c, db, src, sl, string(c.argv[2]), from, to) {
		if rpoplpush {
			c.Propagate([]byte("RPOPLPUSH"), c.argv[1], c.argv[2])
		} else {
			c.Propagate([]byte("LMOVE"), c.argv[1], c.argv[2], c.argv[3], c.argv[4])
		}
	}
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
func blmoveCommand(c *Client) {
	from, ok := listEndArg(c, 3)
	if !ok {
		return
	}
	to, ok := listEndArg(c, 4)
	if !ok {
		return
	}
	timeout, ok := c.blockTimeoutArg(5)
	if !ok {
		return
	}
	blmoveGeneric(c, from, to, timeout, false)
}

// BRPOPLPUSH source destination timeout
func brpoplpushCommand(c *Client) {
	timeout, ok := c.blockTimeoutArg(3)
	if !ok {
		return
	}
	blmoveGeneric(c, listTail, listHead, timeout, true)
}

// serveBlockedList serves waiter w, blocked on key (a non-empty list in
// db), exactly as its command would have run had the data been there: it
// pops, replies into w's buffer, notifies and propagates the non-blocking
// equivalent. It reports whether the key was deleted.
func (s *Server) serveBlockedList(w *Client, bs *blockState, db *DB, key string, l *List) bool {
	if bs.move {
		dl, ok := objectOf[*List](w, db.LookupWrite(bs.dst))
		if !ok {
			// Redis answers WRONGTYPE and unblocks the client; the
			// element stays in the source.
			return false
		}
		value := l.pop(bs.from)
		lmovePush(w, db, bs.dst, dl, value, bs.to)
		if bs.rpoplpush {
			s.propagateOne(db, []byte("RPOPLPUSH"), []byte(key), []byte(bs.dst))
		} else {
			s.propagateOne(db, []byte("LMOVE"), []byte(key), []byte(bs.dst),
				[]byte(endName(bs.from)), []byte(endName(bs.to)))
		}
		s.notify(notifyList, popEvent(bs.from), key, db.ID())
		deleted := false
		if l.Len() == 0 {
			db.Delete(key)
			s.notify(notifyGeneric, "del", key, db.ID())
			deleted = true
		}
		s.keyModified(db, key)
		s.Dirty(1)
		return deleted
	}
	if bs.count != -1 {
		n := int64(l.Len())
		if bs.count < n {
			n = bs.count
		}
		s.propagateOne(db, []byte(popCmdName(bs.from)), []byte(key), strconv.AppendInt(nil, n, 10))
		_, deleted := popRangeWithKeyReply(w, db, key, l, bs.from, bs.count)
		return deleted
	}
	s.propagateOne(db, []byte(popCmdName(bs.from)), []byte(key))
	w.ReplyArray(2)
	w.ReplyBulkString(key)
	w.ReplyBulk(l.pop(bs.from))
	return listElementsRemoved(w, db, key, bs.from, l, 1)
}

// numkeysKeys gives the key positions of LMPOP (numkeys at 1) and BLMPOP
// (numkeys at 2), for COMMAND GETKEYS and ACL checks.
func numkeysKeys(numkeysIdx int) func(args [][]byte) []int {
	return numkeysKeyPositions(numkeysIdx, false)
}

// numkeysKeyPositions returns the Keys function of a command whose keys are
// counted by argument numkeysIdx, preceded by a destination key at 1 when
// hasDst (ZUNIONSTORE and the like).
func numkeysKeyPositions(numkeysIdx int, hasDst bool) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if numkeysIdx >= len(args) {
			return nil
		}
		n, ok := ParseInt(args[numkeysIdx])
		if !ok || n < 1 || n > int64(len(args)-numkeysIdx-1) {
			return nil
		}
		var keys []int
		if hasDst {
			keys = append(keys, 1)
		}
		for i := 0; i < int(n); i++ {
			keys = append(keys, numkeysIdx+1+i)
		}
		return keys
	}
}

func init() {
	acl := func(cats ...string) []string { return cats }
	register(
		&Command{Name: "lpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Prepend one or multiple elements to a list",
			ACL: acl("write", "list", "fast"), Proc: lpushCommand},
		&Command{Name: "rpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Append one or multiple elements to a list",
			ACL: acl("write", "list", "fast"), Proc: rpushCommand},
		&Command{Name: "lpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "2.2.0", Summary: "Prepend an element to a list, only if the list exists",
			ACL: acl("write", "list", "fast"), Proc: lpushxCommand},
		&Command{Name: "rpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "2.2.0", Summary: "Append an element to a list, only if the list exists",
			ACL: acl("write", "list", "fast"), Proc: rpushxCommand},
		&Command{Name: "lpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Remove and get the first elements in a list",
			ACL: acl("write", "list", "fast"), Proc: lpopCommand},
		&Command{Name: "rpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Remove and get the last elements in a list",
			ACL: acl("write", "list", "fast"), Proc: rpopCommand},
		&Command{Name: "llen", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Get the length of a list",
			ACL: acl("read", "list", "fast"), Proc: llenCommand},
		&Command{Name: "lrange", Arity: 4, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Get a range of elements from a list",
			ACL: acl("read", "list", "slow"), Proc: lrangeCommand},
		&Command{Name: "lindex", Arity: 3, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Get an element from a list by its index",
			ACL: acl("read", "list", "slow"), Proc: lindexCommand},
		&Command{Name: "lset", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Set the value of an element in a list by its index",
			ACL: acl("write", "list", "slow"), Proc: lsetCommand},
		&Command{Name: "lrem", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Remove elements from a list",
			ACL: acl("write", "list", "slow"), Proc: lremCommand},
		&Command{Name: "ltrim", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "1.0.0", Summary: "Trim a list to the specified range",
			ACL: acl("write", "list", "slow"), Proc: ltrimCommand},
		&Command{Name: "linsert", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "2.2.0", Summary: "Insert an element before or after another element in a list",
			ACL: acl("write", "list", "slow"), Proc: linsertCommand},
		&Command{Name: "lpos", Arity: -3, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "list", Since: "6.0.6", Summary: "Return the index of matching elements on a list",
			ACL: acl("read", "list", "slow"), Proc: lposCommand},
		&Command{Name: "lmove", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "list", Since: "6.2.0", Summary: "Pop an element from a list, push it to another list and return it",
			ACL: acl("write", "list", "slow"), Proc: lmoveCommand},
		&Command{Name: "rpoplpush", Arity: 3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "list", Since: "1.2.0", Summary: "Remove the last element in a list, prepend it to another list and return it",
			ACL: acl("write", "list", "slow"), Proc: rpoplpushCommand},
		&Command{Name: "lmpop", Arity: -4, Flags: FlagWrite, Keys: numkeysKeys(1),
			Group: "list", Since: "7.0.0", Summary: "Pop elements from a list",
			ACL: acl("write", "list", "slow"), Proc: lmpopCommand},
		&Command{Name: "blpop", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1,
			Group: "list", Since: "2.0.0", Summary: "Remove and get the first element in a list, or block until one is available",
			ACL: acl("write", "list", "slow", "blocking"), Proc: blpopCommand},
		&Command{Name: "brpop", Arity: -3, Flags: FlagWrite | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1,
			Group: "list", Since: "2.0.0", Summary: "Remove and get the last element in a list, or block until one is available",
			ACL: acl("write", "list", "slow", "blocking"), Proc: brpopCommand},
		&Command{Name: "blmove", Arity: 6, Flags: FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "list", Since: "6.2.0", Summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
			ACL: acl("write", "list", "slow", "blocking"), Proc: blmoveCommand},
		&Command{Name: "brpoplpush", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "list", Since: "2.2.0", Summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
			ACL: acl("write", "list", "slow", "blocking"), Proc: brpoplpushCommand},
		&Command{Name: "blmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, Keys: numkeysKeys(2),
			Group: "list", Since: "7.0.0", Summary: "Pop elements from a list, or block until one is available",
			ACL: acl("write", "list", "slow", "blocking"), Proc: blmpopCommand},
	)
}
