package backend

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

func hashPairs(h *Hash) string {
	var parts []string
	h.Each(func(f, v []byte) bool {
		parts = append(parts, string(f)+"="+string(v))
		return true
	})
	return strings.Join(parts, " ")
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestHashListpackOrder(t *testing.T) {
	lim := hashLimitsOf(nil)
	h := NewHashFromPairs(bs("a", "b", "c", "b"), bs("1", "2", "3", "22"))
	if got, want := hashPairs(h), "a=1 b=22 c=3"; got != want {
		t.Fatalf("pairs %q, want %q", got, want)
	}
	if h.Encoding() != "listpack" || h.Len() != 3 {
		t.Fatalf("encoding %s len %d", h.Encoding(), h.Len())
	}
	// An update stays in place; a delete closes the gap; a re-add goes last.
	h.store([]byte("a"), []byte("11"), lim)
	h.Delete([]byte("b"))
	h.store([]byte("b"), []byte("2"), lim)
	if got, want := hashPairs(h), "a=11 c=3 b=2"; got != want {
		t.Fatalf("pairs %q, want %q", got, want)
	}
	if h.Delete([]byte("zz")) {
		t.Fatal("deleted a missing field")
	}
	if v, ok := h.Get([]byte("c")); !ok || string(v) != "3" {
		t.Fatalf("Get c = %q %v", v, ok)
	}
}

func TestHashConversions(t *testing.T) {
	lim := hashLimitsOf(nil)
	max := DefaultOptions().HashMaxListpackEntries
	if max != 512 {
		t.Fatalf("hash-max-listpack-entries defaults to %d; Redis 7.0's is 512", max)
	}
	h := &Hash{}
	for i := 0; i < max; i++ {
		h.store([]byte(fmt.Sprint("f", i)), []byte("v"), lim)
	}
	if h.Encoding() != "listpack" {
		t.Fatalf("%d entries: %s", max, h.Encoding())
	}
	h.store([]byte("f0"), []byte("updated"), lim)
	if h.Encoding() != "listpack" {
		t.Fatal("an update of a short value converted")
	}
	h.store([]byte(fmt.Sprint("f", max)), []byte("v"), lim)
	if h.Encoding() != "hashtable" {
		t.Fatalf("%d entries: %s", max+1, h.Encoding())
	}
	for i := 1; i <= max; i++ {
		h.Delete([]byte(fmt.Sprint("f", i)))
	}
	if h.Encoding() != "hashtable" || h.Len() != 1 || hashPairs(h) != "f0=updated" {
		t.Fatalf("after deletes: %s %d %q", h.Encoding(), h.Len(), hashPairs(h))
	}

	long := strings.Repeat("x", 64)
	h2 := NewHashFromPairs(bs(long), bs(long))
	if h2.Encoding() != "listpack" {
		t.Fatal("64-byte strings must fit a listpack")
	}
	h2.store([]byte("a"), []byte(long+"y"), lim)
	if h2.Encoding() != "hashtable" {
		t.Fatal("a 65-byte value must convert")
	}
	h3 := NewHashFromPairs(bs(long+"y"), bs("v"))
	if h3.Encoding() != "hashtable" {
		t.Fatal("a 65-byte field must convert")
	}
	// Lower thresholds from the options.
	opts := DefaultOptions()
	opts.HashMaxListpackEntries = 2
	opts.HashMaxListpackValue = 3
	if NewHashFromPairsOpts(opts, bs("a", "b"), bs("1", "2")).Encoding() != "listpack" ||
		NewHashFromPairsOpts(opts, bs("a", "b", "c"), bs("1", "2", "3")).Encoding() != "hashtable" ||
		NewHashFromPairsOpts(opts, bs("abcd"), bs("1")).Encoding() != "hashtable" {
		t.Fatal("thresholds from options not applied")
	}
}

// TestHashTableOps checks the dense hashtable layout against a map under
// random stores and deletes.
func TestHashTableOps(t *testing.T) {
	lim := hashLimits{maxEntries: 0, maxValue: 64}
	h := &Hash{}
	ref := map[string]string{}
	for i := 0; i < 5000; i++ {
		f := fmt.Sprint(rand.IntN(300))
		if rand.IntN(3) == 0 {
			_, had := ref[f]
			if h.Delete([]byte(f)) != had {
				t.Fatalf("Delete(%s) disagrees with the reference", f)
			}
			delete(ref, f)
		} else {
			v := fmt.Sprint(i)
			_, had := ref[f]
			if h.store([]byte(f), []byte(v), lim) == had {
				t.Fatalf("store(%s) new=%v, reference had=%v", f, !had, had)
			}
			ref[f] = v
		}
	}
	if h.Encoding() != "hashtable" || h.Len() != len(ref) {
		t.Fatalf("encoding %s len %d, want hashtable %d", h.Encoding(), h.Len(), len(ref))
	}
	seen := 0
	h.Each(func(f, v []byte) bool {
		seen++
		if ref[string(f)] != string(v) {
			t.Fatalf("field %s = %s, want %s", f, v, ref[string(f)])
		}
		return true
	})
	if seen != len(ref) {
		t.Fatalf("Each saw %d, want %d", seen, len(ref))
	}
	for f, v := range ref {
		if got, ok := h.Get([]byte(f)); !ok || string(got) != v {
			t.Fatalf("Get(%s) = %q %v", f, got, ok)
		}
	}
}

func TestHashCloneIsIndependent(t *testing.T) {
	lim := hashLimitsOf(nil)
	for _, n := range []int{3, 200} {
		h := &Hash{}
		for i := 0; i < n; i++ {
			h.store([]byte(fmt.Sprint(i)), []byte("v"), lim)
		}
		c := h.Clone().(*Hash)
		c.store([]byte("0"), []byte("changed"), lim)
		c.Delete([]byte("1"))
		c.store([]byte("new"), []byte("x"), lim)
		if v, _ := h.Get([]byte("0")); string(v) != "v" {
			t.Fatalf("n=%d: original value changed to %q", n, v)
		}
		if _, ok := h.Get([]byte("1")); !ok || h.Len() != n {
			t.Fatalf("n=%d: original lost a field", n)
		}
		if _, ok := h.Get([]byte("new")); ok {
			t.Fatalf("n=%d: original gained a field", n)
		}
	}
}

func TestHashPropagation(t *testing.T) {
	s, addr := startTestServer(t, nil)
	prop := recordPropagation(s)
	c := testutil.Dial(t, addr)
	do := func(want string, args ...string) {
		t.Helper()
		if got := string(c.Do(args...)); got != want {
			t.Fatalf("%v: got %q, want %q", args, got, want)
		}
	}
	do(":2\r\n", "HSET", "h", "f", "1.5", "g", "x")
	do("$3\r\n1.6\r\n", "HINCRBYFLOAT", "h", "f", "0.1")
	do("-ERR hash value is not a float\r\n", "HINCRBYFLOAT", "h", "g", "1")
	do(":0\r\n", "HDEL", "h", "nope")
	do(":0\r\n", "HSETNX", "h", "f", "1")
	do(":5\r\n", "HINCRBY", "h", "n", "5")
	do(":0\r\n", "HSET", "h", "n", "5") // unchanged, but Redis propagates every HSET
	prop.expect(t,
		"0 HSET h f 1.5 g x",
		"0 HSET h f 1.6",
		"0 HINCRBY h n 5",
		"0 HSET h n 5",
	)
}
