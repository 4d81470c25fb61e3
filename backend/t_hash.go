package backend

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"unsafe"

	"github.com/wardenhq/warden/backend/ds"
)

// Hash is the value of a hash key.
//
// It mirrors Redis's two encodings because clients can observe them: OBJECT
// ENCODING reports them, and HGETALL/HKEYS/HVALS/HSCAN/HRANDFIELD list a
// "listpack" hash in insertion order (Redis's listpack is an ordered array
// of pairs), byte for byte the same as Redis.
//
//   - listpack (idx == nil): fields and values are parallel slices in
//     insertion order; HSET of an existing field updates in place and HDEL
//     closes the gap, so the order is exactly Redis's. Lookups are linear,
//     which is what keeps the encoding small (at most
//     hash-max-listpack-entries pairs of short strings).
//   - hashtable (idx != nil): the same parallel slices, dense but unordered
//     (a delete moves the last pair into the hole), plus an index from
//     field to position. The dense layout gives O(1) uniform random picks
//     for HRANDFIELD; the index is a ds.Dict so that HSCAN can resume
//     from a cursor, as Redis's dict scan does.
//
// A hash converts to hashtable once a threshold is crossed and never back,
// as in Redis. Stored byte slices are never modified in place (HSET stores
// a new slice), so Clone can share them.
type Hash struct {
	fields [][]byte
	values [][]byte
	idx    *ds.Dict[int]
}

// hashLimits are the listpack thresholds in force (from Options).
type hashLimits struct {
	maxEntries int // hash-max-listpack-entries
	maxValue   int // hash-max-listpack-value, bytes
}

func hashLimitsOf(o *Options) hashLimits {
	if o == nil {
		o = DefaultOptions()
	}
	return hashLimits{maxEntries: o.HashMaxListpackEntries, maxValue: o.HashMaxListpackValue}
}

// NewHashFromPairs builds a hash from parallel field/value slices, choosing
// the encoding with Redis's default thresholds. The fields are copied; the
// values are owned by the hash from then on (the caller must not modify
// them). A repeated field keeps its last value. Persistence should
// prefer NewHashFromPairsOpts with the server's options, so that a loaded
// hash gets the encoding the configuration asks for, as in Redis.
func NewHashFromPairs(fields, values [][]byte) *Hash {
	return NewHashFromPairsOpts(nil, fields, values)
}

// NewHashFromPairsOpts is NewHashFromPairs with the thresholds of opts (nil
// means Redis's defaults).
func NewHashFromPairsOpts(opts *Options, fields, values [][]byte) *Hash {
	lim := hashLimitsOf(opts)
	h := &Hash{}
	for i := range fields {
		// store copies a new field; a loader's slices are fresh, so the
		// copy is the price of sharing one code path with HSET.
		h.store(fields[i], values[i], lim)
	}
	return h
}

// TypeName implements Object.
func (h *Hash) TypeName() string { return "hash" }

// Encoding implements Object.
func (h *Hash) Encoding() string {
	if h.idx == nil {
		return "listpack"
	}
	return "hashtable"
}

// Clone implements Object. The field and value bytes are shared: they are
// immutable once stored.
func (h *Hash) Clone() Object {
	c := &Hash{
		fields: append([][]byte(nil), h.fields...),
		values: append([][]byte(nil), h.values...),
	}
	c.idx = h.idx.Clone()
	return c
}

// Len implements Object: the number of fields.
func (h *Hash) Len() int { return len(h.fields) }

// Each calls fn for every field and value, in listpack order for a listpack
// hash, until fn returns false. The slices must not be modified or kept
// beyond the call unless copied; fn must not modify the hash.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	for i := range h.fields {
		if !fn(h.fields[i], h.values[i]) {
			return
		}
	}
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if i := h.find(field); i >= 0 {
		return h.values[i], true
	}
	return nil, false
}

func (h *Hash) find(field []byte) int {
	if h.idx != nil {
		if i := h.idx.Get(borrowStr(field)); i != nil {
			return *i
		}
		return -1
	}
	for i, f := range h.fields {
		if bytes.Equal(f, field) {
			return i
		}
	}
	return -1
}

