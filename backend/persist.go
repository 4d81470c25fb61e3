package backend

// RDB persistence: writing a snapshot of the keyspace to dump.rdb (SAVE,
// and the background walk of bgsave.go), loading it at start, and the
// bookkeeping INFO persistence reports.
//
// Files are replaced the way Redis does it: the snapshot is written to a
// temporary file in the same directory (temp-<pid>.rdb for BGSAVE,
// temp-sync-<pid>.rdb for the synchronous saves, which may run while an
// aborted BGSAVE still holds its file), fsynced, renamed over the target,
// and the directory is fsynced so that the rename itself survives a power
// loss. A crash at any moment leaves either the old or the new complete
// file under the target name.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/rdb"
)

// persistState is the server's persistence state. Guarded by Server.mu.
type persistState struct {
	// The one background job at a time, like Redis's single fork child:
	// a BGSAVE, an AOF rewrite or a snapshot streamed by SnapshotTo.
	child      childKind
	childStart time.Time
	childDone  chan struct{} // closed when the running child ends
	childAbort bool          // the running child must stop (FLUSHALL, SHUTDOWN, ...)
	childTemp  string        // temporary file of the running child, removed on abort
	snap       *snapshot     // the running walk, for INFO

	bgsaveScheduled bool
	dirtyAtBgsave   int64 // dirty when the running BGSAVE started
	lastSave        time.Time
	lastBgsaveOK    bool
	lastBgsaveTry   time.Time
	lastBgsaveSecs  int64 // -1 before the first BGSAVE
	saves           int64

	loading         bool
	loadKeysLoaded  int64
	loadKeysExpired int64
	// Replication info found in the last loaded RDB (repl-id, ...), for
	// the replication code to resume from.
	loadedAux map[string]string
	// loopDone is closed when persistLoop has stopped at shutdown and no
	// background job runs any more.
	loopDone chan struct{}

	aof aofState
}

type childKind int

const (
	childNone childKind = iota
	childRDB            // BGSAVE or SnapshotTo
	childAOF            // BGREWRITEAOF
)

// errChildAborted is what a background job returns once told to stop.
var errChildAborted = errors.New("background job aborted")

// bgsaveRetryDelay is CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE the
// save points wait this long before trying again.
const bgsaveRetryDelay = 5 * time.Second

func init() {
	loadHooks = append(loadHooks, (*Server).loadAtStart)
	cronHooks = append(cronHooks, persistCron)
	shutdownHooks = append(shutdownHooks, persistShutdown)
	shutdownSaveHook = func(s *Server) error { return s.shutdownSave() }
	flushallSaveHook = (*Server).flushallSave
	persistenceInfo = (*Server).persistenceInfo
	rejectionChecks = append(rejectionChecks, rejectDiskError)
}

// rdbPath is the absolute path of dbfilename in dir.
func (s *Server) rdbPath() string {
	return filepath.Join(s.opts.Dir, s.opts.DBFilename)
}

// encoderOptions maps the server's settings to the RDB writer's. The
// writer takes 0 as "Redis's default" and a negative value as "never use
// the compact encoding", whereas a configured 0 means the latter.
func (s *Server) encoderOptions() rdb.EncoderOptions {
	o := s.opts
	thr := func(v int) int {
		if v <= 0 {
			return -1
		}
		return v
	}
	return rdb.EncoderOptions{
		Compress:               o.RDBCompression,
		Checksum:               o.RDBChecksum,
		HashMaxListpackEntries: thr(o.HashMaxListpackEntries),
		HashMaxListpackValue:   thr(o.HashMaxListpackValue),
		SetMaxIntsetEntries:    thr(o.SetMaxIntsetEntries),
		ZSetMaxListpackEntries: thr(o.ZsetMaxListpackEntries),
		ZSetMaxListpackValue:   thr(o.ZsetMaxListpackValue),
		ListMaxListpackSize:    o.ListMaxListpackSize,
	}
}

// --- writing ------------------------------------------------------------

// rdbAux is the list of aux fields of a snapshot, in Redis 7.0's order.
type auxField struct{ key, val string }

