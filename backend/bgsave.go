package backend

// Background saves without fork: the snapshot walker of snapshot.go.
//
// A walk starts under the server lock: the save generation is bumped and
// every database's dict gets an empty pre map, so from then on every write
// path keeps the value a key had at that instant (snapshot.go). The walk
// then visits each captured dict with its reverse-binary Scan cursor, a
// chunk at a time under the lock (at most chunkKeys keys or chunkTime),
// serializing into memory every entry not yet marked with the generation
// and marking it; the chunk is written out after the lock is released, so
// clients run between chunks and the disk never blocks them. Scan may
// return an entry twice across a resize; the mark makes it written once.
// Entries modified, deleted or replaced before the walk reached them are in
// the pre map, written after the dict's walk. Entries created during the
// walk are born marked and skipped. FLUSHDB and SWAPDB swap whole dicts, so
// the walk keeps going over the dicts it captured.
//
// The same walk feeds BGSAVE, the AOF rewrite and SnapshotTo (replication).
// Only one walk runs at a time (a single generation mark per entry), like
// Redis's single fork child.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/rdb"
)

// Chunk bounds of one lock hold during a walk.
const (
	chunkKeys = 1000
	chunkTime = 2 * time.Millisecond
)

// snapshotChunkHook, when set (by tests), runs between chunks without the
// lock, to stretch a walk over many concurrent writes.
var snapshotChunkHook atomic.Pointer[func()]

// snapshot is one running walk. Its fields are guarded by Server.mu.
type snapshot struct {
	s     *Server
	gen   uint16
	dicts []*dict // captured dicts by database number; nil if empty at start
	keys  []int   // keys and expires per database at start (RESIZEDB hints)
	exps  []int

	processed, total int64 // INFO current_save_keys_*

	trafficSeen uint64 // Server.trafficLocks at the last yield (walker only)
}

// snapSink receives the walk's output. Its methods are called by the
// walking goroutine only; entry is called with s.mu held for live entries.
type snapSink interface {
	selectDB(db int, keys, expires int) error
	// entry serializes one key into memory; it must copy what it reads.
	entry(key string, e *Entry) error
	// flush moves what was serialized so far to the chunk writer.
	flush() error
	// end finishes the stream (RDB EOF and checksum).
	end() error
}

// beginSnapshot starts a walk of the current keyspace. Caller holds s.mu
// and owns the child slot.
func (s *Server) beginSnapshot() *snapshot {
	s.nextSnapGen()
	sn := &snapshot{s: s, gen: s.snapGen}
	for _, db := range s.dbs {
		d := db.d
		n := d.m.Len()
		sn.keys = append(sn.keys, n)
		sn.exps = append(sn.exps, len(d.ttl))
		if n == 0 {
			// Nothing existed here at the start, so nothing needs
			// keeping: keys created from now on are born marked.
			sn.dicts = append(sn.dicts, nil)
			continue
		}
		d.pre = map[string]*Entry{}
		sn.dicts = append(sn.dicts, d)
		sn.total += int64(n)
	}
	s.persist.snap = sn
	return sn
}

// finish stops preserving values for this walk. Caller holds s.mu.
func (sn *snapshot) finish() {
	for i, d := range sn.dicts {
		if d != nil {
			d.pre = nil
			sn.dicts[i] = nil
		}
	}
	if sn.s.persist.snap == sn {
		sn.s.persist.snap = nil
	}
}

