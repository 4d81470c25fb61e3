package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func str(t byte, s string) Value { return Value{Type: t, Str: s} }

func arr(t byte, elems ...Value) Value {
	if elems == nil {
		elems = []Value{}
	}
	return Value{Type: t, Elems: elems}
}

func TestParseReplyTypes(t *testing.T) {
	tests := []struct {
		in   string
		want Value
	}{
		{"+OK\r\n", str('+', "OK")},
		{"+\r\n", str('+', "")},
		{"+a\rb\r\n", str('+', "a\rb")},
		{"-ERR unknown command\r\n", str('-', "ERR unknown command")},
		{":0\r\n", Value{Type: ':'}},
		{":-9223372036854775808\r\n", Value{Type: ':', Int: math.MinInt64}},
		{":+5\r\n", Value{Type: ':', Int: 5}},
		{"$5\r\nhello\r\n", str('$', "hello")},
		{"$0\r\n\r\n", str('$', "")},
		{"$4\r\na\r\nb\r\n", str('$', "a\r\nb")},
		{"$-1\r\n", Value{Type: '$', Null: true}},
		{"*-1\r\n", Value{Type: '*', Null: true}},
		{"*0\r\n", arr('*')},
		{"*2\r\n$1\r\na\r\n:1\r\n", arr('*', str('$', "a"), Value{Type: ':', Int: 1})},
		{"*2\r\n*1\r\n+x\r\n*-1\r\n", arr('*', arr('*', str('+', "x")), Value{Type: '*', Null: true})},
		{"_\r\n", Value{Type: '_', Null: true}},
		{",3.14\r\n", str(',', "3.14")},
		{",-inf\r\n", str(',', "-inf")},
		{",nan\r\n", str(',', "nan")},
		{",1e999\r\n", str(',', "1e999")},
		{"#t\r\n", Value{Type: '#', Int: 1}},
		{"#f\r\n", Value{Type: '#'}},
		{"(3492890328409238509324850943850943825024385\r\n", str('(', "3492890328409238509324850943850943825024385")},
		{"(-1\r\n", str('(', "-1")},
		{"!21\r\nSYNTAX invalid syntax\r\n", str('!', "SYNTAX invalid syntax")},
		{"=15\r\ntxt:Some string\r\n", Value{Type: '=', Format: "txt", Str: "Some string"}},
		{"=4\r\nmkd:\r\n", Value{Type: '=', Format: "mkd"}},
		{"%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", arr('%', str('+', "a"), Value{Type: ':', Int: 1}, str('+', "b"), Value{Type: ':', Int: 2})},
		{"~1\r\n+x\r\n", arr('~', str('+', "x"))},
		{">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhi!\r\n", arr('>', str('$', "message"), str('$', "ch"), str('$', "hi!"))},
		{"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n", Value{Type: '*',
			Elems: []Value{{Type: ':', Int: 2}},
			Attrs: []Value{str('+', "key-popularity"), arr('%', str('$', "a"), str(',', "0.19"))}}},
		{"*1\r\n|0\r\n|1\r\n+a\r\n+b\r\n:7\r\n", arr('*', Value{Type: ':', Int: 7, Attrs: []Value{str('+', "a"), str('+', "b")}})},
		{"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", str('$', "Hello word")},
		{"$?\r\n;0\r\n", str('$', "")},
		{"*?\r\n:1\r\n*?\r\n.\r\n$1\r\nx\r\n.\r\n", arr('*', Value{Type: ':', Int: 1}, arr('*'), str('$', "x"))},
		{"%?\r\n+a\r\n:1\r\n.\r\n", arr('%', str('+', "a"), Value{Type: ':', Int: 1})},
	}
	for _, tt := range tests {
		v, n, err := ParseReply([]byte(tt.in+"+next\r\n"), ReplyLimits{})
		if err != nil || n != len(tt.in) {
			t.Errorf("ParseReply(%q) = n %d, err %v; want n %d", tt.in, n, err, len(tt.in))
			continue
		}
		if !reflect.DeepEqual(v, tt.want) {
			t.Errorf("ParseReply(%q) = %#v, want %#v", tt.in, v, tt.want)
		}
		// Every proper prefix is incomplete, never an error.
		for i := 0; i < len(tt.in); i++ {
			if v, n, err := ParseReply([]byte(tt.in[:i]), ReplyLimits{}); n != 0 || err != nil {
				t.Fatalf("ParseReply(%q) prefix = %#v, %d, %v; want incomplete", tt.in[:i], v, n, err)
			}
		}
		// The blocking reader, one byte per read, decodes the same.
		r := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(tt.in)), 16)
		rv, err := ReadReply(r, ReplyLimits{})
		if err != nil || !reflect.DeepEqual(rv, tt.want) {
			t.Errorf("ReadReply(%q) = %#v, %v", tt.in, rv, err)
		}
		if _, err := ReadReply(r, ReplyLimits{}); err != io.EOF {
			t.Errorf("ReadReply(%q) after the reply: %v, want io.EOF", tt.in, err)
		}
		// Encoding gives back the same value (streamed forms become
		// ordinary ones, so compare values, not bytes).
		enc := AppendValue(nil, v)
		if v2, n2, err := ParseReply(enc, ReplyLimits{}); err != nil || n2 != len(enc) || !reflect.DeepEqual(v2, v) {
			t.Errorf("round trip of %q through %q = %#v, %v", tt.in, enc, v2, err)
		}
	}
}

