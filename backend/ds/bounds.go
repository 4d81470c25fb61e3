package ds

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// ErrScoreBound is returned by ParseScoreBound; callers reply with
// "ERR min or max is not a float".
var ErrScoreBound = errors.New("min or max is not a float")

// ErrLexBound is returned by ParseLexBound; callers reply with
// "ERR min or max not valid string range item".
var ErrLexBound = errors.New("min or max not valid string range item")

// ScoreBound is one end of a score interval. Use math.Inf(-1) / math.Inf(+1)
// for unbounded ends. A NaN Value makes every range empty.
type ScoreBound struct {
	Value     float64
	Exclusive bool
}

// LexBound is one end of a lexicographic interval. Inf is -1 for "-" (below
// every string), +1 for "+" (above every string) and 0 when Value applies.
type LexBound struct {
	Value     string
	Exclusive bool
	Inf       int
}

// ParseScoreBound parses a ZRANGEBYSCORE-style bound: an optional "(" for an
// exclusive bound followed by a float ("1.5", "-inf", "+inf", "inf", ...).
//
// Redis parses bounds with C strtod and only checks that the whole C string
// was consumed and the value is not NaN. We reproduce that rather than
// strconv's stricter grammar because clients rely on the quirks:
// leading whitespace is accepted, hex floats ("0x1A") are accepted, out of
// range values saturate to ±Inf / 0, and an empty number ("" or "(") parses
// as 0 because strtod consumes nothing and stops at the terminator.
func ParseScoreBound(s []byte) (ScoreBound, error) {
	var b ScoreBound
	if len(s) > 0 && s[0] == '(' {
		b.Exclusive = true
		s = s[1:]
	}
	v, ok := parseStrtod(s)
	if !ok {
		return ScoreBound{}, ErrScoreBound
	}
	b.Value = v
	return b, nil
}

// parseStrtod emulates `v = strtod(s, &end); ok = *end == '\0' && !isnan(v)`
// on a NUL-terminated copy of s.
func parseStrtod(s []byte) (float64, bool) {
	// C sees the argument as a C string: an embedded NUL ends it.
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) == 0 {
		return 0, true // no conversion, end pointer already at the terminator
	}
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	num := s[i:]
	if len(num) == 0 || bytes.IndexByte(num, '_') >= 0 {
		// Whitespace only: strtod rewinds the end pointer to the start, so
		// the check fails. Underscores are a Go-ism strtod never accepts.
		return 0, false
	}
	str := string(num)
	if isHexNoExponent(num) {
		// strtod allows hex floats without a binary exponent; Go does not.
		str += "p0"
	}
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, false
		}
		// Overflow: strtod returns ±HUGE_VAL and Redis ignores errno.
	}
	if math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isHexNoExponent(s []byte) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if len(s) < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	return bytes.IndexAny(s, "pP") < 0
}

// ParseLexBound parses a ZRANGEBYLEX-style bound: "[value" (inclusive),
// "(value" (exclusive), "-" or "+". Anything else, including "" and "+x",
// is an error, as in Redis.
func ParseLexBound(s []byte) (LexBound, error) {
	if len(s) == 0 {
		return LexBound{}, ErrLexBound
	}
	switch s[0] {
	case '+', '-':
		if len(s) != 1 {
			return LexBound{}, ErrLexBound
		}
		if s[0] == '+' {
			return LexBound{Inf: 1}, nil
		}
		return LexBound{Inf: -1}, nil
	case '(':
		return LexBound{Value: string(s[1:]), Exclusive: true}, nil
	case '[':
		return LexBound{Value: string(s[1:])}, nil
	}
	return LexBound{}, ErrLexBound
}

func aboveMin(s float64, min ScoreBound) bool {
	if min.Exclusive {
		return s > min.Value
	}
	return s >= min.Value
}

func belowMax(s float64, max ScoreBound) bool {
	if max.Exclusive {
		return s < max.Value
	}
	return s <= max.Value
}

// scoreRangeEmpty reports whether no score can satisfy both bounds. Written so
// that a NaN bound (only possible if a caller builds one by hand) is empty.
func scoreRangeEmpty(min, max ScoreBound) bool {
	if min.Value < max.Value {
		return false
	}
	return !(min.Value == max.Value && !min.Exclusive && !max.Exclusive)
}

func lexAboveMin(s string, min LexBound) bool {
	switch {
	case min.Inf < 0:
		return true
	case min.Inf > 0:
		return false
	case min.Exclusive:
		return s > min.Value
	}
	return s >= min.Value
}

func lexBelowMax(s string, max LexBound) bool {
	switch {
	case max.Inf > 0:
		return true
	case max.Inf < 0:
		return false
	case max.Exclusive:
		return s < max.Value
	}
	return s <= max.Value
}

func lexRangeEmpty(min, max LexBound) bool {
	if min.Inf > 0 || max.Inf < 0 {
		return true
	}
	if min.Inf < 0 || max.Inf > 0 {
		return false
	}
	if min.Value != max.Value {
		return min.Value > max.Value
	}
	return min.Exclusive || max.Exclusive
}
