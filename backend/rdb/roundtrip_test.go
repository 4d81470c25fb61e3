package rdb

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dbs := testDataset(4102444800000) // 2100-01-01
	for _, opts := range []EncoderOptions{
		{},
		{Compress: true},
		{Checksum: true},
		{Compress: true, Checksum: true, ListPackedThreshold: 4096},
		{ListMaxListpackSize: 5, HashMaxListpackEntries: -1, SetMaxIntsetEntries: -1, ZSetMaxListpackEntries: -1},
		{ListMaxListpackSize: -5, HashMaxListpackValue: 1000, ZSetMaxListpackValue: 1000, ZSetMaxListpackEntries: 2000, HashMaxListpackEntries: 2000, SetMaxIntsetEntries: 1000},
	} {
		var buf bytes.Buffer
		writeDataset(t, NewEncoder(&buf, opts), dbs)
		c := newCollector()
		d := NewDecoder(bytes.NewReader(buf.Bytes()))
		if err := d.Decode(c); err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		compareDecoded(t, c, dbs)
		if c.aux["redis-ver"] != "7.0.15" || c.aux["used-mem"] != "1099511627776" || c.aux["redis-bits"] != "64" {
			t.Errorf("aux fields: %v", c.aux)
		}
		if got := c.resize[0]; got != [2]uint64{uint64(len(dbs[0].items)), 5} {
			t.Errorf("resize db0 = %v", got)
		}
		if len(c.funcs) != 1 || c.funcs[0] != testFunction {
			t.Errorf("functions %q", c.funcs)
		}
		if d.Version() != 10 {
			t.Errorf("version %d", d.Version())
		}
		if len(d.Buffered()) != 0 || d.Offset() != int64(buf.Len()) {
			t.Errorf("Buffered() = %d bytes, Offset %d of %d", len(d.Buffered()), d.Offset(), buf.Len())
		}
		// Tiny reads exercise every buffer boundary.
		c = newCollector()
		if err := NewDecoder(&chunkReader{bytes.NewReader(buf.Bytes()), 13}).Decode(c); err != nil {
			t.Fatalf("%+v, 13-byte reads: %v", opts, err)
		}
		compareDecoded(t, c, dbs)
	}
}