// rdbAuxFields returns what Redis 7.0's rdbSaveInfoAuxFields writes:
// redis-ver, redis-bits, ctime, used-mem, the replication fields when
// known (repl-stream-db, repl-id, repl-offset, from extra), then aof-base.
// Any other extra fields follow, sorted. Caller holds s.mu.
func (s *Server) rdbAuxFields(extra map[string]string, aofBase bool) []auxField {
	fields := []auxField{
		{"redis-ver", RedisVersion},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(s.timeNow().Unix(), 10)},
		{"used-mem", strconv.FormatInt(s.usedMemory(), 10)},
	}
	done := map[string]bool{}
	for _, k := range []string{"repl-stream-db", "repl-id", "repl-offset"} {
		if v, ok := extra[k]; ok {
			fields = append(fields, auxField{k, v})
			done[k] = true
		}
	}
	fields = append(fields, auxField{"aof-base", strconv.Itoa(boolInt(aofBase))})
	var rest []string
	for k := range extra {
		if !done[k] && k != "aof-base" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		fields = append(fields, auxField{k, extra[k]})
	}
	return fields
}

// entryScratch holds the slices an entry is flattened into for the RDB
// writer, reused from key to key.
type entryScratch struct {
	a, b   [][]byte
	scores []float64
	ints   []byte
}

// release drops the references to values, so a long-lived scratch does
// not keep deleted values alive.
func (sc *entryScratch) release() {
	clear(sc.a[:cap(sc.a)])
	clear(sc.b[:cap(sc.b)])
	sc.a, sc.b = sc.a[:0], sc.b[:0]
}

// writeEntryRDB serializes one key. Everything it reads is copied into the
// encoder's output, so the entry may change as soon as it returns.
func writeEntryRDB(enc *rdb.Encoder, sc *entryScratch, key string, e *Entry) error {
	k := strBytes(key)
	exp := e.expireAt
	if e.obj != nil && e.obj.Len() == 0 {
		// Redis never keeps an empty aggregate; writing one would make
		// the file unloadable, so a stray one is left out.
		return nil
	}
	defer sc.release()
	switch o := e.obj.(type) {
	case nil:
		return enc.WriteString(k, e.str, exp)
	case *List:
		o.Each(func(v []byte) bool {
			sc.a = append(sc.a, v)
			return true
		})
		return enc.WriteList(k, sc.a, exp)
	case *Set:
		if ints, ok := o.Ints(); ok {
			// Each formats intset members into one reused buffer, so
			// they are formatted here into a buffer of our own.
			sc.ints = sc.ints[:0]
			offs := make([]int, 0, len(ints)+1)
			for _, v := range ints {
				offs = append(offs, len(sc.ints))
				sc.ints = strconv.AppendInt(sc.ints, v, 10)
			}
			offs = append(offs, len(sc.ints))
			for i := range ints {
				sc.a = append(sc.a, sc.ints[offs[i]:offs[i+1]])
			}
		} else {
			o.Each(func(m []byte) bool {
				sc.a = append(sc.a, m)
				return true
			})
		}
		return enc.WriteSet(k, sc.a, exp)
	case *Hash:
		o.Each(func(f, v []byte) bool {
			sc.a = append(sc.a, f)
			sc.b = append(sc.b, v)
			return true
		})
		return enc.WriteHash(k, sc.a, sc.b, exp)
	case *ZSet:
		sc.scores = sc.scores[:0]
		o.Each(func(m []byte, score float64) bool {
			sc.a = append(sc.a, m)
			sc.scores = append(sc.scores, score)
			return true
		})
		return enc.WriteZSet(k, sc.a, sc.scores, exp)
	default:
		return fmt.Errorf("cannot save key %q: unsupported type %s", key, e.TypeName())
	}
}

