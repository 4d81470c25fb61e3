package backend

import (
	"math"
	"runtime/metrics"
	"time"

	"go.uber.org/zap"
)

// maxmemory: measuring memory, evicting keys, refusing writes (OOM).
//
// Redis compares zmalloc's exact count of allocated bytes with maxmemory.
// A Go heap has no such count: allocated memory includes garbage until the
// next collection. Warden estimates the live heap instead, cheaply:
//
//	used = live heap at the last GC (runtime/metrics /gc/heap/live:bytes)
//	     + allocations since that GC × the fraction of allocations the
//	       previous GC cycle kept alive (adapts to the workload: near 0
//	       for reads, which allocate only garbage, near 1 for loads)
//	     + argument bytes of memory-growing commands since the last read
//	     − the estimated size of keys evicted since the last GC,
//
// capped by the bytes of heap objects (live or not) the runtime reports.
// The metrics are read at most every 100 ms (cron, or the OOM check).

// memState is the memory estimate and the eviction statistics.
type memState struct {
	samples  []metrics.Sample
	lastRead time.Time

	gcCycles   uint64
	live       int64   // live heap at the last GC
	allocsAtGC int64   // cumulative allocated bytes when that GC was seen
	allocs     int64   // cumulative allocated bytes at the last read
	objects    int64   // heap object bytes (live + unswept garbage): upper bound
	retain     float64 // share of allocations the last GC cycle kept alive
	pending    int64   // growth of memory-growing commands since the last read
	freed      int64   // estimated bytes of keys evicted since the last GC

	startup int64 // used memory at the first sample (INFO used_memory_startup)
	peak    int64

	exceededSince time.Time     // when used memory went over maxmemory, zero if under
	exceededTotal time.Duration // earlier periods over maxmemory
}

const memSampleEvery = 100 * time.Millisecond

// sampleMemory refreshes the runtime figures if the last read is older than
// 100 ms.
func (s *Server) sampleMemory(now time.Time) {
	m := &s.admin.mem
	if !m.lastRead.IsZero() && now.Sub(m.lastRead) < memSampleEvery {
		return
	}
	if m.samples == nil {
		m.samples = []metrics.Sample{
			{Name: "/gc/heap/live:bytes"},
			{Name: "/gc/heap/allocs:bytes"},
			{Name: "/gc/cycles/total:gc-cycles"},
			{Name: "/memory/classes/heap/objects:bytes"},
		}
		m.retain = 1 // until a GC cycle has been observed, assume all is kept
	}
	metrics.Read(m.samples)
	val := func(i int) int64 {
		if m.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(m.samples[i].Value.Uint64())
	}
	live, allocs, objects := val(0), val(1), val(3)
	cycles := uint64(val(2))
	if cycles != m.gcCycles {
		if m.gcCycles != 0 {
			if during := allocs - m.allocsAtGC; during > 0 {
				r := float64(live-m.live+m.freed) / float64(during)
				m.retain = math.Min(math.Max(r, 0), 1)
			}
		}
		m.gcCycles, m.live, m.allocsAtGC, m.freed = cycles, live, allocs, 0
	}
	m.allocs, m.objects, m.pending, m.lastRead = allocs, objects, 0, now
	if m.startup == 0 {
		m.startup = s.usedMemory()
	}
}

// usedMemory is the estimate INFO's used_memory shows and maxmemory is
// enforced against.
func (s *Server) usedMemory() int64 {
	m := &s.admin.mem
	if m.lastRead.IsZero() {
		s.sampleMemory(s.timeNow())
	}
	est := m.live + int64(float64(m.allocs-m.allocsAtGC)*m.retain) + m.pending - m.freed
	return max(min(est, m.objects+m.pending), 0)
}

func (s *Server) memoryOverLimit() bool {
	return s.opts.MaxMemory > 0 && s.usedMemory() > s.opts.MaxMemory
}

// ---- eviction ----------------------------------------------------------

type evictResult int

const (
	evictOK      evictResult = iota // under the limit (or freed enough)
	evictRunning                    // time budget spent: more next time
	evictFail                       // over the limit with nothing to evict
)

// evictionCand is one entry of the eviction pool: the best candidates seen
// by sampling, kept across calls like Redis's EVPOOL.
type evictionCand struct {
	db    *DB
	key   string
	score float64 // higher is evicted first
}

const evictionPoolSize = 16

