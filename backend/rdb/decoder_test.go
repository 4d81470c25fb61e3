package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// smallFile returns a short valid RDB with a few keys of each type.
func smallFile(t testing.TB, opts EncoderOptions) []byte {
	var buf bytes.Buffer
	e := NewEncoder(&buf, opts)
	e.WriteHeader()
	e.WriteAux("redis-ver", "7.0.15")
	e.SelectDB(0, 6, 1)
	e.WriteString([]byte("s"), []byte("value value value value value value"), 1893456000000)
	e.WriteString([]byte("n"), []byte("42"), 0)
	e.WriteList([]byte("l"), bs("a", "1", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), 0)
	e.WriteSet([]byte("i"), bs("1", "2"), 0)
	e.WriteHash([]byte("h"), bs("f"), bs("v"), 0)
	e.WriteZSet([]byte("z"), bs("m"), []float64{1.5}, 0)
	e.SelectDB(1, 1, 0)
	e.WriteSet([]byte("s2"), bs("x", "y"), 0)
	if err := e.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeTruncated(t *testing.T) {
	for _, opts := range []EncoderOptions{{Checksum: true}, {Compress: true}} {
		data := smallFile(t, opts)
		for n := 0; n < len(data); n++ {
			err := NewDecoder(bytes.NewReader(data[:n])).Decode(nopVisitor{})
			if err == nil {
				t.Fatalf("truncated at %d of %d: no error", n, len(data))
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated at %d: unexpected error %v", n, err)
			}
		}
	}
}

// TestDecodeCorruptBytes flips every byte of a valid file: decoding must
// fail or succeed, never panic, and the checksum must catch what parses.
func TestDecodeCorruptBytes(t *testing.T) {
	data := smallFile(t, EncoderOptions{Checksum: true, Compress: true})
	for i := 0; i < len(data)-8; i++ {
		for _, x := range []byte{0x01, 0x80, 0xFF} {
			b := bytes.Clone(data)
			b[i] ^= x
			if err := NewDecoder(bytes.NewReader(b)).Decode(nopVisitor{}); err == nil {
				t.Fatalf("byte %d ^ %#x: corrupt file accepted", i, x)
			}
		}
	}
}

func TestDecodeChecksum(t *testing.T) {
	data := smallFile(t, EncoderOptions{Checksum: true})
	if err := NewDecoder(bytes.NewReader(data)).Decode(nopVisitor{}); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 1
	err := NewDecoder(bytes.NewReader(bad)).Decode(nopVisitor{})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "RDB checksum mismatch") {
		t.Fatalf("bad checksum: %v", err)
	}
	// A zero trailer means checksums were off: no check.
	off := smallFile(t, EncoderOptions{})
	if err := NewDecoder(bytes.NewReader(off)).Decode(nopVisitor{}); err != nil {
		t.Fatal(err)
	}
	// Changing data under a zero trailer is not detected (as in Redis), but
	// under a real one it is.
	i := bytes.Index(data, []byte("value value"))
	bad = bytes.Clone(data)
	bad[i] = 'V'
	if err := NewDecoder(bytes.NewReader(bad)).Decode(nopVisitor{}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("modified payload: %v", err)
	}
}

func TestDecodeVersion(t *testing.T) {
	for _, hdr := range []string{"REDIS0011", "REDIS0000", "REDIS9999"} {
		data := append([]byte(hdr), opEOF, 0, 0, 0, 0, 0, 0, 0, 0)
		err := NewDecoder(bytes.NewReader(data)).Decode(nopVisitor{})
		if err == nil || !strings.Contains(err.Error(), "Can't handle RDB format version") {
			t.Errorf("%s: %v", hdr, err)
		}
	}
	for _, hdr := range []string{"REDIX0010", "REDIS00a0", "RED"} {
		if err := NewDecoder(strings.NewReader(hdr)).Decode(nopVisitor{}); err == nil {
			t.Errorf("%s accepted", hdr)
		}
	}
	if err := NewDecoder(strings.NewReader("REDIS0010\xff\x00\x00\x00\x00\x00\x00\x00\x00")).Decode(nopVisitor{}); err != nil {
		t.Errorf("empty v10 file: %v", err)
	}
	if err := NewDecoder(strings.NewReader("REDIS0004\xff")).Decode(nopVisitor{}); err != nil {
		t.Errorf("empty v4 file (no checksum): %v", err)
	}
}

