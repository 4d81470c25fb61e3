package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Visitor receives the contents of an RDB stream from Decoder.Decode, in
// stream order. Returning an error stops decoding and Decode returns it.
//
// Byte slices passed to a Visitor are freshly allocated for each key (small
// elements may share one allocation with their siblings) and may be kept.
// Keys whose collection turns out empty are skipped, as Redis does.
// expireAtMs is the absolute expiry in Unix milliseconds, or NoExpiry.
// Duplicate members or fields are passed on as stored; rejecting them is
// the visitor's call. ResizeDB counts are hints from the stream and must not
// be trusted for allocation.
type Visitor interface {
	Aux(key, value []byte) error
	SelectDB(db int) error
	ResizeDB(keys, expires uint64) error
	String(key, val []byte, expireAtMs int64) error
	List(key []byte, elems [][]byte, expireAtMs int64) error
	Set(key []byte, members [][]byte, expireAtMs int64) error
	Hash(key []byte, fields, values [][]byte, expireAtMs int64) error
	ZSet(key []byte, members [][]byte, scores []float64, expireAtMs int64) error
}

// FunctionVisitor may be implemented by a Visitor to receive the source code
// of each function library (FUNCTION2 opcode, Redis 7.0). Without it,
// function libraries are read and skipped.
type FunctionVisitor interface {
	Function(code []byte) error
}

// KeyInfoVisitor may be implemented by a Visitor to receive the eviction
// metadata Redis stores before a key when maxmemory-policy is an LRU or LFU
// one. It is called just before the key's value callback; idleSeconds or
// freq is -1 when absent. Without it the metadata is read and ignored.
type KeyInfoVisitor interface {
	KeyInfo(key []byte, idleSeconds int64, freq int) error
}

// Decoder reads an RDB stream of version 1 to 10.
//
// It buffers its input, but never consumes anything past the end of the
// RDB (the EOF opcode and its checksum): the bytes it read ahead are
// available from Buffered, so a replica can go on reading the master's
// command stream (or the $EOF: mark) from Buffered followed by the original
// reader. When the length is known in advance (disk-framed transfers),
// wrapping the reader in an io.LimitReader avoids the read-ahead altogether.
//
// Stream keys (types 15, 19, 21), module keys and module aux data make
// Decode fail with an error wrapping ErrUnsupported that names the type;
// function libraries are skipped unless the Visitor is a FunctionVisitor;
// LRU/LFU metadata is ignored unless it is a KeyInfoVisitor. A non-zero
// checksum trailer is verified (ErrChecksum); a zero one means the writer
// had checksums disabled, as in Redis.
type Decoder struct {
	r        io.Reader
	buf      []byte
	pos, end int // buf[pos:end] is read but unconsumed
	hashed   int // buf[hashed:pos] is consumed but not yet in crc
	crc      uint64
	total    int64 // bytes read from r
	rerr     error // sticky read error from r
	version  int
	started  bool
}

const decBufSize = 32 << 10

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, buf: make([]byte, decBufSize)}
}

// Version returns the RDB version from the header (0 before it is read).
func (d *Decoder) Version() int { return d.version }

// Offset returns the number of bytes of the stream consumed so far.
func (d *Decoder) Offset() int64 { return d.total - int64(d.end-d.pos) }

// Buffered returns the bytes read from the underlying reader but not
// consumed. After a successful Decode they are whatever followed the RDB.
// The slice is valid until the next call on the Decoder.
func (d *Decoder) Buffered() []byte { return d.buf[d.pos:d.end] }

// syncCRC folds consumed bytes into the running checksum.
func (d *Decoder) syncCRC() {
	if d.pos > d.hashed {
		d.crc = CRC64(d.crc, d.buf[d.hashed:d.pos])
	}
	d.hashed = d.pos
}

// fill makes at least n bytes (n <= len(d.buf)) available.
func (d *Decoder) fill(n int) error {
	for d.end-d.pos < n {
		if d.rerr != nil {
			if d.rerr == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return d.rerr
		}
		if len(d.buf)-d.pos < n {
			d.syncCRC()
			copy(d.buf, d.buf[d.pos:d.end])
			d.end -= d.pos
			d.pos, d.hashed = 0, 0
		}
		var m int
		var err error
		for tries := 0; m == 0 && err == nil; tries++ {
			if tries == 100 {
				err = io.ErrNoProgress
				break
			}
			m, err = d.r.Read(d.buf[d.end:])
		}
		d.end += m
		d.total += int64(m)
		if err != nil {
			d.rerr = err
		}
	}
	return nil
}

