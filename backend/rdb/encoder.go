package rdb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// EncoderOptions configures an Encoder. The zero value writes like a
// default-configured Redis 7.0 with rdbcompression and rdbchecksum off.
//
// A zero threshold means the Redis default; a negative one disables the
// compact encoding (every key of that kind uses the plain one).
type EncoderOptions struct {
	Compress bool // rdbcompression: LZF-compress strings longer than 20 bytes when it pays
	Checksum bool // rdbchecksum: write the CRC-64 trailer (else eight zero bytes)

	HashMaxListpackEntries int // hash-max-listpack-entries (128)
	HashMaxListpackValue   int // hash-max-listpack-value (64)
	SetMaxIntsetEntries    int // set-max-intset-entries (512)
	ZSetMaxListpackEntries int // zset-max-listpack-entries (128)
	ZSetMaxListpackValue   int // zset-max-listpack-value (64)
	// ListMaxListpackSize is list-max-listpack-size: a positive value caps
	// the entries per quicklist node, -1..-5 cap a node at 4, 8, 16, 32 or
	// 64 KB. Zero means -2.
	ListMaxListpackSize int
	// ListPackedThreshold: list elements of at least this many bytes are
	// stored alone in a PLAIN node (Redis 7.0's 1 GiB when zero).
	ListPackedThreshold int
}

func withDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	default:
		return v
	}
}

// safetyLimit is the node size Redis never exceeds for count-limited
// quicklist nodes, except for a single large element.
const safetyLimit = 8192

func (o EncoderOptions) normalized() EncoderOptions {
	o.HashMaxListpackEntries = withDefault(o.HashMaxListpackEntries, DefaultHashMaxListpackEntries)
	o.HashMaxListpackValue = withDefault(o.HashMaxListpackValue, DefaultHashMaxListpackValue)
	o.SetMaxIntsetEntries = withDefault(o.SetMaxIntsetEntries, DefaultSetMaxIntsetEntries)
	o.ZSetMaxListpackEntries = withDefault(o.ZSetMaxListpackEntries, DefaultZSetMaxListpackEntries)
	o.ZSetMaxListpackValue = withDefault(o.ZSetMaxListpackValue, DefaultZSetMaxListpackValue)
	if o.ListMaxListpackSize == 0 {
		o.ListMaxListpackSize = DefaultListMaxListpackSize
	} else if o.ListMaxListpackSize < -5 {
		o.ListMaxListpackSize = -5
	}
	// A packed node is a listpack, whose size field is 32 bits.
	if o.ListPackedThreshold <= 0 || o.ListPackedThreshold > DefaultListPackedThreshold {
		o.ListPackedThreshold = DefaultListPackedThreshold
	}
	return o
}

// Encoder writes an RDB version 10 stream. Calls must follow the file
// layout: WriteHeader, aux fields, then for each database SelectDB followed
// by its keys, and finally WriteEnd. The first error is sticky: every later
// call returns it. An Encoder buffers its output; nothing is guaranteed to
// reach the writer before WriteEnd or Flush.
type Encoder struct {
	w    io.Writer
	opts EncoderOptions
	buf  []byte // pending output, not yet checksummed
	crc  uint64
	err  error
	done bool

	lzf []byte          // scratch for compression
	lp  ListpackBuilder // scratch for listpacks
}

const (
	encFlushAt    = 64 << 10
	encDirectSize = 32 << 10 // payloads this large skip the buffer
)

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	return &Encoder{w: w, opts: opts.normalized(), buf: make([]byte, 0, encFlushAt+encDirectSize)}
}

// flush checksums and writes the buffered bytes.
func (e *Encoder) flush() error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) == 0 {
		return nil
	}
	e.crc = CRC64(e.crc, e.buf)
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = fmt.Errorf("rdb: write: %w", err)
		return e.err
	}
	e.buf = e.buf[:0]
	return nil
}

