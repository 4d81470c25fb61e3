package backend

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// checkAOF runs redis-check-aof on the manifest when it is installed.
func checkAOF(t testing.TB, manifest string) {
	t.Helper()
	checkWithRedisTool(t, "redis-check-aof", manifest, "All AOF files and manifest are valid")
}

func readManifest(t testing.TB, dir string) aofManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func aofFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "appendonlydir"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// stopServer shuts an in-process server down and waits for its
// persistence to finish, so another can start on the same directory.
func stopServer(t testing.TB, s *Server) {
	t.Helper()
	s.Shutdown()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	s.mu.Lock()
	done := s.persist.loopDone
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("persistence did not stop")
	}
}

// TestAOFRoundTrip writes every type through an AOF node (RDB-preamble
// and command bases), rewrites it, writes more (a transaction, expiries,
// deletions), and checks redis-check-aof accepts the directory and a
// restarted node has the same data.
func TestAOFRoundTrip(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run(fmt.Sprintf("preamble=%v", preamble), func(t *testing.T) {
			dir := t.TempDir()
			tweak := func(o *Options) { o.AppendOnly, o.AOFUseRDBPreamble, o.Save = true, preamble, nil }
			s, addr := startPersistServer(t, dir, tweak)
			m := readManifest(t, dir)
			base := "appendonly.aof.1.base.aof"
			if preamble {
				base = "appendonly.aof.1.base.rdb"
			}
			if m.base == nil || m.base.name != base || len(m.incrs) != 1 || m.incrs[0].name != "appendonly.aof.1.incr.aof" {
				t.Fatalf("manifest on first start: %q", m.String())
			}
			fillAllTypes(t, addr)
			rc := dialRESP(t, addr)
			if v := rc.must(t, "BGREWRITEAOF"); v != "Background append only file rewriting started" {
				t.Fatalf("BGREWRITEAOF: %v", v)
			}
			waitPersistIdle(t, rc)
			m = readManifest(t, dir)
			if m.base == nil || m.base.seq != 2 || len(m.incrs) != 1 || m.incrs[0].seq != 2 {
				t.Fatalf("manifest after rewrite: %q", m.String())
			}
			// History files go after the rewrite is reported done, in the
			// background as in Redis.
			testutil.WaitFor(t, 10*time.Second, 5*time.Millisecond, func() (bool, string) {
				files := aofFiles(t, dir)
				return len(files) == 3, fmt.Sprintf("old files not removed: %v", files)
			})
			rc.must(t, "SELECT", "1")
			rc.must(t, "MULTI")
			rc.must(t, "INCR", "counter")
			rc.must(t, "LPUSH", "list:small", "pushed")
			rc.must(t, "EXEC")
			rc.must(t, "SET", "ttl", "x", "EX", "3600")
			rc.must(t, "DEL", "hash:big")
			rc.must(t, "SELECT", "5")
			rc.must(t, "ZINCRBY", "zset:big", "0.5", "m3")
			rc.must(t, "HINCRBYFLOAT", "hash:small", "f2", "0.25")
			rc.must(t, "SPOP", "set:strings")
			want := dumpRESP(t, addr, 16)
			checkAOF(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
			stopServer(t, s)

			_, addr2 := startPersistServer(t, dir, tweak)
			compareDumps(t, "restart from the AOF", want, dumpRESP(t, addr2, 16))
		})
	}
}

