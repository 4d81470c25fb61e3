package backend

// The append-only file, in Redis 7.0's multi-part layout: a directory
// (appenddirname, inside dir) holding
//
//	appendonly.aof.<n>.base.rdb   the dataset at the last rewrite (RDB, or
//	                              appendonly.aof.<n>.base.aof in commands
//	                              when aof-use-rdb-preamble is no)
//	appendonly.aof.<m>.incr.aof   the write commands since, in RESP
//	appendonly.aof.manifest       which files make up the AOF, in order
//
// Every propagated write is appended to the current incr file before the
// client gets its reply (write(2) under the server lock, like Redis's
// flush before the event loop sleeps): with appendfsync always it is also
// fsynced there; with everysec a background goroutine fsyncs once a
// second; with no, the kernel decides.
//
// BGREWRITEAOF opens a new incr file first and lists it in the manifest,
// then writes a new base from a snapshot walk (bgsave.go) taken under the
// same lock hold; once the base is durable, the manifest is replaced
// atomically by one naming only the new base and the new incr file, and
// the old files are deleted. A crash at any point leaves a manifest whose
// files hold the whole dataset.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/wardenhq/warden/backend/rdb"
	"github.com/wardenhq/warden/internal/resp"
)

// aofState is the AOF part of persistState. Guarded by Server.mu.
type aofState struct {
	// on is AOF_ON: the manifest is live and writes go to its last incr
	// file. enabling is AOF_WAIT_REWRITE: appendonly was just turned on
	// and the first rewrite runs, writes going to a temporary incr file.
	on, enabling bool
	dir          string // absolute path of the AOF directory
	man          aofManifest
	f            *os.File // the incr file being appended, or nil
	fileSize     int64    // size of f
	buf          []byte   // pending output not yet written to f
	curDB        int      // database of the last SELECT written; -1 = none
	inMulti      bool     // a propagated MULTI waits for its EXEC
	unsynced     bool     // written since the last fsync
	writeErr     error    // last write or fsync error (aof_last_write_status)
	size         int64    // aof_current_size
	baseSize     int64    // aof_base_size

	rewriteScheduled    bool
	lastRewriteOK       bool
	lastRewriteTry      time.Time
	lastRewriteSecs     int64
	rewrites            int64
	consecutiveFailures int64
	delayedFsync        int64
	tempIncr            string // path of the temporary incr file while enabling
}

func (a *aofState) init() {
	a.curDB = -1
	a.lastRewriteOK = true
	a.lastRewriteSecs = -1
}

// aofFile is one line of the manifest.
type aofFile struct {
	name string
	seq  int64
	typ  byte // 'b' base, 'i' incr, 'h' history
}

// aofManifest is the parsed appendonly.aof.manifest.
type aofManifest struct {
	base    *aofFile
	incrs   []aofFile
	baseSeq int64 // highest base sequence number used
	incrSeq int64 // highest incr sequence number used
}

func (m aofManifest) clone() aofManifest {
	c := m
	if m.base != nil {
		b := *m.base
		c.base = &b
	}
	c.incrs = append([]aofFile(nil), m.incrs...)
	return c
}

// files lists the files to load, in order.
func (m aofManifest) files() []aofFile {
	var out []aofFile
	if m.base != nil {
		out = append(out, *m.base)
	}
	return append(out, m.incrs...)
}

func (m aofManifest) String() string {
	var b strings.Builder
	for _, f := range m.files() {
		fmt.Fprintf(&b, "file %s seq %d type %c\n", quoteManifestName(f.name), f.seq, f.typ)
	}
	return b.String()
}

// quoteManifestName quotes a file name with spaces or special characters,
// as Redis's sdscatrepr does in the manifest.
func quoteManifestName(n string) string {
	if strings.IndexFunc(n, func(r rune) bool { return r <= ' ' || r == '"' || r == '\'' || r == '\\' || r > '~' }) < 0 {
		return n
	}
	return quoteRepr([]byte(n))
}

// parseManifest reads the manifest format: one "file <name> seq <n> type
// <b|h|i>" line per file (keys in any order), '#' comments.
func parseManifest(data []byte) (aofManifest, error) {
	var m aofManifest
	if len(data) == 0 {
		return m, errors.New("Found an empty AOF manifest")
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		words, ok := splitConfigArgs(line)
		if !ok || len(words)%2 != 0 || len(words) < 6 {
			return m, fmt.Errorf("Invalid AOF manifest file format (line %d)", n+1)
		}
		var f aofFile
		for i := 0; i < len(words); i += 2 {
			switch words[i] {
			case "file":
				f.name = words[i+1]
			case "seq":
				v, err := strconv.ParseInt(words[i+1], 10, 64)
				if err != nil || v < 1 {
					return m, fmt.Errorf("Invalid AOF manifest file format (line %d)", n+1)
				}
				f.seq = v
			case "type":
				if len(words[i+1]) != 1 {
					return m, fmt.Errorf("Invalid AOF manifest file format (line %d)", n+1)
				}
				f.typ = words[i+1][0]
			}
		}
		if f.name == "" || f.seq == 0 || f.typ == 0 || strings.ContainsAny(f.name, "/") {
			return m, fmt.Errorf("Invalid AOF manifest file format (line %d)", n+1)
		}
		switch f.typ {
		case 'b':
			if m.base != nil {
				return m, errors.New("Found duplicate base file information")
			}
			b := f
			m.base = &b
			m.baseSeq = max(m.baseSeq, f.seq)
		case 'i':
			if f.seq <= m.incrSeq {
				return m, errors.New("Found a non-monotonic sequence number")
			}
			m.incrs = append(m.incrs, f)
			m.incrSeq = f.seq
		case 'h':
			// History files are deleted after a rewrite; nothing to load.
		default:
			return m, fmt.Errorf("Unknown AOF file type %c", f.typ)
		}
	}
	if m.base == nil && len(m.incrs) == 0 {
		return m, errors.New("Found an empty AOF manifest")
	}
	return m, nil
}

