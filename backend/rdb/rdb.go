// Package rdb reads and writes Redis RDB snapshots, the format Redis uses for
// its dump.rdb file and for the payload of a full resynchronisation between a
// master and its replicas.
//
// The Encoder writes version 10 (Redis 7.0) files that a real redis-server
// 7.0 loads, choosing the same compact encodings Redis itself chooses
// (listpacks, intsets, quicklists) so that a loaded key has the encoding a
// Redis user would expect. The Decoder reads every string, list, set, hash
// and sorted-set encoding that RDB versions 1 to 10 can contain, so that a
// warden replica can load what a real Redis master sends it and a warden node
// can start from an old dump.rdb.
//
// The package is self-contained (it imports only the standard library) so it
// can be reused by the server, the replication code and tools alike. The
// low-level building blocks (LZF, CRC-64/Jones, listpack, ziplist, zipmap
// and intset codecs) are exported for the same reason.
//
// Decoding treats its input as hostile: every malformed stream yields an
// error, never a panic, and allocations grow with the bytes actually read
// rather than with lengths claimed by the stream.
package rdb

import (
	"errors"
	"strconv"
)

// Version is the RDB format version written by the Encoder (Redis 7.0).
const Version = 10

// NoExpiry is the expiry the Decoder reports for keys without a TTL.
const NoExpiry int64 = -1

// Opcodes that may appear where a value type is expected.
const (
	opFunction2   = 245 // function library source (7.0)
	opFunction    = 246 // pre-release 7.0 function format, never in a GA file
	opModuleAux   = 247
	opIdle        = 248
	opFreq        = 249
	opAux         = 250
	opResizeDB    = 251
	opExpireTimeM = 252
	opExpireTime  = 253
	opSelectDB    = 254
	opEOF         = 255
)

// Value types.
const (
	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZSet            = 3
	typeHash            = 4
	typeZSet2           = 5
	typeModule          = 6
	typeModule2         = 7
	typeHashZipmap      = 9
	typeListZiplist     = 10
	typeSetIntset       = 11
	typeZSetZiplist     = 12
	typeHashZiplist     = 13
	typeListQuicklist   = 14
	typeStreamListpacks = 15
	typeHashListpack    = 16
	typeZSetListpack    = 17
	typeListQuicklist2  = 18
	typeStreamListpack2 = 19
	typeSetListpack     = 20
	typeStreamListpack3 = 21
)

// Quicklist 2 node containers.
const (
	containerPlain  = 1
	containerPacked = 2
)

// Errors callers may want to test for with errors.Is.
var (
	// ErrChecksum reports a trailing CRC-64 that does not match the data.
	ErrChecksum = errors.New("RDB checksum mismatch")
	// ErrUnsupported reports a well-formed value this package cannot
	// represent (streams, module values, module aux data).
	ErrUnsupported = errors.New("unsupported RDB content")
	// ErrCorrupt reports a malformed stream or embedded blob.
	ErrCorrupt = errors.New("corrupt RDB data")
)

// Redis 7.0 defaults for the encoding thresholds.
const (
	DefaultHashMaxListpackEntries = 128
	DefaultHashMaxListpackValue   = 64
	DefaultSetMaxIntsetEntries    = 512
	DefaultZSetMaxListpackEntries = 128
	DefaultZSetMaxListpackValue   = 64
	DefaultListMaxListpackSize    = -2
	// DefaultListPackedThreshold is Redis 7.0's packed_threshold: list
	// elements at least this large get a quicklist node of their own in
	// the PLAIN container.
	DefaultListPackedThreshold = 1 << 30
)

// ParseInt reports whether b is the canonical decimal form of an int64 (no
// sign other than a leading '-', no leading zeros, no "-0"), which is the
// test Redis applies before storing a string as an integer. Only canonical
// forms may be stored as integers, or the value would not read back
// byte-for-byte.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	neg := b[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		if v > 1<<64-1-d {
			return 0, false
		}
		v += d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// formatInt returns the decimal form of v in a fresh slice.
func formatInt(v int64) []byte {
	return strconv.AppendInt(make([]byte, 0, 20), v, 10)
}
