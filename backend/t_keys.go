package backend

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/backend/ds"
)

// Type-agnostic commands on the key space: deletion, existence, renames,
// expiry, iteration, copies between databases, flushes and OBJECT.

func init() {
	register(
		&Command{Name: "del", Arity: -2, Flags: FlagWrite, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Delete a key",
			ACL: []string{"keyspace", "write", "slow"}, Proc: delCommand},
		&Command{Name: "unlink", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "generic", Since: "4.0.0", Summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
			ACL: []string{"keyspace", "write", "fast"}, Proc: delCommand},
		&Command{Name: "exists", Arity: -2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Determine if a key exists",
			ACL: []string{"keyspace", "read", "fast"}, Proc: existsCommand},
		&Command{Name: "type", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Determine the type stored at key",
			ACL: []string{"keyspace", "read", "fast"}, Proc: typeCommand},
		&Command{Name: "rename", Arity: 3, Flags: FlagWrite, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Rename a key",
			ACL: []string{"keyspace", "write", "slow"}, Proc: renameCommand},
		&Command{Name: "renamenx", Arity: 3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Rename a key, only if the new key does not exist",
			ACL: []string{"keyspace", "write", "fast"}, Proc: renamenxCommand},
		&Command{Name: "expire", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Set a key's time to live in seconds",
			ACL: []string{"keyspace", "write", "fast"}, Proc: expireCommand},
		&Command{Name: "pexpire", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "2.6.0", Summary: "Set a key's time to live in milliseconds",
			ACL: []string{"keyspace", "write", "fast"}, Proc: pexpireCommand},
		&Command{Name: "expireat", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "1.2.0", Summary: "Set the expiration for a key as a UNIX timestamp",
			ACL: []string{"keyspace", "write", "fast"}, Proc: expireatCommand},
		&Command{Name: "pexpireat", Arity: -3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "2.6.0", Summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
			ACL: []string{"keyspace", "write", "fast"}, Proc: pexpireatCommand},
		&Command{Name: "ttl", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Get the time to live for a key in seconds",
			ACL: []string{"keyspace", "read", "fast"}, Proc: ttlCommand},
		&Command{Name: "pttl", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "2.6.0", Summary: "Get the time to live for a key in milliseconds",
			ACL: []string{"keyspace", "read", "fast"}, Proc: pttlCommand},
		&Command{Name: "expiretime", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "7.0.0", Summary: "Get the expiration Unix timestamp for a key",
			ACL: []string{"keyspace", "read", "fast"}, Proc: expiretimeCommand},
		&Command{Name: "pexpiretime", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "7.0.0", Summary: "Get the expiration Unix timestamp for a key in milliseconds",
			ACL: []string{"keyspace", "read", "fast"}, Proc: pexpiretimeCommand},
		&Command{Name: "persist", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "2.2.0", Summary: "Remove the expiration from a key",
			ACL: []string{"keyspace", "write", "fast"}, Proc: persistCommand},
		&Command{Name: "keys", Arity: 2, Flags: FlagReadonly,
			Group: "generic", Since: "1.0.0", Summary: "Find all keys matching the given pattern",
			ACL: []string{"keyspace", "read", "slow", "dangerous"}, Proc: keysCommand},
		&Command{Name: "scan", Arity: -2, Flags: FlagReadonly | FlagTouchesArbitraryKeys,
			Group: "generic", Since: "2.8.0", Summary: "Incrementally iterate the keys space",
			ACL: []string{"keyspace", "read", "slow"}, Proc: scanCommand},
		&Command{Name: "randomkey", Arity: 1, Flags: FlagReadonly | FlagTouchesArbitraryKeys,
			Group: "generic", Since: "1.0.0", Summary: "Return a random key from the keyspace",
			ACL: []string{"keyspace", "read", "slow"}, Proc: randomkeyCommand},
		&Command{Name: "copy", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "generic", Since: "6.2.0", Summary: "Copy a key",
			ACL: []string{"keyspace", "write", "slow"}, Proc: copyCommand},
		&Command{Name: "move", Arity: 3, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "generic", Since: "1.0.0", Summary: "Move a key to another database",
			ACL: []string{"keyspace", "write", "fast"}, Proc: moveCommand},
		&Command{Name: "dbsize", Arity: 1, Flags: FlagReadonly | FlagFast,
			Group: "server", Since: "1.0.0", Summary: "Return the number of keys in the selected database",
			ACL: []string{"keyspace", "read", "fast"}, Proc: dbsizeCommand},
		&Command{Name: "flushdb", Arity: -1, Flags: FlagWrite,
			Group: "server", Since: "1.0.0", Summary: "Remove all keys from the current database",
			ACL: []string{"keyspace", "write", "slow", "dangerous"}, Proc: flushdbCommand},
		&Command{Name: "flushall", Arity: -1, Flags: FlagWrite,
			Group: "server", Since: "1.0.0", Summary: "Remove all keys from all databases",
			ACL: []string{"keyspace", "write", "slow", "dangerous"}, Proc: flushallCommand},
		&Command{Name: "swapdb", Arity: 3, Flags: FlagWrite | FlagFast,
			Group: "server", Since: "4.0.0", Summary: "Swaps two Redis databases",
			ACL: []string{"keyspace", "write", "fast", "dangerous"}, Proc: swapdbCommand},
		&Command{Name: "touch", Arity: -2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "generic", Since: "3.2.1", Summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
			ACL: []string{"keyspace", "read", "fast"}, Proc: touchCommand},
		&Command{Name: "object", Arity: -2,
			Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands",
			ACL: []string{"slow"},
			Sub: map[string]*Command{
				"encoding": {Name: "object|encoding", Arity: 3, Flags: FlagReadonly, FirstKey: 2, LastKey: 2, Step: 1,
					Group: "generic", Since: "2.2.3", Summary: "Inspect the internal encoding of a Redis object",
					ACL: []string{"keyspace", "read", "slow"}, Proc: objectEncodingCommand},
				"freq": {Name: "object|freq", Arity: 3, Flags: FlagReadonly, FirstKey: 2, LastKey: 2, Step: 1,
					Group: "generic", Since: "4.0.0", Summary: "Get the logarithmic access frequency counter of a Redis object",
					ACL: []string{"keyspace", "read", "slow"}, Proc: objectFreqCommand},
				"idletime": {Name: "object|idletime", Arity: 3, Flags: FlagReadonly, FirstKey: 2, LastKey: 2, Step: 1,
					Group: "generic", Since: "2.2.3", Summary: "Get the time since a Redis object was last accessed",
					ACL: []string{"keyspace", "read", "slow"}, Proc: objectIdletimeCommand},
				"refcount": {Name: "object|refcount", Arity: 3, Flags: FlagReadonly, FirstKey: 2, LastKey: 2, Step: 1,
					Group: "generic", Since: "2.2.3", Summary: "Get the number of references to the value of the key",
					ACL: []string{"keyspace", "read", "slow"}, Proc: objectRefcountCommand},
				"help": {Name: "object|help", Arity: 2, Flags: FlagLoading | FlagStale,
					Group: "generic", Since: "6.2.0", Summary: "Show helpful text about the different subcommands",
					ACL: []string{"keyspace", "slow"}, Proc: objectHelpCommand},
			}},
	)
}

