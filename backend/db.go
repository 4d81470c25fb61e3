package backend

import (
	"math/rand/v2"
	"time"

	"github.com/wardenhq/warden/backend/ds"
)

// Object is a non-string value held by a key: *List, *Hash, *Set, *ZSet.
// Strings are held inline in the Entry to spare an allocation per key.
type Object interface {
	// TypeName is what TYPE replies: "list", "hash", "set", "zset".
	TypeName() string
	// Encoding is what OBJECT ENCODING replies, following Redis's
	// thresholds (listpack, quicklist, intset, hashtable, skiplist).
	Encoding() string
	// Clone returns a deep copy (COPY, and snapshots of keys modified
	// while a background save runs).
	Clone() Object
	// Len is the element count, used by the lazy-free heuristics, eviction
	// and the RDB writer.
	Len() int
}

// Entry is one key's value and metadata.
//
// Its layout is kept at 56 bytes (one size class below 64 with the dict
// node around it): every key pays for each field here.
type Entry struct {
	str      []byte // the value when obj == nil
	obj      Object
	expireAt int64  // unix ms; 0 = no expiry
	lru      uint32 // LRU clock (seconds) of the last access
	freq     uint8  // LFU counter, for OBJECT FREQ
	enc      uint8  // string encoding class for OBJECT ENCODING; see stringEncoding
	snapGen  uint16 // background save generation that already holds this entry
}

// IsString reports whether the entry holds a string.
func (e *Entry) IsString() bool { return e.obj == nil }

// Str returns the string value (only meaningful when IsString).
func (e *Entry) Str() []byte { return e.str }

// Obj returns the non-string value.
func (e *Entry) Obj() Object { return e.obj }

// ExpireAt returns the absolute expiry in unix ms, or 0.
func (e *Entry) ExpireAt() int64 { return e.expireAt }

// TypeName is what TYPE replies for the entry.
func (e *Entry) TypeName() string {
	if e.obj == nil {
		return "string"
	}
	return e.obj.TypeName()
}

// dict is one database's key space. It is its own type (rather than a map
// field of DB) so that SWAPDB and FLUSHDB can swap or drop it whole while a
// background save still walks the old one.
type dict struct {
	m   *ds.Dict[Entry]
	ttl map[string]struct{} // keys with an expiry, for active expiry sampling
	// pre holds, during a background save, the value each key had when
	// the save began, for keys modified since (nil = the key did not
	// exist then). See snapshot.go.
	pre map[string]*Entry
}

func newDict() *dict { return &dict{m: ds.NewDict[Entry](), ttl: make(map[string]struct{})} }

// get returns key's entry, expired or not, or nil.
func (d *dict) get(key string) *Entry { return d.m.Get(key) }

// each calls fn for every entry, expired ones included, until fn returns
// false. fn must not modify the dict.
func (d *dict) each(fn func(key string, e *Entry) bool) { d.m.Each(fn) }

// DB is one numbered database.
type DB struct {
	srv *Server
	id  int
	d   *dict
	// keys watched by clients (WATCH), key -> clients
	watched map[string][]*Client
	// blocking operations waiting on keys, key -> clients (FIFO)
	blocking map[string][]*Client
	avgTTL   int64
}

func newDB(srv *Server, id int) *DB {
	return &DB{srv: srv, id: id, d: newDict(), watched: map[string][]*Client{}, blocking: map[string][]*Client{}}
}

// ID returns the database number.
func (db *DB) ID() int { return db.id }

// Size is DBSIZE.
func (db *DB) Size() int { return db.d.m.Len() }

// ExpiresCount is the number of keys with a TTL.
func (db *DB) ExpiresCount() int { return len(db.d.ttl) }

// expireIfNeeded deletes key if it is logically expired, and reports whether
// the key is (now) gone. Replicas do not delete: they only hide the key and
// wait for the master's DEL (see replication).
func (db *DB) expireIfNeeded(key string, e *Entry) bool {
	if e.expireAt == 0 {
		return false
	}
	now := db.srv.nowMs()
	if e.expireAt > now {
		return false
	}
	if db.srv.isReplica() {
		// The master's own commands see the key as it is on the
		// master, where it has not expired yet (or its DEL follows).
		return !db.srv.applyingMasterStream()
	}
	db.deleteExpired(key)
	return true
}

