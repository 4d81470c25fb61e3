package redisconf

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// The value errors carry Redis's own texts, so that a warden node rejecting
// a config line says what redis-server would have said.
var (
	ErrNotBool    = errors.New("argument must be 'yes' or 'no'")
	ErrNotMemory  = errors.New("argument must be a memory value")
	ErrNotInteger = errors.New("argument couldn't be parsed into an integer")
)

// ParseBool reads yes/no, case-insensitively, as Redis's yesnotoi.
func ParseBool(s string) (bool, error) {
	switch {
	case strings.EqualFold(s, "yes"):
		return true, nil
	case strings.EqualFold(s, "no"):
		return false, nil
	}
	return false, ErrNotBool
}

// FormatBool is the yes/no form Redis writes.
func FormatBool(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// ParseMemory reads a memory size as Redis's memtoull: decimal digits then
// an optional unit, b (1), k (1000), kb (1024), m (1000²), mb (1024²), g
// (1000³) or gb (1024³), in any case. No sign, space or fraction is allowed.
//
// Like Redis it reads a missing number as 0 ("" and "kb" are 0), because
// redis-server accepts such files. Unlike Redis's unsigned result, values
// above math.MaxInt64 are an error.
func ParseMemory(s string) (int64, error) {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	digits, unit := s[:i], s[i:]
	var mul uint64
	switch strings.ToLower(unit) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, ErrNotMemory
	}
	if digits == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || v > math.MaxInt64/mul {
		return 0, ErrNotMemory
	}
	return int64(v * mul), nil
}

// FormatMemory writes bytes as CONFIG REWRITE does: in gb, mb or kb when the
// value is a whole multiple, otherwise as a plain number.
func FormatMemory(bytes int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case bytes == 0:
		return "0"
	case bytes%gb == 0:
		return strconv.FormatInt(bytes/gb, 10) + "gb"
	case bytes%mb == 0:
		return strconv.FormatInt(bytes/mb, 10) + "mb"
	case bytes%kb == 0:
		return strconv.FormatInt(bytes/kb, 10) + "kb"
	}
	return strconv.FormatInt(bytes, 10)
}

// ParseInt reads an integer as Redis's string2ll: an optional '-', then
// digits with no leading zero (except "0" itself), in int64 range. "+5",
// " 5", "05" and "-0" are rejected, as redis-server rejects them.
func ParseInt(s string) (int64, error) {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(s) > 20 || (d[0] == '0' && len(s) > 1) {
		return 0, ErrNotInteger
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, ErrNotInteger
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrNotInteger
	}
	return v, nil
}