// flushallSaveHook, when set (by persistence), runs after FLUSHALL has
// emptied every database, SYNC or ASYNC alike: Redis 7.0 then kills a
// running RDB child and, if save points are configured, saves the empty
// dataset at once (which also resets the dirty counter).
var flushallSaveHook func(*Server)

// --- lookups --------------------------------------------------------------

// lookupReadNoTouch is Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH): the
// hit/miss statistics count, the access time does not change (EXISTS,
// TYPE, TTL, OBJECT). notify sends "keymiss" on a miss, as Redis does
// unless LOOKUP_NONOTIFY.
func (db *DB) lookupReadNoTouch(key string, notify bool) *Entry {
	e := db.lookup(key)
	if e == nil {
		db.srv.stats.keyspaceMisses++
		if notify {
			db.srv.notify(notifyKeyMiss, "keymiss", key, db.id)
		}
		return nil
	}
	db.srv.stats.keyspaceHits++
	return e
}

// present reports whether key is in the dictionary at all, expired or not
// (Redis's dictFind, used where Redis does not expire keys).
func (db *DB) present(key string) bool { return db.d.get(key) != nil }

// attachEntry stores the value of e, an entry taken out of another key
// (RENAME, MOVE), under key: the value moves as is, with its expiry and
// access data. The caller must have obtained e with LookupWrite, which keeps
// a running save's copy of the old key, and deleted any entry at key. It
// returns the stored entry (the dict holds entries by value).
func (db *DB) attachEntry(key string, e *Entry) *Entry {
	moved := *e
	at, lru, freq := moved.expireAt, moved.lru, moved.freq
	moved.expireAt = 0
	p := db.setEntry(key, &moved, false)
	p.lru, p.freq = lru, freq
	if at != 0 {
		db.SetExpire(key, p, at)
	}
	return p
}

