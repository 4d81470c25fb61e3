package backend

import (
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
		&Command{Name: "scan", Arity: -2, Flags: FlagReadonly,
			Group: "generic", Since: "2.8.0", Summary: "Incrementally iterate the keys space",
			ACL: []string{"keyspace", "read", "slow"}, Proc: scanCommand},
		&Command{Name: "randomkey", Arity: 1, Flags: FlagReadonly,
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

// parseScanCursor parses a SCAN cursor like Redis's strtoul-based parser:
// base 10, an optional sign (a negative cursor wraps around as in C), no
// leading space, no trailing garbage; the empty string is cursor 0.
func parseScanCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true // strtoul converts nothing and stops at the end
	}
	if isSpaceByte(b[0]) {
		return 0, false
	}
	neg := false
	s := b
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func scanCommand(c *Client) {
	cursor, ok := parseScanCursor(c.argv[1])
	if !ok {
		c.ReplyError("ERR invalid cursor")
		return
	}
	count := int64(10)
	var pattern, typ []byte
	usePattern := false
	for i := 2; i < len(c.argv); {
		left := len(c.argv) - i
		switch {
		case cArgIs(c.argv[i], "count") && left >= 2:
			v, ok := c.IntArg(i + 1)
			if !ok {
				return
			}
			if v < 1 {
				c.ReplyError(ErrSyntax)
				return
			}
			count = v
			i += 2
		case cArgIs(c.argv[i], "match") && left >= 2:
			pattern = c.argv[i+1]
			usePattern = !(len(pattern) == 1 && pattern[0] == '*')
			i += 2
		case cArgIs(c.argv[i], "type") && left >= 2:
			typ = c.argv[i+1]
			i += 2
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	db := c.DB()
	var keys []string
	next := db.Scan(cursor, int(min(count, math.MaxInt32)), func(key string, e *Entry) {
		if usePattern && !ds.Match(pattern, []byte(key), false) {
			return
		}
		if typ != nil {
			// Redis looks the key up to learn its type, which counts
			// as a keyspace hit.
			db.srv.stats.keyspaceHits++
			if !cArgIs(typ, e.TypeName()) {
				return
			}
		}
		keys = append(keys, key)
	})
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
	lines := []string{
		strings.ToUpper(string(c.argv[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
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
		"HELP",
		"    Prints this help.",
	}
	c.ReplyArray(len(lines))
	for _, l := range lines {
		c.ReplySimple(l)
	}
}
