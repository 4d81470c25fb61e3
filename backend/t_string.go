package backend

import (
	"bytes"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// The string family: GET/SET and friends, counters, ranges and bitmaps.

func init() {
	register(
		&Command{Name: "get", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Get the value of a key",
			ACL: []string{"read", "string", "fast"}, Proc: getCommand},
		&Command{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Set the string value of a key",
			ACL: []string{"write", "string", "slow"}, Proc: setCommand},
		&Command{Name: "setnx", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Set the value of a key, only if the key does not exist",
			ACL: []string{"write", "string", "fast"}, Proc: setnxCommand},
		&Command{Name: "setex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.0.0", Summary: "Set the value and expiration of a key",
			ACL: []string{"write", "string", "slow"}, Proc: setexCommand},
		&Command{Name: "psetex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.6.0", Summary: "Set the value and expiration in milliseconds of a key",
			ACL: []string{"write", "string", "slow"}, Proc: psetexCommand},
		&Command{Name: "getset", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Set the string value of a key and return its old value",
			ACL: []string{"write", "string", "fast"}, Proc: getsetCommand},
		&Command{Name: "getdel", Arity: 2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "6.2.0", Summary: "Get the value of a key and delete the key",
			ACL: []string{"write", "string", "fast"}, Proc: getdelCommand},
		&Command{Name: "getex", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "6.2.0", Summary: "Get the value of a key and optionally set its expiration",
			ACL: []string{"write", "string", "fast"}, Proc: getexCommand},
		&Command{Name: "mget", Arity: -2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Get the values of all the given keys",
			ACL: []string{"read", "string", "fast"}, Proc: mgetCommand},
		&Command{Name: "mset", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2,
			Group: "string", Since: "1.0.1", Summary: "Set multiple keys to multiple values",
			ACL: []string{"write", "string", "slow"}, Proc: msetCommand},
		&Command{Name: "msetnx", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: -1, Step: 2,
			Group: "string", Since: "1.0.1", Summary: "Set multiple keys to multiple values, only if none of the keys exist",
			ACL: []string{"write", "string", "slow"}, Proc: msetnxCommand},
		&Command{Name: "append", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.0.0", Summary: "Append a value to a key",
			ACL: []string{"write", "string", "fast"}, Proc: appendStringCommand},
		&Command{Name: "strlen", Arity: 2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.2.0", Summary: "Get the length of the value stored in a key",
			ACL: []string{"read", "string", "fast"}, Proc: strlenCommand},
		&Command{Name: "getrange", Arity: 4, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.4.0", Summary: "Get a substring of the string stored at a key",
			ACL: []string{"read", "string", "slow"}, Proc: getrangeCommand},
		&Command{Name: "substr", Arity: 4, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Get a substring of the string stored at a key",
			ACL: []string{"read", "string", "slow"}, Proc: getrangeCommand},
		&Command{Name: "setrange", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.2.0", Summary: "Overwrite part of a string at key starting at the specified offset",
			ACL: []string{"write", "string", "slow"}, Proc: setrangeCommand},
		&Command{Name: "incr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Increment the integer value of a key by one",
			ACL: []string{"write", "string", "fast"}, Proc: incrCommand},
		&Command{Name: "decr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Decrement the integer value of a key by one",
			ACL: []string{"write", "string", "fast"}, Proc: decrCommand},
		&Command{Name: "incrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Increment the integer value of a key by the given amount",
			ACL: []string{"write", "string", "fast"}, Proc: incrbyCommand},
		&Command{Name: "decrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "1.0.0", Summary: "Decrement the integer value of a key by the given number",
			ACL: []string{"write", "string", "fast"}, Proc: decrbyCommand},
		&Command{Name: "incrbyfloat", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "string", Since: "2.6.0", Summary: "Increment the float value of a key by the given amount",
			ACL: []string{"write", "string", "fast"}, Proc: incrbyfloatCommand},
		&Command{Name: "setbit", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: "2.2.0", Summary: "Sets or clears the bit at offset in the string value stored at key",
			ACL: []string{"write", "bitmap", "slow"}, Proc: setbitCommand},
		&Command{Name: "getbit", Arity: 3, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: "2.2.0", Summary: "Returns the bit value at offset in the string value stored at key",
			ACL: []string{"read", "bitmap", "fast"}, Proc: getbitCommand},
		&Command{Name: "bitcount", Arity: -2, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: "2.6.0", Summary: "Count set bits in a string",
			ACL: []string{"read", "bitmap", "slow"}, Proc: bitcountCommand},
		&Command{Name: "bitpos", Arity: -3, Flags: FlagReadonly, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: "2.8.7", Summary: "Find first bit set or clear in a string",
			ACL: []string{"read", "bitmap", "slow"}, Proc: bitposCommand},
		&Command{Name: "bitop", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 2, LastKey: -1, Step: 1,
			Group: "bitmap", Since: "2.6.0", Summary: "Perform bitwise operations between strings",
			ACL: []string{"write", "bitmap", "slow"}, Proc: bitopCommand},
		&Command{Name: "bitfield", Arity: -2, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: "3.2.0", Summary: "Perform arbitrary bitfield integer operations on strings",
			ACL: []string{"write", "bitmap", "slow"}, Proc: bitfieldCommand},
		&Command{Name: "bitfield_ro", Arity: -2, Flags: FlagReadonly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1,
			Group: "bitmap", Since: "6.0.0", Summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
			ACL: []string{"read", "bitmap", "fast"}, Proc: bitfieldRoCommand},
		&Command{Name: "lcs", Arity: -3, Flags: FlagReadonly, FirstKey: 1, LastKey: 2, Step: 1,
			Group: "string", Since: "7.0.0", Summary: "Find longest common substring",
			ACL: []string{"read", "string", "slow"}, Proc: lcsCommand},
	)
}

// --- string encodings -------------------------------------------------------
//
// Redis stores a string as an int, an embstr (<= 44 bytes, allocated with
// its object) or a raw sds, and OBJECT ENCODING / OBJECT REFCOUNT expose
// which. warden keeps plain bytes and records in Entry.enc how the value was
// created, which is all that is needed to answer like Redis.
const (
	// encAuto: the value went through tryObjectEncoding (SET, MSET,
	// APPEND of a new key, INCR results, RDB loading): "int" when it is
	// a canonical 64-bit integer, else "embstr" or "raw" by length.
	encAuto uint8 = iota
	// encNoInt: built by createStringObject without an encoding attempt
	// (INCRBYFLOAT results, COPY of an embstr): "embstr" or "raw" by
	// length, never "int".
	encNoInt
	// encRaw: a private, growable buffer (APPEND to an existing key,
	// SETRANGE, SETBIT, BITOP results): always "raw". Only entries in this
	// state may be modified in place; others are copied first, which is
	// what keeps a stored slice from ever being shared with anything.
	encRaw
	// encIntPrivate: an int that is not one of Redis's shared integers
	// (COPY of an int): "int" with a reference count of 1.
	encIntPrivate
)

// embstrLimit is OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
const embstrLimit = 44

// sharedIntegers is OBJ_SHARED_INTEGERS: 0..9999 are shared objects.
const sharedIntegers = 10000

// sharedRefcount is OBJ_SHARED_REFCOUNT, what OBJECT REFCOUNT reports for
// a shared object.
const sharedRefcount = math.MaxInt32

// stringEncoding is what OBJECT ENCODING replies for a string entry.
func stringEncoding(e *Entry) string {
	switch e.enc {
	case encRaw:
		return "raw"
	case encAuto, encIntPrivate:
		if len(e.str) <= 20 {
			if _, ok := ParseInt(e.str); ok {
				return "int"
			}
		}
	}
	if len(e.str) <= embstrLimit {
		return "embstr"
	}
	return "raw"
}

// stringRefcount is what OBJECT REFCOUNT replies for a string entry: small
// integers are shared objects unless maxmemory with an LRU/LFU policy makes
// Redis give each key its own object (to keep per-key access data).
func (s *Server) stringRefcount(e *Entry) int64 {
	if e.enc != encAuto || len(e.str) > 20 {
		return 1
	}
	v, ok := ParseInt(e.str)
	if !ok || v < 0 || v >= sharedIntegers {
		return 1
	}
	if s.opts.MaxMemory != 0 && (strings.Contains(s.opts.MaxMemPolicy, "lru") || strings.Contains(s.opts.MaxMemPolicy, "lfu")) {
		return 1
	}
	return sharedRefcount
}

// unshareString makes e's value a private growable buffer before an
// in-place change (Redis's dbUnshareStringValue), which also turns it raw.
// The caller must have obtained e with LookupWrite.
func unshareString(e *Entry, grow int) {
	if e.enc == encRaw && cap(e.str)-len(e.str) >= grow {
		return
	}
	// Room to grow like sds's greedy policy: double up to 1MB, then
	// 1MB more, so repeated APPENDs stay amortized O(1) without
	// over-allocating huge values.
	n := len(e.str) + grow
	if n < 1<<20 {
		n *= 2
	} else {
		n += 1 << 20
	}
	b := make([]byte, len(e.str), n)
	copy(b, e.str)
	e.str = b
	e.enc = encRaw
}

// --- small shared helpers -------------------------------------------------

// cArgIs compares an option argument to word case-insensitively the way
// Redis's strcasecmp on the C string does: an embedded NUL ends the
// argument.
func cArgIs(arg []byte, word string) bool {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	return strings.EqualFold(string(arg), word)
}

// mustObey reports whether c's writes must be applied whatever the limits
// (Redis's mustObeyClient: the master link and AOF loading).
func (c *Client) mustObey() bool { return c.flags&flagMaster != 0 }

// lookupOverwrite is Redis's lookupKeyWrite for commands that replace the
// value wholesale (setKey/dbOverwrite) or only change its TTL: the access
// counts for LRU/LFU but, unlike LookupWrite, nothing is copied for a
// running save, since the value itself is not modified in place (and
// SetExpire/Persist preserve the entry themselves).
func (db *DB) lookupOverwrite(key string) *Entry {
	e := db.lookup(key)
	if e != nil {
		db.touch(e)
	}
	return e
}

// notifyNewKey sends the "new" keyspace event Redis's dbAdd emits when a
// write creates a key.
func (s *Server) notifyNewKey(db *DB, key string) {
	s.notify(notifyNew, "new", key, db.id)
}

// storeString sets key to a copy of val (dropping the TTL unless keepTTL),
// with the "new" event when the key did not exist, and returns the entry.
func (c *Client) storeString(key string, val []byte, existed, keepTTL bool, enc uint8) *Entry {
	db := c.DB()
	e := db.SetString(key, append([]byte(nil), val...), keepTTL)
	e.enc = enc
	if !existed {
		c.srv.notifyNewKey(db, key)
	}
	return e
}

func (c *Client) replyExpireTimeError() {
	c.ReplyError("ERR invalid expire time in '" + c.cmd.Name + "' command")
}

// --- GET / SET ------------------------------------------------------------

// Flags of SET and GETEX options (Redis's OBJ_SET_* / OBJ_EX ...).
const (
	objSetNX = 1 << iota
	objSetXX
	objEX
	objPX
	objKeepTTL
	objSetGet
	objEXAT
	objPXAT
	objPersist
)

// parseExtStringArgs parses the options of SET (isSet) or GETEX starting
// at argument first, with Redis's exact rules on which options exclude
// which (a repeated EX is accepted, the last wins). It returns the expire
// argument, if any, and whether it is in seconds.
func (c *Client) parseExtStringArgs(first int, isSet bool) (flags int, expire []byte, seconds bool, ok bool) {
	argv := c.argv
	seconds = true
	for j := first; j < len(argv); j++ {
		opt := argv[j]
		if i := bytes.IndexByte(opt, 0); i >= 0 {
			opt = opt[:i] // Redis compares C strings
		}
		hasNext := j < len(argv)-1
		o := strings.ToUpper(string(opt))
		switch {
		case o == "NX" && flags&objSetXX == 0 && isSet:
			flags |= objSetNX
		case o == "XX" && flags&objSetNX == 0 && isSet:
			flags |= objSetXX
		case o == "GET" && isSet:
			flags |= objSetGet
		case o == "KEEPTTL" && flags&(objPersist|objEX|objEXAT|objPX|objPXAT) == 0 && isSet:
			flags |= objKeepTTL
		case o == "PERSIST" && !isSet && flags&(objEX|objEXAT|objPX|objPXAT|objKeepTTL) == 0:
			flags |= objPersist
		case o == "EX" && flags&(objKeepTTL|objPersist|objEXAT|objPX|objPXAT) == 0 && hasNext:
			flags |= objEX
			expire = argv[j+1]
			j++
		case o == "PX" && flags&(objKeepTTL|objPersist|objEX|objEXAT|objPXAT) == 0 && hasNext:
			flags |= objPX
			seconds = false
			expire = argv[j+1]
			j++
		case o == "EXAT" && flags&(objKeepTTL|objPersist|objEX|objPX|objPXAT) == 0 && hasNext:
			flags |= objEXAT
			expire = argv[j+1]
			j++
		case o == "PXAT" && flags&(objKeepTTL|objPersist|objEX|objEXAT|objPX) == 0 && hasNext:
			flags |= objPXAT
			seconds = false
			expire = argv[j+1]
			j++
		default:
			c.ReplyError(ErrSyntax)
			return 0, nil, false, false
		}
	}
	return flags, expire, seconds, true
}

// expireMsArg converts a SET/GETEX expire argument to an absolute unix
// time in ms, replying Redis's error when it is not a positive integer or
// overflows.
func (c *Client) expireMsArg(expire []byte, flags int, seconds bool) (int64, bool) {
	ms, ok := ParseInt(expire)
	if !ok {
		c.ReplyError(ErrNotInt)
		return 0, false
	}
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.replyExpireTimeError()
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(objEX|objPX) != 0 {
		ms += c.srv.nowMs() // may wrap, which the next check catches like Redis
	}
	if ms <= 0 {
		c.replyExpireTimeError()
		return 0, false
	}
	return ms, true
}

// replyGet is Redis's getGenericCommand: it replies the string at key or
// null, and reports false after a WRONGTYPE error.
func (c *Client) replyGet(key string) bool {
	e := c.DB().LookupRead(key)
	if e == nil {
		c.ReplyNull()
		return true
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return false
	}
	c.ReplyBulk(e.str)
	return true
}

func getCommand(c *Client) {
	c.replyGet(string(c.argv[1]))
}

// setReplies selects what setGeneric answers: SET and friends reply +OK or
// a null on NX/XX abort, SETNX :1 / :0.
type setReplies int

const (
	setReplyOK setReplies = iota
	setReplyInt
)

func setCommand(c *Client) {
	flags, expire, seconds, ok := c.parseExtStringArgs(3, true)
	if !ok {
		return
	}
	c.setGeneric(flags, c.argv[1], c.argv[2], expire, seconds, setReplyOK)
}

func setnxCommand(c *Client) {
	c.setGeneric(objSetNX, c.argv[1], c.argv[2], nil, false, setReplyInt)
}

func setexCommand(c *Client) {
	c.setGeneric(objEX, c.argv[1], c.argv[3], c.argv[2], true, setReplyOK)
}

func psetexCommand(c *Client) {
	c.setGeneric(objPX, c.argv[1], c.argv[3], c.argv[2], false, setReplyOK)
}

// setGeneric is Redis's setGenericCommand for SET, SETNX, SETEX, PSETEX.
func (c *Client) setGeneric(flags int, keyb, val, expire []byte, seconds bool, replies setReplies) {
	var ms int64
	if expire != nil {
		var ok bool
		if ms, ok = c.expireMsArg(expire, flags, seconds); !ok {
			return
		}
	}
	key := string(keyb)
	if flags&objSetGet != 0 && !c.replyGet(key) {
		return
	}
	db := c.DB()
	found := db.lookupOverwrite(key) != nil
	if (flags&objSetNX != 0 && found) || (flags&objSetXX != 0 && !found) {
		if flags&objSetGet == 0 {
			if replies == setReplyInt {
				c.ReplyInt(0)
			} else {
				c.ReplyNull()
			}
		}
		return
	}
	e := c.storeString(key, val, found, flags&objKeepTTL != 0, encAuto)
	c.srv.keyModified(db, key)
	c.srv.Dirty(1)
	c.srv.notify(notifyString, "set", key, db.id)
	if expire != nil {
		db.SetExpire(key, e, ms)
		// Relative and absolute forms alike replicate as an absolute
		// PXAT so replicas and the AOF agree on the deadline.
		c.Propagate([]byte("SET"), keyb, val, []byte("PXAT"), strconv.AppendInt(nil, ms, 10))
		c.srv.notify(notifyGeneric, "expire", key, db.id)
	}
	if flags&objSetGet == 0 {
		if replies == setReplyInt {
			c.ReplyInt(1)
		} else {
			c.ReplyOK()
		}
	}
	if flags&objSetGet != 0 && expire == nil {
		// Replicas must not be asked to reply: drop every GET.
		args := make([][]byte, 0, len(c.argv))
		for j, a := range c.argv {
			if j >= 3 && cArgIs(a, "get") {
				continue
			}
			args = append(args, a)
		}
		c.Propagate(args...)
	}
}

func getexCommand(c *Client) {
	flags, expire, seconds, ok := c.parseExtStringArgs(2, false)
	if !ok {
		return
	}
	db := c.DB()
	key := string(c.argv[1])
	e := db.LookupRead(key)
	if e == nil {
		c.ReplyNull()
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	var ms int64
	if expire != nil {
		if ms, ok = c.expireMsArg(expire, flags, seconds); !ok {
			return
		}
	}
	c.ReplyBulk(e.str)
	switch {
	case flags&(objEXAT|objPXAT) != 0 && c.alreadyExpired(ms):
		db.delete(key)
		c.PropagateStrings("DEL", key)
		c.srv.keyModified(db, key)
		c.srv.notify(notifyGeneric, "del", key, db.id)
		c.srv.Dirty(1)
	case expire != nil:
		db.SetExpire(key, e, ms)
		c.Propagate([]byte("PEXPIREAT"), c.argv[1], strconv.AppendInt(nil, ms, 10))
		c.srv.keyModified(db, key)
		c.srv.notify(notifyGeneric, "expire", key, db.id)
		c.srv.Dirty(1)
	case flags&objPersist != 0:
		if db.Persist(key, e) {
			c.srv.keyModified(db, key)
			c.PropagateStrings("PERSIST", key)
			c.srv.notify(notifyGeneric, "persist", key, db.id)
			c.srv.Dirty(1)
		}
	}
}

// alreadyExpired is Redis's checkAlreadyExpired: a deadline in the past
// deletes the key at once, except on a replica, which waits for its
// master's DEL, and while loading the AOF (both run as clients that must be
// obeyed), where the key keeps its past deadline and expires normally.
func (c *Client) alreadyExpired(ms int64) bool {
	return ms <= c.srv.nowMs() && !c.srv.isReplica() && !c.mustObey()
}

func getdelCommand(c *Client) {
	db := c.DB()
	key := string(c.argv[1])
	e := db.LookupRead(key)
	if e == nil {
		c.ReplyNull()
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	c.ReplyBulk(e.str)
	db.delete(key)
	c.PropagateStrings("DEL", key)
	c.srv.keyModified(db, key)
	c.srv.notify(notifyGeneric, "del", key, db.id)
	c.srv.Dirty(1)
}

func getsetCommand(c *Client) {
	key := string(c.argv[1])
	if !c.replyGet(key) {
		return
	}
	db := c.DB()
	found := db.lookupOverwrite(key) != nil
	c.storeString(key, c.argv[2], found, false, encAuto)
	c.srv.keyModified(db, key)
	c.srv.notify(notifyString, "set", key, db.id)
	c.srv.Dirty(1)
	c.Propagate([]byte("SET"), c.argv[1], c.argv[2])
}

func mgetCommand(c *Client) {
	db := c.DB()
	c.ReplyArray(len(c.argv) - 1)
	for _, k := range c.argv[1:] {
		e := db.LookupRead(string(k))
		if e == nil || !e.IsString() {
			c.ReplyNull()
			continue
		}
		c.ReplyBulk(e.str)
	}
}

func msetCommand(c *Client)   { c.msetGeneric(false) }
func msetnxCommand(c *Client) { c.msetGeneric(true) }

func (c *Client) msetGeneric(nx bool) {
	if len(c.argv)%2 == 0 {
		c.ReplyError("ERR wrong number of arguments for '" + c.cmd.Name + "' command")
		return
	}
	db := c.DB()
	if nx {
		for j := 1; j < len(c.argv); j += 2 {
			if db.lookupOverwrite(string(c.argv[j])) != nil {
				c.ReplyInt(0)
				return
			}
		}
	}
	for j := 1; j < len(c.argv); j += 2 {
		key := string(c.argv[j])
		found := db.lookupOverwrite(key) != nil
		c.storeString(key, c.argv[j+1], found, false, encAuto)
		c.srv.keyModified(db, key)
		c.srv.notify(notifyString, "set", key, db.id)
	}
	c.srv.Dirty((len(c.argv) - 1) / 2)
	if nx {
		c.ReplyInt(1)
	} else {
		c.ReplyOK()
	}
}

// checkStringLength refuses a string that would grow beyond
// proto-max-bulk-len.
func (c *Client) checkStringLength(size, add int64) bool {
	if c.mustObey() {
		return true
	}
	total := size + add
	if total > c.srv.opts.ProtoMaxBulk || total < size || total < add {
		c.ReplyError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		return false
	}
	return true
}

// appendStringCommand is APPEND (appendCommand is aof.go's RESP encoder).
func appendStringCommand(c *Client) {
	db := c.DB()
	key := string(c.argv[1])
	val := c.argv[2]
	var total int
	e := db.LookupWrite(key)
	if e == nil {
		c.storeString(key, val, false, false, encAuto)
		total = len(val)
	} else {
		if !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
		if !c.checkStringLength(int64(len(e.str)), int64(len(val))) {
			return
		}
		unshareString(e, len(val))
		e.str = append(e.str, val...)
		total = len(e.str)
	}
	c.srv.keyModified(db, key)
	c.srv.notify(notifyString, "append", key, db.id)
	c.srv.Dirty(1)
	c.ReplyInt(int64(total))
}

func strlenCommand(c *Client) {
	e := c.DB().LookupRead(string(c.argv[1]))
	if e == nil {
		c.ReplyInt(0)
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	c.ReplyInt(int64(len(e.str)))
}

func getrangeCommand(c *Client) {
	start, ok := c.IntArg(2)
	if !ok {
		return
	}
	end, ok := c.IntArg(3)
	if !ok {
		return
	}
	e := c.DB().LookupRead(string(c.argv[1]))
	if e == nil {
		c.ReplyBulk([]byte{})
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	s := e.str
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.ReplyBulk([]byte{})
		return
	}
	start, end = normalizeRange(start, end, n)
	if start > end || n == 0 {
		c.ReplyBulk([]byte{})
		return
	}
	c.ReplyBulk(s[start : end+1])
}

func setrangeCommand(c *Client) {
	offset, ok := c.IntArg(2)
	if !ok {
		return
	}
	if offset < 0 {
		c.ReplyError("ERR offset is out of range")
		return
	}
	db := c.DB()
	key := string(c.argv[1])
	val := c.argv[3]
	e := db.LookupWrite(key)
	if e == nil {
		if len(val) == 0 {
			c.ReplyInt(0)
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		buf := make([]byte, offset+int64(len(val)))
		copy(buf[offset:], val)
		e = db.SetString(key, buf, false)
		e.enc = encRaw
		c.srv.notifyNewKey(db, key)
	} else {
		if !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
		if len(val) == 0 {
			c.ReplyInt(int64(len(e.str)))
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		need := int(offset) + len(val)
		unshareString(e, max(0, need-len(e.str)))
		if need > len(e.str) {
			old := len(e.str)
			e.str = e.str[:need]
			clear(e.str[old:])
		}
		copy(e.str[offset:], val)
	}
	c.srv.keyModified(db, key)
	c.srv.notify(notifyString, "setrange", key, db.id)
	c.srv.Dirty(1)
	c.ReplyInt(int64(len(e.str)))
}

// --- counters -------------------------------------------------------------

func incrCommand(c *Client) { c.incrDecr(1) }
func decrCommand(c *Client) { c.incrDecr(-1) }

func incrbyCommand(c *Client) {
	incr, ok := c.IntArg(2)
	if !ok {
		return
	}
	c.incrDecr(incr)
}

func decrbyCommand(c *Client) {
	incr, ok := c.IntArg(2)
	if !ok {
		return
	}
	if incr == math.MinInt64 {
		c.ReplyError("ERR decrement would overflow")
		return
	}
	c.incrDecr(-incr)
}

func (c *Client) incrDecr(incr int64) {
	db := c.DB()
	key := string(c.argv[1])
	e := db.lookupOverwrite(key)
	var value int64
	if e != nil {
		if !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
		v, ok := ParseInt(e.str)
		if !ok {
			c.ReplyError(ErrNotInt)
			return
		}
		value = v
	}
	if (incr < 0 && value < 0 && incr < math.MinInt64-value) ||
		(incr > 0 && value > 0 && incr > math.MaxInt64-value) {
		c.ReplyError(ErrOverflow)
		return
	}
	value += incr
	// The TTL survives: Redis updates the value in place or overwrites it
	// with dbOverwrite, both of which keep the expire.
	if e != nil {
		// In place, as APPEND does: counters are hot keys and a fresh
		// entry per increment is pure allocation. The capacity is capped
		// at the length so a longer number never writes past this
		// value's own bytes.
		db.preserve(key, e)
		e.str = strconv.AppendInt(e.str[:0:len(e.str)], value, 10)
		e.enc = encAuto
	} else {
		c.storeString(key, strconv.AppendInt(nil, value, 10), false, true, encAuto)
	}
	c.srv.keyModified(db, key)
	c.srv.notify(notifyString, "incrby", key, db.id)
	c.srv.Dirty(1)
	c.ReplyInt(value)
}

func incrbyfloatCommand(c *Client) {
	db := c.DB()
	key := string(c.argv[1])
	e := db.lookupOverwrite(key)
	var cur []byte
	if e != nil {
		if !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
		cur = e.str
	}
	res, errText := incrLongDouble(cur, e != nil, c.argv[2])
	if errText != "" {
		c.ReplyError(errText)
		return
	}
	ne := c.storeString(key, res, e != nil, true, encNoInt)
	c.srv.keyModified(db, key)
	c.srv.notify(notifyString, "incrbyfloat", key, db.id)
	c.srv.Dirty(1)
	c.ReplyBulk(ne.str)
	// Replicate the result, not the increment, so that float formatting
	// can never make replicas or an AOF reload diverge.
	c.Propagate([]byte("SET"), c.argv[1], ne.str, []byte("KEEPTTL"))
}

// --- long double arithmetic -----------------------------------------------
//
// INCRBYFLOAT and HINCRBYFLOAT compute in C's long double, which on x86-64
// Linux is the x87 80-bit extended format: a 64-bit mantissa and the
// exponent range of IEEE binary128's neighbour (max ~1.19e4932). Results are
// printed with "%.17Lf" and trailing zeroes removed. big.Float at precision
// 64 with round-half-even reproduces both the arithmetic (x87 rounds each
// operation to nearest-even at 64 bits) and, since its decimal conversion is
// exact, glibc's correctly rounded printf.

const (
	ldPrec = 64
	// A finite long double is below 2^16384: with big.Float's mantissa
	// in [0.5, 1), the exponent is at most ldMaxExp.
	ldMaxExp = 16384
	// The smallest subnormal long double is 2^-16445; values at or below
	// half of it round to zero.
	ldMinExp = -16445
	// maxLongDoubleChars is MAX_LONG_DOUBLE_CHARS: longer input is
	// refused before parsing.
	maxLongDoubleChars = 5 * 1024
)

func newLD() *big.Float { return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven) }

// parseLongDouble parses b like Redis's string2ld (strtold, whole string,
// no leading space, NaN refused, overflow and underflow to zero refused).
// The result has precision 64; ±Inf is returned for "inf"/"infinity".
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars || isSpaceByte(b[0]) {
		return nil, false
	}
	i := 0
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		i++
	}
	rest := strings.ToLower(string(b[i:]))
	if rest == "inf" || rest == "infinity" {
		return newLD().SetInf(neg), true
	}
	var f *big.Float
	var ok bool
	if len(rest) >= 2 && rest[0] == '0' && rest[1] == 'x' {
		f, ok = parseHexLD(rest[2:])
	} else {
		f, ok = parseDecLD(rest)
	}
	if !ok {
		return nil, false
	}
	if neg {
		f.Neg(f)
	}
	return f, true
}

// parseDecLD parses an unsigned decimal float (digits, optional fraction,
// optional exponent) into a correctly rounded 64-bit-mantissa value.
func parseDecLD(s string) (*big.Float, bool) {
	var mant []byte
	i, digits := 0, 0
	exp10 := int64(0)
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		mant = append(mant, s[i])
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			mant = append(mant, s[i])
			i++
			digits++
			exp10--
		}
	}
	if digits == 0 {
		return nil, false
	}
	if i < len(s) && s[i] == 'e' {
		e, n, ok := parseExpDigits(s[i+1:])
		if !ok {
			return nil, false // strtold would stop before the 'e'
		}
		exp10 += e
		i += 1 + n
	}
	if i != len(s) {
		return nil, false
	}
	m := new(big.Int)
	m.SetString(string(mant), 10)
	if m.Sign() == 0 {
		return newLD(), true
	}
	// Rough magnitude first, so absurd exponents cost nothing: the value
	// lies in [10^(mag-1), 10^mag).
	mag := int64(len(strings.TrimLeft(string(mant), "0"))) + exp10
	if mag > 4934 {
		return nil, false // overflow: strtold gives HUGE_VAL and ERANGE
	}
	if mag < -4952 {
		return nil, false // underflow to zero
	}
	f := newLD()
	if exp10 >= 0 {
		m.Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp10), nil))
		f.SetInt(m)
	} else {
		num := new(big.Float).SetInt(m)
		den := new(big.Float).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(-exp10), nil))
		f.Quo(num, den)
	}
	return f, ldInRange(f)
}

