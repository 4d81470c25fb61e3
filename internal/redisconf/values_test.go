package redisconf

import (
	"math"
	"testing"
)

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"yes": true, "YES": true, "No": false, "no": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "y", "true", "1", "yes "} {
		if _, err := ParseBool(in); err != ErrNotBool {
			t.Errorf("ParseBool(%q) err = %v", in, err)
		}
	}
	if FormatBool(true) != "yes" || FormatBool(false) != "no" {
		t.Error("FormatBool")
	}
}

func TestParseMemory(t *testing.T) {
	good := map[string]int64{
		"5": 5, "0": 0, "007": 7, "1b": 1, "1B": 1,
		"1k": 1000, "1kb": 1024, "1K": 1000, "1Kb": 1024,
		"100m": 100_000_000, "100mb": 100 << 20, "100MB": 100 << 20,
		"1g": 1_000_000_000, "1gb": 1 << 30, "1GB": 1 << 30,
		// Redis reads a missing number as 0; redis-server accepts these.
		"": 0, "kb": 0, "gb": 0,
		"9223372036854775807":  math.MaxInt64,
		"8589934591gb":         8589934591 << 30,
		"9007199254740991kb":   9007199254740991 * 1024,
		"9223372036854775807b": math.MaxInt64,
	}
	for in, want := range good {
		if got, err := ParseMemory(in); err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := []string{"-1", "+5", " 5", "5 ", "1.5mb", "1tb", "1kbb", "mb5", "9223372036854775808", "8589934592gb", "99999999999999999999"}
	for _, in := range bad {
		if got, err := ParseMemory(in); err != ErrNotMemory {
			t.Errorf("ParseMemory(%q) = %d, %v; want error", in, got, err)
		}
	}
}

func TestFormatMemory(t *testing.T) {
	for in, want := range map[int64]string{
		0: "0", 1: "1", 1000: "1000", 1024: "1kb", 1536: "1536", 3 << 20: "3mb",
		5 << 30: "5gb", (5 << 30) + 1024: "5242881kb", -1024: "-1kb", math.MaxInt64: "9223372036854775807",
	} {
		if got := FormatMemory(in); got != want {
			t.Errorf("FormatMemory(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "5": 5, "-5": -5, "9223372036854775807": math.MaxInt64, "-9223372036854775808": math.MinInt64}
	for in, want := range good {
		if got, err := ParseInt(in); err != nil || got != want {
			t.Errorf("ParseInt(%q) = %d, %v", in, got, err)
		}
	}
	// Each of these is rejected by redis-server (see string2ll).
	for _, in := range []string{"", "-", "+5", " 5", "5 ", "05", "-0", "00", "1e3", "0x10", "9223372036854775808", "-9223372036854775809"} {
		if _, err := ParseInt(in); err != ErrNotInteger {
			t.Errorf("ParseInt(%q) err = %v", in, err)
		}
	}
}