// TestDecodeNoOverRead checks that whatever follows the RDB is either left
// in the reader or handed back by Buffered, whatever the read sizes.
func TestDecodeNoOverRead(t *testing.T) {
	data := smallFile(t, EncoderOptions{Checksum: true})
	tail := []byte("*1\r\n$4\r\nPING\r\n")
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"onebyte":  iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"dataerr":  iotest.DataErrReader,
		"timeout":  iotest.TimeoutReader, // second read fails: needs one big read
		"chunk7":   func(r io.Reader) io.Reader { return &chunkReader{r, 7} },
		"chunk4k":  func(r io.Reader) io.Reader { return &chunkReader{r, 4096} },
		"chunk33k": func(r io.Reader) io.Reader { return &chunkReader{r, 33000} },
	} {
		src := bytes.NewReader(append(bytes.Clone(data), tail...))
		d := NewDecoder(wrap(src))
		if err := d.Decode(nopVisitor{}); err != nil {
			if name == "timeout" {
				continue
			}
			t.Fatalf("%s: %v", name, err)
		}
		rest, _ := io.ReadAll(src)
		got := append(bytes.Clone(d.Buffered()), rest...)
		if !bytes.Equal(got, tail) {
			t.Errorf("%s: after the RDB got %q, want %q", name, got, tail)
		}
		if d.Offset() != int64(len(data)) {
			t.Errorf("%s: Offset %d, want %d", name, d.Offset(), len(data))
		}
	}
}