// parseHexLD parses the part after "0x" of a C hexadecimal float.
func parseHexLD(s string) (*big.Float, bool) {
	m := new(big.Int)
	i, digits := 0, 0
	exp2 := int64(0)
	hexVal := func(c byte) int {
		switch {
		case c >= '0' && c <= '9':
			return int(c - '0')
		case c >= 'a' && c <= 'f':
			return int(c-'a') + 10
		}
		return -1
	}
	for i < len(s) && hexVal(s[i]) >= 0 {
		m.Lsh(m, 4).Or(m, big.NewInt(int64(hexVal(s[i]))))
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && hexVal(s[i]) >= 0 {
			m.Lsh(m, 4).Or(m, big.NewInt(int64(hexVal(s[i]))))
			i++
			digits++
			exp2 -= 4
		}
	}
	if digits == 0 {
		return nil, false // "0x" alone parses as 0 followed by junk
	}
	if i < len(s) && s[i] == 'p' {
		e, n, ok := parseExpDigits(s[i+1:])
		if !ok {
			return nil, false
		}
		exp2 += e
		i += 1 + n
	}
	if i != len(s) {
		return nil, false
	}
	if m.Sign() == 0 {
		return newLD(), true
	}
	mag := int64(m.BitLen()) + exp2
	if mag > ldMaxExp+1 || mag < ldMinExp-1 {
		return nil, false
	}
	f := newLD().SetInt(m)
	f.SetMantExp(f, int(exp2))
	return f, ldInRange(f)
}