// raw appends p to the output, bypassing the buffer for large payloads so
// that a huge value is not copied twice.
func (e *Encoder) raw(p []byte) {
	if e.err != nil {
		return
	}
	if len(p) < encDirectSize {
		e.buf = append(e.buf, p...)
		if len(e.buf) >= encFlushAt {
			e.flush()
		}
		return
	}
	if e.flush() != nil {
		return
	}
	e.crc = CRC64(e.crc, p)
	if _, err := e.w.Write(p); err != nil {
		e.err = fmt.Errorf("rdb: write: %w", err)
	}
}

func (e *Encoder) byte1(b byte) {
	e.buf = append(e.buf, b)
}

// length appends an RDB length: 6, 14, 32 or 64 bits, big-endian.
func (e *Encoder) length(n uint64) {
	switch {
	case n < 1<<6:
		e.buf = append(e.buf, byte(n))
	case n < 1<<14:
		e.buf = append(e.buf, byte(0x40|n>>8), byte(n))
	case n <= math.MaxUint32:
		e.buf = append(e.buf, 0x80)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	default:
		e.buf = append(e.buf, 0x81)
		e.buf = binary.BigEndian.AppendUint64(e.buf, n)
	}
}

// str appends a string the way rdbSaveRawString does: as an integer when it
// is the canonical form of one that fits 32 bits, LZF-compressed when
// enabled and worthwhile, else raw.
func (e *Encoder) str(s []byte) {
	if len(s) <= 11 {
		if v, ok := ParseInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			e.intStr(v)
			return
		}
	}
	e.blob(s)
}

// intStr appends v in the integer string encoding.
func (e *Encoder) intStr(v int64) {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		e.buf = append(e.buf, 0xC0, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		e.buf = append(e.buf, 0xC1, byte(v), byte(v>>8))
	default:
		e.buf = append(e.buf, 0xC2)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(v))
	}
}

// blob appends s without trying the integer encoding (used for serialized
// listpacks and intsets, and by str).
func (e *Encoder) blob(s []byte) {
	// Redis compresses only strings over 20 bytes and only when the result
	// saves at least 4 bytes.
	if e.opts.Compress && len(s) > 20 {
		e.lzf = LZFCompress(e.lzf[:0], s)
		if len(e.lzf) <= len(s)-4 {
			e.byte1(0xC3)
			e.length(uint64(len(e.lzf)))
			e.length(uint64(len(s)))
			e.raw(e.lzf)
			if cap(e.lzf) > 1<<20 {
				e.lzf = nil // do not pin a huge scratch buffer
			}
			return
		}
	}
	e.length(uint64(len(s)))
	e.raw(s)
}

// finish reports the sticky error or flushes when the buffer is large.
func (e *Encoder) finish() error {
	if e.err == nil && len(e.buf) >= encFlushAt {
		e.flush()
	}
	return e.err
}

func (e *Encoder) check(what string) error {
	if e.err != nil {
		return e.err
	}
	if e.done {
		e.err = fmt.Errorf("rdb: %s after WriteEnd", what)
	}
	return e.err
}

// WriteHeader writes the "REDIS0010" magic.
func (e *Encoder) WriteHeader() error {
	if err := e.check("WriteHeader"); err != nil {
		return err
	}
	e.buf = append(e.buf, "REDIS"...)
	e.buf = fmt.Appendf(e.buf, "%04d", Version)
	return e.finish()
}

// WriteAux writes an auxiliary field (redis-ver, repl-id, …).
func (e *Encoder) WriteAux(key, value string) error {
	if err := e.check("WriteAux"); err != nil {
		return err
	}
	e.byte1(opAux)
	e.str([]byte(key))
	e.str([]byte(value))
	return e.finish()
}

// WriteAuxInt writes a numeric auxiliary field the way Redis does
// (redis-bits, ctime, used-mem, aof-base): as the decimal string, which the
// string encoding stores as an integer when it fits 32 bits.
func (e *Encoder) WriteAuxInt(key string, v int64) error {
	return e.WriteAux(key, strconv.FormatInt(v, 10))
}

