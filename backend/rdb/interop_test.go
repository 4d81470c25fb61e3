package rdb

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/testutil"
)

// These tests use Debian's redis-server 7.0 and redis-check-rdb as the
// oracle for the format, in both directions.

func needRedis(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("interop with redis-server skipped in -short mode")
	}
	for _, bin := range []string{"redis-server", "redis-check-rdb"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not on PATH: skipping interop test with real Redis", bin)
		}
	}
}

// resp is a minimal RESP2 client, enough to drive and inspect a server.
type resp struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

type respError string

func (e respError) Error() string { return string(e) }

func (c *resp) send(args ...string) (any, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.conn.Write(b.Bytes()); err != nil {
		return nil, err
	}
	return c.read()
}

// do sends a command and fails the test on any error.
func (c *resp) do(args ...string) any {
	c.t.Helper()
	v, err := c.send(args...)
	if err != nil {
		c.t.Fatalf("%.80q: %v", args, err)
	}
	return v
}

func (c *resp) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown reply type %q", line)
}

// withT returns a client reporting failures to t (for subtests).
func (c *resp) withT(t *testing.T) *resp {
	cp := *c
	cp.t = t
	return &cp
}

func (c *resp) str(args ...string) string {
	c.t.Helper()
	s, _ := c.do(args...).(string)
	return s
}

func (c *resp) strs(args ...string) []string {
	c.t.Helper()
	arr, _ := c.do(args...).([]any)
	out := make([]string, len(arr))
	for i, v := range arr {
		out[i], _ = v.(string)
	}
	return out
}

func (c *resp) int(args ...string) int64 {
	c.t.Helper()
	n, _ := c.do(args...).(int64)
	return n
}

func freePort(t *testing.T) int { return testutil.FreePort(t) }

// startRedis starts a private redis-server on a free loopback port with
// its data directory in dir, waits until it answers PING with PONG (it may
// first be LOADING), and arranges for it to be killed.
func startRedis(t *testing.T, dir string, extra ...string) *resp {
	t.Helper()
	port := freePort(t)
	logPath := filepath.Join(dir, "redis.log")
	args := append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--logfile", logPath, "--databases", "16",
	}, extra...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("redis-server pid %d did not exit", cmd.Process.Pid)
		}
	})
	logTail := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		return string(b)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // let Cleanup see it
			t.Fatalf("redis-server exited (%v); log:\n%s", err, logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d not ready in time; log:\n%s", port, logTail())
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		c := &resp{t: t, conn: conn, r: bufio.NewReader(conn)}
		t.Cleanup(func() { conn.Close() })
		for time.Now().Before(deadline) {
			v, err := c.send("PING")
			if err == nil && v == "PONG" {
				return c
			}
			if err != nil && !strings.HasPrefix(err.Error(), "LOADING") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		conn.Close()
	}
}

// checkRDB runs redis-check-rdb on path and fails the test unless it
// reports the file as OK.
func checkRDB(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command("redis-check-rdb", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb %s: %v\n%s", path, err, out)
	}
}

// verifyInRedis compares a server's contents with dbs through commands.
func verifyInRedis(t *testing.T, c *resp, dbs []dbItems) {
	t.Helper()
	for _, db := range dbs {
		c.do("SELECT", strconv.Itoa(db.db))
		if n := c.int("DBSIZE"); n != int64(len(db.items)) {
			t.Errorf("db %d: DBSIZE %d, want %d", db.db, n, len(db.items))
		}
		for _, it := range db.items {
			got := it
			got.str, got.elems, got.values, got.scores = nil, nil, nil, nil
			if typ := c.str("TYPE", it.key); typ != it.kind {
				t.Errorf("db %d key %q: TYPE %s, want %s", db.db, it.key, typ, it.kind)
				continue
			}
			if it.wantEnc != "" {
				if enc := c.str("OBJECT", "ENCODING", it.key); enc != it.wantEnc {
					t.Errorf("db %d key %q: encoding %s, want %s", db.db, it.key, enc, it.wantEnc)
				}
			}
			switch it.kind {
			case "string":
				got.str = []byte(c.str("GET", it.key))
			case "list":
				got.elems = bs(c.strs("LRANGE", it.key, "0", "-1")...)
			case "set":
				got.elems = bs(c.strs("SMEMBERS", it.key)...)
			case "hash":
				flat := c.strs("HGETALL", it.key)
				for i := 0; i+1 < len(flat); i += 2 {
					got.elems = append(got.elems, []byte(flat[i]))
					got.values = append(got.values, []byte(flat[i+1]))
				}
			case "zset":
				flat := c.strs("ZRANGE", it.key, "0", "-1", "WITHSCORES")
				for i := 0; i+1 < len(flat); i += 2 {
					s, err := strconv.ParseFloat(flat[i+1], 64)
					if err != nil {
						t.Errorf("key %q: score %q", it.key, flat[i+1])
					}
					got.elems = append(got.elems, []byte(flat[i]))
					got.scores = append(got.scores, s)
				}
				// Redis returns (score, member) order: check it too.
				want := canonical(it)
				if plain := canonicalOrdered(got); plain != want {
					t.Errorf("db %d key %q: ZRANGE order\n got %.300s\nwant %.300s", db.db, it.key, plain, want)
				}
			}
			got.expire = c.int("PEXPIRETIME", it.key)
			if got.expire == -1 {
				got.expire = NoExpiry
			}
			if g, w := canonical(got), canonical(it); g != w {
				t.Errorf("db %d key %q:\n got %.300s\nwant %.300s", db.db, it.key, g, w)
			}
		}
	}
}