// splitConfigArgs splits a manifest line into words, honouring double and
// single quotes and backslash escapes in double quotes (sdssplitargs).
func splitConfigArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var w []byte
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'a':
						c = '\a'
					case 'b':
						c = '\b'
					case 'x':
						if i+2 < len(line) {
							if v, err := strconv.ParseUint(line[i+1:i+3], 16, 8); err == nil {
								c = byte(v)
								i += 2
								break
							}
						}
						c = 'x'
					default:
						c = line[i]
					}
				}
				w = append(w, c)
				i++
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, false
				}
				if line[i] == '\'' {
					i++
					break
				}
				w = append(w, line[i])
				i++
			}
		default:
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				w = append(w, line[i])
				i++
			}
		}
		out = append(out, string(w))
	}
}

// File names, as Redis 7.0 builds them from appendfilename.
func (s *Server) aofManifestName() string { return s.opts.AppendFilename + ".manifest" }
func (s *Server) aofBaseName(seq int64, rdbFormat bool) string {
	ext := ".aof"
	if rdbFormat {
		ext = ".rdb"
	}
	return fmt.Sprintf("%s.%d.base%s", s.opts.AppendFilename, seq, ext)
}
func (s *Server) aofIncrName(seq int64) string {
	return fmt.Sprintf("%s.%d.incr.aof", s.opts.AppendFilename, seq)
}

// aofDir is the absolute AOF directory.
func (s *Server) aofDir() string {
	return filepath.Join(s.opts.Dir, s.opts.AppendDirname)
}

// persistManifest replaces the manifest atomically with m.
func (s *Server) persistManifest(dir string, m aofManifest) error {
	tmp := filepath.Join(dir, "temp-"+s.aofManifestName())
	f, err := createTemp(tmp)
	if err != nil {
		return fmt.Errorf("Can't open the AOF manifest file %s: %w", tmp, err)
	}
	bw := bufio.NewWriter(f)
	bw.WriteString(m.String())
	if err := finishFile(f, bw); err != nil {
		return fmt.Errorf("Can't persist the AOF manifest file %s: %w", tmp, err)
	}
	if err := replaceFile(tmp, filepath.Join(dir, s.aofManifestName())); err != nil {
		return fmt.Errorf("Error trying to rename the temporary AOF manifest file %s into %s: %w", filepath.Base(tmp), s.aofManifestName(), err)
	}
	return nil
}

// --- the write path ---------------------------------------------------------

func init() {
	configApply["appendonly"] = func(s *Server, prev *Options) error {
		if s.opts.AppendOnly == prev.AppendOnly {
			return nil
		}
		if s.opts.AppendOnly {
			return s.startAppendOnly()
		}
		s.stopAppendOnly()
		return nil
	}
}

func appendSelect(dst []byte, db int) []byte {
	return resp.AppendCommand(dst, []byte("SELECT"), strconv.AppendInt(nil, int64(db), 10))
}

// aofPropagate is the AOF's propagation sink (feedAppendOnlyFile). A
// MULTI...EXEC block is written as one unit so that appendfsync always pays
// one fsync per transaction. Caller holds s.mu.
func (s *Server) aofPropagate(db int, args [][]byte) {
	a := &s.persist.aof
	if a.f == nil || len(args) == 0 {
		return
	}
	if db != a.curDB {
		a.buf = appendSelect(a.buf, db)
		a.curDB = db
	}
	a.buf = resp.AppendCommand(a.buf, args...)
	switch {
	case strings.EqualFold(string(args[0]), "multi"):
		a.inMulti = true
		return
	case a.inMulti && !strings.EqualFold(string(args[0]), "exec"):
		return
	}
	a.inMulti = false
	s.aofWrite(s.opts.AppendFsync == "always")
}

