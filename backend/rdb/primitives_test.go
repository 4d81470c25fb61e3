package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"
)

func nan() float64 { return math.NaN() }

func TestCRC64(t *testing.T) {
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("CRC64(123456789) = %x", got)
	}
	data := pseudoRandom(10000, 5)
	if CRC64(CRC64(0, data[:3333]), data[3333:]) != CRC64(0, data) {
		t.Fatal("CRC64 does not chain")
	}
	if CRC64(0, nil) != 0 {
		t.Fatal("CRC64 of nothing is not 0")
	}
}

func TestParseInt(t *testing.T) {
	good := []string{"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "10", "-10"}
	bad := []string{"", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808",
		"-9223372036854775809", "99999999999999999999", "123456789012345678901", "0x1", "1e3"}
	for _, s := range good {
		v, ok := ParseInt([]byte(s))
		want, _ := strconv.ParseInt(s, 10, 64)
		if !ok || v != want {
			t.Errorf("ParseInt(%q) = %d, %v", s, v, ok)
		}
	}
	for _, s := range bad {
		if v, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) accepted as %d", s, v)
		}
	}
}

func TestLZF(t *testing.T) {
	inputs := [][]byte{
		[]byte("a"),
		[]byte("abc"),
		[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		bytes.Repeat([]byte("hello world "), 1000),
		bytes.Repeat([]byte{0}, 100000),
		pseudoRandom(50000, 7),
		append(pseudoRandom(9000, 8), pseudoRandom(9000, 8)...), // repeat beyond the 8 KB window
		append(pseudoRandom(8000, 8), pseudoRandom(8000, 8)...), // repeat inside the window
	}
	for i, in := range inputs {
		c := LZFCompress(nil, in)
		if len(c) > len(in)+len(in)/32+1 {
			t.Errorf("input %d: %d bytes compressed to %d", i, len(in), len(c))
		}
		out, err := LZFDecompress(nil, c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("input %d: round trip failed: %v", i, err)
		}
		// Appending to a prefix keeps the prefix.
		out, err = LZFDecompress([]byte("pre"), c, len(in))
		if err != nil || !bytes.Equal(out[3:], in) || string(out[:3]) != "pre" {
			t.Fatalf("input %d: append form failed: %v", i, err)
		}
	}
	if c := LZFCompress(nil, bytes.Repeat([]byte("x"), 10000)); len(c) > 150 {
		t.Errorf("run of 10000 bytes compressed to %d bytes", len(c))
	}
	if c := LZFCompress([]byte("keep"), nil); string(c) != "keep" {
		t.Errorf("empty input changed dst: %q", c)
	}
}

func TestLZFDecompressErrors(t *testing.T) {
	cases := map[string]struct {
		in   []byte
		size int
	}{
		"literal past end":      {[]byte{5, 'a'}, 6},
		"backref before start":  {[]byte{0x20, 0x00}, 3},
		"output too long":       {[]byte{2, 'a', 'b', 'c'}, 2},
		"output too short":      {[]byte{2, 'a', 'b', 'c'}, 4},
		"truncated backref":     {[]byte{0, 'a', 0x20}, 4},
		"truncated long len":    {[]byte{0, 'a', 0xE0}, 4},
		"absurd size":           {[]byte{0, 'a'}, 1 << 30},
		"negative size":         {[]byte{0, 'a'}, -1},
		"backref overflows out": {[]byte{0, 'a', 0xE0, 0xFF, 0x00}, 10},
	}
	for name, c := range cases {
		if _, err := LZFDecompress(nil, c.in, c.size); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A valid overlapping back reference: "a" then copy 8 from distance 1.
	out, err := LZFDecompress(nil, []byte{0, 'a', 0xC0, 0x00}, 9)
	if err != nil || string(out) != "aaaaaaaaa" {
		t.Errorf("overlapping copy: %q %v", out, err)
	}
}

func FuzzLZF(f *testing.F) {
	f.Add([]byte("hello hello hello hello"))
	f.Add(bytes.Repeat([]byte{1, 2, 3}, 300))
	f.Add(pseudoRandom(300, 1))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := LZFCompress(nil, in)
		out, err := LZFDecompress(nil, c, len(in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip failed: %v", err)
		}
		// Arbitrary input as compressed data must not panic.
		LZFDecompress(nil, in, len(in)*3)
	})
}

func TestListpackEncodings(t *testing.T) {
	cases := []struct {
		elem string
		enc  []byte // entry without backlen
	}{
		{"0", []byte{0x00}},
		{"127", []byte{0x7F}},
		{"128", []byte{0xC0, 0x80}},
		{"-1", []byte{0xDF, 0xFF}},
		{"4095", []byte{0xCF, 0xFF}},
		{"-4096", []byte{0xD0, 0x00}},
		{"4096", []byte{0xF1, 0x00, 0x10}},
		{"-32768", []byte{0xF1, 0x00, 0x80}},
		{"32768", []byte{0xF2, 0x00, 0x80, 0x00}},
		{"-8388608", []byte{0xF2, 0x00, 0x00, 0x80}},
		{"8388608", []byte{0xF3, 0x00, 0x00, 0x80, 0x00}},
		{"2147483648", []byte{0xF4, 0x00, 0x00, 0x00, 0x80, 0, 0, 0, 0}},
		{"", []byte{0x80}},
		{"abc", []byte{0x83, 'a', 'b', 'c'}},
		{"-0", []byte{0x82, '-', '0'}},
	}
	for _, c := range cases {
		lp, err := EncodeListpack(bs(c.elem))
		if err != nil {
			t.Fatal(err)
		}
		entry := lp[lpHeaderSize : len(lp)-1]
		if !bytes.Equal(entry[:len(entry)-1], c.enc) || int(entry[len(entry)-1]) != len(c.enc) {
			t.Errorf("%q: entry % x, want % x + backlen", c.elem, entry, c.enc)
		}
		if ListpackEntrySize([]byte(c.elem)) != len(entry) {
			t.Errorf("%q: ListpackEntrySize %d, entry %d", c.elem, ListpackEntrySize([]byte(c.elem)), len(entry))
		}
	}
	// Every string length class and every backlen width, plus a count that
	// saturates the header.
	var elems [][]byte
	for _, n := range []int{0, 63, 64, 125, 126, 127, 4095, 4096, 16381, 16382, 16383, 100000, 2097151} {
		elems = append(elems, bytes.Repeat([]byte{'q'}, n))
	}
	lp, err := EncodeListpack(elems)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeListpack(lp)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(elems) {
		t.Fatalf("%d elements, want %d", len(got), len(elems))
	}
	for i := range got {
		if !bytes.Equal(got[i], elems[i]) {
			t.Fatalf("element %d differs", i)
		}
	}
	// Backlen check value from the listpack description: 500 bytes of
	// string data take a 2-byte header, so the entry length is 502, whose
	// backlen is 0x03 0xF6 (502 = 3<<7 | 118, low byte flagged).
	lp, _ = EncodeListpack([][]byte{bytes.Repeat([]byte("x"), 500)})
	if tail := lp[len(lp)-3 : len(lp)-1]; tail[0] != 0x03 || tail[1] != 0xF6 {
		t.Errorf("backlen of 502-byte entry = % x", tail)
	}
	many := seq("%d", 70000)
	lp, _ = EncodeListpack(many)
	if binary.LittleEndian.Uint16(lp[4:]) != lpCountUnknown {
		t.Errorf("count not saturated")
	}
	if got, err := DecodeListpack(lp); err != nil || len(got) != 70000 || string(got[69999]) != "69999" {
		t.Errorf("saturated count decode: %d %v", len(got), err)
	}
}

func TestListpackCorrupt(t *testing.T) {
	good, _ := EncodeListpack(bs("a", "12345", "hello"))
	mutations := map[string]func(b []byte) []byte{
		"short":          func(b []byte) []byte { return b[:5] },
		"total bytes":    func(b []byte) []byte { b[0]++; return b },
		"count":          func(b []byte) []byte { b[4] = 7; return b },
		"terminator":     func(b []byte) []byte { b[len(b)-1] = 0; return b },
		"backlen":        func(b []byte) []byte { b[lpHeaderSize+2]++; return b },
		"string length":  func(b []byte) []byte { b[lpHeaderSize] = 0x80 | 40; return b },
		"bad encoding":   func(b []byte) []byte { b[lpHeaderSize] = 0xF8; return b },
		"early end byte": func(b []byte) []byte { b[lpHeaderSize] = 0xFF; return b },
	}
	for name, m := range mutations {
		b := m(bytes.Clone(good))
		if _, err := DecodeListpack(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestIntset(t *testing.T) {
	for _, c := range []struct {
		vals  []int64
		width uint32
	}{
		{[]int64{3, 1, 2, -32768, 32767}, 2},
		{[]int64{1, 32768}, 4},
		{[]int64{math.MinInt32, 5}, 4},
		{[]int64{math.MaxInt32 + 1}, 8},
		{[]int64{math.MinInt64, math.MaxInt64, 0}, 8},
	} {
		blob, err := EncodeIntset(c.vals)
		if err != nil {
			t.Fatal(err)
		}
		if w := binary.LittleEndian.Uint32(blob); w != c.width {
			t.Errorf("%v: width %d, want %d", c.vals, w, c.width)
		}
		got, err := DecodeIntset(blob)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Errorf("not sorted: %v", got)
			}
		}
		if len(got) != len(c.vals) {
			t.Errorf("%v decoded as %v", c.vals, got)
		}
	}
	if _, err := EncodeIntset([]int64{1, 1}); err == nil {
		t.Error("duplicate accepted")
	}
	bad := map[string][]byte{
		"short":    {2, 0, 0},
		"width":    {3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0},
		"size":     {2, 0, 0, 0, 2, 0, 0, 0, 1, 0},
		"unsorted": {2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0},
		"dup":      {2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0},
		"huge":     {8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF},
	}
	for name, b := range bad {
		if _, err := DecodeIntset(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