func TestParseReplyErrors(t *testing.T) {
	tests := []struct {
		in  string
		lim ReplyLimits
	}{
		{"x\r\n", ReplyLimits{}},
		{"\r\n", ReplyLimits{}},
		{"+OK\n", ReplyLimits{}},
		{":12a\r\n", ReplyLimits{}},
		{":99999999999999999999\r\n", ReplyLimits{}},
		{"$-2\r\n", ReplyLimits{}},
		{"$abc\r\n", ReplyLimits{}},
		{"$+1\r\nx\r\n", ReplyLimits{}},
		{"$1\r\nxy\r\n", ReplyLimits{}},
		{"$1234567890123456789\r\n", ReplyLimits{}},
		{"$11\r\nhello world\r\n", ReplyLimits{MaxBulk: 10}},
		{"*-2\r\n", ReplyLimits{}},
		{"%-1\r\n", ReplyLimits{}},
		{"*3\r\n:1\r\n:2\r\n:3\r\n", ReplyLimits{MaxElems: 3}},
		{"%2\r\n:1\r\n:2\r\n", ReplyLimits{MaxElems: 3}},
		{"*2000000000\r\n", ReplyLimits{MaxElems: 1000}},
		{"*1\r\n*1\r\n:1\r\n", ReplyLimits{MaxDepth: 1}},
		{"*1\r\n|1\r\n+a\r\n+b\r\n:1\r\n", ReplyLimits{MaxDepth: 1}},
		{"_x\r\n", ReplyLimits{}},
		{"#x\r\n", ReplyLimits{}},
		{",abc\r\n", ReplyLimits{}},
		{"(\r\n", ReplyLimits{}},
		{"(12a\r\n", ReplyLimits{}},
		{"=3\r\ntxt\r\n", ReplyLimits{}},
		{"=5\r\ntxt-x\r\n", ReplyLimits{}},
		{".\r\n", ReplyLimits{}},
		{"*1\r\n.\r\n", ReplyLimits{}},
		{"%?\r\n+a\r\n.\r\n", ReplyLimits{}},
		{"$?\r\n;x\r\n", ReplyLimits{}},
		{"$?\r\n+3\r\n", ReplyLimits{}},
		{"$?\r\n;6\r\nabcdef\r\n;5\r\nghijk\r\n", ReplyLimits{MaxBulk: 10}},
		{"!?\r\n", ReplyLimits{}},
		{"+" + strings.Repeat("a", 20) + "\r\n", ReplyLimits{MaxLine: 10}},
		{"+" + strings.Repeat("a", 20), ReplyLimits{MaxLine: 10}},
	}
	for _, tt := range tests {
		v, n, err := ParseReply([]byte(tt.in), tt.lim)
		if !IsProtocolError(err) || n != 0 {
			t.Errorf("ParseReply(%q) = %#v, %d, %v; want a protocol error", tt.in, v, n, err)
		}
		rv, err := ReadReply(bufio.NewReaderSize(strings.NewReader(tt.in), 16), tt.lim)
		if !IsProtocolError(err) {
			t.Errorf("ReadReply(%q) = %#v, %v; want a protocol error", tt.in, rv, err)
		}
	}
}