// aofWrite writes the pending buffer (and fsyncs it when sync). Caller
// holds s.mu.
func (s *Server) aofWrite(sync bool) {
	a := &s.persist.aof
	if a.f == nil {
		return
	}
	if len(a.buf) > 0 {
		n, err := a.f.Write(a.buf)
		if err != nil {
			// Take back a partial write so the file never ends in half
			// a command; if that fails too, keep what was written.
			if n > 0 {
				if terr := a.f.Truncate(a.fileSize); terr != nil {
					a.fileSize += int64(n)
					a.size += int64(n)
					a.buf = a.buf[:copy(a.buf, a.buf[n:])]
				}
			}
			if a.writeErr == nil {
				s.log.Warn("Error writing to the AOF file: "+err.Error(), zap.String("event", "aof-write-failed"), zap.Error(err))
			}
			a.writeErr = err
			if s.opts.AppendFsync == "always" {
				s.aofFatal(err)
			}
			return
		}
		a.fileSize += int64(n)
		a.size += int64(n)
		if cap(a.buf) > 1<<20 {
			a.buf = nil
		} else {
			a.buf = a.buf[:0]
		}
		a.unsynced = true
	}
	if sync && a.unsynced {
		if err := a.f.Sync(); err != nil {
			a.writeErr = err
			s.aofFatal(err)
			return
		}
		a.unsynced = false
	}
	if a.writeErr != nil {
		s.log.Info("AOF write error looks solved, Redis can write again.", zap.String("event", "aof-write-ok"))
		a.writeErr = nil
	}
}

// aofFatal handles a failed write or fsync with appendfsync always, where
// Redis exits: no write may be acknowledged that is not on disk, so the
// replies not yet sent are dropped, every client is closed and the server
// stops. Caller holds s.mu.
func (s *Server) aofFatal(err error) {
	s.log.Error("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
		zap.String("event", "aof-fatal"), zap.Error(err))
	for _, c := range s.clients {
		c.reply = nil
		s.closeClientAsync(c, "AOF write error")
	}
	go s.Shutdown()
}

// aofEverysec is the once-a-second work: retry a failed write, and fsync
// with appendfsync everysec. The fsync runs without the lock, as Redis
// runs it in a background thread.
func (s *Server) aofEverysec() {
	s.mu.Lock()
	a := &s.persist.aof
	if a.f == nil {
		s.mu.Unlock()
		return
	}
	if len(a.buf) > 0 && !a.inMulti {
		s.aofWrite(false)
	}
	f := a.f
	doSync := s.opts.AppendFsync == "everysec" && a.unsynced
	if doSync {
		a.unsynced = false
	}
	s.mu.Unlock()
	if !doSync {
		return
	}
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		s.mu.Lock()
		if a.f == f {
			s.log.Warn("Error syncing the AOF file: "+err.Error(), zap.String("event", "aof-fsync-failed"), zap.Error(err))
			a.writeErr = err
			a.unsynced = true
		}
		s.mu.Unlock()
	}
}

// aofFlushFinal writes and fsyncs what is pending (shutdown). Caller holds
// s.mu.
func (s *Server) aofFlushFinal() error {
	a := &s.persist.aof
	if a.f == nil {
		return nil
	}
	a.inMulti = false
	s.aofWrite(false)
	if a.writeErr != nil {
		return a.writeErr
	}
	return a.f.Sync()
}

// aofClose closes the incr file. Caller holds s.mu.
func (s *Server) aofClose() {
	a := &s.persist.aof
	if a.f != nil {
		a.f.Close()
		a.f = nil
	}
	a.buf = nil
}