func (db *DB) deleteExpired(key string) {
	s := db.srv
	db.delete(key)
	s.stats.expiredKeys++
	s.notify(notifyExpired, "expired", key, db.id)
	args := deletionArgs(s.opts.LazyfreeExpire, []byte(key))
	if c := s.expiringFor; c != nil {
		// Found by a running command: the DEL joins that command's
		// effects, so a write that follows it goes out with it in one
		// MULTI/EXEC, as Redis 7.0 propagates them.
		c.prop = append(c.prop, propCmd{db: db.id, args: args})
		return
	}
	s.propagateInternal(db.id, args)
}

// deletionArgs is the command that propagates a deletion the server made
// on its own (expiry, eviction): UNLINK when the matching lazyfree option
// is on, DEL otherwise, as Redis's propagateDeletion chooses.
func deletionArgs(lazy bool, key []byte) [][]byte {
	if lazy {
		return [][]byte{[]byte("UNLINK"), key}
	}
	return [][]byte{[]byte("DEL"), key}
}

// Lookup returns the live entry for key, or nil, without touching access
// statistics (used by commands that must not count as an access, e.g. TYPE is
// still an access in Redis; use LookupRead for those).
func (db *DB) lookup(key string) *Entry {
	e := db.d.get(key)
	if e == nil {
		return nil
	}
	if db.expireIfNeeded(key, e) {
		return nil
	}
	return e
}

// LookupRead returns the live entry for a read, updating hit/miss stats and
// the LRU clock.
func (db *DB) LookupRead(key string) *Entry {
	e := db.lookup(key)
	if e == nil {
		db.srv.stats.keyspaceMisses++
		db.srv.notify(notifyKeyMiss, "keymiss", key, db.id)
		return nil
	}
	db.srv.stats.keyspaceHits++
	db.touch(e)
	return e
}

// LookupWrite returns the live entry for a command about to modify it in
// place. It must be called before any in-place change so that a running
// background save keeps the old value.
func (db *DB) LookupWrite(key string) *Entry {
	e := db.lookup(key)
	if e == nil {
		return nil
	}
	db.preserve(key, e)
	db.touch(e)
	return e
}

// LookupNoTouch returns the live entry without touching LRU or stats
// (OBJECT, TTL-like introspection, DEBUG).
func (db *DB) LookupNoTouch(key string) *Entry { return db.lookup(key) }

func (db *DB) touch(e *Entry) {
	now := db.srv.lruClock()
	// Redis's updateLFU: first decay the counter for the idle time, then a
	// logarithmic increment (LFULogIncr) that is certain up to
	// lfuInitVal and ever less likely above it.
	f := db.srv.lfuDecayed(e)
	if f < 255 {
		base := int(f) - lfuInitVal
		if base <= 0 || rand.IntN(base*max(db.srv.opts.LFULogFactor, 0)+1) == 0 {
			f++
		}
	}
	e.freq = f
	e.lru = now
}

// SetString stores a string value, replacing any value. keepTTL keeps an
// existing expiry (SET KEEPTTL); otherwise the key loses its TTL.
func (db *DB) SetString(key string, val []byte, keepTTL bool) *Entry {
	return db.setEntry(key, &Entry{str: val}, keepTTL)
}

// SetObject stores a non-string value, replacing any value and its TTL.
func (db *DB) SetObject(key string, obj Object) *Entry {
	return db.setEntry(key, &Entry{obj: obj}, false)
}

func (db *DB) setEntry(key string, ne *Entry, keepTTL bool) *Entry {
	p, isNew := db.d.m.Slot(key)
	// A new value starts "warm" (LFU_INIT_VAL); an overwrite inherits the
	// access frequency of the value it replaces, as Redis's dbOverwrite.
	ne.freq = lfuInitVal
	if !isNew {
		old := p // still the old entry until *p is assigned below
		db.preserveReplaced(key, old)
		if keepTTL {
			ne.expireAt = old.expireAt
		} else if old.expireAt != 0 {
			delete(db.d.ttl, key)
		}
		ne.freq = old.freq
	}
	ne.lru = db.srv.lruClock()
	ne.snapGen = db.srv.snapGen
	*p = *ne
	return p
}

// Delete removes key; it reports whether it existed (and was live).
func (db *DB) Delete(key string) bool {
	if db.lookup(key) == nil {
		return false
	}
	db.delete(key)
	return true
}

// DeleteStored removes key if it is stored at all, expired or not, as
// Redis's dbDelete does: the *STORE commands and BITOP drop their
// destination this way on an empty result, so an expired destination is
// deleted by the command (a "del" event, the command propagated), not
// expired first.
func (db *DB) DeleteStored(key string) bool {
	if db.d.get(key) == nil {
		return false
	}
	db.delete(key)
	return true
}

