package ds

// Match reports whether str matches the glob pattern with the semantics of
// Redis's stringmatchlen (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, ...):
//
//   - '*' matches any run of bytes, including none;
//   - '?' matches exactly one byte;
//   - "[abc]" matches one byte from the set, "[^abc]" one byte not in it,
//     and "[a-z]" a range (whose ends may come in either order); a
//     backslash inside a set makes the next byte literal;
//   - "\x" matches the byte x literally (a lone trailing backslash matches
//     a backslash).
//
// Redis quirks reproduced on purpose, because clients can observe them:
// an unterminated set ("[abc") acts as if closed at the end of the pattern;
// "[]" matches nothing and "[^]" any byte; in "[a-]" the "]" is taken as the
// range end, leaving the set unterminated; range ends compare as C signed
// chars, so bytes >= 0x80 sort below ASCII; nocase folds only ASCII A-Z, and
// not for backslash-escaped bytes inside a set.
//
// Redis matches recursively and relies on an early exit to avoid exponential
// blowup on patterns like "a*a*a*a*b". We instead scan iteratively and, on a
// mismatch, only ever backtrack to the most recent '*'. That is complete
// because every token other than '*' consumes exactly one byte: once a later
// star has matched, letting an earlier star swallow more can only shift the
// same fixed-width segments right, which the later star already covers.
// Worst case is O(len(pattern) * len(str)) with no recursion.
func Match(pattern, str []byte, nocase bool) bool {
	p, s := 0, 0
	starP, starS := -1, 0 // pattern index after the last '*', and where it began matching
	for s < len(str) {
		if p < len(pattern) {
			if pattern[p] == '*' {
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true // trailing star swallows the rest
				}
				starP, starS = p, s
				continue
			}
			if c := pattern[p]; !nocase && c != '?' && c != '[' && c != '\\' {
				// Inline fast path for plain bytes, the bulk of real patterns.
				if c == str[s] {
					p, s = p+1, s+1
					continue
				}
			} else if next, ok := matchToken(pattern, p, str[s], nocase); ok {
				p, s = next, s+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star absorb one more byte and retry after it.
		starS++
		p, s = starP, starS
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchToken matches the single non-star token at pattern[p] against c and
// returns the index of the following token.
func matchToken(pattern []byte, p int, c byte, nocase bool) (int, bool) {
	switch pattern[p] {
	case '?':
		return p + 1, true
	case '[':
		return matchSet(pattern, p+1, c, nocase)
	case '\\':
		if len(pattern)-p >= 2 {
			p++
		}
	}
	if nocase {
		return p + 1, foldASCII(pattern[p]) == foldASCII(c)
	}
	return p + 1, pattern[p] == c
}

// matchSet matches c against the set whose body starts at pattern[p] (just
// after '['). The loop mirrors Redis's token-by-token scan exactly so the
// malformed-pattern quirks documented on Match come out identical.
func matchSet(pattern []byte, p int, c byte, nocase bool) (int, bool) {
	n := len(pattern)
	not := p < n && pattern[p] == '^'
	if not {
		p++
	}
	match := false
	for {
		if p >= n {
			// Unterminated set: behave as if it closed at the end.
			return n, match != not
		}
		switch {
		case pattern[p] == '\\' && n-p >= 2:
			p++
			if pattern[p] == c { // escaped bytes ignore nocase, as in Redis
				match = true
			}
		case pattern[p] == ']':
			return p + 1, match != not
		case n-p >= 3 && pattern[p+1] == '-':
			// C compares plain (signed) chars here; mirror that.
			lo, hi, x := int(int8(pattern[p])), int(int8(pattern[p+2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, x = foldInt(lo), foldInt(hi), foldInt(x)
			}
			if x >= lo && x <= hi {
				match = true
			}
			p += 2
		default:
			if nocase {
				if foldASCII(pattern[p]) == foldASCII(c) {
					match = true
				}
			} else if pattern[p] == c {
				match = true
			}
		}
		p++
	}
}

func foldASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func foldInt(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