// WriteFunction writes the source of one function library (FUNCTION2
// opcode), as Redis 7.0 does after the aux fields and before any database.
func (e *Encoder) WriteFunction(code []byte) error {
	if err := e.check("WriteFunction"); err != nil {
		return err
	}
	e.byte1(opFunction2)
	e.blob(code)
	return e.finish()
}

// SelectDB starts database db and writes its size hints (keys, and keys
// with an expiry), which Redis uses to presize its tables.
func (e *Encoder) SelectDB(db int, keys, expires uint64) error {
	if err := e.check("SelectDB"); err != nil {
		return err
	}
	if db < 0 {
		e.err = fmt.Errorf("rdb: invalid database number %d", db)
		return e.err
	}
	e.byte1(opSelectDB)
	e.length(uint64(db))
	e.byte1(opResizeDB)
	e.length(keys)
	e.length(expires)
	return e.finish()
}

// keyHeader writes the optional expiry, the value type and the key.
func (e *Encoder) keyHeader(typ byte, key []byte, expireAtMs int64) {
	if expireAtMs > 0 {
		e.byte1(opExpireTimeM)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(expireAtMs))
	}
	e.byte1(typ)
	e.str(key)
}

// WriteString writes a string key. expireAtMs is the absolute expiry in Unix
// milliseconds; zero or negative means none.
func (e *Encoder) WriteString(key, val []byte, expireAtMs int64) error {
	if err := e.check("WriteString"); err != nil {
		return err
	}
	e.keyHeader(typeString, key, expireAtMs)
	e.str(val)
	return e.finish()
}

func emptyErr(kind string, key []byte) error {
	// Redis skips empty collections on load, with a warning; writing one
	// would only hide a bug in the caller.
	return fmt.Errorf("rdb: empty %s for key %q", kind, key)
}

// WriteList writes a list as a quicklist (type 18), as Redis 7.0 does for
// every list: listpack nodes (PACKED) sized by ListMaxListpackSize, and
// elements of at least ListPackedThreshold bytes alone in PLAIN nodes.
func (e *Encoder) WriteList(key []byte, elems [][]byte, expireAtMs int64) error {
	if err := e.check("WriteList"); err != nil {
		return err
	}
	if len(elems) == 0 {
		e.err = emptyErr("list", key)
		return e.err
	}
	// The node count comes first, so find the node boundaries first.
	bounds := e.listNodes(elems)
	e.keyHeader(typeListQuicklist2, key, expireAtMs)
	e.length(uint64(len(bounds)))
	start := 0
	for _, end := range bounds {
		if end-start == 1 && len(elems[start]) >= e.opts.ListPackedThreshold {
			e.length(containerPlain)
			e.blob(elems[start])
		} else {
			e.lp.Reset()
			for _, el := range elems[start:end] {
				e.lp.Append(el)
			}
			lp, err := e.lp.Finish()
			if err != nil {
				e.err = fmt.Errorf("rdb: list %q: %w", key, err)
				return e.err
			}
			e.length(containerPacked)
			e.blob(lp)
		}
		if e.finish() != nil {
			return e.err
		}
		start = end
	}
	if cap(e.lp.buf) > 1<<20 {
		e.lp = ListpackBuilder{} // do not pin memory after a huge node
	}
	return e.finish()
}