func (db *DB) delete(key string) {
	e := db.d.get(key)
	if e == nil {
		return
	}
	db.preserveReplaced(key, e)
	if e.expireAt != 0 {
		delete(db.d.ttl, key)
	}
	db.d.m.Delete(key)
}

// SetExpire sets an absolute expiry in unix ms on an existing key.
func (db *DB) SetExpire(key string, e *Entry, atMs int64) {
	db.preserve(key, e)
	if e.expireAt == 0 {
		db.d.ttl[key] = struct{}{}
	}
	e.expireAt = atMs
}

// Persist removes the TTL of an existing key; it reports whether it had one.
func (db *DB) Persist(key string, e *Entry) bool {
	if e.expireAt == 0 {
		return false
	}
	db.preserve(key, e)
	e.expireAt = 0
	delete(db.d.ttl, key)
	return true
}

// Flush empties the database.
func (db *DB) Flush() int {
	n := db.d.m.Len()
	// A running save keeps walking the old dict, which no writer can
	// reach any more, so its view stays exactly the snapshot's.
	db.d = newDict()
	return n
}

// RandomKey returns a random live key, or "" and false.
func (db *DB) RandomKey() (string, bool) {
	for tries := 0; tries < 100 && db.d.m.Len() > 0; tries++ {
		k, e := db.d.m.Random(nil)
		if e.expireAt == 0 || e.expireAt > db.srv.nowMs() {
			return k, true
		}
		if db.srv.isReplica() {
			if db.d.m.Len() == len(db.d.ttl) && tries > 50 {
				// Every key may be logically expired on a replica,
				// which must not delete them: return one anyway
				// rather than spin, as Redis does.
				return k, true
			}
			continue
		}
		db.deleteExpired(k)
	}
	return "", false
}

// Keys calls fn for every live key (no particular order). fn must not
// modify the database.
func (db *DB) Keys(fn func(key string, e *Entry) bool) {
	now := db.srv.nowMs()
	db.d.each(func(k string, e *Entry) bool {
		if e.expireAt != 0 && e.expireAt <= now {
			return true
		}
		return fn(k, e)
	})
}

// activeExpire samples keys with a TTL and deletes expired ones, repeating
// while more than a quarter of a sample was expired and the time budget
// lasts: Redis's active expire cycle.
func (db *DB) activeExpire(deadline time.Time) (expired int, timedOut bool) {
	const sample = 20
	for iter := 0; len(db.d.ttl) > 0; iter++ {
		now := db.srv.nowMs()
		checked := 0
		var victims []string
		for k := range db.d.ttl {
			checked++
			if e := db.d.get(k); e != nil && e.expireAt <= now {
				victims = append(victims, k)
			}
			if checked >= sample {
				break
			}
		}
		for _, k := range victims {
			db.deleteExpired(k)
		}
		expired += len(victims)
		if len(victims)*4 <= checked {
			return expired, false
		}
		if iter%16 == 15 && time.Now().After(deadline) {
			return expired, true
		}
	}
	return expired, false
}

// keyModified must be called after every change to a key (Redis's
// signalModifiedKey and signalKeyAsReady): it invalidates WATCHes and lets
// clients blocked on the key retry once the current command is done.
func (s *Server) keyModified(db *DB, key string) {
	for _, f := range keyModifiedHooks {
		f(db, key)
	}
}

// keyModifiedHooks are registered by WATCH and blocking operations.
var keyModifiedHooks []func(db *DB, key string)

// Scan visits keys from cursor on, calling fn for each, expired ones
// included, and returns the next cursor (0 when done), with SCAN's
// guarantee: a key present for the whole iteration is returned at least
// once. count is how many keys to aim for, as SCAN's COUNT: whole buckets
// are visited until it is reached. fn must not change the keyspace.
func (db *DB) Scan(cursor uint64, count int, fn func(key string, e *Entry)) uint64 {
	if count < 1 {
		count = 1
	}
	visited := 0
	// Redis bounds the work of one call to ten times COUNT buckets.
	for maxIter := count * 10; ; maxIter-- {
		cursor = db.d.m.Scan(cursor, func(k string, e *Entry) {
			visited++
			fn(k, e)
		})
		if cursor == 0 || visited >= count || maxIter <= 0 {
			return cursor
		}
	}
}