// parseExpDigits reads an exponent: optional sign then at least one digit.
// It returns the value (saturated far beyond any meaningful exponent) and
// the bytes consumed.
func parseExpDigits(s string) (int64, int, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v < 1<<40 {
			v = v*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, 0, false
	}
	if neg {
		v = -v
	}
	return v, i, true
}

// ldInRange reports whether a non-zero finite f is representable as a
// long double without overflowing or underflowing to zero.
func ldInRange(f *big.Float) bool {
	if f.IsInf() {
		return false
	}
	if f.Sign() == 0 {
		return true
	}
	mant := new(big.Float)
	exp := f.MantExp(mant)
	if exp > ldMaxExp {
		return false
	}
	if exp < ldMinExp || (exp == ldMinExp && mant.Abs(mant).Cmp(big.NewFloat(0.5)) == 0) {
		return false // at most half the smallest subnormal: rounds to 0
	}
	return true
}

// addLongDouble returns a+b rounded like an x87 long double addition, and
// false if the result is infinite or NaN.
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false // inf+x is inf, inf-inf is NaN: refused either way
	}
	z := newLD().Add(a, b)
	// Overflow past the largest long double would be inf. (A sum in the
	// subnormal range needs no care: it prints as 0 anyway.)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// formatLongDouble prints f like Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf" without trailing zeroes (nor a trailing '.'), "-0" as "0".
