package redisconf

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/testutil"
)

// splitCases are sdssplitargs's behaviours, read off its source and
// confirmed against redis-server by TestSplitArgsMatchesRedis.
var splitCases = []struct {
	in   string
	want []string // nil with err: unbalanced quotes
	err  bool
}{
	{in: "", want: nil},
	{in: "   \t ", want: nil},
	{in: "foo bar", want: []string{"foo", "bar"}},
	{in: "  foo   bar  ", want: []string{"foo", "bar"}},
	{in: "foo\tbar\r\nbaz", want: []string{"foo", "bar", "baz"}},
	{in: "\v\f foo", want: []string{"foo"}},                // leading blanks are isspace
	{in: "a\vb", want: []string{"a\vb"}},                   // but \v does not end a bare word
	{in: `a\b`, want: []string{`a\b`}},                     // backslash is literal outside quotes
	{in: `"foo bar"`, want: []string{"foo bar"}},           //
	{in: `""`, want: []string{""}},                         //
	{in: `"" ''`, want: []string{"", ""}},                  //
	{in: `"a\nb\r\t\b\a"`, want: []string{"a\nb\r\t\b\a"}}, // C escapes
	{in: `"\x41\x4a\x4A\xff"`, want: []string{"AJJ\xff"}},  // hex escapes, either case
	{in: `"\x4"`, want: []string{"x4"}},                    // short hex: \x is just x
	{in: `"\xZZ"`, want: []string{"xZZ"}},                  //
	{in: `"\q\\\""`, want: []string{`q\"`}},                // any other escaped char is itself
	{in: `'it\'s'`, want: []string{"it's"}},                // single quotes: only \'
	{in: `'a\nb\x41'`, want: []string{`a\nb\x41`}},         //
	{in: `'a"b'`, want: []string{`a"b`}},                   //
	{in: `foo"bar"`, want: []string{"foobar"}},             // quotes may start mid-word
	{in: `a"b c" d`, want: []string{"ab c", "d"}},          //
	{in: "\"foo\"\vbar", want: []string{"foo", "bar"}},     // \v is whitespace after a quote
	{in: "\"foo\"\tbar", want: []string{"foo", "bar"}},     //
	{in: "foo\x00bar baz", want: []string{"foo"}},          // a C string ends at NUL
	{in: "\"a\x00\"", err: true},                           // ... even inside quotes
	{in: `"foo"bar`, err: true},                            // closing quote must be followed by space
	{in: `'foo'bar`, err: true},                            //
	{in: `a""b`, err: true},                                //
	{in: `"foo`, err: true},                                // unterminated
	{in: `'foo`, err: true},                                //
	{in: `"a\`, err: true},                                 //
	{in: `"\"`, err: true},                                 //
	{in: `'\'`, err: true},                                 //
	{in: `set k "v"`, want: []string{"set", "k", "v"}},     //
	{in: `"\xe2\x82\xac" €`, want: []string{"€", "€"}},     //
	{in: `"multi word" 'single word' bare`, want: []string{"multi word", "single word", "bare"}},
}

func TestSplitArgs(t *testing.T) {
	for _, c := range splitCases {
		got, err := SplitArgs(c.in)
		if c.err {
			if err != ErrUnbalancedQuotes {
				t.Errorf("SplitArgs(%q) = %q, %v; want unbalanced quotes", c.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	words := []string{"", "plain", "with space", `q"uote`, "it's", `back\slash`, "nl\nx", "\x00\x01\x7f\xff", "tab\t", "€uro", "#hash"}
	for _, w := range words {
		got, err := SplitArgs(Quote(w))
		if err != nil || len(got) != 1 || got[0] != w {
			t.Errorf("SplitArgs(Quote(%q)) = %q, %v", w, got, err)
		}
	}
	if q := Quote("a\"b\n\x01\xff"); q != `"a\"b\n\x01\xff"` {
		t.Errorf("Quote uses sdscatrepr form: got %s", q)
	}
	if q := Quote("€uro"); q != "€uro" {
		t.Errorf("UTF-8 alone should not force quotes: %s", q)
	}
	line := FormatLine("#name", "a b", "")
	if got, _ := SplitArgs(line); strings.HasPrefix(line, "#") || !slices.Equal(got, []string{"#name", "a b", ""}) {
		t.Errorf("FormatLine = %q splits to %q", line, got)
	}
}

// TestSplitArgsMatchesRedis uses redis-server as the oracle: its inline
// command parser is sdssplitargs, so RPUSH with an inline line stores
// exactly the words Redis split it into. Random lines over an alphabet of
// quotes, escapes and blanks, plus the table cases, must split the same.
func TestSplitArgsMatchesRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	conn := testutil.Dial(t, srv.Addr())

	var lines []string
	for _, c := range splitCases {
		// The inline protocol ends a line at \n and reads a C string, so
		// those bytes cannot be sent.
		if !strings.ContainsAny(c.in, "\n\x00") {
			lines = append(lines, c.in)
		}
	}
	alphabet := []string{"a", "b", "x", "4", "F", "n", " ", " ", "\t", "\r", "\v", "\f", `"`, `"`, "'", "'", `\`, `\`, "\x80", "\xff"}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for n := rng.IntN(14); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		lines = append(lines, b.String())
	}

	unbalanced := 0
	defer func() { t.Logf("%d lines compared, %d with unbalanced quotes", len(lines), unbalanced) }()
	for _, line := range lines {
		ours, ourErr := SplitArgs(line)
		// "__start" keeps RPUSH valid when the line has no words.
		conn.Send([]byte("RPUSH k __start " + line + "\r\n"))
		reply, err := conn.ReadReply()
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if strings.HasPrefix(string(reply), "-ERR Protocol error: unbalanced quotes") {
			if ourErr == nil {
				t.Errorf("line %q: Redis says unbalanced quotes, SplitArgs = %q", line, ours)
			}
			unbalanced++
			conn.Close() // Redis closed its end
			conn = testutil.Dial(t, srv.Addr())
			continue
		}
		if reply[0] != ':' {
			t.Fatalf("line %q: RPUSH = %q", line, reply)
		}
		theirs := bulkArray(t, conn.Do("LRANGE", "k", "0", "-1"))[1:]
		conn.Do("DEL", "k")
		if ourErr != nil {
			t.Errorf("line %q: Redis splits into %q, SplitArgs fails", line, theirs)
		} else if !slices.Equal(ours, theirs) && (len(ours) > 0 || len(theirs) > 0) {
			t.Errorf("line %q: Redis splits into %q, SplitArgs into %q", line, theirs, ours)
		}
	}
}

// bulkArray decodes a RESP array of bulk strings.
func bulkArray(t *testing.T, raw []byte) []string {
	t.Helper()
	var n int
	rest := raw
	if _, err := fmt.Sscanf(string(rest), "*%d\r\n", &n); err != nil {
		t.Fatalf("not an array: %q", raw)
	}
	rest = rest[strings.IndexByte(string(rest), '\n')+1:]
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		elem, r, err := testutil.SplitReply(rest)
		if err != nil || elem[0] != '$' {
			t.Fatalf("bad element in %q: %v", raw, err)
		}
		body := elem[strings.IndexByte(string(elem), '\n')+1 : len(elem)-2]
		out = append(out, string(body))
		rest = r
	}
	return out
}
