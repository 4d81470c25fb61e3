package ds

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// refMatch is a deliberately literal transcription of the *behaviour* of
// Redis's recursive stringmatchlen, pointer arithmetic and C string
// terminator included, used as an oracle for the iterative Match. at(i)
// returns 0 past the end, like reading an sds terminator. It is exponential
// in the worst case, so only use it on short inputs.
func refMatch(pat, str []byte, nocase bool) bool {
	at := func(b []byte, i int) byte {
		if i < len(b) {
			return b[i]
		}
		return 0
	}
	lower := func(c int) int {
		if c >= 'A' && c <= 'Z' {
			return c + 32
		}
		return c
	}
	p, plen := 0, len(pat)
	s, slen := 0, len(str)
	for plen > 0 && slen > 0 {
		switch at(pat, p) {
		case '*':
			for plen > 0 && at(pat, p+1) == '*' {
				p++
				plen--
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if refMatch(pat[p+1:p+plen], str[s:s+slen], nocase) {
					return true
				}
				s++
				slen--
			}
			return false
		case '?':
			s++
			slen--
		case '[':
			p++
			plen--
			not := at(pat, p) == '^'
			if not {
				p++
				plen--
			}
			match := false
			for {
				if at(pat, p) == '\\' && plen >= 2 {
					p++
					plen--
					if at(pat, p) == at(str, s) {
						match = true
					}
				} else if at(pat, p) == ']' && plen > 0 {
					break
				} else if plen == 0 {
					p--
					plen++
					break
				} else if plen >= 3 && at(pat, p+1) == '-' {
					start, end, c := int(int8(at(pat, p))), int(int8(at(pat, p+2))), int(int8(at(str, s)))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p += 2
					plen -= 2
					if c >= start && c <= end {
						match = true
					}
				} else {
					a, b := int(at(pat, p)), int(at(str, s))
					if nocase {
						a, b = lower(a), lower(b)
					}
					if a == b {
						match = true
					}
				}
				p++
				plen--
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
			slen--
		case '\\':
			if plen >= 2 {
				p++
				plen--
			}
			fallthrough
		default:
			a, b := int(at(pat, p)), int(at(str, s))
			if nocase {
				a, b = lower(a), lower(b)
			}
			if a != b {
				return false
			}
			s++
			slen--
		}
		p++
		plen--
	}
	if slen == 0 {
		for plen > 0 && at(pat, p) == '*' {
			p++
			plen--
		}
	}
	return plen == 0 && slen == 0
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, str string
		nocase   bool
		want     bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"**", "", false, true},
		{"*", "anything", false, true},
		{"?", "", false, false},
		{"?", "a", false, true},
		{"?", "ab", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"h*llo", "hllo", false, true},
		{"h*llo", "heeeello", false, true},
		{"h*llo", "hello!", false, false},
		{"*llo", "hello", false, true},
		{"he*", "he", false, true},
		{"*a*", "bab", false, true},
		{"*a*b", "aaab", false, true},
		{"*a*b", "aaa", false, false},
		{"a*b*c", "abbbbc", false, true},
		{"a*b*c", "acb", false, false},
		{"user:*:name", "user:42:name", false, true},
		{"user:*:name", "user:42:age", false, false},
		// sets
		{"h[ae]llo", "hello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[a-b]llo", "hcllo", false, false},
		{"[c-a]", "b", false, true}, // reversed range
		{"[a-cx-z]", "y", false, true},
		{"[a-cx-z]", "m", false, false},
		{"[\\]]", "]", false, true},
		{"[\\-]", "-", false, true},
		{"[a\\-z]", "b", false, false},
		{"[*]", "*", false, true},
		{"[*]", "a", false, false},
		{"[?]", "a", false, false},
		// Redis quirks with malformed sets
		{"[", "", false, false},
		{"[", "[", false, false},
		{"[]", "]", false, false},
		{"[]]", "]", false, false},
		{"[]a]", "a", false, false},
		{"[^]", "x", false, true},
		{"[^]", "", false, false},
		{"[^", "x", false, true},
		{"[abc", "a", false, true},
		{"[abc", "d", false, false},
		{"[abc", "ab", false, false},
		{"[a-]", "_", false, true},  // "]" is the range end: [\]-a]
		{"[a-]", "-", false, false}, // ... so "-" is not in the set
		{"[a-]b", "ab", false, false},
		{"[a-]b", "a", false, true},
		{"[a-", "a", false, true},
		{"[a-", "-", false, true},
		// escapes
		{"\\*", "*", false, true},
		{"\\*", "a", false, false},
		{"\\?", "?", false, true},
		{"\\[a]", "[a]", false, true},
		{"\\", "\\", false, true},
		{"a\\", "a\\", false, true},
		{"\\\\", "\\", false, true},
		{"*\\*", "abc*", false, true},
		// nocase
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"h[A-Z]llo", "hello", true, true},
		{"h[A-Z]llo", "hello", false, false},
		{"h[E]llo", "hello", true, true},
		{"h[\\E]llo", "hello", true, false}, // escaped set members are exact
		{"\\E", "e", true, true},            // escaped literals fold
		{"É", "é", true, false},             // only ASCII folds
		// high bytes compare as C signed chars in ranges
		{"[a-\xff]", "\x00", false, true},
		{"[a-\xff]", "b", false, false},
		{"[a-\xff]", "\xff", false, true},
		{"[a-\xff]", "\x80", false, false},
		{"[\x80-\xff]", "\x90", false, true},
		{"[\x80-\xff]", "a", false, false},
		// binary
		{"a\x00*", "a\x00bc", false, true},
		{"?", "\x00", false, true},
	}
	for _, tt := range tests {
		got := Match([]byte(tt.pat), []byte(tt.str), tt.nocase)
		if got != tt.want {
			t.Errorf("Match(%q, %q, %v) = %v want %v", tt.pat, tt.str, tt.nocase, got, tt.want)
		}
		if ref := refMatch([]byte(tt.pat), []byte(tt.str), tt.nocase); ref != tt.want {
			t.Errorf("refMatch(%q, %q, %v) = %v want %v (oracle disagrees with table)", tt.pat, tt.str, tt.nocase, ref, tt.want)
		}
	}
}

