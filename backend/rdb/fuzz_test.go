package rdb

import (
	"bytes"
	"io"
	"testing"
)

// fuzzSeeds are stream shapes produced by our own writers; the committed
// corpus in testdata/fuzz/FuzzDecode adds small dumps made by redis-server.
func fuzzSeeds(t testing.TB) map[string][]byte {
	legacy9, _ := writeLegacyFile(t, 9, 1893456000000, true)
	legacy4, _ := writeLegacyFile(t, 4, 1893456000000, true)
	return map[string][]byte{
		"encoder-small":      smallFile(t, EncoderOptions{Checksum: true}),
		"encoder-compressed": smallFile(t, EncoderOptions{Compress: true}),
		"encoder-legacy-v9":  legacy9,
		"encoder-legacy-v4":  legacy4,
	}
}

// TestWriteFuzzSeeds refreshes the encoder-made part of the committed
// corpus when WARDEN_RDB_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	for name, data := range fuzzSeeds(t) {
		saveSeed(t, name, data)
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder. It must never panic,
// never consume past what it reports, and whatever it accepts must survive
// a trip through the encoder unchanged.
func FuzzDecode(f *testing.F) {
	for _, data := range fuzzSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecodeOne(t, data)
		// Most mutations break the checksum; a zero trailer disables the
		// check, letting mutated payloads reach the round-trip property.
		if len(data) >= 8 {
			z := bytes.Clone(data)
			clear(z[len(z)-8:])
			fuzzDecodeOne(t, z)
		}
	})
}

func fuzzDecodeOne(t *testing.T, data []byte) {
	tail := []byte("TAIL")
	src := bytes.NewReader(append(bytes.Clone(data), tail...))
	d := NewDecoder(src)
	c := newCollector()
	if err := d.Decode(c); err != nil {
		return
	}
	rest, _ := io.ReadAll(src)
	after := append(bytes.Clone(d.Buffered()), rest...)
	if off := d.Offset(); off > int64(len(data)) || !bytes.Equal(after, append(bytes.Clone(data[off:]), tail...)) {
		t.Fatalf("offset %d of %d: unconsumed bytes do not match the input", off, len(data))
	}

	// Re-encode what was decoded and decode it again.
	var buf bytes.Buffer
	e := NewEncoder(&buf, EncoderOptions{Compress: true, Checksum: true})
	e.WriteHeader()
	seen := map[int]bool{}
	var dbs []dbItems
	for _, db := range c.order {
		if seen[db] {
			continue
		}
		seen[db] = true
		dbs = append(dbs, dbItems{db, c.dbs[db]})
	}
	for db := range c.dbs {
		if !seen[db] { // keys before any SELECTDB belong to db 0
			dbs = append(dbs, dbItems{db, c.dbs[db]})
		}
	}
	for _, db := range dbs {
		for i := range db.items {
			if db.items[i].expire <= 0 {
				db.items[i].expire = NoExpiry // the encoder's "no expiry"
			}
		}
		e.SelectDB(db.db, uint64(len(db.items)), 0)
		for _, it := range db.items {
			k := []byte(it.key)
			switch it.kind {
			case "string":
				e.WriteString(k, it.str, it.expire)
			case "list":
				e.WriteList(k, it.elems, it.expire)
			case "set":
				e.WriteSet(k, it.elems, it.expire)
			case "hash":
				e.WriteHash(k, it.elems, it.values, it.expire)
			case "zset":
				e.WriteZSet(k, it.elems, it.scores, it.expire)
			}
		}
	}
	if err := e.WriteEnd(); err != nil {
		return // e.g. duplicate intset members: not representable
	}
	c2 := newCollector()
	if err := NewDecoder(&buf).Decode(c2); err != nil {
		t.Fatalf("re-encoded stream does not decode: %v", err)
	}
	for _, db := range dbs {
		if len(c2.dbs[db.db]) != len(db.items) {
			t.Fatalf("db %d: %d keys after re-encoding, want %d", db.db, len(c2.dbs[db.db]), len(db.items))
		}
		for i, it := range db.items {
			if g, w := canonical(c2.dbs[db.db][i]), canonical(it); g != w {
				t.Fatalf("re-encoding changed a key:\n got %.200s\nwant %.200s", g, w)
			}
		}
	}
}