type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// rawFile builds a stream from hand-written pieces.
func rawFile(parts ...[]byte) []byte {
	b := []byte("REDIS0010")
	for _, p := range parts {
		b = append(b, p...)
	}
	b = append(b, opEOF)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

func TestDecodeUnsupported(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want string
	}{
		"stream":   {rawFile([]byte{typeStreamListpack2, 1, 'k'}), "stream keys are not supported yet"},
		"stream1":  {rawFile([]byte{typeStreamListpacks, 1, 'k'}), "stream keys are not supported yet"},
		"stream3":  {rawFile([]byte{typeStreamListpack3, 1, 'k'}), "stream keys are not supported yet"},
		"module":   {rawFile([]byte{typeModule2, 1, 'k'}), "module keys are not supported"},
		"moduleau": {rawFile([]byte{opModuleAux, 1}), "module aux data"},
		"function": {rawFile([]byte{opFunction, 1}), "pre-release function format"},
		"unknown":  {rawFile([]byte{typeSetListpack, 1, 'k'}), "unknown value type 20"},
		"unknown8": {rawFile([]byte{8, 1, 'k'}), "unknown value type 8"},
	}
	for name, c := range cases {
		err := NewDecoder(bytes.NewReader(c.data)).Decode(nopVisitor{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
		if strings.HasPrefix(name, "stream") && !strings.Contains(err.Error(), `key "k"`) {
			t.Errorf("%s: error does not name the key: %v", name, err)
		}
	}
}

func TestDecodeOpcodes(t *testing.T) {
	code := "#!lua name=lib\nredis.register_function('f', function() return 1 end)"
	fn := append([]byte{opFunction2, 0x40, byte(len(code))}, code...) // 14-bit length
	data := rawFile(
		fn,
		[]byte{opSelectDB, 2, opResizeDB, 2, 1},
		[]byte{opIdle, 0x40, 200, typeString, 1, 'a', 1, 'x'},
		[]byte{opFreq, 7, opExpireTime, 0x10, 0, 0, 0, typeString, 1, 'b', 1, 'y'},
		[]byte{opExpireTimeM, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, typeString, 1, 'c', 1, 'z'},
	)
	c := newCollector()
	if err := NewDecoder(bytes.NewReader(data)).Decode(c); err != nil {
		t.Fatal(err)
	}
	if len(c.funcs) != 1 || c.funcs[0] != code {
		t.Errorf("functions %q", c.funcs)
	}
	if c.infos["a"] != [2]int64{200, -1} || c.infos["b"] != [2]int64{-1, 7} {
		t.Errorf("key info %v", c.infos)
	}
	items := c.dbs[2]
	if len(items) != 3 || items[0].expire != NoExpiry || items[1].expire != 16000 || items[2].expire != 0 {
		t.Errorf("items %+v", items)
	}
	// Without the optional interfaces the same file decodes.
	if err := NewDecoder(bytes.NewReader(data)).Decode(nopVisitor{}); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeSkipsEmpty(t *testing.T) {
	emptyLP, _ := EncodeListpack(nil)
	data := rawFile(
		[]byte{typeList, 1, 'l', 0},
		[]byte{typeSet, 1, 's', 0},
		[]byte{typeHash, 1, 'h', 0},
		[]byte{typeZSet2, 1, 'z', 0},
		append([]byte{typeHashListpack, 1, 'p', byte(len(emptyLP))}, emptyLP...),
		append([]byte{typeListQuicklist2, 1, 'q', 1, 2, byte(len(emptyLP))}, emptyLP...),
		[]byte{typeString, 1, 'k', 0},
	)
	c := newCollector()
	if err := NewDecoder(bytes.NewReader(data)).Decode(c); err != nil {
		t.Fatal(err)
	}
	if c.visited != 1 || c.dbs[0][0].key != "k" {
		t.Errorf("visited %d: %+v", c.visited, c.dbs)
	}
}

func TestDecodeCorruptValues(t *testing.T) {
	lp := func(elems ...string) []byte {
		b, _ := EncodeListpack(bs(elems...))
		return append([]byte{byte(len(b))}, b...)
	}
	cases := map[string][]byte{
		"odd hash listpack":  append([]byte{typeHashListpack, 1, 'h'}, lp("a")...),
		"bad zset score":     append([]byte{typeZSetListpack, 1, 'z'}, lp("m", "notanumber")...),
		"nan zset score":     append([]byte{typeZSetListpack, 1, 'z'}, lp("m", "nan")...),
		"nan zset2":          {typeZSet2, 1, 'z', 1, 1, 'm', 0, 0, 0, 0, 0, 0, 0xF8, 0x7F},
		"nan zset ascii":     {typeZSet, 1, 'z', 1, 1, 'm', 253},
		"bad container":      append([]byte{typeListQuicklist2, 1, 'q', 1, 3}, lp("a")...),
		"bad length byte":    {typeString, 1, 'k', 0x85},
		"bad string enc":     {typeString, 1, 'k', 0xC4},
		"encoded count":      {typeList, 1, 'k', 0xC0, 1},
		"lzf zero clen":      {typeString, 1, 'k', 0xC3, 0, 5},
		"lzf ratio":          {typeString, 1, 'k', 0xC3, 1, 0x80, 0x10, 0, 0, 0, 0},
		"lzf bad data":       {typeString, 1, 'k', 0xC3, 2, 5, 0x20, 0},
		"intset blob":        {typeSetIntset, 1, 's', 3, 2, 0, 0},
		"ziplist blob":       {typeListZiplist, 1, 'l', 3, 1, 2, 3},
		"zipmap blob":        {typeHashZipmap, 1, 'h', 1, 1},
		"selectdb too large": {opSelectDB, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
	}
	for name, body := range cases {
		err := NewDecoder(bytes.NewReader(rawFile(body))).Decode(nopVisitor{})
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestDecodeHostileLengths checks that lengths claiming gigabytes do not
// make the decoder allocate them.
func TestDecodeHostileLengths(t *testing.T) {
	huge := []byte{0x81, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00} // 64 GiB
	cases := map[string][]byte{
		"string": append([]byte{typeString, 1, 'k'}, huge...),
		"list":   append([]byte{typeList, 1, 'k'}, huge...),
		"zset":   append([]byte{typeZSet2, 1, 'k'}, huge...),
		"hash":   append([]byte{typeHash, 1, 'k'}, huge...),
		"ql":     append([]byte{typeListQuicklist2, 1, 'k'}, huge...),
		"key":    append([]byte{typeString}, huge...),
		"lzf":    append(append([]byte{typeString, 1, 'k', 0xC3}, huge...), huge...),
		"str32":  {typeString, 1, 'k', 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 'a'},
	}
	for name, body := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		data := []byte("REDIS0010")
		data = append(data, body...)
		data = append(data, bytes.Repeat([]byte{1, 'x'}, 1000)...)
		err := NewDecoder(bytes.NewReader(data)).Decode(nopVisitor{})
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
			t.Errorf("%s: allocated %d bytes for a %d-byte input", name, grew, len(data))
		}
	}
}

type failingVisitor struct {
	nopVisitor
	err error
}

func (f failingVisitor) Hash(_ []byte, _, _ [][]byte, _ int64) error { return f.err }

func TestDecodeVisitorError(t *testing.T) {
	sentinel := errors.New("stop here")
	err := NewDecoder(bytes.NewReader(smallFile(t, EncoderOptions{}))).Decode(failingVisitor{err: sentinel})
	if err != sentinel {
		t.Fatalf("visitor error not passed through unchanged: %v", err)
	}
	d := NewDecoder(bytes.NewReader(smallFile(t, EncoderOptions{})))
	d.Decode(nopVisitor{})
	if err := d.Decode(nopVisitor{}); err == nil {
		t.Error("second Decode accepted")
	}
}

// TestDecodeReadError surfaces errors from the reader.
func TestDecodeReadError(t *testing.T) {
	data := smallFile(t, EncoderOptions{})
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(data[:40]), iotest.ErrReader(boom))
	if err := NewDecoder(r).Decode(nopVisitor{}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}