// intArgOrReply is Redis's getIntFromObjectOrReply: argument i must be an
// integer that fits a C int; msg, when set, replaces both errors.
func (c *Client) intArgOrReply(i int, msg string) (int, bool) {
	v, ok := ParseInt(c.argv[i])
	if !ok {
		if msg == "" {
			msg = ErrNotInt
		}
		c.ReplyError(msg)
		return 0, false
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		if msg == "" {
			msg = "ERR value is out of range, value must between -2147483648 and 2147483647"
		}
		c.ReplyError(msg)
		return 0, false
	}
	return int(v), true
}

// dbArg parses a database index argument (MOVE, COPY DB).
func (c *Client) dbArg(i int) (*DB, bool) {
	id, ok := c.intArgOrReply(i, "")
	if !ok {
		return nil, false
	}
	if id < 0 || id >= len(c.srv.dbs) {
		c.ReplyError(ErrDBIndex)
		return nil, false
	}
	return c.srv.dbs[id], true
}

// --- DEL / EXISTS / TYPE / TOUCH ------------------------------------------

// delCommand is DEL and UNLINK: warden frees memory through the Go
// collector either way, so there is nothing to do lazily.
func delCommand(c *Client) {
	db := c.DB()
	n := 0
	for _, k := range c.argv[1:] {
		key := string(k)
		if db.Delete(key) {
			c.srv.keyModified(db, key)
			c.srv.notify(notifyGeneric, "del", key, db.id)
			c.srv.Dirty(1)
			n++
		}
	}
	c.ReplyInt(int64(n))
}

func existsCommand(c *Client) {
	db := c.DB()
	n := 0
	for _, k := range c.argv[1:] {
		if db.lookupReadNoTouch(string(k), true) != nil {
			n++
		}
	}
	c.ReplyInt(int64(n))
}

func typeCommand(c *Client) {
	e := c.DB().lookupReadNoTouch(string(c.argv[1]), true)
	if e == nil {
		c.ReplySimple("none")
		return
	}
	c.ReplySimple(e.TypeName())
}

func touchCommand(c *Client) {
	db := c.DB()
	n := 0
	for _, k := range c.argv[1:] {
		if db.LookupRead(string(k)) != nil {
			n++
		}
	}
	c.ReplyInt(int64(n))
}

// --- RENAME / MOVE / COPY -------------------------------------------------

func renameCommand(c *Client)   { c.renameGeneric(false) }
func renamenxCommand(c *Client) { c.renameGeneric(true) }

func (c *Client) renameGeneric(nx bool) {
	db := c.DB()
	src, dst := string(c.argv[1]), string(c.argv[2])
	e := db.LookupWrite(src)
	if e == nil {
		c.ReplyError(ErrNoSuchKey)
		return
	}
	if src == dst {
		if nx {
			c.ReplyInt(0)
		} else {
			c.ReplyOK()
		}
		return
	}
	if db.lookupOverwrite(dst) != nil {
		if nx {
			c.ReplyInt(0)
			return
		}
		db.delete(dst)
	}
	db.delete(src)
	db.attachEntry(dst, e)
	c.srv.notifyNewKey(db, dst)
	c.srv.keyModified(db, src)
	c.srv.keyModified(db, dst)
	c.srv.notify(notifyGeneric, "rename_from", src, db.id)
	c.srv.notify(notifyGeneric, "rename_to", dst, db.id)
	c.srv.Dirty(1)
	if nx {
		c.ReplyInt(1)
	} else {
		c.ReplyOK()
	}
}

