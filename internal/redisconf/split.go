// Package redisconf reads and rewrites the redis.conf / sentinel.conf file
// syntax: lines of whitespace-separated, optionally quoted words, comments,
// include directives and command-line overrides, plus the value syntaxes
// (yes/no, memory sizes, integers) those files share.
//
// It knows nothing about which directives exist; the server and sentinel
// packages give the directives meaning. What it does know it does exactly as
// Redis 7.0 does, because warden must start from the same files as Redis and
// fail on the same lines: tokenising follows sdssplitargs, includes resolve
// relative to the working directory, command-line overrides are assembled as
// redis-server assembles them, and Rewrite follows CONFIG REWRITE's rules for
// reusing, blanking and appending lines.
package redisconf

import (
	"errors"
	"strings"
)

// ErrUnbalancedQuotes is returned by SplitArgs for an unterminated quoted
// word, or a closing quote followed by something other than a space.
var ErrUnbalancedQuotes = errors.New("unbalanced quotes")

// SplitArgs splits line into words exactly as Redis's sdssplitargs does, so
// that a config line (or inline command) means the same to warden as to Redis:
//
//   - words are separated by spaces, tabs, CR and LF; leading blanks also skip
//     \v and \f (C's isspace);
//   - "double quotes" understand \n \r \t \b \a, \xHH and backslash before any
//     other character (which stands for itself);
//   - 'single quotes' understand only \' ;
//   - a quote may start mid-word (foo"bar" is foobar), but a closing quote
//     must be followed by whitespace or the end of the line.
//
// Redis works on C strings, so a NUL byte ends the line; SplitArgs ignores
// everything from the first NUL as well. A line with no words yields nil.
func SplitArgs(line string) ([]string, error) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	// at mirrors C's *(p+k): reading past the end yields the terminating NUL.
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	var args []string
	i := 0
	for {
		for i < len(line) && isCSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inDQ, inSQ, done := false, false, false
		for !done {
			c := at(i)
			switch {
			case inDQ:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHex(at(i+2)) && isHex(at(i+3)):
					cur = append(cur, hexVal(at(i+2))<<4|hexVal(at(i+3)))
					i += 3
				case c == '\\' && at(i+1) != 0:
					i++
					cur = append(cur, unescape(line[i]))
				case c == '"':
					if n := at(i + 1); n != 0 && !isCSpace(n) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return nil, ErrUnbalancedQuotes
				default:
					cur = append(cur, c)
				}
			case inSQ:
				switch {
				case c == '\\' && at(i+1) == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if n := at(i + 1); n != 0 && !isCSpace(n) {
						return nil, ErrUnbalancedQuotes
					}
					done = true
				case c == 0:
					return nil, ErrUnbalancedQuotes
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDQ = true
				case '\'':
					inSQ = true
				default:
					cur = append(cur, c)
				}
			}
			if at(i) != 0 {
				i++
			}
		}
		args = append(args, string(cur))
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// isCSpace is isspace(3) in the C locale, which Redis runs its parsers in.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Quote returns s as one word that SplitArgs reads back unchanged: s itself
// when that is safe, otherwise a double-quoted form written like Redis's
// sdscatrepr (the form CONFIG REWRITE uses). Bytes of 0x80 and above need no
// quoting, so UTF-8 values stay readable unless something else forces quotes.
func Quote(s string) string {
	if !needsQuote(s) {
		return s
	}
	return quoteRepr(s)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '"' || c == '\'' {
			return true
		}
	}
	return false
}

// quoteRepr is sdscatrepr: C escapes for the usual controls, \xHH (lower
// case) for everything isprint rejects.
func quoteRepr(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return string(append(b, '"'))
}

// FormatLine joins words into one config line that SplitArgs splits back
// into exactly these words. A first word starting with '#' is quoted so the
// line is not taken for a comment.
func FormatLine(words ...string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 0 && strings.HasPrefix(w, "#") {
			b.WriteString(quoteRepr(w))
			continue
		}
		b.WriteString(Quote(w))
	}
	return b.String()
}

// LowerASCII is sdstolower: tolower(3) in the C locale only folds A-Z, so
// names Redis compares with strcasecmp fold the same way here (Unicode
// folding would let a Kelvin sign pass for a K).
func LowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
