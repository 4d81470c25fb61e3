package cmddocs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/resp"
)

// BeginSearch is how a key spec finds the argument its keys start from.
type BeginSearch uint8

const (
	// BeginUnknown: the start cannot be told from the arguments' positions
	// alone (SORT's STORE, say), so the spec yields nothing reliable.
	BeginUnknown BeginSearch = iota
	// BeginIndex: keys start at the fixed argument Index.
	BeginIndex
	// BeginKeyword: keys start right after the first argument equal, case
	// insensitively, to Keyword, searched from StartFrom (negative counts
	// from the end, searching backwards).
	BeginKeyword
)

// FindKeys is how a key spec finds its keys once it knows where they start.
type FindKeys uint8

const (
	// FindUnknown: the keys cannot be found from the spec.
	FindUnknown FindKeys = iota
	// FindRange: keys up to LastKey (relative to the start; negative
	// counts from the end of argv, or with Limit, that fraction of what
	// remains), every KeyStep arguments.
	FindRange
	// FindKeynum: argument KeyNumIdx (relative to the start) counts the
	// keys, the first of which is FirstKey after the start, every KeyStep.
	FindKeynum
)

// KeySpec is one key specification of COMMAND INFO, decoded.
type KeySpec struct {
	Flags []string // "RW", "access", "incomplete", ... as Redis lists them

	Begin     BeginSearch
	Index     int    // BeginIndex
	Keyword   string // BeginKeyword
	StartFrom int    // BeginKeyword

	Find      FindKeys
	LastKey   int // FindRange
	Limit     int // FindRange
	KeyNumIdx int // FindKeynum
	FirstKey  int // FindKeynum
	KeyStep   int // both
}

// Has reports whether the spec carries flag.
func (s *KeySpec) Has(flag string) bool { return slices.Contains(s.Flags, flag) }

// KeySpecs returns the command's key specifications in COMMAND INFO order.
// The caller must not modify them.
func (e *Entry) KeySpecs() []KeySpec { return e.keySpecs }

// KeyRef is a key found in a command line: its argv index and the flags
// of the spec that found it.
type KeyRef struct {
	Pos   int
	Flags []string
}

// Keys applies specs to argv (argv[0] being the command name) the way
// Redis 7.0's getKeysUsingKeySpecs does without its partial mode: keys in
// spec order, not_key specs skipped, and ok false, with no keys, when a
// spec is unknown or incomplete or does not fit argv (a numkeys that is
// not a canonical integer or counts past the end, a keyword that leaves
// nothing after it, ...). Redis then asks the command's own key
// procedure, which this package does not have.
func Keys(specs []KeySpec, argv [][]byte) (keys []KeyRef, ok bool) {
	argc := len(argv)
	for i := range specs {
		s := &specs[i]
		if s.Has("not_key") {
			continue
		}
		first, found, valid := s.start(argv)
		if !valid {
			return nil, false
		}
		if !found {
			// An optional keyword (GEORADIUS's STORE) that is absent.
			continue
		}
		var last int
		switch s.Find {
		case FindRange:
			switch {
			case s.LastKey >= 0:
				last = first + s.LastKey
			case s.Limit == 0:
				last = argc + s.LastKey
			default:
				// Keys are the first 1/Limit of what follows the start
				// (XREAD's STREAMS k1 k2 id1 id2); Redis only allows -1
				// here.
				last = first + (argc-first)/s.Limit + s.LastKey
			}
		case FindKeynum:
			at := first + s.KeyNumIdx
			if at >= argc {
				return nil, false
			}
			n, err := strconv.ParseInt(string(argv[at]), 10, 64)
			// Redis's string2ll takes only the canonical form: no sign
			// other than '-', no leading zeros or spaces.
			if err != nil || n < 0 || strconv.FormatInt(n, 10) != string(argv[at]) {
				return nil, false
			}
			first += s.FirstKey
			// Redis adds the count as a C int: a count past 2^31 wraps.
			last = first + int(int32(n)) - 1
		default:
			return nil, false
		}
		if first >= argc || last >= argc || last < first {
			return nil, false
		}
		step := max(s.KeyStep, 1)
		for p := first; p <= last; p += step {
			keys = append(keys, KeyRef{Pos: p, Flags: s.Flags})
		}
		if s.Has("incomplete") {
			// Its keys are not all there is; Redis drops what it found.
			return nil, false
		}
	}
	return keys, true
}

// start returns where the spec's keys begin: found false for a keyword
// that does not occur, valid false for an unknown begin_search.
func (s *KeySpec) start(argv [][]byte) (first int, found, valid bool) {
	switch s.Begin {
	case BeginIndex:
		return s.Index, true, true
	case BeginKeyword:
		argc := len(argv)
		// Redis walks from the start towards the far end (argc-1 forwards,
		// 1 backwards) but stops before reaching it: a keyword in the last
		// argument, or at 1 when searching backwards, is never found.
		from, to, dir := s.StartFrom, argc-1, 1
		if s.StartFrom <= 0 {
			from, to, dir = argc+s.StartFrom, 1, -1
		}
		for i := from; i != to && i >= 1 && i < argc; i += dir {
			if strings.EqualFold(string(argv[i]), s.Keyword) {
				return i + 1, true, true
			}
		}
		return 0, false, true
	}
	return 0, false, false
}

// parseKeySpecs decodes the key-specs element of a COMMAND INFO entry (in
// the file's RESP3 form).
func parseKeySpecs(v resp.Value) ([]KeySpec, error) {
	specs := make([]KeySpec, 0, len(v.Elems))
	for _, sv := range v.Elems {
		if sv.Type != '%' {
			return nil, fmt.Errorf("key spec is not a map")
		}
		m := pairs(sv)
		var s KeySpec
		s.Flags = strs(m["flags"])
		bs, fk := pairs(m["begin_search"]), pairs(m["find_keys"])
		bspec, fspec := pairs(bs["spec"]), pairs(fk["spec"])
		switch bs["type"].Str {
		case "index":
			s.Begin, s.Index = BeginIndex, int(bspec["index"].Int)
		case "keyword":
			s.Begin, s.Keyword, s.StartFrom = BeginKeyword, bspec["keyword"].Str, int(bspec["startfrom"].Int)
		case "unknown":
		default:
			return nil, fmt.Errorf("begin_search type %q", bs["type"].Str)
		}
		switch fk["type"].Str {
		case "range":
			s.Find, s.LastKey, s.KeyStep, s.Limit = FindRange, int(fspec["lastkey"].Int), int(fspec["keystep"].Int), int(fspec["limit"].Int)
		case "keynum":
			s.Find, s.KeyNumIdx, s.FirstKey, s.KeyStep = FindKeynum, int(fspec["keynumidx"].Int), int(fspec["firstkey"].Int), int(fspec["keystep"].Int)
		case "unknown":
		default:
			return nil, fmt.Errorf("find_keys type %q", fk["type"].Str)
		}
		if s.Find == FindRange && s.LastKey < -1 && s.Limit > 0 {
			return nil, fmt.Errorf("limit with lastkey %d", s.LastKey)
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// pairs indexes a RESP3 map by its string keys; anything else gives an
// empty map, whose lookups are zero values.
func pairs(v resp.Value) map[string]resp.Value {
	m := map[string]resp.Value{}
	if v.Type == '%' {
		for i := 0; i+1 < len(v.Elems); i += 2 {
			m[v.Elems[i].Str] = v.Elems[i+1]
		}
	}
	return m
}