func moveCommand(c *Client) {
	src := c.DB()
	dst, ok := c.dbArg(2)
	if !ok {
		return
	}
	if src == dst {
		c.ReplyError("ERR source and destination objects are the same")
		return
	}
	key := string(c.argv[1])
	e := src.LookupWrite(key)
	if e == nil || dst.lookupOverwrite(key) != nil {
		c.ReplyInt(0)
		return
	}
	src.delete(key)
	dst.attachEntry(key, e)
	c.srv.notifyNewKey(dst, key)
	c.srv.keyModified(src, key)
	c.srv.keyModified(dst, key)
	c.srv.notify(notifyGeneric, "move_from", key, src.id)
	c.srv.notify(notifyGeneric, "move_to", key, dst.id)
	c.srv.Dirty(1)
	c.ReplyInt(1)
}

func copyCommand(c *Client) {
	src, dst := c.DB(), c.DB()
	replace := false
	for j := 3; j < len(c.argv); j++ {
		more := len(c.argv) - j - 1
		switch {
		case cArgIs(c.argv[j], "replace"):
			replace = true
		case cArgIs(c.argv[j], "db") && more >= 1:
			d, ok := c.dbArg(j + 1)
			if !ok {
				return
			}
			dst = d
			j++
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	key, newkey := string(c.argv[1]), string(c.argv[2])
	if src == dst && key == newkey {
		c.ReplyError("ERR source and destination objects are the same")
		return
	}
	e := src.LookupRead(key)
	if e == nil {
		c.ReplyInt(0)
		return
	}
	if dst.lookupOverwrite(newkey) != nil {
		if !replace {
			c.ReplyInt(0)
			return
		}
		dst.delete(newkey)
	}
	var ne *Entry
	if e.IsString() {
		ne = dst.SetString(newkey, append([]byte(nil), e.str...), false)
		// Redis's dupStringObject keeps the encoding, but an int copy is a
		// private object, never a shared integer.
		switch stringEncoding(e) {
		case "int":
			ne.enc = encIntPrivate
		case "embstr":
			ne.enc = encNoInt
		default:
			ne.enc = encRaw
		}
	} else {
		ne = dst.SetObject(newkey, e.obj.Clone())
	}
	if e.expireAt != 0 {
		dst.SetExpire(newkey, ne, e.expireAt)
	}
	c.srv.notifyNewKey(dst, newkey)
	c.srv.keyModified(dst, newkey)
	c.srv.notify(notifyGeneric, "copy_to", newkey, dst.id)
	c.srv.Dirty(1)
	c.ReplyInt(1)
}

// --- expiry ---------------------------------------------------------------

// Flags of the EXPIRE family.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

func expireCommand(c *Client)    { c.expireGeneric(c.srv.nowMs(), true) }
func pexpireCommand(c *Client)   { c.expireGeneric(c.srv.nowMs(), false) }
func expireatCommand(c *Client)  { c.expireGeneric(0, true) }
func pexpireatCommand(c *Client) { c.expireGeneric(0, false) }

// expireGeneric is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: basetime is now
// for the relative forms and 0 for the absolute ones.
func (c *Client) expireGeneric(basetime int64, seconds bool) {
	flags := 0
	for _, opt := range c.argv[3:] {
		switch {
		case cArgIs(opt, "nx"):
			flags |= expireNX
		case cArgIs(opt, "xx"):
			flags |= expireXX
		case cArgIs(opt, "gt"):
			flags |= expireGT
		case cArgIs(opt, "lt"):
			flags |= expireLT
		default:
			c.ReplyError("ERR Unsupported option " + cString(opt))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.ReplyError("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := c.IntArg(2)
	if !ok {
		return
	}
	// Negative times are allowed (they delete the key); only overflow of
	// the unit conversion or of the base addition is an error.
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.replyExpireTimeError()
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		c.replyExpireTimeError()
		return
	}
	when += basetime

	db := c.DB()
	key := string(c.argv[1])
	e := db.lookupOverwrite(key)
	if e == nil {
		c.ReplyInt(0)
		return
	}
	if flags != 0 {
		cur := e.expireAt // 0: no TTL, which counts as infinite
		switch {
		case flags&expireNX != 0 && cur != 0,
			flags&expireXX != 0 && cur == 0,
			flags&expireGT != 0 && (cur == 0 || when <= cur),
			flags&expireLT != 0 && cur != 0 && when >= cur:
			c.ReplyInt(0)
			return
		}
	}
	if c.alreadyExpired(when) {
		db.delete(key)
		c.srv.Dirty(1)
		c.PropagateStrings("DEL", key)
		c.srv.keyModified(db, key)
		c.srv.notify(notifyGeneric, "del", key, db.id)
		c.ReplyInt(1)
		return
	}
	db.SetExpire(key, e, when)
	c.ReplyInt(1)
	// Replicate as an absolute PEXPIREAT, keeping the NX/XX/GT/LT options.
	args := make([][]byte, 0, len(c.argv))
	args = append(args, []byte("PEXPIREAT"), c.argv[1], strconv.AppendInt(nil, when, 10))
	args = append(args, c.argv[3:]...)
	c.Propagate(args...)
	c.srv.keyModified(db, key)
	c.srv.notify(notifyGeneric, "expire", key, db.id)
	c.srv.Dirty(1)
}

// cString is an argument as C code sees it: up to the first NUL.
func cString(b []byte) string {
	for i, ch := range b {
		if ch == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func ttlCommand(c *Client)         { c.ttlGeneric(false, false) }
func pttlCommand(c *Client)        { c.ttlGeneric(true, false) }
func expiretimeCommand(c *Client)  { c.ttlGeneric(false, true) }
func pexpiretimeCommand(c *Client) { c.ttlGeneric(true, true) }

func (c *Client) ttlGeneric(ms, abs bool) {
	e := c.DB().lookupReadNoTouch(string(c.argv[1]), true)
	if e == nil {
		c.ReplyInt(-2)
		return
	}
	if e.expireAt == 0 {
		c.ReplyInt(-1)
		return
	}
	ttl := e.expireAt
	if !abs {
		ttl -= c.srv.nowMs()
	}
	ttl = max(ttl, 0)
	if !ms {
		// Rounded to the nearest second without overflowing near
		// MaxInt64 (Redis's compiled arithmetic does not wrap there).
		ttl = int64((uint64(ttl) + 500) / 1000)
	}
	c.ReplyInt(ttl)
}

func persistCommand(c *Client) {
	db := c.DB()
	key := string(c.argv[1])
	e := db.lookupOverwrite(key)
	if e == nil || !db.Persist(key, e) {
		c.ReplyInt(0)
		return
	}
	c.srv.keyModified(db, key)
	c.srv.notify(notifyGeneric, "persist", key, db.id)
	c.ReplyInt(1)
	c.srv.Dirty(1)
}

// --- iteration ------------------------------------------------------------

func keysCommand(c *Client) {
	pattern := c.argv[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	d := c.ReplyDeferredArray()
	n := 0
	c.DB().Keys(func(key string, _ *Entry) bool {
		if all || ds.Match(pattern, []byte(key), false) {
			c.ReplyBulkString(key)
			n++
		}
		return true
	})
	c.SetDeferredArray(d, n)
}

// objectOf returns the value of e, an entry a command looked up, as a T:
// the nil T when the key is missing; ok is false, after a WRONGTYPE reply,
// when the key holds another type.
func objectOf[T Object](c *Client, e *Entry) (v T, ok bool) {
	if e == nil {
		return v, true
	}
	if v, ok = e.obj.(T); !ok {
		c.ReplyError(ErrWrongType)
	}
	return v, ok
}

// replyObjectLen replies the length of the T at key argv[1], 0 when the
// key is missing (HLEN, LLEN, SCARD, ZCARD).
func replyObjectLen[T Object](c *Client) {
	e := c.DB().LookupRead(string(c.argv[1]))
	if e == nil {
		c.ReplyInt(0)
		return
	}
	if v, ok := objectOf[T](c, e); ok {
		c.ReplyInt(int64(v.Len()))
	}
}

// storeResult stores obj, the result of a *STORE command, under dst and
// replies its size; an empty (or nil) result deletes dst instead. Like
// Redis's setKey, an expired destination is expired first, the access
// touches the old value (whose LFU counter the new one inherits), and only
// a key that did not exist gets the "new" event; event, of notification
// class, follows.
func storeResult(c *Client, dst string, obj Object, class int, event string) {
	db := c.DB()
	if obj == nil || obj.Len() == 0 {
		c.ReplyInt(0)
		if db.DeleteStored(dst) {
			c.srv.keyModified(db, dst)
			c.srv.notify(notifyGeneric, "del", dst, db.ID())
			c.srv.Dirty(1)
		}
		return
	}
	existed := db.lookupOverwrite(dst) != nil
	db.SetObject(dst, obj)
	if !existed {
		c.srv.notifyNewKey(db, dst)
	}
	c.ReplyInt(int64(obj.Len()))
	c.srv.keyModified(db, dst)
	c.srv.notify(class, event, dst, db.ID())
	c.srv.Dirty(1)
}

// parseScanCursor parses a SCAN-family cursor like Redis's
// parseScanCursorOrReply, which uses strtoul: no leading space, an optional
// sign ("-1" wraps around as in C), decimal digits, nothing after them, no
// overflow. As C sees it, the argument ends at a NUL byte, and an empty
// string is cursor 0.
func parseScanCursor(b []byte) (uint64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true // strtoul converts nothing and stops at the end
	}
	if isSpaceByte(b[0]) {
		return 0, false
	}
	neg := b[0] == '-'
	if b[0] == '+' || b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false // a lone sign converts nothing: strtoul points back at it
	}
	var v uint64
	for _, d := range b {
		if d < '0' || d > '9' || v > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false // not a digit, or ERANGE
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// scanCursorArg parses argument i as a SCAN-family cursor, replying with
// Redis's error when it is not one.
func scanCursorArg(c *Client, i int) (uint64, bool) {
	v, ok := parseScanCursor(c.argv[i])
	if !ok {
		c.ReplyError("ERR invalid cursor")
	}
	return v, ok
}

// scanArgs are the options of SCAN/HSCAN/SSCAN/ZSCAN after the cursor.
type scanArgs struct {
	count  int64  // COUNT, 10 when absent
	pat    []byte // MATCH pattern
	usePat bool   // false when MATCH is absent or "*": everything matches
	typ    []byte // SCAN's TYPE filter, nil when absent
}

// matches reports whether b passes the MATCH filter.
func (a *scanArgs) matches(b []byte) bool {
	return !a.usePat || ds.Match(a.pat, b, false)
}

// budget turns COUNT into the count and maxSteps of a ds ScanBatch over a
// collection whose elements are width reply items each (2 for fields and
// values, or members and scores). Redis scales COUNT by the width and
// allows ten buckets per unit of the scaled COUNT, so a hash or sorted set
// gets twice the buckets of a set for the same number of elements.
func (a *scanArgs) budget(width int) (count, maxSteps int) {
	n := int(min(a.count, math.MaxInt32))
	return n, n * width * 10
}

// parseScanArgs parses [MATCH pattern] [COUNT count] (and [TYPE type] when
// withType, which only SCAN accepts) from argument i on, as Redis's
// scanGenericCommand does (strcasecmp, so a word ends at a NUL byte),
// replying with its error when they are wrong.
func parseScanArgs(c *Client, i int, withType bool) (scanArgs, bool) {
	a := scanArgs{count: 10}
	for i < len(c.argv) {
		left := len(c.argv) - i
		switch {
		case cArgIs(c.argv[i], "count") && left >= 2:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return a, false
			}
			if v < 1 {
				c.ReplyError(ErrSyntax)
				return a, false
			}
			a.count = v
		case cArgIs(c.argv[i], "match") && left >= 2:
			a.pat = c.argv[i+1]
			a.usePat = !(len(a.pat) == 1 && a.pat[0] == '*')
		case withType && cArgIs(c.argv[i], "type") && left >= 2:
			a.typ = c.argv[i+1]
		default:
			c.ReplyError(ErrSyntax)
			return a, false
		}
		i += 2
	}
	return a, true
}

func replyEmptyScan(c *Client) {
	c.ReplyArray(2)
	c.ReplyBulkString("0")
	c.ReplyArray(0)
}

// objectScan implements HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern]
// [COUNT count] in Redis's order of checks: the cursor, then the key (read
// replies WRONGTYPE itself and gives nil for a missing key), then the
// options. scan appends to out the reply items of the elements it visits
// from cursor on that pass MATCH, and returns the next cursor: as in Redis,
// a compact encoding (listpack, intset) is returned whole with cursor 0,
// while a hashtable or skiplist continues a reverse-binary dict scan, COUNT
// being the work per call. The items are collected before replying because
// the cursor comes first in the reply and is known only once the walk is
// done.
func objectScan[T comparable](c *Client, read func(*Client, []byte) (T, bool), scan func(obj T, cursor uint64, a *scanArgs, out [][]byte) ([][]byte, uint64)) {
	cursor, ok := scanCursorArg(c, 2)
	if !ok {
		return
	}
	obj, ok := read(c, c.argv[1])
	if !ok {
		return
	}
	var missing T
	if obj == missing {
		replyEmptyScan(c)
		return
	}
	a, ok := parseScanArgs(c, 3, false)
	if !ok {
		return
	}
	items, next := scan(obj, cursor, &a, nil)
	c.ReplyArray(2)
	c.ReplyBulk(strconv.AppendUint(nil, next, 10))
	c.ReplyArray(len(items))
	for _, it := range items {
		c.ReplyBulk(it)
	}
}

func scanCommand(c *Client) {
	cursor, ok := scanCursorArg(c, 1)
	if !ok {
		return
	}
	a, ok := parseScanArgs(c, 2, true)
	if !ok {
		return
	}
	db := c.DB()
	var keys []string
	next := db.Scan(cursor, int(min(a.count, math.MaxInt32)), func(key string, e *Entry) {
		if a.matches([]byte(key)) {
			keys = append(keys, key)
		}
	})
	// The walk is over, so keys may go now: as Redis does, a key that
	// passed the pattern and turns out expired is deleted, and the TYPE
	// filter looks the key up, which counts as a hit or a miss.
	live := keys[:0]
	for _, key := range keys {
		if a.typ != nil {
			e := db.lookup(key)
			if e == nil {
				db.srv.stats.keyspaceMisses++
				db.srv.notify(notifyKeyMiss, "keymiss", key, db.id)
				continue
			}
			db.srv.stats.keyspaceHits++
			if !cArgIs(a.typ, e.TypeName()) {
				continue
			}
		} else if e := db.d.get(key); e == nil || db.expireIfNeeded(key, e) {
			continue
		}
		live = append(live, key)
	}
	keys = live
	c.ReplyArray(2)
	c.ReplyBulk(strconv.AppendUint(nil, next, 10))
	c.ReplyStrings(keys)
}

func randomkeyCommand(c *Client) {
	k, ok := c.DB().RandomKey()
	if !ok {
		c.ReplyNull()
		return
	}
	c.ReplyBulkString(k)
}

func dbsizeCommand(c *Client) { c.ReplyInt(int64(c.DB().Size())) }

// --- FLUSHDB / FLUSHALL / SWAPDB ------------------------------------------

// flushArgsOK checks the optional SYNC|ASYNC argument. Both mean the same
// to warden: dropping the dictionary is O(1) and the collector frees it.
func (c *Client) flushArgsOK() bool {
	switch {
	case len(c.argv) == 1:
		return true
	case len(c.argv) == 2 && (cArgIs(c.argv[1], "sync") || cArgIs(c.argv[1], "async")):
		return true
	}
	c.ReplyError(ErrSyntax)
	return false
}

// touchWatchedKeysInDB invalidates the WATCHes on keys of emptied that are
// about to change because its contents are dropped or replaced by those of
// replacedWith (nil for a flush): keys present in either, like Redis's
// touchAllWatchedKeysInDb. It must run before the change.
func (s *Server) touchWatchedKeysInDB(emptied, replacedWith *DB) {
	if len(emptied.watched) == 0 {
		return
	}
	var keys []string
	for k := range emptied.watched {
		if emptied.present(k) || (replacedWith != nil && replacedWith.present(k)) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		s.keyModified(emptied, k)
	}
}

// flushDB empties db, invalidating WATCHes first, and returns the number
// of keys removed.
func (s *Server) flushDB(db *DB) int {
	s.touchWatchedKeysInDB(db, nil)
	return db.Flush()
}

func flushdbCommand(c *Client) {
	if !c.flushArgsOK() {
		return
	}
	c.srv.Dirty(c.srv.flushDB(c.DB()))
	// Propagate even when nothing was removed, so a replica with stray
	// keys converges.
	c.Propagate(c.argv...)
	c.ReplyOK()
}

func flushallCommand(c *Client) {
	if !c.flushArgsOK() {
		return
	}
	n := 0
	for _, db := range c.srv.dbs {
		n += c.srv.flushDB(db)
	}
	c.srv.Dirty(n)
	if flushallSaveHook != nil {
		flushallSaveHook(c.srv)
	}
	c.Propagate(c.argv...)
	c.ReplyOK()
}

// swapDB exchanges the contents of two databases (SWAPDB). Clients stay
// attached to their database number, so WATCHes and blocked clients stay
// where they are: watched keys that change are invalidated, and clients
// blocked on keys that now hold data are given a chance to be served.
func (s *Server) swapDB(a, b *DB) {
	if a == b {
		return
	}
	s.touchWatchedKeysInDB(a, b)
	s.touchWatchedKeysInDB(b, a)
	a.d, b.d = b.d, a.d
	a.avgTTL, b.avgTTL = b.avgTTL, a.avgTTL
	s.signalReadyKeysOfDB(a)
	s.signalReadyKeysOfDB(b)
}

// signalReadyKeysOfDB is Redis's scanDatabaseForReadyKeys: every key with
// blocked clients that exists in db is signalled ready (the blocking code
// checks the type).
func (s *Server) signalReadyKeysOfDB(db *DB) {
	for k := range db.blocking {
		if db.present(k) {
			s.signalKeyAsReady(db, k)
		}
	}
}

func swapdbCommand(c *Client) {
	id1, ok := c.intArgOrReply(1, "ERR invalid first DB index")
	if !ok {
		return
	}
	id2, ok := c.intArgOrReply(2, "ERR invalid second DB index")
	if !ok {
		return
	}
	n := len(c.srv.dbs)
	if id1 < 0 || id1 >= n || id2 < 0 || id2 >= n {
		c.ReplyError(ErrDBIndex)
		return
	}
	c.srv.swapDB(c.srv.dbs[id1], c.srv.dbs[id2])
	c.srv.Dirty(1)
	c.ReplyOK()
}

// --- OBJECT ---------------------------------------------------------------

// lfuInitVal is LFU_INIT_VAL, the access counter of a new key.
const lfuInitVal = 5

// lfuPolicy reports whether maxmemory-policy is an LFU one.
func (s *Server) lfuPolicy() bool { return strings.Contains(s.opts.MaxMemPolicy, "lfu") }

// objectLookup finds OBJECT's key (no touch, no keymiss event), replying
// null when it is missing.
func (c *Client) objectLookup() *Entry {
	e := c.DB().lookupReadNoTouch(string(c.argv[2]), false)
	if e == nil {
		c.ReplyNull()
	}
	return e
}

func objectEncodingCommand(c *Client) {
	e := c.objectLookup()
	if e == nil {
		return
	}
	if e.IsString() {
		c.ReplyBulkString(stringEncoding(e))
		return
	}
	c.ReplyBulkString(e.obj.Encoding())
}

func objectRefcountCommand(c *Client) {
	e := c.objectLookup()
	if e == nil {
		return
	}
	if e.IsString() {
		c.ReplyInt(c.srv.stringRefcount(e))
		return
	}
	c.ReplyInt(1)
}

func objectIdletimeCommand(c *Client) {
	e := c.objectLookup()
	if e == nil {
		return
	}
	if c.srv.lfuPolicy() {
		c.ReplyError("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	idle := int64(c.srv.lruClock()) - int64(e.lru)
	c.ReplyInt(max(idle, 0))
}

func objectFreqCommand(c *Client) {
	e := c.objectLookup()
	if e == nil {
		return
	}
	if !c.srv.lfuPolicy() {
		c.ReplyError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.ReplyInt(int64(c.srv.lfuDecayed(e)))
}

func objectHelpCommand(c *Client) {
	helpReply(c, []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
}