// store sets field to value as Redis's hashTypeSet does: a listpack first
// converts to hashtable if either string is too long for it, and after an
// insertion if it holds too many pairs. field is borrowed (copied when
// new); value is owned by the hash from now on. It reports whether the
// field is new.
func (h *Hash) store(field, value []byte, lim hashLimits) bool {
	if h.idx == nil && (len(field) > lim.maxValue || len(value) > lim.maxValue) {
		h.toHashtable()
	}
	if i := h.find(field); i >= 0 {
		h.values[i] = value
		return false
	}
	f := bytes.Clone(field)
	h.fields = append(h.fields, f)
	h.values = append(h.values, value)
	if h.idx != nil {
		h.idx.Set(borrowStr(f), len(h.fields)-1)
	} else if len(h.fields) > lim.maxEntries {
		h.toHashtable()
	}
	return true
}

// Delete removes field and reports whether it was there. A listpack keeps
// its order; a hashtable fills the hole with its last pair.
func (h *Hash) Delete(field []byte) bool {
	i := h.find(field)
	if i < 0 {
		return false
	}
	last := len(h.fields) - 1
	if h.idx == nil {
		copy(h.fields[i:], h.fields[i+1:])
		copy(h.values[i:], h.values[i+1:])
	} else {
		h.idx.Delete(borrowStr(field))
		if i != last {
			h.fields[i], h.values[i] = h.fields[last], h.values[last]
			*h.idx.Get(borrowStr(h.fields[i])) = i
		}
	}
	h.fields[last], h.values[last] = nil, nil
	h.fields, h.values = h.fields[:last], h.values[:last]
	return true
}

func (h *Hash) toHashtable() {
	h.idx = newIndex(h.fields)
}

// newIndex returns a position index of keys, the stored fields or members
// of a hashtable encoding; the index shares their bytes (see borrowStr).
func newIndex(keys [][]byte) *ds.Dict[int] {
	d := ds.NewSharedDict[int]()
	d.Expand(len(keys))
	for i, k := range keys {
		d.Set(borrowStr(k), i)
	}
	return d
}

// borrowStr views b as a string without copying. It serves lookups, which
// do not keep the key, and the index keys of hashtable hashes and sets,
// which view the stored fields and members: those bytes are never modified
// (Clone shares them too), so the key cannot change under the index, and
// an element costs one copy of its name instead of two.
func borrowStr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// --- key access helpers ---------------------------------------------------

// hashRead returns key's hash for a read command: nil if the key does not
// exist; ok is false if it holds another type (WRONGTYPE was replied).
func hashRead(c *Client, key []byte) (h *Hash, ok bool) {
	return objectOf[*Hash](c, c.DB().LookupRead(string(key)))
}

// hashWrite is hashRead for a command about to modify the hash in place.
func hashWrite(c *Client, key string) (h *Hash, ok bool) {
	return objectOf[*Hash](c, c.DB().LookupWrite(key))
}

// hashWriteOrCreate is hashWrite that adds an empty hash under key when it
// is missing (Redis's hashTypeLookupWriteOrCreate): callers store at least
// one field right after.
func hashWriteOrCreate(c *Client, key string) (*Hash, bool) {
	h, ok := hashWrite(c, key)
	if ok && h == nil {
		h = hashCreate(c, key)
	}
	return h, ok
}

// hashCreate stores a new empty hash under key, which must be missing, with
// the "new" keyspace event of Redis's dbAdd; the caller fills it before the
// command returns.
func hashCreate(c *Client, key string) *Hash {
	h := &Hash{}
	c.DB().SetObject(key, h)
	c.srv.notifyNewKey(c.DB(), key)
	return h
}

// hashChanged does the bookkeeping of a write to a hash key: WATCH and
// blocked clients, the keyspace event, and the dirty counter.
func hashChanged(c *Client, key, event string, dirty int) {
	c.srv.keyModified(c.DB(), key)
	c.srv.notify(notifyHash, event, key, c.DB().ID())
	c.srv.Dirty(dirty)
}

// hashDeleteIfEmpty removes key once its hash has no fields left (Redis
// never keeps empty aggregates).
func hashDeleteIfEmpty(c *Client, key string, h *Hash) {
	if h.Len() == 0 {
		c.DB().Delete(key)
		c.srv.notify(notifyGeneric, "del", key, c.DB().ID())
	}
}

// --- commands -------------------------------------------------------------

// HSET key field value [field value ...] and the deprecated HMSET, which
// differs only in replying +OK.
func hsetCommand(c *Client) {
	hsetGeneric(c, false)
}

func hmsetCommand(c *Client) {
	hsetGeneric(c, true)
}