// TestAOFInteropWithRedis: real redis-server 7.0 loads warden's AOF
// directory with identical data, and warden loads one written by Redis.
func TestAOFInteropWithRedis(t *testing.T) {
	testutil.RequireBinary(t, "redis-server")
	t.Run("warden-to-redis", func(t *testing.T) {
		dir := t.TempDir()
		tweak := func(o *Options) { o.AppendOnly, o.Save = true, nil }
		s, addr := startPersistServer(t, dir, tweak)
		fillAllTypes(t, addr)
		rc := dialRESP(t, addr)
		rc.must(t, "BGREWRITEAOF")
		waitPersistIdle(t, rc)
		rc.must(t, "SET", "after-rewrite", "1")
		rc.must(t, "RPUSH", "list:small", "tail")
		want := dumpRESP(t, addr, 16)
		stopServer(t, s)
		r := testutil.StartRedis(t, "--dir", dir, "--appendonly", "yes")
		compareDumps(t, "real redis loading warden's AOF", want, dumpRESP(t, r.Addr(), 16))
	})
	t.Run("redis-to-warden", func(t *testing.T) {
		r := testutil.StartRedis(t, "--appendonly", "yes")
		fillAllTypes(t, r.Addr())
		rc := dialRESP(t, r.Addr())
		rc.must(t, "BGREWRITEAOF")
		testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
			v := persistInfo(t, rc, "aof_rewrite_in_progress") + persistInfo(t, rc, "aof_rewrite_scheduled")
			return v == "00", v
		})
		rc.must(t, "SELECT", "1")
		rc.must(t, "INCR", "after")
		rc.must(t, "MULTI")
		rc.must(t, "LPOP", "list:small")
		rc.must(t, "HDEL", "hash:small", "f1")
		rc.must(t, "EXEC")
		want := dumpRESP(t, r.Addr(), 16)
		dir := t.TempDir()
		if out, err := exec.Command("cp", "-r", filepath.Join(r.Dir(), "appendonlydir"), dir).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		_, addr := startPersistServer(t, dir, func(o *Options) { o.AppendOnly = true })
		compareDumps(t, "warden loading redis's AOF", want, dumpRESP(t, addr, 16))
	})
}

// TestAOFTruncatedTail: a torn last command is cut off with
// aof-load-truncated yes (and the file truncated so appends follow whole
// commands); with no, the node refuses to start. An unfinished MULTI is
// reverted.
func TestAOFTruncatedTail(t *testing.T) {
	setup := func(t *testing.T) (dir, incr string) {
		dir = t.TempDir()
		s, addr := startPersistServer(t, dir, func(o *Options) { o.AppendOnly, o.Save = true, nil })
		rc := dialRESP(t, addr)
		for i := 0; i < 10; i++ {
			rc.must(t, "SET", fmt.Sprint("k", i), "v")
		}
		stopServer(t, s)
		return dir, filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	}
	for _, tail := range []string{
		"*3\r\n$3\r\nSET\r\n$3\r\nbad\r\n$5\r\nval",
		"*3\r\n$3\r\nSET\r\n$3\r\nba",
		"*3\r\n",
		"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$3\r\nbad\r\n$1\r\nv\r\n",
	} {
		t.Run(fmt.Sprintf("%q", tail), func(t *testing.T) {
			dir, incr := setup(t)
			whole, _ := os.ReadFile(incr)
			os.WriteFile(incr, append(slices.Clone(whole), tail...), 0o644)

			s := newServerOn(t, dir, func(o *Options) { o.AppendOnly, o.AOFLoadTruncated = true, false })
			if err := s.Start(); err == nil {
				s.Shutdown()
				t.Fatalf("started with aof-load-truncated no over a torn AOF")
			} else if !strings.Contains(err.Error(), "Unexpected end of file") {
				t.Fatalf("error: %v", err)
			}

			_, addr := startPersistServer(t, dir, func(o *Options) { o.AppendOnly, o.AOFLoadTruncated = true, true })
			rc := dialRESP(t, addr)
			if v := rc.must(t, "DBSIZE"); v != int64(10) {
				t.Fatalf("DBSIZE = %v, want 10", v)
			}
			if got, _ := os.ReadFile(incr); len(got) != len(whole) {
				t.Fatalf("incr file is %d bytes after truncation, want %d", len(got), len(whole))
			}
			rc.must(t, "SET", "after", "1")
			checkAOF(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
		})
	}
	t.Run("bad-format", func(t *testing.T) {
		dir, incr := setup(t)
		f, _ := os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("garbage\r\n*1\r\n$4\r\nPING\r\n")
		f.Close()
		s := newServerOn(t, dir, func(o *Options) { o.AppendOnly = true })
		if err := s.Start(); err == nil || !strings.Contains(err.Error(), "Bad file format") {
			if err == nil {
				s.Shutdown()
			}
			t.Fatalf("start over a corrupt AOF: %v", err)
		}
	})
}

// TestConfigSetAppendonly turns the AOF on at run time (which rewrites,
// as in Redis) and off again.
func TestConfigSetAppendonly(t *testing.T) {
	dir := t.TempDir()
	s, addr := startPersistServer(t, dir, func(o *Options) { o.Save = nil })
	fillStringKeys(t, s, 0, 2000, "k")
	rc := dialRESP(t, addr)
	release := pauseWalks(t)
	if v := rc.must(t, "CONFIG", "SET", "appendonly", "yes"); v != "OK" {
		t.Fatalf("CONFIG SET appendonly yes: %v", v)
	}
	if v := persistInfo(t, rc, "aof_rewrite_in_progress"); v != "1" {
		t.Fatalf("aof_rewrite_in_progress = %s", v)
	}
	// Written while the first rewrite runs: must end up in the AOF.
	rc.must(t, "SET", "during", "rewrite")
	rc.must(t, "DEL", "k1")
	release()
	waitPersistIdle(t, rc)
	m := readManifest(t, dir)
	if m.base == nil || len(m.incrs) != 1 {
		t.Fatalf("manifest: %q", m.String())
	}
	if v := persistInfo(t, rc, "aof_enabled"); v != "1" {
		t.Fatalf("aof_enabled = %s", v)
	}
	rc.must(t, "SET", "after", "rewrite")
	want := dumpRESP(t, addr, 16)
	checkAOF(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))

	rc.must(t, "CONFIG", "SET", "appendonly", "no")
	rc.must(t, "SET", "not-logged", "1")
	stopServer(t, s)
	_, addr2 := startPersistServer(t, dir, func(o *Options) { o.AppendOnly = true })
	compareDumps(t, "restart from the AOF enabled at run time", want, dumpRESP(t, addr2, 16))
}