// encodeOne returns the stream for a single key written by fn, and the
// offset of the value type byte.
func encodeOne(t *testing.T, opts EncoderOptions, fn func(e *Encoder) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := NewEncoder(&buf, opts)
	if err := e.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	if err := e.SelectDB(0, 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := fn(e); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const typeOffset = 9 + 5 // header, SELECTDB 0 + RESIZEDB 1 0

func TestEncodingChoice(t *testing.T) {
	k := []byte("k")
	cases := []struct {
		name string
		fn   func(e *Encoder) error
		want byte
	}{
		{"string", func(e *Encoder) error { return e.WriteString(k, []byte("v"), 0) }, typeString},
		{"list", func(e *Encoder) error { return e.WriteList(k, bs("a"), 0) }, typeListQuicklist2},
		{"intset", func(e *Encoder) error { return e.WriteSet(k, bs("1", "2"), 0) }, typeSetIntset},
		{"intset-512", func(e *Encoder) error { return e.WriteSet(k, seq("%d", 512), 0) }, typeSetIntset},
		{"set-513", func(e *Encoder) error { return e.WriteSet(k, seq("%d", 513), 0) }, typeSet},
		{"set-noncanonical", func(e *Encoder) error { return e.WriteSet(k, bs("1", "+2"), 0) }, typeSet},
		{"set-overflow", func(e *Encoder) error { return e.WriteSet(k, bs("1", "9223372036854775808"), 0) }, typeSet},
		{"hash-lp", func(e *Encoder) error { return e.WriteHash(k, seq("f%d", 128), seq("v%d", 128), 0) }, typeHashListpack},
		{"hash-129", func(e *Encoder) error { return e.WriteHash(k, seq("f%d", 129), seq("v%d", 129), 0) }, typeHash},
		{"hash-longfield", func(e *Encoder) error { return e.WriteHash(k, [][]byte{bytes.Repeat([]byte("f"), 65)}, bs("v"), 0) }, typeHash},
		{"zset-lp", func(e *Encoder) error { return e.WriteZSet(k, seq("m%d", 128), make([]float64, 128), 0) }, typeZSetListpack},
		{"zset-129", func(e *Encoder) error { return e.WriteZSet(k, seq("m%d", 129), make([]float64, 129), 0) }, typeZSet2},
		{"zset-longmember", func(e *Encoder) error {
			return e.WriteZSet(k, [][]byte{bytes.Repeat([]byte("m"), 65)}, []float64{1}, 0)
		}, typeZSet2},
	}
	for _, c := range cases {
		out := encodeOne(t, EncoderOptions{}, c.fn)
		if out[typeOffset] != c.want {
			t.Errorf("%s: type %d, want %d", c.name, out[typeOffset], c.want)
		}
	}
	// An expiry goes before the type as EXPIRETIME_MS.
	out := encodeOne(t, EncoderOptions{}, func(e *Encoder) error { return e.WriteString(k, []byte("v"), 1234) })
	if out[typeOffset] != opExpireTimeM || out[typeOffset+9] != typeString {
		t.Errorf("expiry not written as EXPIRETIME_MS: % x", out[typeOffset:])
	}
}

func TestEncoderStringEncodings(t *testing.T) {
	cases := []struct {
		val  string
		want []byte // bytes of the value after the key
	}{
		{"0", []byte{0xC0, 0}},
		{"-128", []byte{0xC0, 0x80}},
		{"127", []byte{0xC0, 0x7F}},
		{"128", []byte{0xC1, 0x80, 0}},
		{"-32768", []byte{0xC1, 0x00, 0x80}},
		{"32768", []byte{0xC2, 0x00, 0x80, 0, 0}},
		{"2147483647", []byte{0xC2, 0xFF, 0xFF, 0xFF, 0x7F}},
		{"2147483648", append([]byte{10}, "2147483648"...)},
		{"-0", append([]byte{2}, "-0"...)},
		{"01", append([]byte{2}, "01"...)},
	}
	for _, c := range cases {
		out := encodeOne(t, EncoderOptions{}, func(e *Encoder) error { return e.WriteString([]byte("k"), []byte(c.val), 0) })
		got := out[typeOffset+3 : len(out)-9]
		if !bytes.Equal(got, c.want) {
			t.Errorf("%q encoded as % x, want % x", c.val, got, c.want)
		}
	}
	// Lengths: 6-bit, 14-bit and 32-bit forms.
	for _, n := range []int{63, 64, 16383, 16384} {
		val := bytes.Repeat([]byte("z"), n)
		out := encodeOne(t, EncoderOptions{}, func(e *Encoder) error { return e.WriteString([]byte("k"), val, 0) })
		hdr := out[typeOffset+3]
		switch {
		case n < 64 && hdr != byte(n):
			t.Errorf("len %d: header %x", n, hdr)
		case n >= 64 && n < 16384 && hdr>>6 != 1:
			t.Errorf("len %d: header %x", n, hdr)
		case n >= 16384 && hdr != 0x80:
			t.Errorf("len %d: header %x", n, hdr)
		}
	}
	// Compression: used for long compressible strings only.
	long := bytes.Repeat([]byte("ab"), 50)
	out := encodeOne(t, EncoderOptions{Compress: true}, func(e *Encoder) error { return e.WriteString([]byte("k"), long, 0) })
	if out[typeOffset+3] != 0xC3 {
		t.Errorf("compressible string not LZF-encoded: %x", out[typeOffset+3])
	}
	short := bytes.Repeat([]byte("a"), 20)
	out = encodeOne(t, EncoderOptions{Compress: true}, func(e *Encoder) error { return e.WriteString([]byte("k"), short, 0) })
	if out[typeOffset+3] != 20 {
		t.Errorf("20-byte string compressed: %x", out[typeOffset+3])
	}
}

func TestListNodes(t *testing.T) {
	e := NewEncoder(nil, EncoderOptions{})
	elems := seq("element-%06d", 10000) // 14-byte strings: 16 bytes per entry
	bounds := e.listNodes(elems)
	start := 0
	for _, end := range bounds {
		lp, err := EncodeListpack(elems[start:end])
		if err != nil {
			t.Fatal(err)
		}
		if len(lp) > 8192 {
			t.Fatalf("node of %d bytes exceeds 8 KB", len(lp))
		}
		if end < len(elems) && len(lp)+ListpackEntrySize(elems[end]) <= 8192 {
			t.Fatalf("node closed at %d bytes though the next entry fits", len(lp))
		}
		start = end
	}
	if len(bounds) < 2 || bounds[len(bounds)-1] != len(elems) {
		t.Fatalf("bounds %v", bounds)
	}
	// Count-limited nodes.
	e = NewEncoder(nil, EncoderOptions{ListMaxListpackSize: 3})
	if got := e.listNodes(seq("%d", 7)); !equalInts(got, []int{3, 6, 7}) {
		t.Errorf("fill 3: %v", got)
	}
	// Large elements: alone in a node; PLAIN when over the threshold.
	e = NewEncoder(nil, EncoderOptions{ListPackedThreshold: 100})
	els := [][]byte{[]byte("a"), bytes.Repeat([]byte("x"), 100), []byte("b"), []byte("c"), bytes.Repeat([]byte("y"), 9000)}
	if got := e.listNodes(els); !equalInts(got, []int{1, 2, 4, 5}) {
		t.Errorf("plain nodes: %v", got)
	}
	e = NewEncoder(nil, EncoderOptions{})
	if got := e.listNodes(els); !equalInts(got, []int{4, 5}) {
		t.Errorf("oversized packed node: %v", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEncoderErrors(t *testing.T) {
	k := []byte("k")
	for name, fn := range map[string]func(e *Encoder) error{
		"empty list":    func(e *Encoder) error { return e.WriteList(k, nil, 0) },
		"empty set":     func(e *Encoder) error { return e.WriteSet(k, nil, 0) },
		"empty hash":    func(e *Encoder) error { return e.WriteHash(k, nil, nil, 0) },
		"empty zset":    func(e *Encoder) error { return e.WriteZSet(k, nil, nil, 0) },
		"hash mismatch": func(e *Encoder) error { return e.WriteHash(k, bs("a"), nil, 0) },
		"zset mismatch": func(e *Encoder) error { return e.WriteZSet(k, bs("a"), nil, 0) },
		"zset nan":      func(e *Encoder) error { return e.WriteZSet(k, bs("a"), []float64{nan()}, 0) },
		"intset dup":    func(e *Encoder) error { return e.WriteSet(k, bs("1", "1"), 0) },
		"negative db":   func(e *Encoder) error { return e.SelectDB(-1, 0, 0) },
	} {
		e := NewEncoder(&bytes.Buffer{}, EncoderOptions{})
		if err := fn(e); err == nil {
			t.Errorf("%s: no error", name)
		} else if err2 := e.WriteEnd(); err2 != err {
			t.Errorf("%s: error not sticky: %v then %v", name, err, err2)
		}
	}
	e := NewEncoder(&bytes.Buffer{}, EncoderOptions{})
	if err := e.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteString(k, k, 0); err == nil {
		t.Error("write after WriteEnd accepted")
	}
	// A failing writer surfaces its error.
	e = NewEncoder(errWriter{}, EncoderOptions{})
	e.WriteHeader()
	if err := e.WriteEnd(); err == nil {
		t.Error("writer error lost")
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, bytes.ErrTooLarge }

func TestChecksumTrailer(t *testing.T) {
	on := encodeOne(t, EncoderOptions{Checksum: true}, func(e *Encoder) error { return e.WriteString([]byte("k"), []byte("v"), 0) })
	if got, want := on[len(on)-8:], CRC64(0, on[:len(on)-8]); leUint64(got) != want {
		t.Errorf("trailer %x, want %x", got, want)
	}
	off := encodeOne(t, EncoderOptions{}, func(e *Encoder) error { return e.WriteString([]byte("k"), []byte("v"), 0) })
	if leUint64(off[len(off)-8:]) != 0 {
		t.Errorf("checksum off but trailer %x", off[len(off)-8:])
	}
	if off[len(off)-9] != opEOF {
		t.Errorf("missing EOF opcode")
	}
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