// walk writes every captured database through sink, writing each chunk to
// out between lock holds. It takes and releases s.mu itself. On error or
// abort the caller must call finish under the lock.
func (sn *snapshot) walk(sink snapSink, chunk *bytes.Buffer, out io.Writer) error {
	s := sn.s
	writeChunk := func() error {
		if err := sink.flush(); err != nil {
			return err
		}
		if chunk.Len() > 0 {
			if _, err := out.Write(chunk.Bytes()); err != nil {
				return err
			}
			chunk.Reset()
		}
		return nil
	}
	for i := range sn.dicts {
		s.mu.Lock()
		d := sn.dicts[i]
		aborted := s.persist.childAbort
		s.mu.Unlock()
		if aborted {
			return errChildAborted
		}
		if d == nil {
			continue
		}
		if err := sink.selectDB(i, sn.keys[i], sn.exps[i]); err != nil {
			return err
		}
		var cursor uint64
		for {
			s.mu.Lock()
			if s.persist.childAbort {
				s.mu.Unlock()
				return errChildAborted
			}
			start := time.Now()
			n := 0
			var err error
			visit := func(k string, e *Entry) {
				if err != nil || e.snapGen == sn.gen {
					return
				}
				e.snapGen = sn.gen
				err = sink.entry(k, e)
				n++
			}
			for {
				cursor = d.m.Scan(cursor, visit)
				if cursor == 0 || n >= chunkKeys || err != nil || time.Since(start) >= chunkTime {
					break
				}
			}
			sn.processed += int64(n)
			held := time.Since(start)
			var pre map[string]*Entry
			if cursor == 0 && err == nil {
				// Every entry of d is now written or kept in pre, so
				// nothing in d needs preserving any more.
				pre = d.pre
				d.pre = nil
				sn.dicts[i] = nil
			}
			s.mu.Unlock()
			sn.yield(held)
			if err != nil {
				return err
			}
			if err := writeChunk(); err != nil {
				return err
			}
			if h := snapshotChunkHook.Load(); h != nil {
				(*h)()
			}
			if cursor != 0 {
				continue
			}
			// The kept values are copies nothing modifies, but they are
			// still serialized under the lock, in chunks: a value that
			// some write path wrongly shares with a live key must not be
			// read while it changes.
			keys := make([]string, 0, len(pre))
			for k := range pre {
				keys = append(keys, k)
			}
			for len(keys) > 0 {
				n := min(len(keys), chunkKeys)
				s.mu.Lock()
				start := time.Now()
				for _, k := range keys[:n] {
					if err == nil {
						err = sink.entry(k, pre[k])
					}
				}
				sn.processed += int64(n)
				s.mu.Unlock()
				sn.yield(time.Since(start))
				keys = keys[n:]
				if err != nil {
					return err
				}
				if err := writeChunk(); err != nil {
					return err
				}
			}
			break
		}
	}
	if err := sink.end(); err != nil {
		return err
	}
	return writeChunk()
}

// rdbSink writes the walk as an RDB stream.
type rdbSink struct {
	enc *rdb.Encoder
	sc  entryScratch
}

// newRDBSink writes the header and aux fields into chunk.
func newRDBSink(chunk *bytes.Buffer, opts rdb.EncoderOptions, aux []auxField) (*rdbSink, error) {
	sk := &rdbSink{enc: rdb.NewEncoder(chunk, opts)}
	if err := sk.enc.WriteHeader(); err != nil {
		return nil, err
	}
	for _, a := range aux {
		if err := sk.enc.WriteAux(a.key, a.val); err != nil {
			return nil, err
		}
	}
	return sk, nil
}

func (sk *rdbSink) selectDB(db, keys, expires int) error {
	return sk.enc.SelectDB(db, uint64(keys), uint64(expires))
}
func (sk *rdbSink) entry(key string, e *Entry) error { return writeEntryRDB(sk.enc, &sk.sc, key, e) }
func (sk *rdbSink) flush() error                     { return sk.enc.Flush() }
func (sk *rdbSink) end() error                       { return sk.enc.WriteEnd() }

// --- the child slot ---------------------------------------------------------

// acquireChild claims the background-job slot. Caller holds s.mu.
func (s *Server) acquireChild(kind childKind) bool {
	p := &s.persist
	if p.child != childNone {
		return false
	}
	p.child = kind
	p.childStart = s.timeNow()
	p.childDone = make(chan struct{})
	p.childAbort = false
	p.childTemp = ""
	return true
}

// releaseChild frees the slot. Caller holds s.mu.
func (s *Server) releaseChild() {
	p := &s.persist
	p.child = childNone
	p.childAbort = false
	p.childTemp = ""
	if p.childDone != nil {
		close(p.childDone)
		p.childDone = nil
	}
}

// waitChild waits for the running background job, if any, to end. Caller
// must not hold s.mu.
func (s *Server) waitChild() {
	for {
		s.mu.Lock()
		ch := s.persist.childDone
		s.mu.Unlock()
		if ch == nil {
			return
		}
		<-ch
	}
}

// --- BGSAVE -----------------------------------------------------------------

// startBgsave is rdbSaveBackground. Caller holds s.mu.
func (s *Server) startBgsave() error {
	p := &s.persist
	if !s.acquireChild(childRDB) {
		return fmt.Errorf("a background job is already running")
	}
	p.bgsaveScheduled = false
	p.dirtyAtBgsave = s.dirty
	p.lastBgsaveTry = s.timeNow()
	p.saves++
	target := s.rdbPath()
	tmp := filepath.Join(s.opts.Dir, fmt.Sprintf("temp-%d.rdb", os.Getpid()))
	p.childTemp = tmp
	aux := s.rdbAuxFields(s.replAux(), false)
	opts := s.encoderOptions()
	sn := s.beginSnapshot()
	s.log.Info(fmt.Sprintf("Background saving started by pid %d", os.Getpid()), zap.String("event", "bgsave-started"))
	go s.bgsaveJob(sn, tmp, target, aux, opts)
	return nil
}

