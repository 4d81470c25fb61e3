package rdb

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"testing"
)

// Test-only writers for the encodings Redis 7.0 no longer produces but
// still loads. The interop test feeds their output to a real redis-server,
// which validates them independently of our decoder.

// ziplistEntry appends one ziplist entry (prevlen, encoding, data).
func ziplistEntry(dst []byte, prev int, elem []byte) []byte {
	if prev < 254 {
		dst = append(dst, byte(prev))
	} else {
		dst = append(dst, 0xFE)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(prev))
	}
	if v, ok := ParseInt(elem); ok {
		switch {
		case v >= 0 && v <= 12:
			return append(dst, 0xF1+byte(v))
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return append(dst, 0xFE, byte(v))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return append(dst, 0xC0, byte(v), byte(v>>8))
		case v >= -1<<23 && v < 1<<23:
			return append(dst, 0xF0, byte(v), byte(v>>8), byte(v>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			dst = append(dst, 0xD0)
			return binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = append(dst, 0xE0)
			return binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	n := len(elem)
	switch {
	case n < 64:
		dst = append(dst, byte(n))
	case n < 16384:
		dst = append(dst, byte(0x40|n>>8), byte(n))
	default:
		dst = append(dst, 0x80)
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	return append(dst, elem...)
}

func encodeZiplist(elems [][]byte) []byte {
	b := make([]byte, zlHeaderSize)
	prev, tail := 0, zlHeaderSize
	for _, e := range elems {
		tail = len(b)
		b = ziplistEntry(b, prev, e)
		prev = len(b) - tail
	}
	b = append(b, zlEnd)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(min(len(elems), zlCountUnknown)))
	return b
}

func zipmapLen(dst []byte, n int) []byte {
	if n < zmBigLen {
		return append(dst, byte(n))
	}
	dst = append(dst, zmBigLen)
	return binary.LittleEndian.AppendUint32(dst, uint32(n))
}

func encodeZipmap(fields, values [][]byte) []byte {
	b := []byte{byte(min(len(fields), zmBigLen))}
	for i := range fields {
		b = zipmapLen(b, len(fields[i]))
		b = append(b, fields[i]...)
		b = zipmapLen(b, len(values[i]))
		b = append(b, 0) // no free bytes
		b = append(b, values[i]...)
	}
	return append(b, zmEnd)
}

func interleave(a, b [][]byte) [][]byte {
	out := make([][]byte, 0, 2*len(a))
	for i := range a {
		out = append(out, a[i], b[i])
	}
	return out
}

func scoreStrings(members [][]byte, scores []float64) [][]byte {
	out := make([][]byte, 0, 2*len(members))
	for i := range members {
		out = append(out, members[i], appendScore(nil, scores[i]))
	}
	return out
}

// legacyWriter writes legacy-typed keys through an Encoder's primitives.
type legacyWriter struct{ e *Encoder }

func (l legacyWriter) key(typ byte, key string, expire int64, seconds bool) {
	if expire > 0 {
		if seconds {
			l.e.byte1(opExpireTime)
			l.e.buf = binary.LittleEndian.AppendUint32(l.e.buf, uint32(expire/1000))
		} else {
			l.e.byte1(opExpireTimeM)
			l.e.buf = binary.LittleEndian.AppendUint64(l.e.buf, uint64(expire))
		}
	}
	l.e.byte1(typ)
	l.e.str([]byte(key))
}

// legacyDataset returns keys in legacy encodings and their expected
// decoded contents. Expiries use whole seconds so EXPIRETIME can hold them.
func legacyDataset(futureMs int64) (write func(e *Encoder, seconds bool), want []dbItems) {
	futureMs -= futureMs % 1000
	zlHash := bs("f1", "v1", "f2", "12", "f3", "-70000", "long", string(bytes.Repeat([]byte("L"), 300)))
	zlList := bs("a", "0", "12", "13", "-1", "-200", "30000", "-8000000", "2000000000", "-9000000000000",
		string(bytes.Repeat([]byte("m"), 70)), string(bytes.Repeat([]byte("n"), 17000)), "")
	zsM, zsS := bs("x", "y", "z", "w"), []float64{-1.5, 2, 2.25, 1e20}
	zmF, zmV := bs("name", "n", "big"), [][]byte{[]byte("zipmap"), []byte("1"), bytes.Repeat([]byte("B"), 300)}
	qlNodes := [][][]byte{bs("q1", "q2", "3"), bs("q4"), seq("node3-%d", 50)}
	var qlAll [][]byte
	for _, n := range qlNodes {
		qlAll = append(qlAll, n...)
	}
	oldZM := bs("a", "b", "c", "d", "e")
	oldZS := []float64{1.5, math.Inf(1), math.Inf(-1), -0.125, 3}

	want = []dbItems{{0, []item{
		{kind: "list", key: "legacy:list1", elems: bs("p", "1", "q"), expire: futureMs, wantEnc: "quicklist"},
		{kind: "set", key: "legacy:set2", elems: bs("1", "2", "3"), expire: NoExpiry, wantEnc: "intset"},
		{kind: "zset", key: "legacy:zset3", elems: oldZM, scores: oldZS, expire: NoExpiry, wantEnc: "listpack"},
		{kind: "hash", key: "legacy:hash4", elems: bs("a", "b"), values: bs("1", "2"), expire: NoExpiry, wantEnc: "listpack"},
		{kind: "hash", key: "legacy:zipmap", elems: zmF, values: zmV, expire: futureMs, wantEnc: "hashtable"},
		{kind: "list", key: "legacy:ziplist", elems: zlList, expire: NoExpiry, wantEnc: "quicklist"},
		{kind: "zset", key: "legacy:zsetzl", elems: zsM, scores: zsS, expire: NoExpiry, wantEnc: "listpack"},
		{kind: "hash", key: "legacy:hashzl", elems: bs("f1", "f2", "f3", "long"), values: [][]byte{zlHash[1], zlHash[3], zlHash[5], zlHash[7]}, expire: NoExpiry},
		{kind: "list", key: "legacy:quicklist", elems: qlAll, expire: futureMs, wantEnc: "quicklist"},
	}}}
	write = func(e *Encoder, seconds bool) {
		l := legacyWriter{e}
		l.key(typeList, "legacy:list1", futureMs, seconds)
		e.length(3)
		for _, s := range bs("p", "1", "q") {
			e.str(s)
		}
		l.key(typeSet, "legacy:set2", 0, seconds)
		e.length(3)
		for _, s := range bs("1", "2", "3") {
			e.str(s)
		}
		l.key(typeZSet, "legacy:zset3", 0, seconds)
		e.length(uint64(len(oldZM)))
		for i, m := range oldZM {
			e.str(m)
			switch {
			case math.IsInf(oldZS[i], 1):
				e.byte1(254)
			case math.IsInf(oldZS[i], -1):
				e.byte1(255)
			default:
				s := strconv.FormatFloat(oldZS[i], 'g', 17, 64)
				e.byte1(byte(len(s)))
				e.buf = append(e.buf, s...)
			}
		}
		l.key(typeHash, "legacy:hash4", 0, seconds)
		e.length(2)
		for _, s := range bs("a", "1", "b", "2") {
			e.str(s)
		}
		l.key(typeHashZipmap, "legacy:zipmap", futureMs, seconds)
		e.blob(encodeZipmap(zmF, zmV))
		l.key(typeListZiplist, "legacy:ziplist", 0, seconds)
		e.blob(encodeZiplist(zlList))
		l.key(typeZSetZiplist, "legacy:zsetzl", 0, seconds)
		e.blob(encodeZiplist(scoreStrings(zsM, zsS)))
		l.key(typeHashZiplist, "legacy:hashzl", 0, seconds)
		e.blob(encodeZiplist(zlHash))
		l.key(typeListQuicklist, "legacy:quicklist", futureMs, seconds)
		e.length(uint64(len(qlNodes)))
		for _, n := range qlNodes {
			e.blob(encodeZiplist(n))
		}
	}
	return write, want
}

// writeLegacyFile returns a complete RDB of the given version holding the
// legacy dataset. Versions below 5 have no checksum trailer.
func writeLegacyFile(t testing.TB, version int, futureMs int64, compress bool) ([]byte, []dbItems) {
	write, want := legacyDataset(futureMs)
	var buf bytes.Buffer
	e := NewEncoder(&buf, EncoderOptions{Compress: compress, Checksum: true})
	e.buf = append(e.buf, "REDIS"...)
	e.buf = append(e.buf, []byte(strconv.Itoa(10000 + version))[1:]...)
	if err := e.SelectDB(0, 9, 3); err != nil {
		t.Fatal(err)
	}
	write(e, version < 9)
	if version >= 5 {
		if err := e.WriteEnd(); err != nil {
			t.Fatal(err)
		}
	} else {
		e.byte1(opEOF)
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), want
}

func TestDecodeLegacy(t *testing.T) {
	for _, version := range []int{3, 6, 9} {
		for _, compress := range []bool{false, true} {
			data, want := writeLegacyFile(t, version, 1893456000000, compress) // 2030: EXPIRETIME is 32-bit
			c := newCollector()
			d := NewDecoder(bytes.NewReader(append(data, "trailing"...)))
			if err := d.Decode(c); err != nil {
				t.Fatalf("version %d: %v", version, err)
			}
			compareDecoded(t, c, want)
			if string(d.Buffered()) != "trailing" {
				t.Errorf("version %d: Buffered() = %q", version, d.Buffered())
			}
		}
	}
}

func TestZiplistDecode(t *testing.T) {
	elems := bs("", "a", "0", "12", "13", "-1", "127", "-128", "128", "-32768", "32768", "-8388608",
		"8388608", "-2147483648", "2147483648", "-9223372036854775808", "007",
		string(bytes.Repeat([]byte("x"), 63)), string(bytes.Repeat([]byte("y"), 64)),
		string(bytes.Repeat([]byte("z"), 16383)), string(bytes.Repeat([]byte("w"), 16384)), "after-big-prevlen")
	zl := encodeZiplist(elems)
	got, err := DecodeZiplist(zl)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(elems) {
		t.Fatalf("%d entries, want %d", len(got), len(elems))
	}
	for i := range got {
		if !bytes.Equal(got[i], elems[i]) {
			t.Errorf("entry %d = %.40q, want %.40q", i, got[i], elems[i])
		}
	}
	if got, err := DecodeZiplist(encodeZiplist(nil)); err != nil || len(got) != 0 {
		t.Errorf("empty ziplist: %v %v", got, err)
	}
	small := encodeZiplist(bs("ab", "7"))
	for name, mutate := range map[string]func(b []byte){
		"total":      func(b []byte) { b[0]++ },
		"tail":       func(b []byte) { b[4]++ },
		"count":      func(b []byte) { b[8] = 3 },
		"prevlen":    func(b []byte) { b[zlHeaderSize] = 1 },
		"terminator": func(b []byte) { b[len(b)-1] = 0 },
		"encoding":   func(b []byte) { b[zlHeaderSize+5] = 0xC1 },
		"strlen":     func(b []byte) { b[zlHeaderSize+1] = 30 },
	} {
		b := bytes.Clone(small)
		mutate(b)
		if _, err := DecodeZiplist(b); err == nil {
			t.Errorf("%s: corrupt ziplist accepted", name)
		}
	}
}

func TestZipmapDecode(t *testing.T) {
	f := bs("a", string(bytes.Repeat([]byte("k"), 300)), "")
	v := bs("", "x", string(bytes.Repeat([]byte("v"), 254)))
	zm := encodeZipmap(f, v)
	gf, gv, err := DecodeZipmap(zm)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f {
		if !bytes.Equal(gf[i], f[i]) || !bytes.Equal(gv[i], v[i]) {
			t.Errorf("pair %d differs", i)
		}
	}
	// Free bytes after a value are skipped.
	withFree := []byte{1, 1, 'k', 1, 2, 'v', 0, 0, zmEnd}
	gf, gv, err = DecodeZipmap(withFree)
	if err != nil || string(gf[0]) != "k" || string(gv[0]) != "v" {
		t.Errorf("free bytes: %q %q %v", gf, gv, err)
	}
	for name, b := range map[string][]byte{
		"no end":    {1, 1, 'k', 1, 0, 'v'},
		"count":     {2, 1, 'k', 1, 0, 'v', zmEnd},
		"key past":  {1, 9, 'k', zmEnd},
		"free past": {1, 1, 'k', 1, 9, 'v', zmEnd},
		"trailing":  {1, 1, 'k', 1, 0, 'v', zmEnd, 0},
	} {
		if _, _, err := DecodeZipmap(b); err == nil {
			t.Errorf("%s: corrupt zipmap accepted", name)
		}
	}
}
