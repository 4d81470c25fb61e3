package rdb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A listpack is a flat list of strings and integers:
//
//	<u32 LE total bytes> <u16 LE element count> <entry>* 0xFF
//
// Each entry is an encoding header, the data, and a "backlen" holding the
// size of header+data so the list can be walked backwards. Integers use the
// narrowest of seven encodings; strings carry a 6-, 12- or 32-bit length.
// The element count saturates at 65535, meaning "count the entries".
const (
	lpHeaderSize     = 6
	lpEnd            = 0xFF
	lpCountUnknown   = 65535
	lpEnc7BitUint    = 0x00 // 0xxxxxxx
	lpEnc6BitStr     = 0x80 // 10xxxxxx
	lpEnc13BitInt    = 0xC0 // 110xxxxx yyyyyyyy
	lpEnc12BitStr    = 0xE0 // 1110xxxx yyyyyyyy
	lpEnc32BitStr    = 0xF0
	lpEncInt16       = 0xF1
	lpEncInt24       = 0xF2
	lpEncInt32       = 0xF3
	lpEncInt64       = 0xF4
	lpMaxSize        = math.MaxUint32
	lpMax6BitStrLen  = 63
	lpMax12BitStrLen = 4095
)

// lpBacklenSize is the number of bytes the backlen of an entry whose
// header+data occupy l bytes takes (7 bits per byte).
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	default:
		return 5
	}
}

// lpIntHeaderSize returns the size of the integer encoding of v (header and
// data together).
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 3
	case v >= -1<<23 && v <= 1<<23-1:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	default:
		return 9
	}
}

func lpStrSize(n int) int {
	switch {
	case n <= lpMax6BitStrLen:
		return 1 + n
	case n <= lpMax12BitStrLen:
		return 2 + n
	default:
		return 5 + n
	}
}

// ListpackEntrySize returns how many bytes elem occupies in a listpack,
// backlen included. Like Redis, strings that are canonical integers are
// stored as integers.
func ListpackEntrySize(elem []byte) int {
	var l int
	if v, ok := ParseInt(elem); ok {
		l = lpIntSize(v)
	} else {
		l = lpStrSize(len(elem))
	}
	return l + lpBacklenSize(l)
}

// ListpackBuilder assembles a listpack one entry at a time. The zero value
// is ready to use.
type ListpackBuilder struct {
	buf []byte // header placeholder + entries, no terminator
	n   int
}

// Reset empties the builder, keeping its memory.
func (b *ListpackBuilder) Reset() {
	b.buf = b.buf[:0]
	b.n = 0
}

func (b *ListpackBuilder) init() {
	if len(b.buf) == 0 {
		b.buf = append(b.buf, 0, 0, 0, 0, 0, 0)
	}
}

// Len returns the number of entries appended so far.
func (b *ListpackBuilder) Len() int { return b.n }

// Size returns the byte size the finished listpack would have now.
func (b *ListpackBuilder) Size() int {
	if len(b.buf) == 0 {
		return lpHeaderSize + 1
	}
	return len(b.buf) + 1
}

// Append adds elem, stored as an integer when it is a canonical one.
func (b *ListpackBuilder) Append(elem []byte) {
	if v, ok := ParseInt(elem); ok {
		b.AppendInt(v)
		return
	}
	b.init()
	start := len(b.buf)
	n := len(elem)
	switch {
	case n <= lpMax6BitStrLen:
		b.buf = append(b.buf, byte(lpEnc6BitStr|n))
	case n <= lpMax12BitStrLen:
		b.buf = append(b.buf, byte(lpEnc12BitStr|n>>8), byte(n))
	default:
		b.buf = append(b.buf, lpEnc32BitStr)
		b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(n))
	}
	b.buf = append(b.buf, elem...)
	b.finishEntry(start)
}

// AppendInt adds v in the narrowest integer encoding.
func (b *ListpackBuilder) AppendInt(v int64) {
	b.init()
	start := len(b.buf)
	switch lpIntSize(v) {
	case 1:
		b.buf = append(b.buf, byte(v))
	case 2:
		u := uint64(v) & (1<<13 - 1) // 13-bit two's complement
		b.buf = append(b.buf, byte(lpEnc13BitInt|u>>8), byte(u))
	case 3:
		b.buf = append(b.buf, lpEncInt16, byte(v), byte(v>>8))
	case 4:
		b.buf = append(b.buf, lpEncInt24, byte(v), byte(v>>8), byte(v>>16))
	case 5:
		b.buf = append(b.buf, lpEncInt32)
		b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(v))
	default:
		b.buf = append(b.buf, lpEncInt64)
		b.buf = binary.LittleEndian.AppendUint64(b.buf, uint64(v))
	}
	b.finishEntry(start)
}

// finishEntry appends the backlen of the entry that starts at start. The
// backlen is read right to left: its last byte holds the low 7 bits, and a
// set high bit means more bytes follow to the left.
func (b *ListpackBuilder) finishEntry(start int) {
	l := uint64(len(b.buf) - start)
	size := lpBacklenSize(int(l))
	for i := size - 1; i >= 0; i-- {
		c := byte(l>>(7*uint(i))) & 127
		if i < size-1 {
			c |= 128 // every byte right of the leftmost one
		}
		b.buf = append(b.buf, c)
	}
	b.n++
}