// canonicalOrdered describes a zset in the order given, without sorting.
func canonicalOrdered(it item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q exp=%d ", it.kind, it.key, it.expire)
	for i := range it.elems {
		fmt.Fprintf(&b, "%q:%s,", it.elems[i], scoreText(it.scores[i]))
	}
	return b.String()
}

// TestInteropEncoderToRedis writes every type with our encoder and has
// redis-check-rdb and redis-server 7.0 load it.
func TestInteropEncoderToRedis(t *testing.T) {
	needRedis(t)
	future := time.Now().Add(24*time.Hour).UnixMilli() / 1000 * 1000
	dbs := testDataset(future)
	for _, opts := range []EncoderOptions{
		{Checksum: true},
		{Compress: true, Checksum: true, ListPackedThreshold: 4096},
		{Compress: true, ListMaxListpackSize: 7},
	} {
		t.Run(fmt.Sprintf("compress=%v,checksum=%v,packed=%d,fill=%d", opts.Compress, opts.Checksum,
			opts.ListPackedThreshold, opts.ListMaxListpackSize), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "dump.rdb")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			writeDataset(t, NewEncoder(f, opts), dbs)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			checkRDB(t, path)
			c := startRedis(t, dir, "--sanitize-dump-payload", "yes")
			verifyInRedis(t, c, dbs)
			if got := c.str("FCALL", "wardenhello", "0"); got != "hi" {
				t.Errorf("function library not loaded: FCALL returned %q", got)
			}
		})
	}
}

// TestInteropLegacyToRedis has redis-server 7.0 load the legacy encodings
// (types 1, 3, 9, 10, 12, 13, 14; EXPIRETIME in seconds; versions without
// a checksum) written by the test helpers, and checks it sees what our
// decoder sees.
func TestInteropLegacyToRedis(t *testing.T) {
	needRedis(t)
	future := time.Now().Add(24 * time.Hour).UnixMilli()
	for _, version := range []int{4, 9} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			dir := t.TempDir()
			data, want := writeLegacyFile(t, version, future, version == 9)
			c := newCollector()
			if err := NewDecoder(bytes.NewReader(data)).Decode(c); err != nil {
				t.Fatal(err)
			}
			compareDecoded(t, c, want)
			path := filepath.Join(dir, "dump.rdb")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			checkRDB(t, path)
			verifyInRedis(t, startRedis(t, dir, "--sanitize-dump-payload", "yes"), want)
		})
	}
}

// populate creates dbs in a live server through ordinary commands.
func populate(t *testing.T, c *resp, dbs []dbItems) {
	t.Helper()
	for _, db := range dbs {
		c.do("SELECT", strconv.Itoa(db.db))
		for _, it := range db.items {
			args := []string{}
			switch it.kind {
			case "string":
				args = []string{"SET", it.key, string(it.str)}
			case "list":
				args = append([]string{"RPUSH", it.key}, strs(it.elems)...)
			case "set":
				args = append([]string{"SADD", it.key}, strs(it.elems)...)
			case "hash":
				args = []string{"HSET", it.key}
				for i := range it.elems {
					args = append(args, string(it.elems[i]), string(it.values[i]))
				}
			case "zset":
				args = []string{"ZADD", it.key}
				for i := range it.elems {
					args = append(args, strconv.FormatFloat(it.scores[i], 'g', -1, 64), string(it.elems[i]))
				}
			}
			c.do(args...)
			if it.expire > 0 {
				c.do("PEXPIREAT", it.key, strconv.FormatInt(it.expire, 10))
			}
		}
	}
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i := range b {
		out[i] = string(b[i])
	}
	return out
}