// next consumes n bytes (n <= len(d.buf)) and returns them; the slice is
// valid until the next read.
func (d *Decoder) next(n int) ([]byte, error) {
	if err := d.fill(n); err != nil {
		return nil, err
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *Decoder) readByte() (byte, error) {
	b, err := d.next(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// readN returns the next n bytes in a new slice. Memory grows with the
// bytes that actually arrive, so a forged length cannot make it allocate
// more than about twice what the stream really contains.
func (d *Decoder) readN(n uint64) ([]byte, error) {
	if n > math.MaxInt-1 {
		return nil, fmt.Errorf("length %d: %w", n, ErrCorrupt)
	}
	const eager = 1 << 20
	out := make([]byte, 0, min(n, eager))
	for uint64(len(out)) < n {
		if d.pos == d.end {
			if err := d.fill(1); err != nil {
				return nil, err
			}
		}
		take := min(n-uint64(len(out)), uint64(d.end-d.pos))
		out = append(out, d.buf[d.pos:d.pos+int(take)]...)
		d.pos += int(take)
	}
	return out, nil
}

// readLength reads a length; encoded reports the special string encodings
// (top bits 11), in which case n is the encoding type.
func (d *Decoder) readLength() (n uint64, encoded bool, err error) {
	c, err := d.readByte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		c2, err := d.readByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(c&0x3f)<<8 | uint64(c2), false, nil
	case 3:
		return uint64(c & 0x3f), true, nil
	}
	switch c {
	case 0x80:
		b, err := d.next(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case 0x81:
		b, err := d.next(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, fmt.Errorf("invalid length byte 0x%02x: %w", c, ErrCorrupt)
}

// readLen reads a plain length (counts, db numbers).
func (d *Decoder) readLen() (uint64, error) {
	n, enc, err := d.readLength()
	if err == nil && enc {
		err = fmt.Errorf("string encoding where a length was expected: %w", ErrCorrupt)
	}
	return n, err
}

// readString reads a string in any of its encodings.
func (d *Decoder) readString() ([]byte, error) {
	n, enc, err := d.readLength()
	if err != nil {
		return nil, err
	}
	if !enc {
		return d.readN(n)
	}
	switch n {
	case 0:
		b, err := d.next(1)
		if err != nil {
			return nil, err
		}
		return formatInt(int64(int8(b[0]))), nil
	case 1:
		b, err := d.next(2)
		if err != nil {
			return nil, err
		}
		return formatInt(int64(int16(binary.LittleEndian.Uint16(b)))), nil
	case 2:
		b, err := d.next(4)
		if err != nil {
			return nil, err
		}
		return formatInt(int64(int32(binary.LittleEndian.Uint32(b)))), nil
	case 3:
		clen, err := d.readLen()
		if err != nil {
			return nil, err
		}
		ulen, err := d.readLen()
		if err != nil {
			return nil, err
		}
		// Check the declared size against what the compressed length can
		// produce before reading or allocating anything.
		if clen == 0 || clen > math.MaxInt/lzfMaxRatio || ulen > clen*lzfMaxRatio {
			return nil, fmt.Errorf("lzf string: %d bytes cannot expand to %d: %w", clen, ulen, ErrCorrupt)
		}
		comp, err := d.readN(clen)
		if err != nil {
			return nil, err
		}
		return LZFDecompress(nil, comp, int(ulen))
	}
	return nil, fmt.Errorf("invalid string encoding %d: %w", n, ErrCorrupt)
}

// readScore reads an old-style (type 3) score: a length byte and ASCII.
func (d *Decoder) readScore() (float64, error) {
	n, err := d.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.next(int(n))
	if err != nil {
		return 0, err
	}
	return parseScore(b)
}

// parseScore parses a score stored as text (old zsets, ziplists, listpacks).
func parseScore(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("invalid score %q: %w", b, ErrCorrupt)
	}
	return f, nil
}

// Decode reads the whole stream, through the EOF opcode and checksum,
// calling v for its contents. It may be called once.
func (d *Decoder) Decode(v Visitor) error {
	if d.started {
		return errors.New("rdb: Decode called twice")
	}
	d.started = true
	if err := d.decode(v); err != nil {
		var ve visitorError
		if errors.As(err, &ve) {
			return ve.err
		}
		return &decodeError{off: d.Offset(), err: err}
	}
	return nil
}

// decodeError adds the stream offset to a decoding error. Errors from the
// exported building blocks (listpack, LZF, …) carry their own "rdb: "
// prefix for standalone use; it is dropped here so messages read once.
type decodeError struct {
	off int64
	err error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("rdb: at offset %d: %s", e.off, strings.ReplaceAll(e.err.Error(), ": rdb: ", ": "))
}

func (e *decodeError) Unwrap() error { return e.err }

// visitorError marks errors returned by the Visitor, which Decode passes
// through unchanged.
type visitorError struct{ err error }

func (e visitorError) Error() string { return e.err.Error() }

func visited(err error) error {
	if err != nil {
		return visitorError{err}
	}
	return nil
}

func (d *Decoder) decode(v Visitor) error {
	hdr, err := d.next(9)
	if err != nil {
		return fmt.Errorf("reading header: %w", err)
	}
	if string(hdr[:5]) != "REDIS" {
		return fmt.Errorf("wrong signature %q: %w", hdr[:5], ErrCorrupt)
	}
	ver := 0
	for _, c := range hdr[5:] {
		if c < '0' || c > '9' {
			return fmt.Errorf("invalid version %q: %w", hdr[5:], ErrCorrupt)
		}
		ver = ver*10 + int(c-'0')
	}
	if ver < 1 || ver > Version {
		return fmt.Errorf("Can't handle RDB format version %d: %w", ver, ErrUnsupported)
	}
	d.version = ver

	fv, _ := v.(FunctionVisitor)
	kv, _ := v.(KeyInfoVisitor)
	expire, idle, freq := NoExpiry, int64(-1), -1
	for {
		op, err := d.readByte()
		if err != nil {
			return err
		}
		switch op {
		case opEOF:
			d.syncCRC()
			if ver < 5 {
				return nil // no checksum before version 5
			}
			b, err := d.next(8)
			if err != nil {
				return fmt.Errorf("reading checksum: %w", err)
			}
			stored := binary.LittleEndian.Uint64(b)
			// Zero means the writer had rdbchecksum off.
			if stored != 0 && stored != d.crc {
				return fmt.Errorf("%w (stored %016x, computed %016x)", ErrChecksum, stored, d.crc)
			}
			return nil
		case opAux:
			key, err := d.readString()
			if err != nil {
				return fmt.Errorf("aux key: %w", err)
			}
			val, err := d.readString()
			if err != nil {
				return fmt.Errorf("aux %q: %w", key, err)
			}
			if err := v.Aux(key, val); err != nil {
				return visited(err)
			}
		case opSelectDB:
			db, err := d.readLen()
			if err != nil {
				return fmt.Errorf("SELECTDB: %w", err)
			}
			if db > math.MaxInt32 {
				return fmt.Errorf("SELECTDB: database %d out of range: %w", db, ErrCorrupt)
			}
			if err := v.SelectDB(int(db)); err != nil {
				return visited(err)
			}
		case opResizeDB:
			keys, err := d.readLen()
			if err != nil {
				return fmt.Errorf("RESIZEDB: %w", err)
			}
			expires, err := d.readLen()
			if err != nil {
				return fmt.Errorf("RESIZEDB: %w", err)
			}
			if err := v.ResizeDB(keys, expires); err != nil {
				return visited(err)
			}
		case opExpireTimeM:
			b, err := d.next(8)
			if err != nil {
				return fmt.Errorf("EXPIRETIME_MS: %w", err)
			}
			expire = max(int64(binary.LittleEndian.Uint64(b)), 0)
		case opExpireTime:
			b, err := d.next(4)
			if err != nil {
				return fmt.Errorf("EXPIRETIME: %w", err)
			}
			expire = max(int64(int32(binary.LittleEndian.Uint32(b)))*1000, 0)
		case opIdle:
			n, err := d.readLen()
			if err != nil {
				return fmt.Errorf("IDLE: %w", err)
			}
			idle = int64(min(n, math.MaxInt64))
		case opFreq:
			b, err := d.readByte()
			if err != nil {
				return fmt.Errorf("FREQ: %w", err)
			}
			freq = int(b)
		case opFunction2:
			code, err := d.readString()
			if err != nil {
				return fmt.Errorf("FUNCTION2: %w", err)
			}
			if fv != nil {
				if err := fv.Function(code); err != nil {
					return visited(err)
				}
			}
		case opFunction:
			return fmt.Errorf("pre-release function format (opcode 246) not supported: %w", ErrUnsupported)
		case opModuleAux:
			return fmt.Errorf("module aux data (opcode 247) not supported: %w", ErrUnsupported)
		default:
			key, err := d.readString()
			if err != nil {
				return fmt.Errorf("key: %w", err)
			}
			if kv != nil && (idle >= 0 || freq >= 0) {
				if err := kv.KeyInfo(key, idle, freq); err != nil {
					return visited(err)
				}
			}
			if err := d.readValue(v, op, key, expire); err != nil {
				if _, ok := err.(visitorError); ok {
					return err
				}
				return fmt.Errorf("key %q: %w", truncKey(key), err)
			}
			expire, idle, freq = NoExpiry, -1, -1
		}
	}
}

// truncKey shortens a key for error messages.
func truncKey(k []byte) []byte {
	if len(k) > 64 {
		return k[:64]
	}
	return k
}

// readStrings reads n strings. The slice grows as elements arrive, so a
// forged count costs at most one slice header per byte actually read.
func (d *Decoder) readStrings(n uint64) ([][]byte, error) {
	out := make([][]byte, 0, min(n, 1024))
	for i := uint64(0); i < n; i++ {
		s, err := d.readString()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// readBlob reads a string holding a serialized structure.
func (d *Decoder) readBlob(what string) ([]byte, error) {
	b, err := d.readString()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

func pairs(elems [][]byte, what string) (a, b [][]byte, err error) {
	if len(elems)%2 != 0 {
		return nil, nil, fmt.Errorf("%s has an odd number of entries: %w", what, ErrCorrupt)
	}
	a = make([][]byte, len(elems)/2)
	b = make([][]byte, len(elems)/2)
	for i := range a {
		a[i], b[i] = elems[2*i], elems[2*i+1]
	}
	return a, b, nil
}

func zsetPairs(elems [][]byte, what string) ([][]byte, []float64, error) {
	members, raw, err := pairs(elems, what)
	if err != nil {
		return nil, nil, err
	}
	scores := make([]float64, len(raw))
	for i, r := range raw {
		if scores[i], err = parseScore(r); err != nil {
			return nil, nil, err
		}
		if math.IsNaN(scores[i]) {
			return nil, nil, fmt.Errorf("NaN score: %w", ErrCorrupt)
		}
	}
	return members, scores, nil
}

func (d *Decoder) readValue(v Visitor, typ byte, key []byte, expire int64) error {
	switch typ {
	case typeString:
		val, err := d.readString()
		if err != nil {
			return err
		}
		return visited(v.String(key, val, expire))

	case typeList, typeSet:
		n, err := d.readLen()
		if err != nil {
			return err
		}
		elems, err := d.readStrings(n)
		if err != nil || len(elems) == 0 {
			return err
		}
		if typ == typeList {
			return visited(v.List(key, elems, expire))
		}
		return visited(v.Set(key, elems, expire))

	case typeZSet, typeZSet2:
		n, err := d.readLen()
		if err != nil {
			return err
		}
		members := make([][]byte, 0, min(n, 1024))
		scores := make([]float64, 0, min(n, 1024))
		for i := uint64(0); i < n; i++ {
			m, err := d.readString()
			if err != nil {
				return err
			}
			var s float64
			if typ == typeZSet {
				s, err = d.readScore()
				if err != nil {
					return err
				}
			} else {
				b, err := d.next(8)
				if err != nil {
					return err
				}
				s = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
			if math.IsNaN(s) {
				return fmt.Errorf("NaN score: %w", ErrCorrupt)
			}
			members = append(members, m)
			scores = append(scores, s)
		}
		if n == 0 {
			return nil
		}
		return visited(v.ZSet(key, members, scores, expire))

	case typeHash:
		n, err := d.readLen()
		if err != nil {
			return err
		}
		fields := make([][]byte, 0, min(n, 1024))
		values := make([][]byte, 0, min(n, 1024))
		for i := uint64(0); i < n; i++ {
			f, err := d.readString()
			if err != nil {
				return err
			}
			val, err := d.readString()
			if err != nil {
				return err
			}
			fields = append(fields, f)
			values = append(values, val)
		}
		if n == 0 {
			return nil
		}
		return visited(v.Hash(key, fields, values, expire))

	case typeHashZipmap:
		blob, err := d.readBlob("zipmap")
		if err != nil {
			return err
		}
		fields, values, err := DecodeZipmap(blob)
		if err != nil || len(fields) == 0 {
			return err
		}
		return visited(v.Hash(key, fields, values, expire))

	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		blob, err := d.readBlob("ziplist")
		if err != nil {
			return err
		}
		elems, err := DecodeZiplist(blob)
		if err != nil || len(elems) == 0 {
			return err
		}
		return d.deliverFlat(v, typ, key, elems, expire)

	case typeHashListpack, typeZSetListpack:
		blob, err := d.readBlob("listpack")
		if err != nil {
			return err
		}
		elems, err := DecodeListpack(blob)
		if err != nil || len(elems) == 0 {
			return err
		}
		return d.deliverFlat(v, typ, key, elems, expire)

	case typeSetIntset:
		blob, err := d.readBlob("intset")
		if err != nil {
			return err
		}
		ints, err := DecodeIntset(blob)
		if err != nil || len(ints) == 0 {
			return err
		}
		members := make([][]byte, len(ints))
		for i, x := range ints {
			members[i] = formatInt(x)
		}
		return visited(v.Set(key, members, expire))

	case typeListQuicklist, typeListQuicklist2:
		n, err := d.readLen()
		if err != nil {
			return err
		}
		var elems [][]byte
		for i := uint64(0); i < n; i++ {
			container := uint64(containerPacked)
			if typ == typeListQuicklist2 {
				if container, err = d.readLen(); err != nil {
					return err
				}
			}
			blob, err := d.readBlob("quicklist node")
			if err != nil {
				return err
			}
			switch {
			case container == containerPlain:
				elems = append(elems, blob)
				continue
			case container != containerPacked:
				return fmt.Errorf("quicklist node container %d: %w", container, ErrCorrupt)
			}
			var node [][]byte
			if typ == typeListQuicklist {
				node, err = DecodeZiplist(blob)
			} else {
				node, err = DecodeListpack(blob)
			}
			if err != nil {
				return err
			}
			elems = append(elems, node...)
		}
		if len(elems) == 0 {
			return nil
		}
		return visited(v.List(key, elems, expire))

	case typeStreamListpacks, typeStreamListpack2, typeStreamListpack3:
		return fmt.Errorf("stream keys are not supported yet (type %d): %w", typ, ErrUnsupported)
	case typeModule, typeModule2:
		return fmt.Errorf("module keys are not supported (type %d): %w", typ, ErrUnsupported)
	}
	return fmt.Errorf("unknown value type %d: %w", typ, ErrCorrupt)
}

// deliverFlat hands a flattened ziplist or listpack to the visitor.
func (d *Decoder) deliverFlat(v Visitor, typ byte, key []byte, elems [][]byte, expire int64) error {
	switch typ {
	case typeListZiplist:
		return visited(v.List(key, elems, expire))
	case typeHashZiplist, typeHashListpack:
		fields, values, err := pairs(elems, "hash")
		if err != nil {
			return err
		}
		return visited(v.Hash(key, fields, values, expire))
	default:
		members, scores, err := zsetPairs(elems, "zset")
		if err != nil {
			return err
		}
		return visited(v.ZSet(key, members, scores, expire))
	}
}
