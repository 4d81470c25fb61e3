package backend

// Sorted sets: the *ZSet value type and the Z* commands, with Redis 7.0's
// replies, errors, keyspace events and propagation.
//
// Helpers for the blocking commands (BZPOPMIN, BZPOPMAX, BZMPOP, in
// blocking.go). All must be called holding Server.mu.
//
//	zsetPop(c, db, key, highest, count) (members [][]byte, scores []float64, ok bool)
//	    Pops up to count (>= 1) elements from the sorted set at key: the
//	    lowest first, or the highest first when highest. It does all the
//	    bookkeeping of a write (deletes an emptied key, keyspace events
//	    "zpopmin"/"zpopmax" then "del", keyModified, Dirty) but neither
//	    replies nor propagates. ok is false, and nothing happens, when key
//	    is missing or holds another type; check the type first (with
//	    zsetLookupWrite or Entry.TypeName) to reply WRONGTYPE.
//	zsetReplyKeyedPop(c, key, members, scores)
//	    Writes BZPOPMIN/BZPOPMAX's reply: a flat [key, member, score] (in
//	    RESP3 too, as Redis 7.0 does).
//	zsetReplyMPop(c, key, members, scores)
//	    Writes ZMPOP/BZMPOP's reply: [key, [[member, score], ...]].
//	zsetPopArgs(key, highest, count, withCount) [][]byte
//	    The command to propagate for a pop: "ZPOPMIN key" (BZPOPMIN) or
//	    "ZPOPMIN key count" (ZMPOP, BZMPOP, with the requested count), as
//	    Redis 7.0 rewrites them. Use with c.Propagate(args...).
//
// For persistence: ZSet.Each (ascending order), ZSet.Len,
// NewZSetFromPairs / NewZSetFromPairsOpts.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unsafe"

	"github.com/wardenhq/warden/backend/ds"
	"github.com/wardenhq/warden/internal/resp"
)

// ZSet is the value of a sorted set key.
//
// Every sorted set is a ds.ZSet (a skiplist with ranks plus a member→score
// map); the listpack encoding of Redis is not reproduced in memory, only
// reported: clients observe it through OBJECT ENCODING, so a set says
// "listpack" until it first grows past zset-max-listpack-entries members or
// receives a member longer than zset-max-listpack-value bytes, and
// "skiplist" from then on (the conversion is one-way, as in Redis). The
// element order of every reply is the sorted order in both encodings, as it
// is in Redis, except ZSCAN of a big set, which follows its member map.
//
// One listpack effect is visible in scores and is reproduced: a listpack
// stores a score as text that reads back as a plain 0 for -0, so a score of
// -0 stored while the set is a listpack becomes 0 (see lpScore).
type ZSet struct {
	zs  *ds.ZSet
	big bool // "skiplist" encoding
}

// zsetLimits are the listpack thresholds in force.
type zsetLimits struct {
	maxEntries int // zset-max-listpack-entries
	maxValue   int // zset-max-listpack-value, bytes
}

func zsetLimitsOf(o *Options) zsetLimits {
	if o == nil {
		o = DefaultOptions()
	}
	return zsetLimits{maxEntries: o.ZsetMaxListpackEntries, maxValue: o.ZsetMaxListpackValue}
}

// fits reports whether a set of n members, the longest maxLen bytes, is
// small enough for the listpack encoding.
func (l zsetLimits) fits(n, maxLen int) bool {
	return n <= l.maxEntries && maxLen <= l.maxValue
}

func newZSet() *ZSet { return &ZSet{zs: ds.NewZSet()} }

// lpScore is score as a listpack stores it: -0 reads back as 0 (the only
// double that Redis's text round trip changes).
func lpScore(score float64) float64 {
	if score == 0 {
		return 0
	}
	return score
}

// toListpack switches a set built in the skiplist encoding (the result of
// ZUNIONSTORE and friends, or a loaded set) to the listpack encoding, with
// the score change that conversion brings.
func (z *ZSet) toListpack() {
	z.big = false
	var negZero []string
	z.zs.Each(func(m string, s float64) bool {
		if s == 0 && math.Signbit(s) {
			negZero = append(negZero, m)
		}
		return true
	})
	for _, m := range negZero {
		// -0 == 0, so Add alone would keep the old score.
		z.zs.Remove(m)
		z.zs.Add(m, 0)
	}
}

// NewZSetFromPairs builds a sorted set from parallel member/score slices
// (for loading), choosing the encoding with Redis's default thresholds.
// Members are copied. Scores must not be NaN (loaders reject those, as
// Redis does); a repeated member keeps its last score. Prefer
// NewZSetFromPairsOpts with the server's options.
func NewZSetFromPairs(members [][]byte, scores []float64) *ZSet {
	return NewZSetFromPairsOpts(nil, members, scores)
}

// NewZSetFromPairsOpts is NewZSetFromPairs with the thresholds of opts (nil
// means Redis's defaults). Like Redis's RDB loader, it picks the encoding
// from the loaded contents: listpack when they fit, else skiplist.
func NewZSetFromPairsOpts(opts *Options, members [][]byte, scores []float64) *ZSet {
	z := &ZSet{zs: ds.NewZSet(), big: true}
	maxLen := 0
	for i, m := range members {
		z.zs.Add(string(m), scores[i])
		maxLen = max(maxLen, len(m))
	}
	if zsetLimitsOf(opts).fits(z.zs.Len(), maxLen) {
		z.toListpack()
	}
	return z
}

// TypeName implements Object.
func (z *ZSet) TypeName() string { return "zset" }

