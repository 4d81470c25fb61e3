package backend

// Point-in-time snapshots without fork.
//
// Redis forks to save in the background; warden cannot, so a save walks the
// live dictionaries a chunk at a time under the server lock while clients
// keep writing between chunks. To keep the snapshot exact, every write path
// calls preserve (in-place change) or preserveReplaced (the entry is dropped
// or replaced) before touching an entry: if the running save has not written
// that entry yet, the value it had when the save began is kept in the dict's
// pre map and the entry is marked with the save's generation. The saver skips
// marked entries while walking and writes the pre map at the end. Entries
// created during the save are born marked. Cost: one map probe per write
// while a save runs, and a copy of each key modified during it.

// snapshotActive reports whether d is being walked by a save.
func (d *dict) snapshotActive() bool { return d.pre != nil }

// preserve keeps e's current value for a running save before e is modified
// in place.
func (db *DB) preserve(key string, e *Entry) {
	gen := db.srv.snapGen
	if !db.d.snapshotActive() || e.snapGen == gen {
		return
	}
	c := &Entry{str: e.str, expireAt: e.expireAt, lru: e.lru, freq: e.freq}
	if e.obj != nil {
		c.obj = e.obj.Clone()
	} else if e.str != nil {
		// Strings are modified in place by APPEND and SETRANGE.
		c.str = append([]byte(nil), e.str...)
	}
	db.d.pre[key] = c
	e.snapGen = gen
}

// preserveReplaced keeps e for a running save before e leaves the dict (it
// is deleted or replaced by a new entry). The value need not be cloned:
// nobody modifies a value once its entry is gone; the Entry struct itself
// is copied because the dict reuses its slot.
func (db *DB) preserveReplaced(key string, e *Entry) {
	gen := db.srv.snapGen
	if !db.d.snapshotActive() || e.snapGen == gen {
		return
	}
	cp := *e
	db.d.pre[key] = &cp
	e.snapGen = gen
}

// nextSnapGen starts a new save generation. When the 16-bit counter wraps,
// an entry untouched for 65535 saves could carry the new generation by
// coincidence and be skipped by the walk, so every entry is reset first: a
// full pass, once every 65535 saves. Caller holds s.mu.
func (s *Server) nextSnapGen() {
	s.snapGen++
	if s.snapGen != 0 {
		return
	}
	for _, db := range s.dbs {
		db.d.each(func(_ string, e *Entry) bool {
			e.snapGen = 0
			return true
		})
	}
	s.snapGen = 1
}