func (s *Server) bgsaveJob(sn *snapshot, tmp, target string, aux []auxField, opts rdb.EncoderOptions) {
	start := time.Now()
	err := s.writeSnapshotFile(sn, tmp, aux, opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	sn.finish()
	p := &s.persist
	if err == nil && p.childAbort {
		err = errChildAborted
	}
	if err == nil {
		// Renamed under the lock so that a save that aborted this one
		// (FLUSHALL, SHUTDOWN) cannot be overwritten by it.
		if rerr := os.Rename(tmp, target); rerr != nil {
			err = fmt.Errorf("Error moving temp DB file %s on the final destination %s: %w", filepath.Base(tmp), filepath.Base(target), rerr)
		} else {
			// The rename is made durable without the lock: a
			// directory fsync can take a while on a busy disk.
			s.mu.Unlock()
			if serr := fsyncDir(filepath.Dir(target)); serr != nil {
				err = fmt.Errorf("Failed to fsync directory while saving DB: %w", serr)
			}
			s.mu.Lock()
			if err == nil && p.childAbort {
				// A newer synchronous save replaced the file meanwhile.
				err = errChildAborted
			}
		}
	}
	p.lastBgsaveSecs = int64(time.Since(start).Seconds())
	switch {
	case err == errChildAborted:
		os.Remove(tmp)
		// Killed on purpose: Redis does not count it as an error.
		s.log.Info("Background saving terminated by signal 10", zap.String("event", "bgsave-aborted"))
	case err != nil:
		os.Remove(tmp)
		p.lastBgsaveOK = false
		s.log.Warn("Background saving error: "+err.Error(), zap.String("event", "bgsave-failed"), zap.Error(err))
	default:
		s.log.Info("DB saved on disk", zap.String("event", "rdb-saved"), zap.String("file", target))
		s.dirty = max(s.dirty-p.dirtyAtBgsave, 0)
		p.lastSave = s.timeNow()
		p.lastBgsaveOK = true
		s.log.Info("Background saving terminated with success", zap.String("event", "bgsave-done"))
	}
	s.releaseChild()
}

// writeSnapshotFile walks sn into tmp as an RDB file and fsyncs it. It
// runs without the lock.
func (s *Server) writeSnapshotFile(sn *snapshot, tmp string, aux []auxField, opts rdb.EncoderOptions) error {
	f, err := createTemp(tmp)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), filepath.Dir(tmp), err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	var chunk bytes.Buffer
	sink, err := newRDBSink(&chunk, opts, aux)
	if err == nil {
		err = sn.walk(sink, &chunk, bw)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	return finishFile(f, bw)
}

// SnapshotTo streams a point-in-time RDB snapshot of the dataset to w (a
// replica's socket, a file), with aux fields (repl-id, repl-offset,
// repl-stream-db, ...) after the standard ones. It waits for a running
// background job to end, then walks the keyspace a chunk at a time without
// stalling clients; writes to w happen without the lock. It must not be
// called with the lock held.
func (s *Server) SnapshotTo(w io.Writer, aux map[string]string) error {
	return s.SnapshotToFunc(w, func() map[string]string { return aux })
}

// SnapshotToFunc is SnapshotTo with the aux fields computed by begin, which
// runs under the lock at the very instant the snapshot starts (so that a
// replication offset in them matches the snapshot exactly).
func (s *Server) SnapshotToFunc(w io.Writer, begin func() map[string]string) error {
	var sn *snapshot
	var fields []auxField
	var opts rdb.EncoderOptions
	for sn == nil {
		s.waitChild()
		s.mu.Lock()
		if s.acquireChild(childRDB) {
			fields = s.rdbAuxFields(begin(), false)
			opts = s.encoderOptions()
			sn = s.beginSnapshot()
		}
		s.mu.Unlock()
	}
	var chunk bytes.Buffer
	sink, err := newRDBSink(&chunk, opts, fields)
	if err == nil {
		err = sn.walk(sink, &chunk, w)
	}
	s.mu.Lock()
	sn.finish()
	if err == nil && s.persist.childAbort {
		err = errChildAborted
	}
	s.releaseChild()
	s.mu.Unlock()
	return err
}

// yield pauses the walk after a lock hold of held for as long again, when
// clients have been running commands since the previous chunk. Without the
// pause the walker, which needs no wake-up, takes the lock back before the
// clients it woke get scheduled, and they wait for several chunks (Go's
// mutex only hands off after a waiter starved 1 ms). Capping the walk at
// half the lock time is what keeps command latency flat during a save;
// with no client active (a full sync to a new replica of an idle master),
// the walk runs at full speed.
func (sn *snapshot) yield(held time.Duration) {
	seen := sn.s.trafficLocks.Load()
	if seen == sn.trafficSeen {
		return
	}
	sn.trafficSeen = seen
	time.Sleep(max(held, 50*time.Microsecond))
}