// writeRDBLocked writes the whole dataset as an RDB stream to w in one go.
// Caller holds s.mu for the duration (SAVE, SHUTDOWN, FLUSHALL, DEBUG
// RELOAD: the server is blocked, as in Redis).
func (s *Server) writeRDBLocked(w io.Writer, aux []auxField) error {
	enc := rdb.NewEncoder(w, s.encoderOptions())
	if err := enc.WriteHeader(); err != nil {
		return err
	}
	for _, a := range aux {
		if err := enc.WriteAux(a.key, a.val); err != nil {
			return err
		}
	}
	var sc entryScratch
	for _, db := range s.dbs {
		d := db.d
		if d.m.Len() == 0 {
			continue
		}
		if err := enc.SelectDB(db.id, uint64(d.m.Len()), uint64(len(d.ttl))); err != nil {
			return err
		}
		var err error
		d.each(func(k string, e *Entry) bool {
			err = writeEntryRDB(enc, &sc, k, e)
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return enc.WriteEnd()
}

// createTemp creates (truncating) a temporary file for a snapshot.
func createTemp(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
}

// finishFile flushes, fsyncs and closes a temporary file; on error the file
// is closed and removed.
func finishFile(f *os.File, bw *bufio.Writer) error {
	err := bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// fsyncDir makes a rename or creation in dir durable.
func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// replaceFile renames tmp over target and makes the rename durable.
func replaceFile(tmp, target string) error {
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	return fsyncDir(filepath.Dir(target))
}

// saveLocked is rdbSave: a synchronous save of the whole dataset to
// dbfilename. Caller holds s.mu; the server is blocked meanwhile.
func (s *Server) saveLocked() error {
	p := &s.persist
	target := s.rdbPath()
	// Not temp-<pid>.rdb, the name of a background save's file: a SAVE
	// from FLUSHALL or SHUTDOWN may run while an aborted BGSAVE still
	// holds that one open.
	tmp := filepath.Join(s.opts.Dir, fmt.Sprintf("temp-sync-%d.rdb", os.Getpid()))
	err := s.writeRDBFile(tmp, target)
	if err != nil {
		s.log.Warn("Failed saving the DB: "+err.Error(), zap.String("event", "rdb-save-failed"), zap.Error(err))
		return err
	}
	s.log.Info("DB saved on disk", zap.String("event", "rdb-saved"), zap.String("file", target))
	s.dirty = 0
	p.lastSave = s.timeNow()
	p.lastBgsaveOK = true
	return nil
}

func (s *Server) writeRDBFile(tmp, target string) error {
	f, err := createTemp(tmp)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), s.opts.Dir, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := s.writeRDBLocked(bw, s.rdbAuxFields(s.replAux(), false)); err != nil {
		bw.Reset(io.Discard)
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if err := finishFile(f, bw); err != nil {
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if err := replaceFile(tmp, target); err != nil {
		return fmt.Errorf("Error moving temp DB file %s on the final destination %s: %w", filepath.Base(tmp), filepath.Base(target), err)
	}
	return nil
}

// replAuxHook returns the replication aux fields to store in a snapshot
// (repl-stream-db, repl-id, repl-offset) when this node has replication
// state, as rdbPopulateSaveInfo does. The replication code sets it.
var replAuxHook func(s *Server) map[string]string

func (s *Server) replAux() map[string]string {
	if replAuxHook != nil {
		return replAuxHook(s)
	}
	return nil
}

// --- loading --------------------------------------------------------------

// rdbLoader stores what an RDB stream holds into the keyspace. Caller holds
// s.mu for the whole load.
type rdbLoader struct {
	s    *Server
	db   *DB
	now  int64
	opts *Options
	// keepExpired keeps keys whose TTL is past: on a replica, and for an
	// AOF base whose commands may still refer to them, as Redis does.
	keepExpired bool
	// feedRepl: the keys dropped as expired are fed to the replication
	// backlog as deletions (a master's startup load, replBeforeLoad).
	feedRepl bool
	// merge replaces existing keys instead of failing (DEBUG RELOAD MERGE).
	merge bool
	lru   uint32 // the LRU clock for new keys, read every 1024 keys
	// aux collects the aux fields.
	aux             map[string]string
	loaded, expired int64
}

func (s *Server) newRDBLoader() *rdbLoader {
	return &rdbLoader{s: s, db: s.dbs[0], now: s.timeNow().UnixMilli(), opts: s.opts,
		keepExpired: s.isReplica(), feedRepl: s.repl.feedLoad, aux: map[string]string{}}
}

func (l *rdbLoader) Aux(key, val []byte) error {
	k, v := string(key), string(val)
	l.aux[k] = v
	switch k {
	case "redis-ver":
		l.s.log.Info("Loading RDB produced by version "+v, zap.String("event", "rdb-aux"))
	case "ctime":
		if t, err := strconv.ParseInt(v, 10, 64); err == nil {
			age := l.now/1000 - t
			if age < 0 {
				age = 0
			}
			l.s.log.Info(fmt.Sprintf("RDB age %d seconds", age), zap.String("event", "rdb-aux"))
		}
	case "used-mem":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			l.s.log.Info(fmt.Sprintf("RDB memory usage when created %.2f Mb", float64(n)/(1024*1024)), zap.String("event", "rdb-aux"))
		}
	default:
		if strings.HasPrefix(k, "%") {
			// Redis logs aux fields starting with % (info fields).
			l.s.log.Info(fmt.Sprintf("RDB '%s': %s", k, v), zap.String("event", "rdb-aux"))
		}
	}
	return nil
}

func (l *rdbLoader) SelectDB(db int) error {
	if db >= len(l.s.dbs) {
		return fmt.Errorf("FATAL: Data file was created with a Redis server configured to handle more than %d databases. Exiting", len(l.s.dbs))
	}
	l.db = l.s.dbs[db]
	return nil
}

// ResizeDB sizes the database's tables for the keys the file announces,
// so that loading never rehashes. The hint comes from the file: it is
// capped, and a wrong one costs only memory or rehashing.
func (l *rdbLoader) ResizeDB(keys, expires uint64) error {
	const maxHint = 1 << 24
	if l.db.d.m.Len() == 0 {
		l.db.d.m.Expand(int(min(keys, maxHint)))
	}
	if len(l.db.d.ttl) == 0 && expires > 0 {
		l.db.d.ttl = make(map[string]struct{}, int(min(expires, maxHint)))
	}
	return nil
}

// store adds one key; build makes the value (only when the key is kept).
func (l *rdbLoader) store(key []byte, expireAt int64, build func() (Entry, error)) error {
	k := string(key)
	if expireAt != rdb.NoExpiry && expireAt < l.now && !l.keepExpired {
		l.expired++
		if l.feedRepl {
			l.s.replFeedLoadExpired(l.db.id, key)
		}
		return nil
	}
	e, err := build()
	if err != nil {
		return fmt.Errorf("key %q: %w", k, err)
	}
	var p *Entry
	if l.merge {
		if old := l.db.d.get(k); old != nil {
			l.db.delete(k)
		}
		p = l.db.setEntry(k, &e, false)
	} else {
		// A fresh dataset (nothing to preserve or replace): one probe.
		if l.loaded%1024 == 0 {
			l.lru = l.s.lruClock()
		}
		e.lru, e.freq, e.snapGen = l.lru, lfuInitVal, l.s.snapGen
		var isNew bool
		if p, isNew = l.db.d.m.Set(k, e); !isNew {
			return fmt.Errorf("duplicate key %q found in RDB file", k)
		}
	}
	if expireAt != rdb.NoExpiry {
		l.db.SetExpire(k, p, max(expireAt, 1))
	}
	l.loaded++
	return nil
}

func (l *rdbLoader) String(key, val []byte, expireAt int64) error {
	return l.store(key, expireAt, func() (Entry, error) { return Entry{str: val}, nil })
}

func (l *rdbLoader) List(key []byte, elems [][]byte, expireAt int64) error {
	return l.store(key, expireAt, func() (Entry, error) {
		return Entry{obj: NewListFromElems(elems)}, nil
	})
}

func (l *rdbLoader) Set(key []byte, members [][]byte, expireAt int64) error {
	return l.store(key, expireAt, func() (Entry, error) {
		o := NewSetFromMembersOpts(l.opts, members)
		if o.Len() != len(members) {
			return Entry{}, errors.New("duplicate set members detected")
		}
		return Entry{obj: o}, nil
	})
}

func (l *rdbLoader) Hash(key []byte, fields, values [][]byte, expireAt int64) error {
	return l.store(key, expireAt, func() (Entry, error) {
		o := NewHashFromPairsOpts(l.opts, fields, values)
		if o.Len() != len(fields) {
			return Entry{}, errors.New("duplicate hash fields detected")
		}
		return Entry{obj: o}, nil
	})
}

func (l *rdbLoader) ZSet(key []byte, members [][]byte, scores []float64, expireAt int64) error {
	return l.store(key, expireAt, func() (Entry, error) {
		for _, sc := range scores {
			if math.IsNaN(sc) {
				return Entry{}, errors.New("zset with NAN score detected")
			}
		}
		o := NewZSetFromPairsOpts(l.opts, members, scores)
		if o.Len() != len(members) {
			return Entry{}, errors.New("duplicate zset fields detected")
		}
		return Entry{obj: o}, nil
	})
}

// loadRDBFrom decodes an RDB stream into the keyspace. Caller holds s.mu.
func (s *Server) loadRDBFrom(r io.Reader, l *rdbLoader) error {
	err := rdb.NewDecoder(r).Decode(l)
	s.persist.loadKeysLoaded = l.loaded
	s.persist.loadKeysExpired = l.expired
	if len(l.aux) > 0 {
		s.persist.loadedAux = l.aux
	}
	return err
}

// LoadedAux returns the aux fields of the last RDB loaded (repl-id,
// repl-offset, repl-stream-db, ...), for replication to resume from.
func (s *Server) LoadedAux() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.persist.loadedAux
}

// loadRDBFile loads dbfilename if it exists; it reports whether it did.
// Caller holds s.mu.
func (s *Server) loadRDBFile(merge bool) (bool, error) {
	f, err := os.Open(s.rdbPath())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("Fatal error loading the DB: %w. Exiting.", err)
	}
	defer f.Close()
	l := s.newRDBLoader()
	l.merge = merge
	s.persist.loading = true
	err = s.loadRDBFrom(f, l)
	s.persist.loading = false
	if err != nil {
		return false, fmt.Errorf("Short read or OOM loading DB. Unrecoverable error, aborting now: %w", err)
	}
	if l.expired > 0 {
		s.log.Info(fmt.Sprintf("Done loading RDB, keys loaded: %d, keys expired: %d.", l.loaded, l.expired), zap.String("event", "rdb-loaded-keys"))
	}
	return true, nil
}

// loadAtStart is loadDataFromDisk, run by Start before the listeners open:
// the AOF when appendonly is on (even if it does not exist yet: then the
// dataset starts empty, as in Redis), else dump.rdb. It then opens the AOF
// for appending when enabled.
func (s *Server) loadAtStart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.persist
	p.lastSave = s.timeNow()
	p.lastBgsaveOK = true
	p.lastBgsaveSecs = -1
	p.aof.init()
	s.AddPropagator(s.aofPropagate)
	start := time.Now()
	if s.opts.AppendOnly {
		found, err := s.loadAOF()
		if err != nil {
			return err
		}
		if found {
			s.log.Info(fmt.Sprintf("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds()), zap.String("event", "aof-loaded"))
		}
	} else if !s.opts.SentinelMode { // a sentinel has no dataset to load
		found, err := s.loadRDBFile(false)
		if err != nil {
			s.log.Warn(err.Error(), zap.String("event", "rdb-load-failed"))
			return err
		}
		if found {
			s.log.Info(fmt.Sprintf("DB loaded from disk: %.3f seconds", time.Since(start).Seconds()), zap.String("event", "rdb-loaded"),
				zap.Int64("keys", p.loadKeysLoaded), zap.Int64("expired", p.loadKeysExpired))
		}
	}
	// Loading is not a change to save again.
	s.dirty = 0
	if s.opts.AppendOnly {
		if err := s.aofOpenOnStart(); err != nil {
			return err
		}
	}
	p.loopDone = make(chan struct{})
	go s.persistLoop()
	return nil
}

// --- save points, shutdown, FLUSHALL --------------------------------------

// persistCron is the persistence part of serverCron: scheduled jobs, save
// points and automatic AOF rewrites. Caller holds s.mu.
func persistCron(s *Server) {
	p := &s.persist
	now := s.timeNow()
	if p.child != childNone {
		return
	}
	if p.aof.rewriteScheduled && (p.aof.lastRewriteOK || now.Sub(p.aof.lastRewriteTry) > bgsaveRetryDelay) {
		s.startAOFRewrite()
		return
	}
	if p.bgsaveScheduled {
		s.startBgsave()
		return
	}
	for _, sp := range s.opts.Save {
		if s.dirty >= sp.Changes && now.Sub(p.lastSave) > time.Duration(sp.Seconds)*time.Second &&
			(p.lastBgsaveOK || now.Sub(p.lastBgsaveTry) > bgsaveRetryDelay) {
			s.log.Info(fmt.Sprintf("%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds), zap.String("event", "save-point"))
			s.startBgsave()
			return
		}
	}
	s.aofAutoRewrite()
}

// abortChild tells the running background job to stop and removes its
// temporary file (Redis kills the child). Caller holds s.mu.
func (s *Server) abortChild(kind childKind) {
	p := &s.persist
	if p.child != kind || p.childAbort {
		return
	}
	p.childAbort = true
	if p.childTemp != "" {
		os.Remove(p.childTemp)
	}
	if kind == childRDB {
		s.log.Info("Background saving aborted", zap.String("event", "bgsave-aborted"))
	}
}

// flushallSave is Redis's flushAllDataAndResetRDB: a running BGSAVE is
// cancelled and, when save points are set, the now empty dataset is saved
// at once. Caller holds s.mu.
func (s *Server) flushallSave() {
	s.abortChild(childRDB)
	if len(s.opts.Save) > 0 {
		// The save resets the change counter: Redis 7.0 then reports
		// no changes since the last save.
		_ = s.saveLocked()
	}
}

// shutdownSave is the SHUTDOWN command's final save. Caller holds s.mu.
func (s *Server) shutdownSave() error {
	s.abortChild(childRDB)
	return s.saveLocked()
}

// persistShutdown is the SIGTERM path's hook: the final save (forced by
// save, skipped by nosave, else done when save points are set) and the
// final AOF flush. Caller holds s.mu.
func persistShutdown(s *Server, save, nosave bool) error {
	s.abortChild(childRDB)
	s.abortChild(childAOF)
	if err := s.aofFlushFinal(); err != nil {
		s.log.Warn("Error flushing the AOF on shutdown", zap.String("event", "aof-shutdown-failed"), zap.Error(err))
	}
	if save || (len(s.opts.Save) > 0 && !nosave) {
		s.log.Info("Saving the final RDB snapshot before exiting.", zap.String("event", "shutdown-save"))
		if err := s.saveLocked(); err != nil {
			s.log.Warn("Error trying to save the DB, can't exit.", zap.String("event", "shutdown-save-failed"), zap.Error(err))
			return err
		}
	}
	return nil
}

// persistLoop runs for the server's life: it fsyncs the AOF every second
// with appendfsync everysec and, at shutdown, stops background jobs and
// flushes the AOF.
func (s *Server) persistLoop() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			s.mu.Lock()
			s.abortChild(childRDB)
			s.abortChild(childAOF)
			if err := s.aofFlushFinal(); err != nil {
				s.log.Warn("Error flushing the AOF on shutdown", zap.String("event", "aof-shutdown-failed"), zap.Error(err))
			}
			s.aofClose()
			done := s.persist.loopDone
			s.mu.Unlock()
			s.waitChild()
			close(done)
			return
		case <-t.C:
			s.aofEverysec()
		}
	}
}

// rejectDiskError is writeCommandsDeniedByDiskError: writes (and PING) are
// refused while the last background save failed with
// stop-writes-on-bgsave-error, or the AOF cannot be written.
func rejectDiskError(s *Server, c *Client, cmd *Command) string {
	if s.isReplica() || c.mustObey() {
		return ""
	}
	write := cmd.Flags&FlagWrite != 0 || cmd.Name == "ping"
	if cmd.Name == "exec" {
		for _, q := range c.multi {
			if q.cmd.Flags&FlagWrite != 0 {
				write = true
			}
		}
	}
	if !write {
		return ""
	}
	p := &s.persist
	if s.opts.StopWritesOnBgsaveError && len(s.opts.Save) > 0 && !p.lastBgsaveOK {
		return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
	}
	if p.aof.f != nil && p.aof.writeErr != nil {
		return "MISCONF Errors writing to the AOF file: " + errText(p.aof.writeErr)
	}
	return ""
}

// errText is strerror-like: the innermost error's text.
func errText(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// --- INFO persistence -------------------------------------------------------

func (s *Server) persistenceInfo(b *strings.Builder) {
	w := infoWriter{b}
	p := &s.persist
	a := &p.aof
	now := s.timeNow()
	var processed, total int64
	if p.snap != nil {
		processed, total = p.snap.processed, p.snap.total
	}
	w.kv("loading", boolInt(p.loading))
	w.kv("async_loading", 0)
	// No fork, so no copy-on-write: what a save costs in memory is the
	// copies of keys modified while it runs, which are not reported here.
	w.kv("current_cow_peak", 0)
	w.kv("current_cow_size", 0)
	w.kv("current_cow_size_age", 0)
	w.kv("current_fork_perc", 0.0)
	w.kv("current_save_keys_processed", processed)
	w.kv("current_save_keys_total", total)
	w.kv("rdb_changes_since_last_save", s.dirty)
	w.kv("rdb_bgsave_in_progress", boolInt(p.child == childRDB))
	w.kv("rdb_last_save_time", p.lastSave.Unix())
	w.kv("rdb_last_bgsave_status", okErr(p.lastBgsaveOK))
	w.kv("rdb_last_bgsave_time_sec", p.lastBgsaveSecs)
	cur := int64(-1)
	if p.child == childRDB {
		cur = int64(now.Sub(p.childStart).Seconds())
	}
	w.kv("rdb_current_bgsave_time_sec", cur)
	w.kv("rdb_saves", p.saves)
	w.kv("rdb_last_cow_size", 0)
	w.kv("rdb_last_load_keys_expired", p.loadKeysExpired)
	w.kv("rdb_last_load_keys_loaded", p.loadKeysLoaded)
	w.kv("aof_enabled", boolInt(s.opts.AppendOnly))
	w.kv("aof_rewrite_in_progress", boolInt(p.child == childAOF))
	w.kv("aof_rewrite_scheduled", boolInt(a.rewriteScheduled))
	w.kv("aof_last_rewrite_time_sec", a.lastRewriteSecs)
	cur = -1
	if p.child == childAOF {
		cur = int64(now.Sub(p.childStart).Seconds())
	}
	w.kv("aof_current_rewrite_time_sec", cur)
	w.kv("aof_last_bgrewrite_status", okErr(a.lastRewriteOK))
	w.kv("aof_rewrites", a.rewrites)
	w.kv("aof_rewrites_consecutive_failures", a.consecutiveFailures)
	w.kv("aof_last_write_status", okErr(a.writeErr == nil))
	w.kv("aof_last_cow_size", 0)
	w.kv("module_fork_in_progress", 0)
	w.kv("module_fork_last_cow_size", 0)
	if a.on || a.enabling {
		w.kv("aof_current_size", a.size)
		w.kv("aof_base_size", a.baseSize)
		w.kv("aof_pending_rewrite", boolInt(a.rewriteScheduled))
		w.kv("aof_buffer_length", len(a.buf))
		w.kv("aof_pending_bio_fsync", 0)
		w.kv("aof_delayed_fsync", a.delayedFsync)
	}
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