func hsetGeneric(c *Client, replyOK bool) {
	argv := c.argv
	if len(argv)%2 == 1 {
		c.ReplyError("ERR wrong number of arguments for '" + c.cmd.Name + "' command")
		return
	}
	key := string(argv[1])
	h, found := hashWriteOrCreate(c, key)
	if !found {
		return
	}
	lim := hashLimitsOf(c.srv.opts)
	created := 0
	for i := 2; i < len(argv); i += 2 {
		if h.store(argv[i], bytes.Clone(argv[i+1]), lim) {
			created++
		}
	}
	if replyOK {
		c.ReplyOK()
	} else {
		c.ReplyInt(int64(created))
	}
	hashChanged(c, key, "hset", (len(argv)-2)/2)
}

func hsetnxCommand(c *Client) {
	key := string(c.argv[1])
	h, ok := hashWrite(c, key)
	if !ok {
		return
	}
	if h != nil {
		if _, exists := h.Get(c.argv[2]); exists {
			c.ReplyInt(0)
			return
		}
	} else {
		h = hashCreate(c, key)
	}
	h.store(c.argv[2], bytes.Clone(c.argv[3]), hashLimitsOf(c.srv.opts))
	c.ReplyInt(1)
	hashChanged(c, key, "hset", 1)
}

func hgetCommand(c *Client) {
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.argv[2]); found {
			c.ReplyBulk(v)
			return
		}
	}
	c.ReplyNull()
}

func hmgetCommand(c *Client) {
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	c.ReplyArray(len(c.argv) - 2)
	for _, f := range c.argv[2:] {
		var v []byte
		found := false
		if h != nil {
			v, found = h.Get(f)
		}
		if found {
			c.ReplyBulk(v)
		} else {
			c.ReplyNull()
		}
	}
}

func hdelCommand(c *Client) {
	key := string(c.argv[1])
	h, ok := hashWrite(c, key)
	if !ok {
		return
	}
	if h == nil {
		c.ReplyInt(0)
		return
	}
	deleted := 0
	for _, f := range c.argv[2:] {
		if h.Delete(f) {
			deleted++
			if h.Len() == 0 {
				// Like Redis: the key goes at once and the remaining
				// fields are not looked at.
				break
			}
		}
	}
	if deleted > 0 {
		c.srv.keyModified(c.DB(), key)
		c.srv.notify(notifyHash, "hdel", key, c.DB().ID())
		hashDeleteIfEmpty(c, key, h)
		c.srv.Dirty(deleted)
	}
	c.ReplyInt(int64(deleted))
}

func hlenCommand(c *Client) { replyObjectLen[*Hash](c) }

func hstrlenCommand(c *Client) {
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(c.argv[2])
		n = len(v)
	}
	c.ReplyInt(int64(n))
}