// TestAOFRewriteUnderWrites hammers the node while a slowed rewrite runs:
// the new base plus the incr file opened when it started must hold every
// write.
func TestAOFRewriteUnderWrites(t *testing.T) {
	dir := t.TempDir()
	tweak := func(o *Options) { o.AppendOnly, o.Save = true, nil }
	s, addr := startPersistServer(t, dir, tweak)
	n := 10000
	if testing.Short() {
		n = 2000
	}
	fillMixed(s, n)
	rc := dialRESP(t, addr)
	rc.must(t, "BGREWRITEAOF") // base holds the fill
	waitPersistIdle(t, rc)
	hook := func() { time.Sleep(time.Millisecond) }
	snapshotChunkHook.Store(&hook)
	t.Cleanup(func() { snapshotChunkHook.Store(nil) })
	stop := make(chan struct{})
	wait := hammerWrites(t, addr, stop)
	time.Sleep(20 * time.Millisecond)
	rc.must(t, "BGREWRITEAOF")
	waitPersistIdle(t, rc)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	ops := wait()
	snapshotChunkHook.Store(nil)
	s.Lock()
	want := canonicalLive(s)
	s.Unlock()
	t.Logf("%d writes around the rewrite", ops)
	checkAOF(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	stopServer(t, s)
	s2, _ := startPersistServer(t, dir, tweak)
	s2.Lock()
	got := canonicalLive(s2)
	s2.Unlock()
	compareDumps(t, "AOF after a rewrite under writes", want, got)
}

// TestAOFUpgradeOldStyle: a Redis 6 style single appendonly.aof in dir is
// moved into the AOF directory and loaded.
func TestAOFUpgradeOldStyle(t *testing.T) {
	dir := t.TempDir()
	old := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n"
	os.WriteFile(filepath.Join(dir, "appendonly.aof"), []byte(old), 0o644)
	_, addr := startPersistServer(t, dir, func(o *Options) { o.AppendOnly = true })
	rc := dialRESP(t, addr)
	if v := rc.must(t, "GET", "old"); v != "style" {
		t.Fatalf("GET old = %v", v)
	}
	m := readManifest(t, dir)
	if m.base == nil || m.base.name != "appendonly.aof" || len(m.incrs) != 1 {
		t.Fatalf("manifest after upgrade: %q", m.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof")); err == nil {
		t.Fatalf("old AOF left in dir")
	}
	checkAOF(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
}

func TestManifestParse(t *testing.T) {
	m, err := parseManifest([]byte("# comment\nfile appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nseq 4 type i file \"app endonly.aof.4.incr.aof\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.base.name != "appendonly.aof.3.base.rdb" || len(m.incrs) != 1 || m.incrs[0].name != "app endonly.aof.4.incr.aof" {
		t.Fatalf("parsed %+v", m)
	}
	if got := m.String(); got != "file appendonly.aof.3.base.rdb seq 3 type b\nfile \"app endonly.aof.4.incr.aof\" seq 4 type i\n" {
		t.Fatalf("formatted %q", got)
	}
	for _, bad := range []string{"", "file a seq 1\n", "file a seq x type b\n", "file a seq 1 type z\n",
		"file a seq 2 type i\nfile b seq 1 type i\n", "file a seq 1 type b\nfile b seq 2 type b\n", "file \"a seq 1 type b\n"} {
		if _, err := parseManifest([]byte(bad)); err == nil {
			t.Errorf("parsed bad manifest %q", bad)
		}
	}
}

// TestAOFAutoRewrite: the AOF is rewritten on its own once it grows past
// auto-aof-rewrite-min-size by auto-aof-rewrite-percentage.
func TestAOFAutoRewrite(t *testing.T) {
	dir := t.TempDir()
	_, addr := startPersistServer(t, dir, func(o *Options) {
		o.AppendOnly, o.Save = true, nil
		o.AutoAOFRewriteMinSize, o.AutoAOFRewritePercent = 64<<10, 100
	})
	rc := dialRESP(t, addr)
	for i := 0; i < 2000; i++ {
		rc.must(t, "SET", "key", strings.Repeat("x", 100))
	}
	testutil.WaitFor(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		v := persistInfo(t, rc, "aof_rewrites")
		return v != "0", "aof_rewrites " + v
	})
	waitPersistIdle(t, rc)
	// The data is one key, so the rewritten base is tiny (the writes
	// since the rewrite are in the incr file).
	if size, _ := strconv.Atoi(persistInfo(t, rc, "aof_base_size")); size == 0 || size > 1000 {
		t.Fatalf("aof_base_size after the rewrite: %d", size)
	}
}

// TestDebugLoadAOF: DEBUG LOADAOF replays the AOF into an emptied dataset.
func TestDebugLoadAOF(t *testing.T) {
	_, addr := startPersistServer(t, "", func(o *Options) { o.AppendOnly, o.EnableDebugCommand = true, "yes" })
	fillAllTypes(t, addr)
	want := dumpRESP(t, addr, 16)
	rc := dialRESP(t, addr)
	if v := rc.must(t, "DEBUG", "LOADAOF"); v != "OK" {
		t.Fatalf("DEBUG LOADAOF: %v", v)
	}
	compareDumps(t, "after DEBUG LOADAOF", want, dumpRESP(t, addr, 16))
	rc.must(t, "SET", "more", "1")
	want["0/\"more\""] = "string|-1|\"1\""
	rc.must(t, "DEBUG", "LOADAOF")
	compareDumps(t, "after a second DEBUG LOADAOF", want, dumpRESP(t, addr, 16))
}