// listNodes splits elems into quicklist nodes and returns each node's end
// index, following Redis's fill rules.
func (e *Encoder) listNodes(elems [][]byte) []int {
	fill := e.opts.ListMaxListpackSize
	maxBytes, maxCount := safetyLimit, math.MaxInt
	if fill > 0 {
		maxCount = fill
	} else {
		maxBytes = 4096 << (-fill - 1)
	}
	var bounds []int
	size, count := 0, 0 // of the open node; size includes header and end byte
	for i, el := range elems {
		if len(el) >= e.opts.ListPackedThreshold {
			if count > 0 {
				bounds = append(bounds, i)
			}
			bounds = append(bounds, i+1)
			size, count = 0, 0
			continue
		}
		es := ListpackEntrySize(el)
		if count > 0 && (count+1 > maxCount || size+es > maxBytes) {
			bounds = append(bounds, i)
			size, count = 0, 0
		}
		if count == 0 {
			size = lpHeaderSize + 1
		}
		size += es
		count++
	}
	if count > 0 {
		bounds = append(bounds, len(elems))
	}
	return bounds
}

// WriteSet writes a set: as an intset (type 11) when every member is a
// canonical int64 and there are at most SetMaxIntsetEntries, else as a
// plain set (type 2). Members must be unique.
func (e *Encoder) WriteSet(key []byte, members [][]byte, expireAtMs int64) error {
	if err := e.check("WriteSet"); err != nil {
		return err
	}
	if len(members) == 0 {
		e.err = emptyErr("set", key)
		return e.err
	}
	if len(members) <= e.opts.SetMaxIntsetEntries {
		ints := make([]int64, 0, len(members))
		for _, m := range members {
			v, ok := ParseInt(m)
			if !ok {
				break
			}
			ints = append(ints, v)
		}
		if len(ints) == len(members) {
			blob, err := EncodeIntset(ints)
			if err != nil {
				e.err = fmt.Errorf("rdb: set %q: %w", key, err)
				return e.err
			}
			e.keyHeader(typeSetIntset, key, expireAtMs)
			e.blob(blob)
			return e.finish()
		}
	}
	e.keyHeader(typeSet, key, expireAtMs)
	e.length(uint64(len(members)))
	for _, m := range members {
		e.str(m)
		if e.finish() != nil {
			return e.err
		}
	}
	return e.finish()
}

// WriteHash writes a hash: as a listpack (type 16) when it has at most
// HashMaxListpackEntries fields and no field or value is longer than
// HashMaxListpackValue, else as a plain hash (type 4). Fields must be unique.
func (e *Encoder) WriteHash(key []byte, fields, values [][]byte, expireAtMs int64) error {
	if err := e.check("WriteHash"); err != nil {
		return err
	}
	if len(fields) != len(values) {
		e.err = fmt.Errorf("rdb: hash %q: %d fields but %d values", key, len(fields), len(values))
		return e.err
	}
	if len(fields) == 0 {
		e.err = emptyErr("hash", key)
		return e.err
	}
	small := len(fields) <= e.opts.HashMaxListpackEntries
	for i := 0; small && i < len(fields); i++ {
		small = len(fields[i]) <= e.opts.HashMaxListpackValue && len(values[i]) <= e.opts.HashMaxListpackValue
	}
	if small {
		e.lp.Reset()
		for i := range fields {
			e.lp.Append(fields[i])
			e.lp.Append(values[i])
		}
		lp, err := e.lp.Finish()
		if err != nil {
			e.err = fmt.Errorf("rdb: hash %q: %w", key, err)
			return e.err
		}
		e.keyHeader(typeHashListpack, key, expireAtMs)
		e.blob(lp)
		return e.finish()
	}
	e.keyHeader(typeHash, key, expireAtMs)
	e.length(uint64(len(fields)))
	for i := range fields {
		e.str(fields[i])
		e.str(values[i])
		if e.finish() != nil {
			return e.err
		}
	}
	return e.finish()
}

// zsetLess orders zset entries like Redis: by score, then by member bytes.
func zsetLess(sa float64, ma []byte, sb float64, mb []byte) int {
	if c := cmp.Compare(sa, sb); c != 0 {
		return c
	}
	return bytes.Compare(ma, mb)
}

