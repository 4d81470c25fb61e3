package backend

import (
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

func TestObjectIdletimeAndFreqDecay(t *testing.T) {
	s, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	defer c.Close()
	c.Do("SET", "k", "v")
	if r := string(c.Do("OBJECT", "IDLETIME", "k")); r != ":0\r\n" && r != ":1\r\n" {
		t.Fatalf("fresh key IDLETIME = %q", r)
	}
	// Age the key by rewinding its access clock.
	s.Lock()
	s.DB(0).d.get("k").lru -= 300
	s.Unlock()
	if r := string(c.Do("OBJECT", "IDLETIME", "k")); r != ":300\r\n" && r != ":301\r\n" {
		t.Fatalf("aged key IDLETIME = %q", r)
	}
	// EXISTS and TYPE do not count as accesses; GET does.
	c.Do("EXISTS", "k")
	c.Do("TYPE", "k")
	if r := string(c.Do("OBJECT", "IDLETIME", "k")); r != ":300\r\n" && r != ":301\r\n" {
		t.Fatalf("IDLETIME after EXISTS/TYPE = %q", r)
	}
	c.Do("GET", "k")
	if r := string(c.Do("OBJECT", "IDLETIME", "k")); r != ":0\r\n" && r != ":1\r\n" {
		t.Fatalf("IDLETIME after GET = %q", r)
	}

	// Under an LFU policy the counter loses one per idle minute
	// (lfu-decay-time 1).
	s.Lock()
	s.opts.MaxMemPolicy = "allkeys-lfu"
	e := s.DB(0).d.get("k")
	e.freq = 10
	e.lru -= 3 * 60
	s.Unlock()
	if r := string(c.Do("OBJECT", "FREQ", "k")); r != ":7\r\n" {
		t.Fatalf("decayed FREQ = %q, want 7", r)
	}
	s.Lock()
	s.opts.LFUDecayTime = 0
	s.Unlock()
	if r := string(c.Do("OBJECT", "FREQ", "k")); r != ":10\r\n" {
		t.Fatalf("FREQ with decay off = %q, want 10", r)
	}
}

// TestMovedValuesKeepSnapshot checks that RENAME, MOVE, APPEND and COPY
// leave a running background save's view of the old keys intact.
func TestMovedValuesKeepSnapshot(t *testing.T) {
	s, addr := startTestServer(t, nil)
	c := testutil.Dial(t, addr)
	defer c.Close()
	c.Do("SET", "a", "abc")
	c.Do("APPEND", "a", "d") // a private, growable buffer now
	c.Do("SET", "b", "xyz")
	// Start a "save" of db 0: what preserve/preserveReplaced consult.
	s.Lock()
	s.snapGen++
	s.DB(0).d.pre = map[string]*Entry{}
	s.Unlock()

	c.Do("RENAME", "a", "a2")
	c.Do("APPEND", "a2", "e")
	c.Do("MOVE", "b", "1")
	// APPEND in db 1 through an internal client selected there.
	s.Lock()
	ic := newClient(s, nil)
	ic.db = s.DB(1)
	s.processCommand(ic, [][]byte{[]byte("APPEND"), []byte("b"), []byte("!")})
	s.Unlock()
	c.Do("COPY", "a2", "a3")
	c.Do("APPEND", "a3", "f")

	s.Lock()
	defer s.Unlock()
	pre := s.DB(0).d.pre
	if e := pre["a"]; e == nil || string(e.str) != "abcd" {
		t.Errorf("snapshot of a = %+v, want abcd", e)
	}
	if e := pre["b"]; e == nil || string(e.str) != "xyz" {
		t.Errorf("snapshot of b = %+v, want xyz", e)
	}
	// Keys born during the save are marked as already handled, so the
	// saver skips them (and finds no old value for them in pre).
	for _, k := range []string{"a2", "a3"} {
		if e := s.DB(0).d.get(k); e.snapGen != s.snapGen {
			t.Errorf("%s not marked for the running save", k)
		}
		if _, ok := pre[k]; ok {
			t.Errorf("snapshot has a value for %s, which did not exist", k)
		}
	}
	if got := string(s.DB(0).d.get("a2").str); got != "abcde" {
		t.Errorf("a2 = %q", got)
	}
	if got := string(s.DB(0).d.get("a3").str); got != "abcdef" {
		t.Errorf("a3 = %q", got)
	}
	if got := string(s.DB(1).d.get("b").str); got != "xyz!" {
		t.Errorf("b in db 1 = %q", got)
	}
}

func TestParseScanCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"123", 123, true}, {"+7", 7, true}, {"-1", 1<<64 - 1, true},
		{"18446744073709551615", 1<<64 - 1, true}, {"18446744073709551616", 0, false}, {" 1", 0, false},
		{"1 ", 0, false}, {"-", 0, false}, {"abc", 0, false}, {"0x10", 0, false},
		{"-18446744073709551615", 1, true}, {"5\x00junk", 5, true}, {"\x00", 0, true}, {"+", 0, false},
		{"1.0", 0, false}, {"--1", 0, false},
	} {
		got, ok := parseScanCursor([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFlushallSaveHook(t *testing.T) {
	s, addr := startTestServer(t, nil)
	calls := 0
	s.Lock()
	prev := flushallSaveHook
	flushallSaveHook = func(*Server) { calls++ }
	s.Unlock()
	t.Cleanup(func() { flushallSaveHook = prev })
	c := testutil.Dial(t, addr)
	defer c.Close()
	c.Do("SET", "k", "v")
	c.Do("FLUSHDB")
	c.Do("FLUSHALL", "ASYNC")
	c.Do("FLUSHALL", "bad")
	s.Lock()
	defer s.Unlock()
	if calls != 1 {
		t.Errorf("hook ran %d times, want 1 (FLUSHALL only)", calls)
	}
}
