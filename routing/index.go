package routing

import "fmt"

// The index is an open-addressing hash table over every command and
// subcommand, built once at init from commandTable. It exists so Lookup can
// fold case while hashing and comparing, straight from the client's bytes,
// without copying them into a lower-case key as a map[string] lookup would.
// A subcommand is keyed by its own name and its container's position in
// the table, so finding it never compares the container's name again.

// entry is one command or subcommand of the index.
type entry struct {
	key       string // lower-case name; for a subcommand its own part only
	hash      uint64
	parent    int32 // the container's index in entries for a subcommand, else -1
	container bool  // has subcommands: Lookup goes on to sub
	info      Info
}

type index struct {
	entries []entry
	slots   []uint16 // entries index + 1; 0 marks an empty slot
	mask    uint64
	maxName int // longest top-level name: longer input is unknown at once
	maxSub  int // longest subcommand name
	// maxProbe is the longest probe sequence of any entry (tested, so a
	// bad hash or an overfull table shows).
	maxProbe int
	// refusals holds the error replies of Refused commands by name, out
	// of Info so Lookup returns less.
	refusals map[string]string
}

// lower maps ASCII upper case to lower case and every other byte to
// itself: command names are ASCII, and nothing else may fold onto them.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i + 'a' - 'A')
		}
	}
	return t
}()

// foldHash hashes b with ASCII case folded, loading eight bytes at a time
// (fewer for short names: the overlapping-load scheme of wyhash, which,
// with the length mixed in, reads every byte of 1 to 8 byte inputs).
// Setting bit 0x20 of every byte folds letters (and maps a few non-letters
// onto others, which only costs a compare: eqFold decides equality).
// parent keys subcommands apart from top-level names (-1) and from other
// containers' subcommands.
func foldHash(b []byte, parent int32) uint64 {
	const (
		m1   = 0x9e3779b97f4a7c15
		m2   = 0xbf58476d1ce4e5b9
		fold = 0x2020202020202020
	)
	n := len(b)
	h := (uint64(n) | uint64(uint32(parent))<<32) * m1
	var v uint64
	switch {
	case n > 8:
		// Whole words while more than eight bytes remain, then the last
		// eight bytes of b, overlapping the previous word.
		for rest := b; len(rest) > 8; rest = rest[8:] {
			h = (h ^ (le64(rest) | fold)) * m2
			h ^= h >> 31
		}
		v = le64(b[n-8:])
	case n >= 4: // 4 to 8 bytes: two overlapping words
		v = uint64(le32(b)) | uint64(le32(b[n-4:]))<<32
	case n > 0: // 1 to 3 bytes: first, middle, last
		v = uint64(b[0]) | uint64(b[n>>1])<<8 | uint64(b[n-1])<<16
	}
	h = (h ^ (v | fold)) * m2
	h ^= h >> 29
	h *= m1
	return h ^ h>>32
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// eqFold reports whether b, ASCII case folded, equals key.
func eqFold(key string, b []byte) bool {
	if len(key) != len(b) {
		return false
	}
	for i, c := range b {
		if lower[c] != key[i] {
			return false
		}
	}
	return true
}

// find probes for the entry named b under parent (-1 for a top-level
// command) whose hash is h.
func (t *index) find(h uint64, b []byte, parent int32) (int32, *entry) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			return -1, nil
		}
		e := &t.entries[s-1]
		if e.hash == h && e.parent == parent && eqFold(e.key, b) {
			return int32(s - 1), e
		}
	}
}

// buildIndex checks the table and indexes it; a malformed table panics at
// init, so it cannot ship.
func buildIndex(cmds []cmd) *index {
	t := &index{refusals: map[string]string{}}
	add := func(c cmd, parent string, parentIdx int32) {
		if c.name == "" || c.arity == 0 {
			panic(fmt.Sprintf("routing: bad entry %q", c.name))
		}
		for i := 0; i < len(c.name); i++ {
			if ch := c.name[i]; ch >= 'A' && ch <= 'Z' || ch == '|' || ch <= ' ' {
				panic(fmt.Sprintf("routing: name %q must be lower-case ASCII without '|'", c.name))
			}
		}
		f := c.flags
		if f&Admin != 0 {
			f |= MasterOnly
		}
		if (f&Refused != 0) != (c.refusal != "") {
			panic(fmt.Sprintf("routing: %q: Refused and its reason go together", c.name))
		}
		if f&Write != 0 && f&Read != 0 {
			panic(fmt.Sprintf("routing: %q is both Write and Read", c.name))
		}
		e := entry{key: c.name, parent: parentIdx, container: len(c.subs) > 0,
			info: Info{Name: c.name, Flags: f, Arity: c.arity}}
		if parent != "" {
			e.info.Name = parent + "|" + c.name
			t.maxSub = max(t.maxSub, len(c.name))
		} else {
			t.maxName = max(t.maxName, len(c.name))
		}
		e.hash = foldHash([]byte(c.name), parentIdx)
		if c.refusal != "" {
			t.refusals[e.info.Name] = c.refusal
		}
		t.entries = append(t.entries, e)
	}
	for _, c := range cmds {
		idx := int32(len(t.entries))
		add(c, "", -1)
		for _, s := range c.subs {
			if len(s.subs) > 0 {
				panic(fmt.Sprintf("routing: %q: subcommands do not nest", s.name))
			}
			add(s, c.name, idx)
		}
	}
	if len(t.entries) >= 1<<16-1 {
		panic("routing: table too large for uint16 slots")
	}
	// At most a quarter full: short probe sequences, and a miss (an
	// unknown command) meets an empty slot quickly.
	size := 1
	for size < 4*len(t.entries) {
		size <<= 1
	}
	t.slots = make([]uint16, size)
	t.mask = uint64(size - 1)
	seen := make(map[string]bool, len(t.entries))
	for i := range t.entries {
		e := &t.entries[i]
		if seen[e.info.Name] {
			panic(fmt.Sprintf("routing: duplicate command %q", e.info.Name))
		}
		seen[e.info.Name] = true
		probe := 1
		j := e.hash & t.mask
		for t.slots[j] != 0 {
			j = (j + 1) & t.mask
			probe++
		}
		t.slots[j] = uint16(i + 1)
		t.maxProbe = max(t.maxProbe, probe)
	}
	return t
}

// Commands lists every command and subcommand of the table, in table
// order (each container followed by its subcommands). The slice is the
// caller's.
func Commands() []Info {
	out := make([]Info, len(tab.entries))
	for i := range tab.entries {
		out[i] = tab.entries[i].info
	}
	return out
}