func hexistsCommand(c *Client) {
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	found := false
	if h != nil {
		_, found = h.Get(c.argv[2])
	}
	if found {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
}

const (
	hashKeys = 1 << iota
	hashValues
)

// hgetallGeneric serves HKEYS, HVALS and HGETALL: a map for HGETALL (a flat
// array in RESP2), arrays for the others.
func hgetallGeneric(c *Client, what int) {
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if what == hashKeys|hashValues {
		c.ReplyMap(n)
	} else {
		c.ReplyArray(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if what&hashKeys != 0 {
			c.ReplyBulk(f)
		}
		if what&hashValues != 0 {
			c.ReplyBulk(v)
		}
		return true
	})
}

func hkeysCommand(c *Client)   { hgetallGeneric(c, hashKeys) }
func hvalsCommand(c *Client)   { hgetallGeneric(c, hashValues) }
func hgetallCommand(c *Client) { hgetallGeneric(c, hashKeys|hashValues) }

func hincrbyCommand(c *Client) {
	incr, ok := c.IntArg(3)
	if !ok {
		return
	}
	key := string(c.argv[1])
	h, ok := hashWrite(c, key)
	if !ok {
		return
	}
	var cur int64
	if h != nil {
		if v, found := h.Get(c.argv[2]); found {
			if cur, ok = ParseInt(v); !ok {
				c.ReplyError("ERR hash value is not an integer")
				return
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < minInt64-cur) || (incr > 0 && cur > 0 && incr > maxInt64-cur) {
		c.ReplyError(ErrOverflow)
		return
	}
	cur += incr
	if h == nil {
		h = hashCreate(c, key)
	}
	h.store(c.argv[2], strconv.AppendInt(nil, cur, 10), hashLimitsOf(c.srv.opts))
	c.ReplyInt(cur)
	hashChanged(c, key, "hincrby", 1)
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
)

func hincrbyfloatCommand(c *Client) {
	// The long double helpers (parseLongDouble, addLongDouble,
	// formatLongDouble) live in t_string.go, shared with INCRBYFLOAT.
	incr, ok := parseLongDouble(c.argv[3])
	if !ok {
		c.ReplyError(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.ReplyError("ERR value is NaN or Infinity")
		return
	}
	key := string(c.argv[1])
	h, ok := hashWrite(c, key)
	if !ok {
		return
	}
	cur := newLD()
	if h != nil {
		if v, found := h.Get(c.argv[2]); found {
			if cur, ok = parseLongDouble(v); !ok {
				c.ReplyError("ERR hash value is not a float")
				return
			}
		}
	}
	sum, finite := addLongDouble(cur, incr)
	if !finite {
		c.ReplyError("ERR increment would produce NaN or Infinity")
		return
	}
	res := formatLongDouble(sum)
	if h == nil {
		h = hashCreate(c, key)
	}
	h.store(c.argv[2], res, hashLimitsOf(c.srv.opts))
	c.ReplyBulk(res)
	hashChanged(c, key, "hincrbyfloat", 1)
	// The result, not the increment, is replicated, so that replicas and
	// the AOF never redo floating-point arithmetic.
	c.Propagate([]byte("HSET"), c.argv[1], c.argv[2], res)
}

// HRANDFIELD key [count [WITHVALUES]]
func hrandfieldCommand(c *Client) {
	if len(c.argv) >= 3 {
		l, withValues, ok := randCountArgs(c, "withvalues")
		if ok {
			hrandfieldWithCount(c, l, withValues)
		}
		return
	}
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	if h == nil {
		c.ReplyNull()
		return
	}
	c.ReplyBulk(h.fields[rand.IntN(h.Len())])
}

func hrandfieldWithCount(c *Client, l int64, withValues bool) {
	h, ok := hashRead(c, c.argv[1])
	if !ok {
		return
	}
	if h == nil || l == 0 {
		c.ReplyArray(0)
		return
	}
	size := h.Len()
	nested := withValues && c.proto > 2
	reply := func(i int) {
		if nested {
			c.ReplyArray(2)
		}
		c.ReplyBulk(h.fields[i])
		if withValues {
			c.ReplyBulk(h.values[i])
		}
	}
	header := func(n int64) {
		if withValues && c.proto == 2 {
			c.ReplyArray(int(n * 2))
		} else {
			c.ReplyArray(int(n))
		}
	}
	// A negative count allows repeats: independent picks, random order.
	if l < 0 || l == 1 {
		count := l
		if count < 0 {
			count = -count
		}
		header(count)
		for ; count > 0; count-- {
			reply(rand.IntN(size))
		}
		return
	}
	if l >= int64(size) {
		// The whole hash, in its own order (listpack order for small
		// hashes, like Redis).
		header(int64(size))
		for i := 0; i < size; i++ {
			reply(i)
		}
		return
	}
	count := int(l)
	header(int64(count))
	if h.idx == nil {
		// Redis samples a listpack with selection sampling, so the
		// chosen pairs come out in listpack order; do the same.
		need := count
		for i := 0; i < size && need > 0; i++ {
			if rand.IntN(size-i) < need {
				reply(i)
				need--
			}
		}
		return
	}
	for _, i := range randomDistinct(size, count) {
		reply(i)
	}
}

// randCountArgs parses the "count [WITH...]" arguments of SRANDMEMBER,
// HRANDFIELD (with "withvalues") and ZRANDMEMBER (with "withscores") as
// Redis does: the count first, then the flag, replying with Redis's error
// when they are wrong.
func randCountArgs(c *Client, withWord string) (count int64, with, ok bool) {
	count, ok = c.IntArg(2)
	if !ok {
		return 0, false, false
	}
	if count == minInt64 {
		c.ReplyError("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false, false
	}
	if len(c.argv) > 4 || (len(c.argv) == 4 && !c.ArgIs(3, withWord)) {
		c.ReplyError(ErrSyntax)
		return 0, false, false
	}
	if len(c.argv) == 4 {
		// The RESP2 reply has 2*count entries.
		if count < -maxInt64/2 || count > maxInt64/2 {
			c.ReplyError("ERR value is out of range")
			return 0, false, false
		}
		with = true
	}
	return count, with, true
}

// randomDistinct returns count distinct indexes in [0,size), in random
// order (count < size).
func randomDistinct(size, count int) []int {
	out := make([]int, 0, count)
	if count*3 > size {
		// Dense: a partial Fisher-Yates shuffle of all the indexes.
		perm := make([]int, size)
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i < count; i++ {
			j := i + rand.IntN(size-i)
			perm[i], perm[j] = perm[j], perm[i]
			out = append(out, perm[i])
		}
		return out
	}
	// Sparse: draw until enough distinct indexes are seen.
	seen := make(map[int]struct{}, count)
	for len(out) < count {
		i := rand.IntN(size)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		out = append(out, i)
	}
	return out
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
func hscanCommand(c *Client) { objectScan(c, hashRead, (*Hash).scan) }

// scan is one HSCAN call (see objectScan): a listpack goes whole with
// cursor 0, a hashtable resumes its index's scan at cursor.
func (h *Hash) scan(cursor uint64, a *scanArgs, out [][]byte) ([][]byte, uint64) {
	add := func(f, v []byte) {
		if a.matches(f) {
			out = append(out, f, v)
		}
	}
	if h.idx == nil {
		h.Each(func(f, v []byte) bool {
			add(f, v)
			return true
		})
		return out, 0
	}
	count, steps := a.budget(2)
	next := h.idx.ScanBatch(cursor, count, steps, func(_ string, i *int) { add(h.fields[*i], h.values[*i]) })
	return out, next
}

func init() {
	register(
		&Command{Name: "hset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Set the string value of a hash field",
			ACL: []string{"write", "hash", "fast"}, Proc: hsetCommand},
		&Command{Name: "hsetnx", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Set the value of a hash field, only if the field does not exist",
			ACL: []string{"write", "hash", "fast"}, Proc: hsetnxCommand},
		&Command{Name: "hget", Arity: 3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Get the value of a hash field",
			ACL: []string{"read", "hash", "fast"}, Proc: hgetCommand},
		&Command{Name: "hmset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Set multiple hash fields to multiple values",
			ACL: []string{"write", "hash", "fast"}, Proc: hmsetCommand},
		&Command{Name: "hmget", Arity: -3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Get the values of all the given hash fields",
			ACL: []string{"read", "hash", "fast"}, Proc: hmgetCommand},
		&Command{Name: "hgetall", Arity: 2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Get all the fields and values in a hash",
			ACL: []string{"read", "hash", "slow"}, Proc: hgetallCommand},
		&Command{Name: "hdel", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Delete one or more hash fields",
			ACL: []string{"write", "hash", "fast"}, Proc: hdelCommand},
		&Command{Name: "hexists", Arity: 3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Determine if a hash field exists",
			ACL: []string{"read", "hash", "fast"}, Proc: hexistsCommand},
		&Command{Name: "hlen", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Get the number of fields in a hash",
			ACL: []string{"read", "hash", "fast"}, Proc: hlenCommand},
		&Command{Name: "hkeys", Arity: 2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Get all the fields in a hash",
			ACL: []string{"read", "hash", "slow"}, Proc: hkeysCommand},
		&Command{Name: "hvals", Arity: 2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Get all the values in a hash",
			ACL: []string{"read", "hash", "slow"}, Proc: hvalsCommand},
		&Command{Name: "hincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.0.0", Summary: "Increment the integer value of a hash field by the given number",
			ACL: []string{"write", "hash", "fast"}, Proc: hincrbyCommand},
		&Command{Name: "hincrbyfloat", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.6.0", Summary: "Increment the float value of a hash field by the given amount",
			ACL: []string{"write", "hash", "fast"}, Proc: hincrbyfloatCommand},
		&Command{Name: "hstrlen", Arity: 3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "3.2.0", Summary: "Get the length of the value of a hash field",
			ACL: []string{"read", "hash", "fast"}, Proc: hstrlenCommand},
		&Command{Name: "hscan", Arity: -3, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "2.8.0", Summary: "Incrementally iterate hash fields and associated values",
			ACL: []string{"read", "hash", "slow"}, Proc: hscanCommand},
		&Command{Name: "hrandfield", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "hash", Since: "6.2.0", Summary: "Get one or multiple random fields from a hash",
			ACL: []string{"read", "hash", "slow"}, Proc: hrandfieldCommand},
	)
}