// evictionTimeLimit is Redis's evictionTimeLimitUs for
// maxmemory-eviction-tenacity.
func evictionTimeLimit(tenacity int) time.Duration {
	if tenacity <= 10 {
		return time.Duration(50*tenacity) * time.Microsecond
	}
	if tenacity < 100 {
		return time.Duration(500*math.Pow(1.15, float64(tenacity-10))) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// performEvictions evicts keys until used memory is under maxmemory, as
// the policy says, within the tenacity time budget.
func (s *Server) performEvictions() evictResult {
	if s.opts.MaxMemory <= 0 || (s.isReplica() && s.opts.ReplicaIgnoreMaxmemory) {
		return evictOK
	}
	// Redis evicts nothing while clients are paused: the dataset must not
	// change under a failover or a CLIENT PAUSE WRITE.
	if s.paused.typ != pauseOff {
		return evictOK
	}
	m := &s.admin.mem
	now := s.timeNow()
	used := s.usedMemory()
	if used <= s.opts.MaxMemory {
		if !m.exceededSince.IsZero() {
			m.exceededTotal += now.Sub(m.exceededSince)
			m.exceededSince = time.Time{}
		}
		return evictOK
	}
	if m.exceededSince.IsZero() {
		m.exceededSince = now
	}
	if s.opts.MaxMemPolicy == "noeviction" {
		return evictFail
	}
	toFree := used - s.opts.MaxMemory
	deadline := time.Now().Add(evictionTimeLimit(s.opts.MaxMemTenacity))
	var freed int64
	for n := 1; freed < toFree; n++ {
		db, key, ok := s.evictionCandidate()
		if !ok {
			return evictFail
		}
		freed += s.evictKey(db, key)
		if n%16 == 0 && time.Now().After(deadline) {
			return evictRunning
		}
	}
	return evictOK
}

// evictKey deletes key as an eviction: DEL propagated, "evicted" notified,
// counted, WATCH and blocked clients told. It returns the estimated bytes
// released.
func (s *Server) evictKey(db *DB, key string) int64 {
	e := db.d.get(key)
	if e == nil {
		return 0
	}
	size := entrySize(key, e)
	db.delete(key)
	s.admin.mem.freed += size
	s.stats.evictedKeys++
	s.keyModified(db, key)
	s.notify(notifyEvicted, "evicted", key, db.id)
	s.propagateInternal(db.id, deletionArgs(s.opts.LazyfreeEviction, []byte(key)))
	return size
}

// entryOverhead approximates the bytes a key costs besides its name and
// value: the map slot, the Entry and the string headers.
const (
	entryOverhead   = 96
	elementOverhead = 48
)

// entrySize estimates the memory held by one key.
func entrySize(key string, e *Entry) int64 {
	n := int64(len(key) + entryOverhead)
	switch o := e.obj.(type) {
	case nil:
		n += int64(len(e.str))
	case *List:
		o.Each(func(v []byte) bool { n += int64(len(v) + elementOverhead); return true })
	case *Set:
		o.Each(func(m []byte) bool { n += int64(len(m) + elementOverhead); return true })
	case *Hash:
		o.Each(func(f, v []byte) bool { n += int64(len(f) + len(v) + elementOverhead); return true })
	case *ZSet:
		o.Each(func(m []byte, _ float64) bool { n += int64(len(m) + 8 + elementOverhead); return true })
	default:
		n += int64(o.Len() * elementOverhead)
	}
	return n
}

// evictionCandidate picks the next key to evict under the policy.
func (s *Server) evictionCandidate() (*DB, string, bool) {
	policy := s.opts.MaxMemPolicy
	volatile := len(policy) > 9 && policy[:9] == "volatile-"
	switch policy {
	case "allkeys-random", "volatile-random":
		// Round-robin over the databases, a random key of the first
		// non-empty one, as Redis does.
		for range s.dbs {
			db := s.dbs[s.admin.evictDB%len(s.dbs)]
			s.admin.evictDB++
			if volatile {
				for k := range db.d.ttl {
					return db, k, true
				}
				continue
			}
			if k, e := db.d.m.Random(nil); e != nil {
				return db, k, true
			}
		}
		return nil, "", false
	}
	// LRU, LFU and TTL: sample each database into the pool, then take the
	// best candidate that still exists.
	for {
		for _, db := range s.dbs {
			s.sampleIntoPool(db, volatile)
		}
		if len(s.admin.pool) == 0 {
			return nil, "", false
		}
		for len(s.admin.pool) > 0 {
			best := s.admin.pool[len(s.admin.pool)-1]
			s.admin.pool = s.admin.pool[:len(s.admin.pool)-1]
			e := best.db.d.get(best.key)
			if e == nil || (volatile && e.expireAt == 0) {
				continue // deleted or persisted since it was sampled
			}
			return best.db, best.key, true
		}
	}
}

// sampleIntoPool looks at maxmemory-samples keys of db and keeps the best
// candidates in the pool, sorted by ascending score (best last).
func (s *Server) sampleIntoPool(db *DB, volatile bool) {
	samples := max(s.opts.MaxMemSamples, 1)
	n := 0
	visit := func(k string, e *Entry) bool {
		s.poolInsert(db, k, s.evictionScore(e))
		n++
		return n < samples
	}
	if volatile {
		// Go's map iteration starts at a random point: a cheap sample.
		for k := range db.d.ttl {
			if e := db.d.get(k); e != nil && !visit(k, e) {
				break
			}
		}
		return
	}
	for i := 0; i < samples && db.d.m.Len() > 0; i++ {
		k, e := db.d.m.Random(nil)
		visit(k, e)
	}
}

// evictionScore ranks e for eviction under the policy: idle seconds for
// LRU, 255 minus the decayed access counter for LFU, and for TTL the
// nearness of the expiry.
func (s *Server) evictionScore(e *Entry) float64 {
	switch s.opts.MaxMemPolicy {
	case "allkeys-lfu", "volatile-lfu":
		return 255 - float64(s.lfuDecayed(e))
	case "volatile-ttl":
		return math.MaxInt64 - float64(e.expireAt)
	}
	return float64(s.lruClock() - e.lru) // idle time
}

// lfuDecayed is the LFU counter after lfu-decay-time: one point lost per
// decay period since the last access.
func (s *Server) lfuDecayed(e *Entry) uint8 {
	if s.opts.LFUDecayTime <= 0 {
		return e.freq
	}
	idleMin := int64(s.lruClock()-e.lru) / 60
	dec := idleMin / int64(s.opts.LFUDecayTime)
	if dec >= int64(e.freq) {
		return 0
	}
	return e.freq - uint8(dec)
}

func (s *Server) poolInsert(db *DB, key string, score float64) {
	pool := s.admin.pool
	for i, p := range pool {
		if p.db == db && p.key == key {
			pool[i].score = score
			return
		}
	}
	i := 0
	for i < len(pool) && pool[i].score < score {
		i++
	}
	if len(pool) >= evictionPoolSize {
		if i == 0 {
			return // worse than everything in a full pool
		}
		// Drop the worst (first) to make room.
		copy(pool, pool[1:i])
		pool[i-1] = evictionCand{db: db, key: key, score: score}
		return
	}
	pool = append(pool, evictionCand{})
	copy(pool[i+1:], pool[i:])
	pool[i] = evictionCand{db: db, key: key, score: score}
	s.admin.pool = pool
}

// ---- OOM rejection ------------------------------------------------------

func init() {
	rejectionChecks = append(rejectionChecks, rejectOOM)
}

// rejectOOM is the maxmemory part of Redis's processCommand: evict if over
// the limit, and when that cannot bring memory under it, refuse commands
// that may grow memory (denyoom, EXEC of such commands, and anything queued
// in a MULTI except the commands that end it). The master link is never
// refused.
func rejectOOM(s *Server, c *Client, cmd *Command) string {
	// Commands run by EXEC (the command clock is already running) were
	// checked when queued and with EXEC itself, as in Redis.
	if s.opts.MaxMemory <= 0 || c.flags&flagMaster != 0 || s.cachedMs != 0 {
		return ""
	}
	now := s.timeNow()
	s.sampleMemory(now)
	if cmd.Flags&FlagDenyOOM != 0 {
		s.admin.mem.pending += int64(argvBytes(c.argv))
	}
	if s.usedMemory() <= s.opts.MaxMemory {
		if m := &s.admin.mem; !m.exceededSince.IsZero() {
			m.exceededTotal += now.Sub(m.exceededSince)
			m.exceededSince = time.Time{}
		}
		return ""
	}
	if s.performEvictions() != evictFail {
		return ""
	}
	deny := cmd.Flags&FlagDenyOOM != 0
	switch cmd.Name {
	case "exec":
		for _, q := range c.multi {
			if q.cmd.Flags&FlagDenyOOM != 0 {
				deny = true
			}
		}
	case "discard", "quit", "reset":
	default:
		if c.flags&flagMulti != 0 {
			deny = true
		}
	}
	if !deny {
		return ""
	}
	s.log.Debug("command refused: used memory over maxmemory", zap.String("event", "oom"), zap.String("cmd", cmd.Name))
	return ErrOOM
}
