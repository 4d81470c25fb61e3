package rdb

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// An intset is a sorted array of unique integers of one width (RDB type 11):
//
//	<u32 LE width in bytes: 2, 4 or 8> <u32 LE count> <count LE integers, ascending>
//
// Redis uses the narrowest width that holds every member.
const intsetHeaderSize = 8

// EncodeIntset returns the intset holding vals. vals need not be sorted but
// must not contain duplicates (a set has none; Redis rejects an intset that
// is not strictly ascending).
func EncodeIntset(vals []int64) ([]byte, error) {
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	width := 2
	for i, v := range sorted {
		if i > 0 && sorted[i-1] == v {
			return nil, fmt.Errorf("rdb: intset: duplicate member %d", v)
		}
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			width = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && width < 4:
			width = 4
		}
	}
	if uint64(len(sorted)) > math.MaxUint32 {
		return nil, fmt.Errorf("rdb: intset: %d members is too many", len(sorted))
	}
	out := make([]byte, intsetHeaderSize, intsetHeaderSize+width*len(sorted))
	binary.LittleEndian.PutUint32(out, uint32(width))
	binary.LittleEndian.PutUint32(out[4:], uint32(len(sorted)))
	for _, v := range sorted {
		switch width {
		case 2:
			out = binary.LittleEndian.AppendUint16(out, uint16(v))
		case 4:
			out = binary.LittleEndian.AppendUint32(out, uint32(v))
		default:
			out = binary.LittleEndian.AppendUint64(out, uint64(v))
		}
	}
	return out, nil
}

// DecodeIntset returns the members of an intset, checking the width, the
// size and that members are strictly ascending.
func DecodeIntset(blob []byte) ([]int64, error) {
	if len(blob) < intsetHeaderSize {
		return nil, fmt.Errorf("rdb: intset: %d bytes is too short: %w", len(blob), ErrCorrupt)
	}
	width := binary.LittleEndian.Uint32(blob)
	count := binary.LittleEndian.Uint32(blob[4:])
	if width != 2 && width != 4 && width != 8 {
		return nil, fmt.Errorf("rdb: intset: invalid width %d: %w", width, ErrCorrupt)
	}
	if uint64(width)*uint64(count) != uint64(len(blob)-intsetHeaderSize) {
		return nil, fmt.Errorf("rdb: intset: %d members of %d bytes do not fill %d bytes: %w",
			count, width, len(blob)-intsetHeaderSize, ErrCorrupt)
	}
	out := make([]int64, count)
	p := blob[intsetHeaderSize:]
	for i := range out {
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p[2*i:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p[4*i:])))
		default:
			v = int64(binary.LittleEndian.Uint64(p[8*i:]))
		}
		if i > 0 && v <= out[i-1] {
			return nil, fmt.Errorf("rdb: intset: members not strictly ascending: %w", ErrCorrupt)
		}
		out[i] = v
	}
	return out, nil
}
