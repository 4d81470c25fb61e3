package routing

import (
	"math/rand"
	"strings"
	"testing"
)

// refLookup is Lookup written the obvious way, over a map, to check the
// hash index against.
type refIndex struct {
	byName     map[string]Info
	containers map[string]bool
}

func newRefIndex() *refIndex {
	r := &refIndex{byName: map[string]Info{}, containers: map[string]bool{}}
	for _, info := range Commands() {
		r.byName[info.Name] = info
		if p, _, ok := strings.Cut(info.Name, "|"); ok {
			r.containers[p] = true
		}
	}
	return r
}

func asciiLower(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

func (r *refIndex) lookup(name, sub []byte) Info {
	n := asciiLower(name)
	info, ok := r.byName[n]
	if !ok || strings.Contains(n, "|") {
		return unknown
	}
	if !r.containers[n] || len(sub) == 0 {
		return info
	}
	s := asciiLower(sub)
	if strings.Contains(s, "|") {
		return unknown
	}
	if info, ok := r.byName[n+"|"+s]; ok {
		return info
	}
	return unknown
}

// mutate returns a variant of s: re-cased, cut, extended, or with a byte
// changed, the inputs most likely to expose a hash or compare slip.
func mutate(rng *rand.Rand, s string) []byte {
	b := []byte(s)
	for i := range b {
		if rng.Intn(2) == 0 && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	switch rng.Intn(8) {
	case 0:
		if len(b) > 0 {
			b = b[:rng.Intn(len(b))]
		}
	case 1:
		b = append(b, byte(rng.Intn(256)))
	case 2:
		if len(b) > 0 {
			b[rng.Intn(len(b))] ^= 1 << rng.Intn(8)
		}
	case 3:
		if len(b) > 0 {
			b[rng.Intn(len(b))] ^= 0x20 // the folding bit on any byte
		}
	}
	return b
}

func TestLookupMatchesMap(t *testing.T) {
	ref := newRefIndex()
	all := Commands()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		a := all[rng.Intn(len(all))]
		p, s, _ := strings.Cut(a.Name, "|")
		if s == "" && rng.Intn(3) == 0 {
			// A top-level name with some table subcommand.
			_, s, _ = strings.Cut(all[rng.Intn(len(all))].Name, "|")
		}
		name, sub := mutate(rng, p), mutate(rng, s)
		if rng.Intn(10) == 0 {
			sub = nil
		}
		if got, want := Lookup(name, sub), ref.lookup(name, sub); got != want {
			t.Fatalf("Lookup(%q, %q) = %+v, want %+v", name, sub, got, want)
		}
	}
}

func FuzzLookup(f *testing.F) {
	for _, seed := range [][2]string{{"GET", ""}, {"client", "SETNAME"}, {"client|setname", ""},
		{"CONFIG", "get"}, {"xreadgroup", ""}, {"georadiusbymember_ro", ""}, {"g\xc5t", ""}, {"CLIENT", "no-evict"}} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	ref := newRefIndex()
	f.Fuzz(func(t *testing.T, name, sub []byte) {
		if got, want := Lookup(name, sub), ref.lookup(name, sub); got != want {
			t.Fatalf("Lookup(%q, %q) = %+v, want %+v", name, sub, got, want)
		}
	})
}