// TestMatchExhaustive compares Match with the oracle on every pattern and
// string over a small alphabet that includes every metacharacter.
func TestMatchExhaustive(t *testing.T) {
	pats := allStrings("*?[]^-\\a", 5)
	strs := allStrings("a]-^\\", 3)
	for _, p := range pats {
		for _, s := range strs {
			for _, nc := range []bool{false, true} {
				if got, want := Match(p, s, nc), refMatch(p, s, nc); got != want {
					t.Fatalf("Match(%q, %q, %v) = %v, oracle %v", p, s, nc, got, want)
				}
			}
		}
	}
}

func allStrings(alphabet string, maxLen int) [][]byte {
	out := [][]byte{{}}
	level := [][]byte{{}}
	for range maxLen {
		var next [][]byte
		for _, prefix := range level {
			for i := 0; i < len(alphabet); i++ {
				next = append(next, append(bytes.Clone(prefix), alphabet[i]))
			}
		}
		out = append(out, next...)
		level = next
	}
	return out
}

func TestMatchPathological(t *testing.T) {
	long := []byte(strings.Repeat("a", 100000))
	cases := []string{
		"a*a*a*a*a*a*a*b",
		strings.Repeat("*a", 50) + "b",
		strings.Repeat("*?", 40) + "b",
		strings.Repeat("a*", 30) + "[b]",
		strings.Repeat("*[a-z]", 30) + "\\b",
	}
	start := time.Now()
	for _, p := range cases {
		if Match([]byte(p), long, false) {
			t.Fatalf("%q should not match", p)
		}
		if !Match([]byte(p), append(bytes.Clone(long), 'b'), false) {
			t.Fatalf("%q should match", p)
		}
	}
	// Each case is O(len(p)*len(s)) ~ 10^7 steps; exponential behaviour
	// would not finish at all. The bound is generous for -race and slow CI.
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("pathological patterns took %v", d)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte("h*llo"), []byte("hello"), false)
	f.Add([]byte("[a-]b"), []byte("_b"), false)
	f.Add([]byte("[^"), []byte("x"), true)
	f.Add([]byte("a*a*a*b"), []byte("aaaaaaaaab"), false)
	f.Add([]byte("\\"), []byte("\\"), false)
	f.Fuzz(func(t *testing.T, pat, str []byte, nocase bool) {
		got := Match(pat, str, nocase)
		// The oracle is exponential; keep it to inputs it handles quickly.
		if len(pat) <= 16 && len(str) <= 16 {
			if want := refMatch(pat, str, nocase); got != want {
				t.Fatalf("Match(%q, %q, %v) = %v, oracle %v", pat, str, nocase, got, want)
			}
		}
		// Properties that hold for any input.
		if !Match([]byte("*"), str, nocase) {
			t.Fatal(`"*" must match everything`)
		}
		if !Match(escapeGlob(str), str, nocase) {
			t.Fatalf("escaped %q does not match itself", str)
		}
		if len(pat) > 0 && !bytes.ContainsAny(pat, "*?[\\") {
			want := bytes.Equal(pat, str) || (nocase && asciiEqualFold(pat, str))
			if got != want {
				t.Fatalf("literal pattern %q vs %q (nocase %v): %v", pat, str, nocase, got)
			}
		}
	})
}

// escapeGlob backslash-escapes every byte, producing a pattern that matches
// exactly s.
func escapeGlob(s []byte) []byte {
	out := make([]byte, 0, 2*len(s))
	for _, c := range s {
		out = append(out, '\\', c)
	}
	return out
}

// asciiEqualFold is bytes.EqualFold restricted to ASCII letters, which is
// all Redis folds (bytes.EqualFold would also fold e.g. "É" and "é").
func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if foldASCII(a[i]) != foldASCII(b[i]) {
			return false
		}
	}
	return true
}