// Encoding implements Object.
func (z *ZSet) Encoding() string {
	if z.big {
		return "skiplist"
	}
	return "listpack"
}

// Clone implements Object.
func (z *ZSet) Clone() Object { return &ZSet{zs: z.zs.Clone(), big: z.big} }

// Len implements Object.
func (z *ZSet) Len() int { return z.zs.Len() }

// Each calls fn for every element in ascending (score, member) order until
// fn returns false. member shares the set's memory: fn must not modify it.
func (z *ZSet) Each(fn func(member []byte, score float64) bool) {
	z.zs.Each(func(m string, s float64) bool { return fn(strBytes(m), s) })
}

// Score returns member's score.
func (z *ZSet) Score(member []byte) (float64, bool) { return z.zs.Score(string(member)) }

// strBytes views s as bytes without copying; the result must not be
// modified.
func strBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// insert adds a new member the way Redis's zsetAdd does: a listpack that
// would outgrow a threshold converts to a skiplist first, and the member is
// then stored in the resulting encoding.
func (z *ZSet) insert(member string, score float64, lim zsetLimits) {
	if !z.big && (z.zs.Len()+1 > lim.maxEntries || len(member) > lim.maxValue) {
		z.big = true
	}
	z.store(member, score)
}

// store sets member's score as the current encoding keeps it.
func (z *ZSet) store(member string, score float64) {
	if !z.big {
		score = lpScore(score)
	}
	z.zs.Add(member, score)
}

// zadd flags, as in Redis's zsetAdd.
const (
	zaddNX = 1 << iota
	zaddXX
	zaddGT
	zaddLT
	zaddIncr
)

// zadd outcomes.
const (
	zaddAdded = 1 << iota
	zaddUpdated
	zaddNop
	zaddNaN
)

// add is Redis's zsetAdd: it adds or updates member under the ZADD flags
// and returns what happened and the new score as computed (ZINCRBY's reply,
// which may be -0 where a listpack stores 0).
func (z *ZSet) add(member string, score float64, flags int, lim zsetLimits) (out int, newScore float64) {
	cur, exists := z.zs.Score(member)
	if exists {
		if flags&zaddNX != 0 {
			return zaddNop, 0
		}
		if flags&zaddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return zaddNaN, 0
			}
		}
		if (flags&zaddLT != 0 && score >= cur) || (flags&zaddGT != 0 && score <= cur) {
			return zaddNop, 0
		}
		if score != cur {
			z.store(member, score)
			return zaddUpdated, score
		}
		return 0, score
	}
	if flags&zaddXX != 0 {
		return zaddNop, 0
	}
	z.insert(member, score, lim)
	return zaddAdded, score
}

// --- key access ------------------------------------------------------------

// zsetLookupRead returns key's sorted set for a read: nil if the key does
// not exist; ok is false if it holds another type (WRONGTYPE was replied).
func zsetLookupRead(c *Client, key string) (z *ZSet, ok bool) {
	return objectOf[*ZSet](c, c.DB().LookupRead(key))
}

// zsetLookupWrite is zsetLookupRead for a command about to modify the set
// in place.
func zsetLookupWrite(c *Client, key string) (z *ZSet, ok bool) {
	return objectOf[*ZSet](c, c.DB().LookupWrite(key))
}

// zsetChanged does the bookkeeping of a write: the keyspace event, WATCH
// and blocked clients, and the dirty counter.
func zsetChanged(c *Client, key, event string, dirty int) {
	c.srv.notify(notifyZset, event, key, c.DB().ID())
	c.srv.keyModified(c.DB(), key)
	c.srv.Dirty(dirty)
}

// zsetDeleteIfEmpty removes key once its set is empty (Redis never keeps
// empty aggregates), after the command's own event, as Redis orders them.
func zsetDeleteIfEmpty(c *Client, key string, z *ZSet) {
	if z.Len() == 0 {
		c.DB().Delete(key)
		c.srv.notify(notifyGeneric, "del", key, c.DB().ID())
	}
}

// zsetStore stores the result of ZUNIONSTORE, ZINTERSTORE or ZDIFFSTORE at
// dst and replies its size; an empty result deletes dst instead. Redis
// builds these results as skiplists and converts those that fit.
func zsetStore(c *Client, dst string, res *ds.ZSet, maxLen int, event string) {
	z := &ZSet{zs: res, big: true}
	if res.Len() > 0 && zsetLimitsOf(c.srv.opts).fits(res.Len(), maxLen) {
		z.toListpack()
	}
	storeResult(c, dst, z, notifyZset, event)
}

// --- reply helpers ----------------------------------------------------------

// zsetReplyElem writes one element of a WITHSCORES-style reply: RESP3
// nests each [member, score] pair, RESP2 flattens them.
func zsetReplyElem(c *Client, m string, s float64, withScores bool) {
	if withScores && c.proto > 2 {
		c.ReplyArray(2)
	}
	c.ReplyBulkString(m)
	if withScores {
		c.ReplyDouble(s)
	}
}

// zsetReplyLen is the array length for n elements.
func zsetReplyLen(c *Client, n int, withScores bool) int {
	if withScores && c.proto == 2 {
		return 2 * n
	}
	return n
}

// --- ZADD / ZINCRBY ---------------------------------------------------------

func zaddCommand(c *Client)    { zaddGeneric(c, 0) }
func zincrbyCommand(c *Client) { zaddGeneric(c, zaddIncr) }