// WriteZSet writes a sorted set: as a listpack (type 17) when it has at most
// ZSetMaxListpackEntries members and none is longer than ZSetMaxListpackValue,
// else as a skiplist dump (type 5) with binary scores. Members must be
// unique; scores must not be NaN. The listpack must be in (score, member)
// order, so members are sorted here if the caller did not.
func (e *Encoder) WriteZSet(key []byte, members [][]byte, scores []float64, expireAtMs int64) error {
	if err := e.check("WriteZSet"); err != nil {
		return err
	}
	if len(members) != len(scores) {
		e.err = fmt.Errorf("rdb: zset %q: %d members but %d scores", key, len(members), len(scores))
		return e.err
	}
	if len(members) == 0 {
		e.err = emptyErr("zset", key)
		return e.err
	}
	for _, s := range scores {
		if math.IsNaN(s) {
			e.err = fmt.Errorf("rdb: zset %q: NaN score", key)
			return e.err
		}
	}
	small := len(members) <= e.opts.ZSetMaxListpackEntries
	for i := 0; small && i < len(members); i++ {
		small = len(members[i]) <= e.opts.ZSetMaxListpackValue
	}
	if small {
		order := make([]int, len(members))
		for i := range order {
			order[i] = i
		}
		sorted := true
		for i := 1; i < len(members); i++ {
			if zsetLess(scores[i-1], members[i-1], scores[i], members[i]) > 0 {
				sorted = false
				break
			}
		}
		if !sorted {
			slices.SortFunc(order, func(a, b int) int {
				return zsetLess(scores[a], members[a], scores[b], members[b])
			})
		}
		e.lp.Reset()
		var num []byte
		for _, i := range order {
			e.lp.Append(members[i])
			num = appendScore(num[:0], scores[i])
			e.lp.Append(num)
		}
		lp, err := e.lp.Finish()
		if err != nil {
			e.err = fmt.Errorf("rdb: zset %q: %w", key, err)
			return e.err
		}
		e.keyHeader(typeZSetListpack, key, expireAtMs)
		e.blob(lp)
		return e.finish()
	}
	e.keyHeader(typeZSet2, key, expireAtMs)
	e.length(uint64(len(members)))
	for i := range members {
		e.str(members[i])
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(scores[i]))
		if e.finish() != nil {
			return e.err
		}
	}
	return e.finish()
}

// appendScore formats a score for a listpack as Redis reads it back with
// strtod: integral values as integers (which the listpack then stores in
// integer form, as Redis does), infinities as "inf"/"-inf", everything else
// in the shortest form that round-trips.
func appendScore(dst []byte, s float64) []byte {
	switch {
	case math.IsInf(s, 1):
		return append(dst, "inf"...)
	case math.IsInf(s, -1):
		return append(dst, "-inf"...)
	case s == 0 && math.Signbit(s):
		return append(dst, "-0"...)
	case s == math.Trunc(s) && math.Abs(s) < 1<<53:
		return strconv.AppendInt(dst, int64(s), 10)
	}
	return strconv.AppendFloat(dst, s, 'g', -1, 64)
}

// WriteEnd writes the EOF opcode and the checksum trailer, and flushes.
// The Encoder accepts no further writes.
func (e *Encoder) WriteEnd() error {
	if err := e.check("WriteEnd"); err != nil {
		return err
	}
	e.byte1(opEOF)
	if e.flush() != nil {
		return e.err
	}
	var sum uint64
	if e.opts.Checksum {
		sum = e.crc
	}
	e.buf = binary.LittleEndian.AppendUint64(e.buf[:0], sum)
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = fmt.Errorf("rdb: write: %w", err)
		return e.err
	}
	e.buf = e.buf[:0]
	e.done = true
	return nil
}

// Flush writes buffered output to the underlying writer.
func (e *Encoder) Flush() error { return e.flush() }

// Checksum returns the CRC-64 of everything written so far; after WriteEnd
// it is the value of the trailer (when checksums are on).
func (e *Encoder) Checksum() uint64 {
	if len(e.buf) > 0 && !e.done {
		return CRC64(e.crc, e.buf)
	}
	return e.crc
}
