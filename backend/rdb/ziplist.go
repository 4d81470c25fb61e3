package rdb

import (
	"encoding/binary"
	"fmt"
)

// A ziplist is the compact list encoding Redis used before listpacks
// (RDB types 10, 12, 13 and the nodes of type 14):
//
//	<u32 LE total bytes> <u32 LE offset of last entry> <u16 LE count> <entry>* 0xFF
//
// Each entry starts with the size of the previous entry (one byte, or 0xFE
// and a u32 LE) followed by an encoding header and the data. Redis 7.0 no
// longer writes ziplists but loads them, so only a decoder is provided.
const (
	zlHeaderSize   = 10
	zlEnd          = 0xFF
	zlBigPrevLen   = 0xFE
	zlCountUnknown = 65535
)

func zlCorrupt(format string, args ...any) error {
	return fmt.Errorf("rdb: ziplist: "+format+": %w", append(args, ErrCorrupt)...)
}

// DecodeZiplist returns the entries of a ziplist, validating its structure
// (sizes, tail offset, previous-entry lengths, count, terminator). Integer
// entries come back in decimal form; string entries alias blob.
func DecodeZiplist(blob []byte) ([][]byte, error) {
	if len(blob) < zlHeaderSize+1 {
		return nil, zlCorrupt("%d bytes is too short", len(blob))
	}
	if total := binary.LittleEndian.Uint32(blob); uint64(total) != uint64(len(blob)) {
		return nil, zlCorrupt("header says %d bytes, blob has %d", total, len(blob))
	}
	tail := int(binary.LittleEndian.Uint32(blob[4:]))
	declared := int(binary.LittleEndian.Uint16(blob[8:]))
	end := len(blob) - 1
	if blob[end] != zlEnd {
		return nil, zlCorrupt("missing terminator")
	}
	var out [][]byte
	p := zlHeaderSize
	prevSize := 0
	last := zlHeaderSize
	for p < end {
		start := p
		last = start
		// Previous entry length.
		var prev int
		if blob[p] < zlBigPrevLen {
			prev = int(blob[p])
			p++
		} else if blob[p] == zlBigPrevLen {
			if p+5 > end {
				return nil, zlCorrupt("truncated prevlen at %d", p)
			}
			prev = int(binary.LittleEndian.Uint32(blob[p+1:]))
			p += 5
		} else {
			return nil, zlCorrupt("invalid prevlen byte at %d", p)
		}
		if prev != prevSize {
			return nil, zlCorrupt("prevlen %d at %d, previous entry has %d bytes", prev, start, prevSize)
		}
		if p >= end {
			return nil, zlCorrupt("truncated entry at %d", start)
		}
		c := blob[p]
		var (
			strLen = -1
			v      int64
			data   int
		)
		switch c >> 6 {
		case 0:
			strLen = int(c & 0x3f)
			p++
		case 1:
			if p+2 > end {
				return nil, zlCorrupt("truncated entry at %d", start)
			}
			strLen = int(c&0x3f)<<8 | int(blob[p+1])
			p += 2
		case 2:
			if c != 0x80 || p+5 > end {
				return nil, zlCorrupt("bad string header at %d", p)
			}
			n := binary.BigEndian.Uint32(blob[p+1:])
			if uint64(n) > uint64(end) {
				return nil, zlCorrupt("string length %d past end", n)
			}
			strLen = int(n)
			p += 5
		default:
			p++
			switch {
			case c == 0xC0:
				data = 2
			case c == 0xD0:
				data = 4
			case c == 0xE0:
				data = 8
			case c == 0xF0:
				data = 3
			case c == 0xFE:
				data = 1
			case c >= 0xF1 && c <= 0xFD:
				v = int64(c&0x0f) - 1 // immediate 0..12
			default:
				return nil, zlCorrupt("invalid encoding byte 0x%02x at %d", c, p-1)
			}
			if data > end-p {
				return nil, zlCorrupt("truncated integer at %d", start)
			}
			b := blob[p : p+data]
			switch data {
			case 1:
				v = int64(int8(b[0]))
			case 2:
				v = int64(int16(binary.LittleEndian.Uint16(b)))
			case 3:
				u := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
				v = int64(int32(u<<8) >> 8)
			case 4:
				v = int64(int32(binary.LittleEndian.Uint32(b)))
			case 8:
				v = int64(binary.LittleEndian.Uint64(b))
			}
			p += data
		}
		if strLen >= 0 {
			if strLen > end-p {
				return nil, zlCorrupt("string of %d bytes at %d runs past end", strLen, start)
			}
			out = append(out, blob[p:p+strLen:p+strLen])
			p += strLen
		} else {
			out = append(out, formatInt(v))
		}
		prevSize = p - start
	}
	if p != end {
		return nil, zlCorrupt("entries overrun the terminator")
	}
	if tail != last {
		return nil, zlCorrupt("tail offset %d, last entry at %d", tail, last)
	}
	if declared != zlCountUnknown && declared != len(out) {
		return nil, zlCorrupt("header says %d entries, found %d", declared, len(out))
	}
	return out, nil
}