// openIncr opens (creating) an incr file for appending.
func openIncr(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// aofSwitchTo makes f the file writes go to, after flushing and syncing the
// previous one. Caller holds s.mu.
func (s *Server) aofSwitchTo(f *os.File, size int64) {
	a := &s.persist.aof
	if a.f != nil {
		a.inMulti = false
		s.aofWrite(s.opts.AppendFsync != "no")
		a.f.Close()
	}
	a.f = f
	a.fileSize = size
	a.buf = a.buf[:0]
	a.curDB = -1
	a.unsynced = false
}

// --- start-up ---------------------------------------------------------------

// loadAOF loads the AOF named by the manifest (migrating a pre-7.0
// single-file AOF into the directory first). It reports whether an AOF
// existed. Caller holds s.mu.
func (s *Server) loadAOF() (bool, error) {
	a := &s.persist.aof
	a.dir = s.aofDir()
	manPath := filepath.Join(a.dir, s.aofManifestName())
	data, err := os.ReadFile(manPath)
	if errors.Is(err, os.ErrNotExist) {
		found, uerr := s.aofUpgrade()
		if uerr != nil || !found {
			return false, uerr
		}
		data, err = os.ReadFile(manPath)
	}
	if err != nil {
		return false, fmt.Errorf("Can't open the AOF manifest %s for reading: %w", manPath, err)
	}
	m, err := parseManifest(data)
	if err != nil {
		return false, fmt.Errorf("%s: %w", manPath, err)
	}
	a.man = m
	files := m.files()
	var total int64
	s.persist.loading = true
	defer func() { s.persist.loading = false }()
	for i, f := range files {
		path := filepath.Join(a.dir, f.name)
		n, err := s.loadAOFFile(path, i == len(files)-1)
		if err != nil {
			return false, err
		}
		if f.typ == 'b' {
			a.baseSize = n
		}
		total += n
		s.log.Info(fmt.Sprintf("DB loaded from %s file %s", map[byte]string{'b': "base", 'i': "incr"}[f.typ], f.name), zap.String("event", "aof-file-loaded"))
	}
	a.size = total
	return true, nil
}

// aofUpgrade moves an old single-file AOF (dir/appendfilename) into the AOF
// directory as the base of a new manifest, as Redis 7.0 does on its first
// start over a 6.x data directory. Caller holds s.mu.
func (s *Server) aofUpgrade() (bool, error) {
	a := &s.persist.aof
	old := filepath.Join(s.opts.Dir, s.opts.AppendFilename)
	if _, err := os.Stat(old); err != nil {
		return false, nil
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return false, fmt.Errorf("Can't create AOF directory %s: %w", a.dir, err)
	}
	m := aofManifest{base: &aofFile{name: s.opts.AppendFilename, seq: 1, typ: 'b'}, baseSeq: 1}
	// The manifest goes first: a crash before the move leaves a manifest
	// naming a file not yet there, which the next start repairs by
	// moving it again.
	if err := s.persistManifest(a.dir, m); err != nil {
		return false, err
	}
	if err := replaceFile(old, filepath.Join(a.dir, s.opts.AppendFilename)); err != nil {
		return false, fmt.Errorf("Error trying to rename the old-style AOF %s into the AOF directory: %w", old, err)
	}
	s.log.Info("Successfully migrated an old-style AOF into the AOF directory", zap.String("event", "aof-upgrade"), zap.String("file", old))
	return true, nil
}

// loadAOFFile replays one AOF file: an RDB (or RDB preamble) then RESP
// commands. A torn tail of the last file is cut off when aof-load-truncated
// allows it. It returns the file size. Caller holds s.mu.
func (s *Server) loadAOFFile(path string, last bool) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("Fatal error: can't open the append log file %s for reading: %w", filepath.Base(path), err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Size() == 0 {
		return 0, nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	var off int64
	if sig, _ := br.Peek(5); string(sig) == "REDIS" {
		l := s.newRDBLoader()
		// Keys expired in the base stay: later commands may touch them.
		l.keepExpired = true
		dec := rdb.NewDecoder(br)
		if err := dec.Decode(l); err != nil {
			return 0, fmt.Errorf("Error reading the RDB base file %s, AOF loading aborted: %w", filepath.Base(path), err)
		}
		s.persist.loadKeysLoaded = l.loaded
		s.persist.loadKeysExpired = l.expired
		off = dec.Offset()
		r = io.MultiReader(bytes.NewReader(append([]byte(nil), dec.Buffered()...)), br)
	}
	valid, err := s.replayAOF(bufio.NewReaderSize(r, 64<<10), off, filepath.Base(path))
	if err == nil {
		return st.Size(), nil
	}
	if !errors.Is(err, errAOFTruncated) {
		return 0, err
	}
	name := filepath.Base(path)
	if !last {
		return 0, fmt.Errorf("Fatal error: the truncated file %s is not the last file", name)
	}
	if !s.opts.AOFLoadTruncated {
		return 0, fmt.Errorf("Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
	}
	s.log.Warn(fmt.Sprintf("!!! Warning: short read while loading the AOF file %s!!!", name), zap.String("event", "aof-truncated"))
	s.log.Warn(fmt.Sprintf("!!! Truncating the AOF %s at offset %d !!!", name, valid), zap.String("event", "aof-truncated"))
	if err := os.Truncate(path, valid); err != nil {
		return 0, fmt.Errorf("Error truncating the AOF file %s: %w", name, err)
	}
	s.log.Warn(fmt.Sprintf("AOF %s loaded anyway because aof-load-truncated is enabled", name), zap.String("event", "aof-truncated"))
	return valid, nil
}

var errAOFTruncated = errors.New("unexpected end of AOF file")

// replayAOF executes the RESP commands of r, whose first byte is at file
// offset off. On a torn tail it returns errAOFTruncated with the offset up
// to which the file is whole (before an unfinished MULTI, if any).
func (s *Server) replayAOF(r *bufio.Reader, off int64, name string) (int64, error) {
	c := newClient(s, nil)
	c.flags |= flagMaster // must obey: no OOM or read-only refusals
	c.replyMode = 1       // no replies
	valid, beforeMulti := off, off
	var queued [][][]byte
	inMulti := false
	badFormat := fmt.Errorf("Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)
	var line []byte
	readLine := func() ([]byte, error) {
		line = line[:0]
		for {
			chunk, err := r.ReadSlice('\n')
			line = append(line, chunk...)
			off += int64(len(chunk))
			if err == bufio.ErrBufferFull {
				if len(line) > 1<<16 {
					return nil, badFormat
				}
				continue
			}
			if err != nil {
				return nil, errAOFTruncated
			}
			if len(line) < 2 || line[len(line)-2] != '\r' {
				return nil, badFormat
			}
			return line[:len(line)-2], nil
		}
	}
	for {
		if _, err := r.Peek(1); err != nil {
			break // clean end of file
		}
		l, err := readLine()
		if err != nil {
			if err == errAOFTruncated {
				return s.truncatedAt(inMulti, valid, beforeMulti)
			}
			return 0, err
		}
		if len(l) > 0 && l[0] == '#' {
			// An annotation (aof-timestamp-enabled): skipped.
			valid = off
			continue
		}
		if len(l) < 2 || l[0] != '*' {
			return 0, badFormat
		}
		argc, ok := ParseInt(l[1:])
		if !ok || argc < 1 {
			return 0, badFormat
		}
		argv := make([][]byte, 0, min(argc, 1024))
		for i := int64(0); i < argc; i++ {
			l, err := readLine()
			if err != nil {
				if err == errAOFTruncated {
					return s.truncatedAt(inMulti, valid, beforeMulti)
				}
				return 0, err
			}
			if len(l) < 2 || l[0] != '$' {
				return 0, badFormat
			}
			n, ok := ParseInt(l[1:])
			if !ok || n < 0 || n > math.MaxInt32 {
				return 0, badFormat
			}
			arg := make([]byte, n+2)
			got, err := io.ReadFull(r, arg)
			off += int64(got)
			if err != nil {
				return s.truncatedAt(inMulti, valid, beforeMulti)
			}
			if arg[n] != '\r' || arg[n+1] != '\n' {
				return 0, badFormat
			}
			argv = append(argv, arg[:n:n])
		}
		name0 := strings.ToLower(string(argv[0]))
		switch {
		case name0 == "multi":
			if inMulti {
				return 0, badFormat
			}
			inMulti, beforeMulti, queued = true, valid, nil
		case name0 == "exec" && inMulti:
			inMulti = false
			for _, q := range queued {
				if err := s.aofExec(c, q, name); err != nil {
					return 0, err
				}
			}
			queued = nil
		case inMulti:
			queued = append(queued, argv)
		default:
			if err := s.aofExec(c, argv, name); err != nil {
				return 0, err
			}
		}
		valid = off
	}
	if inMulti {
		s.log.Warn(fmt.Sprintf("Revert incomplete MULTI/EXEC transaction in AOF file %s", name), zap.String("event", "aof-multi-reverted"))
		return beforeMulti, errAOFTruncated
	}
	return valid, nil
}

func (s *Server) truncatedAt(inMulti bool, valid, beforeMulti int64) (int64, error) {
	if inMulti {
		return beforeMulti, errAOFTruncated
	}
	return valid, errAOFTruncated
}

// aofExec runs one command read from the AOF on the loading client.
func (s *Server) aofExec(c *Client, argv [][]byte, file string) error {
	cmd := commands[strings.ToLower(string(argv[0]))]
	if cmd != nil && cmd.Sub != nil && len(argv) >= 2 {
		if sub := cmd.Sub[strings.ToLower(string(argv[1]))]; sub != nil {
			cmd = sub
		}
	}
	if cmd == nil || cmd.Proc == nil {
		return fmt.Errorf("Unknown command '%s' reading the append only file %s", trunc128(string(argv[0])), file)
	}
	if !cmd.arityOK(len(argv)) {
		return fmt.Errorf("Error reading the append only file %s: wrong number of arguments for '%s'", file, cmd.Name)
	}
	c.argv, c.cmd = argv, cmd
	c.prop = c.prop[:0]
	s.cachedMs = s.timeNow().UnixMilli()
	cmd.Proc(c)
	s.cachedMs = 0
	c.argv, c.cmd = nil, nil
	c.reply = c.reply[:0]
	return nil
}

// aofOpenOnStart is aofOpenIfNeededOnServerStart: with appendonly on, make
// sure the AOF has a base (written from the loaded dataset when there is
// none) and an incr file to append to. Caller holds s.mu.
func (s *Server) aofOpenOnStart() error {
	a := &s.persist.aof
	a.dir = s.aofDir()
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %w", a.dir, err)
	}
	m := a.man.clone()
	changed := false
	if m.base == nil && len(m.incrs) == 0 {
		m.baseSeq++
		name := s.aofBaseName(m.baseSeq, s.opts.AOFUseRDBPreamble)
		n, err := s.writeAOFBaseLocked(filepath.Join(a.dir, name))
		if err != nil {
			return err
		}
		m.base = &aofFile{name: name, seq: m.baseSeq, typ: 'b'}
		a.baseSize, a.size = n, n
		changed = true
		s.log.Info(fmt.Sprintf("Creating AOF base file %s on server start", name), zap.String("event", "aof-base-created"))
	}
	if len(m.incrs) == 0 {
		m.incrSeq++
		m.incrs = append(m.incrs, aofFile{name: s.aofIncrName(m.incrSeq), seq: m.incrSeq, typ: 'i'})
		changed = true
		s.log.Info(fmt.Sprintf("Creating AOF incr file %s on server start", m.incrs[0].name), zap.String("event", "aof-incr-created"))
	}
	last := m.incrs[len(m.incrs)-1]
	f, size, err := openIncr(filepath.Join(a.dir, last.name))
	if err != nil {
		return fmt.Errorf("Can't open the append-only file %s: %w", last.name, err)
	}
	if changed {
		if err := s.persistManifest(a.dir, m); err != nil {
			f.Close()
			return err
		}
	}
	a.man = m
	s.aofSwitchTo(f, size)
	a.on = true
	return nil
}

// writeAOFBaseLocked writes the whole dataset as an AOF base file at path,
// synchronously. Caller holds s.mu. It returns the file size.
func (s *Server) writeAOFBaseLocked(path string) (int64, error) {
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf("temp-rewriteaof-%d.aof", os.Getpid()))
	f, err := createTemp(tmp)
	if err != nil {
		return 0, fmt.Errorf("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countWriter{w: bw}
	if s.opts.AOFUseRDBPreamble {
		err = s.writeRDBLocked(cw, s.rdbAuxFields(s.replAux(), true))
	} else {
		var chunk bytes.Buffer
		sink := &aofSink{buf: &chunk}
		for _, db := range s.dbs {
			if db.d.m.Len() == 0 || err != nil {
				continue
			}
			sink.selectDB(db.id, 0, 0)
			db.d.each(func(k string, e *Entry) bool {
				err = sink.entry(k, e)
				if chunk.Len() > 1<<20 {
					cw.Write(chunk.Bytes())
					chunk.Reset()
				}
				return err == nil
			})
		}
		cw.Write(chunk.Bytes())
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	if err := finishFile(f, bw); err != nil {
		return 0, err
	}
	if err := replaceFile(tmp, path); err != nil {
		return 0, err
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// --- enabling, disabling, rewriting -------------------------------------------

// startAppendOnly is CONFIG SET appendonly yes: a rewrite writes the first
// base, and the AOF goes live when it completes. Caller holds s.mu.
func (s *Server) startAppendOnly() error {
	p := &s.persist
	a := &p.aof
	a.dir = s.aofDir()
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %w", a.dir, err)
	}
	if m, err := os.ReadFile(filepath.Join(a.dir, s.aofManifestName())); err == nil {
		// Files of an AOF switched off earlier: the sequence numbers go
		// on from them, so nothing is overwritten.
		if old, err := parseManifest(m); err == nil {
			a.man = old
		}
	}
	switch p.child {
	case childAOF:
		s.log.Info("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.", zap.String("event", "aof-enable"))
		s.abortChild(childAOF)
		a.enabling = true
		a.rewriteScheduled = true
		return nil
	case childRDB:
		s.log.Info("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.", zap.String("event", "aof-enable"))
		a.enabling = true
		a.rewriteScheduled = true
		return nil
	}
	a.enabling = true
	if _, err := s.startAOFRewrite(); err != nil {
		a.enabling = false
		s.log.Warn("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
			zap.String("event", "aof-enable-failed"), zap.Error(err))
		return err
	}
	return nil
}

// stopAppendOnly is CONFIG SET appendonly no. Caller holds s.mu.
func (s *Server) stopAppendOnly() {
	a := &s.persist.aof
	if a.f != nil {
		a.inMulti = false
		s.aofWrite(s.opts.AppendFsync != "no")
	}
	if s.persist.child == childAOF {
		s.log.Info("Killing running AOF rewrite child", zap.String("event", "aof-rewrite-killed"))
		s.abortChild(childAOF)
	}
	if a.enabling && a.tempIncr != "" {
		os.Remove(a.tempIncr)
		a.tempIncr = ""
	}
	s.aofClose()
	a.on, a.enabling, a.rewriteScheduled = false, false, false
	a.curDB = -1
}

// startAOFRewrite is rewriteAppendOnlyFileBackground. It replies what
// BGREWRITEAOF says on success. Caller holds s.mu.
func (s *Server) startAOFRewrite() (string, error) {
	p := &s.persist
	a := &p.aof
	switch p.child {
	case childAOF:
		return "", errors.New("ERR Background append only file rewriting already in progress")
	case childRDB:
		a.rewriteScheduled = true
		return "Background append only file rewriting scheduled", nil
	}
	if !a.on && !a.enabling {
		// BGREWRITEAOF with appendonly off writes a standalone AOF in
		// the directory, as Redis does, without switching it on; the
		// sequence numbers go on from any manifest already there.
		a.dir = s.aofDir()
		if err := os.MkdirAll(a.dir, 0o755); err != nil {
			return "", fmt.Errorf("ERR Can't open or create append-only dir %s: %v", a.dir, err)
		}
		if b, err := os.ReadFile(filepath.Join(a.dir, s.aofManifestName())); err == nil {
			if m, err := parseManifest(b); err == nil {
				a.man = m
			}
		}
	}
	a.lastRewriteTry = s.timeNow()
	var incr *os.File
	var incrSize int64
	newMan := a.man.clone()
	switch {
	case a.on:
		newMan.incrSeq++
		name := s.aofIncrName(newMan.incrSeq)
		f, size, err := openIncr(filepath.Join(a.dir, name))
		if err != nil {
			a.lastRewriteOK = false
			return "", fmt.Errorf("ERR Can't open the append-only file %s: %v", name, err)
		}
		newMan.incrs = append(newMan.incrs, aofFile{name: name, seq: newMan.incrSeq, typ: 'i'})
		// Listed before anything goes into it, so a crash from here on
		// loads the old base, the old incrs and this one.
		if err := s.persistManifest(a.dir, newMan); err != nil {
			f.Close()
			os.Remove(f.Name())
			a.lastRewriteOK = false
			return "", fmt.Errorf("ERR %v", err)
		}
		a.man = newMan
		incr, incrSize = f, size
		s.log.Info(fmt.Sprintf("Creating AOF incr file %s on background rewrite", name), zap.String("event", "aof-incr-created"))
	case a.enabling:
		a.tempIncr = filepath.Join(a.dir, "temp-"+s.opts.AppendFilename+".incr")
		f, err := os.OpenFile(a.tempIncr, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			a.lastRewriteOK = false
			return "", fmt.Errorf("ERR Can't open the append-only file %s: %v", a.tempIncr, err)
		}
		incr = f
		s.log.Info(fmt.Sprintf("Creating AOF incr file %s on background rewrite", filepath.Base(a.tempIncr)), zap.String("event", "aof-incr-created"))
	}
	if !s.acquireChild(childAOF) {
		panic("AOF rewrite: child slot taken") // checked above under the same lock
	}
	if incr != nil {
		s.aofSwitchTo(incr, incrSize)
	}
	a.rewriteScheduled = false
	tmp := filepath.Join(a.dir, fmt.Sprintf("temp-rewriteaof-bg-%d.aof", os.Getpid()))
	p.childTemp = tmp
	preamble := s.opts.AOFUseRDBPreamble
	aux := s.rdbAuxFields(s.replAux(), true)
	opts := s.encoderOptions()
	sn := s.beginSnapshot()
	s.log.Info(fmt.Sprintf("Background append only file rewriting started by pid %d", os.Getpid()), zap.String("event", "aof-rewrite-started"))
	go s.aofRewriteJob(sn, tmp, preamble, aux, opts)
	return "Background append only file rewriting started", nil
}

func (s *Server) aofRewriteJob(sn *snapshot, tmp string, preamble bool, aux []auxField, opts rdb.EncoderOptions) {
	start := time.Now()
	size, err := s.writeRewriteBase(sn, tmp, preamble, aux, opts)
	if err == nil {
		s.log.Info(fmt.Sprintf("Successfully created the temporary AOF base file %s", filepath.Base(tmp)), zap.String("event", "aof-rewrite-base"))
	}
	s.mu.Lock()
	sn.finish()
	p := &s.persist
	a := &p.aof
	if err == nil && p.childAbort {
		err = errChildAborted
	}
	var history []string
	if err == nil {
		history, err = s.aofInstallRewrite(tmp, preamble, size)
	}
	a.lastRewriteSecs = int64(time.Since(start).Seconds())
	switch {
	case err == errChildAborted:
		os.Remove(tmp)
		s.log.Info("Background AOF rewrite terminated by signal 10", zap.String("event", "aof-rewrite-aborted"))
	case err != nil:
		os.Remove(tmp)
		a.lastRewriteOK = false
		a.consecutiveFailures++
		s.log.Warn("Background AOF rewrite terminated with error: "+err.Error(), zap.String("event", "aof-rewrite-failed"), zap.Error(err))
		if a.enabling {
			// Still wanted on: retried by the cron.
			s.aofClose()
			if a.tempIncr != "" {
				os.Remove(a.tempIncr)
				a.tempIncr = ""
			}
			a.rewriteScheduled = true
		}
	default:
		a.lastRewriteOK = true
		a.consecutiveFailures = 0
		a.rewrites++
		s.log.Info("Background AOF rewrite terminated with success", zap.String("event", "aof-rewrite-done"))
	}
	s.releaseChild()
	s.mu.Unlock()
	for _, h := range history {
		s.log.Info(fmt.Sprintf("Removing the history file %s in the background", filepath.Base(h)), zap.String("event", "aof-history-removed"))
		os.Remove(h)
	}
	if err == nil {
		s.log.Info("Background AOF rewrite finished successfully", zap.String("event", "aof-rewrite-finished"))
	}
}

// writeRewriteBase walks sn into tmp, as an RDB (aof-base 1) or as
// commands, and fsyncs it. It runs without the lock.
func (s *Server) writeRewriteBase(sn *snapshot, tmp string, preamble bool, aux []auxField, opts rdb.EncoderOptions) (int64, error) {
	f, err := createTemp(tmp)
	if err != nil {
		return 0, fmt.Errorf("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): %w", err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	cw := &countWriter{w: bw}
	var chunk bytes.Buffer
	var sink snapSink
	if preamble {
		sink, err = newRDBSink(&chunk, opts, aux)
	} else {
		sink = &aofSink{buf: &chunk}
	}
	if err == nil {
		err = sn.walk(sink, &chunk, cw)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, err
	}
	return cw.n, finishFile(f, bw)
}

// aofInstallRewrite is backgroundRewriteDoneHandler: the new base replaces
// the old base and the incr files that preceded the rewrite. It returns
// the files to delete. Caller holds s.mu.
func (s *Server) aofInstallRewrite(tmp string, preamble bool, baseSize int64) ([]string, error) {
	a := &s.persist.aof
	m := a.man.clone()
	m.baseSeq++
	baseName := s.aofBaseName(m.baseSeq, preamble)
	var history []string
	if m.base != nil {
		history = append(history, filepath.Join(a.dir, m.base.name))
	}
	if err := os.Rename(tmp, filepath.Join(a.dir, baseName)); err != nil {
		return nil, fmt.Errorf("Error trying to rename the temporary AOF base file %s into %s: %w", filepath.Base(tmp), baseName, err)
	}
	s.log.Info(fmt.Sprintf("Successfully renamed the temporary AOF base file %s into %s", filepath.Base(tmp), baseName), zap.String("event", "aof-rewrite-renamed"))
	m.base = &aofFile{name: baseName, seq: m.baseSeq, typ: 'b'}
	var keep []aofFile
	switch {
	case a.enabling:
		for _, f := range m.incrs {
			history = append(history, filepath.Join(a.dir, f.name))
		}
		m.incrSeq++
		name := s.aofIncrName(m.incrSeq)
		if err := os.Rename(a.tempIncr, filepath.Join(a.dir, name)); err != nil {
			os.Remove(filepath.Join(a.dir, baseName))
			return nil, fmt.Errorf("Error trying to rename the temporary AOF incr file %s into %s: %w", filepath.Base(a.tempIncr), name, err)
		}
		s.log.Info(fmt.Sprintf("Successfully renamed the temporary AOF incr file %s into %s", filepath.Base(a.tempIncr), name), zap.String("event", "aof-rewrite-renamed"))
		keep = []aofFile{{name: name, seq: m.incrSeq, typ: 'i'}}
	case a.on:
		// Only the incr file opened when the rewrite began follows the
		// new base.
		for _, f := range m.incrs[:len(m.incrs)-1] {
			history = append(history, filepath.Join(a.dir, f.name))
		}
		keep = m.incrs[len(m.incrs)-1:]
	default:
		// appendonly off: a standalone base with an empty incr list.
		for _, f := range m.incrs {
			history = append(history, filepath.Join(a.dir, f.name))
		}
	}
	m.incrs = keep
	if err := s.persistManifest(a.dir, m); err != nil {
		os.Remove(filepath.Join(a.dir, baseName))
		return nil, err
	}
	a.man = m
	if a.enabling {
		a.enabling = false
		a.tempIncr = ""
		a.on = true
	}
	a.baseSize = baseSize
	a.size = baseSize + a.fileSize
	return history, nil
}

// aofAutoRewrite starts a rewrite when the AOF grew by
// auto-aof-rewrite-percentage over its base and is over
// auto-aof-rewrite-min-size. Caller holds s.mu with no child running.
func (s *Server) aofAutoRewrite() {
	a := &s.persist.aof
	pct := int64(s.opts.AutoAOFRewritePercent)
	if !a.on || pct <= 0 || a.size < s.opts.AutoAOFRewriteMinSize {
		return
	}
	if !a.lastRewriteOK && s.timeNow().Sub(a.lastRewriteTry) < bgsaveRetryDelay {
		return
	}
	base := max(a.baseSize, 1)
	growth := a.size*100/base - 100
	if growth >= pct {
		s.log.Info(fmt.Sprintf("Starting automatic rewriting of AOF on %d%% growth", growth), zap.String("event", "aof-auto-rewrite"))
		if _, err := s.startAOFRewrite(); err != nil {
			s.log.Warn("Automatic AOF rewrite failed to start", zap.String("event", "aof-auto-rewrite-failed"), zap.Error(err))
		}
	}
}

// --- the command-form base --------------------------------------------------

// aofSink writes the walk as commands (aof-use-rdb-preamble no), in batches
// of 64 elements per command like Redis's rewrite.
type aofSink struct {
	buf  *bytes.Buffer
	b    []byte
	args [][]byte
}

const aofItemsPerCmd = 64

func (sk *aofSink) emit(args ...[]byte) {
	sk.b = resp.AppendCommand(sk.b[:0], args...)
	sk.buf.Write(sk.b)
}

func (sk *aofSink) selectDB(db, keys, expires int) error {
	sk.b = appendSelect(sk.b[:0], db)
	sk.buf.Write(sk.b)
	return nil
}

// batch emits cmd key items... in groups; items are already flat.
func (sk *aofSink) batch(cmd string, key []byte, items [][]byte, per int) {
	for len(items) > 0 {
		n := min(len(items), aofItemsPerCmd*per)
		sk.args = append(sk.args[:0], []byte(cmd), key)
		sk.args = append(sk.args, items[:n]...)
		sk.emit(sk.args...)
		items = items[n:]
	}
	clear(sk.args[:cap(sk.args)])
}

func (sk *aofSink) entry(key string, e *Entry) error {
	k := strBytes(key)
	var items [][]byte
	switch o := e.obj.(type) {
	case nil:
		sk.emit([]byte("SET"), k, e.str)
	case *List:
		o.Each(func(v []byte) bool {
			items = append(items, v)
			return true
		})
		sk.batch("RPUSH", k, items, 1)
	case *Set:
		o.Each(func(m []byte) bool {
			items = append(items, append([]byte(nil), m...))
			return true
		})
		sk.batch("SADD", k, items, 1)
	case *Hash:
		o.Each(func(f, v []byte) bool {
			items = append(items, f, v)
			return true
		})
		sk.batch("HMSET", k, items, 2)
	case *ZSet:
		o.Each(func(m []byte, score float64) bool {
			items = append(items, formatAOFScore(score), m)
			return true
		})
		sk.batch("ZADD", k, items, 2)
	default:
		return fmt.Errorf("cannot rewrite key %q: unsupported type %s", key, e.TypeName())
	}
	if e.expireAt != 0 {
		sk.emit([]byte("PEXPIREAT"), k, strconv.AppendInt(nil, e.expireAt, 10))
	}
	return nil
}

func (sk *aofSink) flush() error { return nil }
func (sk *aofSink) end() error   { return nil }

// formatAOFScore is rioWriteBulkDouble's %.17g, with Redis's inf spelling.
func formatAOFScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', 17, 64)
}