// TestInteropRedisToDecoder has redis-server 7.0 build every type through
// commands, in compact and plain encodings, SAVE it under several settings
// and decodes each dump with our decoder.
func TestInteropRedisToDecoder(t *testing.T) {
	needRedis(t)
	future := time.Now().Add(24*time.Hour).UnixMilli() / 1000 * 1000
	dbs := testDataset(future)
	dir := t.TempDir()
	c := startRedis(t, dir, "--list-compress-depth", "1", "--rdbcompression", "yes")
	populate(t, c, dbs)
	verifyInRedis(t, c, dbs) // the encodings we expect are really the ones Redis chose
	code := "#!lua name=warden\nredis.register_function('hello', function() return 'hi' end)"
	c.do("FUNCTION", "LOAD", code)

	path := filepath.Join(dir, "dump.rdb")
	for _, step := range []struct {
		name   string
		config []string
		check  func(t *testing.T, col *collector, data []byte)
	}{
		{"default", nil, func(t *testing.T, _ *collector, data []byte) {
			if binaryTail(data) == 0 {
				t.Error("expected a checksum")
			}
		}},
		{"lru", []string{"maxmemory-policy", "allkeys-lru"}, func(t *testing.T, col *collector, _ []byte) {
			if info, ok := col.infos["s:plain"]; !ok || info[0] < 0 || info[1] != -1 {
				t.Errorf("IDLE not reported: %v", col.infos["s:plain"])
			}
		}},
		{"lfu", []string{"maxmemory-policy", "allkeys-lfu"}, func(t *testing.T, col *collector, _ []byte) {
			if info, ok := col.infos["s:plain"]; !ok || info[1] < 0 || info[0] != -1 {
				t.Errorf("FREQ not reported: %v", col.infos["s:plain"])
			}
		}},
	} {
		t.Run(step.name, func(t *testing.T) {
			c := c.withT(t)
			for i := 0; i+1 < len(step.config); i += 2 {
				c.do("CONFIG", "SET", step.config[i], step.config[i+1])
			}
			c.do("SAVE")
			col, data := decodeRedisDump(t, path, dbs, code)
			step.check(t, col, data)
		})
	}

	// rdbchecksum cannot be changed at run time: a second server writes
	// the uncompressed, unchecksummed variant.
	t.Run("nocompress-nochecksum", func(t *testing.T) {
		dir := t.TempDir()
		c := startRedis(t, dir, "--rdbcompression", "no", "--rdbchecksum", "no")
		populate(t, c, dbs)
		c.do("FUNCTION", "LOAD", code)
		c.do("SAVE")
		_, data := decodeRedisDump(t, filepath.Join(dir, "dump.rdb"), dbs, code)
		if binaryTail(data) != 0 {
			t.Error("expected a zero checksum")
		}
	})
}

// decodeRedisDump decodes a dump written by Redis and compares it with dbs.
func decodeRedisDump(t *testing.T, path string, dbs []dbItems, code string) (*collector, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	col := newCollector()
	d := NewDecoder(bytes.NewReader(data))
	if err := d.Decode(col); err != nil {
		t.Fatalf("decoding Redis's dump: %v", err)
	}
	if len(d.Buffered()) != 0 {
		t.Errorf("%d bytes left after the RDB", len(d.Buffered()))
	}
	compareDecoded(t, col, dbs)
	if !strings.HasPrefix(col.aux["redis-ver"], "7.0") {
		t.Errorf("redis-ver aux = %q", col.aux["redis-ver"])
	}
	if col.aux["redis-bits"] != "64" {
		t.Errorf("redis-bits aux = %q", col.aux["redis-bits"])
	}
	if len(col.funcs) != 1 || col.funcs[0] != code {
		t.Errorf("functions = %q", col.funcs)
	}
	return col, data
}

func binaryTail(data []byte) uint64 { return leUint64(data[len(data)-8:]) }

// saveSeed writes data as a fuzz corpus file when WARDEN_RDB_WRITE_SEEDS is
// set; the committed corpus under testdata/fuzz/FuzzDecode came from here.
func saveSeed(t *testing.T, name string, data []byte) {
	if os.Getenv("WARDEN_RDB_WRITE_SEEDS") == "" {
		return
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInteropRedisSmallDump decodes small real dumps, one per compact
// encoding, and records them as fuzz seeds when asked.
func TestInteropRedisSmallDump(t *testing.T) {
	needRedis(t)
	dir := t.TempDir()
	c := startRedis(t, dir)
	path := filepath.Join(dir, "dump.rdb")
	scripts := map[string][][]string{
		"redis-string": {{"SET", "k", "v"}, {"SET", "n", "-12345"}, {"SET", "lzf", strings.Repeat("abc", 30)}, {"SET", "e", "x", "PX", "86400000"}},
		"redis-list":   {{"RPUSH", "l", "a", "1", "-70000", strings.Repeat("z", 70)}},
		"redis-intset": {{"SADD", "s", "1", "-2", "300000"}},
		"redis-set":    {{"SADD", "s", "a", "b"}},
		"redis-hash":   {{"HSET", "h", "f", "v", "n", "1"}},
		"redis-zset":   {{"ZADD", "z", "1", "a", "2.5", "b", "-inf", "c"}},
		"redis-dbs":    {{"SET", "a", "b"}, {"SELECT", "9"}, {"SET", "c", "d"}, {"SELECT", "0"}},
	}
	for name, script := range scripts {
		c.do("FLUSHALL")
		for _, cmd := range script {
			c.do(cmd...)
		}
		c.do("SAVE")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := NewDecoder(bytes.NewReader(data)).Decode(nopVisitor{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		saveSeed(t, name, data)
	}
}