// A zipmap is the pre-2.6 small-hash encoding (RDB type 9):
//
//	<count byte> { <len> key <len> <free byte> value <free bytes> }* 0xFF
//
// where a length is one byte below 254, or 254 followed by a u32 LE; the
// count byte saturates at 254.
const (
	zmBigLen = 254
	zmEnd    = 255
)

func zmCorrupt(format string, args ...any) error {
	return fmt.Errorf("rdb: zipmap: "+format+": %w", append(args, ErrCorrupt)...)
}

// DecodeZipmap returns the fields and values of a zipmap. Results alias blob.
func DecodeZipmap(blob []byte) (fields, values [][]byte, err error) {
	if len(blob) < 2 {
		return nil, nil, zmCorrupt("%d bytes is too short", len(blob))
	}
	declared := int(blob[0])
	p := 1
	readLen := func() (int, error) {
		if p >= len(blob) {
			return 0, zmCorrupt("truncated length")
		}
		c := blob[p]
		if c < zmBigLen {
			p++
			return int(c), nil
		}
		if c == zmEnd {
			return 0, zmCorrupt("unexpected terminator at %d", p)
		}
		if p+5 > len(blob) {
			return 0, zmCorrupt("truncated length at %d", p)
		}
		n := binary.LittleEndian.Uint32(blob[p+1:])
		p += 5
		if uint64(n) > uint64(len(blob)) {
			return 0, zmCorrupt("length %d past end", n)
		}
		return int(n), nil
	}
	for {
		if p >= len(blob) {
			return nil, nil, zmCorrupt("missing terminator")
		}
		if blob[p] == zmEnd {
			p++
			break
		}
		kl, err := readLen()
		if err != nil {
			return nil, nil, err
		}
		if kl > len(blob)-p {
			return nil, nil, zmCorrupt("key runs past end")
		}
		key := blob[p : p+kl : p+kl]
		p += kl
		vl, err := readLen()
		if err != nil {
			return nil, nil, err
		}
		if p >= len(blob) {
			return nil, nil, zmCorrupt("truncated free byte")
		}
		free := int(blob[p])
		p++
		if vl > len(blob)-p || free > len(blob)-p-vl {
			return nil, nil, zmCorrupt("value runs past end")
		}
		fields = append(fields, key)
		values = append(values, blob[p:p+vl:p+vl])
		p += vl + free
	}
	if p != len(blob) {
		return nil, nil, zmCorrupt("%d trailing bytes", len(blob)-p)
	}
	if declared < zmBigLen && declared != len(fields) {
		return nil, nil, zmCorrupt("header says %d entries, found %d", declared, len(fields))
	}
	return fields, values, nil
}