func formatLongDouble(f *big.Float) []byte {
	if f.IsInf() {
		if f.Sign() > 0 {
			return []byte("inf")
		}
		return []byte("-inf")
	}
	b := f.Append(nil, 'f', 17)
	if bytes.IndexByte(b, '.') >= 0 {
		b = bytes.TrimRight(b, "0")
		b = bytes.TrimSuffix(b, []byte("."))
	}
	if string(b) == "-0" {
		b = []byte("0")
	}
	return b
}

// incrLongDouble is INCRBYFLOAT's arithmetic: cur (ignored, counting as
// 0, when !exists) plus incr, formatted as Redis stores it. errText is the
// full error reply ("ERR ...") when either operand is not a float or the
// sum is not finite.
func incrLongDouble(cur []byte, exists bool, incr []byte) (res []byte, errText string) {
	v := newLD()
	if exists {
		var ok bool
		if v, ok = parseLongDouble(cur); !ok {
			return nil, ErrNotFloat
		}
	}
	d, ok := parseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	sum, ok := addLongDouble(v, d)
	if !ok {
		return nil, "ERR increment would produce NaN or Infinity"
	}
	return formatLongDouble(sum), ""
}

// --- bitmaps --------------------------------------------------------------

// bitOffsetArg parses a SETBIT/GETBIT offset: a non-negative integer whose
// byte lies within proto-max-bulk-len.
func (c *Client) bitOffsetArg(i int) (uint64, bool) {
	v, ok := ParseInt(c.argv[i])
	if !ok || v < 0 || (!c.mustObey() && v>>3 >= c.srv.opts.ProtoMaxBulk) {
		c.ReplyError("ERR bit offset is not an integer or out of range")
		return 0, false
	}
	return uint64(v), true
}

