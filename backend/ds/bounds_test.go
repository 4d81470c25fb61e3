package ds

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseScoreBound(t *testing.T) {
	tests := []struct {
		in   string
		want ScoreBound
		err  bool
	}{
		{"1.5", incl(1.5), false},
		{"(1.5", excl(1.5), false},
		{"-3", incl(-3), false},
		{"(-3", excl(-3), false},
		{"0", incl(0), false},
		{"-inf", incl(negInf), false},
		{"+inf", incl(posInf), false},
		{"inf", incl(posInf), false},
		{"(inf", excl(posInf), false},
		{"(-inf", excl(negInf), false},
		{"-Infinity", incl(negInf), false},
		{"INF", incl(posInf), false},
		{"1e3", incl(1000), false},
		{"1E-2", incl(0.01), false},
		{".5", incl(0.5), false},
		{"5.", incl(5), false},
		{"+7", incl(7), false},
		{"1e400", incl(posInf), false}, // strtod saturates, Redis ignores ERANGE
		{"-1e400", incl(negInf), false},
		{"1e-400", incl(0), false},
		{"0x10", incl(16), false}, // strtod hex float
		{"0x1.8", incl(1.5), false},
		{"-0X1p4", incl(-16), false},
		{" 2", incl(2), false}, // strtod skips leading whitespace
		{"\t(", ScoreBound{}, true},
		{"( 2", excl(2), false},
		{"", incl(0), false},  // strtod consumes nothing and stops at NUL
		{"(", excl(0), false}, // likewise
		{"3\x00junk", incl(3), false},
		{"2 ", ScoreBound{}, true},
		{" ", ScoreBound{}, true},
		{"nan", ScoreBound{}, true},
		{"(nan", ScoreBound{}, true},
		{"-NaN", ScoreBound{}, true},
		{"abc", ScoreBound{}, true},
		{"1.5x", ScoreBound{}, true},
		{"((1", ScoreBound{}, true},
		{"[1", ScoreBound{}, true},
		{"1_000", ScoreBound{}, true},
		{"0x1_0p0", ScoreBound{}, true},
		{"0x", ScoreBound{}, true},
		{"0x1p", ScoreBound{}, true},
		{"infin", ScoreBound{}, true},
		{"1e", ScoreBound{}, true},
		{".", ScoreBound{}, true},
		{"-", ScoreBound{}, true},
	}
	for _, tt := range tests {
		got, err := ParseScoreBound([]byte(tt.in))
		if (err != nil) != tt.err {
			t.Errorf("ParseScoreBound(%q) err = %v, want err %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			if err != ErrScoreBound {
				t.Errorf("ParseScoreBound(%q) err = %v", tt.in, err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("ParseScoreBound(%q) = %+v want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseLexBound(t *testing.T) {
	tests := []struct {
		in   string
		want LexBound
		err  bool
	}{
		{"-", lexMin, false},
		{"+", lexMax, false},
		{"[a", lexIncl("a"), false},
		{"(a", lexExcl("a"), false},
		{"[", lexIncl(""), false},
		{"(", lexExcl(""), false},
		{"[+", lexIncl("+"), false},
		{"(\x00\xff", lexExcl("\x00\xff"), false},
		{"", LexBound{}, true},
		{"a", LexBound{}, true},
		{"+a", LexBound{}, true},
		{"-a", LexBound{}, true},
		{"--", LexBound{}, true},
		{" [a", LexBound{}, true},
	}
	for _, tt := range tests {
		got, err := ParseLexBound([]byte(tt.in))
		if (err != nil) != tt.err || (err != nil && err != ErrLexBound) {
			t.Errorf("ParseLexBound(%q) err = %v, want err %v", tt.in, err, tt.err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseLexBound(%q) = %+v want %+v", tt.in, got, tt.want)
		}
	}
}

func TestRangeEmpty(t *testing.T) {
	for _, tt := range []struct {
		min, max ScoreBound
		empty    bool
	}{
		{incl(1), incl(1), false},
		{excl(1), incl(1), true},
		{incl(1), excl(1), true},
		{incl(2), incl(1), true},
		{incl(negInf), incl(posInf), false},
		{incl(posInf), incl(posInf), false},
		{excl(posInf), incl(posInf), true},
		{incl(math.NaN()), incl(1), true},
		{incl(1), incl(math.NaN()), true},
	} {
		if got := scoreRangeEmpty(tt.min, tt.max); got != tt.empty {
			t.Errorf("scoreRangeEmpty(%v,%v) = %v", tt.min, tt.max, got)
		}
	}
}

func FuzzParseScoreBound(f *testing.F) {
	for _, s := range []string{"1.5", "(1.5", "-inf", "+inf", "inf", "(", "", " 1", "0x1p-2", "nan", "1e400", "abc"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		b, err := ParseScoreBound(s)
		if err != nil {
			if err != ErrScoreBound || b != (ScoreBound{}) {
				t.Fatalf("bad error result %+v %v", b, err)
			}
			return
		}
		if math.IsNaN(b.Value) {
			t.Fatalf("%q parsed to NaN", s)
		}
		if b.Exclusive != (len(s) > 0 && s[0] == '(') {
			t.Fatalf("%q: Exclusive = %v", s, b.Exclusive)
		}
		// Round trip through Go's canonical formatting.
		txt := strconv.FormatFloat(b.Value, 'g', -1, 64)
		if b.Exclusive {
			txt = "(" + txt
		}
		b2, err := ParseScoreBound([]byte(txt))
		if err != nil || b2 != b {
			t.Fatalf("%q -> %+v -> %q -> %+v %v", s, b, txt, b2, err)
		}
		// Anything strconv accepts (without Go-only underscores) agrees.
		body := strings.TrimPrefix(string(s), "(")
		if v, err := strconv.ParseFloat(body, 64); err == nil && !math.IsNaN(v) && !strings.Contains(body, "_") && v != b.Value {
			t.Fatalf("%q: %v, strconv says %v", s, b.Value, v)
		}
	})
}

func FuzzParseLexBound(f *testing.F) {
	for _, s := range []string{"-", "+", "[a", "(a", "", "a", "+a"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		b, err := ParseLexBound(s)
		if err != nil {
			return
		}
		switch {
		case b.Inf != 0:
			if len(s) != 1 || b.Value != "" {
				t.Fatalf("%q -> %+v", s, b)
			}
		case b.Value != string(s[1:]) || b.Exclusive != (s[0] == '('):
			t.Fatalf("%q -> %+v", s, b)
		}
	})
}