// Finish completes the listpack and returns it. The result aliases the
// builder's memory and stays valid until the next Reset or Append.
func (b *ListpackBuilder) Finish() ([]byte, error) {
	b.init()
	total := len(b.buf) + 1
	if total > lpMaxSize {
		return nil, fmt.Errorf("rdb: listpack of %d bytes exceeds the 4 GiB limit", total)
	}
	b.buf = append(b.buf, lpEnd)
	binary.LittleEndian.PutUint32(b.buf[0:], uint32(total))
	count := b.n
	if count > lpCountUnknown {
		count = lpCountUnknown
	}
	binary.LittleEndian.PutUint16(b.buf[4:], uint16(count))
	out := b.buf
	b.buf = b.buf[:len(b.buf)-1] // allow further appends
	return out, nil
}

// EncodeListpack returns a listpack holding elems.
func EncodeListpack(elems [][]byte) ([]byte, error) {
	var b ListpackBuilder
	size := lpHeaderSize + 1
	for _, e := range elems {
		size += ListpackEntrySize(e)
	}
	b.buf = make([]byte, 0, size)
	for _, e := range elems {
		b.Append(e)
	}
	return b.Finish()
}

// DecodeListpack returns the entries of a listpack, validating its whole
// structure (sizes, backlens, element count, terminator). Integer entries
// come back in decimal form; string entries alias blob, capped so that
// appending to one cannot overwrite its neighbour.
func DecodeListpack(blob []byte) ([][]byte, error) {
	var out [][]byte
	err := walkListpack(blob, func(s []byte, v int64, isInt bool) error {
		if isInt {
			out = append(out, formatInt(v))
		} else {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func lpCorrupt(format string, args ...any) error {
	return fmt.Errorf("rdb: listpack: "+format+": %w", append(args, ErrCorrupt)...)
}

// walkListpack calls fn for each entry of blob in order.
func walkListpack(blob []byte, fn func(s []byte, v int64, isInt bool) error) error {
	if len(blob) < lpHeaderSize+1 {
		return lpCorrupt("%d bytes is too short", len(blob))
	}
	if total := binary.LittleEndian.Uint32(blob); uint64(total) != uint64(len(blob)) {
		return lpCorrupt("header says %d bytes, blob has %d", total, len(blob))
	}
	declared := int(binary.LittleEndian.Uint16(blob[4:]))
	if blob[len(blob)-1] != lpEnd {
		return lpCorrupt("missing terminator")
	}
	end := len(blob) - 1
	p := lpHeaderSize
	count := 0
	for p < end {
		start := p
		c := blob[p]
		var (
			s     []byte
			v     int64
			isInt bool
			need  int // bytes of data after the header
			hdr   int
		)
		switch {
		case c&0x80 == lpEnc7BitUint:
			hdr, v, isInt = 1, int64(c&0x7f), true
		case c&0xC0 == lpEnc6BitStr:
			hdr, need = 1, int(c&0x3f)
		case c&0xE0 == lpEnc13BitInt:
			if p+2 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			u := int64(c&0x1f)<<8 | int64(blob[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			hdr, v, isInt = 2, u, true
		case c&0xF0 == lpEnc12BitStr:
			if p+2 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			hdr, need = 2, int(c&0x0f)<<8|int(blob[p+1])
		case c == lpEnc32BitStr:
			if p+5 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			n := binary.LittleEndian.Uint32(blob[p+1:])
			if uint64(n) > uint64(end) {
				return lpCorrupt("string length %d past end", n)
			}
			hdr, need = 5, int(n)
		case c == lpEncInt16:
			if p+3 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			hdr, v, isInt = 3, int64(int16(binary.LittleEndian.Uint16(blob[p+1:]))), true
		case c == lpEncInt24:
			if p+4 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			u := uint32(blob[p+1]) | uint32(blob[p+2])<<8 | uint32(blob[p+3])<<16
			hdr, v, isInt = 4, int64(int32(u<<8)>>8), true
		case c == lpEncInt32:
			if p+5 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			hdr, v, isInt = 5, int64(int32(binary.LittleEndian.Uint32(blob[p+1:]))), true
		case c == lpEncInt64:
			if p+9 > end {
				return lpCorrupt("truncated entry at %d", p)
			}
			hdr, v, isInt = 9, int64(binary.LittleEndian.Uint64(blob[p+1:])), true
		default:
			return lpCorrupt("invalid encoding byte 0x%02x at %d", c, p)
		}
		p += hdr
		if !isInt {
			if need > end-p {
				return lpCorrupt("string of %d bytes at %d runs past end", need, start)
			}
			s = blob[p : p+need : p+need]
			p += need
		}
		l := p - start
		bl := lpBacklenSize(l)
		if bl > end-p {
			return lpCorrupt("truncated backlen at %d", p)
		}
		if got := decodeBacklen(blob[p : p+bl]); got != uint64(l) {
			return lpCorrupt("backlen %d does not match entry size %d at %d", got, l, start)
		}
		p += bl
		count++
		if err := fn(s, v, isInt); err != nil {
			return err
		}
	}
	if declared != lpCountUnknown && declared != count {
		return lpCorrupt("header says %d entries, found %d", declared, count)
	}
	return nil
}

// decodeBacklen reads a backlen laid out left to right in b.
func decodeBacklen(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		shift := uint(len(b)-1-i) * 7
		v |= uint64(b[i]&127) << shift
		more := b[i]&128 != 0
		if more != (i > 0) {
			return math.MaxUint64 // continuation bits disagree with the size
		}
	}
	return v
}