func setbitCommand(c *Client) {
	offset, ok := c.bitOffsetArg(2)
	if !ok {
		return
	}
	on, ok := ParseInt(c.argv[3])
	if !ok || on&^1 != 0 {
		c.ReplyError("ERR bit is not an integer or out of range")
		return
	}
	db := c.DB()
	key := string(c.argv[1])
	byteIdx := int(offset >> 3)
	e := db.LookupWrite(key)
	dirty := false
	if e == nil {
		e = db.SetString(key, make([]byte, byteIdx+1), false)
		e.enc = encRaw
		c.srv.notifyNewKey(db, key)
		dirty = true
	} else {
		if !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
		// Redis unshares (turns raw) even when nothing changes.
		unshareString(e, max(0, byteIdx+1-len(e.str)))
		if byteIdx >= len(e.str) {
			old := len(e.str)
			e.str = e.str[:byteIdx+1]
			clear(e.str[old:])
			dirty = true
		}
	}
	mask := byte(1) << (7 - offset&7)
	was := e.str[byteIdx]&mask != 0
	if dirty || was != (on == 1) {
		if on == 1 {
			e.str[byteIdx] |= mask
		} else {
			e.str[byteIdx] &^= mask
		}
		c.srv.keyModified(db, key)
		c.srv.notify(notifyString, "setbit", key, db.id)
		c.srv.Dirty(1)
	}
	if was {
		c.ReplyInt(1)
	} else {
		c.ReplyInt(0)
	}
}