func TestParseReplyDepthLimit(t *testing.T) {
	nested := strings.Repeat("*1\r\n", 5) + ":1\r\n"
	if _, _, err := ParseReply([]byte(nested), ReplyLimits{MaxDepth: 5}); err != nil {
		t.Fatalf("depth 5 within MaxDepth 5: %v", err)
	}
	if _, _, err := ParseReply([]byte(nested), ReplyLimits{MaxDepth: 4}); !IsProtocolError(err) {
		t.Fatalf("depth 5 beyond MaxDepth 4: %v", err)
	}
	// The default stops a deeply nested hostile reply without a stack
	// overflow.
	deep := strings.Repeat("*1\r\n", 100000)
	if _, _, err := ParseReply([]byte(deep), ReplyLimits{}); !IsProtocolError(err) {
		t.Fatalf("100000 levels: %v", err)
	}
}

func TestReadReplyEOF(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want error
	}{
		{"", io.EOF},
		{"+OK", io.ErrUnexpectedEOF},
		{"$5\r\nhel", io.ErrUnexpectedEOF},
		{"$5\r\n", io.ErrUnexpectedEOF},
		{"*2\r\n:1\r\n", io.ErrUnexpectedEOF},
		{"$?\r\n;1\r\na\r\n", io.ErrUnexpectedEOF},
	} {
		_, err := ReadReply(bufio.NewReader(strings.NewReader(tt.in)), ReplyLimits{})
		if err != tt.want {
			t.Errorf("ReadReply(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
	boom := errors.New("boom")
	_, err := ReadReply(bufio.NewReader(iotest.ErrReader(boom)), ReplyLimits{})
	if err != boom {
		t.Errorf("reader error: %v", err)
	}
}

func TestReadReplyLongLinesAndBodies(t *testing.T) {
	long := strings.Repeat("x", 10000)
	big := strings.Repeat("0123456789", 30000) // beyond one body chunk
	in := "-" + long + "\r\n$" + strconv.Itoa(len(big)) + "\r\n" + big + "\r\n"
	r := bufio.NewReaderSize(strings.NewReader(in), 16)
	v, err := ReadReply(r, ReplyLimits{})
	if err != nil || v.Type != '-' || v.Str != long {
		t.Fatalf("long error line: %v", err)
	}
	v, err = ReadReply(r, ReplyLimits{})
	if err != nil || v.Type != '$' || v.Str != big {
		t.Fatalf("big bulk: %v", err)
	}
	if _, err := ReadReply(bufio.NewReaderSize(strings.NewReader(in), 16), ReplyLimits{MaxLine: 9999}); !IsProtocolError(err) {
		t.Fatalf("line beyond MaxLine: %v", err)
	}
}

// A header claiming a huge payload must not make the reader reserve it:
// memory grows with the bytes that arrive.
func TestReadReplyHostileLengthDoesNotAllocate(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	in := "$536870000\r\n" + strings.Repeat("a", 1000)
	_, err := ReadReply(bufio.NewReader(strings.NewReader(in)), ReplyLimits{})
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("allocated %d bytes for a 1000-byte payload", grew)
	}
	runtime.ReadMemStats(&before)
	in = "*16000000\r\n:1\r\n"
	if _, n, err := ParseReply([]byte(in), ReplyLimits{}); n != 0 || err != nil {
		t.Fatalf("ParseReply: %d, %v", n, err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("allocated %d bytes for a 16M-element header", grew)
	}
}

func TestParseReplyPipelined(t *testing.T) {
	in := []byte("+OK\r\n:1\r\n*1\r\n$1\r\nx\r\n")
	var got []Value
	for len(in) > 0 {
		v, n, err := ParseReply(in, ReplyLimits{})
		if err != nil || n == 0 {
			t.Fatalf("ParseReply(%q) = %d, %v", in, n, err)
		}
		got = append(got, v)
		in = in[n:]
	}
	if len(got) != 3 || got[0].Str != "OK" || got[1].Int != 1 || got[2].Elems[0].Str != "x" {
		t.Fatalf("got %#v", got)
	}
}

func TestValueHelpers(t *testing.T) {
	if !str('-', "ERR").IsError() || !str('!', "ERR").IsError() || str('+', "OK").IsError() {
		t.Error("IsError")
	}
	if !(Value{Type: '_', Null: true}).IsNull() || str('$', "").IsNull() {
		t.Error("IsNull")
	}
	if !arr('%').IsAggregate() || str('$', "").IsAggregate() {
		t.Error("IsAggregate")
	}
	for _, tt := range []struct {
		v    Value
		want float64
	}{
		{str(',', "1.5"), 1.5}, {str(',', "-inf"), math.Inf(-1)}, {Value{Type: ':', Int: 3}, 3}, {str(',', "1e999"), math.Inf(1)},
	} {
		if f, err := tt.v.Float(); err != nil || f != tt.want {
			t.Errorf("Float(%#v) = %v, %v", tt.v, f, err)
		}
	}
	if _, err := str('$', "x").Float(); err == nil {
		t.Error("Float of a non-number")
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n", "*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
		"_\r\n", ",1.5\r\n", "#t\r\n", "(123\r\n", "!3\r\nERR\r\n", "=7\r\ntxt:abc\r\n", "%1\r\n+k\r\n+v\r\n",
		"~1\r\n:1\r\n", ">3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$1\r\nx\r\n",
		"|1\r\n+a\r\n+b\r\n:1\r\n", "$?\r\n;2\r\nab\r\n;0\r\n", "*?\r\n:1\r\n.\r\n", "*99999999999999999999\r\n",
	} {
		f.Add([]byte(s))
	}
	lim := ReplyLimits{MaxBulk: 1 << 16, MaxLine: 1 << 10, MaxElems: 1 << 12, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, n, err := ParseReply(in, lim)
		rv, rerr := ReadReply(bufio.NewReaderSize(bytes.NewReader(in), 16), lim)
		switch {
		case err != nil:
			if !IsProtocolError(err) || n != 0 {
				t.Fatalf("ParseReply: n %d, non-protocol error %v", n, err)
			}
			if !IsProtocolError(rerr) {
				t.Fatalf("ParseReply: %v but ReadReply: %v", err, rerr)
			}
			return
		case n == 0:
			if len(in) == 0 && rerr != io.EOF || len(in) > 0 && rerr != io.ErrUnexpectedEOF {
				t.Fatalf("ParseReply incomplete but ReadReply: %v", rerr)
			}
			return
		}
		if n > len(in) {
			t.Fatalf("consumed %d of %d", n, len(in))
		}
		if rerr != nil || !reflect.DeepEqual(v, rv) {
			t.Fatalf("ParseReply %#v, ReadReply %#v, %v", v, rv, rerr)
		}
		enc := AppendValue(nil, v)
		v2, n2, err := ParseReply(enc, ReplyLimits{MaxDepth: 8})
		if err != nil || n2 != len(enc) || !reflect.DeepEqual(v, v2) {
			t.Fatalf("re-encoding %q as %q changed the value: %#v vs %#v (%v)", in[:n], enc, v, v2, err)
		}
	})
}
