// Package resp is warden's RESP2/RESP3 codec: command framing for servers and
// proxies, and append-style reply encoders. Everything here is a pure function
// over byte slices so the same code serves gnet's Peek/Discard path, blocking
// clients and tests, and so it can be fuzzed.
package resp

import (
	"bytes"
	"errors"
)

// Limits that apply while framing commands. The zero value of each field
// means the Redis default.
type Limits struct {
	// MaxBulk is proto-max-bulk-len: the longest argument accepted (512 MB).
	MaxBulk int64
	// MaxMultibulk caps the argument count of one command (INT_MAX).
	MaxMultibulk int64
	// MaxInline is the longest inline command or header line without a
	// newline (64 KB, PROTO_INLINE_MAX_SIZE).
	MaxInline int
	// Unauthenticated applies Redis's limits for clients that still have
	// to AUTH: at most 10 arguments of at most 16 KB each.
	Unauthenticated bool
}

const (
	defaultMaxBulk      = 512 << 20
	defaultMaxMultibulk = 1<<31 - 1
	defaultMaxInline    = 64 << 10
)

func (l Limits) withDefaults() Limits {
	if l.MaxBulk <= 0 {
		l.MaxBulk = defaultMaxBulk
	}
	if l.MaxMultibulk <= 0 {
		l.MaxMultibulk = defaultMaxMultibulk
	}
	if l.MaxInline <= 0 {
		l.MaxInline = defaultMaxInline
	}
	return l
}

// ProtocolError is a framing error. Its text is what Redis replies after
// "-ERR " before closing the connection.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// IsProtocolError reports whether err is a framing error.
func IsProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}

func protoErr(msg string) error { return &ProtocolError{Msg: msg} }

// ReadCommand frames one command at the start of buf. It returns the
// arguments (slices of buf: copy them before buf is reused), the number of
// bytes consumed, and an error for malformed input. n == 0 with a nil error
// means more bytes are needed. A command with no arguments (an empty inline
// line, "*0") is returned as n > 0 with args == nil; callers skip it.
// The args slice is appended to argsBuf to spare allocations.
func ReadCommand(buf []byte, lim Limits, argsBuf [][]byte) (args [][]byte, n int, err error) {
	args, n, _, err = ReadCommandNeed(buf, lim, argsBuf)
	return args, n, err
}

// ReadCommandNeed is ReadCommand that also reports, when the command is
// incomplete (n == 0, err == nil), the frame size known so far: at least
// need bytes must be buffered before trying again. Servers use it to avoid
// re-framing a large argument on every read while it arrives.
func ReadCommandNeed(buf []byte, lim Limits, argsBuf [][]byte) (args [][]byte, n, need int, err error) {
	if len(buf) == 0 {
		return nil, 0, len(buf) + 1, nil
	}
	lim = lim.withDefaults()
	if buf[0] != '*' {
		args, n, err = readInline(buf, lim, argsBuf)
		return args, n, 0, err
	}
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > lim.MaxInline {
			return nil, 0, 0, protoErr("too big mbulk count string")
		}
		return nil, 0, len(buf) + 1, nil
	}
	count, ok := parseLen(buf[1:nl])
	if !ok || count > lim.MaxMultibulk {
		return nil, 0, 0, protoErr("invalid multibulk length")
	}
	if lim.Unauthenticated && count > 10 {
		return nil, 0, 0, protoErr("unauthenticated multibulk length")
	}
	pos := nl + 1
	if count <= 0 {
		return nil, pos, 0, nil
	}
	args = argsBuf[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) {
			return nil, 0, len(buf) + 1, nil
		}
		if buf[pos] != '$' {
			return nil, 0, 0, protoErr("expected '$', got '" + string(buf[pos]) + "'")
		}
		nl = bytes.IndexByte(buf[pos:], '\n')
		if nl < 0 {
			if len(buf)-pos > lim.MaxInline {
				return nil, 0, 0, protoErr("too big bulk count string")
			}
			return nil, 0, len(buf) + 1, nil
		}
		nl += pos
		size, ok := parseLen(buf[pos+1 : nl])
		if !ok || size < 0 || size > lim.MaxBulk {
			return nil, 0, 0, protoErr("invalid bulk length")
		}
		if lim.Unauthenticated && size > 16384 {
			return nil, 0, 0, protoErr("unauthenticated bulk length")
		}
		start := nl + 1
		end := start + int(size)
		if end+2 > len(buf) {
			return nil, 0, end + 2, nil
		}
		// Redis skips the two bytes after the payload without looking at them.
		args = append(args, buf[start:end:end])
		pos = end + 2
	}
	return args, pos, 0, nil
}

// parseLen parses the decimal after '*' or '$', tolerating a trailing '\r'
// as Redis does (it requires "\r\n" but reads the number up to '\r').
func parseLen(b []byte) (int64, bool) {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg || b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		// More digits than any valid length: refusing them early also
		// keeps the accumulation below from overflowing.
		return 0, false
	}
	var v int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		v = v*10 + int64(ch-'0') // 18 digits at most: cannot overflow
	}
	if neg {
		v = -v
	}
	return v, true
}

func readInline(buf []byte, lim Limits, argsBuf [][]byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > lim.MaxInline {
			return nil, 0, protoErr("too big inline request")
		}
		return nil, 0, nil
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := SplitInline(line, argsBuf[:0])
	if !ok {
		return nil, 0, protoErr("unbalanced quotes in request")
	}
	if len(args) == 0 {
		// An empty line is no command; keep ReadCommand's contract of
		// nil args for it even when argsBuf had capacity.
		return nil, nl + 1, nil
	}
	return args, nl + 1, nil
}

// SplitInline splits an inline command line the way redis-cli users expect:
// whitespace separated words, "double quoted" strings with C-style escapes
// (\n \r \t \b \a \\ \" \xHH) and 'single quoted' strings where only \' is an
// escape. A closing quote must be followed by a space or the end of line.
// It returns false for unbalanced quotes.
func SplitInline(line []byte, dst [][]byte) ([][]byte, bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return dst, true
		}
		var cur []byte
		inDQ, inSQ := false, false
		done := false
		for !done {
			if inDQ {
				if i >= len(line) {
					return nil, false
				}
				ch := line[i]
				switch {
				case ch == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				case ch == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case ch == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, ch)
				}
			} else if inSQ {
				if i >= len(line) {
					return nil, false
				}
				ch := line[i]
				switch {
				case ch == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case ch == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, ch)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch ch := line[i]; ch {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDQ = true
				case '\'':
					inSQ = true
				default:
					cur = append(cur, ch)
				}
			}
			if i < len(line) {
				i++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		dst = append(dst, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