// zaddGeneric is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...; ZINCRBY
// is ZADD INCR with its own arity (so, as in Redis, "ZINCRBY k nx m" reads
// "nx" as a flag and fails with a syntax error).
func zaddGeneric(c *Client, flags int) {
	argv := c.argv
	ch := false
	i := 2
options:
	for ; i < len(argv); i++ {
		switch {
		case c.ArgIs(i, "nx"):
			flags |= zaddNX
		case c.ArgIs(i, "xx"):
			flags |= zaddXX
		case c.ArgIs(i, "ch"):
			ch = true
		case c.ArgIs(i, "incr"):
			flags |= zaddIncr
		case c.ArgIs(i, "gt"):
			flags |= zaddGT
		case c.ArgIs(i, "lt"):
			flags |= zaddLT
		default:
			break options // the first score
		}
	}
	elements := len(argv) - i
	if elements%2 != 0 || elements == 0 {
		c.ReplyError(ErrSyntax)
		return
	}
	elements /= 2
	nx, xx, gt, lt, incr := flags&zaddNX != 0, flags&zaddXX != 0, flags&zaddGT != 0, flags&zaddLT != 0, flags&zaddIncr != 0
	if nx && xx {
		c.ReplyError("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.ReplyError("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && elements > 1 {
		c.ReplyError("ERR INCR option supports a single increment-element pair")
		return
	}
	// All scores are parsed first so that a bad one changes nothing.
	scores := make([]float64, elements)
	for j := range scores {
		v, ok := ParseFloat(argv[i+2*j])
		if !ok {
			c.ReplyError(ErrNotFloat)
			return
		}
		scores[j] = v
	}
	key := string(argv[1])
	z, ok := zsetLookupWrite(c, key)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	lim := zsetLimitsOf(c.srv.opts)
	if z == nil && !xx {
		// Redis sizes the new set by its first member only; later ones
		// convert it as they arrive.
		z = newZSet()
		z.big = lim.maxEntries == 0 || len(argv[i+1]) > lim.maxValue
		c.DB().SetObject(key, z)
		c.srv.notify(notifyNew, "new", key, c.DB().ID())
	}
	if z != nil {
		for j := range scores {
			out, ns := z.add(string(argv[i+2*j+1]), scores[j], flags, lim)
			if out&zaddNaN != 0 {
				// Only INCR can get here, on an existing member, so the
				// key is not left empty.
				zaddDone(c, key, incr, added+updated)
				c.ReplyError(ErrNaN)
				return
			}
			if out&zaddAdded != 0 {
				added++
			}
			if out&zaddUpdated != 0 {
				updated++
			}
			if out&zaddNop == 0 {
				processed++
			}
			score = ns
		}
	}
	switch {
	case !incr && ch:
		c.ReplyInt(int64(added + updated))
	case !incr:
		c.ReplyInt(int64(added))
	case processed > 0:
		c.ReplyDouble(score)
	default:
		c.ReplyNull()
	}
	zaddDone(c, key, incr, added+updated)
}

func zaddDone(c *Client, key string, incr bool, changes int) {
	if changes == 0 {
		return
	}
	event := "zadd"
	if incr {
		event = "zincr"
	}
	zsetChanged(c, key, event, changes)
}

// --- ZREM / ZREMRANGEBY* ----------------------------------------------------

// ZREM key member [member ...]
func zremCommand(c *Client) {
	key := string(c.argv[1])
	z, ok := zsetLookupWrite(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.ReplyInt(0)
		return
	}
	deleted := 0
	for _, m := range c.argv[2:] {
		if z.zs.Remove(string(m)) {
			deleted++
			if z.Len() == 0 {
				break
			}
		}
	}
	c.ReplyInt(int64(deleted))
	if deleted > 0 {
		zsetChanged(c, key, "zrem", deleted)
		zsetDeleteIfEmpty(c, key, z)
	}
}

const (
	zrRank = iota + 1
	zrScore
	zrLex
)

func zremrangebyrankCommand(c *Client)  { zremrangeGeneric(c, zrRank) }
func zremrangebyscoreCommand(c *Client) { zremrangeGeneric(c, zrScore) }
func zremrangebylexCommand(c *Client)   { zremrangeGeneric(c, zrLex) }

// zremrangeGeneric is ZREMRANGEBYRANK/BYSCORE/BYLEX key min max. The range
// is validated before the key is looked up, as in Redis.
func zremrangeGeneric(c *Client, kind int) {
	var r zrangeReq
	r.kind = kind
	if !r.parseRange(c, 2, 3) {
		return
	}
	key := string(c.argv[1])
	z, ok := zsetLookupWrite(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.ReplyInt(0)
		return
	}
	deleted := 0
	var event string
	switch kind {
	case zrRank:
		event = "zremrangebyrank"
		if s, e, ok := ds.NormalizeRange(int(r.start), int(r.stop), z.Len()); ok {
			deleted = z.zs.RemoveRangeByRank(s, e)
		}
	case zrScore:
		event = "zremrangebyscore"
		deleted = z.zs.RemoveRangeByScore(r.smin, r.smax)
	case zrLex:
		event = "zremrangebylex"
		deleted = z.zs.RemoveRangeByLex(r.lmin, r.lmax)
	}
	c.ReplyInt(int64(deleted))
	if deleted > 0 {
		zsetChanged(c, key, event, deleted)
		zsetDeleteIfEmpty(c, key, z)
	}
}

// --- simple reads -----------------------------------------------------------

// ZCARD key
func zcardCommand(c *Client) { replyObjectLen[*ZSet](c) }

// ZSCORE key member
func zscoreCommand(c *Client) {
	z, ok := zsetLookupRead(c, string(c.argv[1]))
	if !ok {
		return
	}
	if z == nil {
		c.ReplyNull()
		return
	}
	if s, found := z.zs.Score(string(c.argv[2])); found {
		c.ReplyDouble(s)
		return
	}
	c.ReplyNull()
}

// ZMSCORE key member [member ...]
func zmscoreCommand(c *Client) {
	z, ok := zsetLookupRead(c, string(c.argv[1]))
	if !ok {
		return
	}
	c.ReplyArray(len(c.argv) - 2)
	for _, m := range c.argv[2:] {
		if z != nil {
			if s, found := z.zs.Score(string(m)); found {
				c.ReplyDouble(s)
				continue
			}
		}
		c.ReplyNull()
	}
}

func zrankCommand(c *Client)    { zrankGeneric(c, false) }
func zrevrankCommand(c *Client) { zrankGeneric(c, true) }

// ZRANK / ZREVRANK key member
func zrankGeneric(c *Client, reverse bool) {
	z, ok := zsetLookupRead(c, string(c.argv[1]))
	if !ok {
		return
	}
	if z == nil {
		c.ReplyNull()
		return
	}
	if r, found := z.zs.Rank(string(c.argv[2]), reverse); found {
		c.ReplyInt(int64(r))
		return
	}
	c.ReplyNull()
}

func zcountCommand(c *Client)    { zcountGeneric(c, zrScore) }
func zlexcountCommand(c *Client) { zcountGeneric(c, zrLex) }

// ZCOUNT / ZLEXCOUNT key min max
func zcountGeneric(c *Client, kind int) {
	var r zrangeReq
	r.kind = kind
	if !r.parseRange(c, 2, 3) {
		return
	}
	z, ok := zsetLookupRead(c, string(c.argv[1]))
	if !ok {
		return
	}
	if z == nil {
		c.ReplyInt(0)
		return
	}
	if kind == zrScore {
		c.ReplyInt(int64(z.zs.CountByScore(r.smin, r.smax)))
	} else {
		c.ReplyInt(int64(z.zs.CountByLex(r.lmin, r.lmax)))
	}
}

// --- the ZRANGE family ------------------------------------------------------

// zrangeReq is a parsed range query of the ZRANGE family.
type zrangeReq struct {
	kind        int // zrRank, zrScore or zrLex
	rev         bool
	withScores  bool
	offset      int64
	limit       int64 // -1: no limit
	start, stop int64 // zrRank
	smin, smax  ds.ScoreBound
	lmin, lmax  ds.LexBound
}

// parseRange parses the range bounds of r.kind from arguments minIdx and
// maxIdx, replying Redis's error on failure.
func (r *zrangeReq) parseRange(c *Client, minIdx, maxIdx int) bool {
	var err error
	switch r.kind {
	case zrRank:
		var ok bool
		if r.start, ok = c.IntArg(minIdx); !ok {
			return false
		}
		if r.stop, ok = c.IntArg(maxIdx); !ok {
			return false
		}
		return true
	case zrScore:
		if r.smin, err = ds.ParseScoreBound(c.argv[minIdx]); err == nil {
			r.smax, err = ds.ParseScoreBound(c.argv[maxIdx])
		}
		if err != nil {
			c.ReplyError("ERR min or max is not a float")
			return false
		}
	case zrLex:
		if r.lmin, err = ds.ParseLexBound(c.argv[minIdx]); err == nil {
			r.lmax, err = ds.ParseLexBound(c.argv[maxIdx])
		}
		if err != nil {
			c.ReplyError("ERR min or max not valid string range item")
			return false
		}
	}
	return true
}

// each calls fn for the selected elements of z in reply order.
func (r *zrangeReq) each(z *ds.ZSet, fn func(m string, s float64) bool) {
	switch r.kind {
	case zrRank:
		if s, e, ok := ds.NormalizeRange(int(r.start), int(r.stop), z.Len()); ok {
			z.ByRank(s, e, r.rev, fn)
		}
	case zrScore:
		z.RangeByScore(r.smin, r.smax, r.rev, int(r.offset), int(r.limit), fn)
	case zrLex:
		z.RangeByLex(r.lmin, r.lmax, r.rev, int(r.offset), int(r.limit), fn)
	}
}

// Direction arguments of zrangeGeneric.
const (
	zrDirAuto = iota
	zrDirForward
	zrDirReverse
)

func zrangeCommand(c *Client)           { zrangeGeneric(c, 1, false, 0, zrDirAuto) }
func zrangestoreCommand(c *Client)      { zrangeGeneric(c, 2, true, 0, zrDirAuto) }
func zrevrangeCommand(c *Client)        { zrangeGeneric(c, 1, false, zrRank, zrDirReverse) }
func zrangebyscoreCommand(c *Client)    { zrangeGeneric(c, 1, false, zrScore, zrDirForward) }
func zrevrangebyscoreCommand(c *Client) { zrangeGeneric(c, 1, false, zrScore, zrDirReverse) }
func zrangebylexCommand(c *Client)      { zrangeGeneric(c, 1, false, zrLex, zrDirForward) }
func zrevrangebylexCommand(c *Client)   { zrangeGeneric(c, 1, false, zrLex, zrDirReverse) }

// zrangeGeneric serves ZRANGE, ZRANGESTORE and the older ZREVRANGE,
// ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX and ZREVRANGEBYLEX, which
// are ZRANGE with the range type and direction fixed (kind 0 and
// zrDirAuto leave them to the BYSCORE/BYLEX/REV options). The source key
// is argv[keyIdx]; ZRANGESTORE's destination is argv[1].
func zrangeGeneric(c *Client, keyIdx int, store bool, kind int, dir int) {
	argv := c.argv
	r := zrangeReq{kind: kind, limit: -1}
	for j := keyIdx + 3; j < len(argv); j++ {
		left := len(argv) - j - 1
		switch {
		case !store && c.ArgIs(j, "withscores"):
			r.withScores = true
		case c.ArgIs(j, "limit") && left >= 2:
			var ok bool
			if r.offset, ok = c.IntArg(j + 1); !ok {
				return
			}
			if r.limit, ok = c.IntArg(j + 2); !ok {
				return
			}
			j += 2
		case dir == zrDirAuto && c.ArgIs(j, "rev"):
			dir = zrDirReverse
		case r.kind == 0 && c.ArgIs(j, "bylex"):
			r.kind = zrLex
		case r.kind == 0 && c.ArgIs(j, "byscore"):
			r.kind = zrScore
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	if r.kind == 0 {
		r.kind = zrRank
	}
	r.rev = dir == zrDirReverse
	// Redis only rejects a LIMIT count other than -1 here: "LIMIT 5 -1"
	// on a rank range passes and is ignored.
	if r.limit != -1 && r.kind == zrRank {
		c.ReplyError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if r.withScores && r.kind == zrLex {
		c.ReplyError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	minIdx, maxIdx := keyIdx+1, keyIdx+2
	if r.rev && r.kind != zrRank {
		// Reverse score and lex ranges are written max first.
		minIdx, maxIdx = maxIdx, minIdx
	}
	if !r.parseRange(c, minIdx, maxIdx) {
		return
	}
	z, ok := zsetLookupRead(c, string(argv[keyIdx]))
	if !ok {
		return
	}
	if store {
		// Redis fills the destination like ZADD would, starting as a
		// listpack unless a rank range is known to be too long for one.
		lim := zsetLimitsOf(c.srv.opts)
		res := newZSet()
		if z != nil {
			if s, e, ok := ds.NormalizeRange(int(r.start), int(r.stop), z.Len()); ok && r.kind == zrRank {
				res.big = e-s+1 > lim.maxEntries
			}
			r.each(z.zs, func(m string, s float64) bool {
				res.insert(m, s, lim)
				return true
			})
		}
		storeResult(c, string(argv[1]), res, notifyZset, "zrangestore")
		return
	}
	if z == nil {
		c.ReplyArray(0)
		return
	}
	d := c.ReplyDeferredArray()
	n := 0
	r.each(z.zs, func(m string, s float64) bool {
		zsetReplyElem(c, m, s, r.withScores)
		n++
		return true
	})
	c.SetDeferredArray(d, zsetReplyLen(c, n, r.withScores))
}

// --- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD ---------------

const (
	zopUnion = iota
	zopInter
	zopDiff
)

const (
	zaggSum = iota
	zaggMin
	zaggMax
)

// zsrc is one input of a set operation: a sorted set, a plain set (whose
// members all score 1), or a missing key (empty).
type zsrc struct {
	z      *ZSet
	set    *Set
	weight float64
}

func (s *zsrc) length() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

func (s *zsrc) each(fn func(m string, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.zs.Each(fn)
	case s.set != nil:
		s.set.Each(func(m []byte) bool { return fn(string(m), 1) })
	}
}

func (s *zsrc) find(m string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.zs.Score(m)
	case s.set != nil:
		if s.set.Has(strBytes(m)) {
			return 1, true
		}
	}
	return 0, false
}

// same reports whether both inputs are the same key's value.
func (s *zsrc) same(o *zsrc) bool {
	return (s.z != nil && s.z == o.z) || (s.set != nil && s.set == o.set)
}

func zaggregate(target *float64, v float64, agg int) {
	switch agg {
	case zaggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0 // inf + -inf
		}
	case zaggMin:
		if v < *target {
			*target = v
		}
	case zaggMax:
		if v > *target {
			*target = v
		}
	}
}

func zunionstoreCommand(c *Client) { zsetOpGeneric(c, true, 2, zopUnion, false) }
func zinterstoreCommand(c *Client) { zsetOpGeneric(c, true, 2, zopInter, false) }
func zdiffstoreCommand(c *Client)  { zsetOpGeneric(c, true, 2, zopDiff, false) }
func zunionCommand(c *Client)      { zsetOpGeneric(c, false, 1, zopUnion, false) }
func zinterCommand(c *Client)      { zsetOpGeneric(c, false, 1, zopInter, false) }
func zdiffCommand(c *Client)       { zsetOpGeneric(c, false, 1, zopDiff, false) }
func zintercardCommand(c *Client)  { zsetOpGeneric(c, false, 1, zopInter, true) }

// zsetOpGeneric serves the set operations: "[destination] numkeys key ...
// [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]", with ZDIFF taking
// neither WEIGHTS nor AGGREGATE, the STORE forms no WITHSCORES, and
// ZINTERCARD only "LIMIT n". As in Redis, the input keys are looked up
// (and type-checked) before the options are parsed.
func zsetOpGeneric(c *Client, hasDst bool, numkeysIdx int, op int, cardOnly bool) {
	argv := c.argv
	numkeys, ok := c.IntArg(numkeysIdx)
	if !ok {
		return
	}
	if numkeys < 1 {
		c.ReplyError(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", strings.ToLower(string(argv[0]))))
		return
	}
	if numkeys > int64(len(argv)-numkeysIdx-1) {
		c.ReplyError(ErrSyntax)
		return
	}
	n := int(numkeys)
	src := make([]zsrc, n)
	j := numkeysIdx + 1
	for i := range src {
		src[i].weight = 1
		if e := c.DB().LookupRead(string(argv[j])); e != nil {
			switch o := e.obj.(type) {
			case *ZSet:
				src[i].z = o
			case *Set:
				src[i].set = o
			default:
				c.ReplyError(ErrWrongType)
				return
			}
		}
		j++
	}
	agg := zaggSum
	withScores := false
	var limit int64
	for j < len(argv) {
		left := len(argv) - j
		switch {
		case op != zopDiff && !cardOnly && left >= n+1 && c.ArgIs(j, "weights"):
			j++
			for i := range src {
				w, ok := ParseFloat(argv[j])
				if !ok {
					c.ReplyError("ERR weight value is not a float")
					return
				}
				src[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && left >= 2 && c.ArgIs(j, "aggregate"):
			switch {
			case c.ArgIs(j+1, "sum"):
				agg = zaggSum
			case c.ArgIs(j+1, "min"):
				agg = zaggMin
			case c.ArgIs(j+1, "max"):
				agg = zaggMax
			default:
				c.ReplyError(ErrSyntax)
				return
			}
			j += 2
		case !hasDst && !cardOnly && c.ArgIs(j, "withscores"):
			withScores = true
			j++
		case cardOnly && left >= 2 && c.ArgIs(j, "limit"):
			v, ok := ParseInt(argv[j+1])
			if !ok || v < 0 {
				c.ReplyError("ERR LIMIT can't be negative")
				return
			}
			limit = v
			j += 2
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}

	if op != zopDiff {
		// Smallest input first: the intersection walks the smallest set,
		// and Redis sums scores in this order, which can change the last
		// bits of a sum. Stable, like glibc's merge-sort qsort.
		slices.SortStableFunc(src, func(a, b zsrc) int { return a.length() - b.length() })
	}
	res := ds.NewZSet()
	maxLen := 0
	switch op {
	case zopInter:
		var card int64
		if src[0].length() > 0 {
			src[0].each(func(m string, s float64) bool {
				score := src[0].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				for i := 1; i < n; i++ {
					v, found := s, true
					if !src[i].same(&src[0]) {
						v, found = src[i].find(m)
					}
					if !found {
						return true
					}
					zaggregate(&score, v*src[i].weight, agg)
				}
				if cardOnly {
					card++
					return limit == 0 || card < limit
				}
				res.Add(m, score)
				maxLen = max(maxLen, len(m))
				return true
			})
		}
		if cardOnly {
			c.ReplyInt(card)
			return
		}
	case zopUnion:
		acc := make(map[string]float64)
		for i := range src {
			src[i].each(func(m string, s float64) bool {
				score := src[i].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if cur, seen := acc[m]; seen {
					zaggregate(&cur, score, agg)
					acc[m] = cur
				} else {
					acc[m] = score
				}
				return true
			})
		}
		for m, s := range acc {
			res.Add(m, s)
			maxLen = max(maxLen, len(m))
		}
	case zopDiff:
		src[0].each(func(m string, s float64) bool {
			for i := 1; i < n; i++ {
				if src[i].same(&src[0]) {
					return true
				}
				if _, found := src[i].find(m); found {
					return true
				}
			}
			res.Add(m, s)
			maxLen = max(maxLen, len(m))
			return true
		})
	}

	if hasDst {
		zsetStore(c, string(argv[1]), res, maxLen, [...]string{"zunionstore", "zinterstore", "zdiffstore"}[op])
		return
	}
	c.ReplyArray(zsetReplyLen(c, res.Len(), withScores))
	res.Each(func(m string, s float64) bool {
		zsetReplyElem(c, m, s, withScores)
		return true
	})
}

// --- pops -------------------------------------------------------------------

func zpopminCommand(c *Client) { zpopCommand(c, false) }
func zpopmaxCommand(c *Client) { zpopCommand(c, true) }

// ZPOPMIN / ZPOPMAX key [count]
func zpopCommand(c *Client, highest bool) {
	if len(c.argv) > 3 {
		c.ReplyError(ErrSyntax)
		return
	}
	count := int64(-1) // no count: one element, always a flat reply
	if len(c.argv) == 3 {
		v, ok := ParseInt(c.argv[2])
		if !ok || v < 0 {
			c.ReplyError("ERR value is out of range, must be positive")
			return
		}
		count = v
	}
	key := string(c.argv[1])
	z, ok := zsetLookupWrite(c, key)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.ReplyArray(0)
		return
	}
	nested := c.proto > 2 && count != -1
	if count == -1 {
		count = 1
	}
	members, scores, _ := zsetPop(c, c.DB(), key, highest, int(min(count, int64(z.Len()))))
	if nested {
		c.ReplyArray(len(members))
	} else {
		c.ReplyArray(2 * len(members))
	}
	for i, m := range members {
		if nested {
			c.ReplyArray(2)
		}
		c.ReplyBulk(m)
		c.ReplyDouble(scores[i])
	}
}

// zsetPop pops up to count elements of the sorted set at key, lowest first
// (highest first when highest), and does the bookkeeping of the write; see the
// file comment. It neither replies nor propagates.
func zsetPop(c *Client, db *DB, key string, highest bool, count int) (members [][]byte, scores []float64, ok bool) {
	e := db.LookupWrite(key)
	if e == nil {
		return nil, nil, false
	}
	z, isZ := e.obj.(*ZSet)
	if !isZ || count < 1 {
		return nil, nil, false
	}
	var ms []string
	if highest {
		ms, scores = z.zs.PopMax(count)
	} else {
		ms, scores = z.zs.PopMin(count)
	}
	members = make([][]byte, len(ms))
	for i, m := range ms {
		members[i] = strBytes(m) // the popped strings are no longer shared
	}
	event := "zpopmin"
	if highest {
		event = "zpopmax"
	}
	db.srv.notify(notifyZset, event, key, db.ID())
	if z.Len() == 0 {
		db.Delete(key)
		db.srv.notify(notifyGeneric, "del", key, db.ID())
	}
	db.srv.keyModified(db, key)
	db.srv.Dirty(len(ms))
	return members, scores, true
}

// zsetReplyKeyedPop writes BZPOPMIN/BZPOPMAX's reply, [key, member, score],
// flat in both protocols.
func zsetReplyKeyedPop(c *Client, key string, members [][]byte, scores []float64) {
	c.ReplyArray(2*len(members) + 1)
	c.ReplyBulkString(key)
	for i, m := range members {
		c.ReplyBulk(m)
		c.ReplyDouble(scores[i])
	}
}

// zsetReplyMPop writes ZMPOP/BZMPOP's reply: [key, [[member, score], ...]].
func zsetReplyMPop(c *Client, key string, members [][]byte, scores []float64) {
	c.ReplyArray(2)
	c.ReplyBulkString(key)
	c.ReplyArray(len(members))
	for i, m := range members {
		c.ReplyArray(2)
		c.ReplyBulk(m)
		c.ReplyDouble(scores[i])
	}
}

// zsetPopArgs is the command Redis 7.0 propagates for a pop: ZPOPMIN or
// ZPOPMAX key, with count when withCount (ZMPOP and BZMPOP).
func zsetPopArgs(key string, highest bool, count int, withCount bool) [][]byte {
	name := "ZPOPMIN"
	if highest {
		name = "ZPOPMAX"
	}
	args := [][]byte{[]byte(name), []byte(key)}
	if withCount {
		args = append(args, []byte(fmt.Sprint(count)))
	}
	return args
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
func zmpopCommand(c *Client) {
	argv := c.argv
	numkeys, ok := ParseInt(argv[1])
	if !ok || numkeys < 1 {
		c.ReplyError("ERR numkeys should be greater than 0")
		return
	}
	if numkeys >= int64(len(argv)-2) {
		c.ReplyError(ErrSyntax) // no room for MIN|MAX
		return
	}
	whereIdx := 2 + int(numkeys)
	var highest bool
	switch {
	case c.ArgIs(whereIdx, "min"):
	case c.ArgIs(whereIdx, "max"):
		highest = true
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(argv); j++ {
		if count == -1 && c.ArgIs(j, "count") && j+1 < len(argv) {
			j++
			v, ok := ParseInt(argv[j])
			if !ok || v < 1 {
				c.ReplyError("ERR count should be greater than 0")
				return
			}
			count = v
			continue
		}
		c.ReplyError(ErrSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	for _, k := range argv[2:whereIdx] {
		key := string(k)
		z, ok := zsetLookupWrite(c, key)
		if !ok {
			return
		}
		if z == nil {
			continue
		}
		members, scores, _ := zsetPop(c, c.DB(), key, highest, int(min(count, int64(z.Len()))))
		zsetReplyMPop(c, key, members, scores)
		c.Propagate(zsetPopArgs(key, highest, int(count), true)...)
		return
	}
	c.ReplyNullArray()
}

// --- ZRANDMEMBER ------------------------------------------------------------

// ZRANDMEMBER key [count [WITHSCORES]]
func zrandmemberCommand(c *Client) {
	argv := c.argv
	if len(argv) < 3 {
		z, ok := zsetLookupRead(c, string(argv[1]))
		if !ok {
			return
		}
		if z == nil {
			c.ReplyNull()
			return
		}
		z.zs.Random(1, zsetRand(), func(m string, _ float64) bool {
			c.ReplyBulkString(m)
			return false
		})
		return
	}
	// Redis parses the count before it looks at WITHSCORES.
	l, withScores, ok := randCountArgs(c, "withscores")
	if !ok {
		return
	}
	z, ok := zsetLookupRead(c, string(argv[1]))
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.ReplyArray(0)
		return
	}
	emit := func(m string, s float64) bool {
		zsetReplyElem(c, m, s, withScores)
		return true
	}
	if l >= int64(z.Len()) {
		// The whole set. Redis walks it with its set-operation iterator,
		// which goes from the highest element down.
		c.ReplyArray(zsetReplyLen(c, z.Len(), withScores))
		z.zs.ByRank(0, z.Len()-1, true, emit)
		return
	}
	// Negative: -l picks with repetition. Positive: l distinct members.
	// Both in random order (Redis 7.0 shuffles listpack samples too).
	n := l
	if l < 0 {
		n = -l
	}
	c.ReplyArray(zsetReplyLen(c, int(n), withScores))
	z.zs.Random(int(l), zsetRand(), emit)
}

func zsetRand() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// --- ZSCAN ------------------------------------------------------------------

// ZSCAN key cursor [MATCH pattern] [COUNT count]
func zscanCommand(c *Client) {
	read := func(c *Client, key []byte) (*ZSet, bool) { return zsetLookupRead(c, string(key)) }
	objectScan(c, read, (*ZSet).scan)
}

// scan is one ZSCAN call (see objectScan): a listpack goes whole, in order,
// with cursor 0; a skiplist resumes the scan of its member map at cursor.
func (z *ZSet) scan(cursor uint64, a *scanArgs, out [][]byte) ([][]byte, uint64) {
	add := func(m string, s float64) {
		if a.matches(strBytes(m)) {
			// Scores are strings here, not doubles, in both protocols.
			out = append(out, strBytes(m), resp.FormatDouble(nil, s))
		}
	}
	if !z.big {
		z.zs.Each(func(m string, s float64) bool {
			add(m, s)
			return true
		})
		return out, 0
	}
	count, steps := a.budget(2)
	return out, z.zs.ScanBatch(cursor, count, steps, add)
}

// --- command table ------------------------------------------------------------

func init() {
	type spec struct {
		name    string
		arity   int
		flags   CmdFlags
		first   int
		last    int
		since   string
		summary string
		proc    func(*Client)
		keys    func([][]byte) []int
	}
	const (
		w    = FlagWrite
		r    = FlagReadonly
		oom  = FlagDenyOOM
		fast = FlagFast
	)
	specs := []spec{
		{"zadd", -4, w | oom | fast, 1, 1, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", zaddCommand, nil},
		{"zincrby", 4, w | oom | fast, 1, 1, "1.2.0", "Increment the score of a member in a sorted set", zincrbyCommand, nil},
		{"zrem", -3, w | fast, 1, 1, "1.2.0", "Remove one or more members from a sorted set", zremCommand, nil},
		{"zremrangebyscore", 4, w, 1, 1, "1.2.0", "Remove all members in a sorted set within the given scores", zremrangebyscoreCommand, nil},
		{"zremrangebyrank", 4, w, 1, 1, "2.0.0", "Remove all members in a sorted set within the given indexes", zremrangebyrankCommand, nil},
		{"zremrangebylex", 4, w, 1, 1, "2.8.9", "Remove all members in a sorted set between the given lexicographical range", zremrangebylexCommand, nil},
		{"zunionstore", -4, w | oom, 1, 1, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", zunionstoreCommand, numkeysKeyPositions(2, true)},
		{"zinterstore", -4, w | oom, 1, 1, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", zinterstoreCommand, numkeysKeyPositions(2, true)},
		{"zdiffstore", -4, w | oom, 1, 1, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", zdiffstoreCommand, numkeysKeyPositions(2, true)},
		{"zunion", -3, r, 0, 0, "6.2.0", "Add multiple sorted sets", zunionCommand, numkeysKeyPositions(1, false)},
		{"zinter", -3, r, 0, 0, "6.2.0", "Intersect multiple sorted sets", zinterCommand, numkeysKeyPositions(1, false)},
		{"zintercard", -3, r, 0, 0, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", zintercardCommand, numkeysKeyPositions(1, false)},
		{"zdiff", -3, r, 0, 0, "6.2.0", "Subtract multiple sorted sets", zdiffCommand, numkeysKeyPositions(1, false)},
		{"zrange", -4, r, 1, 1, "1.2.0", "Return a range of members in a sorted set", zrangeCommand, nil},
		{"zrangestore", -5, w | oom, 1, 2, "6.2.0", "Store a range of members from sorted set into another key", zrangestoreCommand, nil},
		{"zrangebyscore", -4, r, 1, 1, "1.0.5", "Return a range of members in a sorted set, by score", zrangebyscoreCommand, nil},
		{"zrevrangebyscore", -4, r, 1, 1, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", zrevrangebyscoreCommand, nil},
		{"zrangebylex", -4, r, 1, 1, "2.8.9", "Return a range of members in a sorted set, by lexicographical range", zrangebylexCommand, nil},
		{"zrevrangebylex", -4, r, 1, 1, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", zrevrangebylexCommand, nil},
		{"zcount", 4, r | fast, 1, 1, "2.0.0", "Count the members in a sorted set with scores within the given values", zcountCommand, nil},
		{"zlexcount", 4, r | fast, 1, 1, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", zlexcountCommand, nil},
		{"zrevrange", -4, r, 1, 1, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", zrevrangeCommand, nil},
		{"zcard", 2, r | fast, 1, 1, "1.2.0", "Get the number of members in a sorted set", zcardCommand, nil},
		{"zscore", 3, r | fast, 1, 1, "1.2.0", "Get the score associated with the given member in a sorted set", zscoreCommand, nil},
		{"zmscore", -3, r | fast, 1, 1, "6.2.0", "Get the score associated with the given members in a sorted set", zmscoreCommand, nil},
		{"zrank", 3, r | fast, 1, 1, "2.0.0", "Determine the index of a member in a sorted set", zrankCommand, nil},
		{"zrevrank", 3, r | fast, 1, 1, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", zrevrankCommand, nil},
		{"zscan", -3, r, 1, 1, "2.8.0", "Incrementally iterate sorted sets elements and associated scores", zscanCommand, nil},
		{"zpopmin", -2, w | fast, 1, 1, "5.0.0", "Remove and return members with the lowest scores in a sorted set", zpopminCommand, nil},
		{"zpopmax", -2, w | fast, 1, 1, "5.0.0", "Remove and return members with the highest scores in a sorted set", zpopmaxCommand, nil},
		{"zmpop", -4, w, 0, 0, "7.0.0", "Remove and return members with scores in a sorted set", zmpopCommand, numkeysKeyPositions(1, false)},
		{"zrandmember", -2, r, 1, 1, "6.2.0", "Get one or multiple random elements from a sorted set", zrandmemberCommand, nil},
	}
	for _, s := range specs {
		acl := []string{"read", "sortedset", "slow"}
		if s.flags&FlagWrite != 0 {
			acl[0] = "write"
		}
		if s.flags&FlagFast != 0 {
			acl[2] = "fast"
		}
		step := 1
		if s.first == 0 {
			step = 0
		}
		register(&Command{Name: s.name, Arity: s.arity, Flags: s.flags, FirstKey: s.first, LastKey: s.last, Step: step,
			Group: "sorted-set", Since: s.since, Summary: s.summary, ACL: acl, Proc: s.proc, Keys: s.keys})
	}
}
