package rdb

import (
	"fmt"
	"math/bits"
	"sync"
)

var lzfTables = sync.Pool{New: func() any { return new([1 << 14]int32) }}

// LZF is the byte-oriented LZ77 variant Redis uses to compress strings in
// RDB files. A stream is a sequence of items, each starting with a control
// byte c:
//
//   - c < 32: a literal run; the next c+1 bytes are copied to the output.
//   - c >= 32: a back reference. The top three bits hold the match length
//     minus 2; the value 7 means one more byte follows holding the length
//     minus 9. The low five bits are the high bits of a 13-bit distance
//     whose low byte follows. The match is copied from distance+1 bytes
//     back in the output and may overlap the bytes it produces.
//
// The format carries no header; the decompressed length is stored beside it.
const (
	lzfMaxLiteral = 32
	lzfMaxOffset  = 1 << 13 // distance+1 fits in 13 bits
	lzfMinMatch   = 3
	lzfMaxMatch   = 7 + 255 + 2
	// lzfMaxRatio bounds how much output one input byte can produce: a
	// three-byte back reference yields at most lzfMaxMatch bytes. Knowing
	// it lets a decoder reject absurd declared lengths before allocating.
	lzfMaxRatio = lzfMaxMatch / 3
)

// LZFCompress appends the LZF compression of src to dst and returns the
// extended slice. The result may be longer than src for incompressible
// input (by at most one byte per 32); callers decide whether it is worth
// storing.
func LZFCompress(dst, src []byte) []byte {
	n := len(src)
	if n == 0 {
		return dst
	}
	// A table sized to the input keeps short strings cheap: most strings
	// compressed in an RDB are a few dozen bytes long.
	hbits := bits.Len(uint(n))
	if hbits < 8 {
		hbits = 8
	} else if hbits > 14 {
		hbits = 14
	}
	// position+1 of the last occurrence; pooled because a snapshot
	// compresses millions of strings and a fresh table for each one
	// makes the garbage collector run (and assist) during the save.
	tp := lzfTables.Get().(*[1 << 14]int32)
	defer lzfTables.Put(tp)
	table := tp[:1<<hbits]
	clear(table)
	shift := 32 - hbits
	hash := func(i int) uint32 {
		v := uint32(src[i])<<16 | uint32(src[i+1])<<8 | uint32(src[i+2])
		return (v * 2654435761) >> shift
	}

	litStart := 0
	flush := func(end int) {
		for litStart < end {
			run := end - litStart
			if run > lzfMaxLiteral {
				run = lzfMaxLiteral
			}
			dst = append(dst, byte(run-1))
			dst = append(dst, src[litStart:litStart+run]...)
			litStart += run
		}
	}

	i := 0
	for i+lzfMinMatch <= n {
		h := hash(i)
		ref := int(table[h]) - 1
		table[h] = int32(i + 1)
		if ref < 0 || i-ref > lzfMaxOffset ||
			src[ref] != src[i] || src[ref+1] != src[i+1] || src[ref+2] != src[i+2] {
			i++
			continue
		}
		limit := n - i
		if limit > lzfMaxMatch {
			limit = lzfMaxMatch
		}
		l := lzfMinMatch
		for l < limit && src[ref+l] == src[i+l] {
			l++
		}
		flush(i)
		off := i - ref - 1
		code := l - 2
		if code < 7 {
			dst = append(dst, byte(code<<5|off>>8), byte(off))
		} else {
			dst = append(dst, byte(7<<5|off>>8), byte(code-7), byte(off))
		}
		// Index the positions inside the match so later data can refer to
		// them; skipping this would only cost compression ratio.
		end := i + l
		for j := i + 1; j < end && j+lzfMinMatch <= n; j++ {
			table[hash(j)] = int32(j + 1)
		}
		i = end
		litStart = i
	}
	flush(n)
	return dst
}

// LZFDecompress appends the decompression of src to dst and returns the
// extended slice. size is the exact decompressed length, as stored beside
// the data; any disagreement between it and the stream is an error. A size
// that src could not possibly produce is rejected before anything is
// allocated.
func LZFDecompress(dst, src []byte, size int) ([]byte, error) {
	if size < 0 || uint64(size) > uint64(len(src))*lzfMaxRatio {
		return dst, fmt.Errorf("rdb: lzf: %d compressed bytes cannot expand to %d: %w", len(src), size, ErrCorrupt)
	}
	base := len(dst)
	if cap(dst)-base < size {
		grown := make([]byte, base, base+size)
		copy(grown, dst)
		dst = grown
	}
	limit := base + size
	i := 0
	for i < len(src) {
		c := int(src[i])
		i++
		if c < lzfMaxLiteral {
			run := c + 1
			if i+run > len(src) {
				return dst, fmt.Errorf("rdb: lzf: literal run past end of input: %w", ErrCorrupt)
			}
			if len(dst)+run > limit {
				return dst, fmt.Errorf("rdb: lzf: output exceeds declared length %d: %w", size, ErrCorrupt)
			}
			dst = append(dst, src[i:i+run]...)
			i += run
			continue
		}
		l := c >> 5
		if l == 7 {
			if i >= len(src) {
				return dst, fmt.Errorf("rdb: lzf: truncated back reference: %w", ErrCorrupt)
			}
			l += int(src[i])
			i++
		}
		if i >= len(src) {
			return dst, fmt.Errorf("rdb: lzf: truncated back reference: %w", ErrCorrupt)
		}
		dist := ((c&0x1f)<<8 | int(src[i])) + 1
		i++
		l += 2
		from := len(dst) - dist
		if from < base {
			return dst, fmt.Errorf("rdb: lzf: back reference before start of output: %w", ErrCorrupt)
		}
		if len(dst)+l > limit {
			return dst, fmt.Errorf("rdb: lzf: output exceeds declared length %d: %w", size, ErrCorrupt)
		}
		if dist >= l {
			dst = append(dst, dst[from:from+l]...)
		} else {
			// Overlapping copy: each byte may be one this item produced.
			for k := 0; k < l; k++ {
				dst = append(dst, dst[from+k])
			}
		}
	}
	if len(dst) != limit {
		return dst, fmt.Errorf("rdb: lzf: decompressed %d bytes, want %d: %w", len(dst)-base, size, ErrCorrupt)
	}
	return dst, nil
}
