package resp

import (
	"math"
	"strconv"
)

// The Append functions encode one RESP value onto dst and return the
// extended slice. Those whose RESP2 and RESP3 forms differ take the protocol
// version (2 or 3).

// AppendSimple appends a status reply: +s.
func AppendSimple(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendError appends an error reply. msg must include its code ("ERR ...",
// "WRONGTYPE ...").
func AppendError(dst []byte, msg string) []byte {
	dst = append(dst, '-')
	dst = append(dst, msg...)
	return append(dst, '\r', '\n')
}

// AppendInt appends an integer reply.
func AppendInt(dst []byte, v int64) []byte {
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, v, 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends a bulk string.
func AppendBulk(dst []byte, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends a bulk string from a Go string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends an integer formatted as a bulk string (Sentinel and
// some Redis replies carry numbers this way).
func AppendBulkInt(dst []byte, v int64) []byte {
	var tmp [24]byte
	return AppendBulk(dst, strconv.AppendInt(tmp[:0], v, 10))
}

// AppendNull appends the null bulk string: $-1 in RESP2, _ in RESP3.
func AppendNull(dst []byte, proto int) []byte {
	if proto >= 3 {
		return append(dst, '_', '\r', '\n')
	}
	return append(dst, '$', '-', '1', '\r', '\n')
}

// AppendNullArray appends the null array: *-1 in RESP2, _ in RESP3.
func AppendNullArray(dst []byte, proto int) []byte {
	if proto >= 3 {
		return append(dst, '_', '\r', '\n')
	}
	return append(dst, '*', '-', '1', '\r', '\n')
}

func appendHeader(dst []byte, prefix byte, n int) []byte {
	dst = append(dst, prefix)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendArray appends an array header of n elements.
func AppendArray(dst []byte, n int) []byte { return appendHeader(dst, '*', n) }

// AppendMap appends a map header of n pairs: %n in RESP3, *2n in RESP2.
func AppendMap(dst []byte, n int, proto int) []byte {
	if proto >= 3 {
		return appendHeader(dst, '%', n)
	}
	return appendHeader(dst, '*', 2*n)
}

// AppendSet appends a set header: ~n in RESP3, *n in RESP2.
func AppendSet(dst []byte, n int, proto int) []byte {
	if proto >= 3 {
		return appendHeader(dst, '~', n)
	}
	return appendHeader(dst, '*', n)
}

// AppendPush appends a push header: >n in RESP3, *n in RESP2.
func AppendPush(dst []byte, n int, proto int) []byte {
	if proto >= 3 {
		return appendHeader(dst, '>', n)
	}
	return appendHeader(dst, '*', n)
}

// AppendBool appends a boolean: #t/#f in RESP3, :1/:0 in RESP2.
func AppendBool(dst []byte, v bool, proto int) []byte {
	if proto >= 3 {
		if v {
			return append(dst, '#', 't', '\r', '\n')
		}
		return append(dst, '#', 'f', '\r', '\n')
	}
	if v {
		return append(dst, ':', '1', '\r', '\n')
	}
	return append(dst, ':', '0', '\r', '\n')
}

// FormatDouble formats a double the way Redis 7.0 replies with one
// (printf "%.17g", with inf/-inf spelled out).
func FormatDouble(dst []byte, d float64) []byte {
	switch {
	case math.IsInf(d, 1):
		return append(dst, "inf"...)
	case math.IsInf(d, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(d):
		return append(dst, "nan"...)
	}
	return AppendG17(dst, d)
}

// AppendG17 formats d like C's printf("%.17g").
func AppendG17(dst []byte, d float64) []byte {
	if d == 0 {
		if math.Signbit(d) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	// %g picks the style from the exponent the %e form would print.
	e := strconv.AppendFloat(nil, d, 'e', 16, 64)
	exp, _ := strconv.Atoi(string(e[indexByte(e, 'e')+1:]))
	if exp < -4 || exp >= 17 {
		// Scientific: mantissa without trailing zeros, exponent with at
		// least two digits, as C prints it.
		i := indexByte(e, 'e')
		mant := trimZeros(e[:i])
		dst = append(dst, mant...)
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	f := strconv.AppendFloat(nil, d, 'f', 16-exp, 64)
	return append(dst, trimZeros(f)...)
}

func trimZeros(b []byte) []byte {
	if indexByte(b, '.') < 0 {
		return b
	}
	for len(b) > 0 && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return b
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// AppendDouble appends a double reply: a bulk string in RESP2, ",d" in RESP3.
func AppendDouble(dst []byte, d float64, proto int) []byte {
	var tmp [40]byte
	s := FormatDouble(tmp[:0], d)
	if proto >= 3 {
		dst = append(dst, ',')
		dst = append(dst, s...)
		return append(dst, '\r', '\n')
	}
	return AppendBulk(dst, s)
}

// AppendVerbatim appends a verbatim string ("=len\r\ntxt:..." in RESP3, a
// bulk string in RESP2). format is a three letter type such as "txt".
func AppendVerbatim(dst []byte, format string, s []byte, proto int) []byte {
	if proto < 3 {
		return AppendBulk(dst, s)
	}
	dst = append(dst, '=')
	dst = strconv.AppendInt(dst, int64(len(s)+4), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, format...)
	dst = append(dst, ':')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendCommand encodes args as a RESP multibulk command, the form used to
// send commands to servers and to propagate writes.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		dst = AppendBulk(dst, a)
	}
	return dst
}

// AppendCommandStrings is AppendCommand for string arguments.
func AppendCommandStrings(dst []byte, args ...string) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		dst = AppendBulkString(dst, a)
	}
	return dst
}
