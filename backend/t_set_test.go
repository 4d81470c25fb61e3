package backend

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

func setMembers(s *Set) []string {
	var out []string
	s.Each(func(m []byte) bool {
		out = append(out, string(m))
		return true
	})
	return out
}

func TestSetIntset(t *testing.T) {
	s := NewSetFromMembers(bs("3", "-1", "10", "3", "9223372036854775807", "-9223372036854775808"))
	if s.Encoding() != "intset" || s.Len() != 5 {
		t.Fatalf("encoding %s len %d", s.Encoding(), s.Len())
	}
	if got, want := strings.Join(setMembers(s), " "), "-9223372036854775808 -1 3 10 9223372036854775807"; got != want {
		t.Fatalf("members %q, want %q", got, want)
	}
	// Only canonical integers are intset members.
	for _, m := range []string{"03", "+3", "3.0", " 3", "-0", "abc", ""} {
		if s.Has([]byte(m)) {
			t.Errorf("Has(%q) on an intset", m)
		}
		if s.Remove([]byte(m)) {
			t.Errorf("Remove(%q) on an intset", m)
		}
	}
	if !s.Has([]byte("10")) || !s.Remove([]byte("10")) || s.Has([]byte("10")) {
		t.Fatal("remove of 10 failed")
	}
	if vals, ok := s.Ints(); !ok || !slices.Equal(vals, []int64{-9223372036854775808, -1, 3, 9223372036854775807}) {
		t.Fatalf("Ints = %v %v", vals, ok)
	}
	s.Add([]byte("03"), maxIntset(nil))
	if s.Encoding() != "hashtable" || !s.Has([]byte("03")) || !s.Has([]byte("3")) || s.Len() != 5 {
		t.Fatalf("after adding 03: %s %v", s.Encoding(), setMembers(s))
	}
	if _, ok := s.Ints(); ok {
		t.Fatal("Ints on a hashtable")
	}
}

func TestSetIntsetLimit(t *testing.T) {
	s := &Set{}
	for i := 0; i < 512; i++ {
		s.Add([]byte(fmt.Sprint(i*7)), 512)
	}
	if s.Encoding() != "intset" {
		t.Fatal("512 integers must stay an intset")
	}
	s.Add([]byte("0"), 512) // a duplicate does not count
	if s.Encoding() != "intset" {
		t.Fatal("a duplicate converted")
	}
	s.Add([]byte("1"), 512)
	if s.Encoding() != "hashtable" || s.Len() != 513 {
		t.Fatalf("513 integers: %s %d", s.Encoding(), s.Len())
	}
	for i := 0; i < 512; i++ {
		s.Remove([]byte(fmt.Sprint(i * 7)))
	}
	if s.Encoding() != "hashtable" || s.Len() != 1 {
		t.Fatal("a set must not convert back to intset in place")
	}
	opts := DefaultOptions()
	opts.SetMaxIntsetEntries = 2
	if NewSetFromInts(opts, []int64{1, 2}).Encoding() != "intset" || NewSetFromInts(opts, []int64{1, 2, 3}).Encoding() != "hashtable" {
		t.Fatal("set-max-intset-entries not applied")
	}
}

func TestSetHashtableOps(t *testing.T) {
	s := &Set{}
	ref := map[string]bool{}
	limit := maxIntset(nil)
	for i := 0; i < 5000; i++ {
		m := fmt.Sprint("m", rand.IntN(300))
		switch rand.IntN(3) {
		case 0:
			if s.Remove([]byte(m)) != ref[m] {
				t.Fatalf("Remove(%s) disagrees", m)
			}
			delete(ref, m)
		case 1:
			if s.Len() > 0 {
				j := rand.IntN(s.Len())
				delete(ref, string(s.at(j, nil)))
				s.removeAt(j)
			}
		default:
			if s.Add([]byte(m), limit) == ref[m] {
				t.Fatalf("Add(%s) disagrees", m)
			}
			ref[m] = true
		}
	}
	if s.Len() != len(ref) {
		t.Fatalf("len %d, want %d", s.Len(), len(ref))
	}
	for _, m := range setMembers(s) {
		if !ref[m] {
			t.Fatalf("stray member %s", m)
		}
	}
	for m := range ref {
		if !s.Has([]byte(m)) {
			t.Fatalf("missing member %s", m)
		}
	}
}

func TestSetCloneIsIndependent(t *testing.T) {
	for _, members := range [][][]byte{bs("1", "2", "3"), bs("a", "b", "c")} {
		s := NewSetFromMembers(members)
		c := s.Clone().(*Set)
		c.Remove(members[0])
		c.Add([]byte("x"), 512)
		if s.Len() != 3 || !s.Has(members[0]) || s.Has([]byte("x")) {
			t.Fatalf("original changed: %v", setMembers(s))
		}
	}
}

func TestSetPropagation(t *testing.T) {
	s, addr := startTestServer(t, nil)
	prop := recordPropagation(s)
	c := testutil.Dial(t, addr)
	do := func(args ...string) string {
		t.Helper()
		return string(c.Do(args...))
	}
	do("SADD", "one", "x")
	do("SADD", "one", "x") // no change: not propagated
	if r := do("SPOP", "one"); r != "$1\r\nx\r\n" {
		t.Fatalf("SPOP: %q", r)
	}
	do("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	do("SPOP", "s", "2")  // few: popped one by one
	do("SPOP", "s", "7")  // most: the kept ones are picked instead
	do("SPOP", "s", "10") // everything: a DEL
	do("SRANDMEMBER", "s", "3")
	do("SINTERSTORE", "dst", "nokey") // nothing to delete: not propagated
	do("SREM", "nokey", "a")
	got := prop.get()
	want := []string{"0 SADD one x", "0 SREM one x", "0 SADD s 1 2 3 4 5 6 7 8 9 10"}
	if len(got) < len(want) || !slices.Equal(got[:3], want) {
		t.Fatalf("propagated %q", got)
	}
	// Two SPOPs with counts, each MULTI + one SREM per member + EXEC, then
	// a DEL for the one member left.
	rest := got[3:]
	removed := map[string]bool{}
	i := 0
	for _, n := range []int{2, 7} {
		if i+n+2 > len(rest) || rest[i] != "0 MULTI" || rest[i+n+1] != "0 EXEC" {
			t.Fatalf("SPOP %d not wrapped in MULTI/EXEC: %q", n, rest)
		}
		for _, l := range rest[i+1 : i+n+1] {
			m, ok := strings.CutPrefix(l, "0 SREM s ")
			if !ok || removed[m] {
				t.Fatalf("bad SREM line %q in %q", l, rest)
			}
			removed[m] = true
		}
		i += n + 2
	}
	if len(rest) != i+1 || rest[i] != "0 DEL s" || len(removed) != 9 {
		t.Fatalf("tail %q (removed %d)", rest[i:], len(removed))
	}
}