func getbitCommand(c *Client) {
	offset, ok := c.bitOffsetArg(2)
	if !ok {
		return
	}
	e := c.DB().LookupRead(string(c.argv[1]))
	if e == nil {
		c.ReplyInt(0)
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	byteIdx := offset >> 3
	if byteIdx < uint64(len(e.str)) && e.str[byteIdx]&(1<<(7-offset&7)) != 0 {
		c.ReplyInt(1)
		return
	}
	c.ReplyInt(0)
}

// normalizeRange normalizes a GETRANGE/BITCOUNT/BITPOS range like Redis: negative
// indexes count from the end, then both ends are clamped to the string;
// for BIT ranges totlen is in bits.
func normalizeRange(start, end, totlen int64) (int64, int64) {
	if start < 0 {
		start += totlen
	}
	if end < 0 {
		end += totlen
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= totlen {
		end = totlen - 1
	}
	return start, end
}

// countBits counts the set bits of p between bit offsets lo and hi
// inclusive.
func countBits(p []byte, lo, hi int64) int64 {
	var n int64
	for lo <= hi && lo&7 != 0 {
		n += int64(p[lo>>3] >> (7 - lo&7) & 1)
		lo++
	}
	for lo+7 <= hi && lo&63 != 0 {
		n += int64(bits.OnesCount8(p[lo>>3]))
		lo += 8
	}
	for lo+63 <= hi {
		b := p[lo>>3 : lo>>3+8]
		n += int64(bits.OnesCount64(uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
			uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])))
		lo += 64
	}
	for lo+7 <= hi {
		n += int64(bits.OnesCount8(p[lo>>3]))
		lo += 8
	}
	for lo <= hi {
		n += int64(p[lo>>3] >> (7 - lo&7) & 1)
		lo++
	}
	return n
}

// firstBit returns the offset of the first bit equal to want between bit
// offsets lo and hi inclusive, or -1.
func firstBit(p []byte, lo, hi int64, want byte) int64 {
	skip := byte(0)
	if want == 0 {
		skip = 0xff
	}
	for lo <= hi {
		if lo&7 == 0 && lo+7 <= hi && p[lo>>3] == skip {
			lo += 8
			continue
		}
		if p[lo>>3]>>(7-lo&7)&1 == want {
			return lo
		}
		lo++
	}
	return -1
}

func bitcountCommand(c *Client) {
	e := c.DB().LookupRead(string(c.argv[1]))
	if e == nil {
		c.ReplyInt(0)
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	p := e.str
	argc := len(c.argv)
	var start, end int64
	isBit := false
	switch argc {
	case 4, 5:
		var ok bool
		if start, ok = c.IntArg(2); !ok {
			return
		}
		if end, ok = c.IntArg(3); !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.ReplyInt(0)
			return
		}
		if argc == 5 {
			switch {
			case cArgIs(c.argv[4], "bit"):
				isBit = true
			case cArgIs(c.argv[4], "byte"):
			default:
				c.ReplyError(ErrSyntax)
				return
			}
		}
		totlen := int64(len(p))
		if isBit {
			totlen <<= 3
		}
		start, end = normalizeRange(start, end, totlen)
	case 2:
		start, end = 0, int64(len(p))-1
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	if start > end {
		c.ReplyInt(0)
		return
	}
	if !isBit {
		start, end = start<<3, end<<3+7
	}
	c.ReplyInt(countBits(p, start, end))
}

func bitposCommand(c *Client) {
	bit, ok := c.IntArg(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.ReplyError("ERR The bit argument must be 1 or 0.")
		return
	}
	e := c.DB().LookupRead(string(c.argv[1]))
	if e == nil {
		// A missing key is an infinite run of zeroes.
		if bit == 1 {
			c.ReplyInt(-1)
		} else {
			c.ReplyInt(0)
		}
		return
	}
	if !e.IsString() {
		c.ReplyError(ErrWrongType)
		return
	}
	p := e.str
	argc := len(c.argv)
	var start, end int64
	isBit, endGiven := false, false
	switch argc {
	case 4, 5, 6:
		totlen := int64(len(p))
		if start, ok = c.IntArg(3); !ok {
			return
		}
		if argc == 6 {
			switch {
			case cArgIs(c.argv[5], "bit"):
				isBit = true
			case cArgIs(c.argv[5], "byte"):
			default:
				c.ReplyError(ErrSyntax)
				return
			}
		}
		if argc >= 5 {
			if end, ok = c.IntArg(4); !ok {
				return
			}
			endGiven = true
		} else {
			end = totlen - 1
		}
		if isBit {
			totlen <<= 3
		}
		start, end = normalizeRange(start, end, totlen)
	case 3:
		start, end = 0, int64(len(p))-1
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	// An empty range holds neither a 0 nor a 1.
	if start > end {
		c.ReplyInt(-1)
		return
	}
	if !isBit {
		start, end = start<<3, end<<3+7
	}
	pos := firstBit(p, start, end, byte(bit))
	if pos < 0 && bit == 0 && !endGiven {
		// Without an explicit end the string counts as padded with
		// zeroes on the right: the first clear bit is just past it.
		pos = end + 1
	}
	c.ReplyInt(pos)
}

func bitopCommand(c *Client) {
	const (
		opAnd = iota
		opOr
		opXor
		opNot
	)
	var op int
	switch {
	case cArgIs(c.argv[1], "and"):
		op = opAnd
	case cArgIs(c.argv[1], "or"):
		op = opOr
	case cArgIs(c.argv[1], "xor"):
		op = opXor
	case cArgIs(c.argv[1], "not"):
		op = opNot
	default:
		c.ReplyError(ErrSyntax)
		return
	}
	if op == opNot && len(c.argv) != 4 {
		c.ReplyError("ERR BITOP NOT must be called with a single source key.")
		return
	}
	db := c.DB()
	srcs := make([][]byte, 0, len(c.argv)-3)
	maxlen := 0
	for _, k := range c.argv[3:] {
		e := db.LookupRead(string(k))
		if e == nil {
			srcs = append(srcs, nil)
			continue
		}
		if !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
		srcs = append(srcs, e.str)
		maxlen = max(maxlen, len(e.str))
	}
	key := string(c.argv[2])
	if maxlen > 0 {
		res := make([]byte, maxlen)
		at := func(s []byte, j int) byte {
			if j < len(s) {
				return s[j]
			}
			return 0
		}
		for j := range res {
			out := at(srcs[0], j)
			switch op {
			case opNot:
				out = ^out
			case opAnd:
				for _, s := range srcs[1:] {
					out &= at(s, j)
				}
			case opOr:
				for _, s := range srcs[1:] {
					out |= at(s, j)
				}
			case opXor:
				for _, s := range srcs[1:] {
					out ^= at(s, j)
				}
			}
			res[j] = out
		}
		found := db.lookupOverwrite(key) != nil
		e := db.SetString(key, res, false)
		e.enc = encRaw
		if !found {
			c.srv.notifyNewKey(db, key)
		}
		c.srv.keyModified(db, key)
		c.srv.notify(notifyString, "set", key, db.id)
		c.srv.Dirty(1)
	} else if db.DeleteStored(key) {
		c.srv.keyModified(db, key)
		c.srv.notify(notifyGeneric, "del", key, db.id)
		c.srv.Dirty(1)
	}
	c.ReplyInt(int64(maxlen))
}

// --- BITFIELD -------------------------------------------------------------

// Overflow behaviours of BITFIELD.
const (
	bfWrap = iota
	bfSat
	bfFail
)

type bitfieldOp struct {
	offset uint64
	value  int64 // SET value or INCRBY increment
	op     byte  // 'g'et, 's'et, 'i'ncrby
	ow     int
	bits   uint
	signed bool
}

// bitfieldTypeArg parses a type like i16 or u8 (i1..i64, u1..u63; the
// letter is case-sensitive, as in Redis).
func (c *Client) bitfieldTypeArg(i int) (signed bool, bits uint, ok bool) {
	p := c.argv[i]
	if len(p) == 0 || (p[0] != 'i' && p[0] != 'u') {
		c.ReplyError("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
		return false, 0, false
	}
	signed = p[0] == 'i'
	n, ok := ParseInt([]byte(cString(p[1:])))
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		c.ReplyError("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
		return false, 0, false
	}
	return signed, uint(n), true
}

// bitfieldOffsetArg parses a BITFIELD offset: a bit offset, or #N for the
// N-th field of the given width.
func (c *Client) bitfieldOffsetArg(i int, bits uint) (uint64, bool) {
	p := c.argv[i]
	hash := len(p) > 0 && p[0] == '#'
	if hash {
		p = p[1:]
	}
	v, ok := ParseInt(p)
	if hash {
		v *= int64(bits) // wraps like the C multiplication; caught below
	}
	if !ok || v < 0 || (!c.mustObey() && v>>3 >= c.srv.opts.ProtoMaxBulk) {
		c.ReplyError("ERR bit offset is not an integer or out of range")
		return 0, false
	}
	return uint64(v), true
}

// getBitfield reads an unsigned field of bits at offset; bytes past the end
// of p read as zero.
func getBitfield(p []byte, offset uint64, bits uint) uint64 {
	var v uint64
	for j := uint(0); j < bits; j++ {
		var bit uint64
		if b := offset >> 3; b < uint64(len(p)) {
			bit = uint64(p[b]>>(7-offset&7)) & 1
		}
		v = v<<1 | bit
		offset++
	}
	return v
}

// getSignedBitfield reads a two's complement field of bits at offset.
func getSignedBitfield(p []byte, offset uint64, bits uint) int64 {
	v := int64(getBitfield(p, offset, bits))
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= -1 << bits
	}
	return v
}

// setBitfield writes the low bits of v at offset; p must be long enough.
func setBitfield(p []byte, offset uint64, bits uint, v uint64) {
	for j := uint(0); j < bits; j++ {
		mask := byte(1) << (7 - offset&7)
		if v&(1<<(bits-1-j)) != 0 {
			p[offset>>3] |= mask
		} else {
			p[offset>>3] &^= mask
		}
		offset++
	}
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: whether
// value+incr leaves the range of a bits-wide unsigned field (1 above, -1
// below, 0 inside), and the value to store instead for WRAP and SAT.
func unsignedOverflow(value uint64, incr int64, bits uint, ow int) (int, uint64) {
	max := uint64(1)<<bits - 1
	maxincr := int64(max - value)
	minincr := int64(-value)
	wrap := (value + uint64(incr)) & max
	if value > max || (incr > 0 && incr > maxincr) {
		if ow == bfWrap {
			return 1, wrap
		}
		return 1, max
	}
	if incr < 0 && incr < minincr {
		if ow == bfWrap {
			return -1, wrap
		}
		return -1, 0
	}
	return 0, 0
}

// signedOverflow is Redis's checkSignedBitfieldOverflow for a bits-wide
// two's complement field.
func signedOverflow(value, incr int64, bits uint, ow int) (int, int64) {
	max := int64(math.MaxInt64)
	if bits < 64 {
		max = 1<<(bits-1) - 1
	}
	min := -max - 1
	maxincr := int64(uint64(max) - uint64(value))
	minincr := min - value // may wrap; only used once value is in range
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := ^uint64(0) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
		if ow == bfWrap {
			return 1, wrap()
		}
		return 1, max
	}
	if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
		if ow == bfWrap {
			return -1, wrap()
		}
		return -1, min
	}
	return 0, 0
}

func bitfieldCommand(c *Client)   { c.bitfieldGeneric(false) }
func bitfieldRoCommand(c *Client) { c.bitfieldGeneric(true) }

func (c *Client) bitfieldGeneric(readonlyCmd bool) {
	var ops []bitfieldOp
	ow := bfWrap
	readonly := true
	var highest uint64
	for j := 2; j < len(c.argv); j++ {
		rem := len(c.argv) - j - 1
		var op byte
		switch {
		case cArgIs(c.argv[j], "get") && rem >= 2:
			op = 'g'
		case cArgIs(c.argv[j], "set") && rem >= 3:
			op = 's'
		case cArgIs(c.argv[j], "incrby") && rem >= 3:
			op = 'i'
		case cArgIs(c.argv[j], "overflow") && rem >= 1:
			j++
			switch {
			case cArgIs(c.argv[j], "wrap"):
				ow = bfWrap
			case cArgIs(c.argv[j], "sat"):
				ow = bfSat
			case cArgIs(c.argv[j], "fail"):
				ow = bfFail
			default:
				c.ReplyError("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.ReplyError(ErrSyntax)
			return
		}
		signed, bits, ok := c.bitfieldTypeArg(j + 1)
		if !ok {
			return
		}
		offset, ok := c.bitfieldOffsetArg(j+2, bits)
		if !ok {
			return
		}
		var v int64
		if op != 'g' {
			readonly = false
			highest = max(highest, offset+uint64(bits)-1)
			if v, ok = c.IntArg(j + 3); !ok {
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{offset: offset, value: v, op: op, ow: ow, bits: bits, signed: signed})
		j += 2
	}

	db := c.DB()
	key := string(c.argv[1])
	var e *Entry
	created := false
	if readonly {
		// A missing key reads as zeroes; only another type is an error.
		e = db.LookupRead(key)
		if e != nil && !e.IsString() {
			c.ReplyError(ErrWrongType)
			return
		}
	} else {
		if readonlyCmd {
			c.ReplyError("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		// Make room up to the farthest bit written, like SETBIT.
		need := int(highest>>3) + 1
		e = db.LookupWrite(key)
		if e == nil {
			e = db.SetString(key, make([]byte, need), false)
			e.enc = encRaw
			c.srv.notifyNewKey(db, key)
			created = true
		} else {
			if !e.IsString() {
				c.ReplyError(ErrWrongType)
				return
			}
			unshareString(e, max(0, need-len(e.str)))
			if need > len(e.str) {
				old := len(e.str)
				e.str = e.str[:need]
				clear(e.str[old:])
				created = true // grown: counts as a change, as in Redis
			}
		}
	}

	changes := 0
	c.ReplyArray(len(ops))
	for _, op := range ops {
		var p []byte
		if e != nil {
			p = e.str
		}
		if op.op == 'g' {
			if op.signed {
				c.ReplyInt(getSignedBitfield(p, op.offset, op.bits))
			} else {
				c.ReplyInt(int64(getBitfield(p, op.offset, op.bits)))
			}
			continue
		}
		var oldv, newv, ret uint64
		var overflow int
		if op.signed {
			o := getSignedBitfield(p, op.offset, op.bits)
			var n, limit int64
			if op.op == 'i' {
				overflow, limit = signedOverflow(o, op.value, op.bits, op.ow)
				n = o + op.value
				if overflow != 0 {
					n = limit
				}
				ret = uint64(n)
			} else {
				n = op.value
				overflow, limit = signedOverflow(n, 0, op.bits, op.ow)
				if overflow != 0 {
					n = limit
				}
				ret = uint64(o)
			}
			oldv, newv = uint64(o), uint64(n)
		} else {
			o := getBitfield(p, op.offset, op.bits)
			var n, limit uint64
			if op.op == 'i' {
				n = o + uint64(op.value)
				overflow, limit = unsignedOverflow(o, op.value, op.bits, op.ow)
				if overflow != 0 {
					n = limit
				}
				ret = n
			} else {
				n = uint64(op.value)
				overflow, limit = unsignedOverflow(n, 0, op.bits, op.ow)
				if overflow != 0 {
					n = limit
				}
				ret = o
			}
			oldv, newv = o, n
		}
		if overflow != 0 && op.ow == bfFail {
			c.ReplyNull()
			continue
		}
		c.ReplyInt(int64(ret))
		setBitfield(p, op.offset, op.bits, newv)
		if created || oldv != newv {
			changes++
		}
	}
	if changes > 0 {
		c.srv.keyModified(db, key)
		c.srv.notify(notifyString, "setbit", key, db.id)
		c.srv.Dirty(changes)
	}
}

// --- LCS ------------------------------------------------------------------

func lcsCommand(c *Client) {
	db := c.DB()
	ea := db.LookupRead(string(c.argv[1]))
	eb := db.LookupRead(string(c.argv[2]))
	if (ea != nil && !ea.IsString()) || (eb != nil && !eb.IsString()) {
		c.ReplyError("ERR The specified keys must contain string values")
		return
	}
	var a, b []byte
	if ea != nil {
		a = ea.str
	}
	if eb != nil {
		b = eb.str
	}
	getLen, getIdx, withMatchLen := false, false, false
	var minMatchLen int64
	for j := 3; j < len(c.argv); j++ {
		more := len(c.argv) - 1 - j
		switch {
		case cArgIs(c.argv[j], "idx"):
			getIdx = true
		case cArgIs(c.argv[j], "len"):
			getLen = true
		case cArgIs(c.argv[j], "withmatchlen"):
			withMatchLen = true
		case cArgIs(c.argv[j], "minmatchlen") && more > 0:
			v, ok := c.IntArg(j + 1)
			if !ok {
				return
			}
			minMatchLen = max(v, 0)
			j++
		default:
			c.ReplyError(ErrSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.ReplyError("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	if uint64(len(a)) >= math.MaxUint32-1 || uint64(len(b)) >= math.MaxUint32-1 {
		c.ReplyError("ERR String too long for LCS")
		return
	}
	alen, blen := len(a), len(b)
	cells := uint64(alen+1) * uint64(blen+1)
	if cells*4 > uint64(c.srv.opts.ProtoMaxBulk) {
		c.ReplyError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	// Classic dynamic programming: lcs[i][j] is the LCS length of a[:i]
	// and b[:j], stored row-major.
	w := blen + 1
	lcs := make([]uint32, cells)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				lcs[i*w+j] = lcs[(i-1)*w+j-1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i-1)*w+j], lcs[i*w+j-1])
			}
		}
	}
	total := lcs[alen*w+blen]
	computeLCS := getIdx || !getLen
	var result []byte
	if computeLCS {
		result = make([]byte, total)
	}
	var arrLen deferLen
	nRanges := 0
	if getIdx {
		c.ReplyMap(2)
		c.ReplyBulkString("matches")
		arrLen = c.ReplyDeferredArray()
	}
	// Walk back from the end, collecting the matched bytes and, for IDX,
	// the maximal runs matched in both strings (from last to first).
	idx := total
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0 // aStart == alen: no range open
	i, j := alen, blen
	for computeLCS && i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if lcs[(i-1)*w+j] > lcs[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			matchLen := aEnd - aStart + 1
			if getIdx && (minMatchLen == 0 || int64(matchLen) >= minMatchLen) {
				if withMatchLen {
					c.ReplyArray(3)
				} else {
					c.ReplyArray(2)
				}
				c.ReplyArray(2)
				c.ReplyInt(int64(aStart))
				c.ReplyInt(int64(aEnd))
				c.ReplyArray(2)
				c.ReplyInt(int64(bStart))
				c.ReplyInt(int64(bEnd))
				if withMatchLen {
					c.ReplyInt(int64(matchLen))
				}
				nRanges++
			}
			aStart = alen
		}
	}
	switch {
	case getIdx:
		c.SetDeferredArray(arrLen, nRanges)
		c.ReplyBulkString("len")
		c.ReplyInt(int64(total))
	case getLen:
		c.ReplyInt(int64(total))
	default:
		c.ReplyBulk(result)
	}
}
